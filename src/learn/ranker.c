/*
 * The learned ranker; see ranker.h.
 */
#include "learn/ranker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

const char *const ranker_feature_names[RANKER_FEATURES] = {
	"bm25", "bm25_rr", "dense", "dense_rr", "fused", "fused_rr", "heading", "low_ocr", "doc_prior",
};

/* Gradient descent on the weighted log loss with an L2 penalty: small data, few features. */
#define ITERATIONS 400
#define STEP       0.5
#define L2         0.01

static struct ranker *ranker_new(unsigned depth)
{
	struct ranker *r = xcalloc(1, sizeof(*r));
	strmap_init(&r->doc_at);
	r->depth = depth;
	return r;
}

static void add_prior(struct ranker *r, const char *doc, double prior)
{
	long *slot = strmap_slot(&r->doc_at, doc, strlen(doc));
	if (*slot) {
		r->prior[*slot - 1] = prior;
		return;
	}
	r->docs = xrealloc(r->docs, (r->ndocs + 1) * sizeof(char *));
	r->prior = xrealloc(r->prior, (r->ndocs + 1) * sizeof(double));
	r->docs[r->ndocs] = xstrdup(doc);
	r->prior[r->ndocs] = prior;
	*slot = (long)++r->ndocs;
}

double ranker_doc_prior(const struct ranker *r, const char *doc)
{
	const long *at = doc ? strmap_get(&r->doc_at, doc, strlen(doc)) : NULL;
	return at ? r->prior[*at - 1] : 0;
}

double ranker_score(const struct ranker *r, const double *x)
{
	double z = r->bias;
	for (int f = 0; f < RANKER_FEATURES; f++)
		z += r->w[f] * (x[f] - r->mean[f]) / r->sd[f];
	return z;
}

struct ranker *ranker_fit(const double *x, const double *y, size_t n, char *const *docs,
			  const double *priors, size_t ndocs, unsigned depth, struct strbuf *err)
{
	double pos = 0;
	for (size_t i = 0; i < n; i++)
		pos += y[i] > 0.5;
	if (pos == 0 || pos == (double)n) {
		strbuf_addf(err,
			    "the ranker needs right and wrong candidates (%zu candidates, %.0f right)",
			    n, pos);
		return NULL;
	}
	struct ranker *r = ranker_new(depth);
	for (size_t d = 0; d < ndocs; d++)
		add_prior(r, docs[d], priors[d]);
	for (int f = 0; f < RANKER_FEATURES; f++) {
		double s = 0, ss = 0;
		for (size_t i = 0; i < n; i++)
			s += x[i * RANKER_FEATURES + f];
		r->mean[f] = s / (double)n;
		for (size_t i = 0; i < n; i++) {
			double d = x[i * RANKER_FEATURES + f] - r->mean[f];
			ss += d * d;
		}
		r->sd[f] = sqrt(ss / (double)n);
		if (r->sd[f] < 1e-9)
			r->sd[f] = 1; /* a constant feature: its weight stays 0 */
	}
	/* Right candidates are rare: each class weighs as much as the other. */
	double wpos = (double)n / (2 * pos), wneg = (double)n / (2 * ((double)n - pos));
	double *z = xcalloc(RANKER_FEATURES, sizeof(double));
	for (int it = 0; it < ITERATIONS; it++) {
		double grad[RANKER_FEATURES] = { 0 }, gbias = 0;
		for (size_t i = 0; i < n; i++) {
			for (int f = 0; f < RANKER_FEATURES; f++)
				z[f] = (x[i * RANKER_FEATURES + f] - r->mean[f]) / r->sd[f];
			double s = r->bias;
			for (int f = 0; f < RANKER_FEATURES; f++)
				s += r->w[f] * z[f];
			double p = 1 / (1 + exp(-s));
			double g = (p - y[i]) * (y[i] > 0.5 ? wpos : wneg);
			for (int f = 0; f < RANKER_FEATURES; f++)
				grad[f] += g * z[f];
			gbias += g;
		}
		for (int f = 0; f < RANKER_FEATURES; f++)
			r->w[f] -= STEP * (grad[f] / (double)n + L2 * r->w[f]);
		r->bias -= STEP * gbias / (double)n;
	}
	free(z);
	return r;
}

void ranker_free(struct ranker *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ndocs; i++)
		free(r->docs[i]);
	free(r->docs);
	free(r->prior);
	strmap_release(&r->doc_at);
	free(r);
}

json_t *ranker_to_json(const struct ranker *r)
{
	json_t *features = json_array(), *priors = json_object();
	for (int f = 0; f < RANKER_FEATURES; f++)
		json_array_append_new(features,
				      json_pack("{s:s, s:f, s:f, s:f}", "name", ranker_feature_names[f],
						"weight", r->w[f], "mean", r->mean[f], "sd", r->sd[f]));
	for (size_t d = 0; d < r->ndocs; d++)
		json_object_set_new(priors, r->docs[d], json_real(r->prior[d]));
	return json_pack("{s:s, s:f, s:i, s:o, s:o}", "method", "logistic regression", "bias", r->bias,
			 "depth", (int)r->depth, "features", features, "doc_priors", priors);
}

struct ranker *ranker_from_json(json_t *j, struct strbuf *err)
{
	json_t *features = json_object_get(j, "features"), *priors = json_object_get(j, "doc_priors");
	if (!json_is_array(features) || json_array_size(features) != RANKER_FEATURES ||
	    !json_is_object(priors) || !json_is_integer(json_object_get(j, "depth"))) {
		strbuf_addf(err, "a ranker needs 'depth', %d 'features' and 'doc_priors'",
			    RANKER_FEATURES);
		return NULL;
	}
	struct ranker *r = ranker_new((unsigned)json_integer_value(json_object_get(j, "depth")));
	r->bias = json_number_value(json_object_get(j, "bias"));
	for (int f = 0; f < RANKER_FEATURES; f++) {
		json_t *o = json_array_get(features, (size_t)f);
		const char *name = json_string_value(json_object_get(o, "name"));
		if (!name || strcmp(name, ranker_feature_names[f])) {
			strbuf_addf(err, "the ranker's feature %d is not '%s'", f,
				    ranker_feature_names[f]);
			ranker_free(r);
			return NULL;
		}
		r->w[f] = json_number_value(json_object_get(o, "weight"));
		r->mean[f] = json_number_value(json_object_get(o, "mean"));
		r->sd[f] = json_number_value(json_object_get(o, "sd"));
		if (r->sd[f] <= 0)
			r->sd[f] = 1;
	}
	const char *doc;
	json_t *v;
	json_object_foreach(priors, doc, v) add_prior(r, doc, json_number_value(v));
	return r;
}

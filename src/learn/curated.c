/*
 * Curated answers; see curated.h.
 */
#include "learn/curated.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "learn/embedder.h"
#include "learn/question.h"
#include "text/tokenize.h"

struct question_sig {
	struct strmap stems;
	size_t nstems;
	float *vec; /* NULL without an embedder */
	int dim;
};

struct question_sig *question_sign(const struct embedder *e, struct tokenizer *tok, const char *q)
{
	struct question_sig *s = xcalloc(1, sizeof(*s));
	strmap_init(&s->stems);
	s->nstems = question_stems(tok, q, &s->stems);
	if (e) {
		s->dim = embedder_dim(e);
		s->vec = xcalloc((size_t)s->dim, sizeof(float));
		embedder_embed(e, tok, q, strlen(q), lang_guess_short(q, strlen(q), LANG_FR), 1, s->vec);
	}
	return s;
}

void question_sig_free(struct question_sig *s)
{
	if (!s)
		return;
	strmap_release(&s->stems);
	free(s->vec);
	free(s);
}

double question_closeness(const struct question_sig *a, const struct question_sig *b)
{
	size_t shared = 0;
	for (size_t i = 0; i < a->stems.cap; i++)
		shared += a->stems.keys[i] &&
			  strmap_get(&b->stems, a->stems.keys[i], strlen(a->stems.keys[i])) != NULL;
	double dice = a->nstems + b->nstems ? 2.0 * (double)shared / (double)(a->nstems + b->nstems) : 0;
	if (!a->vec || !b->vec || a->dim != b->dim)
		return dice;
	double cos = vec_dot(a->vec, b->vec, a->dim);
	return 0.5 * dice + 0.5 * (cos > 0 ? cos : 0);
}

double question_similarity(const struct embedder *e, struct tokenizer *tok, const char *a, const char *b)
{
	struct question_sig *x = question_sign(e, tok, a), *y = question_sign(e, tok, b);
	double s = question_closeness(x, y);
	question_sig_free(x);
	question_sig_free(y);
	return s;
}

struct curated *curated_new(double threshold)
{
	struct curated *c = xcalloc(1, sizeof(*c));
	c->threshold = threshold;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void forget_sigs(struct curated *c)
{
	if (c->sigs)
		for (size_t i = 0; i < c->n; i++)
			question_sig_free(c->sigs[i]);
	free(c->sigs);
	c->sigs = NULL;
	c->signed_with = NULL;
}

void curated_free(struct curated *c)
{
	if (!c)
		return;
	forget_sigs(c);
	for (size_t i = 0; i < c->n; i++) {
		struct curated_answer *a = &c->items[i];
		free(a->question);
		free(a->answer);
		for (size_t s = 0; s < a->nsources; s++)
			free(a->sources[s]);
		free(a->sources);
	}
	free(c->items);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void curated_add(struct curated *c, const char *question, const char *answer, char *const *sources,
		 size_t nsources, long long created_at, long long feedback_id)
{
	forget_sigs(c);
	ALLOC_GROW(c->items, c->n + 1, c->alloc);
	struct curated_answer *a = &c->items[c->n++];
	a->question = xstrdup(question);
	a->answer = xstrdup(answer);
	a->sources = xcalloc(nsources + 1, sizeof(char *));
	for (size_t s = 0; s < nsources; s++)
		a->sources[s] = xstrdup(sources[s]);
	a->nsources = nsources;
	a->created_at = created_at;
	a->feedback_id = feedback_id;
}

long curated_best(struct curated *c, const struct embedder *e, struct tokenizer *tok,
		  const char *question, double *similarity)
{
	long best = -1;
	*similarity = 0;
	if (!c || !c->n)
		return -1;
	/* Shared between threads: the signatures are made once per embedder, under the lock. */
	pthread_mutex_lock(&c->lock);
	if (!c->sigs || c->signed_with != e) {
		forget_sigs(c);
		c->sigs = xcalloc(c->n, sizeof(*c->sigs));
		for (size_t i = 0; i < c->n; i++)
			c->sigs[i] = question_sign(e, tok, c->items[i].question);
		c->signed_with = e;
	}
	struct question_sig *q = question_sign(e, tok, question);
	for (size_t i = 0; i < c->n; i++) {
		double s = question_closeness(q, c->sigs[i]);
		if (s > *similarity) {
			*similarity = s;
			best = (long)i;
		}
	}
	pthread_mutex_unlock(&c->lock);
	question_sig_free(q);
	return best;
}

json_t *curated_to_json(const struct curated *c)
{
	json_t *items = json_array();
	for (size_t i = 0; i < c->n; i++) {
		const struct curated_answer *a = &c->items[i];
		json_t *sources = json_array();
		for (size_t s = 0; s < a->nsources; s++)
			json_array_append_new(sources, json_string(a->sources[s]));
		json_array_append_new(items, json_pack("{s:s, s:s, s:o, s:I, s:I}", "question",
						       a->question, "answer", a->answer, "sources",
						       sources, "created_at", (json_int_t)a->created_at,
						       "feedback_id", (json_int_t)a->feedback_id));
	}
	return json_pack("{s:f, s:o}", "threshold", c->threshold, "answers", items);
}

struct curated *curated_from_json(json_t *j, struct strbuf *err)
{
	json_t *items = json_object_get(j, "answers");
	if (!json_is_array(items) || !json_is_number(json_object_get(j, "threshold"))) {
		strbuf_addstr(err,
			      "curated answers need 'threshold' (a number) and 'answers' (an array)");
		return NULL;
	}
	struct curated *c = curated_new(json_number_value(json_object_get(j, "threshold")));
	size_t i;
	json_t *a;
	json_array_foreach(items, i, a)
	{
		const char *q = json_string_value(json_object_get(a, "question"));
		const char *ans = json_string_value(json_object_get(a, "answer"));
		json_t *src = json_object_get(a, "sources");
		if (!q || !ans || !json_is_array(src)) {
			strbuf_addf(err, "curated answer %zu needs 'question', 'answer' and 'sources'",
				    i + 1);
			curated_free(c);
			return NULL;
		}
		size_t ns = json_array_size(src);
		char **sources = xcalloc(ns + 1, sizeof(char *));
		size_t kept = 0;
		for (size_t s = 0; s < ns; s++)
			if (json_string_value(json_array_get(src, s)))
				sources[kept++] = (char *)json_string_value(json_array_get(src, s));
		ns = kept;
		curated_add(c, q, ans, sources, ns, json_integer_value(json_object_get(a, "created_at")),
			    json_integer_value(json_object_get(a, "feedback_id")));
		free(sources);
	}
	return c;
}

/*
 * OpenAI-compatible embeddings client; see openai_embed.h.
 */
#include "learn/openai_embed.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "core/xalloc.h"

char *openai_embedder_name(const struct config *cfg)
{
	return xasprintf("openai:%s", cfg->embed.model);
}

/* Parse data[i].embedding into vectors + i * dim. */
static int parse(const char *body, size_t n, float *vectors, int *dim, struct strbuf *err)
{
	json_error_t jerr;
	json_t *j = json_loads(body, 0, &jerr);
	json_t *data = json_object_get(j, "data");
	int ret = -1;
	if (!json_is_array(data) || json_array_size(data) != n) {
		strbuf_addf(err, "the endpoint's answer has no 'data' list of %zu embeddings", n);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(data, i);
		json_t *idx = json_object_get(item, "index");
		json_t *emb = json_object_get(item, "embedding");
		size_t at = json_is_integer(idx) ? (size_t)json_integer_value(idx) : i;
		if (!json_is_array(emb) || at >= n) {
			strbuf_addf(err, "embedding %zu of the answer is malformed", i);
			goto cleanup;
		}
		int d = (int)json_array_size(emb);
		if (!*dim)
			*dim = d;
		if (d != *dim) {
			strbuf_addf(err, "the endpoint returned %d dimensions where %d were expected", d,
				    *dim);
			goto cleanup;
		}
		(void)vectors;
	}
	ret = 0;
cleanup:
	json_decref(j);
	return ret;
}

static void fill(const char *body, size_t n, float *vectors, int dim)
{
	json_t *j = json_loads(body, 0, NULL);
	json_t *data = json_object_get(j, "data");
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(data, i);
		json_t *idx = json_object_get(item, "index");
		size_t at = json_is_integer(idx) ? (size_t)json_integer_value(idx) : i;
		json_t *emb = json_object_get(item, "embedding");
		float *v = vectors + at * (size_t)dim;
		double norm = 0;
		for (int k = 0; k < dim; k++) {
			v[k] = (float)json_number_value(json_array_get(emb, (size_t)k));
			norm += (double)v[k] * v[k];
		}
		for (int k = 0; k < dim && norm > 0; k++)
			v[k] /= (float)sqrt(norm);
	}
	json_decref(j);
}

int openai_embed(const struct config *cfg, const char *const *texts, size_t n, float **vectors, int *dim,
		 struct strbuf *err)
{
	char *url = xasprintf("%s/v1/embeddings", cfg->embed.url);
	size_t batch = cfg->embed.batch ? cfg->embed.batch : 32;
	int ret = -1;
	*vectors = NULL;
	if (!cfg->embed.url[0] || !cfg->embed.model[0]) {
		strbuf_addstr(err, "embed.embedder=openai needs embed.url and embed.model");
		free(url);
		return -1;
	}
	for (size_t start = 0; start < n; start += batch) {
		size_t m = n - start < batch ? n - start : batch;
		json_t *input = json_array();
		for (size_t i = 0; i < m; i++)
			json_array_append_new(input, json_string(texts[start + i]));
		json_t *req = json_pack("{s:s, s:o}", "model", cfg->embed.model, "input", input);
		char *body = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		struct strbuf out = STRBUF_INIT;
		struct http_options ho = { cfg->embed.api_key_env, cfg->embed.timeout,
					   cfg->embed.retries };
		int rc = http_post_json(url, body, &ho, &out, err);
		free(body);
		if (rc == 0 && parse(out.buf, m, NULL, dim, err) == 0) {
			if (!*vectors)
				*vectors = xcalloc(n * (size_t)*dim + 1, sizeof(float));
			fill(out.buf, m, *vectors + start * (size_t)*dim, *dim);
		} else {
			strbuf_release(&out);
			goto cleanup;
		}
		strbuf_release(&out);
	}
	ret = 0;
cleanup:
	free(url);
	if (ret) {
		free(*vectors);
		*vectors = NULL;
	}
	return ret;
}

/*
 * OpenAI-compatible embeddings client; see openai_embed.h.
 */
#include "learn/openai_embed.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t collect(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct strbuf *sb = ctx;
	/* An answer this large is not an embeddings response: stop reading. */
	if (sb->len + size * nmemb > (size_t)256 << 20)
		return 0;
	strbuf_add(sb, data, size * nmemb);
	return size * nmemb;
}

char *openai_embedder_name(const struct config *cfg)
{
	return xasprintf("openai:%s", cfg->embed.model);
}

/* One request; 0 ok, 1 worth retrying, -1 not. */
static int post(const struct config *cfg, const char *url, const char *body, struct strbuf *out,
		struct strbuf *err)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	const char *key = cfg->embed.api_key_env[0] ? getenv(cfg->embed.api_key_env) : NULL;
	char *auth = key ? xasprintf("Authorization: Bearer %s", key) : NULL;
	char curl_err[CURL_ERROR_SIZE] = "";
	long status = 0;
	int ret;
	if (auth)
		headers = curl_slist_append(headers, auth);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(cfg->embed.timeout * 1000));
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(cfg->embed.timeout * 1000));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	strbuf_reset(err);
	if (rc != CURLE_OK) {
		strbuf_addf(err, "cannot reach '%s': %s", url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
		ret = 1;
	} else if (status == 429 || status >= 500) {
		strbuf_addf(err, "'%s' answered HTTP %ld", url, status);
		ret = 1;
	} else if (status != 200) {
		strbuf_addf(err, "'%s' answered HTTP %ld: %.200s", url, status, out->buf);
		ret = -1;
	} else {
		ret = 0;
	}
	curl_slist_free_all(headers);
	free(auth);
	curl_easy_cleanup(curl);
	return ret;
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
			strbuf_addf(err, "the endpoint returned %d dimensions where %d were expected", d, *dim);
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

int openai_embed(const struct config *cfg, const char *const *texts, size_t n, float **vectors,
		 int *dim, struct strbuf *err)
{
	pthread_once(&curl_once, curl_setup);
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
		int rc = 1;
		for (unsigned attempt = 0; rc == 1 && attempt <= cfg->embed.retries; attempt++) {
			if (attempt) {
				/* 0.25 s, 0.5 s, 1 s... with up to 50% jitter, so retries do not march in step. */
				double wait = 0.25 * (double)(1u << (attempt - 1));
				usleep((useconds_t)(wait * (1.0 + 0.5 * (double)rand() / RAND_MAX) * 1e6));
			}
			strbuf_reset(&out);
			rc = post(cfg, url, body, &out, err);
		}
		free(body);
		if (rc == 0 && parse(out.buf, m, NULL, dim, err) == 0) {
			if (!*vectors)
				*vectors = xcalloc(n * (size_t)*dim + 1, sizeof(float));
			fill(out.buf, m, *vectors + start * (size_t)*dim, *dim);
		} else {
			if (rc == 1)
				strbuf_addf(err, " (after %u attempts)", cfg->embed.retries + 1);
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

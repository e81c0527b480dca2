/*
 * JSON over HTTP; see http.h.
 */
#include "core/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
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

/* One request; 0 ok, 1 worth retrying, -1 not. */
static int post(const char *url, const char *body, const struct http_options *opts, struct strbuf *out,
		struct strbuf *err)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	const char *key = opts->api_key_env && opts->api_key_env[0] ? getenv(opts->api_key_env) : NULL;
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
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(opts->timeout * 1000));
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(opts->timeout * 1000));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	strbuf_reset(err);
	if (rc != CURLE_OK) {
		strbuf_addf(err, "cannot reach '%s': %s", url,
			    curl_err[0] ? curl_err : curl_easy_strerror(rc));
		ret = 1;
	} else if (status == 429 || status >= 500) {
		strbuf_addf(err, "'%s' answered HTTP %ld", url, status);
		ret = 1;
	} else if (status < 200 || status > 299) {
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

int http_post_json(const char *url, const char *body, const struct http_options *opts,
		   struct strbuf *out, struct strbuf *err)
{
	pthread_once(&curl_once, curl_setup);
	int rc = 1;
	for (unsigned attempt = 0; rc == 1 && attempt <= opts->retries; attempt++) {
		if (attempt) {
			/* 0.25 s, 0.5 s, 1 s... with up to 50% jitter, so retries do not march in step. */
			double wait = 0.25 * (double)(1u << (attempt - 1));
			usleep((useconds_t)(wait * (1.0 + 0.5 * (double)rand() / RAND_MAX) * 1e6));
		}
		strbuf_reset(out);
		rc = post(url, body, opts, out, err);
	}
	if (rc == 1)
		strbuf_addf(err, " (after %u attempts)", opts->retries + 1);
	return rc ? -1 : 0;
}

int http_reachable(const char *url, double timeout, struct strbuf *err)
{
	pthread_once(&curl_once, curl_setup);
	CURL *curl = curl_easy_init();
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(curl);
	curl_easy_cleanup(curl);
	if (rc == CURLE_OK)
		return 0;
	strbuf_addf(err, "cannot reach '%s': %s", url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
	return -1;
}

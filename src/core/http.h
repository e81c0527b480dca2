/*
 * JSON over HTTP for the OpenAI-compatible clients (libcurl): one POST
 * with a timeout, retried with exponential backoff and jitter on network
 * errors, 429 and 5xx.  The bearer key comes from an environment variable.
 */
#ifndef CORE_HTTP_H
#define CORE_HTTP_H

#include "core/strbuf.h"

struct http_options {
	const char *api_key_env; /* name of the variable holding the key, or "" */
	double timeout;          /* seconds per attempt */
	unsigned retries;
};

/* POST `body` to `url`; the answer (HTTP 2xx) in `out`.  Errors name the URL. */
int http_post_json(const char *url, const char *body, const struct http_options *opts,
		   struct strbuf *out, struct strbuf *err);

/* Whether anything answers HTTP at `url` (any status counts); the reason when not. */
int http_reachable(const char *url, double timeout, struct strbuf *err);

#endif

/*
 * server_handle (server.h): what a whole request gets, without a socket —
 * the checks it passes before its route (host, body type, token, memory,
 * rate), then its handler, or a static page of the dashboard.
 */
#include "serve/server.h"

#include <microhttpd.h>
#include <string.h>
#include <strings.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "serve/assets.h"
#include "serve/memory_pressure.h"
#include "serve/rate_limit.h"
#include "serve/routes.h"
#include "serve/server_state.h"
#include "serve/store_pool.h"

/* Constant-time comparison: the token must not leak through timing. */
static int same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return !diff;
}

static int admin_allowed(struct server *srv, const struct request *rq, struct reply *rp)
{
	if (!srv->token) {
		reply_error(rp, 403, NULL,
			    "admin routes are off: set the %s environment variable "
			    "to a token and restart 'ragops serve'",
			    srv->cfg->serve.token_env);
		return 0;
	}
	const char *auth = request_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strncmp(auth, "Bearer ", 7) || !same_secret(auth + 7, srv->token)) {
		reply_header(rp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"ragops\"");
		reply_error(rp, 401, NULL,
			    auth ? "wrong token" : "this route needs 'Authorization: Bearer <token>'");
		return 0;
	}
	return 1;
}

void reply_too_large(struct server *srv, struct reply *rp)
{
	reply_error(rp, 413, NULL, "request body over %llu bytes (serve.max_body)",
		    srv->cfg->serve.max_body);
}

static void serve_asset(const struct request *rq, struct reply *rp)
{
	const struct asset *a = asset_find(rq->path);
	if (!a) {
		reply_error(rp, 404, NULL, "no such page: %s", rq->path);
		return;
	}
	const char *etag = request_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
	reply_header(rp, MHD_HTTP_HEADER_ETAG, "%s", a->etag);
	reply_header(rp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	if (etag && !strcmp(etag, a->etag)) {
		rp->status = 304;
		return;
	}
	rp->status = 200;
	rp->static_body = a->data;
	rp->len = a->len;
	rp->content_type = asset_content_type(a == asset_find("/") ? "/index.html" : a->path);
}

/* Whether `host` (a Host header, port or not) names this machine's loopback. */
static int loopback_name(const char *host)
{
	static const char *const names[] = { "localhost", "127.0.0.1", "[::1]", "::1" };
	size_t len = strlen(host);
	const char *colon = strrchr(host, ':');
	if (colon && (host[0] != '[' || colon > strchr(host, ']')))
		len = (size_t)(colon - host);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !strncasecmp(host, names[i], len))
			return 1;
	return 0;
}

/*
 * Checks every request passes before its route: a server on loopback only
 * answers requests addressed to loopback (a web page that rebinds its own
 * name to 127.0.0.1 must not reach it), and a body must say it is JSON (a
 * plain HTML form, which any site can make a browser send, cannot).
 */
static int request_acceptable(struct server *srv, const struct request *rq, struct reply *rp)
{
	const char *host = request_header(rq, MHD_HTTP_HEADER_HOST);
	/* HTTP/1.0 may leave Host out: a request that names no host is not one for localhost. */
	if (srv->loopback && !host) {
		reply_error(rp, 403, NULL,
			    "this server answers requests for localhost only (serve.host), "
			    "and this one names no host (no Host header)");
		return 0;
	}
	if (srv->loopback && !loopback_name(host)) {
		reply_error(rp, 403, NULL,
			    "this server answers requests for localhost only (serve.host), "
			    "not for '%.60s'",
			    host);
		return 0;
	}
	const char *type = request_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (rq->body_len && (!type || strncasecmp(type, "application/json", 16))) {
		reply_error(rp, 415, NULL,
			    "the body must be JSON, sent with Content-Type: application/json");
		return 0;
	}
	return 1;
}

int server_handle(struct server *srv, struct request *rq, struct reply *rp)
{
	char allow[64];
	rp->status = 500;
	if (*srv->cfg->serve.cors_origin && !strcmp(rq->method, "OPTIONS")) {
		/* A preflight from the allowed origin: what it may send. */
		reply_header(rp, "Access-Control-Allow-Methods", "GET, POST");
		reply_header(rp, "Access-Control-Allow-Headers", "Content-Type, Authorization");
		reply_header(rp, "Access-Control-Max-Age", "600");
		rp->status = 204;
		return ROUTE_UNMATCHED;
	}
	int r = route_match(rq->method, rq->path, &rq->path_id, allow, sizeof(allow));
	if (r == -1 && strncmp(rq->path, "/api/", 5)) {
		if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
			reply_header(rp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
			reply_error(rp, 405, NULL, "%s is not allowed here", rq->method);
		} else {
			serve_asset(rq, rp);
		}
		return ROUTE_STATIC;
	}
	if (r == -1) {
		reply_error(rp, 404, NULL, "no such route: %s %s (see docs/api.md)", rq->method,
			    rq->path);
		return ROUTE_UNMATCHED;
	}
	if (r == -2) {
		reply_header(rp, MHD_HTTP_HEADER_ALLOW, "%s", allow);
		reply_error(rp, 405, NULL, "%s is not allowed on %s (allowed: %s)", rq->method, rq->path,
			    allow);
		return ROUTE_UNMATCHED;
	}
	if (rq->too_large) {
		reply_too_large(srv, rp);
		return r;
	}
	if (!request_acceptable(srv, rq, rp))
		return r;
	const struct route *route = &routes[r];
	/* Fail closed: a route that does not say it is public needs the token. */
	if ((route->flags & (ROUTE_ADMIN | ROUTE_PUBLIC)) != ROUTE_PUBLIC && !admin_allowed(srv, rq, rp))
		return r;
	if ((route->flags & ROUTE_SHED) && !memory_admit(rq, rp)) {
		memory_log_changes(srv);
		return r;
	}
	if (route->flags & ROUTE_RATED) {
		int wait = rate_limit_take(srv->limits, rq->client, time_mono());
		if (wait) {
			reply_header(rp, MHD_HTTP_HEADER_RETRY_AFTER, "%d", wait);
			reply_error(rp, 429, NULL,
				    "too many requests from %s: retry in %d s (serve.rate_limit)",
				    rq->client, wait);
			return r;
		}
	}
	struct server_ctx ctx = { .cfg = srv->cfg, .srv = srv };
	if (route->flags & ROUTE_STORE)
		ctx.store = store_pool_get(srv->pool);
	xalloc_unrecovered_take(); /* this request's own, from here */
	route->handle(&ctx, rq, rp);
	memory_after_handler(rp, xalloc_unrecovered_take());
	if (ctx.store)
		store_pool_put(srv->pool, ctx.store);
	memory_log_changes(srv);
	return r;
}

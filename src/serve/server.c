/*
 * ragops serve: libmicrohttpd glue; see server.h.  Requests are read whole
 * (bodies above serve.max_body are refused with 413 without being kept),
 * then dispatched through the route table in routes.c.
 */
#include "serve/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "serve/assets.h"
#include "serve/http_stats.h"
#include "serve/rate_limit.h"
#include "serve/routes.h"
#include "serve/server_state.h"
#include "serve/store_pool.h"

/* One request being read. */
struct pending {
	struct strbuf body;
	int too_large;
	int route;		/* for the metrics, once known */
	int status;
	double started;
};

const char *request_arg(const struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *request_header(const struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

void reply_header(struct reply *rp, const char *name, const char *fmt, ...)
{
	if (rp->nheaders == REPLY_MAX_HEADERS)
		return;
	va_list ap;
	va_start(ap, fmt);
	rp->headers[rp->nheaders].name = name;
	vsnprintf(rp->headers[rp->nheaders].value, sizeof(rp->headers[0].value), fmt, ap);
	va_end(ap);
	rp->nheaders++;
}

void reply_text(struct reply *rp, int status, const char *content_type, char *text, size_t len)
{
	free(rp->body);
	rp->status = status;
	rp->content_type = content_type;
	rp->body = text;
	rp->len = len;
}

/* The request body as a JSON object, or NULL after replying 400. */
json_t *request_object(const struct request *rq, struct reply *rp)
{
	json_error_t je;
	if (!rq->body_len) {
		reply_error(rp, 400, NULL, "the request needs a JSON object as its body");
		return NULL;
	}
	json_t *j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		reply_error(rp, 400, NULL, "invalid JSON at line %d, column %d: %s", je.line, je.column,
			    je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		reply_error(rp, 400, NULL, "the body must be a JSON object, not %s",
			    json_is_array(j) ? "an array" : "a single value");
		json_decref(j);
		return NULL;
	}
	return j;
}

void reply_json(struct reply *rp, int status, json_t *j)
{
	/* Ten digits: 0.1, not 0.10000000000000001. */
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(j);
	if (!text) {
		reply_text(rp, 500, "application/json", xstrdup("{\"error\":\"cannot encode the reply\"}"), 35);
		return;
	}
	reply_text(rp, status, "application/json", text, strlen(text));
}

void reply_error(struct reply *rp, int status, const char *field, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	json_t *j = json_pack("{s:s%}", "error", msg.buf, msg.len);
	if (field)
		json_object_set_new(j, "field", json_string(field));
	strbuf_release(&msg);
	reply_json(rp, status, j);
}

/* --- checks before a handler runs ---------------------------------------- */

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
		reply_error(rp, 403, NULL, "admin routes are off: set the %s environment variable "
			    "to a token and restart 'ragops serve'", srv->cfg->serve.token_env);
		return 0;
	}
	const char *auth = request_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strncmp(auth, "Bearer ", 7) || !same_secret(auth + 7, srv->token)) {
		reply_header(rp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"ragops\"");
		reply_error(rp, 401, NULL, auth ? "wrong token" : "this route needs 'Authorization: Bearer <token>'");
		return 0;
	}
	return 1;
}

static void reply_too_large(struct server *srv, struct reply *rp)
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
	if (srv->loopback && host && !loopback_name(host)) {
		reply_error(rp, 403, NULL, "this server answers requests for localhost only (serve.host), "
			    "not for '%.60s'", host);
		return 0;
	}
	const char *type = request_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (rq->body_len && (!type || strncasecmp(type, "application/json", 16))) {
		reply_error(rp, 415, NULL, "the body must be JSON, sent with Content-Type: application/json");
		return 0;
	}
	return 1;
}

static void dispatch(struct server *srv, struct request *rq, struct pending *pd, struct reply *rp)
{
	char allow[64];
	if (*srv->cfg->serve.cors_origin && !strcmp(rq->method, "OPTIONS")) {
		/* A preflight from the allowed origin: what it may send. */
		reply_header(rp, "Access-Control-Allow-Methods", "GET, POST");
		reply_header(rp, "Access-Control-Allow-Headers", "Content-Type, Authorization");
		reply_header(rp, "Access-Control-Max-Age", "600");
		rp->status = 204;
		return;
	}
	int r = route_match(rq->method, rq->path, &rq->path_id, allow, sizeof(allow));
	pd->route = r >= 0 ? r : ROUTE_UNMATCHED;
	if (r == -1 && strncmp(rq->path, "/api/", 5)) {
		pd->route = ROUTE_STATIC;
		if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
			reply_header(rp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
			reply_error(rp, 405, NULL, "%s is not allowed here", rq->method);
			return;
		}
		serve_asset(rq, rp);
		return;
	}
	if (r == -1) {
		reply_error(rp, 404, NULL, "no such route: %s %s (see docs/api.md)", rq->method, rq->path);
		return;
	}
	if (r == -2) {
		reply_header(rp, MHD_HTTP_HEADER_ALLOW, "%s", allow);
		reply_error(rp, 405, NULL, "%s is not allowed on %s (allowed: %s)", rq->method, rq->path, allow);
		return;
	}
	if (pd->too_large) {
		reply_too_large(srv, rp);
		return;
	}
	if (!request_acceptable(srv, rq, rp))
		return;
	const struct route *route = &routes[r];
	if ((route->flags & ROUTE_ADMIN) && !admin_allowed(srv, rq, rp))
		return;
	if (route->flags & ROUTE_RATED) {
		int wait = rate_limit_take(srv->limits, rq->client, time_mono());
		if (wait) {
			reply_header(rp, MHD_HTTP_HEADER_RETRY_AFTER, "%d", wait);
			reply_error(rp, 429, NULL, "too many requests from %s: retry in %d s (serve.rate_limit)",
				    rq->client, wait);
			return;
		}
	}
	struct server_ctx ctx = { .cfg = srv->cfg, .srv = srv };
	if (route->flags & ROUTE_STORE)
		ctx.store = store_pool_get(srv->pool);
	route->handle(&ctx, rq, rp);
	if (ctx.store)
		store_pool_put(srv->pool, ctx.store);
}

/* --- libmicrohttpd callbacks ---------------------------------------------- */

static void free_body(void *p)
{
	free(p);
}

static enum MHD_Result send_reply(struct server *srv, struct MHD_Connection *conn, struct reply *rp,
				  struct pending *pd)
{
	struct MHD_Response *resp;
	if (rp->static_body)
		resp = MHD_create_response_from_buffer(rp->len, (void *)rp->static_body,
						       MHD_RESPMEM_PERSISTENT);
	else
		resp = MHD_create_response_from_buffer_with_free_callback(rp->len, rp->body, free_body);
	if (!resp) {
		free(rp->body);
		return MHD_NO;
	}
	if (rp->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rp->content_type);
	for (int i = 0; i < rp->nheaders; i++)
		MHD_add_response_header(resp, rp->headers[i].name, rp->headers[i].value);
	/* The dashboard's own scripts only; no framing, no sniffing, no referrer. */
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; style-src 'self'; "
				"frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
	if (!rp->static_body && rp->status != 304)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (*srv->cfg->serve.cors_origin) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
					srv->cfg->serve.cors_origin);
		MHD_add_response_header(resp, "Vary", "Origin");
	}
	pd->status = rp->status;
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)rp->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * Answer 413 at once, without reading (or, with Expect: 100-continue,
 * asking for) the rest of the body; libmicrohttpd closes the connection
 * after this reply.
 */
static enum MHD_Result refuse_body(struct server *srv, struct MHD_Connection *conn,
				   struct pending *pd)
{
	struct reply rp = { .status = 413 };
	reply_too_large(srv, &rp);
	pd->route = ROUTE_UNMATCHED;
	return send_reply(srv, conn, &rp, pd);
}

static void client_address(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, len, "unknown");
	if (ci && ci->client_addr)
		getnameinfo(ci->client_addr,
			    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								   : sizeof(struct sockaddr_in),
			    out, (socklen_t)len, NULL, 0, NI_NUMERICHOST);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct pending *pd = *con_cls;
	if (!pd) {
		pd = xcalloc(1, sizeof(*pd));
		strbuf_init(&pd->body, 0);
		pd->started = time_mono();
		pd->route = ROUTE_UNMATCHED;
		*con_cls = pd;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		pd->too_large = cl && strtoull(cl, NULL, 10) > srv->cfg->serve.max_body;
		if (pd->too_large)
			return refuse_body(srv, conn, pd);
		return MHD_YES;
	}
	if (*upload_size) {
		if (pd->too_large) {
			*upload_size = 0; /* already answered: the connection closes after the 413 */
			return MHD_YES;
		}
		if (pd->body.len + *upload_size > srv->cfg->serve.max_body) {
			pd->too_large = 1;
			strbuf_release(&pd->body);
			*upload_size = 0;
			return refuse_body(srv, conn, pd);
		}
		strbuf_add(&pd->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (pd->status)
		return MHD_YES; /* the 413 went out while the body was coming */
	char client[64];
	client_address(conn, client, sizeof(client));
	struct request rq = {
		.method = method, .path = url, .client = client, .conn = conn,
		.body = pd->body.buf ? pd->body.buf : "", .body_len = pd->body.len,
	};
	struct reply rp = { .status = 500 };
	dispatch(srv, &rq, pd, &rp);
	return send_reply(srv, conn, &rp, pd);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct pending *pd = *con_cls;
	if (!pd)
		return;
	double seconds = time_mono() - pd->started;
	if (pd->status)
		http_stats_record(srv->stats, pd->route, pd->status, seconds);
	/* Probes and scrapes come every few seconds: logged at debug, unless they fail. */
	const char *name = route_names[pd->route];
	int probe = !strcmp(name, "/healthz") || !strcmp(name, "/readyz") || !strcmp(name, "/metrics");
	log_event(probe && pd->status < 400 ? LOG_DEBUG : LOG_INFO, 0, NULL, "serve", "%s %d %.1f ms%s",
		  name, pd->status, seconds * 1000,
		  toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection cut)");
	strbuf_release(&pd->body);
	free(pd);
	*con_cls = NULL;
}

/* --- start and stop ------------------------------------------------------- */

/* libmicrohttpd's own messages (a client that went away...): debug lines in our log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_event(LOG_DEBUG, 0, NULL, "serve", "libmicrohttpd: %s", line);
}

static int is_loopback(const struct sockaddr_storage *addr)
{
	if (addr->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127;
	if (addr->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)addr)->sin6_addr);
	return 0;
}

static int resolve(const char *host, unsigned port, struct sockaddr_storage *addr)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV | AI_PASSIVE, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	char service[16];
	snprintf(service, sizeof(service), "%u", port);
	int rc = getaddrinfo(host, service, &hints, &res);
	if (rc)
		return rc;
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

int server_run(const struct config *cfg, char *const *run_argv, char *const *retrain_argv)
{
	struct server srv = { .cfg = cfg, .health_lock = PTHREAD_MUTEX_INITIALIZER, .run_argv = run_argv,
			      .retrain_argv = retrain_argv, .run_lock = PTHREAD_MUTEX_INITIALIZER,
			      .policy_lock = PTHREAD_MUTEX_INITIALIZER };
	struct strbuf err = STRBUF_INIT;
	struct sockaddr_storage addr;
	int ret = 4;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	/* Threads wait on SQLite and endpoints as much as on the CPU: two per core, four at least. */
	unsigned threads = cfg->serve.threads ? cfg->serve.threads
					      : (unsigned)(cores > 2 ? 2 * cores : 4);
	int rc = resolve(cfg->serve.host, cfg->serve.port, &addr);
	if (rc) {
		fprintf(stderr, "ragops serve: cannot listen on '%s' (serve.host): %s\n", cfg->serve.host,
			gai_strerror(rc));
		return 3;
	}
	const char *token = getenv(cfg->serve.token_env);
	srv.token = token && *token ? token : NULL;
	if (store_pool_open(&srv.pool, cfg->data_dir, threads + 1, &err)) {
		fprintf(stderr, "ragops serve: %s\n", err.buf);
		strbuf_release(&err);
		return 4;
	}
	srv.limits = rate_limit_new(cfg->serve.rate_limit, cfg->serve.rate_burst);
	srv.stats = http_stats_new(route_names, nroutes + 2);

	/* SIGINT and SIGTERM are taken by sigwait below, not by the worker threads. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* runs and retrainings started by the API are reaped by the system */

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv.loopback = is_loopback(&addr);
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, &srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->serve.max_client_connections,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->serve.timeout,
		MHD_OPTION_CONNECTION_LIMIT, cfg->serve.max_connections,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "ragops serve: cannot listen on %s port %u: address in use or not allowed "
				"(serve.host, serve.port)\n", cfg->serve.host, cfg->serve.port);
		goto cleanup;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info ? info->port : cfg->serve.port;
	int v6 = addr.ss_family == AF_INET6;
	fprintf(stderr, "ragops serve: listening on http://%s%s%s:%u/ (%u threads; Ctrl-C stops)\n",
		v6 ? "[" : "", cfg->serve.host, v6 ? "]" : "", port, threads);
	if (!srv.token)
		fprintf(stderr, "ragops serve: admin routes are off (no token in $%s)\n", cfg->serve.token_env);
	if (!srv.loopback)
		fprintf(stderr, "ragops serve: warning: %s is not loopback: anyone who can reach it can ask, "
				"rate answers and read feedback and runs; put it behind a proxy with TLS and "
				"authentication\n", cfg->serve.host);
	log_event(LOG_INFO, 0, NULL, "serve", "listening on %s port %u, %u threads", cfg->serve.host,
		  port, threads);
	int sig;
	sigwait(&stop, &sig);
	fprintf(stderr, "ragops serve: stopping (%s)\n", sig == SIGINT ? "interrupt" : "terminate");
	/* Requests in flight finish; their connections' stores go back to the pool. */
	MHD_stop_daemon(d);
	log_event(LOG_INFO, 0, NULL, "serve", "stopped");
	ret = 0;
cleanup:
	store_pool_close(&srv.pool);
	rate_limit_free(srv.limits);
	http_stats_free(srv.stats);
	strbuf_release(&err);
	return ret;
}

/*
 * ragops serve: libmicrohttpd glue; see server.h.  Requests are read whole
 * (bodies above serve.max_body are refused with 413 without being kept),
 * copied into a struct request that knows nothing of the connection, and
 * answered by server_handle (handle.c) through the route table in
 * routes.c.  Each
 * connection is watched by the conn_guard (deadlines, budget).
 */
#include "serve/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer/answer.h"
#include "core/error.h"
#include "core/fault.h"
#include "core/log.h"
#include "core/mem_reserve.h"
#include "core/parallel.h"
#include "core/strbuf.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "serve/conn_guard.h"
#include "serve/http_stats.h"
#include "serve/inbox_watcher.h"
#include "serve/memory_pressure.h"
#include "serve/rate_limit.h"
#include "serve/routes.h"
#include "serve/scheduler.h"
#include "serve/server_state.h"
#include "serve/store_pool.h"

/* One request being read. */
struct pending {
	struct strbuf body;
	int too_large;
	unsigned long long dropped; /* bytes of a too large body read and thrown away */
	int route;                  /* for the metrics, once known */
	int status;
	double started;
	struct conn_slot *slot; /* its connection's, in the conn_guard */
	/* Once whole: the request, and its reply when a handler thread made it. */
	struct request rq;
	struct fields {
		struct request_field *f;
		size_t n, alloc;
	} headers, args;
	struct reply rp;
	int late;                    /* begun after the stop signal: refused */
	int answered;                /* rp is ready: send it */
	int short_of_memory;         /* when it came: what was in flight then completes */
	struct MHD_Connection *conn; /* suspended while a handler thread answers */
	struct pending *next;        /* in the queue of requests waiting for a handler thread */
};

/* The most of a too large body read (and dropped) to answer 413 after it. */
#define DROP_MAX (64ULL << 20)

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
	/* Stopping, or after a body too large (its rest may still be coming): the connection closes. */
	if (srv->draining || rp->status == 413)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
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
static enum MHD_Result refuse_body(struct server *srv, struct MHD_Connection *conn, struct pending *pd)
{
	struct reply rp = { .status = 413 };
	reply_too_large(srv, &rp);
	pd->route = ROUTE_UNMATCHED;
	return send_reply(srv, conn, &rp, pd);
}

/* The address of the connection's peer, numeric ("127.0.0.1", "::1"). */
static void client_address(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
								     MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, len, "unknown");
	if (ci && ci->client_addr)
		getnameinfo(ci->client_addr,
			    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								   : sizeof(struct sockaddr_in),
			    out, (socklen_t)len, NULL, 0, NI_NUMERICHOST);
}

/* A connection opens or closes: the conn_guard follows it (its slot is the socket context). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conn_guard_close(srv->guard, *socket_context);
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn,
								     MHD_CONNECTION_INFO_CONNECTION_FD);
	char client[64];
	if (!fd)
		return;
	client_address(conn, client, sizeof(client));
	*socket_context = conn_guard_open(srv->guard, fd->connect_fd, client, time_mono());
}

static struct conn_slot *connection_slot(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
								     MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Collects a request's headers or arguments (libmicrohttpd keeps the strings until it ends). */
static enum MHD_Result add_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct fields *fs = cls;
	ALLOC_GROW(fs->f, fs->n + 1, fs->alloc);
	fs->f[fs->n].name = key;
	fs->f[fs->n].value = value;
	fs->n++;
	return MHD_YES;
}

/* --- handler threads ------------------------------------------------------
 *
 * libmicrohttpd's threads only read requests and write replies; a request
 * whose route can wait (on the store, a lock, an endpoint, a child process)
 * is answered on a handler thread while its connection is suspended, so
 * that /healthz, the static pages and every refusal made before a handler
 * runs are answered at once however long the handlers take.
 */

/* Whether `rq` is answered where it was read: nothing on its way can wait. */
static int answered_inline(const struct request *rq)
{
	char allow[64];
	long long id;
	int r = route_match(rq->method, rq->path, &id, allow, sizeof(allow));
	return r < 0 || (routes[r].flags & ROUTE_INLINE);
}

/*
 * Hand `pd` to a handler thread, its connection suspended until the reply
 * is ready: 1, or 0 when the handler threads are stopping (or not started).
 * Under jobs_lock, so that none is queued once server_run drains them.
 */
static int queue_request(struct server *srv, struct MHD_Connection *conn, struct pending *pd)
{
	int queued = 0;
	pthread_mutex_lock(&srv->jobs_lock);
	if (!srv->jobs_stopping && srv->nhandlers) {
		pd->conn = conn;
		MHD_suspend_connection(conn);
		pd->next = NULL;
		if (srv->jobs_tail)
			srv->jobs_tail->next = pd;
		else
			srv->jobs_head = pd;
		srv->jobs_tail = pd;
		pthread_cond_signal(&srv->jobs_ready);
		queued = 1;
	}
	pthread_mutex_unlock(&srv->jobs_lock);
	return queued;
}

static void *handler_main(void *arg)
{
	struct server *srv = arg;
	pthread_mutex_lock(&srv->jobs_lock);
	for (;;) {
		while (!srv->jobs_head && !srv->jobs_stopping)
			pthread_cond_wait(&srv->jobs_ready, &srv->jobs_lock);
		struct pending *pd = srv->jobs_head;
		if (!pd)
			break; /* stopping, and every queued request answered */
		srv->jobs_head = pd->next;
		if (!srv->jobs_head)
			srv->jobs_tail = NULL;
		pthread_mutex_unlock(&srv->jobs_lock);
		pd->route = server_handle(srv, &pd->rq, &pd->rp);
		pd->answered = 1;
		/* libmicrohttpd calls on_request again, which sends the reply. */
		MHD_resume_connection(pd->conn);
		pthread_mutex_lock(&srv->jobs_lock);
	}
	pthread_mutex_unlock(&srv->jobs_lock);
	return NULL;
}

static void handlers_start(struct server *srv, unsigned n)
{
	srv->handlers = xcalloc(n, sizeof(*srv->handlers));
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&srv->handlers[srv->nhandlers], NULL, handler_main, srv) == 0)
			srv->nhandlers++;
}

/* Answer what is queued, then stop: no connection is left suspended. */
static void handlers_stop(struct server *srv)
{
	pthread_mutex_lock(&srv->jobs_lock);
	srv->jobs_stopping = 1;
	pthread_cond_broadcast(&srv->jobs_ready);
	pthread_mutex_unlock(&srv->jobs_lock);
	for (unsigned i = 0; i < srv->nhandlers; i++)
		pthread_join(srv->handlers[i], NULL);
	free(srv->handlers);
	srv->handlers = NULL;
	srv->nhandlers = 0;
}

/* --- libmicrohttpd callbacks, continued ------------------------------------ */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct pending *pd = *con_cls;
	if (!pd) {
		/* Tests change the faults between requests (RAGOPS_FAULTS; nothing otherwise). */
		fault_refresh();
		/* Before this request allocates anything: a failure from here on is its own. */
		int short_of_memory = mem_reserve_spent();
		pd = xcalloc(1, sizeof(*pd));
		http_stats_begin(srv->stats);
		pd->short_of_memory = short_of_memory;
		pd->late = srv->draining;
		strbuf_init(&pd->body, 0);
		pd->started = time_mono();
		pd->route = ROUTE_UNMATCHED;
		pd->slot = connection_slot(conn);
		*con_cls = pd;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		pd->too_large = cl && strtoull(cl, NULL, 10) > srv->cfg->serve.max_body;
		if (pd->too_large) {
			if (pd->slot)
				conn_guard_busy(srv->guard, pd->slot);
			return refuse_body(srv, conn, pd);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		/*
		 * A body that turns out too large while it comes (chunked) is read
		 * on and thrown away, so the 413 comes once the client is done
		 * sending: a reply sent mid-upload is lost when the connection
		 * closes on unread data (the client sees a reset).  Up to a point:
		 * past DROP_MAX the 413 goes out at once and the connection closes.
		 * The request deadline still holds while it comes.
		 */
		if (pd->too_large) {
			pd->dropped += *upload_size;
			*upload_size = 0;
			return pd->status || pd->dropped <= DROP_MAX ? MHD_YES
								     : refuse_body(srv, conn, pd);
		}
		if (pd->body.len + *upload_size > srv->cfg->serve.max_body) {
			pd->too_large = 1;
			strbuf_release(&pd->body);
			pd->dropped = *upload_size;
			*upload_size = 0;
			return MHD_YES;
		}
		strbuf_add(&pd->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (pd->too_large && !pd->status) {
		if (pd->slot)
			conn_guard_busy(srv->guard, pd->slot);
		return refuse_body(srv, conn, pd);
	}
	if (pd->answered)
		return send_reply(srv, conn, &pd->rp, pd); /* resumed: a handler thread made it */
	if (pd->status)
		return MHD_YES; /* the 413 went out while the body was coming */
	/* The request is whole: no deadline while it is answered. */
	if (pd->slot)
		conn_guard_busy(srv->guard, pd->slot);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_field, &pd->headers);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_field, &pd->args);
	pd->rq = (struct request){
		.method = method,
		.path = url,
		.client = pd->slot ? conn_slot_client(pd->slot) : "unknown",
		.body = pd->body.buf ? pd->body.buf : "",
		.body_len = pd->body.len,
		.headers = pd->headers.f,
		.nheaders = pd->headers.n,
		.args = pd->args.f,
		.nargs = pd->args.n,
		.short_of_memory = pd->short_of_memory,
	};
	if (pd->late) {
		/* A keep-alive client would keep a stopping server up for ever: it goes elsewhere. */
		reply_error(&pd->rp, 503, NULL, "the server is stopping: ask again on a new connection");
		reply_header(&pd->rp, "Retry-After", "1");
		return send_reply(srv, conn, &pd->rp, pd);
	}
	if (!answered_inline(&pd->rq) && queue_request(srv, conn, pd))
		return MHD_YES;
	pd->route = server_handle(srv, &pd->rq, &pd->rp);
	return send_reply(srv, conn, &pd->rp, pd);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct pending *pd = *con_cls;
	if (!pd)
		return;
	double now = time_mono(), seconds = now - pd->started;
	/* The connection's next request has request_timeout from now. */
	if (pd->slot)
		conn_guard_idle(srv->guard, pd->slot, now);
	if (pd->status)
		http_stats_record(srv->stats, pd->route, pd->status, seconds);
	/* Probes and scrapes come every few seconds: logged at debug, unless they fail. */
	const char *name = route_names[pd->route];
	int probe = !strcmp(name, "/healthz") || !strcmp(name, "/readyz") || !strcmp(name, "/metrics");
	log_event(probe && pd->status < 400 ? LOG_DEBUG : LOG_INFO, 0, NULL, "serve", "%s %d %.1f ms%s",
		  name, pd->status, seconds * 1000,
		  toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection cut)");
	strbuf_release(&pd->body);
	free(pd->headers.f);
	free(pd->args.f);
	free(pd);
	*con_cls = NULL;
	http_stats_end(srv->stats);
}

/* --- start and stop ------------------------------------------------------- */

/*
 * Stop taking connections, then let the requests already read end (queued,
 * being answered or being sent): a client whose request reached the server
 * gets its reply, with "Connection: close"; a request begun after the
 * signal on an open connection gets 503 and Retry-After.  Each is bounded already (answer.timeout while an
 * endpoint answers it, serve.timeout while its reply waits on the client).
 * A second signal ends the process there and then, as a crash would: what
 * a handler was writing is rolled back by SQLite, and no client was told
 * it was kept.  The old listening socket, to close once libmicrohttpd is
 * stopped, goes to *listen_fd.
 */
static void drain(struct server *srv, struct MHD_Daemon *d, const sigset_t *stop, int *listen_fd)
{
	srv->draining = 1;
	*listen_fd = MHD_quiesce_daemon(d);
	unsigned left = http_stats_in_progress(srv->stats);
	if (left)
		fprintf(stderr,
			"ragops serve: answering the %u request%s in progress (a second signal "
			"stops at once)\n",
			left, left == 1 ? "" : "s");
	const struct timespec tick = { 0, 20 * 1000 * 1000 };
	while (http_stats_in_progress(srv->stats)) {
		if (sigtimedwait(stop, NULL, &tick) >= 0) {
			left = http_stats_in_progress(srv->stats);
			fprintf(stderr, "ragops serve: stopping at once: %u request%s cut\n", left,
				left == 1 ? "" : "s");
			_exit(EXIT_PARTIAL);
		}
	}
}

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

/* Threads wait on SQLite and endpoints as much as on the CPU: two per core, four at least. */
static unsigned server_threads(const struct config *cfg)
{
	unsigned cores = (unsigned)parallel_threads(0);
	return cfg->serve.threads ? cfg->serve.threads : (cores > 2 ? 2 * cores : 4);
}

int server_open(struct server *srv, const struct config *cfg, const struct server_commands *commands,
		struct strbuf *err)
{
	memset(srv, 0, sizeof(*srv));
	srv->cfg = cfg;
	if (commands)
		srv->commands = *commands;
	pthread_mutex_init(&srv->health_lock, NULL);
	pthread_cond_init(&srv->health_done, NULL);
	pthread_mutex_init(&srv->run_lock, NULL);
	pthread_mutex_init(&srv->policy_lock, NULL);
	pthread_mutex_init(&srv->jobs_lock, NULL);
	pthread_cond_init(&srv->jobs_ready, NULL);
	pthread_mutex_init(&srv->memory_lock, NULL);
	mem_reserve_stats(&srv->memory_logged);
	const char *token = getenv(cfg->serve.token_env);
	srv->token = token && *token ? token : NULL;
	srv->limits = rate_limit_new(cfg->serve.rate_limit, cfg->serve.rate_burst);
	srv->stats = http_stats_new(route_names, nroutes + 2);
	struct conn_guard_limits lim = { .budget = cfg->serve.max_connections,
					 .per_client = cfg->serve.max_client_connections,
					 .request_timeout = cfg->serve.request_timeout };
	srv->guard = conn_guard_new(&lim);
	/* A connection per handler thread, one for the scheduler, one spare. */
	return store_pool_open(&srv->pool, config_store_location(cfg), server_threads(cfg) + 2, err);
}

void server_close(struct server *srv)
{
	store_pool_close(&srv->pool);
	rate_limit_free(srv->limits);
	srv->limits = NULL;
	http_stats_free(srv->stats);
	srv->stats = NULL;
	conn_guard_free(&srv->guard);
	pthread_mutex_destroy(&srv->health_lock);
	pthread_cond_destroy(&srv->health_done);
	pthread_mutex_destroy(&srv->run_lock);
	pthread_mutex_destroy(&srv->policy_lock);
	pthread_mutex_destroy(&srv->jobs_lock);
	pthread_cond_destroy(&srv->jobs_ready);
	pthread_mutex_destroy(&srv->memory_lock);
}

/* How often the conn_guard looks for requests past their deadline (seconds). */
#define GUARD_INTERVAL 0.25

int server_run(const struct config *cfg, const struct server_commands *commands)
{
	struct server srv;
	struct strbuf err = STRBUF_INIT;
	struct sockaddr_storage addr;
	int ret = 4;
	unsigned threads = server_threads(cfg);
	int rc = resolve(cfg->serve.host, cfg->serve.port, &addr);
	if (rc) {
		fprintf(stderr, "ragops serve: cannot listen on '%s' (serve.host): %s\n",
			cfg->serve.host, gai_strerror(rc));
		return 3;
	}
	/*
	 * SIGINT and SIGTERM are taken by sigwait below, not by the other
	 * threads: blocked before any starts, as threads inherit the mask (one
	 * started before would take the signal's default action, an exit).
	 */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* runs and retrainings started by the API are reaped by the system */
	if (server_open(&srv, cfg, commands, &err)) {
		fprintf(stderr, "ragops serve: %s\n", err.buf);
		goto cleanup;
	}
	answer_preload(cfg);
	/*
	 * From here an allocation that fails gives back the reserve and is
	 * tried again; only when the reserve is already spent and the second
	 * try fails too does the server exit (XALLOC_EXIT_CODE).
	 */
	if (mem_reserve_init(cfg->serve.memory_reserve))
		fprintf(stderr,
			"ragops serve: warning: cannot map the memory reserve (%llu bytes, "
			"serve.memory_reserve): %s: questions, feedback and admin changes are refused "
			"until it can be\n",
			cfg->serve.memory_reserve, strerror(errno));
	xalloc_set_oom_handler(mem_reserve_release);
	conn_guard_watch(srv.guard, GUARD_INTERVAL);
	handlers_start(&srv, threads);

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv.loopback = is_loopback(&addr);
	/*
	 * The budgets are the conn_guard's (serve.max_connections, and per
	 * address serve.max_client_connections): it makes room by shutting
	 * down the connection waiting longest, which libmicrohttpd closes
	 * soon after.  libmicrohttpd's own limit, split between its threads
	 * and turning new clients away when reached, is twice the budget so
	 * that it is never what a new client meets.
	 */
	/* One option and its values a line. */
	/* clang-format off */
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, &srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->serve.timeout,
		MHD_OPTION_CONNECTION_LIMIT, 2 * cfg->serve.max_connections,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, &srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv,
		MHD_OPTION_END);
	/* clang-format on */
	if (!d) {
		fprintf(stderr,
			"ragops serve: cannot listen on %s port %u: address in use or not allowed "
			"(serve.host, serve.port)\n",
			cfg->serve.host, cfg->serve.port);
		goto cleanup;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info ? info->port : cfg->serve.port;
	int v6 = addr.ss_family == AF_INET6;
	fprintf(stderr, "ragops serve: listening on http://%s%s%s:%u/ (%u threads; Ctrl-C stops)\n",
		v6 ? "[" : "", cfg->serve.host, v6 ? "]" : "", port, threads);
	if (!srv.token)
		fprintf(stderr, "ragops serve: admin routes are off (no token in $%s)\n",
			cfg->serve.token_env);
	if (!srv.loopback)
		fprintf(stderr,
			"ragops serve: warning: %s is not loopback: anyone who can reach it can ask, "
			"rate answers and read feedback and runs; put it behind a proxy with TLS and "
			"authentication\n",
			cfg->serve.host);
	log_event(LOG_INFO, 0, NULL, "serve", "listening on %s port %u, %u threads", cfg->serve.host,
		  port, threads);
	if (scheduler_start(&srv))
		fprintf(stderr, "ragops serve: warning: the scheduler did not start: deployments will "
				"not run (see logs/serve.log)\n");
	if (inbox_watcher_start(&srv))
		fprintf(stderr, "ragops serve: warning: the inbox is not watched (watch.serve; see "
				"logs/serve.log)\n");
	int sig;
	sigwait(&stop, &sig);
	inbox_watcher_stop(&srv);
	scheduler_stop(&srv);
	fprintf(stderr, "ragops serve: stopping (%s)\n", sig == SIGINT ? "interrupt" : "terminate");
	int listen_fd;
	drain(&srv, d, &stop, &listen_fd);
	/*
	 * What is still queued is answered (libmicrohttpd must not stop with
	 * a connection suspended); the handlers' stores go back to the pool.
	 */
	handlers_stop(&srv);
	MHD_stop_daemon(d);
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	log_event(LOG_INFO, 0, NULL, "serve", "stopped");
	ret = 0;
cleanup:
	inbox_watcher_stop(&srv);
	scheduler_stop(&srv);
	handlers_stop(&srv);
	xalloc_set_oom_handler(NULL);
	mem_reserve_end();
	server_close(&srv);
	strbuf_release(&err);
	return ret;
}

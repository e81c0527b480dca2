/*
 * ragops serve: the HTTP API and the dashboard over libmicrohttpd (a pool
 * of epoll threads).  A request is read whole (up to serve.max_body), matched
 * against the route table, checked for its token and rate, and handed to
 * its handler with a store connection of its own.
 */
#ifndef SERVE_SERVER_H
#define SERVE_SERVER_H

#include <jansson.h>
#include <stddef.h>

#include "core/config.h"
#include "store/store.h"

struct server;

/* A request header or query argument. */
struct request_field {
	const char *name, *value;
};

/*
 * One request, whole, as its handler sees it: nothing here refers to the
 * connection it came on, so tests build requests and call handlers (or
 * server_handle) without a socket.  Everything is borrowed for the call.
 */
struct request {
	const char *method;
	const char *path;   /* without the query string, %-decoded */
	const char *client; /* the peer's address, "127.0.0.1" */
	const char *body;   /* NUL-terminated */
	size_t body_len;
	int too_large; /* the body passed serve.max_body and was dropped */
	const struct request_field *headers, *args;
	size_t nheaders, nargs;
	long long path_id;   /* the {id} of a route like /api/runs/{id} */
	int short_of_memory; /* the server was short of memory when it came (memory_pressure.h) */
};

#define REPLY_MAX_HEADERS 6

struct reply {
	int status;
	char *body; /* owned, freed after sending */
	size_t len;
	const unsigned char *static_body; /* an embedded asset instead */
	const char *content_type;
	struct {
		const char *name;
		char value[128];
	} headers[REPLY_MAX_HEADERS];
	int nheaders;
};

/* What every handler sees. */
struct server_ctx {
	const struct config *cfg;
	struct server *srv;
	struct store *store; /* this request's connection (routes that need one) */
};

typedef void (*handler_fn)(struct server_ctx *ctx, const struct request *rq, struct reply *rp);

/* The value of query argument `name` (the first one), or NULL. */
const char *request_arg(const struct request *rq, const char *name);
/* A request header (its name in any case), or NULL. */
const char *request_header(const struct request *rq, const char *name);

void reply_header(struct reply *rp, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * The request body as a JSON object, or NULL after replying 400: not JSON,
 * not an object, or nested deeper than REQUEST_JSON_MAX_DEPTH (refused
 * before parsing, so a body of a million '[' costs nothing).
 */
#define REQUEST_JSON_MAX_DEPTH 32
json_t *request_object(const struct request *rq, struct reply *rp);
/* Send `j` (stolen) with `status`. */
void reply_json(struct reply *rp, int status, json_t *j);
/* {"error": message, "field": field?} */
void reply_error(struct reply *rp, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Send owned text. */
void reply_text(struct reply *rp, int status, const char *content_type, char *text, size_t len);

/*
 * Answer one request: the checks every request passes (host, body type,
 * token, rate), then its route's handler.  Returns the route's index for
 * the metrics (ROUTE_STATIC, ROUTE_UNMATCHED: see routes.h).  `rp` starts
 * zeroed; the caller sends it and frees rp->body.
 */
int server_handle(struct server *srv, struct request *rq, struct reply *rp);

/* The ragops command lines a server starts, each NULL-terminated. */
struct server_commands {
	char *const *run;        /* `ragops ... run`: POST /api/runs */
	char *const *retrain;    /* `ragops ... retrain run`: POST /api/retrain */
	char *const *deployment; /* `ragops ... deployment run`, to which NAME is added */
};

/*
 * Serve until SIGINT or SIGTERM, starting `commands` when asked and the
 * deployments' schedules (flow.scheduler).  Returns an exit code; errors
 * (address in use, bad host) are printed.
 */
int server_run(const struct config *cfg, const struct server_commands *commands);

#endif

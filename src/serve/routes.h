/*
 * The route table: every URL the server answers, with what it needs
 * (a store connection, a rate-limit token) and who may call it: each
 * route says ROUTE_ADMIN (the admin token) or ROUTE_PUBLIC (anyone who
 * reaches the server), never neither -- tests/unit/test_serve_routes.c
 * fails on a route that does not say, and t0152 calls every admin route
 * without the token and with a wrong one.
 */
#ifndef SERVE_ROUTES_H
#define SERVE_ROUTES_H

#include <stddef.h>
#include <stdio.h>

#include "serve/server.h"

enum route_flags {
	ROUTE_STORE = 1 << 0,  /* borrow a store connection */
	ROUTE_RATED = 1 << 1,  /* counts against the client's rate limit */
	ROUTE_ADMIN = 1 << 2,  /* needs "Authorization: Bearer <token>" */
	ROUTE_PUBLIC = 1 << 3, /* needs no token: a decision, not an omission */
	ROUTE_INLINE = 1 << 4, /* never waits: answered on the thread that read it */
	ROUTE_SHED = 1 << 5,   /* real work: refused (503) while the server is short of memory */
};

struct route {
	const char *method;
	const char *pattern; /* "/api/runs/{id}": {id} is a positive integer, {name} a name */
	handler_fn handle;
	unsigned flags;
};

extern const struct route routes[];
extern const int nroutes;
/* For metrics: each route's pattern, then "static" and "unmatched". */
extern const char *const route_names[];
#define ROUTE_STATIC    nroutes
#define ROUTE_UNMATCHED (nroutes + 1)

/*
 * The route for `method` and `path`: its index, with *id set for {id};
 * -1 when no route has this path; -2 when some do, but not for this
 * method (`allow` lists theirs, "GET, HEAD").
 */
int route_match(const char *method, const char *path, long long *id, char *allow, size_t allow_len);

/* The length of a deployment's name at the start of `s` (a {name} in a path), or 0. */
size_t route_name_len(const char *s);

/*
 * Print the table, one route a line: "METHOD PATTERN admin|public|none"
 * ("none": a route that decided nothing, a bug the tests catch).  For
 * `ragops serve --list-routes`.
 */
void routes_print(FILE *out);

/* --- handlers (api_*.c) --- */
void api_ask(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_feedback_post(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_feedback_list(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_feedback_export(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_runs(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_run_start(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_run(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_documents(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_summary(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_releases(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_release(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_release_promote(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_rollback(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_retrain_status(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_retrain_start(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_retraining(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_deployments(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_deployment(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_deployment_run(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_deployment_pause(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_healthz(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_readyz(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_health(struct server_ctx *ctx, const struct request *rq, struct reply *rp);
void api_prometheus(struct server_ctx *ctx, const struct request *rq, struct reply *rp);

#endif

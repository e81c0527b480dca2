/*
 * What ragops serve does when it is short of memory (its reserve is spent,
 * core/mem_reserve.h): the routes that do real work (ROUTE_SHED: ask,
 * feedback, admin writes) answer 503 with Retry-After, /readyz says not
 * ready, /health degraded, /metrics counts it, the log says when it
 * starts and ends; /healthz, the pages and the reads go on.  A request
 * whose own allocations failed for good (SQLite's SQLITE_NOMEM) and that
 * did not succeed gets 503 "out of memory" whatever its handler said.
 */
#ifndef SERVE_MEMORY_PRESSURE_H
#define SERVE_MEMORY_PRESSURE_H

#include "core/strbuf.h"
#include "ops/health.h"
#include "serve/server.h"

/* Seconds a client is asked to wait (Retry-After) while memory is short. */
#define MEMORY_RETRY_AFTER 5

/*
 * A request that came while the server was short of memory, to a route
 * that needs memory: 1 when it may go on (the reserve was mapped again),
 * 0 after replying 503.
 */
int memory_admit(const struct request *rq, struct reply *rp);

/*
 * After a handler: when `unrecovered` allocations failed for good on its
 * thread and its reply is not a success, replace the reply by 503 "out of
 * memory" (keeping what the handler said).
 */
void memory_after_handler(struct reply *rp, unsigned unrecovered);

/* Log the reserve given back or mapped again since the last call (serve.log). */
void memory_log_changes(struct server *srv);

/* The "memory" check of /health: degraded while the reserve is spent. */
void memory_health_check(struct health_report *r);

/* The memory lines of /metrics. */
void memory_metrics(struct strbuf *out);

#endif

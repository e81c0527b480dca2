/*
 * What the server keeps while it runs; for the handlers that report on the
 * server itself (/metrics).
 */
#ifndef SERVE_SERVER_STATE_H
#define SERVE_SERVER_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/mem_reserve.h"
#include "core/strbuf.h"
#include "ops/health.h"
#include "ops/retrain_policy.h"
#include "serve/conn_guard.h"
#include "serve/server.h"

struct pending;

struct server {
	const struct config *cfg;
	const char *token; /* admin bearer token; NULL: admin routes off */
	int loopback;      /* listening on a loopback address only */
	struct store_pool *pool;
	struct rate_limit *limits;
	struct http_stats *stats;
	struct conn_guard *guard;            /* request deadlines, connection budget */
	pthread_mutex_t health_lock;         /* guards the three below */
	pthread_cond_t health_done;          /* a report was made */
	struct health_report health;         /* the last report, reused for a few seconds */
	double health_at;                    /* time_mono() of the report, 0: none yet */
	int health_running;                  /* a request is making a new one (outside the lock) */
	struct server_commands commands;     /* the ragops commands it starts (NULL ones: none) */
	struct scheduler *scheduler;         /* the deployments' scheduler thread, or NULL */
	struct inbox_watcher *inbox_watcher; /* watch.serve's thread, or NULL */
	pthread_mutex_t run_lock;            /* guards run_pid, retrain_pid and probing run.lock */
	pid_t run_pid;                       /* the last run started, 0 for none */
	pid_t retrain_pid;                   /* the last retraining started, 0 for none */
	/* Requests waiting for a handler thread (server.c). */
	pthread_mutex_t jobs_lock; /* guards the queue, jobs_stopping and nhandlers */
	pthread_cond_t jobs_ready; /* a request was queued, or stopping */
	struct pending *jobs_head, *jobs_tail;
	int jobs_stopping;    /* queue no more: answer on libmicrohttpd's thread */
	_Atomic int draining; /* stopping: requests begun since are refused, connections closed */
	pthread_t *handlers;
	unsigned nhandlers;                     /* 0: not started (tests call server_handle) */
	pthread_mutex_t policy_lock;            /* guards the three below */
	struct retrain_policy policy;           /* the last verdict of the retraining policy */
	long long policy_key[3];                /* what it was computed on (see server_retrain_policy) */
	double policy_at;                       /* time_mono() of the verdict, 0: none yet */
	pthread_mutex_t memory_lock;            /* guards memory_logged */
	struct mem_reserve_stats memory_logged; /* the reserve's counts as last logged */
};

/*
 * Everything but the listening socket: the store pool, rate limits,
 * counters, locks.  `commands` as for server_run (NULL in tests that
 * start nothing).  0, or -1 with the reason in `err`; then server_close
 * is still called.  For server_run and for the unit tests, which call
 * server_handle on a server opened this way.
 */
int server_open(struct server *srv, const struct config *cfg, const struct server_commands *commands,
		struct strbuf *err);
void server_close(struct server *srv);

/*
 * The retraining policy (GET /api/retrain, /metrics), reused for a minute
 * while the newest feedback, the release in production and the last
 * retraining stay the same: its feedback_eval rule asks production every
 * feedback question, which can take a second.  0, or -1 when the store
 * failed.  In api_retrain.c.
 */
int server_retrain_policy(struct server *srv, struct store *st, struct retrain_policy *out,
			  struct strbuf *err);
/*
 * Whether a run or a retraining is going in the data folder (one this
 * server started that has not taken run.lock yet, or any holder of the
 * lock), saying which in `why`.  The caller holds run_lock.  In
 * api_retrain.c.
 */
int server_job_busy(struct server *srv, struct strbuf *why);
/*
 * Start `argv` as a child logging to <data>/<log_name>, unless a run or a
 * retraining holds the data folder; its pid (also in *slot), or -1 with
 * the reply (409 busy, 500) already given.
 */
struct server_ctx;
struct reply;
pid_t server_job_start(struct server_ctx *ctx, char *const *argv, const char *log_name, pid_t *slot,
		       struct reply *rp);

/*
 * The health report of GET /health, made again at most every few seconds
 * whoever asks (a request, the scheduler); its age in seconds.  In api_ops.c.
 */
struct health_report;
double server_health(struct server *srv, struct store *st, struct health_report *r);

/* 413, naming serve.max_body: for a body refused as it comes or once read. */
void reply_too_large(struct server *srv, struct reply *rp);

#endif

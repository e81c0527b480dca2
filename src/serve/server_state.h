/*
 * What the server keeps while it runs; for the handlers that report on the
 * server itself (/metrics).
 */
#ifndef SERVE_SERVER_STATE_H
#define SERVE_SERVER_STATE_H

#include <pthread.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "ops/health.h"
#include "ops/retrain_policy.h"

struct server {
	const struct config *cfg;
	const char *token;		/* admin bearer token; NULL: admin routes off */
	int loopback;			/* listening on a loopback address only */
	struct store_pool *pool;
	struct rate_limit *limits;
	struct http_stats *stats;
	pthread_mutex_t health_lock;	/* guards the two below */
	struct health_report health;	/* the last report, reused for a few seconds */
	double health_at;		/* time_mono() of the report, 0: none yet */
	char *const *run_argv;		/* `ragops ... run` as POST /api/runs starts it */
	char *const *retrain_argv;	/* `ragops ... retrain run` as POST /api/retrain starts it */
	pthread_mutex_t run_lock;	/* guards run_pid, retrain_pid and probing run.lock */
	pid_t run_pid;			/* the last run started, 0 for none */
	pid_t retrain_pid;		/* the last retraining started, 0 for none */
	pthread_mutex_t policy_lock;	/* guards the three below */
	struct retrain_policy policy;	/* the last verdict of the retraining policy */
	long long policy_key[3];	/* what it was computed on (see server_retrain_policy) */
	double policy_at;		/* time_mono() of the verdict, 0: none yet */
};

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
pid_t server_job_start(struct server_ctx *ctx, char *const *argv, const char *log_name,
		       pid_t *slot, struct reply *rp);

#endif

/*
 * What the server keeps while it runs; for the handlers that report on the
 * server itself (/metrics).
 */
#ifndef SERVE_SERVER_STATE_H
#define SERVE_SERVER_STATE_H

#include <pthread.h>
#include <sys/types.h>

#include "core/config.h"
#include "ops/health.h"

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
	pthread_mutex_t run_lock;	/* guards run_pid */
	pid_t run_pid;			/* the last run started, 0 for none */
};

#endif

/*
 * The scheduler thread (see scheduler.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/strutil.h"
#include "core/timeutil.h"
#include "core/timezone.h"
#include "core/xalloc.h"
#include "ops/deployment.h"
#include "ops/health.h"
#include "ops/notify.h"
#include "ops/retention.h"
#include "pipeline/heartbeat.h"
#include "ops/schedule.h"
#include "serve/run_trigger.h"
#include "serve/scheduler.h"
#include "serve/server_state.h"
#include "serve/store_pool.h"

/* Deployments are read again at least this often: one created or paused meanwhile is seen. */
#define RELOAD_MS     5000
#define SCHEDULER_LOG "logs/runs-started-by-scheduler.log"
/* A server that only answers questions still lets its old history go (ops/retention.h). */
#define RETENTION_EVERY_MS (24LL * 3600 * 1000)
/* Health is looked at this often, for notifications when it changes. */
#define HEALTH_EVERY_MS (60 * 1000)
/* Without deployments to run (flow.scheduler: false) the thread wakes this often. */
#define HOUSEKEEPING_MS (60 * 1000)

/* A time that fell due while a run held the data folder, waiting (overlap: queue). */
struct queued {
	char *name;
	long long at;
};

struct scheduler {
	struct server *srv;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
	long long skew_ms;       /* RAGOPS_SCHEDULER_SKEW_MS: the tests' clock, shifted */
	long long retention_due; /* wall ms of the next retention pass */
	int runs_deployments;    /* flow.scheduler: else only the housekeeping (retention, reaping) */
	long long health_due;    /* wall ms of the next health check (notifications) */
	int health;              /* enum health_status seen last, -1 before the first */
	struct queued *queue;
	size_t nqueue;
};

static long long now_ms(const struct scheduler *s)
{
	return time_now_ms() + s->skew_ms;
}

static struct queued *queued_for(struct scheduler *s, const char *name)
{
	for (size_t i = 0; i < s->nqueue; i++)
		if (!strcmp(s->queue[i].name, name))
			return &s->queue[i];
	return NULL;
}

static void unqueue(struct scheduler *s, struct queued *q)
{
	free(q->name);
	*q = s->queue[--s->nqueue];
}

static void record_skipped(const struct config *cfg, struct store *st, const struct deployment *d,
			   long long at, const char *reason)
{
	struct strbuf err = STRBUF_INIT;
	struct run_origin origin = { "deployment", d->name, at };
	long long id = store_run_skipped(st, &origin, d->params, reason, &err);
	if (id > 0)
		notify_run(st, cfg, id);
	if (id < 0)
		log_event(LOG_ERROR, 0, NULL, "scheduler", "deployment %s: %s", d->name, err.buf);
	else
		log_event(LOG_WARNING, 0, NULL, "scheduler", "deployment %s: skipped: %s", d->name,
			  reason);
	strbuf_release(&err);
}

char **scheduler_command(const struct server *srv, const char *name, const char *scheduled_for)
{
	size_t n = 0;
	while (srv->commands.deployment[n])
		n++;
	char **argv = xcalloc(n + 4, sizeof(char *));
	memcpy(argv, srv->commands.deployment, n * sizeof(char *));
	argv[n] = (char *)name;
	if (scheduled_for) {
		argv[n + 1] = "--scheduled-for";
		argv[n + 2] = (char *)scheduled_for;
	}
	return argv;
}

/* Claim scheduled time `at` and record it skipped: another server may have done it already. */
static void skip(const struct config *cfg, struct store *st, const struct deployment *d, long long at,
		 const char *reason)
{
	struct strbuf err = STRBUF_INIT;
	int claimed = store_deployment_claim(st, d->name, at, &err);
	if (claimed > 0)
		record_skipped(cfg, st, d, at, reason);
	else if (claimed < 0)
		log_event(LOG_ERROR, 0, NULL, "scheduler", "deployment %s: %s", d->name, err.buf);
	strbuf_release(&err);
}

/*
 * Claim scheduled time `at` (another server may have) and start the run;
 * a time that cannot start is recorded as skipped.  Under srv->run_lock,
 * with the data folder free.
 */
static void start_run(struct scheduler *s, struct store *st, const struct deployment *d, long long at)
{
	struct server *srv = s->srv;
	struct strbuf err = STRBUF_INIT;
	int claimed = store_deployment_claim(st, d->name, at, &err);
	if (claimed <= 0) {
		if (claimed < 0)
			log_event(LOG_ERROR, 0, NULL, "scheduler", "deployment %s: %s", d->name,
				  err.buf);
		strbuf_release(&err);
		return;
	}
	char when[32];
	snprintf(when, sizeof(when), "%lld", at);
	char **argv = scheduler_command(srv, d->name, when);
	char *log = xasprintf("%s/%s", srv->cfg->data_dir, SCHEDULER_LOG);
	pid_t pid = run_trigger_spawn(argv, log, &err);
	if (pid > 0) {
		srv->run_pid = pid;
		log_event(LOG_INFO, 0, NULL, "scheduler", "deployment %s: run started (pid %ld)",
			  d->name, (long)pid);
	} else {
		record_skipped(s->srv->cfg, st, d, at, err.buf);
	}
	free(log);
	free(argv);
	strbuf_release(&err);
}

/* One deployment's turn: what is due runs, waits or is skipped.  The next time it wants. */
static long long tend(struct scheduler *s, struct store *st, const struct deployment *d, long long now)
{
	struct server *srv = s->srv;
	struct schedule_step step;
	struct strbuf err = STRBUF_INIT, why = STRBUF_INIT;
	struct queued *q = queued_for(s, d->name);
	long long max_late = parse_duration_ms(srv->cfg->flow.max_lateness);
	long long from = q && q->at > d->handled_through ? q->at : d->handled_through;
	if (schedule_step(d, from, now, max_late, &step, &err)) {
		log_event(LOG_ERROR, 0, NULL, "scheduler", "deployment %s: %s", d->name, err.buf);
		strbuf_release(&err);
		return 0;
	}
	if (step.nskipped) {
		char reason[512];
		if (step.nskipped > 1)
			snprintf(reason, sizeof(reason), "%lld scheduled times %s", step.nskipped,
				 step.reason);
		else
			snprintf(reason, sizeof(reason), "%s", step.reason);
		skip(s->srv->cfg, st, d, step.skipped_last, reason);
	}
	pthread_mutex_lock(&srv->run_lock);
	int busy = server_job_busy(srv, &why);
	if (q && !busy) {
		long long late = now - q->at;
		if (late > max_late) {
			char reason[512];
			snprintf(reason, sizeof(reason),
				 "queued behind another run for %lld min, past flow.max_lateness",
				 late / 60000);
			skip(s->srv->cfg, st, d, q->at, reason);
		} else {
			start_run(s, st, d, q->at);
			busy = 1;
		}
		unqueue(s, q);
		q = NULL;
	}
	if (step.run_at) {
		if (!busy) {
			start_run(s, st, d, step.run_at);
		} else {
			char reason[512];
			int queue = !strcmp(d->overlap, "queue") && !q;
			if (queue) {
				s->queue = xrealloc(s->queue, (s->nqueue + 1) * sizeof(*s->queue));
				s->queue[s->nqueue++] = (struct queued){ xstrdup(d->name), step.run_at };
				log_event(LOG_INFO, 0, NULL, "scheduler",
					  "deployment %s: queued behind another run: %s", d->name,
					  why.buf);
			} else {
				snprintf(reason, sizeof(reason), "%s (overlap: %s)", why.buf,
					 q ? "queue, and one is already waiting" : d->overlap);
				skip(s->srv->cfg, st, d, step.run_at, reason);
			}
		}
	}
	pthread_mutex_unlock(&srv->run_lock);
	strbuf_release(&err);
	strbuf_release(&why);
	/* A queued run is looked at again soon; otherwise at its next time. */
	return queued_for(s, d->name) ? now + 1000 : step.wake_at;
}

static void prune_history(struct scheduler *s, struct store *st)
{
	long long now = time_now_ms();
	if (now < s->retention_due)
		return;
	s->retention_due = now + RETENTION_EVERY_MS;
	struct strbuf err = STRBUF_INIT;
	retention_housekeeping(st, s->srv->cfg, 0, &err);
	strbuf_release(&err);
}

/* Notify when health turns degraded or down, or comes back (a server starting unwell says so too). */
static void watch_health(struct scheduler *s, struct store *st)
{
	const struct config *cfg = s->srv->cfg;
	long long now = time_now_ms();
	if (!notify_enabled(cfg) || now < s->health_due)
		return;
	s->health_due = now + HEALTH_EVERY_MS;
	struct health_report r;
	server_health(s->srv, st, &r);
	int previous = s->health;
	s->health = (int)r.overall;
	if ((int)r.overall == previous || (previous < 0 && r.overall == HEALTH_OK))
		return;
	struct strbuf text = STRBUF_INIT;
	strbuf_addf(&text, "ragops: health %s", health_status_name(r.overall));
	if (previous >= 0)
		strbuf_addf(&text, " (was %s)", health_status_name((enum health_status)previous));
	for (int i = 0; i < r.n; i++)
		if (r.checks[i].status >= HEALTH_DEGRADED)
			strbuf_addf(&text, "; %s: %s", r.checks[i].name, r.checks[i].message);
	char event[32];
	snprintf(event, sizeof(event), "health_%s", health_status_name(r.overall));
	notify_event(cfg, event, text.buf, json_pack("{s:o}", "health", health_to_json(&r)));
	strbuf_release(&text);
}

/* One pass over the deployments; the time of the next pass. */
static long long pass(struct scheduler *s)
{
	struct strbuf err = STRBUF_INIT;
	struct deployment *ds = NULL;
	size_t n = 0;
	long long now = now_ms(s), soonest = now + RELOAD_MS;
	struct store *st = store_pool_get(s->srv->pool);
	/* A dead or silent run holds no deployment's turn (overlap) past its heartbeat. */
	if (heartbeat_reap(st, s->srv->cfg, &err) < 0) {
		log_event(LOG_WARNING, 0, NULL, "scheduler", "%s", err.buf);
		strbuf_reset(&err);
	}
	if (!s->runs_deployments) {
		soonest = now + HOUSEKEEPING_MS;
	} else if (store_deployments_list(st, &ds, &n, &err)) {
		log_event(LOG_ERROR, 0, NULL, "scheduler", "%s", err.buf);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (ds[i].paused)
				continue;
			long long next = tend(s, st, &ds[i], now);
			if (next && next < soonest)
				soonest = next;
		}
	}
	prune_history(s, st);
	watch_health(s, st);
	store_pool_put(s->srv->pool, st);
	deployments_free(ds, n);
	strbuf_release(&err);
	return soonest;
}

static void *scheduler_main(void *arg)
{
	struct scheduler *s = arg;
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->lock);
		long long next = pass(s) - s->skew_ms;
		pthread_mutex_lock(&s->lock);
		struct timespec until = { (time_t)(next / 1000), (long)(next % 1000) * 1000000L };
		while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int scheduler_start(struct server *srv)
{
	if (!srv->commands.deployment)
		return 0;
	struct scheduler *s = xcalloc(1, sizeof(*s));
	const char *skew = getenv("RAGOPS_SCHEDULER_SKEW_MS");
	s->srv = srv;
	s->skew_ms = skew ? strtoll(skew, NULL, 10) : 0;
	s->runs_deployments = !strcmp(srv->cfg->flow.scheduler, "true");
	s->health = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL); /* CLOCK_REALTIME: scheduled times are wall times */
	if (pthread_create(&s->thread, NULL, scheduler_main, s)) {
		log_event(LOG_ERROR, 0, NULL, "scheduler", "cannot start the scheduler thread");
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->wake);
		free(s);
		return -1;
	}
	srv->scheduler = s;
	if (s->runs_deployments)
		log_event(LOG_INFO, 0, NULL, "scheduler", "started (tz database %s)", tz_data_version());
	return 0;
}

void scheduler_stop(struct server *srv)
{
	struct scheduler *s = srv->scheduler;
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < s->nqueue; i++)
		free(s->queue[i].name);
	free(s->queue);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
	srv->scheduler = NULL;
}

int scheduler_runs_deployments(const struct server *srv)
{
	return srv->scheduler && srv->scheduler->runs_deployments;
}

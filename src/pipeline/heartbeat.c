/*
 * A run's heartbeat; see heartbeat.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/strutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "ops/notify.h"
#include "pipeline/heartbeat.h"

struct heartbeat {
	struct store *st;
	long long run_id, interval_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
};

static void *beat(void *arg)
{
	struct heartbeat *hb = arg;
	struct strbuf err = STRBUF_INIT;
	int failing = 0;
	pthread_mutex_lock(&hb->lock);
	while (!hb->stopping) {
		long long until = time_now_ms() + hb->interval_ms;
		struct timespec ts = { (time_t)(until / 1000), (long)(until % 1000) * 1000000L };
		while (!hb->stopping && pthread_cond_timedwait(&hb->wake, &hb->lock, &ts) != ETIMEDOUT)
			;
		if (hb->stopping)
			break;
		pthread_mutex_unlock(&hb->lock);
		strbuf_reset(&err);
		/* A busy store (a long write of the run's) is tried again at the next beat. */
		int rc = store_run_heartbeat(hb->st, hb->run_id, &err);
		if (rc && !failing++)
			log_event(LOG_WARNING, hb->run_id, NULL, "heartbeat", "%s", err.buf);
		else if (!rc)
			failing = 0;
		pthread_mutex_lock(&hb->lock);
	}
	pthread_mutex_unlock(&hb->lock);
	strbuf_release(&err);
	return NULL;
}

static long long timeout_ms(const struct config *cfg)
{
	return parse_duration_ms(cfg->flow.heartbeat_timeout);
}

struct heartbeat *heartbeat_start(const struct config *cfg, long long run_id)
{
	struct heartbeat *hb = xcalloc(1, sizeof(*hb));
	struct strbuf err = STRBUF_INIT;
	/* Four beats per timeout: one missed beat (a busy store) is no crash. */
	hb->interval_ms = timeout_ms(cfg) / 4;
	if (hb->interval_ms < 100)
		hb->interval_ms = 100;
	hb->run_id = run_id;
	if (store_open(&hb->st, cfg->data_dir, &err)) {
		log_event(LOG_WARNING, run_id, NULL, "heartbeat", "cannot start: %s", err.buf);
		strbuf_release(&err);
		free(hb);
		return NULL;
	}
	strbuf_release(&err);
	pthread_mutex_init(&hb->lock, NULL);
	pthread_cond_init(&hb->wake, NULL);
	if (pthread_create(&hb->thread, NULL, beat, hb)) {
		log_event(LOG_WARNING, run_id, NULL, "heartbeat", "cannot start its thread");
		store_close(&hb->st);
		pthread_mutex_destroy(&hb->lock);
		pthread_cond_destroy(&hb->wake);
		free(hb);
		return NULL;
	}
	return hb;
}

void heartbeat_stop(struct heartbeat **phb)
{
	struct heartbeat *hb = *phb;
	if (!hb)
		return;
	pthread_mutex_lock(&hb->lock);
	hb->stopping = 1;
	pthread_cond_signal(&hb->wake);
	pthread_mutex_unlock(&hb->lock);
	pthread_join(hb->thread, NULL);
	store_close(&hb->st);
	pthread_mutex_destroy(&hb->lock);
	pthread_cond_destroy(&hb->wake);
	free(hb);
	*phb = NULL;
}

int heartbeat_reap(struct store *st, const struct config *cfg, struct strbuf *err)
{
	long long since = time_now_ms();
	int reaped = store_runs_reap(st, since - timeout_ms(cfg), err);
	if (reaped <= 0 || !notify_enabled(cfg))
		return reaped;
	/* Those it just found crashed: the newest runs, ended from `since` on. */
	struct run_record *runs = NULL;
	size_t n = 0;
	struct strbuf ignored = STRBUF_INIT;
	if (!store_runs_list(st, 100, &runs, &n, &ignored))
		for (size_t i = 0; i < n; i++)
			if (!strcmp(runs[i].state, "crashed") && runs[i].ended_at >= since)
				notify_run(st, cfg, runs[i].id);
	run_records_free(runs, n);
	strbuf_release(&ignored);
	return reaped;
}

/*
 * A run's heartbeat; see heartbeat.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/strutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "ops/notify.h"
#include "pipeline/heartbeat.h"

struct heartbeat {
	struct store *st;
	char *file; /* <data>/heartbeats/run-N, touched at every beat */
	long long run_id, interval_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
};

static char *beat_file(const char *data_dir, long long run_id)
{
	return xasprintf("%s/heartbeats/run-%lld", data_dir, run_id);
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		futimens(fd, NULL);
		close(fd);
	}
}

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
		/*
		 * The file first: the store may be busy with a long write of the
		 * run's own, and the beat must not wait for it (a short busy
		 * timeout on this connection; the next beat tries again).
		 */
		touch(hb->file);
		int rc = store_run_heartbeat(hb->st, hb->run_id, &err);
		/* One beat missed is the run's own writes holding the store (a group of saves): said at the second. */
		if (rc && ++failing == 2)
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
	char *dir = xasprintf("%s/heartbeats", cfg->data_dir);
	mkdir_p(dir);
	free(dir);
	hb->file = beat_file(cfg->data_dir, run_id);
	touch(hb->file);
	if (store_open(&hb->st, config_store_location(cfg), &err)) {
		log_event(LOG_WARNING, run_id, NULL, "heartbeat", "cannot start: %s", err.buf);
		strbuf_release(&err);
		unlink(hb->file);
		free(hb->file);
		free(hb);
		return NULL;
	}
	strbuf_release(&err);
	store_set_busy_timeout(hb->st, 100);
	pthread_mutex_init(&hb->lock, NULL);
	pthread_cond_init(&hb->wake, NULL);
	if (pthread_create(&hb->thread, NULL, beat, hb)) {
		log_event(LOG_WARNING, run_id, NULL, "heartbeat", "cannot start its thread");
		store_close(&hb->st);
		unlink(hb->file);
		free(hb->file);
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
	unlink(hb->file);
	free(hb->file);
	pthread_mutex_destroy(&hb->lock);
	pthread_cond_destroy(&hb->wake);
	free(hb);
	*phb = NULL;
}

/*
 * A run whose file was touched within the timeout beats, whatever its row
 * says (the store was busy).  By this machine's clock, as the file's time:
 * silent_before is the store's.
 */
static int file_beats(long long run_id, long long silent_before, void *ctx)
{
	(void)silent_before;
	const struct config *cfg = ctx;
	char *path = beat_file(cfg->data_dir, run_id);
	struct stat sb;
	int fresh = !stat(path, &sb) &&
		    (long long)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000 >=
			    time_now_ms() - timeout_ms(cfg);
	free(path);
	return fresh;
}

int heartbeat_reap(struct store *st, const struct config *cfg, struct strbuf *err)
{
	long long now;
	if (store_clock_ms(st, &now, err))
		return -1;
	struct runs_reap r = { .silent_before = now - timeout_ms(cfg),
			       .still_alive = file_beats,
			       .ctx = (void *)cfg };
	int reaped = store_runs_reap(st, &r, err);
	for (int i = 0; i < r.ncrashed; i++) {
		char *path = beat_file(cfg->data_dir, r.crashed[i]);
		unlink(path);
		free(path);
		notify_run(st, cfg, r.crashed[i]);
	}
	return reaped;
}

/*
 * The inbox watcher of ragops serve; see inbox_watcher.h.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strutil.h"
#include "core/xalloc.h"
#include "pipeline/watch.h"
#include "serve/inbox_watcher.h"
#include "serve/run_trigger.h"
#include "serve/server_state.h"
#include "serve/store_pool.h"

#define WATCHER_LOG "logs/runs-started-by-watcher.log"
/* A batch that found the data folder busy is tried again after this. */
#define BUSY_RETRY_MS 10000

struct inbox_watcher {
	struct server *srv;
	struct watcher *watch;
	char **argv; /* the server's run command, trigger "watch" */
	int stop[2]; /* written to stop the thread */
	pthread_t thread;
};

/* The server's `ragops ... run --trigger api`, as `... --trigger watch`. */
static char **watch_command(char *const *run)
{
	size_t n = 0;
	while (run[n])
		n++;
	char **argv = xcalloc(n + 1, sizeof(char *));
	memcpy(argv, run, n * sizeof(char *));
	if (n >= 2 && !strcmp(argv[n - 2], "--trigger"))
		argv[n - 1] = "watch";
	return argv;
}

/* Start a run unless the data folder is busy: 1 started, 0 busy, -1 failed (logged). */
static int start_run(struct inbox_watcher *iw)
{
	struct server *srv = iw->srv;
	struct strbuf why = STRBUF_INIT;
	int ret = 0;
	pthread_mutex_lock(&srv->run_lock);
	if (!server_job_busy(srv, &why)) {
		char *log = xasprintf("%s/%s", srv->cfg->data_dir, WATCHER_LOG);
		pid_t pid = run_trigger_spawn(iw->argv, log, &why);
		free(log);
		if (pid > 0) {
			srv->run_pid = pid;
			ret = 1;
		} else {
			log_event(LOG_ERROR, 0, NULL, "watch", "cannot start a run: %s", why.buf);
			ret = -1;
		}
	}
	pthread_mutex_unlock(&srv->run_lock);
	strbuf_release(&why);
	return ret;
}

static void *watch_main(void *arg)
{
	struct inbox_watcher *iw = arg;
	long long debounce = parse_duration_ms(iw->srv->cfg->watch.debounce);
	struct strbuf err = STRBUF_INIT;
	for (;;) {
		struct watch_batch b;
		strbuf_reset(&err);
		enum watch_result wr = watcher_wait(iw->watch, debounce, iw->stop[0], &b, &err);
		if (wr == WATCH_STOPPED)
			break;
		if (wr == WATCH_FAILED) {
			log_event(LOG_ERROR, 0, NULL, "watch", "%s: the inbox is no longer watched",
				  err.buf);
			break;
		}
		int started = start_run(iw);
		if (started > 0)
			log_event(LOG_INFO, 0, NULL, "watch", "%zu change%s (%s): run started",
				  b.changes, b.changes == 1 ? "" : "s",
				  b.example[0] ? b.example : "a rescan");
		else
			watcher_retry_in(iw->watch, BUSY_RETRY_MS); /* busy: the changes wait */
	}
	strbuf_release(&err);
	return NULL;
}

int inbox_watcher_start(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	if (strcmp(cfg->watch.serve, "true") || !srv->commands.run)
		return 0;
	/* The folders a run without --inbox takes: the configuration's, else the last run's. */
	char **last = NULL, *const *roots = cfg->inbox;
	size_t n = cfg->inbox_nr;
	if (!n) {
		struct store *st = store_pool_get(srv->pool);
		last = store_last_inbox(st);
		store_pool_put(srv->pool, st);
		for (n = 0; last && last[n]; n++)
			;
		roots = last;
	}
	struct inbox_watcher *iw = xcalloc(1, sizeof(*iw));
	struct strbuf err = STRBUF_INIT;
	int ret = -1;
	if (!n) {
		log_event(LOG_WARNING, 0, NULL, "watch",
			  "watch.serve: no inbox to watch (set 'inbox' in ragops.yaml, or run once)");
	} else if (pipe(iw->stop) || fcntl(iw->stop[0], F_SETFD, FD_CLOEXEC) ||
		   fcntl(iw->stop[1], F_SETFD, FD_CLOEXEC)) {
		log_event(LOG_ERROR, 0, NULL, "watch", "cannot make a pipe");
	} else if (watcher_open(&iw->watch, roots, n, cfg->data_dir, &err)) {
		log_event(LOG_ERROR, 0, NULL, "watch", "%s", err.buf);
	} else {
		iw->srv = srv;
		iw->argv = watch_command(srv->commands.run);
		if (pthread_create(&iw->thread, NULL, watch_main, iw)) {
			log_event(LOG_ERROR, 0, NULL, "watch", "cannot start the watcher thread");
		} else {
			srv->inbox_watcher = iw;
			log_event(LOG_INFO, 0, NULL, "watch", "watching %zu inbox folder%s", n,
				  n == 1 ? "" : "s");
			ret = 0;
		}
	}
	if (ret) {
		watcher_close(&iw->watch);
		free(iw->argv);
		if (iw->stop[0] > 0) {
			close(iw->stop[0]);
			close(iw->stop[1]);
		}
		free(iw);
	}
	if (last) {
		for (char **p = last; *p; p++)
			free(*p);
		free(last);
	}
	strbuf_release(&err);
	return ret;
}

void inbox_watcher_stop(struct server *srv)
{
	struct inbox_watcher *iw = srv->inbox_watcher;
	if (!iw)
		return;
	(void)!write(iw->stop[1], "x", 1);
	pthread_join(iw->thread, NULL);
	watcher_close(&iw->watch);
	close(iw->stop[0]);
	close(iw->stop[1]);
	free(iw->argv);
	free(iw);
	srv->inbox_watcher = NULL;
}

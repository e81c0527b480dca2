/*
 * ragops run --watch: a run now, then one after each batch of changes in
 * the inbox folders (pipeline/watch.h), until SIGINT or SIGTERM (see
 * cmd_catch_stop_signals: a run in progress ends "cancelled").
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/strutil.h"
#include "pipeline/run.h"
#include "pipeline/watch.h"

/* A run that could not be done (the data folder's lock held) is tried again after this. */
#define RETRY_MS 10000

int cmd_run_watch(struct app *app, const struct run_options *ro, int json)
{
	long long debounce = parse_duration_ms(app->cfg.watch.debounce);
	struct watcher *w = NULL;
	struct strbuf err = STRBUF_INIT;
	/* Watching starts before the first run: what lands during it makes the next one. */
	if (watcher_open(&w, ro->inbox, ro->ninbox, app->cfg.data_dir, &err)) {
		error("ragops run --watch: %s", err.buf);
		strbuf_release(&err);
		return EXIT_FATAL;
	}
	struct run_options watched = *ro;
	watched.trigger = "watch";
	int ret = EXIT_OK;
	for (;;) {
		int rc = cmd_run_pipeline(app, &watched, json, "ragops run --watch");
		watched.no_cache = 0; /* --no-cache and --refresh are for the first run only */
		watched.refresh = NULL;
		if (rc == EXIT_FATAL) {
			/* Said why (another run holds the data folder, say): tried again without a change. */
			ret = EXIT_FATAL;
			watcher_retry_in(w, RETRY_MS);
			if (!json)
				printf("the run could not be done: trying again in %d s, or at the next change\n",
				       RETRY_MS / 1000);
		} else {
			ret = EXIT_OK;
		}
		if (pipeline_stop_requested())
			break;
		if (!json)
			printf("watching %zu folder%s for changes (watch.debounce %s); Ctrl-C stops\n",
			       ro->ninbox, ro->ninbox == 1 ? "" : "s", app->cfg.watch.debounce);
		fflush(stdout);
		struct watch_batch b;
		enum watch_result wr = watcher_wait(w, debounce, cmd_stop_fd(), &b, &err);
		if (wr == WATCH_STOPPED)
			break;
		if (wr == WATCH_FAILED) {
			error("ragops run --watch: %s", err.buf);
			ret = EXIT_FATAL;
			break;
		}
		if (!json)
			printf("%zu change%s (%s%s)\n", b.changes, b.changes == 1 ? "" : "s",
			       b.example[0] ? b.example : "folders not watched",
			       b.overflowed ? "; events were lost: the run rescans everything" : "");
	}
	if (!json)
		printf("stopped watching\n");
	watcher_close(&w);
	strbuf_release(&err);
	return ret;
}

/*
 * ragops run --watch: a run now, then one after each batch of changes in
 * the inbox folders (pipeline/watch.h), until SIGINT or SIGTERM.  The
 * first signal lets a run in progress finish; a second one stops at once
 * (the next run completes the work, as after kill -9).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/strutil.h"
#include "pipeline/run.h"
#include "pipeline/watch.h"

static int stop_pipe[2] = { -1, -1 };
static volatile sig_atomic_t stop_signals;

static void on_stop_signal(int sig)
{
	int saved = errno;
	if (stop_signals++) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	static const char msg[] =
		"\nragops run --watch: stopping after the run in progress (again to stop now)\n";
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)!write(stop_pipe[1], "x", 1);
	errno = saved;
}

static int catch_stop_signals(void)
{
	if (pipe(stop_pipe))
		return -1;
	for (int i = 0; i < 2; i++)
		if (fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC) || fcntl(stop_pipe[i], F_SETFL, O_NONBLOCK))
			return -1;
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return 0;
}

int cmd_run_watch(struct app *app, const struct run_options *ro, int json)
{
	long long debounce = parse_duration_ms(app->cfg.watch.debounce);
	struct watcher *w = NULL;
	struct strbuf err = STRBUF_INIT;
	if (catch_stop_signals()) {
		error("ragops run --watch: cannot catch signals: %s", strerror(errno));
		return EXIT_FATAL;
	}
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
		if (rc == EXIT_FATAL)
			ret = EXIT_FATAL; /* said why; the next batch tries again */
		if (stop_signals)
			break;
		if (!json)
			printf("watching %zu folder%s for changes (watch.debounce %s); Ctrl-C stops\n",
			       ro->ninbox, ro->ninbox == 1 ? "" : "s", app->cfg.watch.debounce);
		fflush(stdout);
		struct watch_batch b;
		enum watch_result wr = watcher_wait(w, debounce, stop_pipe[0], &b, &err);
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

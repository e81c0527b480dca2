/*
 * Notifications, the side that raises them; see notify.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json.h"
#include "core/log.h"
#include "core/spawn.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "ops/notify.h"
#include "ops/run_report.h"

int notify_enabled(const struct config *cfg)
{
	return cfg->notify.slack[0] || cfg->notify.webhook[0] || cfg->notify.command[0];
}

/* The message and where it goes, as `ragops __notify` reads it. */
static json_t *message(const struct config *cfg, const char *event, const char *text, json_t *details)
{
	char when[40], host[256] = "";
	time_iso8601(time_now_ms(), when, sizeof(when));
	gethostname(host, sizeof(host) - 1);
	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "event", event, "text", text, "time", when,
				 "host", host, "data_dir", cfg->data_dir);
	if (details)
		json_object_update(body, details);
	json_decref(details);
	return json_pack("{s:o, s:{s:s, s:s, s:s, s:f, s:i, s:s}}", "body", body, "to", "slack",
			 cfg->notify.slack, "webhook", cfg->notify.webhook, "command",
			 cfg->notify.command, "timeout", cfg->notify.timeout, "retries",
			 (int)cfg->notify.retries, "log", cfg->data_dir);
}

/* Write it all to the child's stdin; it is small, and the child reads it at once. */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

void notify_event(const struct config *cfg, const char *event, const char *text, json_t *details)
{
	if (!notify_enabled(cfg)) {
		json_decref(details);
		return;
	}
	json_t *msg = message(cfg, event, text, details);
	char *payload = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	int fds[2];
	if (!payload || pipe(fds)) {
		log_event(LOG_WARNING, 0, NULL, "notify", "cannot notify %s: %s", event,
			  strerror(errno));
		free(payload);
		return;
	}
	/* Nothing of the caller's output: a $(ragops run) or a pipe reading it must not wait for it. */
	struct spawn_io io = { .stdin_fd = fds[0], .close_fd = fds[1], .out_path = NULL };
	char *argv[] = { "ragops", NOTIFY_COMMAND, NULL };
	struct strbuf why = STRBUF_INIT;
	pid_t pid = spawn_self(argv, &io, &why);
	int rc = pid < 0;
	close(fds[0]);
	if (rc) {
		log_event(LOG_WARNING, 0, NULL, "notify", "cannot start the notifier for %s: %s", event,
			  why.buf);
	} else {
		write_all(fds[1], payload, strlen(payload));
	}
	close(fds[1]);
	/* It forks the sender and exits at once: reaped here, no zombie left. */
	if (!rc)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	free(payload);
	strbuf_release(&why);
}

void notify_run(struct store *st, const struct config *cfg, long long run_id)
{
	static const char *const news[][2] = {
		{ "failed", "run_failed" },
		{ "completed_with_failures", "run_completed_with_failures" },
		{ "refused", "run_refused" },
		{ "cancelled", "run_cancelled" },
		{ "skipped", "run_skipped" },
		{ "crashed", "run_crashed" },
	};
	if (!notify_enabled(cfg))
		return;
	struct run_record run;
	struct strbuf err = STRBUF_INIT;
	if (store_run_get(st, run_id, &run, &err) != LOOKUP_FOUND) {
		strbuf_release(&err);
		return;
	}
	for (size_t i = 0; i < sizeof(news) / sizeof(news[0]); i++) {
		if (strcmp(run.state, news[i][0]))
			continue;
		char text[1024];
		snprintf(text, sizeof(text),
			 "ragops: run %lld%s%s %s: %lld documents seen, %lld new, %lld changed, %lld failed%s%s",
			 run.id, run.deployment ? " of deployment " : "",
			 run.deployment ? run.deployment : "", run.state, run.stats.docs_seen,
			 run.stats.docs_new, run.stats.docs_changed, run.stats.docs_failed,
			 run.error ? ": " : "", run.error ? run.error : "");
		notify_event(cfg, news[i][1], text, json_pack("{s:o}", "run", run_to_json(&run, 0)));
		break;
	}
	run_record_release(&run);
	strbuf_release(&err);
}

/*
 * `ragops __notify`: the side of notifications that sends them (see
 * notify.h).  It reads the message, detaches (the caller waits only for
 * that), and tries each target in turn; it never writes to the caller.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/http.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "ops/notify.h"

/* "https://hooks.slack.com/services/T0/B0/secret" -> "https://hooks.slack.com/...": logs keep no secret. */
static void redacted(const char *url, char *out, size_t len)
{
	const char *host = strstr(url, "://");
	host = host ? host + 3 : url;
	size_t n = strcspn(host, "/?#");
	const char *at = memchr(host, '@', n); /* user:password@ goes too */
	if (at) {
		n -= (size_t)(at + 1 - host);
		snprintf(out, len, "%.*s%.*s/...", (int)(host - url), url, (int)n, at + 1);
	} else {
		snprintf(out, len, "%.*s%.*s/...", (int)(host - url), url, (int)n, host);
	}
}

/* `text` with every occurrence of `url` written as `shown`. */
static void replace_url(const char *text, const char *url, const char *shown, struct strbuf *out)
{
	size_t n = strlen(url);
	for (const char *p = text, *hit; *p; p = hit + n) {
		hit = n ? strstr(p, url) : NULL;
		if (!hit) {
			strbuf_addstr(out, p);
			return;
		}
		strbuf_add(out, p, (size_t)(hit - p));
		strbuf_addstr(out, shown);
	}
}

static void post(const char *url, const char *body, double timeout, unsigned retries, const char *event)
{
	struct http_options ho = { "", timeout, retries };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	char shown[300];
	redacted(url, shown, sizeof(shown));
	if (http_post_json(url, body, &ho, &out, &err)) {
		/* The error names the URL: said again without its path. */
		struct strbuf why = STRBUF_INIT;
		replace_url(err.buf, url, shown, &why);
		log_event(LOG_WARNING, 0, NULL, "notify", "%s to %s failed: %s", event, shown, why.buf);
		strbuf_release(&why);
	} else {
		log_event(LOG_INFO, 0, NULL, "notify", "%s sent to %s", event, shown);
	}
	strbuf_release(&out);
	strbuf_release(&err);
}

/* The command, with the event in its environment, killed past the timeout. */
static void run_command(const char *command, json_t *body, double timeout, const char *event)
{
	char *event_json = json_dumps(body, JSON_COMPACT);
	json_t *run = json_object_get(body, "run");
	char run_id[32] = "";
	if (json_is_integer(json_object_get(run, "id")))
		snprintf(run_id, sizeof(run_id), "%lld",
			 (long long)json_integer_value(json_object_get(run, "id")));
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0); /* its own group: what it starts is killed with it at the timeout */
		setenv("RAGOPS_EVENT", event, 1);
		setenv("RAGOPS_TEXT", json_string_value(json_object_get(body, "text")), 1);
		setenv("RAGOPS_EVENT_JSON", event_json ? event_json : "{}", 1);
		setenv("RAGOPS_RUN_ID", run_id, 1);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	free(event_json);
	if (pid < 0) {
		log_event(LOG_WARNING, 0, NULL, "notify", "%s: cannot run notify.command: %s", event,
			  strerror(errno));
		return;
	}
	double deadline = time_mono() + timeout;
	int status = 0;
	pid_t done;
	while ((done = waitpid(pid, &status, WNOHANG)) == 0 && time_mono() < deadline)
		usleep(20000);
	if (done == 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		log_event(LOG_WARNING, 0, NULL, "notify", "%s: notify.command killed after %.0f s",
			  event, timeout);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		log_event(LOG_WARNING, 0, NULL, "notify", "%s: notify.command exited %d", event,
			  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
}

int notify_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	json_error_t jerr;
	json_t *msg = json_loadf(stdin, 0, &jerr);
	fclose(stdin);
	/* Detach: the caller waits for this process only, the sending goes on in its child. */
	pid_t pid = fork();
	if (pid != 0)
		_exit(pid < 0 ? 1 : 0);
	setsid();
	json_t *body = json_object_get(msg, "body"), *to = json_object_get(msg, "to");
	if (!json_is_object(body) || !json_is_object(to))
		_exit(1);
	const char *dir = json_string_value(json_object_get(to, "log"));
	char *log = xasprintf("%s/logs/pipeline.log", dir ? dir : ".");
	log_open(log, "info");
	free(log);
	const char *event = json_string_value(json_object_get(body, "event"));
	const char *slack = json_string_value(json_object_get(to, "slack"));
	const char *webhook = json_string_value(json_object_get(to, "webhook"));
	const char *command = json_string_value(json_object_get(to, "command"));
	double timeout = json_number_value(json_object_get(to, "timeout"));
	unsigned retries = (unsigned)json_integer_value(json_object_get(to, "retries"));
	event = event ? event : "event";
	if (slack && *slack) {
		json_t *text = json_pack("{s:O}", "text", json_object_get(body, "text"));
		char *s = json_dumps(text, JSON_COMPACT);
		post(slack, s, timeout, retries, event);
		free(s);
		json_decref(text);
	}
	if (webhook && *webhook) {
		char *s = json_dumps(body, JSON_COMPACT);
		post(webhook, s, timeout, retries, event);
		free(s);
	}
	if (command && *command)
		run_command(command, body, timeout, event);
	json_decref(msg);
	log_close();
	return 0;
}

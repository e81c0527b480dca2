/*
 * Structured pipeline log; see log.h.  Lines are written with one write()
 * each so concurrent processes appending to the same file do not interleave.
 */
#include "core/log.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "core/timeutil.h"

static int log_fd = -1;
static enum log_level min_level = LOG_INFO;
static int verbose;

static const char *const level_names[] = { "debug", "info", "warning", "error" };

int log_open(const char *path, const char *level_name)
{
	for (int i = 0; i < 4; i++)
		if (level_name && !strcmp(level_name, level_names[i]))
			min_level = (enum log_level)i;
	if (!path)
		return 0;
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return log_fd < 0 ? -1 : 0;
}

void log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void log_set_verbose(int v)
{
	verbose = v;
}

void log_event(enum log_level level, long long run_id, const char *doc, const char *stage,
	       const char *fmt, ...)
{
	if (level < min_level)
		return;
	struct strbuf msg = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);

	char when[40];
	time_iso8601(time_now_ms(), when, sizeof(when));
	if (log_fd >= 0) {
		json_t *o = json_object();
		json_object_set_new(o, "time", json_string(when));
		json_object_set_new(o, "level", json_string(level_names[level]));
		if (run_id > 0)
			json_object_set_new(o, "run", json_integer(run_id));
		if (doc)
			json_object_set_new(o, "doc", json_str(doc));
		if (stage)
			json_object_set_new(o, "stage", json_str(stage));
		json_object_set_new(o, "msg", json_str(msg.buf));
		char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		if (line) {
			size_t n = strlen(line);
			line[n] = '\n';
			ssize_t w = write(log_fd, line, n + 1);
			(void)w;
			free(line);
		}
	}
	if (level >= LOG_WARNING || verbose) {
		fprintf(stderr, "%s: ", level_names[level]);
		if (doc)
			fprintf(stderr, "%s: ", doc);
		if (stage)
			fprintf(stderr, "%s: ", stage);
		fprintf(stderr, "%s\n", msg.buf);
	}
	strbuf_release(&msg);
}

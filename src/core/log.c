/*
 * Structured pipeline log; see log.h.  Every line, in the file and on
 * stderr, is made whole in a buffer first and written with one write(),
 * under a lock: threads (OCR, embedding, the server's) never interleave
 * their lines, and concurrent processes appending to the same file do not
 * either.  (stderr lines were four fprintf calls and came out mixed.)
 */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
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
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

/* The whole line with one write() when the kernel takes it, the rest after. */
static void write_line(int fd, const char *buf, size_t len)
{
	pthread_mutex_lock(&write_lock);
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* nowhere to say so */
		buf += w;
		len -= (size_t)w;
	}
	pthread_mutex_unlock(&write_lock);
}

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
			line[n] = '\n'; /* over the NUL: written by length */
			write_line(log_fd, line, n + 1);
			free(line);
		}
	}
	if (level >= LOG_WARNING || verbose) {
		struct strbuf line = STRBUF_INIT;
		/* Names and messages may carry a file's name: made printable. */
		strbuf_addf(&line, "%s: ", level_names[level]);
		if (doc) {
			strbuf_add_printable(&line, doc);
			strbuf_addstr(&line, ": ");
		}
		if (stage)
			strbuf_addf(&line, "%s: ", stage);
		strbuf_add_printable(&line, msg.buf);
		strbuf_addch(&line, '\n');
		/* Whatever stdio still holds for stderr goes first, to keep the order. */
		fflush(stderr);
		write_line(STDERR_FILENO, line.buf, line.len);
		strbuf_release(&line);
	}
	strbuf_release(&msg);
}

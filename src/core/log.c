/*
 * Structured pipeline log; see log.h.  Every line, in the file and on
 * stderr, is made whole in a buffer first and written with one write(),
 * under a lock: threads (OCR, embedding, the server's) never interleave
 * their lines, and concurrent processes appending to the same file do not
 * either.  (stderr lines were four fprintf calls and came out mixed.)
 *
 * Rotation: past log.max_size the file becomes FILE.1 (FILE.1 becomes
 * FILE.2, ... up to log.keep) and a new FILE starts.  Several processes
 * append to one file (serve, the runs it starts, a run by hand): the one
 * that rotates holds an flock on the file while it renames, and the others
 * notice that the name now holds another file and open it, rather than
 * rotating again what was just rotated.
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
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "core/timeutil.h"

static int log_fd = -1;
static char *log_path;
static unsigned long long rotate_size; /* 0: never */
static unsigned rotate_keep;
static enum log_level min_level = LOG_INFO;
static int verbose;

static const char *const level_names[] = { "debug", "info", "warning", "error" };
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

/* The whole line with one write() when the kernel takes it, the rest after; under write_lock. */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* nowhere to say so */
		buf += w;
		len -= (size_t)w;
	}
}

static int open_log_file(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

int log_open(const char *path, const char *level_name)
{
	for (int i = 0; i < 4; i++)
		if (level_name && !strcmp(level_name, level_names[i]))
			min_level = (enum log_level)i;
	if (!path)
		return 0;
	log_fd = open_log_file(path);
	if (log_fd < 0)
		return -1;
	free(log_path);
	log_path = strdup(path);
	return 0;
}

void log_set_rotation(unsigned long long max_size, unsigned keep)
{
	rotate_size = max_size;
	rotate_keep = keep;
}

void log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	free(log_path);
	log_path = NULL;
}

/* FILE.N, or FILE itself for N = 0. */
static void numbered(char *out, size_t len, unsigned n)
{
	if (n)
		snprintf(out, len, "%s.%u", log_path, n);
	else
		snprintf(out, len, "%s", log_path);
}

/* Shift FILE.(keep-1) .. FILE to FILE.keep .. FILE.1 (FILE.keep is overwritten). */
static void shift_files(void)
{
	char from[4096], to[4096];
	if (!rotate_keep) {
		numbered(from, sizeof(from), 0);
		unlink(from);
		return;
	}
	for (unsigned n = rotate_keep; n > 0; n--) {
		numbered(from, sizeof(from), n - 1);
		numbered(to, sizeof(to), n);
		rename(from, to); /* a missing one is fine */
	}
}

/* Called with write_lock held, after a write to the file. */
static void rotate_if_due(void)
{
	struct stat mine, named;
	if (!rotate_size || !log_path || fstat(log_fd, &mine) ||
	    (unsigned long long)mine.st_size < rotate_size)
		return;
	if (flock(log_fd, LOCK_EX))
		return;
	/* Someone else may have rotated while we waited: then the name is another file. */
	int same = !stat(log_path, &named) && named.st_ino == mine.st_ino && named.st_dev == mine.st_dev;
	if (same)
		shift_files();
	flock(log_fd, LOCK_UN);
	int fd = open_log_file(log_path);
	if (fd >= 0) {
		close(log_fd);
		log_fd = fd;
	}
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
			pthread_mutex_lock(&write_lock);
			rotate_if_due(); /* first: the line goes to the file the name holds now */
			write_all(log_fd, line, n + 1);
			pthread_mutex_unlock(&write_lock);
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
		pthread_mutex_lock(&write_lock);
		write_all(STDERR_FILENO, line.buf, line.len);
		pthread_mutex_unlock(&write_lock);
		strbuf_release(&line);
	}
	strbuf_release(&msg);
}

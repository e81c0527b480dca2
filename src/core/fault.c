/*
 * Fault injection for the tests; see fault.h.
 */
#include "core/fault.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

enum fault_kind { FAULT_NONE, FAULT_FULL, FAULT_EIO };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *control;	/* the control file, NULL when off */

/* What the control file says, and what was spent since it said so. */
static struct {
	char text[128];
	enum fault_kind kind;		/* now, or once the allowance is spent */
	long long writes_left;		/* -1: no allowance in writes */
	long long bytes_left;		/* -1: no allowance in bytes */
} now;

static void read_env(void)
{
	const char *v = getenv("RAGOPS_FAULTS");
	control = v && *v ? v : NULL;
}

int fault_enabled(void)
{
	pthread_once(&once, read_env);
	return control != NULL;
}

/* "12", "64K", "3M": a count; -1 when it is not one. */
static long long parse_count(const char *s)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	long long unit = *end == 'K' ? 1024 : *end == 'M' ? 1024 * 1024 :
			 *end == 'G' ? 1024LL * 1024 * 1024 : 1;
	if (unit > 1)
		end++;
	if (errno || *end || v > (1LL << 50))
		return -1;
	return v * unit;
}

/* A new content: what it asks for, with fresh counts. */
static void parse_control(const char *text)
{
	snprintf(now.text, sizeof(now.text), "%s", text);
	now.kind = FAULT_NONE;
	now.writes_left = now.bytes_left = -1;
	if (!*text || !strcmp(text, "none"))
		return;
	if (!strcmp(text, "full")) {
		now.kind = FAULT_FULL;
	} else if (!strcmp(text, "eio")) {
		now.kind = FAULT_EIO;
	} else if (!strncmp(text, "space ", 6) && (now.bytes_left = parse_count(text + 6)) >= 0) {
		now.kind = FAULT_FULL;
	} else if (!strncmp(text, "full-after ", 11) &&
		   (now.writes_left = parse_count(text + 11)) >= 0) {
		now.kind = FAULT_FULL;
	} else if (!strncmp(text, "eio-after ", 10) &&
		   (now.writes_left = parse_count(text + 10)) >= 0) {
		now.kind = FAULT_EIO;
	} else {
		/* A typo must not pass for a test that injected nothing and saw nothing fail. */
		warning("RAGOPS_FAULTS: '%s' is not a fault (none, full, eio, space N, full-after N, "
			"eio-after N): nothing is injected", text);
	}
}

/* The control file's content, trimmed; empty when it is missing. */
static void read_control(char *buf, size_t size)
{
	ssize_t n = 0;
	int fd = open(control, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	n = n < 0 ? 0 : n;
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
}

int fault_write(long long offset, long long len, long long size)
{
	if (!fault_enabled())
		return 0;
	char text[sizeof(now.text)];
	read_control(text, sizeof(text));
	int ret = 0;
	pthread_mutex_lock(&lock);
	if (strcmp(text, now.text))
		parse_control(text);
	long long grows = offset + len > size ? offset + len - size : 0;
	if (now.writes_left > 0) {
		now.writes_left--;
	} else if (now.bytes_left >= grows) {
		now.bytes_left -= grows;
	} else if (now.kind == FAULT_EIO) {
		ret = EIO;
	} else if (now.kind == FAULT_FULL && grows > 0) {
		/* The room left goes to this write's first bytes; the rest fails, as write(2) would. */
		now.bytes_left = now.bytes_left > 0 ? 0 : now.bytes_left;
		ret = ENOSPC;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

/*
 * Fault injection for the tests; see fault.h.
 */
#include "core/fault.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

enum fault_kind { FAULT_NONE, FAULT_FULL, FAULT_EIO };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *control; /* the control file, NULL when off */

/* What the control file says, and what was spent since it said so. */
static struct {
	char text[128];
	enum fault_kind kind;  /* now, or once the allowance is spent */
	long long writes_left; /* -1: no allowance in writes */
	long long bytes_left;  /* -1: no allowance in bytes */
} now;

/*
 * The memory fault, apart: allocators ask at every allocation, from any
 * thread, and must neither lock nor allocate.  `alloc_site` is set last
 * (and cleared first) when the content changes.
 */
static atomic_int alloc_site;   /* enum fault_allocator, 0: none */
static atomic_int alloc_from;   /* 1: from the Nth on; 0: the Nth only */
static atomic_llong alloc_left; /* allocations until the Nth, counted down */

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
	long long unit = *end == 'K'   ? 1024
			 : *end == 'M' ? 1024 * 1024
			 : *end == 'G' ? 1024LL * 1024 * 1024
				       : 1;
	if (unit > 1)
		end++;
	if (errno || *end || v > (1LL << 50))
		return -1;
	return v * unit;
}

/* "malloc N", "sqlite-nomem-from N"...: 1 when `text` is a memory fault, armed. */
static int parse_memory_fault(const char *text)
{
	static const struct {
		const char *word;
		enum fault_allocator site;
		int from;
	} faults[] = {
		{ "malloc ", FAULT_ALLOC_XALLOC, 0 },
		{ "malloc-from ", FAULT_ALLOC_XALLOC, 1 },
		{ "sqlite-nomem ", FAULT_ALLOC_SQLITE, 0 },
		{ "sqlite-nomem-from ", FAULT_ALLOC_SQLITE, 1 },
	};
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		size_t len = strlen(faults[i].word);
		long long n;
		if (strncmp(text, faults[i].word, len) || (n = parse_count(text + len)) < 1)
			continue;
		atomic_store(&alloc_left, n);
		atomic_store(&alloc_from, faults[i].from);
		atomic_store(&alloc_site, faults[i].site);
		return 1;
	}
	return 0;
}

/* A new content: what it asks for, with fresh counts. */
static void parse_control(const char *text)
{
	snprintf(now.text, sizeof(now.text), "%s", text);
	now.kind = FAULT_NONE;
	now.writes_left = now.bytes_left = -1;
	atomic_store(&alloc_site, 0);
	if (!*text || !strcmp(text, "none"))
		return;
	if (parse_memory_fault(text)) {
		/* nothing more: writes go through */
	} else if (!strcmp(text, "full")) {
		now.kind = FAULT_FULL;
	} else if (!strcmp(text, "eio")) {
		now.kind = FAULT_EIO;
	} else if (!strncmp(text, "space ", 6) && (now.bytes_left = parse_count(text + 6)) >= 0) {
		now.kind = FAULT_FULL;
	} else if (!strncmp(text, "full-after ", 11) &&
		   (now.writes_left = parse_count(text + 11)) >= 0) {
		now.kind = FAULT_FULL;
	} else if (!strncmp(text, "eio-after ", 10) && (now.writes_left = parse_count(text + 10)) >= 0) {
		now.kind = FAULT_EIO;
	} else {
		/* A typo must not pass for a test that injected nothing and saw nothing fail. */
		warning("RAGOPS_FAULTS: '%s' is not a fault (none, full, eio, space N, full-after N, "
			"eio-after N, malloc N, malloc-from N, sqlite-nomem N, sqlite-nomem-from N): "
			"nothing is injected",
			text);
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

/* Under `lock`: the control file's content is what now holds. */
static void refresh_locked(void)
{
	char text[sizeof(now.text)];
	read_control(text, sizeof(text));
	if (strcmp(text, now.text))
		parse_control(text);
}

void fault_refresh(void)
{
	if (!fault_enabled())
		return;
	pthread_mutex_lock(&lock);
	refresh_locked();
	pthread_mutex_unlock(&lock);
}

int fault_alloc(enum fault_allocator allocator)
{
	if (atomic_load_explicit(&alloc_site, memory_order_acquire) != (int)allocator)
		return 0;
	long long left = atomic_fetch_sub(&alloc_left, 1);
	return atomic_load(&alloc_from) ? left <= 1 : left == 1;
}

int fault_memory_held(void)
{
	return atomic_load(&alloc_site) != 0;
}

int fault_write(long long offset, long long len, long long size)
{
	if (!fault_enabled())
		return 0;
	int ret = 0;
	pthread_mutex_lock(&lock);
	refresh_locked();
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

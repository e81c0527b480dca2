/*
 * Out-of-memory is fatal: report and exit rather than limp on.  A server
 * may first make room (xalloc_set_oom_handler): then a failed allocation
 * is tried once more before the process gives up.
 */
#include "core/xalloc.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fault.h"

static _Atomic(xalloc_oom_handler) oom_handler;
static int oom_exits_at_once;

/* This thread's allocations that failed for good (xalloc_unrecovered_take). */
static _Thread_local unsigned unrecovered;

void xalloc_set_oom_handler(xalloc_oom_handler fn)
{
	atomic_store(&oom_handler, fn);
}

int xalloc_recover(size_t size)
{
	xalloc_oom_handler fn = atomic_load(&oom_handler);
	if (!fn)
		return 0;
	fn(size);
	return 1;
}

void xalloc_exit_at_once(void)
{
	oom_exits_at_once = 1;
}

void xalloc_note_unrecovered(void)
{
	unrecovered++;
}

unsigned xalloc_unrecovered_take(void)
{
	unsigned n = unrecovered;
	unrecovered = 0;
	return n;
}

static void out_of_memory(size_t size, int retried)
{
	/*
	 * The first thread out of memory ends the process; any other waits for
	 * it to.  With _exit(), not exit(): the libraries' destructors (exit()
	 * on two threads ran Tesseract's twice, a crash instead of the exit
	 * status) would run while the other threads still use them.  The store
	 * needs none: an open transaction is rolled back when it is next opened.
	 */
	static int exiting;
	if (__atomic_exchange_n(&exiting, 1, __ATOMIC_SEQ_CST))
		for (;;)
			pause();
	fprintf(stderr, "fatal: out of memory allocating %zu bytes%s\n", size,
		retried ? " (tried twice; no memory reserve left to give back)" : "");
	if (!oom_exits_at_once)
		fflush(NULL); /* a forked worker's buffers are its parent's too */
	_exit(XALLOC_EXIT_CODE);
}

/* One try each; an injected fault (core/fault.h) fails it as a real one would. */
static void *try_malloc(size_t size)
{
	return fault_alloc(FAULT_ALLOC_XALLOC) ? NULL : malloc(size);
}

static void *try_calloc(size_t nmemb, size_t size)
{
	return fault_alloc(FAULT_ALLOC_XALLOC) ? NULL : calloc(nmemb, size);
}

static void *try_realloc(void *ptr, size_t size)
{
	/* A failed realloc leaves ptr as it was: the second try starts from it again. */
	return fault_alloc(FAULT_ALLOC_XALLOC) ? NULL : realloc(ptr, size);
}

void *xmalloc(size_t size)
{
	size = size ? size : 1;
	void *p = try_malloc(size);
	int retried = !p && xalloc_recover(size);
	if (retried)
		p = try_malloc(size);
	if (!p)
		out_of_memory(size, retried);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	nmemb = nmemb ? nmemb : 1;
	size = size ? size : 1;
	void *p = try_calloc(nmemb, size);
	int retried = !p && xalloc_recover(nmemb * size);
	if (retried)
		p = try_calloc(nmemb, size);
	if (!p)
		out_of_memory(nmemb * size, retried);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	size = size ? size : 1;
	void *p = try_realloc(ptr, size);
	int retried = !p && xalloc_recover(size);
	if (retried)
		p = try_realloc(ptr, size);
	if (!p)
		out_of_memory(size, retried);
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	char *p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

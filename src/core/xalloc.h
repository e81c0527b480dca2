/*
 * Allocation wrappers that die on out-of-memory: in a program there is
 * nothing sensible to do when malloc fails, and checking every call hides
 * the real logic.  A server is the exception that proves it: it keeps a
 * reserve of memory (core/mem_reserve.h) and sets an out-of-memory
 * handler that gives it back, so that a failed allocation is tried once
 * more and the request in flight completes; only when that fails too does
 * the process exit.  Allocations can be made to fail for the tests
 * (RAGOPS_FAULTS, core/fault.h).
 */
#ifndef CORE_XALLOC_H
#define CORE_XALLOC_H

#include <stddef.h>

/* The exit status of a process that ran out of memory (xmalloc and friends). */
#define XALLOC_EXIT_CODE 4

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh allocation; the caller frees it */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Called when an allocation of `size` bytes failed, before it is tried
 * once more.  It runs on the failing thread, perhaps inside SQLite or
 * jansson: it must not allocate, and may take only locks that are never
 * held around an allocation.
 */
typedef void (*xalloc_oom_handler)(size_t size);
/* Set (or with NULL take away: die at the first failure) the handler.  Thread-safe. */
void xalloc_set_oom_handler(xalloc_oom_handler fn);
/*
 * For allocators that report failure rather than die (SQLite's, see
 * store/sqlite_memory.c): after a failed allocation, the handler's turn;
 * 1 when one is set and a second try is worth making.
 */
int xalloc_recover(size_t size);
/*
 * Such an allocation failed for good: its caller gets an error, not
 * memory.  Counted for this thread, so that a server can tell a request
 * that failed for want of memory (xalloc_unrecovered_take) from one that
 * failed for its own reasons.
 */
void xalloc_note_unrecovered(void);
/* How many allocations failed for good on this thread since the last call. */
unsigned xalloc_unrecovered_take(void);
/*
 * Out of memory ends the process with _exit() (never exit(): see xalloc.c),
 * after flushing stdio; with this, without flushing: for a forked worker,
 * whose buffers belong to the process it was forked from.
 */
void xalloc_exit_at_once(void);

/* Grow an array to hold at least `want` items (git's ALLOC_GROW). */
#define ALLOC_GROW(arr, want, alloc)                                          \
	do {                                                                  \
		if ((size_t)(want) > (alloc)) {                               \
			size_t new_alloc_ = (alloc) ? (alloc)*2 : 16;         \
			while (new_alloc_ < (size_t)(want))                   \
				new_alloc_ *= 2;                              \
			(arr) = xrealloc((arr), new_alloc_ * sizeof(*(arr))); \
			(alloc) = new_alloc_;                                 \
		}                                                             \
	} while (0)

#endif

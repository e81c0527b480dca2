/*
 * Allocation wrappers that die on out-of-memory: in a program there is
 * nothing sensible to do when malloc fails, and checking every call hides
 * the real logic.
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

/* Grow an array to hold at least `want` items (git's ALLOC_GROW). */
#define ALLOC_GROW(arr, want, alloc)                                      \
	do {                                                              \
		if ((size_t)(want) > (alloc)) {                           \
			size_t new_alloc_ = (alloc) ? (alloc) * 2 : 16;    \
			while (new_alloc_ < (size_t)(want))               \
				new_alloc_ *= 2;                          \
			(arr) = xrealloc((arr), new_alloc_ * sizeof(*(arr))); \
			(alloc) = new_alloc_;                             \
		}                                                         \
	} while (0)

#endif

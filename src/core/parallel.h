/*
 * The same work on every core: [0, n) cut into one contiguous range per
 * thread, the calling thread taking the first.  Results written by index
 * come out the same whatever the number of threads.
 */
#ifndef CORE_PARALLEL_H
#define CORE_PARALLEL_H

#include <stddef.h>

/* `worker` is 0..threads-1: the index of per-thread state (a tokenizer). */
typedef void (*parallel_fn)(void *ctx, int worker, size_t begin, size_t end);

/* Run fn over [0, n) on up to `threads` threads (fewer for small n); returns when all are done. */
void parallel_for(size_t n, int threads, parallel_fn fn, void *ctx);

/* `configured` threads, or one per CPU this process may use (its affinity) when 0. */
int parallel_threads(unsigned configured);

#endif

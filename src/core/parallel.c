/*
 * See parallel.h.  Threads are made per call: the calls it serves (the
 * embedder's passes) last long enough that a pool would save nothing.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "core/parallel.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/xalloc.h"

struct range {
	parallel_fn fn;
	void *ctx;
	int worker;
	size_t begin, end;
	pthread_t thread;
};

static void *run_range(void *arg)
{
	struct range *r = arg;
	r->fn(r->ctx, r->worker, r->begin, r->end);
	return NULL;
}

void parallel_for(size_t n, int threads, parallel_fn fn, void *ctx)
{
	if (threads > (int)n)
		threads = (int)n;
	if (threads <= 1) {
		if (n)
			fn(ctx, 0, 0, n);
		return;
	}
	struct range *r = xcalloc((size_t)threads, sizeof(*r));
	for (int t = 0; t < threads; t++)
		r[t] = (struct range){ fn,
				       ctx,
				       t,
				       n * (size_t)t / (size_t)threads,
				       n * (size_t)(t + 1) / (size_t)threads,
				       0 };
	int started = 1;
	for (int t = 1; t < threads; t++, started++)
		if (pthread_create(&r[t].thread, NULL, run_range, &r[t]))
			break;
	/* Ranges no thread could take are done here, after the first. */
	run_range(&r[0]);
	for (int t = started; t < threads; t++)
		run_range(&r[t]);
	for (int t = 1; t < started; t++)
		pthread_join(r[t].thread, NULL);
	free(r);
}

int parallel_threads(unsigned configured)
{
	if (configured)
		return (int)configured;
	/* The CPUs this process may run on (taskset, a container's cpuset), not all the machine's. */
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	return cores > 0 ? (int)cores : 1;
}

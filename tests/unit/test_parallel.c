/*
 * Unit tests for core/parallel.h: parallel_for runs every index exactly
 * once, whatever the number of threads against the number of items; and
 * parallel_threads counts the CPUs the process may run on (taskset, a
 * container's cpuset), not all the machine's.
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <stdlib.h>

#include "core/parallel.h"

struct visits {
	unsigned char *seen;
	int max_worker;
};

static void visit(void *ctx, int worker, size_t begin, size_t end)
{
	struct visits *v = ctx;
	for (size_t i = begin; i < end; i++)
		__atomic_add_fetch(&v->seen[i], 1, __ATOMIC_RELAXED);
	int w = __atomic_load_n(&v->max_worker, __ATOMIC_RELAXED);
	while (worker > w && !__atomic_compare_exchange_n(&v->max_worker, &w, worker, 0,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void test_every_index_once(void **state)
{
	(void)state;
	size_t sizes[] = { 0, 1, 2, 3, 7, 100, 1001 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (int threads = 0; threads <= 5; threads++) {
			size_t n = sizes[s];
			struct visits v = { calloc(n + 1, 1), 0 };
			parallel_for(n, threads, visit, &v);
			for (size_t i = 0; i < n; i++)
				if (v.seen[i] != 1)
					fail_msg("n %zu on %d threads: index %zu ran %d times", n,
						 threads, i, v.seen[i]);
			/* never more workers than items or threads */
			assert_true(v.max_worker < (threads > 1 ? threads : 1));
			assert_true(n == 0 || (size_t)v.max_worker < n);
			free(v.seen);
		}
}

static void test_threads_follow_affinity(void **state)
{
	(void)state;
	assert_int_equal(parallel_threads(3), 3);
	cpu_set_t all;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(parallel_threads(0), CPU_COUNT(&all));
	/* Pinned to one CPU (the first allowed), one thread. */
	cpu_set_t one;
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, &one);
			break;
		}
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(parallel_threads(0), 1);
	assert_int_equal(parallel_threads(4), 4);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_index_once),
		cmocka_unit_test(test_threads_follow_affinity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

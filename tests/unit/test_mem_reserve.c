/*
 * Unit tests for the memory reserve (core/mem_reserve.h): it really holds
 * resident memory, gives it back once however many threads fail at once,
 * is mapped again only when memory is back (an injected shortage, and in
 * a child process a real address-space limit), and as xalloc's
 * out-of-memory handler lets the failed allocation succeed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fault.h"
#include "core/mem_reserve.h"
#include "core/xalloc.h"

#define MiB (1024 * 1024)

static char dir[64], control[128];

static void set_fault(const char *text)
{
	FILE *fp = fopen(control, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	fault_refresh();
}

static int reset(void **state)
{
	set_fault("none");
	mem_reserve_end();
	xalloc_set_oom_handler(NULL);
	return 0;
}

/* Resident memory and address space of this process, in MiB (/proc/self/statm). */
static double resident_mib(void)
{
	long pages_vm = 0, pages_rss = 0;
	FILE *fp = fopen("/proc/self/statm", "r");
	if (!fp || fscanf(fp, "%ld %ld", &pages_vm, &pages_rss) != 2)
		fail_msg("cannot read /proc/self/statm");
	fclose(fp);
	return (double)pages_rss * (double)sysconf(_SC_PAGESIZE) / MiB;
}

static void test_holds_and_gives_back(void **state)
{
	struct mem_reserve_stats s;
	double before = resident_mib();
	assert_int_equal(mem_reserve_init(32 * MiB + 1), 0);
	double held = resident_mib();
	/* Touched, not just mapped: the pages are resident. */
	assert_true(held - before > 30);
	mem_reserve_stats(&s);
	assert_int_equal(s.size, 32 * MiB + (size_t)sysconf(_SC_PAGESIZE)); /* whole pages */
	assert_false(mem_reserve_spent());

	mem_reserve_release(4096);
	assert_true(mem_reserve_spent());
	assert_true(held - resident_mib() > 30);
	mem_reserve_release(100); /* already spent: counted, nothing to give */
	mem_reserve_stats(&s);
	assert_int_equal(s.failures, 2);
	assert_int_equal(s.releases, 1);
	assert_int_equal(s.failed_size, 100);
	assert_true(s.spent);

	assert_int_equal(mem_reserve_restore(), 1);
	assert_false(mem_reserve_spent());
	assert_true(resident_mib() - before > 30);
	mem_reserve_stats(&s);
	assert_int_equal(s.restores, 1);
	assert_int_equal(mem_reserve_restore(), 1); /* held: nothing to do */
	mem_reserve_stats(&s);
	assert_int_equal(s.restores, 1);
}

static void test_no_reserve(void **state)
{
	assert_int_equal(mem_reserve_init(0), 0);
	mem_reserve_release(64);
	assert_false(mem_reserve_spent()); /* never short of memory */
	assert_int_equal(mem_reserve_restore(), 1);
}

static void test_injected_shortage(void **state)
{
	assert_int_equal(mem_reserve_init(MiB), 0);
	mem_reserve_release(1);
	/* The control file names a memory fault: memory has not come back. */
	set_fault("malloc 1000000000");
	assert_int_equal(mem_reserve_restore(), 0);
	assert_true(mem_reserve_spent());
	set_fault("none");
	assert_int_equal(mem_reserve_restore(), 1);
	assert_false(mem_reserve_spent());
}

/* As xalloc's handler: the failed allocation succeeds, the reserve is spent. */
static void test_oom_handler(void **state)
{
	struct mem_reserve_stats s;
	assert_int_equal(mem_reserve_init(4 * MiB), 0);
	xalloc_set_oom_handler(mem_reserve_release);
	set_fault("malloc 1");
	char *p = xmalloc(12345);
	memset(p, 'x', 12345);
	free(p);
	mem_reserve_stats(&s);
	assert_true(s.spent);
	assert_int_equal(s.failed_size, 12345);
	assert_int_equal(s.releases, 1);
	/* Spent already, one more failure: tried again, still fine (the fault fails once). */
	set_fault("none");
	set_fault("malloc 1");
	p = xstrdup("encore");
	assert_string_equal(p, "encore");
	free(p);
	mem_reserve_stats(&s);
	assert_int_equal(s.failures, 2);
	assert_int_equal(s.releases, 1);
}

/* Threads that fail together give it back once; restores and releases interleaved stay consistent. */
static pthread_barrier_t start;

static void *release_together(void *arg)
{
	pthread_barrier_wait(&start);
	mem_reserve_release(1);
	return NULL;
}

static void *churn(void *arg)
{
	for (int i = 0; i < 200; i++) {
		mem_reserve_release((size_t)i);
		mem_reserve_restore();
		(void)mem_reserve_spent();
	}
	return NULL;
}

static void test_threads(void **state)
{
	enum { N = 8 };
	pthread_t t[N];
	struct mem_reserve_stats s;
	assert_int_equal(mem_reserve_init(2 * MiB), 0);
	pthread_barrier_init(&start, NULL, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&t[i], NULL, release_together, NULL), 0);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	mem_reserve_stats(&s);
	assert_int_equal(s.failures, N);
	assert_int_equal(s.releases, 1);

	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, NULL), 0);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	mem_reserve_stats(&s);
	assert_int_equal(s.failures, N + N * 200);
	/* Every release but the one still standing was followed by a restore. */
	assert_int_equal(s.releases - s.restores, (unsigned long long)s.spent);
	assert_int_equal(mem_reserve_restore(), 1);
	double held = resident_mib();
	mem_reserve_end();
	assert_true(held - resident_mib() > 1.5); /* one mapping, unmapped once */
}

/*
 * A real shortage: in a child, an address-space limit just above what it
 * uses; the reserve cannot be mapped again until the limit is raised.
 * (Not under AddressSanitizer, whose shadow memory needs terabytes of
 * address space.)
 */
#if !defined(__SANITIZE_ADDRESS__)
static int child_under_limit(void)
{
	long pages = 0;
	FILE *fp = fopen("/proc/self/statm", "r");
	if (!fp || fscanf(fp, "%ld", &pages) != 1)
		return 10;
	fclose(fp);
	if (mem_reserve_init(16 * MiB))
		return 11;
	mem_reserve_release(1);
	struct rlimit lim = { .rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + 8 * MiB,
			      .rlim_max = RLIM_INFINITY };
	if (setrlimit(RLIMIT_AS, &lim))
		return 12;
	if (mem_reserve_restore() || !mem_reserve_spent())
		return 13; /* mapped past the limit? */
	if (mem_reserve_init(16 * MiB) != -1 || !mem_reserve_spent())
		return 14; /* cannot start with one: starts short of memory */
	lim.rlim_cur = RLIM_INFINITY;
	if (setrlimit(RLIMIT_AS, &lim))
		return 15;
	if (mem_reserve_restore() != 1 || mem_reserve_spent())
		return 16;
	return 0;
}
#endif

static void test_address_space_limit(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
	skip();
#else
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_under_limit());
	int status = 0;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ragops-test-reserve-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(control, sizeof(control), "%s/faults", dir);
	setenv("RAGOPS_FAULTS", control, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_holds_and_gives_back, reset, reset),
		cmocka_unit_test_setup_teardown(test_no_reserve, reset, reset),
		cmocka_unit_test_setup_teardown(test_injected_shortage, reset, reset),
		cmocka_unit_test_setup_teardown(test_oom_handler, reset, reset),
		cmocka_unit_test_setup_teardown(test_threads, reset, reset),
		cmocka_unit_test_setup_teardown(test_address_space_limit, reset, reset),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(control);
	rmdir(dir);
	return rc;
}

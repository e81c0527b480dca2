/*
 * The memory reserve; see mem_reserve.h.
 */
#include "core/mem_reserve.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/fault.h"
#include "core/timeutil.h"

/* Guards everything below; never held around an allocation or a mapping being touched. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *base;    /* the mapping, NULL while spent */
static size_t size;   /* 0: no reserve */
static int restoring; /* a thread is mapping it again */
static struct mem_reserve_stats stats;
/* Read without the lock by every request: mem_reserve_spent. */
static atomic_int spent;

/* A fresh mapping of `len` bytes, every page written; NULL when there is no room. */
static void *map_touched(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Nothing in it is worth a core dump's space. */
	madvise(p, len, MADV_DONTDUMP);
	/*
	 * Huge pages where the kernel gives them when asked: writing each 4 KB
	 * page of 64 MB took 200-275 ms on the test machine (a request waits
	 * on it), with huge pages 4 ms.
	 */
	madvise(p, len, MADV_HUGEPAGE);
	/* Written, not read: a page only read is the shared zero page, not ours. */
	if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
		return p;
	if (errno != EINVAL) {
		munmap(p, len); /* no room for its pages */
		return NULL;
	}
	/* A kernel before 5.14: a byte in each page. */
	long page = sysconf(_SC_PAGESIZE);
	for (size_t off = 0; off < len; off += (size_t)page)
		((volatile char *)p)[off] = 1;
	return p;
}

int mem_reserve_init(size_t want)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = want ? (want + (size_t)page - 1) / (size_t)page * (size_t)page : 0;
	void *p = len ? map_touched(len) : NULL;
	int e = errno;
	void *old;
	size_t old_len;
	pthread_mutex_lock(&lock);
	old = base;
	old_len = size;
	base = p;
	memset(&stats, 0, sizeof(stats));
	size = stats.size = len;
	if (len && !p)
		stats.spent_since = time_mono();
	stats.spent = len && !p;
	atomic_store(&spent, stats.spent);
	pthread_mutex_unlock(&lock);
	if (old)
		munmap(old, old_len);
	errno = e;
	return len && !p ? -1 : 0;
}

void mem_reserve_release(size_t failed_size)
{
	pthread_mutex_lock(&lock);
	void *p = base;
	size_t len = size;
	stats.failures++;
	stats.failed_size = failed_size;
	if (p) {
		base = NULL;
		stats.releases++;
		stats.spent = 1;
		stats.spent_since = time_mono();
		atomic_store(&spent, 1);
	}
	pthread_mutex_unlock(&lock);
	/* Back to the kernel before this thread tries its allocation again. */
	if (p)
		munmap(p, len);
}

int mem_reserve_spent(void)
{
	return atomic_load(&spent);
}

int mem_reserve_restore(void)
{
	if (!atomic_load(&spent))
		return 1;
	/* An injected shortage lasts until the test says memory is back. */
	if (fault_memory_held())
		return 0;
	pthread_mutex_lock(&lock);
	int busy = restoring || !stats.spent;
	size_t len = size;
	if (!busy)
		restoring = 1;
	pthread_mutex_unlock(&lock);
	if (busy)
		return !atomic_load(&spent);
	/* Outside the lock: touching the pages takes milliseconds, and a failing allocation may want the lock. */
	void *p = map_touched(len);
	pthread_mutex_lock(&lock);
	restoring = 0;
	if (p && size == len && !base) {
		base = p;
		p = NULL;
		stats.restores++;
		stats.spent = 0;
		atomic_store(&spent, 0);
	}
	int held = !stats.spent;
	pthread_mutex_unlock(&lock);
	if (p)
		munmap(p, len); /* the reserve changed meanwhile (mem_reserve_end) */
	return held;
}

void mem_reserve_stats(struct mem_reserve_stats *out)
{
	pthread_mutex_lock(&lock);
	*out = stats;
	pthread_mutex_unlock(&lock);
}

void mem_reserve_end(void)
{
	pthread_mutex_lock(&lock);
	void *p = base;
	size_t len = size;
	base = NULL;
	size = stats.size = 0;
	stats.spent = 0;
	atomic_store(&spent, 0);
	pthread_mutex_unlock(&lock);
	if (p)
		munmap(p, len);
}

/*
 * See prepare_ahead.h.  Each thread claims the next file not yet claimed,
 * unless that would put it more than the window past the taker; the taker
 * waits for its file to be done.
 *
 * A thread whose worker was lost (a parser crash) does not fork a new one:
 * a fork while another thread holds a lock inside a library can leave the
 * child hung on it for ever (seen with ASan's allocator).  It asks, and
 * waits; the taker stops the others from claiming, waits until none is
 * preparing, then forks the missing workers itself and lets them go.
 */
#include "pipeline/prepare_ahead.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "pipeline/extract.h"

/* Files ready ahead of the taker, per thread: enough to ride out a slow one. */
#define WINDOW_PER_THREAD 4

struct prepare_ahead {
	const struct config *cfg;
	struct parser_pool *pool;
	struct prepared *files;
	unsigned char *done;
	size_t n, claimed, taken, window;
	int stopping;
	int busy;         /* threads preparing a file now */
	int want_workers; /* threads waiting for a new worker */
	int paused;       /* by the taker: claim nothing */
	pthread_mutex_t lock;
	pthread_cond_t ready, room;
	struct preparer {
		struct prepare_ahead *pa;
		int slot;
		pthread_t thread;
		int started;
	} * threads;
	int nthreads;
	struct extractor *ex; /* the taker's own, when no thread prepares */
};

/* The next file this thread may prepare, or n when there is none left. */
static size_t claim(struct prepare_ahead *pa)
{
	pthread_mutex_lock(&pa->lock);
	while (!pa->stopping && pa->claimed < pa->n &&
	       (pa->want_workers || pa->paused || pa->claimed >= pa->taken + pa->window))
		pthread_cond_wait(&pa->room, &pa->lock);
	size_t i = pa->stopping || pa->claimed >= pa->n ? pa->n : pa->claimed++;
	pa->busy += i < pa->n;
	pthread_mutex_unlock(&pa->lock);
	return i;
}

/* Wait for the taker to fork this thread's worker again; 0 when it did, -1 when stopping. */
static int wait_for_worker(struct prepare_ahead *pa, int slot)
{
	pthread_mutex_lock(&pa->lock);
	pa->busy--;
	pa->want_workers++;
	pthread_cond_broadcast(&pa->ready);
	while (!pa->stopping && !parser_pool_ready(pa->pool, slot))
		pthread_cond_wait(&pa->room, &pa->lock);
	pa->want_workers--;
	pa->busy++;
	int rc = pa->stopping ? -1 : 0;
	pthread_mutex_unlock(&pa->lock);
	return rc;
}

/* With the lock held: fork the workers asked for once no thread prepares. */
static void restart_workers(struct prepare_ahead *pa)
{
	if (!pa->want_workers || pa->busy)
		return;
	parser_pool_start(pa->pool);
	pthread_cond_broadcast(&pa->room);
}

static void *prepare_thread(void *arg)
{
	struct preparer *me = arg;
	struct prepare_ahead *pa = me->pa;
	struct extractor *ex = pa->pool ? NULL : extractor_new(pa->cfg);
	size_t i;
	while ((i = claim(pa)) < pa->n) {
		if (pa->pool && !parser_pool_ready(pa->pool, me->slot) && wait_for_worker(pa, me->slot))
			break;
		process_prepare(pa->cfg, pa->pool, me->slot, ex, &pa->files[i]);
		pthread_mutex_lock(&pa->lock);
		pa->busy--;
		pa->done[i] = 1;
		pthread_cond_broadcast(&pa->ready);
		pthread_mutex_unlock(&pa->lock);
	}
	extractor_free(ex);
	return NULL;
}

struct prepare_ahead *prepare_ahead_start(const struct config *cfg, struct parser_pool *pool,
					  int nthreads, struct prepared *files, size_t n)
{
	struct prepare_ahead *pa = xcalloc(1, sizeof(*pa));
	pa->cfg = cfg;
	pa->pool = pool;
	pa->files = files;
	pa->n = n;
	pa->done = xcalloc(n + 1, 1);
	pa->nthreads = pool && nthreads > 0 ? nthreads : 1;
	pa->window = (size_t)pa->nthreads * WINDOW_PER_THREAD;
	pthread_mutex_init(&pa->lock, NULL);
	pthread_cond_init(&pa->ready, NULL);
	pthread_cond_init(&pa->room, NULL);
	pa->threads = xcalloc((size_t)pa->nthreads, sizeof(*pa->threads));
	/* One worker: prepared on the taker's thread, as a run always did. */
	for (int t = 0; t < pa->nthreads && pa->nthreads > 1; t++) {
		pa->threads[t] = (struct preparer){ .pa = pa, .slot = t };
		pa->threads[t].started = !pthread_create(&pa->threads[t].thread, NULL, prepare_thread,
							 &pa->threads[t]);
	}
	/* Not one thread could start: prepare on the taker's thread instead (take). */
	return pa;
}

static int any_thread(const struct prepare_ahead *pa)
{
	for (int t = 0; t < pa->nthreads; t++)
		if (pa->threads[t].started)
			return 1;
	return 0;
}

struct prepared *prepare_ahead_take(struct prepare_ahead *pa, size_t i)
{
	if (!any_thread(pa)) {
		if (!pa->pool && !pa->ex)
			pa->ex = extractor_new(pa->cfg);
		process_prepare(pa->cfg, pa->pool, 0, pa->ex, &pa->files[i]);
		pa->taken = i + 1;
		return &pa->files[i];
	}
	pthread_mutex_lock(&pa->lock);
	for (;;) {
		restart_workers(pa);
		if (pa->done[i])
			break;
		pthread_cond_wait(&pa->ready, &pa->lock);
	}
	pa->taken = i + 1;
	pthread_cond_broadcast(&pa->room);
	pthread_mutex_unlock(&pa->lock);
	return &pa->files[i];
}

void prepare_ahead_pause(struct prepare_ahead *pa)
{
	if (!pa || !any_thread(pa))
		return;
	pthread_mutex_lock(&pa->lock);
	pa->paused = 1;
	while (pa->busy)
		pthread_cond_wait(&pa->ready, &pa->lock);
	pthread_mutex_unlock(&pa->lock);
}

void prepare_ahead_resume(struct prepare_ahead *pa)
{
	if (!pa || !any_thread(pa))
		return;
	pthread_mutex_lock(&pa->lock);
	pa->paused = 0;
	pthread_cond_broadcast(&pa->room);
	pthread_mutex_unlock(&pa->lock);
}

void prepare_ahead_finish(struct prepare_ahead *pa)
{
	if (!pa)
		return;
	pthread_mutex_lock(&pa->lock);
	pa->stopping = 1;
	pthread_cond_broadcast(&pa->room);
	pthread_mutex_unlock(&pa->lock);
	for (int t = 0; t < pa->nthreads; t++)
		if (pa->threads[t].started)
			pthread_join(pa->threads[t].thread, NULL);
	for (size_t i = pa->taken; i < pa->n; i++)
		if (pa->done[i])
			prepared_release(&pa->files[i]);
	pthread_mutex_destroy(&pa->lock);
	pthread_cond_destroy(&pa->ready);
	pthread_cond_destroy(&pa->room);
	extractor_free(pa->ex);
	free(pa->threads);
	free(pa->done);
	free(pa);
}

/*
 * See prepare_ahead.h.  Each thread claims the next file not yet claimed,
 * unless that would put it more than the window past the taker; the taker
 * waits for its file to be done.
 *
 * A PDF of more than ingest.range_pages pages is read in ranges: the
 * thread that claimed it reads the first range, posts the others, and
 * reads them too; a thread with no file to claim reads posted ranges
 * first.  The claimer waits for the ranges out, appends them in page order
 * and decides the headings (pdf_part.h).  A range that fails fails the
 * document (the earliest failing range gives the reason, as reading the
 * whole would), and the ranges not yet taken are dropped.
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

#include "core/parallel.h"
#include "core/xalloc.h"
#include "pipeline/extract.h"
#include "pipeline/extract_source.h"
#include "pipeline/pdf_part.h"
#include "text/tokenize.h"

/* Files ready ahead of the taker, per thread: enough to ride out a slow one. */
#define WINDOW_PER_THREAD 4

/* A PDF read in ranges of `range` pages. */
struct split {
	const struct doc_source *src;
	int npages, range, nranges;
	int next;   /* the first range no thread took */
	int done;   /* ranges read, failed or dropped */
	int failed; /* the earliest range that failed, or nranges */
	struct strbuf error;
	struct pdf_part *parts; /* one per range */
	struct split *later;    /* in the list of splits, oldest first */
};

struct prepare_ahead {
	const struct config *cfg;
	struct parser_pool *pool;
	struct prepared *files;
	unsigned char *done;
	size_t n, claimed, taken, window;
	size_t preparing; /* files claimed and not done */
	struct split *splits;
	int stopping;
	int busy;         /* threads preparing a file or reading a range now */
	int want_workers; /* threads waiting for a new worker */
	int paused;       /* by the taker: claim nothing */
	pthread_mutex_t lock;
	pthread_cond_t ready, room;
	struct preparer {
		struct prepare_ahead *pa;
		int slot;
		pthread_t thread;
		int started;
		struct tokenizer *tok;
	} * threads;
	int nthreads;
	struct extractor *ex;  /* the taker's own, when no thread prepares */
	struct tokenizer *tok; /* and its tokenizer */
};

/* With the lock held: a range to read now, of the oldest split with one left. */
static struct split *take_range(struct prepare_ahead *pa, int slot, int *range)
{
	if (pa->stopping || pa->want_workers || pa->paused || !parser_pool_ready(pa->pool, slot))
		return NULL;
	for (struct split *sp = pa->splits; sp; sp = sp->later)
		if (sp->next < sp->nranges) {
			*range = sp->next++;
			pa->busy++;
			return sp;
		}
	return NULL;
}

/*
 * What this thread does next: a range of a split (*sp set), or the file
 * it returns; n when there is nothing left, and no split can be posted.
 */
static size_t next_work(struct prepare_ahead *pa, int slot, struct split **sp, int *range)
{
	size_t i = pa->n;
	*sp = NULL;
	pthread_mutex_lock(&pa->lock);
	while (!pa->stopping) {
		if (pa->pool && (*sp = take_range(pa, slot, range)))
			break;
		if (pa->claimed < pa->n && !pa->want_workers && !pa->paused &&
		    pa->claimed < pa->taken + pa->window) {
			i = pa->claimed++;
			pa->busy++;
			pa->preparing++;
			break;
		}
		if (pa->claimed >= pa->n && !pa->preparing)
			break;
		pthread_cond_wait(&pa->room, &pa->lock);
	}
	pthread_mutex_unlock(&pa->lock);
	return i;
}

/* With the lock held: wait on `room`, not counted busy meanwhile (the taker may fork). */
static void wait_idle(struct prepare_ahead *pa)
{
	pa->busy--;
	pthread_cond_broadcast(&pa->ready);
	pthread_cond_wait(&pa->room, &pa->lock);
	pa->busy++;
}

/*
 * With the lock held: wait for the taker to fork this thread's worker
 * again; 0 when it did, -1 when stopping.
 */
static int await_worker(struct prepare_ahead *pa, int slot)
{
	pa->want_workers++;
	while (!pa->stopping && !parser_pool_ready(pa->pool, slot))
		wait_idle(pa);
	pa->want_workers--;
	return pa->stopping ? -1 : 0;
}

static int wait_for_worker(struct prepare_ahead *pa, int slot)
{
	pthread_mutex_lock(&pa->lock);
	int rc = await_worker(pa, slot);
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

/* Read range k of sp on this thread's worker (taken with take_range), and record it. */
static void read_range(struct prepare_ahead *pa, int slot, struct split *sp, int k)
{
	struct strbuf err = STRBUF_INIT;
	struct extracted whole = { 0 };
	struct pdf_part *part = &sp->parts[k];
	enum doc_type type;
	int rc = parser_pool_extract_pages(pa->pool, slot, sp->src, k * sp->range, sp->range, &type,
					   &whole, part, &err);
	if (!rc && (type != TYPE_PDF || part->npages != sp->npages)) {
		/* The stamp is checked on every read: only a worker gone wrong gets here. */
		strbuf_addstr(&err, "the PDF read differently from one range of pages to another");
		extracted_release(&whole);
		pdf_part_release(part);
		rc = -1;
	}
	pthread_mutex_lock(&pa->lock);
	if (rc && k < sp->failed) {
		sp->failed = k;
		strbuf_reset(&sp->error);
		strbuf_add(&sp->error, err.buf, err.len);
	}
	if (rc) {
		/* The document fails: what no thread took is not read. */
		sp->done += sp->nranges - sp->next;
		sp->next = sp->nranges;
	}
	sp->done++;
	pa->busy--;
	pthread_cond_broadcast(&pa->ready);
	pthread_cond_broadcast(&pa->room);
	pthread_mutex_unlock(&pa->lock);
	strbuf_release(&err);
}

/*
 * The pages past the first range, read by this thread and any other with
 * nothing to claim; 0 with the whole document in `whole`, or -1 with why.
 */
static int read_in_ranges(struct prepare_ahead *pa, int slot, const struct doc_source *src,
			  struct pdf_part *first, struct pdf_part *whole, struct strbuf *err)
{
	int range = first->count;
	struct split sp = { .src = src,
			    .npages = first->npages,
			    .range = range,
			    .nranges = (first->npages + range - 1) / range,
			    .next = 1,
			    .done = 1 };
	sp.failed = sp.nranges;
	strbuf_init(&sp.error, 0);
	sp.parts = xcalloc((size_t)sp.nranges, sizeof(*sp.parts));
	sp.parts[0] = *first;
	pthread_mutex_lock(&pa->lock);
	struct split **tail = &pa->splits;
	while (*tail)
		tail = &(*tail)->later;
	*tail = &sp;
	pthread_cond_broadcast(&pa->room);
	while (sp.done < sp.nranges) {
		if (pa->stopping && sp.next < sp.nranges) {
			if (sp.failed == sp.nranges) {
				strbuf_addstr(&sp.error, "the run stopped before the PDF was read");
				sp.failed = sp.next;
			}
			sp.done += sp.nranges - sp.next;
			sp.next = sp.nranges;
			continue;
		}
		int own_left = sp.next < sp.nranges;
		if (own_left && !pa->want_workers && !pa->paused && parser_pool_ready(pa->pool, slot)) {
			int k = sp.next++;
			pa->busy++; /* read_range counts the range off */
			pthread_mutex_unlock(&pa->lock);
			read_range(pa, slot, &sp, k);
			pthread_mutex_lock(&pa->lock);
		} else if (own_left && !pa->stopping && !parser_pool_ready(pa->pool, slot)) {
			await_worker(pa, slot); /* lost between two ranges, as a claimer's can be */
		} else {
			wait_idle(pa);
		}
	}
	for (tail = &pa->splits; *tail != &sp; tail = &(*tail)->later)
		;
	*tail = sp.later;
	pthread_mutex_unlock(&pa->lock);
	int rc = sp.failed < sp.nranges ? -1 : 0;
	if (rc)
		strbuf_add(err, sp.error.buf, sp.error.len);
	*whole = sp.parts[0];
	for (int k = 1; k < sp.nranges; k++)
		if (rc)
			pdf_part_release(&sp.parts[k]);
		else
			pdf_part_append(whole, &sp.parts[k]);
	if (rc)
		pdf_part_release(whole);
	free(sp.parts);
	strbuf_release(&sp.error);
	return rc;
}

/* The extract_fn of a thread of several: a large PDF in ranges, shared. */
static int extract_shared(void *ctx, const struct doc_source *src, enum doc_type *type,
			  struct extracted *out, struct strbuf *err)
{
	const struct preparer *me = ctx;
	struct prepare_ahead *pa = me->pa;
	int range = (int)pa->cfg->ingest.range_pages;
	if (!range)
		return parser_pool_extract(pa->pool, me->slot, src, type, out, err);
	struct pdf_part first, whole;
	int rc = parser_pool_extract_pages(pa->pool, me->slot, src, 0, range, type, out, &first, err);
	if (rc || *type != TYPE_PDF)
		return rc;
	if (first.count < first.npages && read_in_ranges(pa, me->slot, src, &first, &whole, err))
		return -1;
	pdf_part_decide(first.count < first.npages ? &whole : &first, pa->cfg, out);
	return 0;
}

/* The extract_fn of a lone taker: the whole file in worker 0, or in this process. */
static int extract_alone(void *ctx, const struct doc_source *src, enum doc_type *type,
			 struct extracted *out, struct strbuf *err)
{
	struct prepare_ahead *pa = ctx;
	if (pa->pool)
		return parser_pool_extract(pa->pool, 0, src, type, out, err);
	return extract_source(pa->ex, src, type, out, err);
}

static void *prepare_thread(void *arg)
{
	struct preparer *me = arg;
	struct prepare_ahead *pa = me->pa;
	struct split *sp;
	int range;
	size_t i;
	while ((i = next_work(pa, me->slot, &sp, &range)) < pa->n || sp) {
		if (sp) {
			read_range(pa, me->slot, sp, range);
			continue;
		}
		if (!parser_pool_ready(pa->pool, me->slot) && wait_for_worker(pa, me->slot))
			break;
		/* A large document's own steps take the threads idle now, not every core again. */
		pthread_mutex_lock(&pa->lock);
		int idle = pa->nthreads - pa->busy; /* a thread reading its own ranges counts twice */
		pa->files[i].threads = idle > 0 ? idle + 1 : 1;
		pthread_mutex_unlock(&pa->lock);
		process_prepare(pa->cfg, extract_shared, me, me->tok, &pa->files[i]);
		pthread_mutex_lock(&pa->lock);
		pa->busy--;
		pa->preparing--;
		pa->done[i] = 1;
		pthread_cond_broadcast(&pa->ready);
		pthread_cond_broadcast(&pa->room);
		pthread_mutex_unlock(&pa->lock);
	}
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
		pa->threads[t] = (struct preparer){ .pa = pa, .slot = t, .tok = tokenizer_new() };
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
		if (!pa->tok)
			pa->tok = tokenizer_new();
		pa->files[i].threads = parallel_threads(pa->cfg->ingest.threads);
		process_prepare(pa->cfg, extract_alone, pa, pa->tok, &pa->files[i]);
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

int prepare_ahead_ready(struct prepare_ahead *pa, size_t i)
{
	/* The taker prepares it itself: how long that takes, its size does not tell (a slow parse). */
	if (!any_thread(pa))
		return 0;
	pthread_mutex_lock(&pa->lock);
	int ready = pa->done[i];
	pthread_mutex_unlock(&pa->lock);
	return ready;
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
	tokenizer_free(pa->tok);
	for (int t = 0; t < pa->nthreads; t++)
		tokenizer_free(pa->threads[t].tok);
	free(pa->threads);
	free(pa->done);
	free(pa);
}

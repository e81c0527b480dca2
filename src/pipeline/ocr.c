/*
 * The OCR stage; see ocr.h.
 */
#include "pipeline/ocr.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/parallel.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/clean.h"
#include "pipeline/ocr_engine.h"
#include "pipeline/page_image.h"
#include "pipeline/page_reader.h"

struct ocr_stage {
	const struct config *cfg;
	struct store *st;
	pthread_mutex_t lock; /* the store connection and the progress callback */
	ocr_page_done_fn on_page;
	void *on_page_ctx;
	int nthreads;
	int limit; /* threads allowed to read (ocr_stage_limit), 0: nthreads */
	int (*before_page)(void *ctx, struct strbuf *why); /* ocr_stage_gate */
	void *gate_ctx;
	int isolated;                  /* ingest.isolate: pages are read in worker processes */
	struct page_loader_pool *pool; /* for readers in this process */
	struct page_reader **readers;  /* one per thread, kept from batch to batch */
	char *settings;                /* what besides the image decides the result */
	int skip_cache;                /* read every page again (results still cached) */
};

enum job_state { JOB_DONE, JOB_CACHED, JOB_FAILED };

struct page_job {
	size_t doc; /* index in the batch */
	int page_no;
	enum job_state state;
	struct ocr_result result;
	char key[SHA256_HEX_LEN + 1];
	int dpi, flagged;
	struct strbuf error;
};

struct doc_work {
	struct ocr_stage *stage;
	struct ocr_input *docs;
	struct page_job *jobs;
	size_t njobs, next;
	pthread_mutex_t next_lock;
};

struct ocr_stage *ocr_stage_new(const struct config *cfg, struct store *st, ocr_page_done_fn on_page,
				void *ctx)
{
	struct ocr_stage *s = xcalloc(1, sizeof(*s));
	s->cfg = cfg;
	s->st = st;
	s->on_page = on_page;
	s->on_page_ctx = ctx;
	pthread_mutex_init(&s->lock, NULL);
	s->nthreads = ocr_thread_count(cfg);
	/*
	 * Tesseract allocates and frees buffers of several megabytes for every
	 * page; with glibc's defaults each is a fresh mmap and page faults,
	 * which two threads pay for together (sys time 0.6 -> 1.0 s on 10
	 * pages).  Keep such blocks in the heap and reuse them.
	 */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	s->settings = xasprintf("engine=%s;languages=%s;dpi=%u;image_dpi=%u;strategy=%d;"
				"min_confidence=%g;min_chars=%u;low_word=%g",
				ocr_engine_version(), cfg->ocr.languages, cfg->ocr.dpi,
				cfg->ocr.image_dpi, OCR_STRATEGY_VERSION, cfg->ocr.min_confidence,
				cfg->ocr.min_chars, cfg->ocr.low_word_confidence);
	s->isolated = !strcmp(cfg->ingest.isolate, "true");
	s->readers = xcalloc((size_t)s->nthreads, sizeof(*s->readers));
	return s;
}

void ocr_stage_free(struct ocr_stage *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nthreads; i++)
		page_reader_free(s->readers[i]);
	free(s->readers);
	page_loader_pool_free(s->pool);
	pthread_mutex_destroy(&s->lock);
	free(s->settings);
	free(s);
}

int ocr_thread_count(const struct config *cfg)
{
	return parallel_threads(cfg->ocr.threads);
}

static int wants_ocr(const struct config *cfg, const struct page_record *p)
{
	if (!strcmp(cfg->ocr.mode, "skip"))
		return 0;
	if (!strcmp(cfg->ocr.mode, "force"))
		return p->method == PAGE_TEXT || p->method == PAGE_NEEDS_OCR || p->method == PAGE_EMPTY;
	return p->method == PAGE_NEEDS_OCR;
}

int ocr_pages_wanted(const struct config *cfg, const struct extracted *doc)
{
	int n = 0;
	for (size_t i = 0; i < doc->npages; i++)
		n += wants_ocr(cfg, &doc->pages[i]);
	return n;
}

int ocr_result_render(const char *result_json, const char *mark_open, const char *mark_close,
		      struct strbuf *out, struct strbuf *err)
{
	struct ocr_result r;
	int flagged;
	if (ocr_result_from_json(result_json, &r, &flagged)) {
		strbuf_addstr(err, "the cached OCR result is unreadable");
		return -1;
	}
	size_t pos = 0;
	for (size_t i = 0; i < r.nlow; i++) {
		if (r.low[i].start < pos)
			continue;
		strbuf_add(out, r.text + pos, r.low[i].start - pos);
		strbuf_addstr(out, mark_open);
		strbuf_add(out, r.text + r.low[i].start, r.low[i].end - r.low[i].start);
		strbuf_addstr(out, mark_close);
		pos = r.low[i].end;
	}
	strbuf_addstr(out, r.text + pos);
	ocr_result_release(&r);
	return 0;
}

/* --- the work on one page ------------------------------------------------ */

/* Save a fresh result at once: a crash later must not cost this OCR again. */
static void cache_result(struct ocr_stage *s, const char *path, struct page_job *job)
{
	char *json = ocr_result_to_json(&job->result, job->dpi, job->flagged);
	struct strbuf err = STRBUF_INIT;
	pthread_mutex_lock(&s->lock);
	if (store_ocr_cache_put(s->st, job->key, ocr_engine_version(), s->cfg->ocr.languages, job->dpi,
				job->result.confidence, job->result.words, (int)job->result.nlow,
				job->result.seconds, json, &err))
		log_event(LOG_WARNING, 0, path, "ocr", "cannot cache page %d: %s", job->page_no,
			  err.buf);
	pthread_mutex_unlock(&s->lock);
	strbuf_release(&err);
	free(json);
}

static void run_job(struct doc_work *w, struct page_reader *reader, struct page_job *job)
{
	struct ocr_stage *s = w->stage;
	const struct ocr_input *in = &w->docs[job->doc];
	char hash[SHA256_HEX_LEN + 1];
	job->state = JOB_FAILED;
	if (page_reader_load(reader, in->src, in->type, job->page_no, &job->dpi, hash, &job->error))
		return;
	struct strbuf key = STRBUF_INIT;
	strbuf_addf(&key, "%s|%s", hash, s->settings);
	sha256_hex(key.buf, key.len, job->key);
	strbuf_release(&key);

	char *cached = NULL;
	pthread_mutex_lock(&s->lock);
	enum lookup hit = s->skip_cache ? LOOKUP_MISSING
					: store_ocr_cache_get(s->st, job->key, &cached, &job->error);
	pthread_mutex_unlock(&s->lock);
	if (hit == LOOKUP_FOUND && ocr_result_from_json(cached, &job->result, &job->flagged) == 0) {
		job->state = JOB_CACHED;
		page_reader_drop(reader);
	} else {
		strbuf_reset(&job->error);
		if (!page_reader_recognise(reader, &job->result, &job->error)) {
			job->state = JOB_DONE;
			job->flagged = job->result.words && ocr_result_is_weak(s->cfg, &job->result);
			cache_result(s, in->src->path, job);
		}
	}
	free(cached);
}

/* Take pages until none is left, or until this thread's reader lost its worker. */
static void *worker(void *arg)
{
	struct doc_work *w = ((void **)arg)[0];
	struct page_reader *reader = ((void **)arg)[1];
	while (page_reader_ready(reader)) {
		pthread_mutex_lock(&w->next_lock);
		size_t i = w->next++;
		pthread_mutex_unlock(&w->next_lock);
		if (i >= w->njobs)
			break;
		if (w->stage->before_page) {
			pthread_mutex_lock(&w->stage->lock);
			int refused = w->stage->before_page(w->stage->gate_ctx, &w->jobs[i].error);
			pthread_mutex_unlock(&w->stage->lock);
			if (refused) {
				w->jobs[i].state = JOB_FAILED;
				continue;
			}
		}
		run_job(w, reader, &w->jobs[i]);
		if (w->stage->on_page) {
			pthread_mutex_lock(&w->stage->lock);
			w->stage->on_page(w->stage->on_page_ctx);
			pthread_mutex_unlock(&w->stage->lock);
		}
	}
	return NULL;
}

/*
 * Start the readers (an isolated one forks its worker: no other thread
 * runs yet), then let the threads take pages.  A thread whose worker is
 * lost stops; once all have, the pages left get a new round with workers
 * started again, so a crash costs its page and a restart, never the rest.
 */
static void read_pages(struct ocr_stage *s, struct doc_work *w, int nthreads)
{
	pthread_t *threads = xcalloc((size_t)nthreads, sizeof(pthread_t));
	void *(*args)[2] = xcalloc((size_t)nthreads, sizeof(*args));
	struct strbuf err = STRBUF_INIT;
	while (w->next < w->njobs) {
		int ready = 0;
		for (int t = 0; t < nthreads; t++) {
			if (!s->readers[t])
				s->readers[t] = s->isolated ? page_reader_new_isolated(s->cfg)
							    : page_reader_new_local(s->cfg, s->pool);
			strbuf_reset(&err);
			if (page_reader_start(s->readers[t], &err) == 0)
				args[ready++][1] = s->readers[t];
		}
		if (!ready) {
			for (; w->next < w->njobs; w->next++) { /* fork failed: say why, page by page */
				w->jobs[w->next].state = JOB_FAILED;
				strbuf_add(&w->jobs[w->next].error, err.buf, err.len);
			}
			break;
		}
		for (int t = 0; t < ready; t++) {
			args[t][0] = w;
			if (t && pthread_create(&threads[t], NULL, worker, args[t]))
				BUG("cannot start an OCR thread");
		}
		worker(args[0]); /* the calling thread works too */
		for (int t = 1; t < ready; t++)
			pthread_join(threads[t], NULL);
	}
	strbuf_release(&err);
	free(threads);
	free(args);
}

/* --- putting the text into the document ---------------------------------- */

static int median_height(const struct ocr_result *r)
{
	int *h = xcalloc(r->nlines + 1, sizeof(int)), n = 0;
	for (size_t i = 0; i < r->nlines; i++)
		if (r->lines[i].height > 0) {
			int v = r->lines[i].height, j = n++;
			while (j > 0 && h[j - 1] > v) {
				h[j] = h[j - 1];
				j--;
			}
			h[j] = v;
		}
	int m = n ? h[n / 2] : 0;
	free(h);
	return m;
}

/* A heading is words: "oF © NN" in tall type is a smudge or a logo. */
static int mostly_letters(const char *s)
{
	size_t letters = 0, other = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == ' ' || c == '\n' || (c & 0xC0) == 0x80)
			continue;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0xC0)
			letters++;
		else
			other++;
	}
	return letters >= 4 && letters >= 4 * other;
}

/*
 * Paragraphs become blocks; garbage lines are dropped; a short paragraph
 * set in clearly taller type than the page's text is a heading.
 */
static void add_blocks(struct extracted *doc, int page, const struct ocr_result *r,
		       const struct config *cfg)
{
	struct strbuf para = STRBUF_INIT;
	int median = median_height(r);
	for (size_t i = 0; i < r->nlines;) {
		size_t j = i;
		int min_height = 1 << 30, lines = 0;
		strbuf_reset(&para);
		for (; j < r->nlines && r->lines[j].para == r->lines[i].para; j++) {
			const struct ocr_line *l = &r->lines[j];
			const char *text = r->text + l->start;
			size_t len = l->end - l->start;
			if (clean_is_garbage_ocr_line(text, len, l->confidence, cfg))
				continue;
			if (para.len)
				strbuf_addch(&para, '\n');
			strbuf_add(&para, text, len);
			if (l->height < min_height)
				min_height = l->height;
			lines++;
		}
		if (para.len) {
			int level = 0;
			if (median > 0 && lines <= 2 && para.len < 120 && mostly_letters(para.buf)) {
				if (min_height * 10 >= median * 18)
					level = 1;
				else if (min_height * 100 >= median * 135)
					level = 2;
			}
			extracted_add_block(doc, level ? BLOCK_HEADING : BLOCK_PARAGRAPH, level, page,
					    para.buf, para.len);
		}
		i = j;
	}
	strbuf_release(&para);
}

static void apply_job(struct ocr_stage *s, struct extracted *doc, struct page_record *p,
		      struct page_job *job, struct ocr_stats *stats)
{
	stats->pages++;
	extracted_drop_page_blocks(doc, p->page_no);
	if (job->state == JOB_FAILED) {
		p->method = PAGE_OCR_FAILED;
		p->chars = 0;
		p->error = extracted_keep(doc, xasprintf("page %d: %s", p->page_no, job->error.buf));
		stats->failed++;
		return;
	}
	const struct ocr_result *r = &job->result;
	p->ocr_key = extracted_keep(doc, xstrdup(job->key));
	p->confidence = r->confidence;
	p->words = r->words;
	p->low_words = (int)r->nlow;
	p->seconds = r->seconds;
	p->flagged = job->flagged;
	p->chars = (int)ocr_visible_chars(r->text);
	p->method = r->words ? PAGE_OCR : PAGE_EMPTY;
	stats->cached += job->state == JOB_CACHED;
	if (!r->words) {
		stats->empty++;
		return;
	}
	stats->seconds += job->state == JOB_CACHED ? 0 : r->seconds;
	stats->confidence_sum += r->confidence;
	stats->confidence_pages++;
	if (job->flagged)
		stats->flagged++;
	else
		stats->succeeded++;
	add_blocks(doc, p->page_no, r, s->cfg);
}

static void add_stats(struct ocr_stats *total, const struct ocr_stats *one)
{
	total->pages += one->pages;
	total->succeeded += one->succeeded;
	total->flagged += one->flagged;
	total->failed += one->failed;
	total->empty += one->empty;
	total->cached += one->cached;
	total->confidence_sum += one->confidence_sum;
	total->confidence_pages += one->confidence_pages;
	total->seconds += one->seconds;
}

void ocr_documents(struct ocr_stage *s, struct ocr_input *docs, size_t ndocs, struct ocr_stats *total)
{
	double t0 = time_mono();
	struct doc_work w = { .stage = s, .docs = docs };
	size_t alloc = 0;
	for (size_t d = 0; d < ndocs; d++) {
		struct extracted *doc = docs[d].doc;
		for (size_t i = 0; i < doc->npages; i++) {
			if (!wants_ocr(s->cfg, &doc->pages[i]))
				continue;
			ALLOC_GROW(w.jobs, w.njobs + 1, alloc);
			memset(&w.jobs[w.njobs], 0, sizeof(*w.jobs));
			w.jobs[w.njobs].doc = d;
			w.jobs[w.njobs].page_no = doc->pages[i].page_no;
			strbuf_init(&w.jobs[w.njobs].error, 0);
			w.njobs++;
		}
	}
	if (!w.njobs)
		return;
	if (!s->pool && !s->isolated)
		s->pool = page_loader_pool_new();
	pthread_mutex_init(&w.next_lock, NULL);
	int threads = s->limit && s->limit < s->nthreads ? s->limit : s->nthreads;
	read_pages(s, &w, threads < (int)w.njobs ? threads : (int)w.njobs);
	pthread_mutex_destroy(&w.next_lock);

	/* Jobs are in document, then page order: apply them document by document. */
	size_t j = 0;
	for (size_t d = 0; d < ndocs; d++) {
		struct ocr_input *in = &docs[d];
		struct extracted *doc = in->doc;
		int usable = 0, had_jobs = 0, text_pages = 0;
		const char *first_error = NULL;
		int first_failed_page = 0;
		for (size_t i = 0; i < doc->npages; i++) {
			struct page_record *p = &doc->pages[i];
			if (j < w.njobs && w.jobs[j].doc == d && w.jobs[j].page_no == p->page_no) {
				struct page_job *job = &w.jobs[j++];
				had_jobs = 1;
				usable += job->state != JOB_FAILED;
				if (job->state == JOB_FAILED && !first_error) {
					first_error = job->error.buf;
					first_failed_page = job->page_no;
				}
				apply_job(s, doc, p, job, &in->stats);
			}
			text_pages += p->method == PAGE_TEXT;
		}
		extracted_sort_blocks(doc);
		/* Only when nothing at all is left to read does the document fail here. */
		if (had_jobs && !usable && !text_pages) {
			in->failed = 1;
			strbuf_addf(&in->error, "OCR failed on every page: page %d: %s",
				    first_failed_page, first_error ? first_error : "?");
		}
		add_stats(total, &in->stats);
	}
	for (size_t i = 0; i < w.njobs; i++) {
		ocr_result_release(&w.jobs[i].result);
		strbuf_release(&w.jobs[i].error);
	}
	free(w.jobs);
	total->wall_seconds += time_mono() - t0;
}

void ocr_stage_skip_cache(struct ocr_stage *s)
{
	s->skip_cache = 1;
}

void ocr_stage_limit(struct ocr_stage *s, int threads)
{
	s->limit = threads;
}

void ocr_stage_gate(struct ocr_stage *s, int (*before_page)(void *ctx, struct strbuf *why), void *ctx)
{
	s->before_page = before_page;
	s->gate_ctx = ctx;
}

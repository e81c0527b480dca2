/*
 * One new or changed document through the stages: extract -> ocr -> clean
 * -> chunk -> index.  Everything happens in memory; the index stage saves
 * the document, its pages, chunks and task records at once (save.c), so
 * a crash leaves the old version or the new one, never a mix.  OCR runs on
 * batches of documents (see flow.h) so that every core has pages.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "core/beneath.h"
#include "core/parallel.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/chunk.h"
#include "pipeline/doc_job.h"
#include "pipeline/clean.h"
#include "pipeline/extract.h"
#include "pipeline/extract_source.h"
#include "pipeline/flow.h"
#include "pipeline/queue.h"
#include "pipeline/retry.h"
#include "store/work_queue.h"
#include "text/token_list.h"
#include "text/tokenize.h"

/* Times one stage of one document and records its task. */
struct stage_clock {
	long long started;
	double t0;
};

static void stage_start(struct stage_clock *c)
{
	c->started = time_now_ms();
	c->t0 = time_mono();
}

static void stage_end(struct flow *fl, struct doc_job *job, struct stage_clock *c, enum stage s,
		      enum task_state state, const char *error)
{
	double dt = time_mono() - c->t0;
	fl->stage_seconds[s] += dt;
	job->tasks[job->ntasks++] = flow_task(fl, job->f->relpath, s, state, c->started, dt * 1000,
					      error, job->keys);
}

void job_free(struct doc_job *job)
{
	prepared_release(&job->prepared);
	extracted_release(&job->doc);
	strbuf_release(&job->ocr.error);
	doc_record_release(&job->fresh);
	free(job);
}

void job_fail(struct flow *fl, struct doc_job *job, const char *stage, const char *error)
{
	flow_save_failed(fl, job->d, job->f, stage, error, job->tasks, job->ntasks);
	job_free(job);
}

static char *default_title(const struct extracted *doc, const char *relpath)
{
	if (doc->title && *doc->title)
		return xstrdup(doc->title);
	for (size_t i = 0; i < doc->nblocks; i++)
		if (doc->blocks[i].kind == BLOCK_HEADING)
			return xstrdup(doc->blocks[i].text);
	char *copy = xstrdup(relpath);
	char *title = xstrdup(basename(copy));
	free(copy);
	return title;
}

static struct stage_time time_from(long long started, double t0)
{
	return (struct stage_time){ started, time_mono() - t0 };
}

/* The language of the cleaned document's text. */
static enum lang document_lang(const struct extracted *doc)
{
	size_t len;
	char *text = document_text(doc, &len);
	enum lang lang = lang_detect(text, len);
	free(text);
	return lang;
}

/*
 * The chunks' tokens, for the full-text index to replay (token_list.h):
 * on every thread for a document of many chunks (the 660-page PDF's took
 * 0.16 s on one), each thread with its own tokenizer.
 */
#define PARALLEL_CHUNKS 256

struct token_job {
	struct chunk *chunks;
	enum lang lang;
	struct tokenizer *caller; /* worker 0's; the others make their own */
};

static void record_tokens_range(void *ctx, int worker, size_t begin, size_t end)
{
	struct token_job *job = ctx;
	struct tokenizer *tok = worker ? tokenizer_new() : job->caller;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = begin; i < end; i++) {
		struct chunk *c = &job->chunks[i];
		const char *heading = c->heading ? c->heading : "";
		token_list_record(tok, job->lang, c->text, strlen(c->text), &sb);
		c->text_tokens = strbuf_detach(&sb, &c->text_tokens_len);
		token_list_record(tok, job->lang, heading, strlen(heading), &sb);
		c->heading_tokens = strbuf_detach(&sb, &c->heading_tokens_len);
	}
	strbuf_release(&sb);
	if (worker)
		tokenizer_free(tok);
}

static void record_tokens(int threads, struct tokenizer *tok, struct chunk *chunks, size_t n,
			  enum lang lang)
{
	struct token_job job = { chunks, lang, tok };
	parallel_for(n, n >= PARALLEL_CHUNKS ? threads : 1, record_tokens_range, &job);
}

void process_prepare(const struct config *cfg, extract_fn *extract, void *ctx, struct tokenizer *tok,
		     struct prepared *p)
{
	p->type = TYPE_BINARY;
	strbuf_init(&p->error, 0);
	flow_crash_point("extract");
	long long started = time_now_ms();
	double t0 = time_mono();
	const struct found_file *f = p->f;
	struct doc_source src = { f->path, f->root, f->source, f->stamp };
	int rc = extract(ctx, &src, &p->type, &p->doc, &p->error);
	p->extract = time_from(started, t0);
	p->failed = rc != 0;
	flow_crash_point("extracted");
	/* Pages waiting for OCR get their text later: cleaning needs the whole document. */
	if (p->failed || ocr_pages_wanted(cfg, &p->doc))
		return;
	started = time_now_ms();
	t0 = time_mono();
	clean_document(&p->doc, cfg, p->threads, &p->cs);
	p->clean = time_from(started, t0);
	started = time_now_ms();
	t0 = time_mono();
	chunk_document(&p->doc, cfg, &p->chunks, &p->nchunks);
	p->lang = document_lang(&p->doc);
	record_tokens(p->threads, tok, p->chunks, p->nchunks, p->lang);
	p->chunk = time_from(started, t0);
	p->chunked = 1;
}

void prepared_release(struct prepared *p)
{
	extracted_release(&p->doc);
	strbuf_release(&p->error);
	chunks_free(p->chunks, p->nchunks);
	p->chunks = NULL;
	p->nchunks = 0;
}

/* A stage the workers ran: its time, and its task. */
static void stage_done(struct flow *fl, struct doc_job *job, enum stage s, struct stage_time t,
		       enum task_state state, const char *error)
{
	fl->stage_seconds[s] += t.seconds;
	job->tasks[job->ntasks++] = flow_task(fl, job->f->relpath, s, state, t.started, t.seconds * 1000,
					      error, job->keys);
}

struct doc_job *process_begin(struct flow *fl, struct doc_record *d, struct prepared *p)
{
	const struct found_file *f = p->f;
	struct doc_job *job = xcalloc(1, sizeof(*job));
	job->d = d ? d : &job->fresh;
	job->f = f;
	job->type = p->type;
	strbuf_init(&job->ocr.error, 0);
	flow_cache_keys(fl, f->sha256, job->keys);
	flow_doc_from_file(job->d, f, doc_type_name(job->type));
	stage_done(fl, job, STAGE_EXTRACT, p->extract, p->failed ? TASK_FAILED : TASK_COMPLETED,
		   p->failed ? p->error.buf : NULL);
	if (p->failed) {
		job_fail(fl, job, "extract", p->error.buf);
		prepared_release(p);
		return NULL;
	}
	/* The job owns what was prepared from here on; its text moves to job->doc. */
	job->prepared = *p;
	*p = (struct prepared){ .f = f };
	job->doc = job->prepared.doc;
	job->prepared.doc = (struct extracted){ 0 };
	for (size_t i = 0; i < job->doc.nwarnings; i++)
		log_event(LOG_WARNING, fl->run_id, f->relpath, "extract", "%s", job->doc.warnings[i]);
	if (job->doc.repaired)
		log_event(LOG_WARNING, fl->run_id, f->relpath, "extract",
			  "%zu invalid UTF-8 sequences replaced with U+FFFD", job->doc.repaired);
	if (job->doc.encoding && !strcmp(job->doc.encoding, "windows-1252"))
		log_event(LOG_WARNING, fl->run_id, f->relpath, "extract",
			  "not UTF-8: decoded as Windows-1252");
	return job;
}

int process_ocr_pages(const struct flow *fl, const struct doc_job *job)
{
	return ocr_pages_wanted(fl->cfg, &job->doc);
}

void process_hand_over(struct flow *fl, struct doc_job *job)
{
	struct strbuf err = STRBUF_INIT;
	int rc = store_work_release(fl->st, job->f->claim, 1, &err);
	if (rc > 0)
		log_event(LOG_INFO, fl->run_id, job->f->relpath, "ocr",
			  "%d page(s) need OCR, which this worker does not do: handed over",
			  process_ocr_pages(fl, job));
	else if (rc < 0)
		log_event(LOG_WARNING, fl->run_id, job->f->relpath, "ocr",
			  "cannot hand the document over for OCR (%s): it goes to another worker when "
			  "its lease runs out",
			  err.buf);
	strbuf_release(&err);
	job_free(job);
}

static void log_ocr(struct flow *fl, const struct doc_job *job)
{
	const struct ocr_stats *o = &job->ocr.stats;
	double mean = o->confidence_pages ? o->confidence_sum / o->confidence_pages : 0;
	for (size_t i = 0; i < job->doc.npages; i++) {
		const struct page_record *p = &job->doc.pages[i];
		if (p->method == PAGE_OCR_FAILED)
			log_event(LOG_WARNING, fl->run_id, job->f->relpath, "ocr", "%s", p->error);
		else if (p->flagged)
			log_event(LOG_WARNING, fl->run_id, job->f->relpath, "ocr",
				  "page %d is weak (confidence %.0f, %d characters): kept, flagged",
				  p->page_no, p->confidence, p->chars);
	}
	log_event(LOG_INFO, fl->run_id, job->f->relpath, "ocr",
		  "%d pages (%d from cache): mean confidence %.1f, %d flagged, %d failed", o->pages,
		  o->cached, mean, o->flagged, o->failed);
	ALLOC_GROW(fl->ocr_docs, fl->nocr_docs + 1, fl->ocr_docs_alloc);
	fl->ocr_docs[fl->nocr_docs++] = (struct doc_ocr){ xstrdup(job->f->relpath), o->pages, mean };
}

void process_ocr(struct flow *fl, struct doc_job **jobs, size_t n)
{
	struct ocr_input *inputs = xcalloc(n + 1, sizeof(*inputs));
	size_t *which = xcalloc(n + 1, sizeof(*which)), m = 0;
	int pages = 0;
	for (size_t i = 0; i < n; i++) {
		int wanted = process_ocr_pages(fl, jobs[i]);
		if (!wanted)
			continue;
		pages += wanted;
		which[m] = i;
		const struct found_file *f = jobs[i]->f;
		jobs[i]->src = (struct doc_source){ f->path, f->root, f->source, f->stamp };
		inputs[m] = (struct ocr_input){ .src = &jobs[i]->src,
						.type = jobs[i]->type,
						.doc = &jobs[i]->doc };
		strbuf_init(&inputs[m].error, 0);
		m++;
	}
	long long started = time_now_ms();
	double t0 = time_mono();
	if (m) {
		if (!fl->ocr) {
			fl->ocr = ocr_stage_new(fl->cfg, fl->st, progress_ocr_pages, fl->progress);
			if (fl->ocr && fl->refresh_ocr)
				ocr_stage_skip_cache(fl->ocr);
			if (fl->ocr && fl->worker && fl->cfg->worker.ocr_slots)
				ocr_stage_gate(fl->ocr, queue_worker_slots_gate, fl->worker);
		}
		progress_ocr_expect(fl->progress, pages);
		/* On a shared store, as many threads as the cluster's OCR slots allow. */
		int want = ocr_thread_count(fl->cfg) < pages ? ocr_thread_count(fl->cfg) : pages;
		int slots = fl->worker ? queue_worker_ocr_slots(fl->worker, want) : 0;
		ocr_stage_limit(fl->ocr, slots);
		flow_crash_point("ocr");
		ocr_documents(fl->ocr, inputs, m, &fl->ocr_stats);
		if (slots)
			queue_worker_ocr_slots_done(fl->worker);
	}
	/* The stage's time is the batch's elapsed time; each task's, its pages' time. */
	fl->stage_seconds[STAGE_OCR] += time_mono() - t0;
	for (size_t i = 0, k = 0; i < n; i++) {
		struct doc_job *job = jobs[i];
		enum task_state state = TASK_COMPLETED;
		double ms = 0;
		if (k < m && which[k] == i) {
			/* The task's time: recognition time of its own pages (they ran in parallel). */
			job->ocr = inputs[k++];
			ms = job->ocr.stats.seconds * 1000;
			if (job->f->claim) /* saved with the document, for the run's figures */
				job->f->claim->ocr = (struct work_ocr){
					job->ocr.stats.pages,          job->ocr.stats.failed,
					job->ocr.stats.flagged,        job->ocr.stats.confidence_pages,
					job->ocr.stats.confidence_sum, job->ocr.stats.cached,
					job->ocr.stats.seconds
				};
			state = job->ocr.failed                                 ? TASK_FAILED
				: job->ocr.stats.cached == job->ocr.stats.pages ? TASK_CACHED
										: TASK_COMPLETED;
			log_ocr(fl, job);
		}
		job->tasks[job->ntasks++] = flow_task(fl, job->f->relpath, STAGE_OCR, state, started, ms,
						      job->ocr.failed ? job->ocr.error.buf : NULL,
						      job->keys);
	}
	free(inputs);
	free(which);
}

/* A chunk drawn from a weak OCR page carries the flag, for retrieval to weigh. */
static int chunk_is_weak(const struct extracted *doc, const struct chunk *c)
{
	for (size_t i = 0; i < doc->npages; i++)
		if (doc->pages[i].flagged && doc->pages[i].page_no >= c->page_start &&
		    doc->pages[i].page_no <= c->page_end)
			return 1;
	return 0;
}

/* The chunk stage's time: the worker's when it chunked, else since `clock`. */
static void chunk_stage_end(struct flow *fl, struct doc_job *job, struct stage_clock *clock,
			    enum task_state state, const char *error)
{
	if (job->prepared.chunked)
		stage_done(fl, job, STAGE_CHUNK, job->prepared.chunk, state, error);
	else
		stage_end(fl, job, clock, STAGE_CHUNK, state, error);
}

size_t process_pages(const struct doc_job *job)
{
	return job->doc.npages;
}

void process_finish(struct flow *fl, struct doc_job *job)
{
	struct extracted *doc = &job->doc;
	struct doc_record *d = job->d;
	const struct found_file *f = job->f;
	struct chunk *chunks = NULL;
	size_t nchunks = 0;
	struct strbuf err = STRBUF_INIT;
	struct stage_clock clock;

	if (job->ocr.failed) {
		job_fail(fl, job, "ocr", job->ocr.error.buf);
		return;
	}
	struct clean_stats cs;
	if (job->prepared.chunked) {
		cs = job->prepared.cs;
		chunks = job->prepared.chunks;
		nchunks = job->prepared.nchunks;
		job->prepared.chunks = NULL;
		job->prepared.nchunks = 0;
		stage_done(fl, job, STAGE_CLEAN, job->prepared.clean, TASK_COMPLETED, NULL);
	} else {
		/* The group's write lock is not held while this one is cleaned. */
		flow_save_group_commit(fl);
		stage_start(&clock);
		clean_document(doc, fl->cfg, parallel_threads(fl->cfg->ingest.threads), &cs);
		stage_end(fl, job, &clock, STAGE_CLEAN, TASK_COMPLETED, NULL);
	}

	stage_start(&clock);
	if (!job->prepared.chunked)
		chunk_document(doc, fl->cfg, &chunks, &nchunks);
	int waiting = 0;
	for (size_t p = 0; p < doc->npages; p++)
		waiting += doc->pages[p].method == PAGE_NEEDS_OCR;
	if (!nchunks && !waiting) {
		/* Say which: nothing was there, or what was there holds no word. */
		if (cs.chars_in)
			strbuf_addf(&err,
				    "no words found: the %zu characters extracted are symbols, combining "
				    "marks or lines dropped as noise",
				    cs.chars_in);
		else
			strbuf_addstr(&err,
				      "no text found: the document is empty or holds only whitespace");
		chunk_stage_end(fl, job, &clock, TASK_FAILED, err.buf);
		chunks_free(chunks, nchunks);
		job_fail(fl, job, "chunk", err.buf);
		strbuf_release(&err);
		return;
	}
	chunk_stage_end(fl, job, &clock, TASK_COMPLETED, NULL);

	/* index: the document, its pages and chunks replace the old ones at once */
	stage_start(&clock);
	/* The text must come from the bytes hashed: a file written to since, even
	 * back to the same bytes later, would stay indexed with the wrong text. */
	struct strbuf why = STRBUF_INIT;
	if (file_stamp_check_beneath(f->root, f->source, &f->stamp, &why)) {
		strbuf_addf(&err,
			    "the file changed while it was being read (%s): it is read again "
			    "on the next run",
			    why.buf);
		strbuf_release(&why);
		chunks_free(chunks, nchunks);
		job_fail(fl, job, "extract", err.buf);
		strbuf_release(&err);
		return;
	}
	strbuf_release(&why);
	enum lang lang = job->prepared.chunked ? job->prepared.lang : document_lang(doc);
	struct chunk_record *recs = xcalloc(nchunks + 1, sizeof(*recs));
	long long chars = 0;
	for (size_t i = 0; i < nchunks; i++) {
		recs[i] = (struct chunk_record){
			.seq = (int)i,
			.page_start = chunks[i].page_start,
			.page_end = chunks[i].page_end,
			.low_confidence = chunk_is_weak(doc, &chunks[i]),
			.heading = chunks[i].heading,
			.char_start = chunks[i].char_start,
			.char_end = chunks[i].char_end,
			.text = chunks[i].text,
			.text_tokens = chunks[i].text_tokens,
			.text_tokens_len = chunks[i].text_tokens_len,
			.heading_tokens = chunks[i].heading_tokens,
			.heading_tokens_len = chunks[i].heading_tokens_len,
		};
		chars += (long long)strlen(chunks[i].text);
	}
	/* The new version goes in a copy: if saving fails, the record (and its
	 * counts) still describe the version that stands in the store. */
	struct doc_record next = *d;
	next.sha256 = xstrdup(f->sha256);
	next.language = xstrdup(lang_code(lang));
	next.title = default_title(doc, f->relpath);
	next.encoding = doc->encoding ? xstrdup(doc->encoding) : NULL;
	next.cache_key = xstrdup(job->keys[STAGE_INDEX]);
	next.error = NULL;
	next.status = nchunks ? DOC_INDEXED : DOC_NEEDS_OCR;
	next.pages = (int)doc->npages;
	next.pages_needing_ocr = waiting;
	next.chunks = (int)nchunks;
	next.chars = chars;
	/* duration -1: measured by the store up to the moment it writes the task */
	job->tasks[job->ntasks++] = flow_task(fl, f->relpath, STAGE_INDEX, TASK_COMPLETED, time_now_ms(),
					      -1, NULL, job->keys);
	save_document(fl, &(struct doc_save){ .job = job,
					      .next = next,
					      .recs = recs,
					      .chunks = chunks,
					      .nchunks = nchunks,
					      .waiting = waiting,
					      .chars = chars,
					      .headers_removed = cs.repeated_removed != 0,
					      .t0 = clock.t0 });
	strbuf_release(&err);
}

/*
 * One new or changed document through the stages: extract -> ocr -> clean
 * -> chunk -> index.  Everything happens in memory; the index stage saves
 * the document, its pages, chunks and task records in one transaction, so
 * a crash leaves the old version or the new one, never a mix.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/chunk.h"
#include "pipeline/clean.h"
#include "pipeline/extract.h"
#include "pipeline/flow.h"
#include "text/tokenize.h"

/* Times one stage of one document and records its task. */
struct stage_clock {
	struct flow *fl;
	const char *doc;
	struct task_record *tasks;
	size_t *ntasks;
	enum stage stage;
	long long started;
	double t0;
};

static void stage_start(struct stage_clock *c, enum stage s)
{
	c->stage = s;
	c->started = time_now_ms();
	c->t0 = time_mono();
}

static void stage_end(struct stage_clock *c, enum task_state state, const char *error)
{
	double dt = time_mono() - c->t0;
	c->fl->stage_seconds[c->stage] += dt;
	c->tasks[(*c->ntasks)++] = flow_task(c->fl, c->doc, c->stage, state, c->started, dt * 1000,
					     error);
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

static int run_ocr(struct flow *fl, const struct found_file *f, enum doc_type type,
		   struct extracted *doc, struct strbuf *err)
{
	int wanted = ocr_pages_wanted(fl->cfg, doc);
	if (!wanted)
		return 0;
	if (!fl->ocr)
		fl->ocr = ocr_stage_new(fl->cfg, fl->st, progress_ocr_pages, fl->progress);
	progress_ocr_expect(fl->progress, wanted);
	struct ocr_stats before = fl->ocr_stats;
	int rc = ocr_document(fl->ocr, f->path, type, doc, &fl->ocr_stats, err);
	const struct ocr_stats *now = &fl->ocr_stats;
	int pages = now->pages - before.pages, scored = now->confidence_pages - before.confidence_pages;
	double mean = scored ? (now->confidence_sum - before.confidence_sum) / scored : 0;
	ALLOC_GROW(fl->ocr_docs, fl->nocr_docs + 1, fl->ocr_docs_alloc);
	fl->ocr_docs[fl->nocr_docs++] = (struct doc_ocr){ xstrdup(f->relpath), pages, mean };
	for (size_t i = 0; i < doc->npages; i++) {
		const struct page_record *p = &doc->pages[i];
		if (p->method == PAGE_OCR_FAILED)
			log_event(LOG_WARNING, fl->run_id, f->relpath, "ocr", "%s", p->error);
		else if (p->flagged)
			log_event(LOG_WARNING, fl->run_id, f->relpath, "ocr",
				  "page %d is weak (confidence %.0f, %d characters): kept, flagged",
				  p->page_no, p->confidence, p->chars);
	}
	log_event(LOG_INFO, fl->run_id, f->relpath, "ocr",
		  "%d pages (%d from cache): mean confidence %.1f, %d flagged, %d failed", pages,
		  now->cached - before.cached, mean, now->flagged - before.flagged,
		  now->failed - before.failed);
	return rc;
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

void process_document(struct flow *fl, struct doc_record *d, const struct found_file *f)
{
	struct task_record tasks[NSTAGES];
	size_t ntasks = 0;
	struct stage_clock clock = { .fl = fl, .doc = f->relpath, .tasks = tasks, .ntasks = &ntasks };
	struct extracted doc = { 0 };
	struct chunk *chunks = NULL;
	size_t nchunks = 0;
	struct strbuf err = STRBUF_INIT;
	char why[256];
	enum doc_type type = TYPE_BINARY;

	flow_cache_keys(fl, f->sha256);
	stage_start(&clock, STAGE_EXTRACT);
	int rc = detect_file(f->path, &type, why, sizeof(why));
	if (rc)
		strbuf_addstr(&err, why);
	flow_doc_from_file(d, f, doc_type_name(type));
	if (!rc)
		rc = extract_document(fl->ex, f->path, type, &doc, &err);
	stage_end(&clock, rc ? TASK_FAILED : TASK_COMPLETED, rc ? err.buf : NULL);
	if (rc) {
		flow_save_failed(fl, d, f, "extract", err.buf, tasks, ntasks);
		goto cleanup;
	}
	if (doc.repaired)
		log_event(LOG_WARNING, fl->run_id, f->relpath, "extract",
			  "%zu invalid UTF-8 sequences replaced with U+FFFD", doc.repaired);
	if (doc.encoding && !strcmp(doc.encoding, "windows-1252"))
		log_event(LOG_WARNING, fl->run_id, f->relpath, "extract",
			  "not UTF-8: decoded as Windows-1252");

	stage_start(&clock, STAGE_OCR);
	rc = run_ocr(fl, f, type, &doc, &err);
	stage_end(&clock, rc ? TASK_FAILED : TASK_COMPLETED, rc ? err.buf : NULL);
	if (rc) {
		flow_save_failed(fl, d, f, "ocr", err.buf, tasks, ntasks);
		goto cleanup;
	}

	stage_start(&clock, STAGE_CLEAN);
	struct clean_stats cs;
	clean_document(&doc, fl->cfg, &cs);
	stage_end(&clock, TASK_COMPLETED, NULL);

	stage_start(&clock, STAGE_CHUNK);
	chunk_document(&doc, fl->cfg, &chunks, &nchunks);
	int waiting = 0;
	for (size_t p = 0; p < doc.npages; p++)
		waiting += doc.pages[p].method == PAGE_NEEDS_OCR;
	if (!nchunks && !waiting) {
		const char *msg = "no text found: the document is empty or holds only whitespace";
		stage_end(&clock, TASK_FAILED, msg);
		flow_save_failed(fl, d, f, "chunk", msg, tasks, ntasks);
		goto cleanup;
	}
	stage_end(&clock, TASK_COMPLETED, NULL);

	/* index: the document, its pages and chunks replace the old ones at once */
	stage_start(&clock, STAGE_INDEX);
	size_t len;
	char *text = document_text(&doc, &len);
	enum lang lang = lang_detect(text, len);
	free(text);
	struct chunk_record *recs = xcalloc(nchunks + 1, sizeof(*recs));
	long long chars = 0;
	for (size_t i = 0; i < nchunks; i++) {
		recs[i] = (struct chunk_record){
			.seq = (int)i, .page_start = chunks[i].page_start, .page_end = chunks[i].page_end,
			.low_confidence = chunk_is_weak(&doc, &chunks[i]), .heading = chunks[i].heading,
			.char_start = chunks[i].char_start, .char_end = chunks[i].char_end,
			.text = chunks[i].text,
		};
		chars += (long long)strlen(chunks[i].text);
	}
	free(d->sha256);
	free(d->language);
	free(d->title);
	free(d->encoding);
	free(d->cache_key);
	free(d->error);
	d->sha256 = xstrdup(f->sha256);
	d->language = xstrdup(lang_code(lang));
	d->title = default_title(&doc, f->relpath);
	d->encoding = doc.encoding ? xstrdup(doc.encoding) : NULL;
	d->cache_key = xstrdup(fl->cache_keys[STAGE_INDEX]);
	d->error = NULL;
	d->status = nchunks ? DOC_INDEXED : DOC_NEEDS_OCR;
	d->pages = (int)doc.npages;
	d->pages_needing_ocr = waiting;
	d->chunks = (int)nchunks;
	d->chars = chars;
	/* duration -1: measured by the store up to the moment it writes the task */
	tasks[ntasks++] = flow_task(fl, f->relpath, STAGE_INDEX, TASK_COMPLETED, time_now_ms(), -1, NULL);
	rc = store_doc_save(fl->st, d, doc.pages, doc.npages, recs, nchunks, 1, tasks, ntasks, &err);
	free(recs);
	fl->stage_seconds[STAGE_INDEX] += time_mono() - clock.t0;
	if (rc) {
		/* The transaction rolled back: the old version stands. */
		flow_save_failed(fl, d, f, "index", err.buf, tasks, ntasks - 1);
		goto cleanup;
	}
	fl->stats.pages += (long long)doc.npages;
	fl->stats.pages_needing_ocr += waiting;
	fl->stats.chunks += (long long)nchunks;
	fl->stats.chars += chars;
	log_event(LOG_INFO, fl->run_id, f->relpath, "index", "%s, %s: %zu pages, %zu chunks%s",
		  doc_type_name(type), d->language, doc.npages, nchunks,
		  cs.repeated_removed ? ", running headers removed" : "");
	if (waiting)
		log_event(LOG_WARNING, fl->run_id, f->relpath, "extract",
			  "%d of %zu pages have no usable text layer and need OCR (ocr.mode=%s)",
			  waiting, doc.npages, fl->cfg->ocr.mode);
cleanup:
	chunks_free(chunks, nchunks);
	extracted_release(&doc);
	strbuf_release(&err);
}

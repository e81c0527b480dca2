/*
 * The OCR stage: pages without a usable text layer (every page of a
 * scan or an image; all PDF pages with ocr.mode=force) become text.
 * Pages are rendered and recognised on ocr.threads worker threads, one
 * Tesseract handle and one MuPDF context each; results are cached by page
 * image + settings + engine version, so re-running never OCRs a page
 * twice.  A weak page (under ocr.min_confidence or ocr.min_chars) is
 * retried once, upright if it was turned, else with another page
 * segmentation mode, and flagged if still weak; a page over a limit fails
 * alone with its reason.
 */
#ifndef PIPELINE_OCR_H
#define PIPELINE_OCR_H

#include "core/config.h"
#include "core/strbuf.h"
#include "pipeline/detect.h"
#include "pipeline/document.h"
#include "pipeline/extract_source.h"
#include "store/store.h"

/* Bump when the way results are produced changes: it invalidates the OCR cache. */
#define OCR_STRATEGY_VERSION 1

struct ocr_stats {
	int pages;             /* pages that went through OCR (or its cache) */
	int succeeded;         /* confident enough and long enough */
	int flagged;           /* weak even after the retry */
	int failed;            /* over a limit, undecodable, too slow */
	int empty;             /* blank: no word found */
	int cached;            /* taken from the cache */
	double confidence_sum; /* over pages with words */
	int confidence_pages;
	double seconds;      /* recognition time, summed over pages */
	double wall_seconds; /* elapsed time of the stage */
};

struct ocr_stage;

/* Called (from worker threads, serialised) after each page, for progress. */
typedef void (*ocr_page_done_fn)(void *ctx);

struct ocr_stage *ocr_stage_new(const struct config *cfg, struct store *st, ocr_page_done_fn on_page,
				void *ctx);
/* Read every page again rather than take its cached result (--no-cache, --refresh ocr). */
void ocr_stage_skip_cache(struct ocr_stage *s);
/* At most `threads` of the stage's threads read pages from now on (cluster slots); 0: all. */
void ocr_stage_limit(struct ocr_stage *s, int threads);
/*
 * Called before each page is read, under the stage's lock (which also
 * guards its store connection): nonzero leaves the page unread, failed
 * with the message it wrote in `why` (a worker whose lease on its cluster
 * OCR slots ran out while it was stopped reads nothing more).
 */
void ocr_stage_gate(struct ocr_stage *s, int (*before_page)(void *ctx, struct strbuf *why), void *ctx);
void ocr_stage_free(struct ocr_stage *stage);

/* Pages of `doc` the stage would OCR under the current settings. */
int ocr_pages_wanted(const struct config *cfg, const struct extracted *doc);

/* Worker threads the settings ask for (ocr.threads, 0 = one per core). */
int ocr_thread_count(const struct config *cfg);

/* One document of a batch. */
struct ocr_input {
	const struct doc_source *src; /* where its pages are read */
	enum doc_type type;
	struct extracted *doc;
	struct ocr_stats stats; /* this document's share */
	int failed;             /* nothing readable is left: the document fails */
	struct strbuf error;    /* why, when failed */
};

/*
 * OCR the pages that need it in a batch of documents, all pages of all of
 * them shared among the worker threads (so single-page scans use every
 * core too), and put their text in as blocks.  Each result is cached as
 * soon as it is made.  Page failures are recorded on the page records; a
 * document fails only when no page of it is left to read.
 */
void ocr_documents(struct ocr_stage *stage, struct ocr_input *docs, size_t ndocs,
		   struct ocr_stats *total);

/* Print a cached OCR result (JSON) as text, low-confidence words between marks. */
int ocr_result_render(const char *result_json, const char *mark_open, const char *mark_close,
		      struct strbuf *out, struct strbuf *err);

#endif

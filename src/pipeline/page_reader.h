/*
 * Reading one page for OCR: render or decode it (MuPDF, Leptonica), then
 * recognise it (Tesseract), a weak page retried once.  Those libraries
 * read bytes anyone can drop in an inbox: an isolated reader does the
 * work in a worker process (worker_process.h), so that a crash, an
 * out-of-memory or an endless loop there fails the page with its reason
 * and the run goes on.  A reader serves one thread at a time.
 *
 * A page goes load -> (recognise | drop): the caller looks its image's
 * hash up in the OCR cache in between, and recognises only on a miss.
 */
#ifndef PIPELINE_PAGE_READER_H
#define PIPELINE_PAGE_READER_H

#include "core/config.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "pipeline/detect.h"
#include "pipeline/extract_source.h"
#include "pipeline/ocr_engine.h"
#include "pipeline/page_image.h"

struct page_reader;

/* In this process, rendering with a MuPDF context cloned from `pool`. */
struct page_reader *page_reader_new_local(const struct config *cfg, struct page_loader_pool *pool);
/* In a worker process of its own. */
struct page_reader *page_reader_new_isolated(const struct config *cfg);
void page_reader_free(struct page_reader *r);

/*
 * Get ready for pages: an isolated reader (re)starts its worker, which
 * forks, so call this while the process runs no other thread.  The
 * Tesseract model starts loading in the background either way.
 */
int page_reader_start(struct page_reader *r, struct strbuf *err);
/* Whether it can take a page: not once its worker was lost, until started again. */
int page_reader_ready(struct page_reader *r);

/* Load page `page_no` (1-based) and keep its image; its dpi and pixel hash out. */
int page_reader_load(struct page_reader *r, const struct doc_source *src, enum doc_type type,
		     int page_no, int *dpi, char hash[SHA256_HEX_LEN + 1], struct strbuf *err);
/* Recognise the kept image (then let it go), retrying once when weak. */
int page_reader_recognise(struct page_reader *r, struct ocr_result *out, struct strbuf *err);
/* Let the kept image go unread (the cache had it). */
void page_reader_drop(struct page_reader *r);

/* Whether a result is weak: under ocr.min_confidence or ocr.min_chars. */
int ocr_result_is_weak(const struct config *cfg, const struct ocr_result *r);
/* Characters of `s` that are not spaces or line breaks. */
size_t ocr_visible_chars(const char *s);

#endif

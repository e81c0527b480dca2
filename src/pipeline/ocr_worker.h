/*
 * The OCR side of a worker process: pages loaded and recognised there by a
 * local page reader, for an isolated one (page_reader.h).  A request is an
 * operation and its arguments; a reply, 0 and the result or an error code
 * and its reason.  A call that loses the worker fails with why
 * (worker_process.h); the page reader is then not ready until restarted.
 */
#ifndef PIPELINE_OCR_WORKER_H
#define PIPELINE_OCR_WORKER_H

#include "core/config.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "pipeline/detect.h"
#include "pipeline/extract_source.h"
#include "pipeline/ocr_engine.h"
#include "pipeline/worker_process.h"

/* The worker that loads and recognises pages. */
extern const struct worker_kind ocr_worker;

int ocr_worker_load(struct worker_process *wp, const struct doc_source *src, enum doc_type type,
		    int page_no, int *dpi, char hash[SHA256_HEX_LEN + 1], struct strbuf *err);
int ocr_worker_recognise(struct worker_process *wp, struct ocr_result *out, struct strbuf *err);
void ocr_worker_drop(struct worker_process *wp);

#endif

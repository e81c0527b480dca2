/*
 * The extract stage: a file on disk becomes pages of text blocks with
 * headings marked.  PDFs go through MuPDF; page images only have their
 * pages counted (OCR reads them); text, Markdown and HTML are read natively.
 */
#ifndef PIPELINE_EXTRACT_H
#define PIPELINE_EXTRACT_H

#include "core/config.h"
#include "core/strbuf.h"
#include "pipeline/detect.h"
#include "pipeline/document.h"

/* Per-run extraction state (a MuPDF context); one per thread. */
struct extractor;

struct extractor *extractor_new(const struct config *cfg);
void extractor_free(struct extractor *ex);
const struct config *extractor_config(const struct extractor *ex);

/*
 * Extract `path` of the given type into `out`.  On failure returns -1 with
 * the cause in `err` ("PDF is encrypted: a password is required").
 */
int extract_document(struct extractor *ex, const char *path, enum doc_type type, struct extracted *out,
		     struct strbuf *err);

/* The format-specific parts, for extract_document and tests. */
int extract_pdf(struct extractor *ex, const char *path, struct extracted *out, struct strbuf *err);
/*
 * The pages [first, first + limit) of a PDF (limit 0: to the end) into
 * `out`, headings not decided (pdf_part.h); -1 with why in err.
 */
struct pdf_part;
int pdf_scan(struct extractor *ex, const char *path, int first, int limit, struct pdf_part *out,
	     struct strbuf *err);
/* A page image file: every page needs OCR; only headers are read here. */
int extract_image(struct extractor *ex, const char *path, enum doc_type type, struct extracted *out,
		  struct strbuf *err);
int extract_plain_text(const char *text, size_t len, struct extracted *out);
int extract_markdown(const char *text, size_t len, struct extracted *out);
int extract_html(const char *text, size_t len, struct extracted *out);

#endif

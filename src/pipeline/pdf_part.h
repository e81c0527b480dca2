/*
 * The text layer of a range of a PDF's pages, as MuPDF laid it out, before
 * headings are decided.  Headings are ranked by font size against the body
 * size, which only the whole document shows: the pages of a large PDF are
 * read in ranges on several parser workers, the parts appended in page
 * order, and headings decided once, on the whole.  Appending is exact
 * (integer character counts, blocks in order), so a document read in
 * ranges gives the very blocks it gives read at once.
 */
#ifndef PIPELINE_PDF_PART_H
#define PIPELINE_PDF_PART_H

#include <stddef.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "core/wire.h"
#include "pipeline/document.h"

/* A text block, before we know the body font size. */
struct raw_block {
	int page; /* 1-based */
	char *text;
	float size; /* dominant font size of its characters */
	int bold;   /* every character bold */
	int lines;
};

struct pdf_part {
	int npages;       /* of the whole document */
	int first, count; /* the part's pages: [first, first + count), 0-based */
	char *title;      /* the document's, from its metadata */
	struct raw_block *blocks;
	size_t nblocks, blocks_alloc;
	/* characters per font size, in tenths of a point: the body size is the largest count */
	long long *size_chars;
	size_t nsizes;
	/* the part's pages, in order */
	struct pdf_page {
		enum page_method method;
		int chars; /* of the text layer (0 when it needs OCR) */
	} * pages;
	size_t pages_alloc;
};

/* Count `chars` characters set in `size` points. */
void pdf_part_add_size(struct pdf_part *p, float size, long long chars);
/* Add the next page of the part. */
void pdf_part_add_page(struct pdf_part *p, enum page_method method, int chars);
/* Move `next` (the pages right after dst's) onto the end of `dst`; `next` is left empty. */
void pdf_part_append(struct pdf_part *dst, struct pdf_part *next);
/*
 * The whole document's part becomes `out`: its pages, then its blocks as
 * paragraphs or ranked headings (blocks on pages that need OCR are left to
 * OCR).  The block texts move to `out`; `p` is released.
 */
void pdf_part_decide(struct pdf_part *p, const struct config *cfg, struct extracted *out);
void pdf_part_release(struct pdf_part *p);

void wire_put_pdf_part(struct strbuf *out, const struct pdf_part *p);
/* 0, or -1 when the message is damaged (then `p` holds nothing). */
int wire_get_pdf_part(struct wire_reader *r, struct pdf_part *p);

#endif

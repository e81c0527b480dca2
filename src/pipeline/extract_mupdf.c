/*
 * PDF text layers through MuPDF, and the pages of image files (counted
 * from their headers: the OCR stage reads them).  A PDF's pages are read
 * into a pdf_part, whose headings are decided on the whole document
 * (pdf_part.h).  Pages without a usable text layer are marked "needs OCR"
 * rather than dropped.
 */
#include <math.h>
#include <mupdf/fitz.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "pipeline/extract.h"
#include "pipeline/page_image.h"
#include "pipeline/pdf_part.h"

struct extractor {
	fz_context *ctx;
	const struct config *cfg;
	const char *current_path;
};

static void on_warning(void *user, const char *message)
{
	struct extractor *ex = user;
	log_event(LOG_DEBUG, 0, ex->current_path, "extract", "mupdf: %s", message);
}

struct extractor *extractor_new(const struct config *cfg)
{
	struct extractor *ex = xcalloc(1, sizeof(*ex));
	ex->cfg = cfg;
	ex->ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
	if (!ex->ctx)
		BUG("cannot create a MuPDF context");
	fz_set_warning_callback(ex->ctx, on_warning, ex);
	fz_set_error_callback(ex->ctx, on_warning, ex);
	fz_register_document_handlers(ex->ctx);
	return ex;
}

void extractor_free(struct extractor *ex)
{
	if (!ex)
		return;
	fz_drop_context(ex->ctx);
	free(ex);
}

static void append_utf8(struct strbuf *sb, int c)
{
	char buf[8];
	int n = fz_runetochar(buf, c);
	strbuf_add(sb, buf, (size_t)n);
}

struct page_scan {
	int chars;   /* non-space characters of the text layer */
	int letters; /* of which letters */
	double image_area, page_area;
};

/* Read one page's text blocks into `part`; count what a page classifier needs. */
static void scan_page(fz_context *ctx, fz_stext_page *tp, int page_no, struct pdf_part *part,
		      struct page_scan *scan)
{
	struct strbuf text = STRBUF_INIT;
	for (fz_stext_block *b = tp->first_block; b; b = b->next) {
		if (b->type == FZ_STEXT_BLOCK_IMAGE) {
			fz_rect r = fz_intersect_rect(b->bbox, tp->mediabox);
			if (!fz_is_empty_rect(r))
				scan->image_area += (double)(r.x1 - r.x0) * (r.y1 - r.y0);
			continue;
		}
		if (b->type != FZ_STEXT_BLOCK_TEXT)
			continue;
		strbuf_reset(&text);
		int lines = 0, all_bold = 1, nchars = 0;
		float sizes[64] = { 0 };
		int size_counts[64] = { 0 };
		for (fz_stext_line *l = b->u.t.first_line; l; l = l->next) {
			if (lines++)
				strbuf_addch(&text, '\n');
			for (fz_stext_char *ch = l->first_char; ch; ch = ch->next) {
				append_utf8(&text, ch->c);
				if (ch->c == ' ' || ch->c == '\t')
					continue;
				nchars++;
				scan->chars++;
				if ((ch->c >= 'A' && ch->c <= 'Z') || (ch->c >= 'a' && ch->c <= 'z') ||
				    (ch->c >= 0xC0 && ch->c <= 0x24F))
					scan->letters++;
				if (!ch->font || !fz_font_is_bold(ctx, ch->font))
					all_bold = 0;
				for (int k = 0; k < 64; k++) {
					if (size_counts[k] == 0 || fabsf(sizes[k] - ch->size) < 0.05f) {
						sizes[k] = ch->size;
						size_counts[k]++;
						break;
					}
				}
			}
		}
		if (!nchars)
			continue;
		int best = 0;
		for (int k = 1; k < 64; k++)
			if (size_counts[k] > size_counts[best])
				best = k;
		for (int k = 0; k < 64 && size_counts[k]; k++)
			pdf_part_add_size(part, sizes[k], size_counts[k]);
		ALLOC_GROW(part->blocks, part->nblocks + 1, part->blocks_alloc);
		struct raw_block *rb = &part->blocks[part->nblocks++];
		rb->page = page_no;
		rb->text = strbuf_detach(&text, NULL);
		rb->size = sizes[best];
		rb->bold = all_bold;
		rb->lines = lines;
	}
	strbuf_release(&text);
}

/* Whether anything at all is drawn on the page (a blank page needs no OCR). */
static int page_has_marks(fz_context *ctx, fz_page *page)
{
	fz_rect box = fz_empty_rect;
	fz_device *dev = fz_new_bbox_device(ctx, &box);
	fz_try(ctx)
	{
		fz_run_page(ctx, page, dev, fz_identity, NULL);
		fz_close_device(ctx, dev);
	}
	fz_always(ctx) fz_drop_device(ctx, dev);
	fz_catch(ctx) fz_rethrow(ctx);
	return !fz_is_empty_rect(box);
}

/*
 * A page whose text layer is missing, too short, or mostly non-letters (the
 * invisible text of a bad earlier OCR) needs OCR, unless nothing is drawn
 * on it at all.
 */
static enum page_method classify_page(fz_context *ctx, fz_page *page, const struct page_scan *s,
				      unsigned min_chars)
{
	int garbage = s->chars > 0 && s->letters * 2 < s->chars;
	if (s->chars >= (int)min_chars && !garbage)
		return PAGE_TEXT;
	if (garbage || s->image_area > 0)
		return PAGE_NEEDS_OCR;
	return page_has_marks(ctx, page) ? PAGE_NEEDS_OCR : PAGE_EMPTY;
}

int extract_image(struct extractor *ex, const char *path, enum doc_type type, struct extracted *out,
		  struct strbuf *err)
{
	int pages;
	if (image_page_count(path, type, &pages, err))
		return -1;
	if ((unsigned)pages > ex->cfg->collect.max_pages) {
		strbuf_addf(err, "the image has %d pages, over collect.max_pages (%u)", pages,
			    ex->cfg->collect.max_pages);
		return -1;
	}
	for (int i = 1; i <= pages; i++)
		extracted_add_page(out, i, PAGE_NEEDS_OCR, 0);
	return 0;
}

const struct config *extractor_config(const struct extractor *ex)
{
	return ex->cfg;
}

int pdf_scan(struct extractor *ex, const char *path, int first, int limit, struct pdf_part *out,
	     struct strbuf *err)
{
	fz_context *ctx = ex->ctx;
	fz_stream *volatile stm = NULL;
	fz_document *volatile doc = NULL;
	fz_page *volatile page = NULL;
	fz_stext_page *volatile tp = NULL;
	/*
	 * What is read goes straight to `out`, on the heap: a local changed
	 * inside fz_try is indeterminate after MuPDF throws (longjmp), and
	 * clang -O1 kept such fields in registers, so a page that failed to
	 * load after a good one leaked the blocks read so far
	 * (fuzz/regressions/ingest/).
	 */
	volatile int ret = -1;

	memset(out, 0, sizeof(*out));
	ex->current_path = path;
	fz_try(ctx)
	{
		stm = fz_open_file(ctx, path);
		doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
		if (fz_needs_password(ctx, doc) && !fz_authenticate_password(ctx, doc, ""))
			fz_throw(ctx, FZ_ERROR_GENERIC, "the PDF is encrypted: a password is required");
		int npages = fz_count_pages(ctx, doc);
		if (npages <= 0)
			fz_throw(ctx, FZ_ERROR_GENERIC, "the PDF has no pages");
		if ((unsigned)npages > ex->cfg->collect.max_pages)
			fz_throw(ctx, FZ_ERROR_GENERIC,
				 "the PDF has %d pages, over collect.max_pages (%u)", npages,
				 ex->cfg->collect.max_pages);
		if (first < 0 || first >= npages)
			fz_throw(ctx, FZ_ERROR_GENERIC, "the PDF has no page %d (it has %d)", first + 1,
				 npages);
		int end = limit > 0 && limit < npages - first ? first + limit : npages;
		out->npages = npages;
		out->first = first;
		char title[512];
		if (fz_lookup_metadata(ctx, doc, FZ_META_INFO_TITLE, title, sizeof(title)) > 1)
			out->title = xstrdup(title);
		fz_stext_options opts = { .flags = FZ_STEXT_PRESERVE_LIGATURES |
						   FZ_STEXT_PRESERVE_IMAGES | FZ_STEXT_MEDIABOX_CLIP };
		for (int i = first; i < end; i++) {
			page = fz_load_page(ctx, doc, i);
			struct page_scan scan = { 0 };
			fz_rect box = fz_bound_page(ctx, page);
			scan.page_area = (double)(box.x1 - box.x0) * (box.y1 - box.y0);
			tp = fz_new_stext_page_from_page(ctx, page, &opts);
			scan_page(ctx, tp, i + 1, out, &scan);
			fz_drop_stext_page(ctx, tp);
			tp = NULL;
			enum page_method method = classify_page(ctx, page, &scan,
								ex->cfg->extract.min_page_chars);
			if (method == PAGE_NEEDS_OCR)
				scan.chars = 0;
			pdf_part_add_page(out, method, scan.chars);
			fz_drop_page(ctx, page);
			page = NULL;
		}
		ret = 0;
	}
	fz_always(ctx)
	{
		fz_drop_stext_page(ctx, tp);
		fz_drop_page(ctx, page);
		fz_drop_document(ctx, doc);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx)
	{
		const char *msg = fz_caught_message(ctx);
		if (strstr(msg, "cannot recognize version marker") || strstr(msg, "no objects found") ||
		    strstr(msg, "startxref") || strstr(msg, "trailer"))
			strbuf_addf(err, "the PDF is damaged and cannot be repaired: %s", msg);
		else if (!strncmp(msg, "the ", 4))
			strbuf_addstr(err, msg);
		else
			strbuf_addf(err, "cannot read the PDF: %s", msg);
		ret = -1;
	}
	if (ret)
		pdf_part_release(out);
	ex->current_path = NULL;
	return ret;
}

int extract_pdf(struct extractor *ex, const char *path, struct extracted *out, struct strbuf *err)
{
	struct pdf_part whole;
	if (pdf_scan(ex, path, 0, 0, &whole, err))
		return -1;
	pdf_part_decide(&whole, ex->cfg, out);
	return 0;
}

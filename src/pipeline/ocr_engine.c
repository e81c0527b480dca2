/*
 * Tesseract through its C API; see ocr_engine.h.
 */
#include "pipeline/ocr_engine.h"

#include <leptonica/allheaders.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/ocr_libs.h" /* after Tesseract's header: see there */

struct ocr_engine {
	TessBaseAPI *api;
};

struct ocr_engine *ocr_engine_new(const char *tessdata, const char *languages, struct strbuf *err)
{
	if (ocr_libs_load(err))
		return NULL;
	struct ocr_engine *e = xcalloc(1, sizeof(*e));
	e->api = TessBaseAPICreate();
	if (TessBaseAPIInit3(e->api, tessdata, languages)) {
		strbuf_addf(err,
			    "Tesseract cannot load the languages '%s' from '%s' "
			    "(install the tesseract-ocr-<lang> packages, or set ocr.languages)",
			    languages, tessdata);
		TessBaseAPIDelete(e->api);
		free(e);
		return NULL;
	}
	/* Tesseract prints debug chatter ("Detected 31 diacritics") unless told where. */
	TessBaseAPISetVariable(e->api, "debug_file", "/dev/null");
	return e;
}

void ocr_engine_free(struct ocr_engine *e)
{
	if (!e)
		return;
	TessBaseAPIEnd(e->api);
	TessBaseAPIDelete(e->api);
	free(e);
}

const char *ocr_engine_version(void)
{
	struct strbuf ignored = STRBUF_INIT;
	int missing = ocr_libs_load(&ignored);
	strbuf_release(&ignored);
	/* Without Tesseract every page fails, each saying why (ocr_engine_new). */
	return missing ? "none" : TessVersion();
}

void ocr_result_release(struct ocr_result *r)
{
	free(r->text);
	free(r->lines);
	free(r->low);
	memset(r, 0, sizeof(*r));
}

struct cancel_state {
	double deadline;
};

static bool cancel_past_deadline(void *user, int words)
{
	struct cancel_state *cs = user;
	return time_mono() > cs->deadline;
}

/* Walk the words, building the page text with its lines and low-confidence words. */
static void collect(TessBaseAPI *api, double low_conf, struct ocr_result *r)
{
	struct strbuf text = STRBUF_INIT;
	size_t lines_alloc = 0, low_alloc = 0;
	double conf_sum = 0, line_sum = 0;
	int line_words = 0, para = -1;
	TessResultIterator *it = TessBaseAPIGetIterator(api);
	if (!it) {
		r->text = strbuf_detach(&text, NULL);
		return;
	}
	TessPageIterator *pit = TessResultIteratorGetPageIterator(it);
	do {
		char *word = TessResultIteratorGetUTF8Text(it, RIL_WORD);
		if (!word)
			continue;
		float conf = TessResultIteratorConfidence(it, RIL_WORD);
		if (TessPageIteratorIsAtBeginningOf(pit, RIL_PARA) || para < 0) {
			if (text.len)
				strbuf_addstr(&text, "\n\n");
			para++;
		}
		if (TessPageIteratorIsAtBeginningOf(pit, RIL_TEXTLINE) || !r->nlines ||
		    r->lines[r->nlines - 1].para != para) {
			if (text.len && text.buf[text.len - 1] != '\n')
				strbuf_addch(&text, '\n');
			ALLOC_GROW(r->lines, r->nlines + 1, lines_alloc);
			struct ocr_line *l = &r->lines[r->nlines++];
			int left, top, right, bottom;
			l->start = l->end = text.len;
			l->para = para;
			l->height = TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &left, &top, &right,
								&bottom)
					    ? bottom - top
					    : 0;
			line_sum = 0;
			line_words = 0;
		} else {
			strbuf_addch(&text, ' ');
		}
		size_t start = text.len;
		strbuf_addstr(&text, word);
		TessDeleteText(word);
		struct ocr_line *l = &r->lines[r->nlines - 1];
		l->end = text.len;
		line_sum += conf;
		l->confidence = (float)(line_sum / ++line_words);
		conf_sum += conf;
		r->words++;
		if (conf < low_conf) {
			ALLOC_GROW(r->low, r->nlow + 1, low_alloc);
			r->low[r->nlow++] = (struct ocr_word_mark){ start, text.len, conf };
		}
	} while (TessResultIteratorNext(it, RIL_WORD));
	TessResultIteratorDelete(it);
	r->confidence = r->words ? (float)(conf_sum / r->words) : 0;
	r->text = strbuf_detach(&text, NULL);
}

/*
 * Tesseract copies the image it is given (its thresholder "always ends up
 * with our own copy") and keeps that copy as its input image: the page's
 * own is swapped for it, so one copy is held through recognition instead
 * of two (225 MB less at the peak for a 225-megapixel page).  The pixels
 * are the same; Tesseract only reads them.
 */
static void set_image(struct ocr_engine *e, struct page_image *img)
{
	TessBaseAPISetImage2(e->api, img->pix);
	PIX *theirs = TessBaseAPIGetInputImage(e->api);
	if (!theirs || theirs == img->pix || pixGetDepth(theirs) != pixGetDepth(img->pix) ||
	    pixGetWidth(theirs) != pixGetWidth(img->pix) ||
	    pixGetHeight(theirs) != pixGetHeight(img->pix))
		return;
	PIX *mine = img->pix;
	img->pix = pixClone(theirs);
	pixDestroy(&mine);
}

int ocr_engine_read(struct ocr_engine *e, struct page_image *img, enum ocr_psm psm,
		    double low_word_confidence, double deadline_s, struct ocr_result *out,
		    struct strbuf *err)
{
	double t0 = time_mono();
	struct cancel_state cs = { t0 + deadline_s };
	memset(out, 0, sizeof(*out));
	TessBaseAPISetPageSegMode(e->api, (TessPageSegMode)psm);
	set_image(e, img);
	TessBaseAPISetSourceResolution(e->api, img->dpi);
	ETEXT_DESC *monitor = TessMonitorCreate();
	TessMonitorSetCancelFunc(monitor, cancel_past_deadline);
	TessMonitorSetCancelThis(monitor, &cs);
	int rc = TessBaseAPIRecognize(e->api, monitor);
	TessMonitorDelete(monitor);
	out->seconds = time_mono() - t0;
	out->psm = psm;
	if (out->seconds > deadline_s) {
		strbuf_addf(err, "OCR took longer than the page budget (ocr.page_timeout, %g s)",
			    deadline_s);
		TessBaseAPIClear(e->api);
		return -1;
	}
	if (rc) {
		strbuf_addstr(err, "Tesseract could not recognise the page");
		TessBaseAPIClear(e->api);
		return -1;
	}
	collect(e->api, low_word_confidence, out);
	TessBaseAPIClear(e->api);
	return 0;
}

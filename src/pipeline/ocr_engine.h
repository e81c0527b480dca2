/*
 * One Tesseract handle (C API): recognise a page image into text with
 * per-line and per-word confidences, and detect a page's orientation.
 * Not thread-safe: one engine per thread.
 */
#ifndef PIPELINE_OCR_ENGINE_H
#define PIPELINE_OCR_ENGINE_H

#include <stddef.h>

#include "core/strbuf.h"
#include "pipeline/page_image.h"

struct ocr_engine;

/* Load `languages` ("fra+eng") from `tessdata`; NULL with the reason when it cannot. */
struct ocr_engine *ocr_engine_new(const char *tessdata, const char *languages, struct strbuf *err);
void ocr_engine_free(struct ocr_engine *engine);
/* "5.3.0" */
const char *ocr_engine_version(void);

/* Page segmentation modes we use (Tesseract's numbers). */
enum ocr_psm { OCR_PSM_AUTO = 3, OCR_PSM_SINGLE_BLOCK = 6, OCR_PSM_SPARSE = 11 };

struct ocr_line {
	size_t start, end; /* bytes of the page text */
	int para;          /* paragraph number, from 0 */
	float confidence;  /* mean of its words, 0-100 */
	int height;        /* pixels, for spotting headings */
};

struct ocr_word_mark {
	size_t start, end;
	float confidence;
};

struct ocr_result {
	char *text; /* paragraphs split by "\n\n", lines by "\n" */
	struct ocr_line *lines;
	size_t nlines;
	struct ocr_word_mark *low; /* words under the low-confidence threshold */
	size_t nlow;
	int words;
	float confidence; /* mean word confidence, 0-100 (0 with no word) */
	int psm, rotation;
	double seconds;
};

void ocr_result_release(struct ocr_result *r);

/* The result as JSON, with the page's dpi and whether it was flagged weak; caller frees. */
char *ocr_result_to_json(const struct ocr_result *r, int dpi, int flagged);
/* Parse what ocr_result_to_json wrote (offsets kept inside the text): 0 or -1. */
int ocr_result_from_json(const char *text, struct ocr_result *r, int *flagged);

/*
 * Recognise the image.  Stops with an error when `deadline_s` seconds pass
 * first.  Words under `low_word_confidence` are listed in r->low.
 * img->pix may be replaced by Tesseract's copy of it (the same pixels;
 * the page's own is freed): one copy of a page in memory, not two.
 */
int ocr_engine_read(struct ocr_engine *engine, struct page_image *img, enum ocr_psm psm,
		    double low_word_confidence, double deadline_s, struct ocr_result *out,
		    struct strbuf *err);

#endif

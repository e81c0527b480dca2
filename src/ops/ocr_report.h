/*
 * The OCR quality of the current index: success rate, confidence
 * histogram, worst pages and per-language figures (`ragops ocr report`).
 */
#ifndef OPS_OCR_REPORT_H
#define OPS_OCR_REPORT_H

#include "core/strbuf.h"
#include "store/store.h"

#define OCR_REPORT_WORST 10
#define OCR_REPORT_LANGS 4

struct ocr_lang_stats {
	char language[8];
	int pages, succeeded;
	double confidence_sum;
	int confidence_pages;
};

struct ocr_report {
	struct ocr_page_info *pages; /* every OCR page of the index */
	size_t npages;
	int succeeded, flagged, failed;
	double confidence_sum, seconds_sum;
	int confidence_pages;
	int histogram[10];                                   /* pages per 10-point confidence band */
	const struct ocr_page_info *worst[OCR_REPORT_WORST]; /* lowest confidence first */
	int nworst;
	struct ocr_lang_stats langs[OCR_REPORT_LANGS];
	int nlangs;
};

int ocr_report_build(struct store *st, struct ocr_report *r, struct strbuf *err);
void ocr_report_release(struct ocr_report *r);

#endif

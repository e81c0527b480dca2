/*
 * The OCR quality report; see ocr_report.h.
 */
#include "ops/ocr_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ocr_lang_stats *lang_slot(struct ocr_report *r, const char *language)
{
	for (int i = 0; i < r->nlangs; i++)
		if (!strcmp(r->langs[i].language, language))
			return &r->langs[i];
	if (r->nlangs == OCR_REPORT_LANGS)
		return &r->langs[OCR_REPORT_LANGS - 1]; /* the rest share the last row */
	struct ocr_lang_stats *l = &r->langs[r->nlangs++];
	snprintf(l->language, sizeof(l->language), "%s", language);
	return l;
}

static void rank_worst(struct ocr_report *r, const struct ocr_page_info *p)
{
	/* Failed pages are worst of all; then by confidence. */
	float score = p->failed ? -1 : p->confidence;
	int i = r->nworst < OCR_REPORT_WORST ? r->nworst++ : OCR_REPORT_WORST;
	while (i > 0) {
		const struct ocr_page_info *q = r->worst[i - 1];
		if ((q->failed ? -1 : q->confidence) <= score)
			break;
		if (i < OCR_REPORT_WORST)
			r->worst[i] = q;
		i--;
	}
	if (i < OCR_REPORT_WORST)
		r->worst[i] = p;
}

int ocr_report_build(struct store *st, struct ocr_report *r, struct strbuf *err)
{
	memset(r, 0, sizeof(*r));
	if (store_ocr_pages(st, &r->pages, &r->npages, err))
		return -1;
	for (size_t i = 0; i < r->npages; i++) {
		const struct ocr_page_info *p = &r->pages[i];
		struct ocr_lang_stats *l = lang_slot(r, p->language ? p->language : "und");
		l->pages++;
		rank_worst(r, p);
		if (p->failed) {
			r->failed++;
			continue;
		}
		r->seconds_sum += p->seconds;
		r->confidence_sum += p->confidence;
		r->confidence_pages++;
		l->confidence_sum += p->confidence;
		l->confidence_pages++;
		int band = (int)(p->confidence / 10);
		r->histogram[band < 0 ? 0 : band > 9 ? 9 : band]++;
		if (p->flagged) {
			r->flagged++;
		} else {
			r->succeeded++;
			l->succeeded++;
		}
	}
	return 0;
}

void ocr_report_release(struct ocr_report *r)
{
	ocr_pages_free(r->pages, r->npages);
	memset(r, 0, sizeof(*r));
}

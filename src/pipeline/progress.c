/*
 * The progress line of a run on a terminal (stderr): documents done, pages
 * read (text and OCR alike) and pages per second, OCR pages done, an
 * estimate of the time left, then what the run does once the documents are
 * in (training, embedding).  Nothing when stderr is not a terminal: logs
 * and pipes get no carriage returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/flow.h"

struct progress {
	size_t docs_total, docs_done, pages_done;
	int ocr_expected, ocr_done;
	double t0, ocr_t0, last_draw;
	const char *phase; /* after the documents: what the run does now */
};

struct progress *progress_new(size_t documents)
{
	if (!isatty(STDERR_FILENO) || getenv("RAGOPS_NO_PROGRESS"))
		return NULL;
	struct progress *p = xcalloc(1, sizeof(*p));
	p->docs_total = documents;
	p->t0 = time_mono();
	return p;
}

static void draw(struct progress *p, int force)
{
	double now = time_mono();
	if (!force && now - p->last_draw < 0.2)
		return;
	p->last_draw = now;
	fprintf(stderr, "\r\033[K  documents %zu/%zu", p->docs_done, p->docs_total);
	if (p->phase) {
		fprintf(stderr, " · %s", p->phase);
		fflush(stderr);
		return;
	}
	if (p->pages_done)
		fprintf(stderr, " · pages %zu · %.1f pages/s", p->pages_done,
			(double)p->pages_done / (now - p->t0 + 1e-9));
	if (p->ocr_expected) {
		double rate = p->ocr_done / (now - p->ocr_t0 + 1e-9);
		fprintf(stderr, " · OCR pages %d/%d · %.2f pages/s", p->ocr_done, p->ocr_expected, rate);
		if (p->ocr_done && p->ocr_done < p->ocr_expected)
			fprintf(stderr, " · ETA %.0f s", (p->ocr_expected - p->ocr_done) / rate);
	} else if (p->docs_done) {
		double per_doc = (now - p->t0) / (double)p->docs_done;
		fprintf(stderr, " · ETA %.0f s", per_doc * (double)(p->docs_total - p->docs_done));
	}
	fflush(stderr);
}

void progress_document_done(struct progress *p, size_t pages)
{
	if (!p)
		return;
	p->docs_done++;
	p->pages_done += pages;
	draw(p, p->docs_done == p->docs_total);
}

void progress_phase(struct progress *p, const char *phase)
{
	if (!p)
		return;
	p->phase = phase;
	draw(p, 1);
}

void progress_ocr_expect(struct progress *p, int pages)
{
	if (!p)
		return;
	if (!p->ocr_expected)
		p->ocr_t0 = time_mono();
	p->ocr_expected += pages;
	draw(p, 1);
}

void progress_ocr_pages(void *ctx)
{
	struct progress *p = ctx;
	if (!p)
		return;
	p->ocr_done++;
	draw(p, 0);
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	free(p);
}

/*
 * An OCR result as JSON: the format of the OCR cache, and of a result's
 * trip from an OCR worker process back to the run; see ocr_engine.h.
 */
#include <jansson.h>
#include <string.h>

#include "core/xalloc.h"
#include "pipeline/ocr_engine.h"

char *ocr_result_to_json(const struct ocr_result *r, int dpi, int flagged)
{
	json_t *lines = json_array(), *low = json_array();
	for (size_t i = 0; i < r->nlines; i++) {
		const struct ocr_line *l = &r->lines[i];
		json_array_append_new(lines, json_pack("[I, I, i, f, i]", (json_int_t)l->start,
						       (json_int_t)l->end, l->para,
						       (double)l->confidence, l->height));
	}
	for (size_t i = 0; i < r->nlow; i++)
		json_array_append_new(low, json_pack("[I, I, f]", (json_int_t)r->low[i].start,
						     (json_int_t)r->low[i].end,
						     (double)r->low[i].confidence));
	json_t *j = json_pack("{s:s, s:o, s:o, s:i, s:f, s:i, s:i, s:f, s:i, s:i}", "text", r->text,
			      "lines", lines, "low", low, "words", r->words, "confidence",
			      (double)r->confidence, "psm", r->psm, "rotation", r->rotation, "seconds",
			      r->seconds, "dpi", dpi, "flagged", flagged);
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

int ocr_result_from_json(const char *text, struct ocr_result *r, int *flagged)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr), *lines, *low;
	const char *t;
	double conf, secs;
	int dpi;
	memset(r, 0, sizeof(*r));
	if (!j ||
	    json_unpack(j, "{s:s, s:o, s:o, s:i, s:F, s:i, s:i, s:F, s:i, s:i}", "text", &t, "lines",
			&lines, "low", &low, "words", &r->words, "confidence", &conf, "psm", &r->psm,
			"rotation", &r->rotation, "seconds", &secs, "dpi", &dpi, "flagged", flagged)) {
		json_decref(j);
		return -1;
	}
	r->text = xstrdup(t);
	r->confidence = (float)conf;
	r->seconds = secs;
	size_t textlen = strlen(r->text);
	r->nlines = json_array_size(lines);
	r->lines = xcalloc(r->nlines + 1, sizeof(*r->lines));
	for (size_t i = 0; i < r->nlines; i++) {
		json_int_t a = 0, b = 0;
		double c = 0;
		struct ocr_line *l = &r->lines[i];
		json_unpack(json_array_get(lines, i), "[I, I, i, F, i]", &a, &b, &l->para, &c,
			    &l->height);
		l->start = (size_t)a <= textlen ? (size_t)a : textlen;
		l->end = (size_t)b <= textlen && b >= a ? (size_t)b : l->start;
		l->confidence = (float)c;
	}
	r->nlow = json_array_size(low);
	r->low = xcalloc(r->nlow + 1, sizeof(*r->low));
	for (size_t i = 0; i < r->nlow; i++) {
		json_int_t a = 0, b = 0;
		double c = 0;
		json_unpack(json_array_get(low, i), "[I, I, F]", &a, &b, &c);
		r->low[i].start = (size_t)a <= textlen ? (size_t)a : textlen;
		r->low[i].end = (size_t)b <= textlen && b >= a ? (size_t)b : r->low[i].start;
		r->low[i].confidence = (float)c;
	}
	json_decref(j);
	return 0;
}

/*
 * The monitoring summary: pipeline runs, OCR quality, answers and ratings
 * over a time window, as one JSON document.  `ragops monitor` prints it,
 * GET /api/metrics/summary serves it and the dashboard's Quality page
 * draws it, so the field names are an interface: change them together.
 *
 * Figures that cannot be computed (no row to compute them from) are JSON
 * null, never 0.  Percentiles are nearest-rank on the sorted values, as
 * `ragops health` computes its latency p95, so both show the same number.
 * Days are UTC days; `days` holds every day the window touches (at most
 * the last SUMMARY_MAX_DAYS), oldest first, empty days included.
 * Counting rules:
 *   - pipeline.completed counts "completed" and "completed_with_failures";
 *   - documents processed are the new and changed ones of a run (not the
 *     unchanged, renamed or deleted ones);
 *   - OCR figures are those of `ragops runs show`: the pages of the
 *     documents a run processed, as the index holds them now;
 *   - run durations (duration_s, run_seconds_p50) leave out runs still
 *     going and crashed runs (their end was only noticed later);
 *   - pipeline.last_run is the newest run, in the window or not.
 * The text of recent_feedback (question, comment, correction) is scrubbed
 * (ops/scrub.h): GET /api/metrics/summary is a public route, and `ragops
 * monitor` shows the same summary.
 */
#ifndef OPS_SUMMARY_H
#define OPS_SUMMARY_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

#define SUMMARY_MAX_DAYS        90
#define SUMMARY_RECENT_FEEDBACK 10

/*
 * The monitoring summary over the last `window_ms` (runs, OCR, answers, ratings);
 * NULL with a message in err on a store error. Caller json_decref()s.
 * `max_runs` caps the "runs" array (the newest of the window).  Safe to call
 * from several threads at once, each with its own store.
 */
json_t *summary_build(struct store *st, const struct config *cfg, long long window_ms, int max_runs,
		      struct strbuf *err);

#endif

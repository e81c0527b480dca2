/*
 * A run's timeline: each stage (collect, extract, ocr, ..., embed,
 * lexicon, validate, publish, history) from its first task's start to its
 * last task's end, from the task rows that did work (cached ones took no
 * time), in the order the stages began.  For `ragops runs show` and its
 * --json ("timeline").
 */
#ifndef OPS_RUN_TIMELINE_H
#define OPS_RUN_TIMELINE_H

#include <jansson.h>
#include <stdio.h>

#include "ops/run_report.h"

struct stage_span {
	char stage[32];
	long long start_ms, end_ms; /* from the run's start */
	size_t tasks;
	double busy_ms; /* the tasks' durations added (more than the span when they overlap) */
};

/* At most `max` spans into `out`; how many. */
size_t run_timeline(const struct run_detail *d, struct stage_span *out, size_t max);
json_t *run_timeline_json(const struct run_detail *d);
/* "  extract    0.0 s   3.2 s  [=====.....]  120 tasks" per stage, bars `width` wide. */
void run_timeline_print(const struct run_detail *d, FILE *out, int width);

#endif

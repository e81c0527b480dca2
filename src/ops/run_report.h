/*
 * A pipeline run as people and programs see it: the run record, its tasks
 * and what it did to each document, as JSON for `ragops runs --json` and
 * the HTTP API alike.
 */
#ifndef OPS_RUN_REPORT_H
#define OPS_RUN_REPORT_H

#include <jansson.h>

#include "store/store.h"

struct run_detail {
	struct run_record run;
	struct task_list tasks;
	struct run_document *docs;
	size_t ndocs;
};

/* Run `id`, its tasks and documents. */
enum lookup run_detail_load(struct store *st, long long id, struct run_detail *out, struct strbuf *err);
void run_detail_release(struct run_detail *d);

/* Seconds the run took, -1 while it runs. */
double run_seconds(const struct run_record *r);
/* "text layer", "OCR", "text + OCR" or "failed". */
const char *run_document_method(const struct run_document *d);

/* The run's record; with its whole configuration when with_params. */
json_t *run_to_json(const struct run_record *r, int with_params);
/* Which of a run's tasks to show: those in `state` (NULL: all), from `offset`, at most `limit` (0: all). */
struct task_page {
	const char *state;
	size_t offset, limit;
};

/* The record, its documents, the page of its tasks and "tasks_total" (matching the state). */
json_t *run_detail_to_json(const struct run_detail *d, const struct task_page *page);

#endif

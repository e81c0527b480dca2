/*
 * Runs as JSON; see run_report.h.
 */
#include "ops/run_report.h"
#include "ops/run_timeline.h"

#include <string.h>

#include "core/json.h"

enum lookup run_detail_load(struct store *st, long long id, struct run_detail *out, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	enum lookup got = store_run_get(st, id, &out->run, err);
	if (got != LOOKUP_FOUND)
		return got;
	if (store_tasks_of_run(st, id, &out->tasks, err) ||
	    store_run_documents(st, id, &out->docs, &out->ndocs, err)) {
		run_detail_release(out);
		return LOOKUP_FAILED;
	}
	return LOOKUP_FOUND;
}

void run_detail_release(struct run_detail *d)
{
	run_record_release(&d->run);
	task_list_release(&d->tasks);
	run_documents_free(d->docs, d->ndocs);
	memset(d, 0, sizeof(*d));
}

double run_seconds(const struct run_record *r)
{
	return r->ended_at ? (double)(r->ended_at - r->started_at) / 1000.0 : -1;
}

const char *run_document_method(const struct run_document *d)
{
	if (d->error)
		return "failed";
	if (d->ocr_pages + d->failed_pages == 0)
		return "text layer";
	return d->text_pages ? "text + OCR" : "OCR";
}

json_t *run_to_json(const struct run_record *r, int with_params)
{
	const struct run_stats *s = &r->stats;
	json_t *params = with_params && r->params ? json_loads(r->params, 0, NULL) : NULL;
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:I, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:I}, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:o}, s:o, s:o?}",
			 "id", (json_int_t)r->id, "state", r->state, "trigger", r->trigger, "deployment",
			 json_str(r->deployment), "scheduled_for_ms",
			 r->scheduled_for ? json_integer(r->scheduled_for) : json_null(),
			 "started_at_ms", (json_int_t)r->started_at, "ended_at_ms",
			 r->ended_at ? json_integer(r->ended_at) : json_null(), "duration_s",
			 r->ended_at ? json_real(run_seconds(r)) : json_null(), "documents", "seen",
			 (json_int_t)s->docs_seen, "new", (json_int_t)s->docs_new, "changed",
			 (json_int_t)s->docs_changed, "unchanged", (json_int_t)s->docs_unchanged,
			 "renamed", (json_int_t)s->docs_renamed, "deleted", (json_int_t)s->docs_deleted,
			 "failed", (json_int_t)s->docs_failed, "pages", (json_int_t)s->pages,
			 "pages_needing_ocr", (json_int_t)s->pages_needing_ocr, "chunks",
			 (json_int_t)s->chunks, "characters", (json_int_t)s->chars, "ocr", "pages",
			 (json_int_t)s->ocr_pages, "weak", (json_int_t)s->ocr_flagged, "failed",
			 (json_int_t)s->ocr_failed, "mean_confidence",
			 s->ocr_pages ? json_real(s->ocr_confidence) : json_null(), "error",
			 json_str(r->error), "parameters", params);
}

static json_t *documents_json(const struct run_document *docs, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct run_document *r = &docs[i];
		json_array_append_new(arr,
				      json_pack("{s:o, s:s, s:i, s:i, s:i, s:i, s:o, s:o, s:o}",
						"document", json_str(r->doc), "method",
						run_document_method(r), "pages", r->pages, "text_pages",
						r->text_pages, "ocr_pages", r->ocr_pages, "failed_pages",
						r->failed_pages, "mean_confidence",
						r->ocr_pages ? json_real(r->confidence) : json_null(),
						"weak_pages", json_str(r->flagged_pages), "error",
						json_str(r->error)));
	}
	return arr;
}

json_t *run_detail_to_json(const struct run_detail *d, const struct task_page *page)
{
	json_t *j = run_to_json(&d->run, 1);
	json_t *arr = json_array();
	size_t matching = 0;
	for (size_t i = 0; i < d->tasks.n; i++) {
		const struct task_record *t = &d->tasks.items[i];
		if (page->state && strcmp(page->state, task_state_name(t->state)))
			continue;
		if (matching++ < page->offset || (page->limit && json_array_size(arr) >= page->limit))
			continue;
		json_array_append_new(arr, json_pack("{s:o, s:s, s:s, s:i, s:f, s:s?, s:o}", "document",
						     json_str(t->doc_path), "stage", t->stage, "state",
						     task_state_name(t->state), "attempts", t->attempts,
						     "duration_ms", t->duration_ms, "cache_key",
						     t->cache_key, "error", json_str(t->error)));
	}
	json_object_set_new(j, "per_document", documents_json(d->docs, d->ndocs));
	json_object_set_new(j, "timeline", run_timeline_json(d));
	json_object_set_new(j, "tasks_total", json_integer((json_int_t)matching));
	json_object_set_new(j, "tasks", arr);
	return j;
}

/*
 * metrics/run-<id>.json: what a run did, in numbers, for people and for
 * the monitoring to come.
 */
#include <jansson.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/json.h"
#include "core/log.h"
#include "pipeline/flow.h"

static json_t *ocr_json(const struct flow *fl)
{
	const struct ocr_stats *o = &fl->ocr_stats;
	int recognised = o->pages - o->failed - o->cached;
	json_t *docs = json_array();
	for (size_t i = 0; i < fl->nocr_docs; i++)
		json_array_append_new(docs, json_pack("{s:o, s:i, s:f}", "document",
						      json_str(fl->ocr_docs[i].doc), "pages",
						      fl->ocr_docs[i].pages, "mean_confidence",
						      fl->ocr_docs[i].confidence));
	/* Success: confident and long enough; blank pages are neither success nor failure. */
	int judged = o->succeeded + o->flagged + o->failed;
	return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:o}", "pages",
			 o->pages, "succeeded", o->succeeded, "flagged", o->flagged, "failed", o->failed,
			 "empty", o->empty, "cached", o->cached, "success_rate",
			 judged ? (double)o->succeeded / judged : 0.0, "mean_confidence",
			 o->confidence_pages ? o->confidence_sum / o->confidence_pages : 0.0, "seconds",
			 o->seconds, "wall_seconds", o->wall_seconds, "seconds_per_page",
			 recognised > 0 ? o->seconds / recognised : 0.0, "documents", docs);
}

void write_run_metrics(struct flow *fl, const struct run_options *opts, const struct run_outcome *out,
		       const char *path)
{
	json_t *m = json_object();
	json_object_set_new(m, "run_id", json_integer(fl->run_id));
	json_object_set_new(m, "trigger", json_string(opts->trigger));
	json_object_set_new(m, "state", json_string(out->state));
	json_object_set_new(m, "duration_s", json_real(out->seconds));
	json_object_set_new(m, "release",
			    json_pack("{s:o, s:o, s:s, s:s}", "id",
				      out->release ? json_integer(out->release) : json_null(),
				      "production",
				      out->production ? json_integer(out->production) : json_null(),
				      "verdict", out->release_verdict, "message", out->release_message));
	json_t *docs = json_object();
	const struct run_stats *s = &fl->stats;
	json_object_set_new(docs, "seen", json_integer(s->docs_seen));
	json_object_set_new(docs, "new", json_integer(s->docs_new));
	json_object_set_new(docs, "changed", json_integer(s->docs_changed));
	json_object_set_new(docs, "unchanged", json_integer(s->docs_unchanged));
	json_object_set_new(docs, "renamed", json_integer(s->docs_renamed));
	json_object_set_new(docs, "deleted", json_integer(s->docs_deleted));
	json_object_set_new(docs, "failed", json_integer(s->docs_failed));
	json_object_set_new(m, "documents", docs);
	json_object_set_new(m, "pages", json_integer(s->pages));
	json_object_set_new(m, "pages_needing_ocr", json_integer(s->pages_needing_ocr));
	json_object_set_new(m, "chunks", json_integer(s->chunks));
	json_object_set_new(m, "characters", json_integer(s->chars));
	json_t *stages = json_object();
	json_object_set_new(stages, "collect", json_real(fl->stage_seconds[NSTAGES]));
	json_object_set_new(stages, "embed", json_real(fl->embed.seconds));
	json_object_set_new(stages, "lexicon", json_real(fl->lexicon.seconds));
	json_object_set_new(stages, "publish", json_real(fl->publish_seconds));
	for (int i = 0; i < NSTAGES; i++)
		json_object_set_new(stages, stage_names[i], json_real(fl->stage_seconds[i]));
	json_object_set_new(m, "stage_seconds", stages);
	json_object_set_new(m, "ocr", ocr_json(fl));
	json_object_set_new(m, "lexicon",
			    json_pack("{s:b, s:I, s:I, s:s, s:f}", "built", fl->lexicon.model_id != 0,
				      "chunks", (json_int_t)fl->lexicon.chunks, "terms",
				      (json_int_t)fl->lexicon.terms, "version", fl->lexicon.version,
				      "seconds", fl->lexicon.seconds));
	json_object_set_new(m, "embed",
			    json_pack("{s:b, s:I, s:s, s:f}", "trained", fl->embed.trained, "chunks",
				      (json_int_t)fl->embed.embedded, "model", fl->embed.version,
				      "seconds", fl->embed.seconds));
	struct store_totals tot;
	struct strbuf err = STRBUF_INIT;
	if (!store_totals(fl->st, &tot, &err)) {
		json_t *idx = json_object();
		json_object_set_new(idx, "documents", json_integer(tot.documents));
		json_object_set_new(idx, "pages", json_integer(tot.pages));
		json_object_set_new(idx, "pages_needing_ocr", json_integer(tot.pages_needing_ocr));
		json_object_set_new(idx, "chunks", json_integer(tot.chunks));
		json_object_set_new(idx, "failed_documents", json_integer(tot.failed));
		json_object_set_new(m, "index", idx);
	}
	json_t *fails = json_array();
	for (size_t i = 0; i < fl->nfailures; i++) {
		json_t *f = json_object();
		json_object_set_new(f, "document", json_str(fl->failures[i].doc));
		json_object_set_new(f, "stage", json_str(fl->failures[i].stage));
		json_object_set_new(f, "error", json_str(fl->failures[i].error));
		json_array_append_new(fails, f);
	}
	json_object_set_new(m, "failures", fails);
	char *text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	strbuf_reset(&err);
	if (write_file_atomic(path, text, strlen(text), &err))
		log_event(LOG_WARNING, fl->run_id, NULL, NULL, "cannot write metrics: %s", err.buf);
	free(text);
	json_decref(m);
	strbuf_release(&err);
}

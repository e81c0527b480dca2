/*
 * The retraining run; see retrain.h.  The parts are trained in
 * retrain_parts.c and judged in retrain_judge.c; here the run is set up,
 * the gate decides, and the retraining is recorded.
 */
#include "ops/retrain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "ops/retrain_job.h"
#include "pipeline/flow.h"
#include "pipeline/run.h"
#include "retrieval/release.h"

/* --- the decision ------------------------------------------------------------ */

static const char *decide(struct job *j, const struct stage_figures *before, struct gate *g,
			  struct retrain_outcome *out, struct strbuf *err)
{
	struct release_record cand;
	if (store_release_get(j->st, j->cand, &cand, err) != LOOKUP_FOUND)
		return NULL;
	release_forget(j->cand);
	int rc = gate_run(j->st, j->cfg, &cand, &j->prod, 0, g, err);
	release_record_release(&cand);
	if (rc)
		return NULL;
	gate_compare(g, j->cfg, "feedback", &before->val, &j->best.val);
	struct strbuf summary = STRBUF_INIT;
	gate_summary(g, &summary);
	int pass = g->structural_ok && g->quality_ok && j->changed;
	if (!j->changed)
		retrain_reason(
			j,
			"nothing learned does better than production on the held-out feedback questions");
	for (size_t i = 0; i < g->n; i++)
		if (!g->checks[i].ok)
			retrain_reason(j, "gate: %s failed: %s", g->checks[i].name, g->checks[i].detail);
	json_t *metrics = gate_metrics_json(g), *checks = gate_checks_json(g);
	json_object_set_new(metrics, "retraining", json_integer(j->retraining));
	char *mtext = json_dumps(metrics, JSON_COMPACT), *ctext = json_dumps(checks, JSON_COMPACT);
	json_decref(metrics);
	json_decref(checks);
	rc = store_release_set_verdict(j->st, j->cand, mtext, ctext, g->eval_key, err);
	free(mtext);
	free(ctext);
	if (rc) {
		strbuf_release(&summary);
		return NULL;
	}
	char why[120];
	snprintf(why, sizeof(why), "retraining %lld", j->retraining);
	struct release_action act = { "gate", why, 0 };
	const char *state;
	enum store_release_change change;
	if (pass) {
		change = store_release_promote(j->st, j->cand, j->prod.id, &act, err);
		if (change == STORE_RELEASE_MOVED) {
			strbuf_reset(err);
			retrain_reason(
				j,
				"production moved during the retraining: nothing decided, run it again");
			change = store_release_refuse(j->st, j->cand, &act, err);
			state = "refused";
		} else {
			state = "promoted";
		}
	} else {
		change = store_release_refuse(j->st, j->cand, &act, err);
		state = "refused";
	}
	snprintf(out->message, sizeof(out->message), "release %lld %s: %s", j->cand, state, summary.buf);
	strbuf_release(&summary);
	return change == STORE_RELEASE_FAILED ? NULL : state;
}

/* --- the run ----------------------------------------------------------------- */

static void job_release(struct job *j)
{
	release_record_release(&j->prod);
	retrain_data_release(&j->data);
	/* The split sets share nothing with the data; the golden questions are their own. */
	golden_release(&j->validation);
	golden_release(&j->train);
	golden_release(&j->golden);
	for (size_t i = 0; i < j->nranks; i++)
		free(j->ranks[i]);
	free(j->ranks);
	for (size_t i = 0; i < j->nsets; i++) {
		free(j->sets[i].name);
		golden_release(&j->sets[i].set);
	}
	free(j->sets);
	json_decref(j->stages);
	json_decref(j->trained);
	json_decref(j->reasons);
}

static json_t *data_json(const struct retrain_data *d)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s}", "rows",
			 (json_int_t)d->rows, "examples", (json_int_t)d->n, "train",
			 (json_int_t)d->train, "validation", (json_int_t)d->validation, "groups",
			 (json_int_t)d->groups, "duplicates", (json_int_t)d->duplicates,
			 "missing_documents", (json_int_t)d->missing_docs, "contradictory",
			 (json_int_t)d->contradictory, "unlabelled", (json_int_t)d->unlabelled,
			 "short_corrections", (json_int_t)d->short_corrections, "shuffled_labels",
			 d->shuffled, "feedback_sha256", d->feedback_hash);
}

static int load_sets(struct job *j, struct strbuf *err)
{
	if (gate_golden(j->cfg, &j->golden, err))
		return -1;
	j->sets = xcalloc(j->o->nreport_sets + 1, sizeof(*j->sets));
	for (size_t i = 0; i < j->o->nreport_sets; i++) {
		const char *path = j->o->report_sets[i];
		const char *base = strrchr(path, '/');
		if (golden_load(path, &j->sets[j->nsets].set, err))
			return -1;
		j->sets[j->nsets++].name = xstrdup(base ? base + 1 : path);
	}
	return 0;
}

static int run_job(struct job *j, struct retrain_outcome *out, struct strbuf *err)
{
	struct gate g = { 0 };
	int ret = -1;
	if (retrain_data_load(j->st, j->cfg, j->prod.id, 0, j->o->shuffle_labels, &j->data, err) ||
	    load_sets(j, err))
		return -1;
	out->production = j->prod.id;
	retrain_golden(&j->data, SPLIT_VALIDATION, &j->validation);
	retrain_golden(&j->data, SPLIT_TRAIN, &j->train);
	if (!j->data.n || !j->validation.n || !j->train.n) {
		out->state = "nothing";
		snprintf(out->message, sizeof(out->message),
			 "nothing to retrain on: %zu feedback rows give "
			 "%zu usable examples (%zu for training, %zu held out; %zu unlabelled, %zu "
			 "documents gone, %zu contradictory, %zu corrections too short) -- both splits need "
			 "questions with a source judged right",
			 j->data.rows, j->data.n, j->train.n, j->validation.n, j->data.unlabelled,
			 j->data.missing_docs, j->data.contradictory, j->data.short_corrections);
		retrain_reason(j, "%s", out->message);
		return 0;
	}
	/* What production finds for each question: passages, negatives, the ranker's features. */
	const struct release_view *pv;
	struct release_hold *hold;
	if (release_get(j->st, j->cfg, 0, &pv, &hold, err) != LOOKUP_FOUND)
		return -1;
	int rc = retrain_data_retrieve(j->st, j->cfg, pv, &j->data, err);
	release_put(hold);
	if (rc)
		return -1;
	/* Production's figures: the candidate starts as its copy. */
	char *changes = xasprintf("{\"retraining\":%lld}", j->retraining);
	j->cand = store_release_derive(j->st, j->prod.id, changes, err);
	free(changes);
	if (j->cand < 0)
		return -1;
	out->release = j->cand;
	if (retrain_measure(j, "production", &j->before, err))
		return -1;
	/* Measured on the candidate while it is production's copy: production's figures. */
	j->before.val.release = j->before.train.release = j->before.golden.release = j->prod.id;
	j->best = j->before;
	if (retrain_embedder(j, err) || retrain_vocabulary(j, err))
		goto cleanup;
	flow_crash_point("retrain"); /* the candidate half built: for the crash tests */
	if (retrain_ranker(j, err) || retrain_curated(j, err) || retrain_thresholds(j, err))
		goto cleanup;
	out->state = decide(j, &j->before, &g, out, err);
	if (!out->state)
		goto cleanup;
	json_t *golden = g.measured
				 ? json_pack("{s:o, s:o}", "before",
					     g.compared ? gate_figures_json(&g.production) : json_null(),
					     "after", gate_figures_json(&g.candidate))
				 : json_null();
	json_object_set_new(out->report, "golden", golden);
	json_object_set_new(out->report, "before",
			    json_pack("{s:o, s:o}", "validation", gate_figures_json(&j->before.val),
				      "train", gate_figures_json(&j->before.train)));
	json_object_set_new(out->report, "after",
			    json_pack("{s:o, s:o}", "validation", gate_figures_json(&j->best.val),
				      "train", gate_figures_json(&j->best.train)));
	json_object_set_new(out->report, "checks", gate_checks_json(&g));
	ret = 0;
cleanup:
	gate_release(&g);
	return ret;
}

/* Production's MRR on all the feedback questions, for the policy's next feedback_eval. */
static void record_feedback_figure(struct job *j, struct retrain_outcome *out)
{
	struct golden_set all;
	struct gate_figures f;
	struct strbuf ignored = STRBUF_INIT;
	retrain_golden(&j->data, SPLIT_ALL, &all);
	if (all.n && !gate_measure(j->st, j->cfg, &all, 0, &f, &ignored))
		json_object_set_new(out->report, "production_feedback_mrr", json_real(f.mrr));
	golden_release(&all);
	strbuf_release(&ignored);
}

int retrain_run(struct store *st, const struct config *cfg, const struct retrain_options *o,
		struct retrain_outcome *out, struct strbuf *err)
{
	double t0 = time_mono();
	struct job j = { .st = st, .cfg = cfg, .o = o };
	memset(out, 0, sizeof(*out));
	/* A run and a retraining both make releases: one at a time per data folder. */
	int lock = data_folder_lock(cfg, err);
	if (lock < 0)
		return -1;
	if (store_runs_lock(st, err)) {
		unlock_file(lock);
		return -1;
	}
	int reaped = store_retrainings_reap(st, err);
	if (reaped < 0) {
		store_runs_unlock(st);
		unlock_file(lock);
		return -1;
	}
	if (reaped)
		log_event(LOG_WARNING, 0, NULL, "retrain",
			  "%d earlier retraining(s) stopped before "
			  "deciding; their candidates are archived",
			  reaped);
	enum lookup got = store_release_get(st, 0, &j.prod, err);
	if (got != LOOKUP_FOUND) {
		if (got == LOOKUP_MISSING)
			strbuf_addstr(
				err,
				"no release in production to retrain: run 'ragops run --inbox DIR' first");
		store_runs_unlock(st);
		unlock_file(lock);
		return -1;
	}
	j.retraining = out->retraining = store_retraining_begin(st, o->actor ? o->actor : "?", err);
	if (j.retraining < 0) {
		release_record_release(&j.prod);
		store_runs_unlock(st);
		unlock_file(lock);
		return -1;
	}
	j.stages = json_array();
	j.trained = json_array();
	j.reasons = json_array();
	out->report = json_object();
	int rc = run_job(&j, out, err);
	struct retraining_record rec = { .id = j.retraining,
					 .release_id = out->release,
					 .feedback_upto = j.data.feedback_upto,
					 .feedback_hash = j.data.feedback_hash };
	if (rc) {
		rec.state = "failed";
		retrain_reason(&j, "failed: %s", err->buf);
		if (out->release) {
			struct strbuf ignored = STRBUF_INIT;
			store_release_abandon(st, out->release, &ignored);
			strbuf_release(&ignored);
		}
	} else {
		rec.state = (char *)out->state;
		if (strcmp(out->state, "nothing"))
			record_feedback_figure(&j, out);
	}
	json_object_set_new(out->report, "retraining", json_integer(j.retraining));
	json_object_set_new(out->report, "state", json_string(rec.state));
	json_object_set_new(out->report, "promoted",
			    json_boolean(!rc && !strcmp(rec.state, "promoted")));
	json_object_set_new(out->report, "release",
			    out->release ? json_integer(out->release) : json_null());
	json_object_set_new(out->report, "production_before", json_integer(j.prod.id));
	json_object_set_new(out->report, "data", data_json(&j.data));
	json_object_set(out->report, "trained", j.trained);
	json_object_set(out->report, "stages", j.stages);
	json_object_set(out->report, "reasons", j.reasons);
	json_object_set_new(out->report, "seconds", json_real(time_mono() - t0));
	rec.report = json_dumps(out->report, JSON_COMPACT);
	struct strbuf ferr = STRBUF_INIT;
	if (store_retraining_finish(st, &rec, &ferr))
		log_event(LOG_WARNING, 0, NULL, "retrain", "cannot record retraining %lld: %s",
			  j.retraining, ferr.buf);
	strbuf_release(&ferr);
	free(rec.report);
	job_release(&j);
	store_runs_unlock(st);
	unlock_file(lock);
	return rc;
}

void retrain_outcome_release(struct retrain_outcome *out)
{
	json_decref(out->report);
	memset(out, 0, sizeof(*out));
}

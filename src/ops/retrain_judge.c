/*
 * How a retraining judges a part: measured with it on questions it did not
 * learn from, kept only when they gain beyond chance and nothing falls
 * past the gate's tolerance.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "learn/learned.h"
#include "ops/retrain_job.h"
#include "retrieval/release.h"

/* A part must raise more questions than chance would (sign test); a golden MRR loss over this is real. */
#define GAIN_P   0.05
#define MIN_GAIN 0.005

void retrain_reason(struct job *j, const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(j->reasons, json_string(buf));
}

/* The candidate on the feedback questions and the report sets, as a stage row. */
int retrain_measure(struct job *j, const char *stage, struct stage_figures *f, struct strbuf *err)
{
	release_forget(j->cand); /* its models changed since it was last loaded */
	memset(f, 0, sizeof(*f));
	j->ranks = xrealloc(j->ranks, (j->nranks + 2) * sizeof(int *));
	f->val_ranks = j->ranks[j->nranks++] = xcalloc(j->validation.n + 1, sizeof(int));
	f->golden_ranks = j->ranks[j->nranks++] = xcalloc(j->golden.n + 1, sizeof(int));
	if (gate_measure_ranks(j->st, j->cfg, &j->validation, j->cand, &f->val, f->val_ranks, err) ||
	    gate_measure(j->st, j->cfg, &j->train, j->cand, &f->train, err) ||
	    (j->golden.n &&
	     gate_measure_ranks(j->st, j->cfg, &j->golden, j->cand, &f->golden, f->golden_ranks, err)))
		return -1;
	json_t *sets = json_object();
	for (size_t i = 0; i < j->nsets; i++) {
		struct gate_figures g;
		if (gate_measure(j->st, j->cfg, &j->sets[i].set, j->cand, &g, err)) {
			json_decref(sets);
			return -1;
		}
		json_object_set_new(sets, j->sets[i].name, gate_figures_json(&g));
	}
	json_array_append_new(j->stages,
			      json_pack("{s:s, s:o, s:o, s:o, s:o}", "stage", stage, "validation",
					gate_figures_json(&f->val), "train",
					gate_figures_json(&f->train), "golden",
					j->golden.n ? gate_figures_json(&f->golden) : json_null(),
					"sets", sets));
	return 0;
}

/* Within the gate's tolerance of production's figures. */
static int within(const struct config *cfg, const struct gate_figures *after,
		  const struct gate_figures *prod)
{
	return after->mrr >= prod->mrr - cfg->validate.max_mrr_drop - 1e-9 &&
	       after->recall5 >= prod->recall5 - cfg->validate.max_recall_drop - 1e-9 &&
	       (!after->unanswerable || after->abstention >= prod->abstention - 1e-9);
}

/* Whether rank a (0: not found) is better than rank b. */
static int ranks_better(int a, int b)
{
	return a > 0 && (b == 0 || a < b);
}

/* Questions whose document rose, and fell, from `from` to `to` (held-out feedback and golden sets). */
static void rank_moves(const struct job *j, const struct stage_figures *from,
		       const struct stage_figures *to, size_t *up, size_t *down)
{
	*up = *down = 0;
	for (size_t i = 0; i < j->validation.n; i++) {
		*up += ranks_better(to->val_ranks[i], from->val_ranks[i]);
		*down += ranks_better(from->val_ranks[i], to->val_ranks[i]);
	}
	for (size_t i = 0; i < j->golden.n; i++) {
		*up += ranks_better(to->golden_ranks[i], from->golden_ranks[i]);
		*down += ranks_better(from->golden_ranks[i], to->golden_ranks[i]);
	}
}

/* One-sided sign test: the chance of `up` or more rises among up + down moves if moves were coin flips. */
static double sign_test(size_t up, size_t down)
{
	size_t n = up + down;
	double p = 0, c = 1; /* c = C(n, k) / 2^n, k from 0 */
	for (size_t k = 0; k < n; k++)
		c *= 0.5;
	for (size_t k = 0; k <= n; k++) {
		if (k >= up)
			p += c;
		c = c * (double)(n - k) / (double)(k + 1);
	}
	return n ? p : 1;
}

/*
 * A stage is kept when it does better on questions it did not learn from
 * -- the held-out feedback questions and the golden sets, whose answers no
 * feedback can bend -- by more than chance (more questions rise than fall,
 * by a one-sided sign test at GAIN_P: with a few dozen questions, one
 * question moving is noise), while both stay within the gate's tolerance
 * of production's: what the gate will check, checked per part, so that
 * one part that does harm is left out rather than the whole candidate
 * refused.  The trained questions always improve (a model fits what it
 * is shown, right or wrong): they are reported, never trusted.
 */
int retrain_worth_keeping(const struct job *j, const struct stage_figures *after)
{
	const struct stage_figures *prev = &j->best, *prod = &j->before;
	size_t up, down;
	rank_moves(j, prev, after, &up, &down);
	int gain = up > down && sign_test(up, down) <= GAIN_P;
	/* The golden sets are the truth no feedback can bend: a part may not cost them anything. */
	int golden_safe = !j->golden.n || (within(j->cfg, &after->golden, &prod->golden) &&
					   after->golden.mrr >= prev->golden.mrr - MIN_GAIN);
	return gain && golden_safe && within(j->cfg, &after->val, &prod->val);
}

void retrain_trained(struct job *j, const char *component, const char *version, int kept,
		     const struct stage_figures *after, const char *detail)
{
	const struct stage_figures *b = &j->best;
	json_array_append_new(j->trained,
			      json_pack("{s:s, s:o, s:b, s:{s:f, s:f}, s:{s:f, s:f}, s:s}", "component",
					component, "model",
					version && *version ? json_string(version) : json_null(), "kept",
					kept, "validation_mrr", "before", b->val.mrr, "after",
					after->val.mrr, "train_mrr", "before", b->train.mrr, "after",
					after->train.mrr, "detail", detail));
	retrain_reason(
		j, "%s: %s (MRR on held-out feedback %.3f → %.3f, on trained feedback %.3f → %.3f)%s%s",
		component, kept ? "kept" : "left out", b->val.mrr, after->val.mrr, b->train.mrr,
		after->train.mrr, *detail ? ": " : "", detail);
}

/* A learned model's figures as measured in its stage (the candidate with it attached). */
int retrain_record_metrics(struct job *j, long long model_id, const struct stage_figures *f,
			   struct strbuf *err)
{
	json_t *m = json_pack("{s:I, s:o, s:o, s:o}", "retraining", (json_int_t)j->retraining,
			      "validation", gate_figures_json(&f->val), "train",
			      gate_figures_json(&f->train), "golden",
			      j->golden.n ? gate_figures_json(&f->golden) : json_null());
	char *text = json_dumps(m, JSON_COMPACT);
	int rc = store_model_set_metrics(j->st, model_id, text, err);
	free(text);
	json_decref(m);
	return rc;
}

/* Production's model of `kind` (the one a new one would replace), 0 when none, -1 on error. */
static long long production_model(struct job *j, const char *kind, struct strbuf *err)
{
	struct release_model *m = NULL;
	size_t n = 0;
	long long id = 0;
	if (store_release_models(j->st, j->prod.id, &m, &n, err))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].kind, kind))
			id = m[i].model.id;
	release_models_free(m, n);
	return id;
}

/* Attach a learned model, measure, keep it or take it off again. */
int retrain_try_model(struct job *j, const char *kind, json_t *body, const char *detail,
		      struct strbuf *err)
{
	long long model_id;
	char version[64];
	struct stage_figures after;
	long long parent = production_model(j, kind, err);
	int rc = parent < 0 ||
		 learned_save(j->st, j->cfg, kind, body, parent, j->data.feedback_hash, NULL, &model_id,
			      version, err) ||
		 store_release_set_model(j->st, j->cand, kind, model_id, err) ||
		 retrain_measure(j, kind, &after, err);
	if (rc || retrain_record_metrics(j, model_id, &after, err))
		return -1;
	int kept = retrain_worth_keeping(j, &after);
	retrain_trained(j, kind, version, kept, &after, detail);
	if (kept) {
		j->best = after;
		j->changed = 1;
		return 0;
	}
	return store_release_set_model(j->st, j->cand, kind, 0, err);
}

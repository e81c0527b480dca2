/*
 * The retraining policy; see retrain_policy.h.
 */
#include "ops/retrain_policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "core/timeutil.h"
#include "ops/eval.h"
#include "ops/retrain_data.h"

static struct policy_rule *rule(struct retrain_policy *p, const char *name, const char *window,
				double threshold)
{
	struct policy_rule *r = &p->rules[p->n++];
	memset(r, 0, sizeof(*r));
	r->rule = name;
	r->window = window;
	r->threshold = threshold;
	return r;
}

static void detail(struct policy_rule *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* The last retraining that decided something, if any: 0, 1 none, -1 error. */
static enum lookup last_retraining(struct store *st, struct retraining_record *out, struct strbuf *err)
{
	struct retraining_record *list = NULL;
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	if (store_retrainings_list(st, 1, 1, &list, &n, err))
		return LOOKUP_FAILED;
	if (!n) {
		free(list);
		return LOOKUP_MISSING;
	}
	*out = list[0];
	free(list);
	return LOOKUP_FOUND;
}

static int feedback_rules(struct store *st, const struct config *cfg, struct retrain_policy *p,
			  const struct retraining_record *last, long long since, struct strbuf *err)
{
	struct feedback_record *rows = NULL;
	size_t n = 0;
	struct feedback_filter all = { 0 };
	if (store_feedback_list(st, &all, &rows, &n, err))
		return -1;
	p->feedback_total = (long long)n;
	for (size_t i = 0; i < n; i++)
		p->new_feedback += rows[i].id > last->feedback_upto;
	struct policy_rule *r = rule(p, "new_feedback",
				     last->id ? "since the last retraining" : "all time",
				     cfg->retrain.min_new_feedback);
	r->measured = 1;
	r->value = (double)p->new_feedback;
	r->triggered = r->value >= r->threshold;
	detail(r, "%lld new feedback record%s (retrain.min_new_feedback %u)", p->new_feedback,
	       p->new_feedback == 1 ? "" : "s", cfg->retrain.min_new_feedback);

	size_t rated = 0, low = 0;
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		if (rows[i].created_at >= since) {
			rated++;
			sum += rows[i].rating;
			low += rows[i].rating <= 2;
		}
	feedback_records_free(rows, n);
	int enough = rated >= cfg->retrain.min_ratings;
	r = rule(p, "mean_rating", cfg->retrain.window, cfg->retrain.min_mean_rating);
	r->measured = enough;
	r->value = rated ? sum / (double)rated : 0;
	r->triggered = enough && r->value < r->threshold;
	if (enough)
		detail(r, "mean rating %.2f over %zu ratings (fires under %.2f)", r->value, rated,
		       r->threshold);
	else
		detail(r, "%zu rating%s in the window, fewer than retrain.min_ratings (%u)", rated,
		       rated == 1 ? "" : "s", cfg->retrain.min_ratings);
	r = rule(p, "low_rating_share", cfg->retrain.window, cfg->retrain.max_low_share);
	r->measured = enough;
	r->value = rated ? (double)low / (double)rated : 0;
	r->triggered = enough && r->value > r->threshold;
	detail(r, "%zu of %zu ratings are 1 or 2 (fires above %.0f%%)", low, rated, r->threshold * 100);
	return 0;
}

static int corpus_rule(struct store *st, const struct config *cfg, struct retrain_policy *p,
		       const struct release_record *prod, struct strbuf *err)
{
	struct policy_rule *r = rule(p, "corpus_change", "since the embedder was trained",
				     cfg->retrain.max_corpus_change);
	if (!prod || !prod->embedder_id) {
		detail(r, "no embedder in production");
		return 0;
	}
	long long trained_on = store_model_first_release(st, prod->embedder_id, err);
	long long added, removed;
	if (trained_on < 0 || store_release_diff(st, trained_on, prod->id, &added, &removed, err))
		return -1;
	r->measured = 1;
	r->value = (double)(added + removed) / (double)(prod->chunks > 0 ? prod->chunks : 1);
	r->triggered = r->value > r->threshold;
	detail(r,
	       "%lld chunks added and %lld removed since release %lld, where embedder %s was "
	       "trained (%.0f%% of %lld)",
	       added, removed, trained_on, prod->embedder_version ? prod->embedder_version : "?",
	       r->value * 100, prod->chunks);
	return 0;
}

static int drift_rule(struct store *st, const struct config *cfg, struct retrain_policy *p,
		      long long since, struct strbuf *err)
{
	struct summary_query *q = NULL;
	size_t n = 0, declined = 0;
	if (store_summary_queries(st, since, &q, &n, err))
		return -1;
	for (size_t i = 0; i < n; i++)
		declined += q[i].abstained != 0;
	free(q);
	struct policy_rule *r = rule(p, "query_drift", cfg->retrain.window,
				     cfg->retrain.max_query_drift);
	r->measured = n >= cfg->retrain.min_ratings;
	r->value = n ? (double)declined / (double)n : 0;
	r->triggered = r->measured && r->value > r->threshold;
	detail(r, "%zu of %zu recent questions found no source over the abstention thresholds", declined,
	       n);
	return 0;
}

/* Production on the feedback questions the last retraining saw, against what it scored then. */
static int feedback_eval_rule(struct store *st, const struct config *cfg, struct retrain_policy *p,
			      const struct retraining_record *last, const struct release_record *prod,
			      struct strbuf *err)
{
	struct policy_rule *r = rule(p, "feedback_eval", "feedback of the last retraining",
				     cfg->retrain.max_feedback_drop);
	json_t *report = last->report ? json_loads(last->report, 0, NULL) : NULL;
	json_t *past = json_object_get(report, "production_feedback_mrr");
	int ret = 0;
	if (!prod || !json_is_number(past)) {
		detail(r, "no past figure yet (no retraining has measured production on feedback)");
		goto done;
	}
	struct retrain_data d;
	if (retrain_data_load(st, cfg, prod->id, last->feedback_upto, 0, &d, err)) {
		ret = -1;
		goto done;
	}
	struct golden_set set;
	retrain_golden(&d, SPLIT_ALL, &set);
	retrain_data_release(&d);
	if (set.n) {
		struct eval_report rep;
		if (eval_run(st, cfg, &set, NULL, prod->id, 0, &rep, err) != ASK_OK) {
			golden_release(&set);
			ret = -1;
			goto done;
		}
		r->measured = 1;
		r->value = json_number_value(past) - rep.mrr;
		r->triggered = r->value > r->threshold;
		detail(r, "MRR on the %zu feedback questions of retraining %lld: %.3f then, %.3f now",
		       set.n, last->id, json_number_value(past), rep.mrr);
		eval_report_release(&rep);
	} else {
		detail(r, "the feedback of the last retraining has no question left to ask");
	}
	golden_release(&set);
done:
	json_decref(report);
	return ret;
}

int retrain_should(struct store *st, const struct config *cfg, struct retrain_policy *out,
		   struct strbuf *err)
{
	struct retraining_record last;
	struct release_record prod;
	memset(out, 0, sizeof(*out));
	if (last_retraining(st, &last, err) == LOOKUP_FAILED)
		return -1;
	enum lookup got = store_release_get(st, 0, &prod, err);
	if (got == LOOKUP_FAILED) {
		retraining_record_release(&last);
		return -1;
	}
	int no_prod = got == LOOKUP_MISSING;
	long long since = time_now_ms() - parse_duration_ms(cfg->retrain.window);
	int ret = feedback_rules(st, cfg, out, &last, since, err) ||
				  corpus_rule(st, cfg, out, no_prod ? NULL : &prod, err) ||
				  drift_rule(st, cfg, out, since, err) ||
				  feedback_eval_rule(st, cfg, out, &last, no_prod ? NULL : &prod, err)
			  ? -1
			  : 0;
	if (!ret) {
		struct strbuf fired = STRBUF_INIT;
		for (size_t i = 0; i < out->n; i++)
			if (out->rules[i].triggered)
				strbuf_addf(&fired, "%s%s", fired.len ? ", " : "", out->rules[i].rule);
		if (!out->feedback_total)
			snprintf(out->reason, sizeof(out->reason),
				 "no: there is no feedback yet, so nothing "
				 "to learn from ('ragops feedback add' or the dashboard's ratings)");
		else if (no_prod)
			snprintf(out->reason, sizeof(out->reason),
				 "no: there is no release in production "
				 "to improve ('ragops run --inbox DIR' first)");
		else if (fired.len)
			snprintf(out->reason, sizeof(out->reason), "yes: %s", fired.buf);
		else
			snprintf(out->reason, sizeof(out->reason), "no: no rule fired");
		out->retrain = out->feedback_total && !no_prod && fired.len;
		strbuf_release(&fired);
	}
	if (!no_prod)
		release_record_release(&prod);
	retraining_record_release(&last);
	return ret;
}

json_t *retrain_policy_json(const struct retrain_policy *p)
{
	json_t *rules = json_array();
	for (size_t i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->rules[i];
		json_array_append_new(rules,
				      json_pack("{s:s, s:o, s:f, s:s, s:b, s:b, s:s}", "rule", r->rule,
						"value", r->measured ? json_real(r->value) : json_null(),
						"threshold", r->threshold, "window", r->window,
						"measured", r->measured, "triggered", r->triggered,
						"detail", r->detail));
	}
	return json_pack("{s:b, s:s, s:I, s:I, s:o}", "retrain", p->retrain, "reason", p->reason,
			 "feedback", (json_int_t)p->feedback_total, "new_feedback",
			 (json_int_t)p->new_feedback, "rules", rules);
}

/*
 * The retraining run; see retrain.h.
 */
#include "ops/retrain.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "learn/curated.h"
#include "learn/learned.h"
#include "learn/ranker.h"
#include "learn/vocabulary.h"
#include "ops/retrain_data.h"
#include "pipeline/embed.h"
#include "pipeline/flow.h"
#include "pipeline/validate.h"
#include "retrieval/lexicon.h"
#include "retrieval/release.h"
#include "retrieval/vectors.h"
#include "text/tokenize.h"

/* A curated answer needs at least this closeness, whatever the calibration says. */
#define CURATED_FLOOR 0.5
/* ... and this margin above the closest different question seen. */
#define CURATED_MARGIN 0.02
/* A part must raise more questions than chance would (sign test); a golden MRR loss over this is real. */
#define GAIN_P 0.05
#define MIN_GAIN 0.005
/* Questions sharing this much of their words (Dice of stems) ask the same thing. */
#define SAME_QUESTION 0.6

struct report_set {
	char *name;
	struct golden_set set;
};

/* A stage measured on the held-out feedback questions and on the training ones. */
struct stage_figures {
	struct gate_figures val, train;
	struct gate_figures golden;	/* on validate.golden (questions == 0 without) */
	int *val_ranks, *golden_ranks;	/* each question's rank of its document (0: none) */
};

struct job {
	struct store *st;
	const struct config *cfg;
	const struct retrain_options *o;
	struct release_record prod;
	long long cand, retraining;
	struct retrain_data data;
	struct golden_set validation, train, golden;
	struct report_set *sets;
	size_t nsets;
	struct stage_figures before;	/* production's */
	struct stage_figures best;	/* the candidate's as it stands */
	json_t *stages, *trained, *reasons;
	int **ranks;			/* every rank array measured, freed at the end */
	size_t nranks;
	int changed;			/* something was kept */
};

__attribute__((format(printf, 2, 3)))
static void reason(struct job *j, const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(j->reasons, json_string(buf));
}

/* The candidate on the feedback questions and the report sets, as a stage row. */
static int measure_stage(struct job *j, const char *stage, struct stage_figures *f,
			 struct strbuf *err)
{
	release_forget(j->cand); /* its models changed since it was last loaded */
	memset(f, 0, sizeof(*f));
	j->ranks = xrealloc(j->ranks, (j->nranks + 2) * sizeof(int *));
	f->val_ranks = j->ranks[j->nranks++] = xcalloc(j->validation.n + 1, sizeof(int));
	f->golden_ranks = j->ranks[j->nranks++] = xcalloc(j->golden.n + 1, sizeof(int));
	if (gate_measure_ranks(j->st, j->cfg, &j->validation, j->cand, &f->val, f->val_ranks, err) ||
	    gate_measure(j->st, j->cfg, &j->train, j->cand, &f->train, err) ||
	    (j->golden.n && gate_measure_ranks(j->st, j->cfg, &j->golden, j->cand, &f->golden,
						f->golden_ranks, err)))
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
	json_array_append_new(j->stages, json_pack("{s:s, s:o, s:o, s:o, s:o}", "stage", stage,
						   "validation", gate_figures_json(&f->val),
						   "train", gate_figures_json(&f->train), "golden",
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
static int worth_keeping(const struct job *j, const struct stage_figures *after)
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

static void trained(struct job *j, const char *component, const char *version, int kept,
		    const struct stage_figures *after, const char *detail)
{
	const struct stage_figures *b = &j->best;
	json_array_append_new(j->trained, json_pack("{s:s, s:o, s:b, s:{s:f, s:f}, s:{s:f, s:f}, s:s}",
		"component", component, "model", version && *version ? json_string(version) : json_null(),
		"kept", kept, "validation_mrr", "before", b->val.mrr, "after", after->val.mrr,
		"train_mrr", "before", b->train.mrr, "after", after->train.mrr, "detail", detail));
	reason(j, "%s: %s (MRR on held-out feedback %.3f → %.3f, on trained feedback %.3f → %.3f)%s%s",
	       component, kept ? "kept" : "left out", b->val.mrr, after->val.mrr, b->train.mrr,
	       after->train.mrr, *detail ? ": " : "", detail);
}

/* A learned model's figures as measured in its stage (the candidate with it attached). */
static int record_metrics(struct job *j, long long model_id, const struct stage_figures *f,
			  struct strbuf *err)
{
	json_t *m = json_pack("{s:I, s:o, s:o, s:o}", "retraining", (json_int_t)j->retraining,
			      "validation", gate_figures_json(&f->val), "train", gate_figures_json(&f->train),
			      "golden", j->golden.n ? gate_figures_json(&f->golden) : json_null());
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
static int try_model(struct job *j, const char *kind, json_t *body, const char *detail,
		     struct strbuf *err)
{
	long long model_id;
	char version[64];
	struct stage_figures after;
	long long parent = production_model(j, kind, err);
	int rc = parent < 0 ||
		 learned_save(j->st, j->cfg, kind, body, parent, j->data.feedback_hash, NULL,
			      &model_id, version, err) ||
		 store_release_set_model(j->st, j->cand, kind, model_id, err) ||
		 measure_stage(j, kind, &after, err);
	if (rc || record_metrics(j, model_id, &after, err))
		return -1;
	int kept = worth_keeping(j, &after);
	trained(j, kind, version, kept, &after, detail);
	if (kept) {
		j->best = after;
		j->changed = 1;
		return 0;
	}
	return store_release_set_model(j->st, j->cand, kind, 0, err);
}

/* --- the embedder --------------------------------------------------------- */

static int use_embedder(struct job *j, long long model_id, struct strbuf *err)
{
	return store_release_set_models(j->st, j->cand, j->prod.lexicon_id, model_id, err);
}

static int refit_embedder(struct job *j, struct strbuf *err)
{
	const char *why = !j->prod.embedder_id ? "production has no embedder (too few chunks)"
			  : strcmp(j->cfg->embed.embedder, "builtin") ? "an endpoint's model is not ours to refit"
			  : NULL;
	if (why) {
		reason(j, "embedder: not refit: %s", why);
		return 0;
	}
	/* The training questions with their right passage: which words go together. */
	char **pairs = xcalloc(j->data.n + 1, sizeof(char *));
	size_t npairs = 0;
	for (size_t i = 0; i < j->data.n; i++) {
		const struct retrain_example *e = &j->data.items[i];
		if (!e->validation && e->positive_text)
			pairs[npairs++] = xasprintf("%s\n%s", e->question, e->positive_text);
	}
	struct embed_outcome plain, with_pairs;
	struct stage_figures f_plain, f_pairs;
	int ret = -1;
	if (embed_refit(j->st, j->cfg, j->cand, j->prod.embedder_id, NULL, 0, &plain, err) ||
	    use_embedder(j, plain.model_id, err) || measure_stage(j, "embedder refit", &f_plain, err))
		goto cleanup;
	/* (A refit on an unchanged corpus is production's own model: its record stays.) */
	if (plain.model_id != j->prod.embedder_id && record_metrics(j, plain.model_id, &f_plain, err))
		goto cleanup;
	f_pairs = f_plain;
	with_pairs.model_id = 0;
	if (npairs && (embed_refit(j->st, j->cfg, j->cand, j->prod.embedder_id,
				   (const char *const *)pairs, npairs, &with_pairs, err) ||
		       use_embedder(j, with_pairs.model_id, err) ||
		       measure_stage(j, "embedder refit + feedback pairs", &f_pairs, err) ||
		       (with_pairs.model_id != j->prod.embedder_id &&
			record_metrics(j, with_pairs.model_id, &f_pairs, err))))
		goto cleanup;
	/* The refit on the corpus as it is, unless the pairs help or production's does better. */
	char detail[200];
	long long chosen = plain.model_id;
	const char *version = plain.version;
	struct stage_figures got = f_plain;
	if (with_pairs.model_id && worth_keeping(j, &f_pairs) &&
	    f_pairs.val.mrr + f_pairs.train.mrr > f_plain.val.mrr + f_plain.train.mrr + 1e-9) {
		chosen = with_pairs.model_id;
		version = with_pairs.version;
		got = f_pairs;
	}
	int kept = worth_keeping(j, &got);
	snprintf(detail, sizeof(detail), "refit on the corpus%s (held-out MRR %.3f; with %zu feedback "
		 "pairs %.3f)", chosen == with_pairs.model_id ? " and the feedback pairs" : "",
		 f_plain.val.mrr, npairs, f_pairs.val.mrr);
	trained(j, "embedder", version, kept, &got, detail);
	if (use_embedder(j, kept ? chosen : j->prod.embedder_id, err))
		goto cleanup;
	if (kept) {
		j->best = got;
		j->changed = 1;
	}
	ret = 0;
cleanup:
	for (size_t i = 0; i < npairs; i++)
		free(pairs[i]);
	free(pairs);
	return ret;
}

/* --- the vocabulary --------------------------------------------------------- */

static long long lexicon_df(void *ctx, const char *token)
{
	const struct release_view *v = ctx;
	return v->lx ? lexicon_term_chunks(v->lx, token) : 0;
}

static int learn_vocabulary(struct job *j, struct strbuf *err)
{
	struct vocab_pair *pairs = xcalloc(j->data.n + 1, sizeof(*pairs));
	size_t n = 0;
	for (size_t i = 0; i < j->data.n; i++) {
		const struct retrain_example *e = &j->data.items[i];
		if (!e->validation && e->positive_text)
			pairs[n++] = (struct vocab_pair){ e->question, e->positive_text, e->corrected };
	}
	const struct release_view *v;
	struct release_hold *hold;
	release_forget(j->cand);
	if (release_get(j->st, j->cfg, j->cand, &v, &hold, err)) {
		free(pairs);
		return -1;
	}
	struct vocabulary *vocab = vocabulary_learn(pairs, n, lexicon_df, (void *)v, v->chunks,
						    j->cfg->retrain.expansion_weight);
	release_put(hold);
	free(pairs);
	int ret = 0;
	if (!vocabulary_size(vocab)) {
		reason(j, "vocabulary: nothing learned (%zu training pairs bridge no word)", n);
	} else {
		char detail[120];
		snprintf(detail, sizeof(detail), "%zu words bridged, from %zu training pairs",
			 vocabulary_size(vocab), n);
		json_t *body = vocabulary_to_json(vocab);
		ret = try_model(j, "vocabulary", body, detail, err);
		json_decref(body);
	}
	vocabulary_free(vocab);
	return ret;
}

/* --- the ranker ------------------------------------------------------------- */

struct doc_votes {
	char **docs;
	double *right, *wrong;
	size_t n;
	struct strmap at;
};

static size_t doc_slot(struct doc_votes *dv, const char *doc)
{
	long *slot = strmap_slot(&dv->at, doc, strlen(doc));
	if (!*slot) {
		dv->docs = xrealloc(dv->docs, (dv->n + 1) * sizeof(char *));
		dv->right = xrealloc(dv->right, (dv->n + 1) * sizeof(double));
		dv->wrong = xrealloc(dv->wrong, (dv->n + 1) * sizeof(double));
		dv->docs[dv->n] = xstrdup(doc);
		dv->right[dv->n] = dv->wrong[dv->n] = 0;
		*slot = (long)++dv->n;
	}
	return (size_t)*slot - 1;
}

/* The document's record, without one example's own votes (no leak into its features). */
static double prior(const struct doc_votes *dv, size_t d, double own_right, double own_wrong)
{
	double r = dv->right[d] - own_right, w = dv->wrong[d] - own_wrong;
	return (r - w) / (r + w + 2);
}

static int contains(char *const *list, size_t n, const char *doc)
{
	for (size_t i = 0; doc && i < n; i++)
		if (!strcmp(list[i], doc))
			return 1;
	return 0;
}

static int train_ranker(struct job *j, struct strbuf *err)
{
	/* The candidates as the candidate release finds them now (its embedder, its vocabulary). */
	const struct release_view *v;
	struct release_hold *hold;
	release_forget(j->cand);
	if (release_get(j->st, j->cfg, j->cand, &v, &hold, err))
		return -1;
	int rc = retrain_data_retrieve(j->st, j->cfg, v, &j->data, err);
	release_put(hold);
	if (rc)
		return -1;
	struct doc_votes dv = { 0 };
	strmap_init(&dv.at);
	for (size_t i = 0; i < j->data.n; i++) {
		const struct retrain_example *e = &j->data.items[i];
		if (e->validation)
			continue;
		/* (doc_slot may move the arrays: its index first.) */
		for (size_t r = 0; r < e->nright; r++) {
			size_t d = doc_slot(&dv, e->right[r]);
			dv.right[d] += 1;
		}
		for (size_t w = 0; w < e->nwrong; w++) {
			size_t d = doc_slot(&dv, e->wrong[w]);
			dv.wrong[d] += 1;
		}
	}
	size_t rows = 0, alloc = 0;
	double *x = NULL, *y = NULL;
	for (size_t i = 0; i < j->data.n; i++) {
		const struct retrain_example *e = &j->data.items[i];
		if (e->validation || !e->nright)
			continue;
		for (size_t c = 0; c < e->trace.n; c++) {
			if (rows + 1 > alloc) {
				alloc = alloc ? 2 * alloc : 256;
				x = xrealloc(x, alloc * RANKER_FEATURES * sizeof(double));
				y = xrealloc(y, alloc * sizeof(double));
			}
			const char *doc = e->trace.docs[c];
			memcpy(x + rows * RANKER_FEATURES, e->trace.features + c * RANKER_FEATURES,
			       RANKER_FEATURES * sizeof(double));
			int right = contains(e->right, e->nright, doc);
			const long *d = doc ? strmap_get(&dv.at, doc, strlen(doc)) : NULL;
			x[rows * RANKER_FEATURES + RF_DOC_PRIOR] =
				d ? prior(&dv, (size_t)*d - 1, right, contains(e->wrong, e->nwrong, doc)) : 0;
			y[rows++] = right;
		}
	}
	double *priors = xcalloc(dv.n + 1, sizeof(double));
	for (size_t d = 0; d < dv.n; d++)
		priors[d] = prior(&dv, d, 0, 0);
	struct strbuf why = STRBUF_INIT;
	struct ranker *rk = ranker_fit(x, y, rows, dv.docs, priors, dv.n, j->cfg->retrain.ranker_depth,
				       &why);
	int ret = 0;
	if (!rk) {
		reason(j, "ranker: not trained: %s", why.buf);
	} else {
		char detail[160];
		snprintf(detail, sizeof(detail), "logistic regression on %zu candidates of the training "
			 "questions, %zu documents with a feedback record", rows, dv.n);
		json_t *body = ranker_to_json(rk);
		ret = try_model(j, "ranker", body, detail, err);
		json_decref(body);
	}
	ranker_free(rk);
	strbuf_release(&why);
	free(priors);
	free(x);
	free(y);
	for (size_t d = 0; d < dv.n; d++)
		free(dv.docs[d]);
	free(dv.docs);
	free(dv.right);
	free(dv.wrong);
	strmap_release(&dv.at);
	return ret;
}

/* --- curated answers -------------------------------------------------------- */

/*
 * The closeness a question needs to get a correction: above every pair of
 * different questions seen (feedback of other groups, the golden sets),
 * by a margin, and never under the floor.
 */
static double calibrate_curated(struct job *j, const struct embedder *e, struct tokenizer *tok,
				double *closest_other)
{
	/* Each question read once (signatures), then compared pair by pair. */
	size_t n = j->data.n, ng = j->golden.n;
	struct question_sig **fb = xcalloc(n + 1, sizeof(*fb)), **gq = xcalloc(ng + 1, sizeof(*gq));
	struct question_sig **plain = xcalloc(n + ng + 1, sizeof(*plain));
	for (size_t a = 0; a < n; a++)
		fb[a] = question_sign(e, tok, j->data.items[a].question);
	for (size_t g = 0; g < ng; g++)
		gq[g] = question_sign(e, tok, j->golden.items[g].question);
	double worst = 0;
	for (size_t a = 0; a < n; a++) {
		const struct retrain_example *x = &j->data.items[a];
		if (!x->corrected)
			continue;
		for (size_t b = 0; b < n; b++) {
			if (j->data.items[b].group == x->group)
				continue;
			double s = question_closeness(fb[a], fb[b]);
			worst = s > worst ? s : worst;
		}
		for (size_t g = 0; g < ng; g++) {
			const struct golden_question *q = &j->golden.items[g];
			/* The corrected question itself, in a golden set: not a different one. */
			if (q->doc && contains(x->right, x->nright, q->doc)) {
				if (!plain[a])
					plain[a] = question_sign(NULL, tok, x->question);
				if (!plain[n + g])
					plain[n + g] = question_sign(NULL, tok, q->question);
				if (question_closeness(plain[a], plain[n + g]) >= SAME_QUESTION)
					continue;
			}
			double s = question_closeness(fb[a], gq[g]);
			worst = s > worst ? s : worst;
		}
	}
	for (size_t i = 0; i < n + ng; i++)
		question_sig_free(plain[i]);
	for (size_t a = 0; a < n; a++)
		question_sig_free(fb[a]);
	for (size_t g = 0; g < ng; g++)
		question_sig_free(gq[g]);
	free(plain);
	free(fb);
	free(gq);
	*closest_other = worst;
	return worst + CURATED_MARGIN > CURATED_FLOOR ? worst + CURATED_MARGIN : CURATED_FLOOR;
}

static int curate(struct job *j, struct strbuf *err)
{
	size_t corrected = 0;
	for (size_t i = 0; i < j->data.n; i++)
		corrected += j->data.items[i].corrected != NULL;
	if (!corrected) {
		reason(j, "curated answers: none (no feedback gives a corrected answer)");
		return 0;
	}
	const struct release_view *v;
	struct release_hold *hold;
	release_forget(j->cand);
	if (release_get(j->st, j->cfg, j->cand, &v, &hold, err))
		return -1;
	const struct vector_index *vi = release_vectors(v, j->st, j->cfg, err);
	if (vi == (const struct vector_index *)-1) {
		release_put(hold);
		return -1;
	}
	struct tokenizer *tok = tokenizer_new();
	double closest;
	double threshold = calibrate_curated(j, vi ? vi->e : NULL, tok, &closest);
	tokenizer_free(tok);
	release_put(hold);
	struct curated *c = curated_new(threshold);
	for (size_t i = 0; i < j->data.n; i++) {
		const struct retrain_example *e = &j->data.items[i];
		if (!e->corrected)
			continue;
		/* Shown with the documents judged right, else those the corrected answer cited. */
		if (e->nright)
			curated_add(c, e->question, e->corrected, e->right, e->nright, e->created_at,
				    e->feedback_id);
		else
			curated_add(c, e->question, e->corrected, e->answer_sources, e->nanswer_sources,
				    e->created_at, e->feedback_id);
	}
	char detail[200];
	snprintf(detail, sizeof(detail), "%zu corrections; closeness needed %.2f (the closest "
		 "different questions seen: %.2f)", c->n, threshold, closest);
	json_t *body = curated_to_json(c);
	int ret = try_model(j, "curated", body, detail, err);
	json_decref(body);
	curated_free(c);
	return ret;
}

/* --- abstention thresholds ------------------------------------------------- */

static int recalibrate(struct job *j, struct strbuf *err)
{
	/* The training questions (answerable) with the golden sets (which hold the unanswerable ones). */
	struct golden_set both = { 0 };
	both.items = xcalloc(j->train.n + j->golden.n + 1, sizeof(*both.items));
	memcpy(both.items, j->train.items, j->train.n * sizeof(*both.items));
	memcpy(both.items + j->train.n, j->golden.items, j->golden.n * sizeof(*both.items));
	both.n = j->train.n + j->golden.n;
	size_t unanswerable = 0;
	for (size_t i = 0; i < both.n; i++)
		unanswerable += both.items[i].doc == NULL;
	if (!unanswerable) {
		free(both.items);
		reason(j, "thresholds: kept as configured (no unanswerable question to calibrate "
		       "against: add some to validate.golden)");
		return 0;
	}
	struct eval_report rep;
	release_forget(j->cand);
	int rc = eval_run(j->st, j->cfg, &both, NULL, j->cand, &rep, err);
	if (rc) {
		free(both.items);
		return -1;
	}
	/* Right decisions with the thresholds in use: answer when a source is right, else abstain. */
	size_t right = 0;
	for (size_t i = 0; i < rep.questions; i++) {
		const struct eval_outcome *oc = &rep.outcomes[i];
		right += !oc->abstained == (both.items[i].doc != NULL && oc->rank > 0);
	}
	double now = rep.questions ? (double)right / (double)rep.questions : 0;
	free(both.items); /* the questions belong to the sets */
	if (rep.best_decision_rate < now + 1e-9) {
		reason(j, "thresholds: kept as configured (they decide %.0f%% of %zu questions right; the "
		       "best pair that never answers an unanswerable one, %.0f%%)", now * 100,
		       rep.questions, rep.best_decision_rate * 100);
		eval_report_release(&rep);
		return 0;
	}
	char detail[200];
	snprintf(detail, sizeof(detail), "min_evidence %.2f, min_similarity %.2f, deciding %.0f%% of "
		 "%zu questions right (%zu unanswerable), against %.0f%% as configured",
		 rep.best_min_evidence, rep.best_min_similarity, rep.best_decision_rate * 100,
		 rep.questions, unanswerable, now * 100);
	json_t *body = json_pack("{s:f, s:f, s:f, s:I}", "min_evidence", rep.best_min_evidence,
				 "min_similarity", rep.best_min_similarity, "decision_rate",
				 rep.best_decision_rate, "questions", (json_int_t)rep.questions);
	eval_report_release(&rep);
	int ret = try_model(j, "thresholds", body, detail, err);
	json_decref(body);
	return ret;
}

/* --- the decision ------------------------------------------------------------ */

static const char *decide(struct job *j, const struct stage_figures *before, struct gate *g,
			  struct retrain_outcome *out, struct strbuf *err)
{
	struct release_record cand;
	if (store_release_get(j->st, j->cand, &cand, err))
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
		reason(j, "nothing learned does better than production on the held-out feedback questions");
	for (size_t i = 0; i < g->n; i++)
		if (!g->checks[i].ok)
			reason(j, "gate: %s failed: %s", g->checks[i].name, g->checks[i].detail);
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
	if (pass) {
		rc = store_release_promote(j->st, j->cand, j->prod.id, &act, err);
		if (rc == 3) {
			strbuf_reset(err);
			reason(j, "production moved during the retraining: nothing decided, run it again");
			rc = store_release_refuse(j->st, j->cand, &act, err);
			state = "refused";
		} else {
			state = "promoted";
		}
	} else {
		rc = store_release_refuse(j->st, j->cand, &act, err);
		state = "refused";
	}
	snprintf(out->message, sizeof(out->message), "release %lld %s: %s", j->cand, state, summary.buf);
	strbuf_release(&summary);
	return rc < 0 ? NULL : state;
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
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s}",
		"rows", (json_int_t)d->rows, "examples", (json_int_t)d->n, "train", (json_int_t)d->train,
		"validation", (json_int_t)d->validation, "groups", (json_int_t)d->groups,
		"duplicates", (json_int_t)d->duplicates, "missing_documents", (json_int_t)d->missing_docs,
		"contradictory", (json_int_t)d->contradictory, "unlabelled", (json_int_t)d->unlabelled,
		"short_corrections", (json_int_t)d->short_corrections, "shuffled_labels", d->shuffled,
		"feedback_sha256", d->feedback_hash);
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
		snprintf(out->message, sizeof(out->message), "nothing to retrain on: %zu feedback rows give "
			 "%zu usable examples (%zu for training, %zu held out; %zu unlabelled, %zu "
			 "documents gone, %zu contradictory, %zu corrections too short) -- both splits need "
			 "questions with a source judged right", j->data.rows, j->data.n, j->train.n,
			 j->validation.n, j->data.unlabelled, j->data.missing_docs, j->data.contradictory,
			 j->data.short_corrections);
		reason(j, "%s", out->message);
		return 0;
	}
	/* What production finds for each question: passages, negatives, the ranker's features. */
	const struct release_view *pv;
	struct release_hold *hold;
	if (release_get(j->st, j->cfg, 0, &pv, &hold, err))
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
	if (measure_stage(j, "production", &j->before, err))
		return -1;
	/* Measured on the candidate while it is production's copy: production's figures. */
	j->before.val.release = j->before.train.release = j->before.golden.release = j->prod.id;
	j->best = j->before;
	if (refit_embedder(j, err) || learn_vocabulary(j, err))
		goto cleanup;
	flow_crash_point("retrain"); /* the candidate half built: for the crash tests */
	if (train_ranker(j, err) || curate(j, err) || recalibrate(j, err))
		goto cleanup;
	out->state = decide(j, &j->before, &g, out, err);
	if (!out->state)
		goto cleanup;
	json_t *golden = g.measured ? json_pack("{s:o, s:o}", "before", g.compared
		? gate_figures_json(&g.production) : json_null(), "after", gate_figures_json(&g.candidate))
		: json_null();
	json_object_set_new(out->report, "golden", golden);
	json_object_set_new(out->report, "before", json_pack("{s:o, s:o}", "validation",
		gate_figures_json(&j->before.val), "train", gate_figures_json(&j->before.train)));
	json_object_set_new(out->report, "after", json_pack("{s:o, s:o}", "validation",
		gate_figures_json(&j->best.val), "train", gate_figures_json(&j->best.train)));
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
	char *lock_path = xasprintf("%s/run.lock", cfg->data_dir);
	int lock = lock_file(lock_path, err);
	free(lock_path);
	if (lock < 0)
		return -1;
	int reaped = store_retrainings_reap(st, err);
	if (reaped < 0) {
		unlock_file(lock);
		return -1;
	}
	if (reaped)
		log_event(LOG_WARNING, 0, NULL, "retrain", "%d earlier retraining(s) stopped before "
			  "deciding; their candidates are archived", reaped);
	int got = store_release_get(st, 0, &j.prod, err);
	if (got) {
		if (got > 0)
			strbuf_addstr(err, "no release in production to retrain: run 'ragops run --inbox DIR' first");
		unlock_file(lock);
		return -1;
	}
	j.retraining = out->retraining = store_retraining_begin(st, o->actor ? o->actor : "?", err);
	if (j.retraining < 0) {
		release_record_release(&j.prod);
		unlock_file(lock);
		return -1;
	}
	j.stages = json_array();
	j.trained = json_array();
	j.reasons = json_array();
	out->report = json_object();
	int rc = run_job(&j, out, err);
	struct retraining_record rec = { .id = j.retraining, .release_id = out->release,
					 .feedback_upto = j.data.feedback_upto,
					 .feedback_hash = j.data.feedback_hash };
	if (rc) {
		rec.state = "failed";
		reason(&j, "failed: %s", err->buf);
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
	json_object_set_new(out->report, "promoted", json_boolean(!rc && !strcmp(rec.state, "promoted")));
	json_object_set_new(out->report, "release", out->release ? json_integer(out->release) : json_null());
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
	unlock_file(lock);
	return rc;
}

void retrain_outcome_release(struct retrain_outcome *out)
{
	json_decref(out->report);
	memset(out, 0, sizeof(*out));
}

/*
 * The parts a retraining gives its candidate, each tried through
 * retrain_try_model (or, for the embedder, measured the same way).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "learn/curated.h"
#include "learn/learned.h"
#include "learn/ranker.h"
#include "learn/vocabulary.h"
#include "ops/retrain_job.h"
#include "ops/scrub.h"
#include "pipeline/embed.h"
#include "retrieval/lexicon.h"
#include "retrieval/release.h"
#include "retrieval/vectors.h"
#include "text/tokenize.h"

/* A curated answer needs at least this closeness, whatever the calibration says. */
#define CURATED_FLOOR 0.5
/* ... and this margin above the closest different question seen. */
#define CURATED_MARGIN 0.02

/* --- the embedder --------------------------------------------------------- */

static int use_embedder(struct job *j, long long model_id, struct strbuf *err)
{
	return store_release_set_models(j->st, j->cand, j->prod.lexicon_id, model_id, err);
}

int retrain_embedder(struct job *j, struct strbuf *err)
{
	const char *why = !j->prod.embedder_id ? "production has no embedder (too few chunks)"
			  : strcmp(j->cfg->embed.embedder, "builtin")
				  ? "an endpoint's model is not ours to refit"
				  : NULL;
	if (why) {
		retrain_reason(j, "embedder: not refit: %s", why);
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
	    use_embedder(j, plain.model_id, err) || retrain_measure(j, "embedder refit", &f_plain, err))
		goto cleanup;
	/* (A refit on an unchanged corpus is production's own model: its record stays.) */
	if (plain.model_id != j->prod.embedder_id &&
	    retrain_record_metrics(j, plain.model_id, &f_plain, err))
		goto cleanup;
	f_pairs = f_plain;
	with_pairs.model_id = 0;
	if (npairs && (embed_refit(j->st, j->cfg, j->cand, j->prod.embedder_id,
				   (const char *const *)pairs, npairs, &with_pairs, err) ||
		       use_embedder(j, with_pairs.model_id, err) ||
		       retrain_measure(j, "embedder refit + feedback pairs", &f_pairs, err) ||
		       (with_pairs.model_id != j->prod.embedder_id &&
			retrain_record_metrics(j, with_pairs.model_id, &f_pairs, err))))
		goto cleanup;
	/* The refit on the corpus as it is, unless the pairs help or production's does better. */
	char detail[200];
	long long chosen = plain.model_id;
	const char *version = plain.version;
	struct stage_figures got = f_plain;
	if (with_pairs.model_id && retrain_worth_keeping(j, &f_pairs) &&
	    f_pairs.val.mrr + f_pairs.train.mrr > f_plain.val.mrr + f_plain.train.mrr + 1e-9) {
		chosen = with_pairs.model_id;
		version = with_pairs.version;
		got = f_pairs;
	}
	int kept = retrain_worth_keeping(j, &got);
	snprintf(detail, sizeof(detail),
		 "refit on the corpus%s (held-out MRR %.3f; with %zu feedback "
		 "pairs %.3f)",
		 chosen == with_pairs.model_id ? " and the feedback pairs" : "", f_plain.val.mrr, npairs,
		 f_pairs.val.mrr);
	retrain_trained(j, "embedder", version, kept, &got, detail);
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

int retrain_vocabulary(struct job *j, struct strbuf *err)
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
	if (release_get(j->st, j->cfg, j->cand, &v, &hold, err) != LOOKUP_FOUND) {
		free(pairs);
		return -1;
	}
	struct vocabulary *vocab = vocabulary_learn(pairs, n, lexicon_df, (void *)v, v->chunks,
						    j->cfg->retrain.expansion_weight);
	release_put(hold);
	free(pairs);
	int ret = 0;
	if (!vocabulary_size(vocab)) {
		retrain_reason(j, "vocabulary: nothing learned (%zu training pairs bridge no word)", n);
	} else {
		char detail[120];
		snprintf(detail, sizeof(detail), "%zu words bridged, from %zu training pairs",
			 vocabulary_size(vocab), n);
		json_t *body = vocabulary_to_json(vocab);
		ret = retrain_try_model(j, "vocabulary", body, detail, err);
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

int retrain_ranker(struct job *j, struct strbuf *err)
{
	/* The candidates as the candidate release finds them now (its embedder, its vocabulary). */
	const struct release_view *v;
	struct release_hold *hold;
	release_forget(j->cand);
	if (release_get(j->st, j->cfg, j->cand, &v, &hold, err) != LOOKUP_FOUND)
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
			x[rows * RANKER_FEATURES + RF_DOC_PRIOR] = d ? prior(&dv, (size_t)*d - 1, right,
									     contains(e->wrong,
										      e->nwrong, doc))
								     : 0;
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
		retrain_reason(j, "ranker: not trained: %s", why.buf);
	} else {
		char detail[160];
		snprintf(detail, sizeof(detail),
			 "logistic regression on %zu candidates of the training "
			 "questions, %zu documents with a feedback record",
			 rows, dv.n);
		json_t *body = ranker_to_json(rk);
		ret = retrain_try_model(j, "ranker", body, detail, err);
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
				if (question_closeness(plain[a], plain[n + g]) >= RETRAIN_SAME_QUESTION)
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

int retrain_curated(struct job *j, struct strbuf *err)
{
	size_t corrected = 0;
	for (size_t i = 0; i < j->data.n; i++)
		corrected += j->data.items[i].corrected != NULL;
	if (!corrected) {
		retrain_reason(j, "curated answers: none (no feedback gives a corrected answer)");
		return 0;
	}
	const struct release_view *v;
	struct release_hold *hold;
	release_forget(j->cand);
	if (release_get(j->st, j->cfg, j->cand, &v, &hold, err) != LOOKUP_FOUND)
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
		/* Shown to other users, kept in a release's file: scrubbed as the datasets are. */
		char *question = scrub_text(e->question, NULL), *fixed = scrub_text(e->corrected, NULL);
		/* Shown with the documents judged right, else those the corrected answer cited. */
		if (e->nright)
			curated_add(c, question, fixed, e->right, e->nright, e->created_at,
				    e->feedback_id);
		else
			curated_add(c, question, fixed, e->answer_sources, e->nanswer_sources,
				    e->created_at, e->feedback_id);
		free(question);
		free(fixed);
	}
	char detail[200];
	snprintf(detail, sizeof(detail),
		 "%zu corrections; closeness needed %.2f (the closest "
		 "different questions seen: %.2f)",
		 c->n, threshold, closest);
	json_t *body = curated_to_json(c);
	int ret = retrain_try_model(j, "curated", body, detail, err);
	json_decref(body);
	curated_free(c);
	return ret;
}

/* --- abstention thresholds ------------------------------------------------- */

int retrain_thresholds(struct job *j, struct strbuf *err)
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
		retrain_reason(j,
			       "thresholds: kept as configured (no unanswerable question to calibrate "
			       "against: add some to validate.golden)");
		return 0;
	}
	struct eval_report rep;
	release_forget(j->cand);
	if (eval_run(j->st, j->cfg, &both, NULL, j->cand, 0, &rep, err) != ASK_OK) {
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
		retrain_reason(
			j,
			"thresholds: kept as configured (they decide %.0f%% of %zu questions right; the "
			"best pair that never answers an unanswerable one, %.0f%%)",
			now * 100, rep.questions, rep.best_decision_rate * 100);
		eval_report_release(&rep);
		return 0;
	}
	char detail[200];
	snprintf(detail, sizeof(detail),
		 "min_evidence %.2f, min_similarity %.2f, deciding %.0f%% of "
		 "%zu questions right (%zu unanswerable), against %.0f%% as configured",
		 rep.best_min_evidence, rep.best_min_similarity, rep.best_decision_rate * 100,
		 rep.questions, unanswerable, now * 100);
	json_t *body = json_pack("{s:f, s:f, s:f, s:I}", "min_evidence", rep.best_min_evidence,
				 "min_similarity", rep.best_min_similarity, "decision_rate",
				 rep.best_decision_rate, "questions", (json_int_t)rep.questions);
	eval_report_release(&rep);
	int ret = retrain_try_model(j, "thresholds", body, detail, err);
	json_decref(body);
	return ret;
}

/*
 * `ragops retrain run`: learn from the feedback what ragops owns, and
 * promote it only when it is not worse.  The candidate is a release
 * derived from production (same documents), given in turn: a refit
 * built-in embedder (with the feedback's question-passage pairs when they
 * help), a vocabulary bridging users' words to the documents', a ranker
 * over the fused candidates, curated answers from corrections, and
 * abstention thresholds recalibrated on the feedback and golden
 * questions.  Each stage is measured on the held-out feedback questions
 * and kept only when it does not make them worse; the release gate then
 * checks structure, the golden sets and the held-out questions against
 * production, and promotes or refuses.  Every retraining is recorded with
 * its figures, whatever its outcome.
 */
#ifndef OPS_RETRAIN_H
#define OPS_RETRAIN_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

struct retrain_options {
	const char *actor;        /* the Unix user, "api", "auto" */
	int shuffle_labels;       /* the control: right documents permuted between questions */
	char *const *report_sets; /* golden sets measured at every stage, never deciding */
	size_t nreport_sets;
};

struct retrain_outcome {
	long long retraining, release, production; /* release: the candidate, 0 when none */
	const char *state;                         /* promoted | refused | nothing */
	json_t *report;                            /* owned: see the retrainings table */
	char message[600];
};

/* 0 with the outcome (a refusal is an outcome), -1 when it could not run. */
int retrain_run(struct store *st, const struct config *cfg, const struct retrain_options *o,
		struct retrain_outcome *out, struct strbuf *err);
void retrain_outcome_release(struct retrain_outcome *out);

#endif

/*
 * should_retrain: the policy of the retrain.* settings, every rule with
 * its figure, threshold and window.  Retraining is recommended when a
 * rule fires: enough new feedback since the last retraining, a mean
 * rating under its floor, too many low ratings, a corpus that changed
 * since the embedder learned it, questions drifting away from what the
 * index can answer, or production doing worse on the feedback's own
 * questions than it did when last retrained.  With no feedback at all,
 * the answer is no: there is nothing to learn from.
 */
#ifndef OPS_RETRAIN_POLICY_H
#define OPS_RETRAIN_POLICY_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

#define POLICY_RULES 6

struct policy_rule {
	const char *rule; /* new_feedback, mean_rating, low_rating_share, corpus_change,
				   query_drift, feedback_eval */
	double value, threshold;
	const char *window; /* "since the last retraining", "30d", ... */
	int measured;       /* the figure exists (enough ratings, a past figure...) */
	int triggered;
	char detail[200];
};

struct retrain_policy {
	struct policy_rule rules[POLICY_RULES];
	size_t n;
	int retrain;
	char reason[240]; /* the decision in one sentence */
	long long feedback_total, new_feedback;
};

/* Evaluate the policy: 0 with the verdict in *out, -1 when the store failed. */
int retrain_should(struct store *st, const struct config *cfg, struct retrain_policy *out,
		   struct strbuf *err);
/* {"retrain": bool, "reason": ..., "rules": [{"rule", "value", "threshold", "window", "triggered", ...}]} */
json_t *retrain_policy_json(const struct retrain_policy *p);

#endif

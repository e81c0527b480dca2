/*
 * The evaluation harness: a golden set of questions (JSONL: question,
 * expected document, optional page, phrases a correct answer contains,
 * kind) asked through the real answerer, scored as recall@1/@5, MRR,
 * answers holding an expected phrase, abstention precision/recall and
 * latency.  `ragops eval` prints it; the release gate calls the same code.
 */
#ifndef OPS_EVAL_H
#define OPS_EVAL_H

#include "answer/answer.h"
#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

struct golden_question {
	char *id, *question, *doc, *kind, *lang;
	int page; /* 0 when not given */
	char **phrases;
	size_t nphrases;
};

struct golden_set {
	struct golden_question *items;
	size_t n;
};

/* Load a JSONL golden set; errors name the file, line and field. */
int golden_load(const char *path, struct golden_set *set, struct strbuf *err);
void golden_release(struct golden_set *set);

struct eval_outcome {
	int rank;     /* 1-based rank of the first source from the expected document, 0 if none */
	int page_hit; /* a source in the top 5 covers the expected page */
	int abstained, phrase_hit;
	double evidence, similarity, ms;
};

struct eval_report {
	const char *retriever;
	long long release; /* the release asked */
	size_t questions, answerable, unanswerable;
	double recall1, recall5, mrr, page_recall5, phrase_rate;
	double abstain_precision, abstain_recall;
	double p50_ms, p95_ms;
	double best_min_evidence; /* the thresholds that decide best on this set */
	double best_min_similarity;
	double best_decision_rate;
	struct eval_outcome *outcomes; /* one per question, in order */
};

/* Ask every question of `set` of release `release` (0: production); the first one not answered stops it. */
enum ask_result eval_run(struct store *st, const struct config *cfg, const struct golden_set *set,
			 const char *retriever, long long release, struct eval_report *out,
			 struct strbuf *err);
void eval_report_release(struct eval_report *r);

#endif

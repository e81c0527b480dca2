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
	char *format; /* of the expected document when the file says it, else NULL */
	int page;     /* 0 when not given */
	char **phrases;
	size_t nphrases;
	size_t file; /* which of the set's files it comes from */
};

struct golden_set {
	struct golden_question *items;
	size_t n;
	char **files; /* the files loaded, in order */
	size_t nfiles;
};

/* Load a JSONL golden set; errors name the file, line and field. */
int golden_load(const char *path, struct golden_set *set, struct strbuf *err);
/* Add the questions of another file to `set`; on error `set` is released. */
int golden_load_more(const char *path, struct golden_set *set, struct strbuf *err);
void golden_release(struct golden_set *set);

struct eval_outcome {
	int rank;     /* 1-based rank of the first source from the expected document, 0 if none */
	int page_hit; /* a source in the top 5 covers the expected page */
	int abstained, phrase_hit;
	double evidence, similarity, ms;
	const char *format; /* of the expected document (pdf, scan, image, txt...), "-" for none */
};

struct eval_report {
	const char *retriever;
	long long release; /* the release asked */
	size_t questions, answerable, unanswerable;
	double recall1, recall5, mrr, phrase_rate;
	double page_recall5; /* of the questions that name a page */
	double abstain_precision, abstain_recall;
	double p50_ms, p95_ms;
	double best_min_evidence; /* the thresholds that decide best on this set */
	double best_min_similarity;
	double best_decision_rate;
	struct eval_outcome *outcomes; /* one per question, in order */
};

/*
 * Ask every question of `set` of release `release` (0: production),
 * without the parts `without` (enum answer_without) names; the first
 * question not answered stops it.
 */
enum ask_result eval_run(struct store *st, const struct config *cfg, const struct golden_set *set,
			 const char *retriever, long long release, unsigned without,
			 struct eval_report *out, struct strbuf *err);
void eval_report_release(struct eval_report *r);

/* The figures of some of the questions of a report: one kind, format or file. */
struct eval_figures {
	size_t questions, answerable, unanswerable;
	double recall1, recall5, mrr, phrase_rate;
	double dont_know;      /* answerable questions answered "don't know" */
	double abstain_recall; /* unanswerable questions answered "don't know" */
};

/* The figures of all the questions of a report. */
void eval_totals(const struct golden_set *set, const struct eval_report *r, struct eval_figures *out);

/* What a breakdown groups questions by. */
enum eval_group { EVAL_BY_KIND, EVAL_BY_FORMAT, EVAL_BY_FILE };

/*
 * The figures of each group, in the order the groups first appear in the
 * set: names[i] (pointing into the set or the report) and figs[i], both
 * allocated; returns how many groups.
 */
size_t eval_breakdown(const struct golden_set *set, const struct eval_report *r, enum eval_group by,
		      const char ***names, struct eval_figures **figs);

/*
 * One component of `ragops eval --ablate`: its name and what leaving it
 * out means (parts switched off, or the retriever used instead).
 */
struct eval_ablation {
	const char *name, *what;
	unsigned without;
	const char *retriever; /* NULL: the one evaluated */
};
/* The ablation called `name`, NULL when there is none. */
const struct eval_ablation *eval_ablation_find(const char *name);
extern const struct eval_ablation eval_ablations[];

#endif

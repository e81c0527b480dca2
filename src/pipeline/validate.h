/*
 * The release gate (step 6 of the flow).  Structural checks: every
 * document of the release has chunks or pages waiting for OCR; the chunk
 * rows, full-text rows, lexicon entries and vectors match the chunks one
 * to one; vector sizes agree; no empty or oversized chunk; the share of
 * weak OCR pages stays under validate.max_weak_page_share.  Quality: the
 * golden sets of validate.golden asked of the candidate and of production:
 * recall@5 and MRR may not drop by more than validate.max_recall_drop /
 * max_mrr_drop, abstention on unanswerable questions may not get worse;
 * with no production, recall@5 must reach validate.min_recall_at_5.
 * `ragops deploy promote --force` skips the quality checks, never the
 * structural ones.
 */
#ifndef PIPELINE_VALIDATE_H
#define PIPELINE_VALIDATE_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "ops/eval.h"
#include "store/store.h"

struct gate_check {
	char name[32];
	int ok, quality; /* quality: a golden-set figure (skipped by --force) */
	int has_value;   /* value and threshold mean something */
	double value, threshold;
	char detail[240];
};

/* Golden-set figures of one release. */
struct gate_figures {
	long long release;
	size_t questions, answerable, unanswerable;
	double recall1, recall5, mrr, abstention; /* abstention: recall on unanswerable */
};

struct gate {
	struct gate_check *checks;
	size_t n, alloc;
	int structural_ok, quality_ok;
	int measured;        /* a golden set was asked */
	int compared;        /* ... of production too */
	int quality_skipped; /* --force */
	char note[64];       /* why quality was not measured */
	struct gate_figures candidate, production;
	char eval_key[72]; /* golden sets + settings the figures depend on */
};

/*
 * Check release `cand` against `prod` (NULL: none in production).  0 with
 * the verdict in *g (see structural_ok, quality_ok), -1 when the checks
 * could not run (the store failed).
 */
int gate_run(struct store *st, const struct config *cfg, const struct release_record *cand,
	     const struct release_record *prod, int skip_quality, struct gate *g, struct strbuf *err);
void gate_release(struct gate *g);

/*
 * What a release's figures depend on besides its content: the golden sets'
 * contents, the retrieve/answer/validate settings and the paths of its
 * documents now.  Same key, same figures (and verdict).
 */
int gate_key(struct store *st, const struct config *cfg, long long release, char out[72],
	     struct strbuf *err);

/* The figures of release `release` (0: production) on `set`; an empty release scores zero. */
int gate_measure(struct store *st, const struct config *cfg, const struct golden_set *set,
		 long long release, struct gate_figures *f, struct strbuf *err);
/* gate_measure, also giving each question's rank of its expected document (0: not found) in ranks[set->n]. */
int gate_measure_ranks(struct store *st, const struct config *cfg, const struct golden_set *set,
		       long long release, struct gate_figures *f, int *ranks, struct strbuf *err);
/* The golden sets of validate.golden as one (none: n = 0); an unreadable one is an error. */
int gate_golden(const struct config *cfg, struct golden_set *all, struct strbuf *err);
json_t *gate_figures_json(const struct gate_figures *f);

/*
 * Add quality checks that `after` (the candidate) does no worse than
 * `before` on a set of questions named `set` (NULL: the golden sets):
 * recall@5 and MRR within validate.max_recall_drop / max_mrr_drop,
 * abstention not lower.
 */
void gate_compare(struct gate *g, const struct config *cfg, const char *set,
		  const struct gate_figures *before, const struct gate_figures *after);

/* The checks as a JSON array, the figures as a JSON object (both for the release record). */
json_t *gate_checks_json(const struct gate *g);
json_t *gate_metrics_json(const struct gate *g);
/* "recall@5 0.93 → 0.94, MRR 0.84 → 0.85", or the failed checks, for people. */
void gate_summary(const struct gate *g, struct strbuf *out);

#endif

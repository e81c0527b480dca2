/*
 * Inside a retraining (see retrain.h), shared by its files: the job, how a
 * part is measured and judged (retrain_judge.c), the parts it trains
 * (retrain_parts.c) and the run that decides (retrain.c).
 */
#ifndef OPS_RETRAIN_JOB_H
#define OPS_RETRAIN_JOB_H

#include <jansson.h>

#include "ops/retrain.h"
#include "ops/retrain_data.h"
#include "pipeline/validate.h"

struct report_set {
	char *name;
	struct golden_set set;
};

/* A stage measured on the held-out feedback questions, the training ones and the golden sets. */
struct stage_figures {
	struct gate_figures val, train;
	struct gate_figures golden;    /* on validate.golden (questions == 0 without) */
	int *val_ranks, *golden_ranks; /* each question's rank of its document (0: none) */
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
	struct stage_figures before; /* production's */
	struct stage_figures best;   /* the candidate's as it stands */
	json_t *stages, *trained, *reasons;
	int **ranks; /* every rank array measured, freed at the end */
	size_t nranks;
	int changed; /* something was kept */
};

/* A line of the report's reasons. */
__attribute__((format(printf, 2, 3))) void retrain_reason(struct job *j, const char *fmt, ...);
/* The candidate on the feedback questions, the golden sets and the report sets, as a stage row. */
int retrain_measure(struct job *j, const char *stage, struct stage_figures *f, struct strbuf *err);
/* Whether a part measured at `after` is kept (see retrain_judge.c). */
int retrain_worth_keeping(const struct job *j, const struct stage_figures *after);
/* Report a part trained, kept or left out, against the candidate as it stood. */
void retrain_trained(struct job *j, const char *component, const char *version, int kept,
		     const struct stage_figures *after, const char *detail);
/* Record on model `model_id` the figures it was measured at. */
int retrain_record_metrics(struct job *j, long long model_id, const struct stage_figures *f,
			   struct strbuf *err);
/* Save a learned model of `kind`, attach it, measure, keep it or take it off again. */
int retrain_try_model(struct job *j, const char *kind, json_t *body, const char *detail,
		      struct strbuf *err);

/* The parts, in the order they are given to the candidate (retrain_parts.c). */
int retrain_embedder(struct job *j, struct strbuf *err);
int retrain_vocabulary(struct job *j, struct strbuf *err);
int retrain_ranker(struct job *j, struct strbuf *err);
int retrain_curated(struct job *j, struct strbuf *err);
int retrain_thresholds(struct job *j, struct strbuf *err);

#endif

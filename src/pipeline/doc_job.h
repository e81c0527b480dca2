/*
 * Internal to the pipeline: one document on its way through the stages
 * (process.c), and its save (save.c).
 */
#ifndef PIPELINE_DOC_JOB_H
#define PIPELINE_DOC_JOB_H

#include "pipeline/extract_source.h"
#include "pipeline/flow.h"

struct doc_job {
	struct doc_record *d;
	struct doc_record fresh; /* the record when the store had none */
	const struct found_file *f;
	enum doc_type type;
	struct extracted doc;
	stage_keys keys;
	struct task_record tasks[NSTAGES];
	size_t ntasks;
	struct ocr_input ocr;
	struct prepared prepared; /* its timings, and its chunks when the workers made them */
	struct doc_source src;    /* where OCR reads its pages */
};

void job_free(struct doc_job *job);
/* Record the document failed at `stage` (its last good version stays), and free the job. */
void job_fail(struct flow *fl, struct doc_job *job, const char *stage, const char *error);

/*
 * A document ready to be saved: its new version's record (`next`, a copy:
 * the job's record keeps describing the version in the store until the
 * save is written) and its chunks.
 */
struct doc_save {
	struct doc_job *job;
	struct doc_record next;
	long long id_before; /* next.id before a save that a failed group commit undid */
	struct chunk_record *recs;
	struct chunk *chunks; /* what recs point into */
	size_t nchunks;
	int waiting; /* pages waiting for OCR */
	long long chars;
	int headers_removed;
	int claim_lost; /* its failed save found its work item taken over (store_claim_lost) */
	double t0;      /* the index stage's start (time_mono) */
};

/*
 * Save `saving` (taking what it holds): in the run's open group of saves when
 * it can be (store_group_begin), else alone with retries (retry.h).  Its
 * outcome (the record, the run's figures, the log) is settled when what
 * it wrote is committed.
 */
void save_document(struct flow *fl, const struct doc_save *saving);

#endif

/*
 * Queue workers: on a store shared by several machines (PostgreSQL), a
 * run puts its new and changed documents in the store's work queue
 * (store/work_queue.h), and `ragops worker` processes on any machine,
 * the run among them, claim them a few at a time and put each through the
 * stages as a one-machine run does, saving it fenced by its claim.  The
 * steps of the whole corpus (embedding, lexicon, validation, release)
 * stay the run's, under the store's runs lock: once per run.
 */
#ifndef PIPELINE_QUEUE_H
#define PIPELINE_QUEUE_H

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

struct flow;
struct prepared;

/* The stages a worker takes on (--stages): without ocr, it hands scanned documents over. */
struct worker_stages {
	int extract, ocr;
};
/* Parse "extract,ocr" (clean, chunk and index come with extract); -1 with why. */
int worker_stages_parse(const char *list, struct worker_stages *out, struct strbuf *err);

struct queue_worker;
/*
 * Register a worker named `name` (NULL: the host's name) on the store and
 * start its heartbeat, which renews the leases of what it holds on a
 * connection of its own.  NULL with why.
 */
struct queue_worker *queue_worker_start(struct store *st, const struct config *cfg, const char *name,
					const struct worker_stages *stages, struct strbuf *err);
/* Its id: unique per process start. */
const char *queue_worker_id(const struct queue_worker *w);
/*
 * Claim and process until nothing is left to claim (of run `only_run`
 * when not 0), a stop is requested, or the heartbeat fails.  With `fl`,
 * the work of its run is done in it (the run's own figures and progress).
 * How many documents were processed, or -1 when the store failed.
 */
long long queue_worker_drain(struct queue_worker *w, long long only_run, struct flow *fl,
			     struct strbuf *err);
/* Whether the heartbeat is failing: claims wait until it beats again. */
int queue_worker_beat_failing(struct queue_worker *w);
/*
 * OCR slots for a batch, when worker.ocr_slots limits the cluster's OCR
 * threads: up to `want`, waiting until one is free.  0 when there is no
 * limit (then the batch uses every OCR thread).
 */
int queue_worker_ocr_slots(struct queue_worker *w, int want);
void queue_worker_ocr_slots_done(struct queue_worker *w);
/*
 * An ocr_stage_gate: before each page, a worker whose slots ran out while
 * it was stopped (SIGSTOP, a frozen VM) reads no more pages: others may
 * hold the slots now, and its documents are theirs too.
 */
int queue_worker_slots_gate(void *ctx, struct strbuf *why);
/* Stop the heartbeat, record the worker stopped and free it. */
void queue_worker_stop(struct queue_worker **w);

/*
 * `ragops worker`: work until a stop is requested (SIGTERM, SIGINT),
 * looking for work every worker.poll_seconds.  -2 when the store was last
 * migrated by another ragops version (refused), -1 on failure.
 */
int queue_worker_serve(struct store *st, const struct config *cfg, const char *name,
		       const struct worker_stages *stages, struct strbuf *err);

/*
 * The run's side: enqueue the files (records[i] the store's record of
 * files[i], or NULL), work on them with the other workers, wait until
 * every one is done, and take the run's figures from what was saved.
 */
int queue_run_documents(struct flow *fl, struct doc_record **records, struct prepared *files, size_t n,
			struct strbuf *err);

#endif

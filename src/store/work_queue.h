/*
 * The work queue of a store shared by several machines (PostgreSQL): a
 * run's new and changed documents become work items; `ragops worker`
 * processes (and the run itself) claim them under a lease they renew by
 * heartbeat.  Every write of a claimed item's result is fenced by its
 * claim (id, attempt, owner): a worker that lost its lease, paused past
 * it say, writes nothing over the work of the one that took over.
 * Times are the database server's clock, never a worker's.
 */
#ifndef STORE_WORK_QUEUE_H
#define STORE_WORK_QUEUE_H

#include "store/store.h"

/* A document to enqueue: where the run found it and what it hashed. */
struct work_new {
	long long doc_id; /* the store's record, 0 for a new document */
	const char *root, *relpath, *source, *sha256;
	long long size, mtime;
};

/* Enqueue a run's documents in one transaction, for workers whose stage settings are `settings`. */
int store_work_enqueue(struct store *st, long long run_id, const char *settings,
		       const struct work_new *items, size_t n, struct strbuf *err);

/* The OCR pages of a document, or of a run's documents. */
struct work_ocr {
	long long pages, failed, flagged;
	long long read_pages; /* with words: those the confidence is the mean of */
	double confidence_sum;
	long long cached; /* taken from the OCR cache */
	double seconds;   /* recognition time, summed over pages */
};

/*
 * Attempts at a document before it is given up (outcome "abandoned"): a
 * document whose workers keep dying or whose save keeps failing must not
 * hold the run, nor take worker after worker with it.
 */
#define WORK_MAX_ATTEMPTS 3

/* An item as claimed: what to read, and the fence its results carry. */
struct work_claim {
	long long id, run_id, doc_id, attempt;
	char *root, *relpath, *source, *sha256, *owner;
	long long size, mtime;
	int needs_ocr;       /* handed over by a worker that does no OCR */
	struct work_ocr ocr; /* set by the worker before the save: recorded with it */
};
void work_claims_free(struct work_claim *claims, size_t n);

/* What a worker takes. */
struct work_filter {
	const char *settings; /* its stage settings: another run's items are not its to do */
	int extract, ocr;     /* the stages it does: without ocr it hands such documents over */
	long long run_id;     /* only this run's (the run working its own queue), 0: any */
};

/*
 * Claim up to `max` items of one running run, queued ones or ones whose
 * lease ran out (their worker is gone or paused), skipping those another
 * claimer holds locked: each claim is a lease of `lease_ms` under a new
 * attempt number.  *n may be 0.
 */
int store_work_claim(struct store *st, const char *owner, long long lease_ms,
		     const struct work_filter *filter, size_t max, struct work_claim **out, size_t *n,
		     struct strbuf *err);
/*
 * Give a claimed item back to the queue (a worker stopping before it
 * started it; `needs_ocr`: for a worker that does OCR), its attempt not
 * counted towards WORK_MAX_ATTEMPTS: nothing of it was tried.  1 when
 * given back, 0 when the claim was lost meanwhile, -1 on error.
 */
int store_work_release(struct store *st, const struct work_claim *claim, int needs_ocr,
		       struct strbuf *err);
/*
 * Give back every item the owner still holds (a batch over, some saves
 * failed with the store unreachable), or give it up when it has had
 * WORK_MAX_ATTEMPTS: how many, or -1.
 */
int store_work_release_held(struct store *st, const char *owner, struct strbuf *err);
/* Documents queued for workers of other settings or another ragops than `settings`: how many, or -1. */
long long store_work_foreign(struct store *st, const char *settings, struct strbuf *err);
/*
 * Whether the last write refused was refused because its claim was lost:
 * the item's lease ran out and another worker took it over.
 */
int store_claim_lost(const struct store *st);

/* A worker process, as it registers. */
struct worker_info {
	const char *id; /* unique per process start */
	const char *name, *host, *version, *stages;
	long long pid;
	long long lease_ms; /* its lease: whoever looks judges it lost by this */
};
int store_worker_register(struct store *st, const struct worker_info *w, struct strbuf *err);
/*
 * The worker is alive: its heartbeat, and the leases it holds that have
 * not run out renewed for `lease_ms`; its OCR slots too while it reads
 * pages (`in_ocr`), else given back.  How many claims were renewed, or -1.
 */
long long store_worker_beat(struct store *st, const char *id, long long lease_ms, int in_ocr,
			    struct strbuf *err);
/* The worker stopped: its record stays (stopped_at) until the next start prunes old ones. */
int store_worker_stopped(struct store *st, const char *id, struct strbuf *err);

/*
 * Cluster-wide limits (worker.ocr_slots): `total` slots of `kind`, a row
 * each, held under the holder's lease like its claims (the heartbeat
 * renews both), so a dead worker's run out.  Take up to `want` free ones:
 * how many were taken (0 when all are held), or -1.
 */
int store_slots_take(struct store *st, const char *kind, long long total, const char *owner,
		     long long lease_ms, long long want, struct strbuf *err);
/* Slots of `kind` the owner holds under a lease still running: how many, or -1. */
long long store_slots_held(struct store *st, const char *kind, const char *owner, struct strbuf *err);
/* Give back every slot of `kind` the owner holds. */
int store_slots_give(struct store *st, const char *kind, const char *owner, struct strbuf *err);

/* A worker as `ragops workers` shows it. */
struct worker_row {
	char *id, *name, *host, *version, *stages;
	long long pid, started_at, heartbeat_at, stopped_at; /* stopped_at 0 while running */
	long long lease_ms;
	long long now;     /* the server's clock, to judge the heartbeat's age */
	long long holding; /* items it holds a claim on */
	char *held;        /* the first of them, comma-separated, or NULL */
};
int store_workers_list(struct store *st, struct worker_row **out, size_t *n, struct strbuf *err);
void worker_rows_free(struct worker_row *rows, size_t n);

/* A run's items by state; `expired`: claimed, and their lease ran out. */
struct work_counts {
	long long queued, claimed, done, cancelled, expired;
	long long waiting_for_ocr; /* queued, handed over by workers that do no OCR */
};
int store_work_counts(struct store *st, long long run_id, struct work_counts *out, struct strbuf *err);
/* The documents of the run given up after WORK_MAX_ATTEMPTS, as "a, b, c" (caller frees), or NULL. */
char *store_work_abandoned(struct store *st, long long run_id, long long *n, struct strbuf *err);
/* A run stops early: its queued items are not to be taken; claimed ones finish. */
int store_work_cancel(struct store *st, long long run_id, struct strbuf *err);
/* A run ended: its items go, and those of runs no longer running (crashed). */
int store_work_forget(struct store *st, long long run_id, struct strbuf *err);
/*
 * What the run's workers did, read from what they saved: documents
 * failed, pages, chunks and characters of the documents its items ended
 * with (into `stats`), and the OCR pages of every document done, failed
 * ones included.
 */
int store_work_run_stats(struct store *st, long long run_id, struct run_stats *stats,
			 struct work_ocr *ocr, struct strbuf *err);

#endif

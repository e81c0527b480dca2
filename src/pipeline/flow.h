/*
 * Internal to the pipeline: the state of one run (struct flow) shared by
 * the run loop (run.c), the per-document stages (process.c) and the
 * metrics file (metrics.c).
 */
#ifndef PIPELINE_FLOW_H
#define PIPELINE_FLOW_H

#include "core/hash.h"
#include "pipeline/chunk.h"
#include "pipeline/clean.h"
#include "pipeline/collect.h"
#include "pipeline/embed.h"
#include "pipeline/lexicon_index.h"
#include "pipeline/ocr.h"
#include "pipeline/parser_pool.h"
#include "pipeline/run.h"
#include "text/tokenize.h"

enum stage { STAGE_EXTRACT, STAGE_OCR, STAGE_CLEAN, STAGE_CHUNK, STAGE_INDEX, NSTAGES };
extern const char *const stage_names[NSTAGES];

struct failure {
	char *doc, *stage, *error;
};

struct doc_ocr {
	char *doc;
	int pages;
	double confidence; /* mean over its pages with words */
};

struct flow {
	struct store *st;
	const struct config *cfg;
	long long run_id;
	struct parser_pool *parsers; /* NULL: parse in this process (ingest.isolate=false) */
	struct ocr_stage *ocr;       /* created when a page first needs OCR */
	struct ocr_stats ocr_stats;
	struct embed_outcome embed;
	struct lexicon_outcome lexicon;
	struct doc_ocr *ocr_docs;
	size_t nocr_docs, ocr_docs_alloc;
	struct run_stats stats;
	double stage_seconds[NSTAGES + 1]; /* + collect */
	struct failure *failures;
	size_t nfailures, failures_alloc;
	struct task_record *cached; /* tasks of unchanged documents, saved in one batch */
	size_t ncached, cached_alloc;
	struct progress *progress;
	double publish_seconds; /* the candidate release: embed, lexicon, gate, retention */
	size_t not_done;        /* new or changed documents a stop request left for the next run */
	int refresh_ocr;   /* --no-cache, --refresh ocr: pages read again, not taken from the cache */
	int retries_spent; /* a document used up its attempts: the others get one (retry.h) */
	int ocr_elsewhere; /* a queue worker without OCR: documents that need it are handed over */
	struct queue_worker *worker; /* the queue worker doing the run's work here, or NULL */
	struct doc_save *group;      /* saves written in the store's open group, settled at its commit */
	size_t ngroup, group_alloc;
	double group_started; /* time_mono */
	char *key_settings;   /* the settings' part of the cache keys (flow_cache_keys) */
	size_t key_settings_end[NSTAGES];
};

/* Record a stage run once for the whole corpus (embed, lexicon, validate...) as a task on "(corpus)". */
void flow_corpus_task(struct flow *fl, const char *stage, enum task_state state, long long started,
		      double seconds, const char *error);
/*
 * Fault injection for the crash tests: with RAGOPS_CRASH_AT=`where` the
 * process kills itself (SIGKILL, like kill -9) at that point; with
 * RAGOPS_PAUSE_AT=`where` it waits there three seconds (races); with
 * RAGOPS_STOP_AT=`where` it stops itself there once (SIGSTOP: a worker
 * paused past its lease).  Each may name several points, separated by
 * commas.
 */
void flow_crash_point(const char *where);
/* Whether a fault is set for `where`. */
int flow_crash_point_armed(const char *where);

/*
 * Commit the documents saved in the open group (save.c) and settle them:
 * before any other write of the run, before the writer waits (for a file
 * being prepared, for OCR), and when the documents are all in.
 */
void flow_save_group_commit(struct flow *fl);

typedef char stage_keys[NSTAGES][SHA256_HEX_LEN + 1];

/*
 * Each stage's cache key for content `sha`: the hash, the stage versions
 * and every setting of the stages up to it.  Same key, same output.
 */
void flow_cache_keys(struct flow *fl, const char *sha, stage_keys keys);
/* A task record; `keys` may be NULL for tasks outside the cached stages. */
struct task_record flow_task(struct flow *fl, const char *doc_path, enum stage s, enum task_state state,
			     long long started, double ms, const char *error, stage_keys keys);
/* Fill a document record from what is on disk; keeps its id and indexed content. */
void flow_doc_from_file(struct doc_record *d, const struct found_file *f, const char *type);
/* A failure for the run's report and metrics (the document, or documents, it is about). */
void flow_add_failure(struct flow *fl, const char *doc, const char *stage, const char *error);
/* Record a failed document (its last good chunks stay) with its tasks. */
void flow_save_failed(struct flow *fl, struct doc_record *d, const struct found_file *f,
		      const char *stage, const char *error, struct task_record *tasks, size_t ntasks);
/* An unchanged document: a cached task per stage, saved with the others at the end. */
void flow_record_cached(struct flow *fl, const struct found_file *f);
void flow_release(struct flow *fl);

struct extractor;

/*
 * What the workers make of one file, away from the run's state (so that
 * several files are prepared at once, see prepare_ahead.h): its type and
 * text and, when no page of it waits for OCR, its clean chunks.
 */
struct prepared {
	const struct found_file *f;
	int threads; /* its cleaning and tokens may use (the preparing threads not busy, and its own) */
	enum doc_type type;
	int failed; /* detection or extraction: the reason is in `error` */
	struct strbuf error;
	struct extracted doc;
	struct stage_time {
		long long started; /* ms since the epoch */
		double seconds;
	} extract, clean, chunk;
	int chunked; /* cleaned and chunked: the rest is `cs`, `chunks`, `lang` */
	struct clean_stats cs;
	enum lang lang; /* of the cleaned text */
	struct chunk *chunks;
	size_t nchunks;
};

/*
 * How process_prepare reads a file (extract_source, extract_source.h): in
 * a parser worker, in page ranges on several, or in this process.
 */
struct doc_source;
typedef int extract_fn(void *ctx, const struct doc_source *src, enum doc_type *type,
		       struct extracted *out, struct strbuf *err);
/*
 * Prepare `p->f`, reading it with `extract`.  Touches nothing but `p` and
 * `tok`, the calling thread's tokenizer (kept from one document to the
 * next: it remembers the words it has stemmed).
 */
struct tokenizer;
void process_prepare(const struct config *cfg, extract_fn *extract, void *ctx, struct tokenizer *tok,
		     struct prepared *p);
void prepared_release(struct prepared *p);

/*
 * A new or changed document goes through the stages in three steps, so
 * that the OCR of several documents can share the worker threads:
 * process_begin takes the prepared file (NULL when the document failed
 * and is recorded), process_ocr OCRs a batch, process_finish cleans and
 * chunks what was not yet, indexes one document and frees its job.  `d`
 * is the store's record, or NULL for a document the store has not seen.
 */
struct doc_job;
struct doc_job *process_begin(struct flow *fl, struct doc_record *d, struct prepared *p);
/* Pages of the job that want OCR (to size batches). */
int process_ocr_pages(const struct flow *fl, const struct doc_job *job);
void process_ocr(struct flow *fl, struct doc_job **jobs, size_t n);
/* A queue worker without OCR gives a document that needs it back, for one with (frees the job). */
void process_hand_over(struct flow *fl, struct doc_job *job);
void process_finish(struct flow *fl, struct doc_job *job);
/* Pages the document has (its job freed by process_finish). */
size_t process_pages(const struct doc_job *job);

/*
 * New and changed files through the stages: prepared on `nthreads`
 * workers, taken in order, each saved as one transaction.  `records[i]`
 * is the store's record of files[i], or NULL.  A stop request leaves the
 * rest: fl->not_done says how many, the last ones.
 */
void flow_process_files(struct flow *fl, struct doc_record **records, struct prepared *files, size_t n,
			int nthreads);

void write_run_metrics(struct flow *fl, const struct run_options *opts, const struct run_outcome *out,
		       const char *path);

/* A progress line on a terminal: documents, pages, pages/s, OCR pages, ETA, then the phase. */
struct progress *progress_new(size_t documents);
/* A document done: its pages read (0 when unchanged or failed before reading). */
void progress_document_done(struct progress *p, size_t pages);
/* What the run does once the documents are in ("embedding"); `phase` must outlive the run. */
void progress_phase(struct progress *p, const char *phase);
void progress_ocr_pages(void *p); /* an ocr_page_done_fn */
void progress_ocr_expect(struct progress *p, int pages);
void progress_free(struct progress *p);

#endif

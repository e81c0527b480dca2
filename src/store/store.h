/*
 * The store: every record ragops keeps (documents, pages, chunks and their
 * full-text index, runs and tasks), behind one interface.  All SQL lives
 * under src/store/; nothing else knows which database it talks to.
 * Today the backend is one SQLite file in WAL mode (<data>/ragops.db).
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stddef.h>

#include "core/result.h"
#include "core/strbuf.h"

struct store;

/* Open (creating and migrating as needed) the store under data_dir. */
int store_open(struct store **out, const char *data_dir, struct strbuf *err);
/* Every commit of this connection reaches the disk before it returns
 * (synchronous=FULL): for records a client is told are saved. */
int store_set_durable(struct store *st, struct strbuf *err);
/* Close and clear *st; NULL is fine. */
void store_close(struct store **st);
/*
 * Make a connection fit for its next user after a call that may have
 * failed half-way (out of memory, say): a statement left running is reset
 * (its snapshot let go) and a transaction left open is rolled back.  0
 * when the connection was clean; 1 when something had to be undone (`err`
 * says what); -1 when a transaction stays open (close the connection).
 */
int store_connection_reset(struct store *st, struct strbuf *err);
/* PRAGMA integrity_check + foreign_key_check + FTS integrity; 0 when clean. */
int store_check(struct store *st, struct strbuf *report);
/*
 * Whether the last failure recorded on this connection since
 * store_error_clear may pass when
 * tried again: the store busy or locked by another writer past the busy
 * timeout, or the disk full.  A corrupt file or a bad statement is not.
 */
int store_error_is_transient(const struct store *st);
/*
 * One run or retraining at a time on the store.  A SQLite store is one
 * data folder's, whose run.lock does that: 0 at once there.  A PostgreSQL
 * store may be shared by several data folders and machines: a session
 * advisory lock, held until store_runs_unlock or the connection's end (a
 * connection lost and reset lets it go).  -1, with why, when another
 * process holds it.
 */
int store_runs_lock(struct store *st, struct strbuf *err);
void store_runs_unlock(struct store *st);
/*
 * The store's clock in epoch ms: the database server's on PostgreSQL, so
 * that machines sharing the store judge leases and heartbeats by one
 * clock whatever theirs say; this machine's on SQLite.
 */
int store_clock_ms(struct store *st, long long *now, struct strbuf *err);
/* Forget the last failure: before an attempt, so that only its own failures count. */
void store_error_clear(struct store *st);
int store_schema_version(struct store *st);
/* The ragops (`ragops version`) that last migrated a PostgreSQL store; NULL on SQLite or unknown. */
char *store_migrated_by(struct store *st, struct strbuf *err);

#define STORE_COPY_MAX_TABLES 32
/* What store_copy copied: rows per table, in the order copied. */
struct store_copy_report {
	struct {
		const char *table;
		long long rows;
	} tables[STORE_COPY_MAX_TABLES];
	size_t n;
};
/*
 * Copy every record of `from` (a SQLite store) into `to` (an empty
 * PostgreSQL store at the same schema version) in one transaction, read
 * both back and compare them value by value, and commit only when they
 * match; on failure the target is left as it was and err names the table.
 * The full-text index is not copied (PostgreSQL searches with lexicons).
 */
int store_copy(struct store *from, struct store *to, struct store_copy_report *report,
	       struct strbuf *err);

/* --- runs and tasks ------------------------------------------------------ */

struct run_stats {
	long long docs_seen, docs_new, docs_changed, docs_unchanged, docs_renamed;
	long long docs_deleted, docs_failed, pages, pages_needing_ocr, chunks, chars;
	long long ocr_pages, ocr_failed, ocr_flagged;
	double ocr_confidence; /* mean over the run's OCR pages with words */
};

struct run_record {
	long long id;
	char *trigger, *params, *state, *error, *host;
	char *deployment;                    /* NULL unless a deployment started it */
	long long scheduled_for;             /* epoch ms of its scheduled time; 0 when none */
	long long pid, started_at, ended_at; /* epoch ms; ended_at 0 while running */
	struct run_stats stats;
};

/* What started a run: "cli", "api", "deployment", ...; for a deployment its name and time. */
struct run_origin {
	const char *trigger;
	const char *deployment;
	long long scheduled_for;
};

enum task_state { TASK_PENDING, TASK_RUNNING, TASK_COMPLETED, TASK_CACHED, TASK_FAILED, TASK_RETRYING };
const char *task_state_name(enum task_state state);
/* The state of that name, or -1. */
int task_state_from_name(const char *name);

struct task_record {
	long long id, run_id, doc_id; /* doc_id 0 for a task on no document */
	const char *doc_path;
	const char *stage;
	enum task_state state;
	int attempts;
	long long started_at;
	double duration_ms;
	const char *cache_key, *error;
};

/* Record a new run in state "running"; returns its id or -1. */
long long store_run_begin(struct store *st, const struct run_origin *origin, const char *params_json,
			  struct strbuf *err);
/* Record a scheduled time that was not run (state "skipped", `reason` as its error); id or -1. */
long long store_run_skipped(struct store *st, const struct run_origin *origin, const char *params_json,
			    const char *reason, struct strbuf *err);
int store_run_finish(struct store *st, long long run_id, const char *state,
		     const struct run_stats *stats, const char *error, struct strbuf *err);
/*
 * Runs left "running" become "crashed" when the process running them is
 * gone (this host) or when their heartbeat is older than silent_before
 * (epoch ms by store_clock_ms; 0: not judged by heartbeat), whatever
 * their pid, unless `still_alive` (may be NULL) knows better.  The runs it crashed are
 * given back in `crashed`.
 */
#define REAP_MAX 64
struct runs_reap {
	long long silent_before;
	int (*still_alive)(long long run_id, long long silent_before, void *ctx);
	void *ctx;
	long long crashed[REAP_MAX]; /* out */
	int ncrashed;
};
/* How many it crashed, or -1. */
int store_runs_reap(struct store *st, struct runs_reap *r, struct strbuf *err);
/* A running run says it is alive (see pipeline/heartbeat.h). */
int store_run_heartbeat(struct store *st, long long run_id, struct strbuf *err);
/* How long a call on this connection waits for another writer (ms); the default is 10 s. */
void store_set_busy_timeout(struct store *st, int ms);
int store_runs_list(struct store *st, int limit, struct run_record **out, size_t *n, struct strbuf *err);
enum lookup store_run_get(struct store *st, long long id, struct run_record *out, struct strbuf *err);
void run_record_release(struct run_record *run);
void run_records_free(struct run_record *runs, size_t n);
/* Inbox folders of the most recent run (not skipped) that had any, as a NULL-terminated array. */
char **store_last_inbox(struct store *st);

/* --- history retention (ops/retention.h decides the policy) -------------- */

struct history_policy {
	long long runs_before;      /* runs started before (epoch ms) go, with their tasks; 0: none */
	long long cached_task_runs; /* "cached" task rows kept for the newest N runs; 0: all */
	long long queries_before;   /* questions asked before (epoch ms) go; 0: none */
	int dry_run;                /* count, delete nothing */
};
struct history_pruned {
	long long runs, tasks, queries;
	long long *dry_run_ids; /* with dry_run, the runs that would go, ascending */
};
void history_pruned_release(struct history_pruned *p);
/*
 * Delete (or count) what the policy lets go, in batches.  Never a run in
 * progress, the newest run, one a release was built by, or the last run
 * of a deployment.
 */
int store_history_prune(struct store *st, const struct history_policy *p, struct history_pruned *out,
			struct strbuf *err);
/* The store's files on disk (database + WAL), and the free pages inside them, in bytes. */
long long store_disk_bytes(struct store *st);
long long store_free_bytes(struct store *st);
/* Whether freed pages go back to the file system without a full rewrite (auto_vacuum). */
int store_shrinks_itself(struct store *st);
/*
 * Give free pages back to the file system and truncate the WAL.  With
 * `rewrite`, a store that does not shrink itself is rewritten once
 * (VACUUM: needs as much free disk as the store) so that it does from then on.
 */
int store_compact(struct store *st, int rewrite, struct strbuf *err);

/* Insert task records in one transaction. */
int store_tasks_add(struct store *st, const struct task_record *tasks, size_t n, struct strbuf *err);
/* Tasks of one run, owned strings in `strings` (free with task_list_release). */
struct task_list {
	struct task_record *items;
	size_t n;
	char **strings;
	size_t nstrings;
};
int store_tasks_of_run(struct store *st, long long run_id, struct task_list *out, struct strbuf *err);
void task_list_release(struct task_list *list);

/* What a run did to each document it processed (not the cached ones). */
struct run_document {
	char *doc;
	char *flagged_pages; /* "3,7" or NULL */
	char *error;         /* set when the document failed */
	int pages, text_pages, ocr_pages, failed_pages;
	double confidence; /* mean over its OCR pages, 0 without */
};
int store_run_documents(struct store *st, long long run_id, struct run_document **out, size_t *n,
			struct strbuf *err);
void run_documents_free(struct run_document *docs, size_t n);

/* --- deployments --------------------------------------------------------- */

/* A named flow with parameters on a cron schedule (see ops/deployment.h). */
struct deployment {
	char *name, *cron, *timezone;
	char *params;         /* JSON object: {"inbox": [...], "settings": {"key": "value"}} */
	char *missed;         /* "skip" or "once" */
	char *overlap;        /* "skip" or "queue" */
	int paused, declared; /* declared: from ragops.yaml */
	long long created_at, updated_at;
	long long handled_through; /* epoch ms: scheduled times up to here were run or skipped */
};
void deployment_release(struct deployment *d);
void deployments_free(struct deployment *list, size_t n);

/*
 * Create `d`, or with `replace` update it (keeping its creation time and,
 * unless `d->handled_through` is set, how far its schedule was handled).
 * LOOKUP_MISSING when creating a name that exists (nothing written).
 */
enum lookup store_deployment_put(struct store *st, const struct deployment *d, int replace,
				 struct strbuf *err);
enum lookup store_deployment_get(struct store *st, const char *name, struct deployment *out,
				 struct strbuf *err);
int store_deployments_list(struct store *st, struct deployment **out, size_t *n, struct strbuf *err);
enum lookup store_deployment_pause(struct store *st, const char *name, int paused, struct strbuf *err);
/* Remove it; its runs stay, naming it. */
enum lookup store_deployment_delete(struct store *st, const char *name, struct strbuf *err);
/*
 * Claim the deployment's scheduled times up to `through` (ms): 1 when this
 * caller moved its mark there, 0 when it already was (another scheduler
 * claimed them), -1 on error.  The mark never moves back.
 */
int store_deployment_claim(struct store *st, const char *name, long long through, struct strbuf *err);
/* Its most recent runs, newest first. */
int store_deployment_runs(struct store *st, const char *name, int limit, struct run_record **out,
			  size_t *n, struct strbuf *err);
/* Whether a run of it is still "running" (its id in *run_id, else 0). */
int store_deployment_running(struct store *st, const char *name, long long *run_id, struct strbuf *err);

/* --- documents ----------------------------------------------------------- */

enum doc_status { DOC_INDEXED, DOC_NEEDS_OCR, DOC_FAILED, DOC_DELETED };
const char *doc_status_name(enum doc_status status);

struct doc_record {
	long long id; /* 0 for a document the store has not seen */
	char *root, *relpath;
	char *sha256;      /* content now indexed (NULL when none) */
	char *seen_sha256; /* content last seen on disk */
	char *type, *language, *title, *encoding, *cache_key, *error;
	enum doc_status status;
	long long size, mtime;
	int pages, pages_needing_ocr, chunks;
	long long chars;
};
void doc_record_release(struct doc_record *doc);

enum page_method { PAGE_TEXT, PAGE_NEEDS_OCR, PAGE_EMPTY, PAGE_OCR, PAGE_OCR_FAILED };
const char *page_method_name(enum page_method method);

struct page_record {
	int page_no;
	enum page_method method;
	int chars;
	/* OCR pages only */
	const char *ocr_key; /* into the OCR cache */
	float confidence;    /* mean word confidence, 0-100 */
	int words, low_words;
	int flagged; /* weak even after a retry: its chunks are flagged */
	double seconds;
	const char *error; /* why OCR failed */
};

struct chunk_record {
	int seq, page_start, page_end;
	int low_confidence;  /* drawn from a weak OCR page: retrieval may down-weight it */
	const char *heading; /* " › "-joined heading path */
	size_t char_start, char_end;
	const char *text;
	/*
	 * The tokens of text and heading in the document's language, recorded
	 * ahead (text/token_list.h): the full-text index replays them instead
	 * of tokenising on the writer.  NULL: tokenised there.
	 */
	const char *text_tokens, *heading_tokens;
	size_t text_tokens_len, heading_tokens_len;
};

/* Every document the store knows, deleted ones included (to revive renames). */
int store_docs_load(struct store *st, struct doc_record **out, size_t *n, struct strbuf *err);
void doc_records_free(struct doc_record *docs, size_t n);
/* One document by id (a worker's, for the item it claimed). */
enum lookup store_doc_load(struct store *st, long long id, struct doc_record *out, struct strbuf *err);

/*
 * Save one processed document in a single transaction: the document row
 * (inserted or updated; doc->id is set), its pages, a new version holding
 * its chunks (older versions stay while a release holds them), and its
 * task records.  A document that failed keeps the
 * chunks of its last good version (pages/chunks NULL and n = 0).
 * A task given with duration_ms < 0 is the saving itself: its duration is
 * measured up to the moment the task rows are written.  With `claim` (a
 * queue worker's, work_queue.h) the save is fenced: it marks the item
 * done, and writes nothing when the claim was lost (store_claim_lost).
 */
struct work_claim;
int store_doc_save(struct store *st, struct doc_record *doc, const struct page_record *pages,
		   size_t npages, const struct chunk_record *chunks, size_t nchunks, int replace_content,
		   const struct task_record *tasks, size_t ntasks, const struct work_claim *claim,
		   struct strbuf *err);
/*
 * Several documents' saves in one transaction, the group: between
 * store_group_begin and store_group_commit each store_doc_save is a
 * savepoint, undone alone when it fails, and written when the group
 * commits.  A commit that fails (-1) has written none of the group: its
 * saves must be made again.  One commit for many documents is what makes
 * a first ingest's writer fast (a commit per document was half its time).
 */
int store_group_begin(struct store *st, struct strbuf *err);
int store_group_commit(struct store *st, struct strbuf *err);
int store_group_open(const struct store *st);
/*
 * PostgreSQL ends this connection's transactions once idle for `ms` (a
 * worker stopped with one open would otherwise hold its rows' locks, and
 * the next run waiting on them, until it resumed).  SQLite: nothing.
 */
int store_set_idle_limit(struct store *st, long long ms, struct strbuf *err);
/* A renamed file: same content, new path. */
int store_doc_move(struct store *st, long long doc_id, const char *root, const char *relpath,
		   long long mtime, struct strbuf *err);
/* A file gone from the inbox: it has no current version, its row stays as "deleted". */
int store_doc_delete(struct store *st, long long doc_id, struct strbuf *err);
/*
 * Put into the full-text index the chunks it lacks; *indexed says how
 * many.  Since schema 15 the document save indexes its chunks itself, and
 * a ragops of an older schema still running when the store was migrated
 * saves chunks without indexing them; a run does this first.  Two counts
 * when nothing is missing.
 */
int store_fts_index_missing(struct store *st, long long *indexed, struct strbuf *err);

/* --- OCR ---------------------------------------------------------------- */

/* The cached result (JSON, owned by the caller) for a page-image key. */
enum lookup store_ocr_cache_get(struct store *st, const char *key, char **result_json,
				struct strbuf *err);
int store_ocr_cache_put(struct store *st, const char *key, const char *engine, const char *languages,
			int dpi, float confidence, int words, int low_words, double seconds,
			const char *result_json, struct strbuf *err);

/* One OCR'd page of the current index, for reports. */
struct ocr_page_info {
	char *doc, *language, *error, *ocr_key, *engine, *languages;
	int page_no, words, low_words, flagged, failed, dpi;
	float confidence;
	double seconds;
};
int store_ocr_pages(struct store *st, struct ocr_page_info **out, size_t *n, struct strbuf *err);
/* One page of a document by its path. */
enum lookup store_ocr_page(struct store *st, const char *doc, int page_no, struct ocr_page_info *out,
			   struct strbuf *err);
void ocr_page_info_release(struct ocr_page_info *p);
void ocr_pages_free(struct ocr_page_info *pages, size_t n);

/* --- search -------------------------------------------------------------- */

struct search_opts {
	long long release_id; /* only its chunks */
	const char *query;
	unsigned limit;
	const char *mark_open, *mark_close; /* around matched words in snippets */
	const char *language;               /* filter, or NULL */
	int ids_only;                       /* rank only: chunk_id and score, no text */
};

struct search_hit {
	long long chunk_id;
	char *doc_path, *title, *heading, *snippet, *language;
	char *text;         /* the whole chunk */
	int low_confidence; /* from a weak OCR page */
	int page_start, page_end;
	double score; /* higher is better */
};

enum store_search_result {
	STORE_SEARCH_OK = 0,
	STORE_SEARCH_NO_WORDS = 1, /* the query has nothing to look for (err says so) */
	STORE_SEARCH_FAILED = -1,
};
enum store_search_result store_search(struct store *st, const struct search_opts *opts,
				      struct search_hit **out, size_t *n, struct strbuf *err);
void search_hits_free(struct search_hit *hits, size_t n);

/* Chunks whose index holds `term` (an indexed token); -1 on error. */
long long store_term_chunks(struct store *st, const char *term);

/* --- query log ----------------------------------------------------------- */

struct query_record {
	long long release_id; /* the release that answered */
	const char *question, *language, *answer, *sources_json;
	const char *retriever, *embedder, *answerer;
	int abstained, answer_chars, source_count;
	double evidence, ms_retrieve, ms_fuse, ms_answer, ms_total;
};
/* Log a question and its answer; returns the query id or -1. */
long long store_query_log(struct store *st, const struct query_record *q, struct strbuf *err);

/* --- models and vectors -------------------------------------------------- */

struct model_record {
	long long id, created_at;
	long long parent_id; /* the model it replaced, 0 when none */
	char *kind, *name, *version, *path, *params, *metrics, *state;
	char *data_hash; /* of what it was built from */
};
void model_record_release(struct model_record *m);

/* A chunk to embed or index. */
struct chunk_text {
	long long id;
	char *text, *heading, *language;
};
void chunk_texts_free(struct chunk_text *c, size_t n);

/*
 * Register a model (kind, name, version, path, params, metrics, parent_id,
 * data_hash) as a candidate, or find the one of that kind and version;
 * m->id is set.
 */
int store_model_register(struct store *st, struct model_record *m, struct strbuf *err);
int store_model_set_params(struct store *st, long long id, const char *params, struct strbuf *err);
/* What the model was measured at (JSON), once it has been. */
int store_model_set_metrics(struct store *st, long long id, const char *metrics, struct strbuf *err);
/*
 * Model files kept in the store, so that machines sharing it need not share
 * a data folder (pipeline/artefact.c): on PostgreSQL only; a SQLite store's
 * files are in its own data folder.  `path` is models.path; a path already
 * kept is left as it is (a model's file name is its content's version).
 */
int store_keeps_artefacts(const struct store *st);
int store_artefact_put(struct store *st, const char *path, const char *sha256, const void *data,
		       size_t len, struct strbuf *err);
/* The file's bytes appended to `bytes`, and the SHA-256 (hex) recorded with them. */
enum lookup store_artefact_get(struct store *st, const char *path, char sha256[65], struct strbuf *bytes,
			       struct strbuf *err);
/* Whether a model is registered with this path (relative to the data folder). */
enum lookup store_model_file_known(struct store *st, const char *path, struct strbuf *err);
/* One model by id. */
enum lookup store_model_get(struct store *st, long long id, struct model_record *out,
			    struct strbuf *err);
/* Every model, newest first. */
int store_models_list(struct store *st, struct model_record **out, size_t *n, struct strbuf *err);
void model_records_free(struct model_record *m, size_t n);

/*
 * Save vectors of a model, in transactions of a few thousand (a vector is
 * keyed by model and chunk, both immutable: a crash loses only work, which
 * the next run redoes).
 */
int store_embeddings_save(struct store *st, long long model_id, const long long *chunk_ids,
			  const float *vectors, size_t n, int dim, struct strbuf *err);
/*
 * Search hits for given chunk ids (no snippet highlighting), in the order
 * given; a chunk gone since it was ranked leaves its hit's doc_path NULL.
 */
int store_chunks_get(struct store *st, const long long *ids, size_t n, struct search_hit **out,
		     struct strbuf *err);

/* --- releases ------------------------------------------------------------ */

#include "store/store_releases.h"

/* --- retraining ------------------------------------------------------------ */

/*
 * Besides its lexicon and embedder, a release holds what retraining made
 * of the feedback, one model per kind: "ranker", "vocabulary", "curated",
 * "thresholds".  A new release of changed documents inherits production's.
 */
struct release_model {
	char kind[32];
	struct model_record model;
};
int store_release_models(struct store *st, long long release, struct release_model **out, size_t *n,
			 struct strbuf *err);
void release_models_free(struct release_model *m, size_t n);
/* Attach `model_id` to candidate `release` as its `kind` (0: detach). */
int store_release_set_model(struct store *st, long long release, const char *kind, long long model_id,
			    struct strbuf *err);
/*
 * A candidate holding exactly release `base`'s documents, lexicon, embedder
 * and models (retraining changes models, never documents); returns its id or -1.
 */
long long store_release_derive(struct store *st, long long base, const char *changes_json,
			       struct strbuf *err);
/* The chunks of the document at `relpath` in release `id`, ascending ids. */
int store_release_doc_chunks(struct store *st, long long id, const char *relpath,
			     struct chunk_text **out, size_t *n, struct strbuf *err);
/* Chunks release `to` holds that `from` does not (*added), and the reverse (*removed). */
int store_release_diff(struct store *st, long long from, long long to, long long *added,
		       long long *removed, struct strbuf *err);
/* The first release that held model `model_id` (the corpus it was trained on), 0 when none. */
long long store_model_first_release(struct store *st, long long model_id, struct strbuf *err);

struct retraining_record {
	long long id, started_at, ended_at; /* ended_at 0 while running */
	long long release_id;               /* the candidate it made, 0 when none */
	long long feedback_upto;            /* the newest feedback id it read */
	char *state;                        /* running | promoted | refused | nothing | failed */
	char *actor, *feedback_hash;
	char *report; /* JSON: what was trained, figures before and after, reasons */
};
void retraining_record_release(struct retraining_record *r);
void retraining_records_free(struct retraining_record *r, size_t n);
/* Record a retraining in state "running"; returns its id or -1. */
long long store_retraining_begin(struct store *st, const char *actor, struct strbuf *err);
/* Its outcome: r->id, state, release_id, feedback_upto, feedback_hash, report. */
int store_retraining_finish(struct store *st, const struct retraining_record *r, struct strbuf *err);
/*
 * Retrainings left "running" by a process that is gone become "failed" and
 * their undecided candidates are archived (call holding the run lock);
 * returns how many.
 */
int store_retrainings_reap(struct store *st, struct strbuf *err);
/* Newest first; finished_only: those that decided something (promoted, refused, nothing). */
int store_retrainings_list(struct store *st, unsigned limit, int finished_only,
			   struct retraining_record **out, size_t *n, struct strbuf *err);

/* --- metrics for Prometheus -------------------------------------------------- */

/* Numbers the store can be histogrammed on, all time (Prometheus counts from zero). */
enum store_series {
	SERIES_OCR_CONFIDENCE, /* per OCR page, 0-100 */
	SERIES_QUERY_SECONDS,  /* per logged question, total latency */
	SERIES_ANSWER_CHARS,
	SERIES_ANSWER_SOURCES,
	SERIES_RATING, /* per feedback record, 1-5 */
};

struct store_histogram {
	long long count;
	double sum;
	long long *le; /* le[i]: values <= bounds[i] (cumulative, as Prometheus wants) */
};

/* Fill h->le (caller's array of nbounds, at most 16), count and sum for `series`. */
int store_series_histogram(struct store *st, enum store_series series, const double *bounds,
			   size_t nbounds, struct store_histogram *h, struct strbuf *err);

struct store_count {
	char label[32];
	long long n;
};

enum store_tally {
	TALLY_RUNS_BY_STATE,
	TALLY_DOCUMENTS_BY_STATUS,
	TALLY_PAGES_BY_METHOD,
	TALLY_QUERIES_BY_RETRIEVER,
	TALLY_GATE_OUTCOMES, /* the gate's verdicts: promoted, refused */
	TALLY_RELEASE_CHANGES
}; /* promote / rollback by people and the API */

/* Rows of (label, count); caller frees *out. */
int store_tally(struct store *st, enum store_tally what, struct store_count **out, size_t *n,
		struct strbuf *err);

/* --- feedback ------------------------------------------------------------- */

struct feedback_record {
	long long id, created_at, query_id; /* query_id 0 when not linked */
	char *question, *answer, *sources;  /* sources: a JSON array */
	int rating;
	char *text, *corrected; /* NULL when not given */
	/*
	 * The sources judged helpful and unhelpful: JSON arrays of document
	 * paths as ask cites them, NULL when not given (and in older records).
	 */
	char *helpful, *unhelpful;
};
void feedback_record_release(struct feedback_record *f);
void feedback_records_free(struct feedback_record *f, size_t n);

/* Insert, committed before it returns; f->id and f->created_at are set. */
int store_feedback_add(struct store *st, struct feedback_record *f, struct strbuf *err);

/* One record by id. */
enum lookup store_feedback_get(struct store *st, long long id, struct feedback_record *f,
			       struct strbuf *err);

/*
 * The Idempotency-Key of POST /api/feedback: a client that sends a record
 * again with the same key (after a timeout, say) gets the record saved the
 * first time instead of a second one.
 *
 * store_feedback_key_begin looks `key` up.  On STORE_KEY_NEW a write
 * transaction is open: the caller saves the record on this connection
 * (store_feedback_add) and ends with store_feedback_key_end, which keeps
 * the key with the record's id and commits both, or with feedback_id 0
 * rolls back.  The write lock is taken before the lookup, so two requests
 * with the same key wait for each other and the second finds the first's
 * record.  On any other result no transaction is left open.
 */
enum store_key {
	STORE_KEY_NEW = 0,
	STORE_KEY_REPLAY = 1, /* it saved this same request (`request_hash`): *feedback_id */
	STORE_KEY_REUSED = 2, /* it was used for another request */
	STORE_KEY_FAILED = -1,
};
enum store_key store_feedback_key_begin(struct store *st, const char *key, const char *request_hash,
					long long *feedback_id, struct strbuf *err);
int store_feedback_key_end(struct store *st, const char *key, const char *request_hash,
			   long long feedback_id, struct strbuf *err);

struct feedback_filter {
	long long since_ms;         /* 0: all */
	int min_rating, max_rating; /* 0: no bound */
	unsigned limit;             /* 0: all */
};
/* Newest first. */
int store_feedback_list(struct store *st, const struct feedback_filter *filter,
			struct feedback_record **out, size_t *n, struct strbuf *err);

/*
 * Whether a document ever had `relpath` (as ask cites it), deleted ones
 * included, for feedback that judges sources.
 */
enum lookup store_document_path_known(struct store *st, const char *relpath, struct strbuf *err);

/* A logged question (for feedback that names its query). */
enum lookup store_query_get(struct store *st, long long id, char **question, char **answer,
			    char **sources, struct strbuf *err);

/* Total answer latencies (ms) of the questions asked since `since_ms`. */
int store_query_latencies(struct store *st, long long since_ms, double **ms, size_t *n,
			  struct strbuf *err);

struct store_totals {
	long long documents, chunks, pages, pages_needing_ocr, failed;
};
int store_totals(struct store *st, struct store_totals *out, struct strbuf *err);

/* --- monitoring summary --- */

/*
 * A run of the window, with the OCR quality of the documents it processed
 * as the index holds them now (a document processed again since shows its
 * newer pages): ocr_pages went through OCR, ocr_succeeded were read and
 * not flagged weak, ocr_read were read (confidence is summed over them).
 */
struct summary_run {
	long long id, started_at, ended_at; /* ended_at 0 while running */
	char state[32];
	long long documents, failed, pages; /* documents: new + changed */
	long long ocr_pages, ocr_succeeded, ocr_read;
	double ocr_confidence_sum;
};
/* Runs started since `since_ms`, oldest first; caller frees *out. */
int store_summary_runs(struct store *st, long long since_ms, struct summary_run **out, size_t *n,
		       struct strbuf *err);

struct summary_query {
	long long asked_at;
	double ms_total;
	int answer_chars, source_count, abstained;
};
/* Questions asked since `since_ms`, oldest first; caller frees *out. */
int store_summary_queries(struct store *st, long long since_ms, struct summary_query **out, size_t *n,
			  struct strbuf *err);

struct summary_rating {
	long long created_at;
	int rating;
};
/* Ratings given since `since_ms`, oldest first; caller frees *out. */
int store_summary_ratings(struct store *st, long long since_ms, struct summary_rating **out, size_t *n,
			  struct strbuf *err);

#endif

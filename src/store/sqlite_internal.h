/*
 * Shared by the SQLite backend's files; not part of the store interface.
 */
#ifndef STORE_SQLITE_INTERNAL_H
#define STORE_SQLITE_INTERNAL_H

#include <sqlite3.h>

#include "core/result.h"
#include "core/strbuf.h"
#include "store/sql.h"
#include "text/stopwords.h"

/* Tokens recorded ahead for a text the full-text index is about to receive. */
struct fts_hint {
	const char *text;
	size_t len;
	enum lang lang;
	const char *tokens;
	size_t tokens_len;
};

/* Statements kept prepared (sql_prepare_kept): the document save's. */
#define KEPT_STATEMENTS 16

struct pg_conn;

/* One of db (SQLite) and pg (PostgreSQL) is set. */
struct store {
	sqlite3 *db;
	struct pg_conn *pg;
	char *path;
	int failed_rc;        /* SQLite's code for the last failure recorded (sql_fail, sql_exec) */
	int failed_transient; /* PostgreSQL: whether that failure may pass when tried again */
	int claim_lost;       /* the last fenced save found its work item taken over (work_queue.h) */
	int grouped;     /* a group is open: transactions inside it are savepoints (store_group_begin) */
	int group_holds; /* transactions the open group holds */
	int group_bare;  /* the one inside it now is its first: no savepoint */
	struct fts_hint fts_hints[2]; /* a chunk's text and heading, while it is inserted */
	struct kept_statement {
		const char *sql; /* a string literal, known by its address */
		struct sql_stmt *stmt;
		int busy;
	} kept[KEPT_STATEMENTS];
};

/* The PostgreSQL backend's own parts (pg_store.c): opening by URL, version, check. */
int pg_store_open(struct store **out, const char *url, struct strbuf *err);
int pg_store_schema_version(struct store *st);
int pg_store_check(struct store *st, struct strbuf *report);

/* The migrations, applied in order; the schema version is PRAGMA user_version. */
int sqlite_migrate(sqlite3 *db, struct strbuf *err);
/*
 * With RAGOPS_FAULTS set (see core/fault.h), make the fault-injection VFS
 * (sqlite_faults.c) the default, once per process; otherwise nothing.
 */
int sqlite_faults_install(struct strbuf *err);
/*
 * Wrap SQLite's allocator (sqlite_memory.c) so that its failures reach
 * xalloc's out-of-memory handler and RAGOPS_FAULTS can inject them; once
 * per process, before SQLite starts.  -1 only when faults are on and
 * SQLite had already started.
 */
int sqlite_memory_install(struct strbuf *err);
/*
 * Register the "ragops" FTS5 tokenizer on a connection; it replays the
 * tokens `hints` holds for a text they match (store.h, chunk_record).
 */
int sqlite_register_tokenizer(sqlite3 *db, struct fts_hint hints[2], struct strbuf *err);

/*
 * The fence of a save for a claimed work item (work_queue.c): begin marks
 * the item done, first in the save's transaction, or fails (claim_lost)
 * when the claim no longer holds it; end records the document saved.
 */
struct work_claim;
int work_fence_begin(struct store *st, const struct work_claim *c, const char *outcome,
		     struct strbuf *err);
int work_fence_end(struct store *st, const struct work_claim *c, long long doc_id, struct strbuf *err);

/* The statement for this store's backend, where the two dialects differ. */
#define SQL_PICK(st, sqlite_sql, pg_sql) ((st)->pg ? (pg_sql) : (sqlite_sql))

/* Run SQL without results; the error names the statement's purpose. */
int sql_exec(struct store *st, const char *sql, struct strbuf *err);
int sql_prepare(struct store *st, const char *sql, struct sql_stmt **stmt, struct strbuf *err);
/* sql_prepare for a statement whose failure is an answer (-1), not an error to report. */
int sql_prepare_quiet(struct store *st, const char *sql, struct sql_stmt **stmt);
/*
 * A statement run once per document or per chunk of the document save:
 * prepared once per connection and kept (parsing each again was a tenth of
 * the writer's time on 1,000 small documents).  `sql` must be a string
 * literal: it is known by its address.  sql_kept_done resets it for the
 * next use; one asked for while in use is prepared afresh, and finalized
 * by sql_kept_done.
 */
int sql_prepare_kept(struct store *st, const char *sql, struct sql_stmt **stmt, struct strbuf *err);
void sql_kept_done(struct store *st, struct sql_stmt *stmt);
/* Finalize every kept statement (closing the connection). */
void sql_kept_free(struct store *st);
/* The connection's state after its last statement. */
long long sql_changes(struct store *st);
long long sql_last_insert_id(struct store *st);
int sql_in_transaction(struct store *st);
const char *sql_errmsg(struct store *st);
/* Record the connection's last error in err and return -1. */
int sql_fail(struct store *st, const char *what, struct strbuf *err);
/*
 * After the step of a one-row lookup: whether it found the row; on
 * LOOKUP_FAILED, SQLite's message is in err (call before finalizing the
 * statement).
 */
enum lookup sql_found(struct store *st, int rc, const char *what, struct strbuf *err);
/*
 * Finish a row loop (`while ((rc = sql_step(stmt)) == SQL_ROW)`):
 * finalize stmt and return 0 when rc is SQL_DONE; otherwise record
 * "store: <what>: <the database's message>" in err and return -1 (the caller
 * frees what it read so far).
 */
int sql_rows_end(struct store *st, struct sql_stmt *stmt, int rc, const char *what, struct strbuf *err);
/* Run one statement with int64 and text parameters ("i" / "t" in `types`, one per argument). */
int sql_exec_bound(struct store *st, const char *sql, const char *types, const void *const *args,
		   const char *what, struct strbuf *err);
/* The columns sql_read_run reads, in its order. */
#define RUN_COLUMNS                                                                        \
	"id, trigger, params, state, error, host, pid, started_at, coalesce(ended_at, 0)," \
	" docs_seen, docs_new, docs_changed, docs_unchanged, docs_renamed, docs_deleted,"  \
	" docs_failed, pages, pages_needing_ocr, chunks, chars, ocr_pages, ocr_failed,"    \
	" ocr_flagged, ocr_confidence, deployment, coalesce(scheduled_for, 0)"
struct run_record;
void sql_read_run(struct sql_stmt *stmt, struct run_record *r);
/* Step a prepared SELECT of RUN_COLUMNS to its end into a fresh array (finalizes it). */
int sql_read_runs(struct store *st, struct sql_stmt *stmt, struct run_record **out, size_t *n,
		  struct strbuf *err);
/* A column as a fresh string (NULL stays NULL). */
char *sql_column_dup(struct sql_stmt *stmt, int col);
int sql_begin(struct store *st, struct strbuf *err);
int sql_commit(struct store *st, struct strbuf *err);
void sql_rollback(struct store *st);

/*
 * After rows holding document text were deleted (retention removed
 * document versions): merge the full-text index into one segment, which
 * drops the terms of deleted chunks (FTS5 only marks them deleted until a
 * merge), drop OCR results no page holds, and checkpoint the WAL and
 * truncate it.  With secure_delete (set at open) freed pages are zeroed,
 * so no file of the store keeps the text.  A reader holding an old
 * snapshot (a server request) can leave WAL frames behind until the next
 * checkpoint: 0 even then, -1 when a statement fails.
 */
int sqlite_purge_deleted_text(struct store *st, struct strbuf *err);

struct model_record;
/* The columns sql_read_model reads, from a table (or alias) named models or m. */
#define MODEL_COLUMNS                                                                                \
	"id, created_at, kind, name, version, path, params, metrics, state, coalesce(parent_id, 0)," \
	" data_hash"
/* A model row whose MODEL_COLUMNS start at column `col`. */
void sql_read_model(struct sql_stmt *stmt, int col, struct model_record *m);

/* The language marker that prefixes indexed text so the tokenizer knows how to stem. */
#define LANG_MARK '\x1f'

#endif

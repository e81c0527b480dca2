/*
 * SQLite backend: retention of the history (runs, task rows, the question
 * log) and giving the space it held back to the file system.
 *
 * Deletes go in batches, each its own autocommit statement: a run or a
 * server writing meanwhile waits for one batch, not for the whole sweep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/xalloc.h"
#include "sqlite_internal.h"
#include "store/store.h"

#define BATCH "5000"

/*
 * Runs old enough to go, minus those something still points at: one in
 * progress, the newest (health and the inbox default read it), the one
 * each kept release was built by, the last one of each deployment (what
 * `deployment ls` shows).  ?1 is the cut-off in epoch ms.
 */
#define OLD_RUNS                                                                \
	"SELECT id FROM runs WHERE started_at < ?1 AND state != 'running'"      \
	" AND id != (SELECT max(id) FROM runs)"                                 \
	" AND id NOT IN (SELECT run_id FROM releases WHERE run_id IS NOT NULL)" \
	" AND id NOT IN (SELECT max(id) FROM runs WHERE deployment IS NOT NULL" \
	"   GROUP BY deployment)"

/* "Cached" rows (work a run found already done) of runs before the newest ?2. */
#define OLD_CACHED_TASKS                                                                      \
	"SELECT id FROM tasks WHERE state = 'cached' AND run_id <"                            \
	" (SELECT coalesce(min(id), 0) FROM (SELECT id FROM runs ORDER BY id DESC LIMIT ?2))" \
	" AND run_id NOT IN (" OLD_RUNS ")" /* counted once in a dry run */

#define OLD_QUERIES "SELECT id FROM queries WHERE asked_at < ?3"

/* The two forms of each sweep, put together at compile time (no SQL is printed: t0154). */
#define COUNT_OF(select)            "SELECT count(*) FROM (" select ")"
#define DELETE_BATCH(table, select) "DELETE FROM " table " WHERE id IN (" select " LIMIT " BATCH ")"
#define SWEEP(table, select)        table, COUNT_OF(select), DELETE_BATCH(table, select)

/*
 * Count what a sweep picks (dry run), or delete it batch by batch.  Every
 * statement gets the policy's three parameters.
 */
static int sweep(struct store *st, const char *table, const char *count_sql, const char *delete_sql,
		 const struct history_policy *p, long long *count, struct strbuf *err)
{
	int dry_run = p->dry_run;
	sqlite3_stmt *stmt = NULL;
	if (sql_prepare(st, dry_run ? count_sql : delete_sql, &stmt, err))
		return -1;
	/* Unused ones are out of range for some statements: harmless. */
	sqlite3_bind_int64(stmt, 1, p->runs_before);
	sqlite3_bind_int64(stmt, 2, p->cached_task_runs);
	sqlite3_bind_int64(stmt, 3, p->queries_before);
	*count = 0;
	for (;;) {
		int rc = sqlite3_step(stmt);
		if (dry_run && rc == SQLITE_ROW) {
			*count = sqlite3_column_int64(stmt, 0);
			break;
		}
		if (rc != SQLITE_DONE) {
			strbuf_addf(err, "store: cannot remove old %s: %s", table,
				    sqlite3_errmsg(st->db));
			sqlite3_finalize(stmt);
			return -1;
		}
		int changed = sqlite3_changes(st->db);
		*count += changed;
		sqlite3_reset(stmt);
		if (!changed)
			break;
	}
	sqlite3_finalize(stmt);
	return 0;
}

/* The ids OLD_RUNS picks, into out->dry_run_ids (out->runs of them). */
static int list_old_runs(struct store *st, const struct history_policy *p, struct history_pruned *out,
			 struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	if (sql_prepare(st, OLD_RUNS " ORDER BY id", &stmt, err))
		return -1;
	sqlite3_bind_int64(stmt, 1, p->runs_before);
	size_t alloc = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((size_t)out->runs == alloc)
			out->dry_run_ids = xrealloc(out->dry_run_ids, (alloc = alloc ? 2 * alloc : 64) *
									      sizeof(*out->dry_run_ids));
		out->dry_run_ids[out->runs++] = sqlite3_column_int64(stmt, 0);
	}
	return sql_rows_end(st, stmt, rc, "cannot list old runs", err);
}

void history_pruned_release(struct history_pruned *p)
{
	free(p->dry_run_ids);
	memset(p, 0, sizeof(*p));
}

int store_history_prune(struct store *st, const struct history_policy *p, struct history_pruned *out,
			struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	long long n = 0;
	if (p->runs_before > 0) {
		/* Their task rows first, counted, in batches; then the runs themselves. */
		if (sweep(st, SWEEP("tasks", "SELECT id FROM tasks WHERE run_id IN (" OLD_RUNS ")"), p,
			  &n, err))
			goto fail;
		out->tasks += n;
		if (p->dry_run ? list_old_runs(st, p, out, err)
			       : sweep(st, SWEEP("runs", OLD_RUNS), p, &out->runs, err))
			goto fail;
	}
	if (p->cached_task_runs > 0) {
		if (sweep(st, SWEEP("tasks", OLD_CACHED_TASKS), p, &n, err))
			goto fail;
		out->tasks += n;
	}
	if (p->queries_before > 0 && sweep(st, SWEEP("queries", OLD_QUERIES), p, &out->queries, err))
		goto fail;
	return 0;
fail:
	history_pruned_release(out);
	return -1;
}

static long long file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) ? 0 : (long long)sb.st_size;
}

static long long pragma_int(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

long long store_disk_bytes(struct store *st)
{
	char wal[4096];
	snprintf(wal, sizeof(wal), "%s-wal", st->path);
	return file_size(st->path) + file_size(wal);
}

long long store_free_bytes(struct store *st)
{
	return pragma_int(st, "PRAGMA freelist_count") * pragma_int(st, "PRAGMA page_size");
}

int store_shrinks_itself(struct store *st)
{
	return pragma_int(st, "PRAGMA auto_vacuum") == 2;
}

int store_compact(struct store *st, int rewrite, struct strbuf *err)
{
	/*
	 * A store made before auto_vacuum was set keeps its free pages until
	 * one VACUUM rewrites it; after that, incremental_vacuum hands them
	 * back.  The checkpoint then moves the result into the main file
	 * and truncates both.
	 */
	if (rewrite && !store_shrinks_itself(st) &&
	    sql_exec(st, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM", err))
		return -1;
	if (sql_exec(st, "PRAGMA incremental_vacuum", err))
		return -1;
	int log = 0, done = 0;
	/* SQLITE_BUSY (a reader on an older snapshot) leaves frames for the next checkpoint. */
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return sql_fail(st, "cannot checkpoint the WAL", err);
	return 0;
}

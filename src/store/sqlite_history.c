/*
 * SQLite backend: retention of the history (runs, task rows, the question
 * log) and giving the space it held back to the file system.
 *
 * Deletes go in batches, each its own transaction: a run or a server
 * writing meanwhile waits for one batch, not for the whole sweep.  The
 * Prometheus counters never go down: a run deleted is added to
 * retired_tallies first, in the same transaction, and a question past its
 * window loses its text but keeps its row (its figures, and its id, which
 * feedback may name, so no id is ever given twice).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/xalloc.h"
#include "sqlite_internal.h"
#include "store/store.h"

#define BATCH_ROWS  5000
#define TEXT_OF_(x) #x
#define TEXT_OF(x)  TEXT_OF_(x)
#define BATCH       TEXT_OF(BATCH_ROWS)

/*
 * Runs old enough to go, minus those something still points at: one in
 * progress, the newest and the newest that ran (health, the inbox
 * default and the scheduler read them), the one each kept release was
 * built by, the last one of each deployment, and its last that ran (what
 * `deployment ls` shows).  ?1 is the cut-off in epoch ms.
 */
#define OLD_RUNS                                                                      \
	"SELECT id FROM runs WHERE started_at < ?1 AND state != 'running'"            \
	" AND id != (SELECT max(id) FROM runs)"                                       \
	" AND id != (SELECT coalesce(max(id), 0) FROM runs WHERE state != 'skipped')" \
	" AND id NOT IN (SELECT run_id FROM releases WHERE run_id IS NOT NULL)"       \
	" AND id NOT IN (SELECT max(id) FROM runs WHERE deployment IS NOT NULL"       \
	"   GROUP BY deployment)"                                                     \
	" AND id NOT IN (SELECT max(id) FROM runs WHERE deployment IS NOT NULL"       \
	"   AND state != 'skipped' GROUP BY deployment)"

/*
 * "Cached" rows (work a run found already done) of runs before the newest
 * ?2, found through the index on run_id and taken in its order: every
 * unchanged re-run adds a row per document and stage, and a scan of the
 * whole table at the end of each would grow with the history.
 */
#define OLD_CACHED_TASKS                                                                             \
	"SELECT id FROM tasks WHERE run_id <"                                                        \
	" (SELECT coalesce(min(id), 0) FROM (SELECT id FROM runs ORDER BY id DESC LIMIT ?2) newest)" \
	" AND state = 'cached' AND run_id NOT IN (" OLD_RUNS ")" /* theirs go with their run */
#define OLD_CACHED_TASKS_ORDER "run_id, id"

#define OLD_QUERIES "SELECT id FROM queries WHERE asked_at < ?3 AND question != ''"

/* The forms of each sweep, put together at compile time (no SQL is printed: t0154). */
#define BATCH_BY(select, order)     "(" select " ORDER BY " order " LIMIT " BATCH ")"
#define BATCH_OF(select)            BATCH_BY(select, "id")
#define COUNT_OF(select)            "SELECT count(*) FROM (" select ") swept"
#define DELETE_BATCH(table, select) "DELETE FROM " table " WHERE id IN " BATCH_OF(select)
#define DELETE_BATCH_BY(table, select, order) \
	"DELETE FROM " table " WHERE id IN " BATCH_BY(select, order)

struct sweep {
	const char *what;   /* for errors: "runs" */
	const char *count;  /* a dry run's count */
	const char *retire; /* run first in each batch's transaction, or NULL */
	const char *act;    /* deletes (or clears) one batch */
};

static int bind_policy(struct store *st, const char *sql, const struct history_policy *p,
		       struct sql_stmt **stmt, struct strbuf *err)
{
	if (sql_prepare(st, sql, stmt, err))
		return -1;
	/* Unused ones are out of range for some statements: harmless. */
	sql_bind_int64(*stmt, 1, p->runs_before);
	sql_bind_int64(*stmt, 2, p->cached_task_runs);
	sql_bind_int64(*stmt, 3, p->queries_before);
	return 0;
}

/* One statement to its end; -1 with the reason in err. */
static int step_policy(struct store *st, const char *sql, const struct history_policy *p,
		       const char *what, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (bind_policy(st, sql, p, &stmt, err))
		return -1;
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	if (rc != SQL_DONE) {
		strbuf_addf(err, "store: cannot remove old %s: %s", what, sql_errmsg(st));
		return -1;
	}
	return 0;
}

/* Count what a sweep picks (dry run), or act on it batch by batch. */
static int sweep(struct store *st, const struct sweep *sw, const struct history_policy *p,
		 long long *count, struct strbuf *err)
{
	*count = 0;
	if (p->dry_run) {
		struct sql_stmt *stmt = NULL;
		if (bind_policy(st, sw->count, p, &stmt, err))
			return -1;
		if (sql_step(stmt) == SQL_ROW)
			*count = sql_column_int64(stmt, 0);
		sql_finalize(stmt);
		return 0;
	}
	for (;;) {
		if (sql_begin(st, err))
			return -1;
		if ((sw->retire && step_policy(st, sw->retire, p, sw->what, err)) ||
		    step_policy(st, sw->act, p, sw->what, err)) {
			sql_rollback(st);
			return -1;
		}
		int changed = sql_changes(st);
		if (sql_commit(st, err))
			return -1;
		*count += changed;
		if (changed < BATCH_ROWS) /* a short batch took all there was */
			return 0;
	}
}

static const struct sweep old_run_tasks = {
	"task rows",
	COUNT_OF("SELECT id FROM tasks WHERE run_id IN (" OLD_RUNS ")"),
	NULL,
	DELETE_BATCH("tasks", "SELECT id FROM tasks WHERE run_id IN (" OLD_RUNS ")"),
};
static const struct sweep old_runs = {
	"runs",
	COUNT_OF(OLD_RUNS),
	"INSERT INTO retired_tallies (tally, label, n)"
	" SELECT 'runs', state, count(*) FROM runs WHERE id IN " BATCH_OF(
		OLD_RUNS) " GROUP BY state"
			  " ON CONFLICT (tally, label) DO UPDATE SET n = retired_tallies.n + excluded.n",
	DELETE_BATCH("runs", OLD_RUNS),
};
static const struct sweep old_cached_tasks = {
	"task rows",
	COUNT_OF(OLD_CACHED_TASKS),
	NULL,
	DELETE_BATCH_BY("tasks", OLD_CACHED_TASKS, OLD_CACHED_TASKS_ORDER),
};
static const struct sweep old_questions = {
	"questions",
	COUNT_OF(OLD_QUERIES),
	NULL,
	"UPDATE queries SET question = '', answer = '', sources = '[]'"
	" WHERE id IN " BATCH_OF(OLD_QUERIES),
};

/* The ids OLD_RUNS picks, into out->dry_run_ids (out->runs of them). */
static int list_old_runs(struct store *st, const struct history_policy *p, struct history_pruned *out,
			 struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, OLD_RUNS " ORDER BY id", &stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, p->runs_before);
	size_t alloc = 0;
	int rc;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		if ((size_t)out->runs == alloc)
			out->dry_run_ids = xrealloc(out->dry_run_ids, (alloc = alloc ? 2 * alloc : 64) *
									      sizeof(*out->dry_run_ids));
		out->dry_run_ids[out->runs++] = sql_column_int64(stmt, 0);
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
	/* Cached rows first: "the newest N runs" must be the same runs a dry run saw. */
	if (p->cached_task_runs > 0) {
		if (sweep(st, &old_cached_tasks, p, &n, err))
			goto fail;
		out->tasks += n;
	}
	if (p->runs_before > 0) {
		/* Their task rows first, counted, in batches; then the runs themselves. */
		if (sweep(st, &old_run_tasks, p, &n, err))
			goto fail;
		out->tasks += n;
		if (p->dry_run ? list_old_runs(st, p, out, err)
			       : sweep(st, &old_runs, p, &out->runs, err))
			goto fail;
	}
	if (p->queries_before > 0 && sweep(st, &old_questions, p, &out->queries, err))
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
	struct sql_stmt *stmt = NULL;
	long long v = -1;
	if (sql_prepare_quiet(st, sql, &stmt) == 0 && sql_step(stmt) == SQL_ROW)
		v = sql_column_int64(stmt, 0);
	sql_finalize(stmt);
	return v;
}

long long store_disk_bytes(struct store *st)
{
	if (st->pg)
		return pragma_int(st, "SELECT pg_database_size(current_database())");
	char wal[4096];
	snprintf(wal, sizeof(wal), "%s-wal", st->path);
	return file_size(st->path) + file_size(wal);
}

long long store_free_bytes(struct store *st)
{
	if (st->pg) /* autovacuum's business, not measured here */
		return 0;
	return pragma_int(st, "PRAGMA freelist_count") * pragma_int(st, "PRAGMA page_size");
}

int store_shrinks_itself(struct store *st)
{
	if (st->pg) /* autovacuum */
		return 1;
	return pragma_int(st, "PRAGMA auto_vacuum") == 2;
}

int store_compact(struct store *st, int rewrite, struct strbuf *err)
{
	/*
	 * A store made before auto_vacuum was set keeps its free pages until
	 * one VACUUM rewrites it; after that, incremental_vacuum hands them
	 * back.  The checkpoint then moves the result into the main file
	 * and truncates both.  PostgreSQL's autovacuum does that work itself.
	 */
	if (st->pg)
		return 0;
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

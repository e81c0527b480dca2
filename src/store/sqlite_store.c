/*
 * SQLite backend: opening, checking, helpers, runs and tasks.
 * One connection per process, WAL, foreign keys on; writers wait up to
 * 10 s for the lock rather than fail.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

int sql_fail(struct store *st, const char *what, struct strbuf *err)
{
	/* Counted even when the allocation that failed was not ours (SQLite's own limits). */
	if (sqlite3_errcode(st->db) == SQLITE_NOMEM)
		xalloc_note_unrecovered();
	st->failed_rc = sqlite3_extended_errcode(st->db);
	strbuf_addf(err, "store: %s: %s", what, sqlite3_errmsg(st->db));
	return -1;
}

int sql_rows_end(struct store *st, sqlite3_stmt *stmt, int rc, const char *what, struct strbuf *err)
{
	int ret = 0;
	if (rc != SQLITE_DONE)
		ret = sql_fail(st, what, err); /* before finalize, which may reset the message */
	sqlite3_finalize(stmt);
	return ret;
}

int sql_exec(struct store *st, const char *sql, struct strbuf *err)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	st->failed_rc = sqlite3_extended_errcode(st->db);
	strbuf_addf(err, "store: %s", msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

int sql_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt, struct strbuf *err)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) == SQLITE_OK)
		return 0;
	return sql_fail(st, "cannot prepare a statement", err);
}

int sql_prepare_kept(struct store *st, const char *sql, sqlite3_stmt **stmt, struct strbuf *err)
{
	struct kept_statement *free_slot = NULL;
	for (int i = 0; i < KEPT_STATEMENTS; i++) {
		struct kept_statement *k = &st->kept[i];
		if (k->sql == sql) {
			if (k->busy)
				return sql_prepare(st, sql, stmt, err);
			k->busy = 1;
			*stmt = k->stmt;
			return 0;
		}
		if (!k->sql && !free_slot)
			free_slot = k;
	}
	if (sql_prepare(st, sql, stmt, err))
		return -1;
	if (free_slot)
		*free_slot = (struct kept_statement){ sql, *stmt, 1 };
	return 0;
}

void sql_kept_done(struct store *st, sqlite3_stmt *stmt)
{
	if (!stmt)
		return;
	for (int i = 0; i < KEPT_STATEMENTS; i++)
		if (st->kept[i].stmt == stmt && st->kept[i].busy) {
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			st->kept[i].busy = 0;
			return;
		}
	sqlite3_finalize(stmt);
}

/* Run one UPDATE/INSERT with int64 and text parameters ("i" / "t" in `types`). */
int sql_exec_bound(struct store *st, const char *sql, const char *types, const void *const *args,
		   const char *what, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	if (sql_prepare(st, sql, &stmt, err))
		return -1;
	for (int i = 0; types[i]; i++) {
		if (types[i] == 'i')
			sqlite3_bind_int64(stmt, i + 1, *(const long long *)args[i]);
		else
			sqlite3_bind_text(stmt, i + 1, args[i], -1, SQLITE_STATIC);
	}
	int rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : sql_fail(st, what, err);
}

char *sql_column_dup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);
	return s ? xstrdup((const char *)s) : NULL;
}

int sql_begin(struct store *st, struct strbuf *err)
{
	return sql_exec(st, "BEGIN IMMEDIATE", err);
}

void store_error_clear(struct store *st)
{
	st->failed_rc = SQLITE_OK;
}

int store_error_is_transient(const struct store *st)
{
	int rc = st->failed_rc & 0xff;
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_FULL;
}

int sql_commit(struct store *st, struct strbuf *err)
{
	return sql_exec(st, "COMMIT", err);
}

void sql_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* A file with no page yet: a store being created. */
static int store_is_empty(struct store *st)
{
	sqlite3_stmt *stmt = NULL;
	int empty = 0;
	if (sqlite3_prepare_v2(st->db, "PRAGMA page_count", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		empty = sqlite3_column_int64(stmt, 0) == 0;
	sqlite3_finalize(stmt);
	return empty;
}

int store_open(struct store **out, const char *data_dir, struct strbuf *err)
{
	struct store *st = xcalloc(1, sizeof(*st));
	*out = NULL;
	if (mkdir_p(data_dir)) {
		strbuf_addf(err, "cannot create data folder '%s': %s", data_dir, strerror(errno));
		free(st);
		return -1;
	}
	st->path = xasprintf("%s/ragops.db", data_dir);
	if (sqlite_memory_install(err) || sqlite_faults_install(err))
		goto fail;
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		strbuf_addf(err, "cannot open store '%s': %s", st->path,
			    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/*
	 * secure_delete: deleted text is zeroed, not left in free pages (costs:
	 * see sqlite_documents.c).  auto_vacuum takes effect only on a new
	 * store (before its first table): retention's free pages then go back
	 * to the file system (store_compact).  Set on an existing store it
	 * writes (a failing disk would refuse even a read-only command).
	 */
	if ((store_is_empty(st) && sql_exec(st, "PRAGMA auto_vacuum = INCREMENTAL", err)) ||
	    sql_exec(st,
		     "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		     "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
		     err) ||
	    sqlite_register_tokenizer(st->db, st->fts_hints, err) || sqlite_migrate(st->db, err)) {
		strbuf_addf(err, " (store '%s')", st->path);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	store_close(&st);
	return -1;
}

void store_close(struct store **pst)
{
	struct store *st = *pst;
	if (!st)
		return;
	for (int i = 0; i < KEPT_STATEMENTS; i++)
		sqlite3_finalize(st->kept[i].stmt);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
	*pst = NULL;
}

int store_connection_reset(struct store *st, struct strbuf *err)
{
	int undone = 0;
	/* Its owner still finalizes it: reset, not finalized. */
	for (sqlite3_stmt *s = sqlite3_next_stmt(st->db, NULL); s; s = sqlite3_next_stmt(st->db, s)) {
		if (sqlite3_stmt_busy(s)) {
			sqlite3_reset(s);
			undone = 1;
		}
	}
	if (undone)
		strbuf_addstr(err, "a statement was left running");
	if (sqlite3_get_autocommit(st->db))
		return undone;
	sql_rollback(st);
	if (!sqlite3_get_autocommit(st->db)) {
		strbuf_addf(err, "%sa transaction left open cannot be rolled back: %s",
			    undone ? "; " : "", sqlite3_errmsg(st->db));
		return -1;
	}
	strbuf_addf(err, "%sa transaction left open was rolled back", undone ? "; " : "");
	return 1;
}

int store_schema_version(struct store *st)
{
	sqlite3_stmt *stmt = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* Append each row of a check query; returns how many rows reported trouble. */
static int collect_rows(struct store *st, const char *sql, const char *ok, struct strbuf *report)
{
	sqlite3_stmt *stmt = NULL;
	int bad = 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		strbuf_addf(report, "%s: %s\n", sql, sqlite3_errmsg(st->db));
		return 1;
	}
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(stmt, 0);
		if (ok && v && !strcmp(v, ok))
			continue;
		strbuf_addf(report, "%s: %s\n", sql, v ? v : "(row)");
		bad++;
	}
	if (rc != SQLITE_DONE) {
		strbuf_addf(report, "%s: %s\n", sql, sqlite3_errmsg(st->db));
		bad++;
	}
	sqlite3_finalize(stmt);
	return bad;
}

int store_check(struct store *st, struct strbuf *report)
{
	int bad = collect_rows(st, "PRAGMA integrity_check", "ok", report);
	bad += collect_rows(st, "PRAGMA foreign_key_check", NULL, report);
	/* Saved by a ragops of an older schema after the store moved on (store_fts_index_missing). */
	bad += collect_rows(st,
			    "SELECT n || ' chunks are not in the full-text index: the next ragops run"
			    " indexes them' FROM (SELECT count(*) AS n FROM chunks"
			    " WHERE id NOT IN (SELECT id FROM chunks_fts_docsize)) WHERE n > 0",
			    NULL, report);
	/* FTS5 reports a mismatch between index and content as an error. */
	char *msg = NULL;
	if (sqlite3_exec(st->db, "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 1)",
			 NULL, NULL, &msg) != SQLITE_OK) {
		strbuf_addf(report, "full-text index: %s\n", msg ? msg : "?");
		bad++;
	}
	sqlite3_free(msg);
	/* A document's count is its current version's; a version's and a release's, their rows'. */
	bad += collect_rows(st,
			    "SELECT 'document ' || d.id || ' counts ' || d.chunks || ' chunks, its version"
			    " has ' || (SELECT count(*) FROM chunks c WHERE c.version_id = d.version_id)"
			    " FROM documents d WHERE d.chunks !="
			    " (SELECT count(*) FROM chunks c WHERE c.version_id = d.version_id)",
			    NULL, report);
	bad += collect_rows(
		st,
		"SELECT 'document version ' || v.id || ' counts ' || v.chunks || ' chunks, has ' ||"
		" (SELECT count(*) FROM chunks c WHERE c.version_id = v.id) FROM doc_versions v"
		" WHERE v.chunks != (SELECT count(*) FROM chunks c WHERE c.version_id = v.id)",
		NULL, report);
	bad += collect_rows(
		st,
		"SELECT 'release ' || r.id || ' counts ' || r.chunks || ' chunks, has ' || n"
		" FROM (SELECT r.id, r.chunks, (SELECT count(*) FROM release_docs rd JOIN chunks c"
		"   ON c.version_id = rd.version_id WHERE rd.release_id = r.id) AS n"
		"   FROM releases r) r WHERE r.chunks != n",
		NULL, report);
	return bad ? -1 : 0;
}

/* --- runs ---------------------------------------------------------------- */

const char *task_state_name(enum task_state state)
{
	static const char *const names[] = { "pending", "running", "completed",
					     "cached",  "failed",  "retrying" };
	return names[state];
}

static long long insert_run(struct store *st, const struct run_origin *origin, const char *params_json,
			    const char *reason, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	char host[256] = "";
	long long id = -1, now = time_now_ms();
	gethostname(host, sizeof(host) - 1);
	if (sql_prepare(st,
			"INSERT INTO runs (trigger, params, state, pid, host, started_at, ended_at,"
			" error, deployment, scheduled_for, heartbeat_at)"
			" VALUES (?, ?, ?, ?, ?, ?6, ?, ?, ?, ?, ?6)",
			&stmt, err))
		return -1;
	sqlite3_bind_text(stmt, 1, origin->trigger, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, params_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, reason ? "skipped" : "running", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, getpid());
	sqlite3_bind_text(stmt, 5, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, now);
	if (reason) {
		sqlite3_bind_int64(stmt, 7, now);
		sqlite3_bind_text(stmt, 8, reason, -1, SQLITE_STATIC);
	}
	if (origin->deployment)
		sqlite3_bind_text(stmt, 9, origin->deployment, -1, SQLITE_STATIC);
	if (origin->scheduled_for)
		sqlite3_bind_int64(stmt, 10, origin->scheduled_for);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(st->db);
	else
		sql_fail(st, "cannot record the run", err);
	sqlite3_finalize(stmt);
	return id;
}

long long store_run_begin(struct store *st, const struct run_origin *origin, const char *params_json,
			  struct strbuf *err)
{
	return insert_run(st, origin, params_json, NULL, err);
}

long long store_run_skipped(struct store *st, const struct run_origin *origin, const char *params_json,
			    const char *reason, struct strbuf *err)
{
	return insert_run(st, origin, params_json, reason, err);
}

int store_run_finish(struct store *st, long long run_id, const char *state, const struct run_stats *s,
		     const char *error, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	int ret = -1;
	if (sql_prepare(st,
			"UPDATE runs SET state = ?, ended_at = ?, error = ?,"
			" docs_seen = ?, docs_new = ?, docs_changed = ?, docs_unchanged = ?,"
			" docs_renamed = ?, docs_deleted = ?, docs_failed = ?, pages = ?,"
			" pages_needing_ocr = ?, chunks = ?, chars = ?, ocr_pages = ?, ocr_failed = ?,"
			" ocr_flagged = ?, ocr_confidence = ? WHERE id = ?",
			&stmt, err))
		return -1;
	sqlite3_bind_text(stmt, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, time_now_ms());
	sqlite3_bind_text(stmt, 3, error, -1, SQLITE_STATIC);
	const long long v[] = { s->docs_seen,      s->docs_new,     s->docs_changed,
				s->docs_unchanged, s->docs_renamed, s->docs_deleted,
				s->docs_failed,    s->pages,        s->pages_needing_ocr,
				s->chunks,         s->chars,        s->ocr_pages,
				s->ocr_failed,     s->ocr_flagged };
	for (int i = 0; i < 14; i++)
		sqlite3_bind_int64(stmt, 4 + i, v[i]);
	sqlite3_bind_double(stmt, 18, s->ocr_confidence);
	sqlite3_bind_int64(stmt, 19, run_id);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		ret = 0;
	else
		sql_fail(st, "cannot finish the run record", err);
	sqlite3_finalize(stmt);
	return ret;
}

/* Mark one run crashed (if it is still "running"); 1 when it was. */
static int mark_crashed(struct store *st, long long id, const char *why)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(st->db,
			       "UPDATE runs SET state = 'crashed', ended_at = ?, error = ?"
			       " WHERE id = ? AND state = 'running'",
			       -1, &stmt, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(stmt, 1, time_now_ms());
	sqlite3_bind_text(stmt, 2, why, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, id);
	int done = sqlite3_step(stmt) == SQLITE_DONE && sqlite3_changes(st->db) > 0;
	sqlite3_finalize(stmt);
	return done;
}

void store_set_busy_timeout(struct store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms);
}

int store_runs_reap(struct store *st, struct runs_reap *r, struct strbuf *err)
{
	static const char *const why[] = {
		"the process running it stopped before the end",
		"its heartbeat stopped (flow.heartbeat_timeout): the process running it died, hung "
		"or lost the store",
	};
	sqlite3_stmt *stmt = NULL;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	r->ncrashed = 0;
	if (sql_prepare(st,
			"SELECT id, pid, host = ?1, coalesce(heartbeat_at, started_at) < ?2"
			" FROM runs WHERE state = 'running'",
			&stmt, err))
		return -1;
	sqlite3_bind_text(stmt, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, r->silent_before);
	long long found[REAP_MAX];
	int silent[REAP_MAX], n = 0;
	while (n < REAP_MAX && sqlite3_step(stmt) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(stmt, 0);
		pid_t pid = (pid_t)sqlite3_column_int64(stmt, 1);
		int here = sqlite3_column_int(stmt, 2), quiet = sqlite3_column_int(stmt, 3);
		if (here && pid != getpid() && kill(pid, 0) && errno == ESRCH)
			found[n] = id, silent[n++] = 0;
		else if (quiet && r->silent_before > 0 &&
			 !(r->still_alive && r->still_alive(id, r->silent_before, r->ctx)))
			found[n] = id, silent[n++] = 1;
	}
	sqlite3_finalize(stmt);
	for (int i = 0; i < n; i++)
		if (mark_crashed(st, found[i], why[silent[i]]))
			r->crashed[r->ncrashed++] = found[i];
	return r->ncrashed;
}

int store_run_heartbeat(struct store *st, long long run_id, struct strbuf *err)
{
	const long long now = time_now_ms();
	const void *args[] = { &now, &run_id };
	return sql_exec_bound(st, "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND state = 'running'",
			      "ii", args, "cannot record the run's heartbeat", err);
}

void sql_read_run(sqlite3_stmt *stmt, struct run_record *r)
{
	r->id = sqlite3_column_int64(stmt, 0);
	r->trigger = sql_column_dup(stmt, 1);
	r->params = sql_column_dup(stmt, 2);
	r->state = sql_column_dup(stmt, 3);
	r->error = sql_column_dup(stmt, 4);
	r->host = sql_column_dup(stmt, 5);
	r->pid = sqlite3_column_int64(stmt, 6);
	r->started_at = sqlite3_column_int64(stmt, 7);
	r->ended_at = sqlite3_column_int64(stmt, 8);
	long long *v[] = { &r->stats.docs_seen,      &r->stats.docs_new,     &r->stats.docs_changed,
			   &r->stats.docs_unchanged, &r->stats.docs_renamed, &r->stats.docs_deleted,
			   &r->stats.docs_failed,    &r->stats.pages,        &r->stats.pages_needing_ocr,
			   &r->stats.chunks,         &r->stats.chars,        &r->stats.ocr_pages,
			   &r->stats.ocr_failed,     &r->stats.ocr_flagged };
	for (int i = 0; i < 14; i++)
		*v[i] = sqlite3_column_int64(stmt, 9 + i);
	r->stats.ocr_confidence = sqlite3_column_double(stmt, 23);
	r->deployment = sql_column_dup(stmt, 24);
	r->scheduled_for = sqlite3_column_int64(stmt, 25);
}

void run_record_release(struct run_record *r)
{
	free(r->trigger);
	free(r->params);
	free(r->state);
	free(r->error);
	free(r->host);
	free(r->deployment);
	memset(r, 0, sizeof(*r));
}

void run_records_free(struct run_record *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_record_release(&runs[i]);
	free(runs);
}

int sql_read_runs(struct store *st, sqlite3_stmt *stmt, struct run_record **out, size_t *n,
		  struct strbuf *err)
{
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		memset(&(*out)[*n], 0, sizeof(**out));
		sql_read_run(stmt, &(*out)[(*n)++]);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the runs", err)) {
		run_records_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int store_runs_list(struct store *st, int limit, struct run_record **out, size_t *n, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st, "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT ?", &stmt, err))
		return -1;
	sqlite3_bind_int(stmt, 1, limit);
	return sql_read_runs(st, stmt, out, n, err);
}

enum lookup store_run_get(struct store *st, long long id, struct run_record *out, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	enum lookup ret;
	memset(out, 0, sizeof(*out));
	if (sql_prepare(st, "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?", &stmt, err))
		return LOOKUP_FAILED;
	sqlite3_bind_int64(stmt, 1, id);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		sql_read_run(stmt, out);
	ret = sql_found(st, rc, "cannot read the run", err);
	sqlite3_finalize(stmt);
	return ret;
}

char **store_last_inbox(struct store *st)
{
	sqlite3_stmt *stmt = NULL;
	char **list = NULL;
	if (sqlite3_prepare_v2(
		    st->db,
		    "SELECT j.value FROM runs, json_each(runs.params, '$.inbox') AS j"
		    " WHERE runs.id = (SELECT max(id) FROM runs"
		    "   WHERE json_array_length(params, '$.inbox') > 0 AND state != 'skipped')",
		    -1, &stmt, NULL) != SQLITE_OK)
		return NULL;
	size_t n = 0;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		list = xrealloc(list, (n + 2) * sizeof(char *));
		list[n++] = sql_column_dup(stmt, 0);
		list[n] = NULL;
	}
	sqlite3_finalize(stmt);
	return list;
}

/* --- tasks --------------------------------------------------------------- */

int store_tasks_add(struct store *st, const struct task_record *tasks, size_t n, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	int own_tx = sqlite3_get_autocommit(st->db);
	if (own_tx && sql_begin(st, err))
		return -1;
	if (sql_prepare_kept(st,
			     "INSERT INTO tasks (run_id, doc_id, doc_path, stage, state, attempts,"
			     " started_at, duration_ms, cache_key, error) VALUES (?,?,?,?,?,?,?,?,?,?)",
			     &stmt, err))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const struct task_record *t = &tasks[i];
		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, t->run_id);
		if (t->doc_id > 0)
			sqlite3_bind_int64(stmt, 2, t->doc_id);
		else
			sqlite3_bind_null(stmt, 2);
		sqlite3_bind_text(stmt, 3, t->doc_path, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, t->stage, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 5, task_state_name(t->state), -1, SQLITE_STATIC);
		sqlite3_bind_int(stmt, 6, t->attempts);
		sqlite3_bind_int64(stmt, 7, t->started_at);
		sqlite3_bind_double(stmt, 8, t->duration_ms);
		sqlite3_bind_text(stmt, 9, t->cache_key, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 10, t->error, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			sql_fail(st, "cannot record a task", err);
			goto fail;
		}
	}
	sql_kept_done(st, stmt);
	return own_tx ? sql_commit(st, err) : 0;
fail:
	sql_kept_done(st, stmt);
	if (own_tx)
		sql_rollback(st);
	return -1;
}

static const char *keep(struct task_list *list, char *s)
{
	if (!s)
		return NULL;
	list->strings = xrealloc(list->strings, (list->nstrings + 1) * sizeof(char *));
	list->strings[list->nstrings++] = s;
	return s;
}

int task_state_from_name(const char *s)
{
	for (int i = TASK_PENDING; i <= TASK_RETRYING; i++)
		if (s && !strcmp(s, task_state_name((enum task_state)i)))
			return i;
	return -1;
}

static enum task_state parse_task_state(const char *s)
{
	int state = task_state_from_name(s);
	return state < 0 ? TASK_FAILED : (enum task_state)state;
}

int store_tasks_of_run(struct store *st, long long run_id, struct task_list *out, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	memset(out, 0, sizeof(*out));
	if (sql_prepare(st,
			"SELECT id, coalesce(doc_id, 0), doc_path, stage, state, attempts,"
			" started_at, duration_ms, cache_key, error FROM tasks WHERE run_id = ?"
			" ORDER BY id",
			&stmt, err))
		return -1;
	sqlite3_bind_int64(stmt, 1, run_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ALLOC_GROW(out->items, out->n + 1, alloc);
		struct task_record *t = &out->items[out->n++];
		memset(t, 0, sizeof(*t));
		t->id = sqlite3_column_int64(stmt, 0);
		t->run_id = run_id;
		t->doc_id = sqlite3_column_int64(stmt, 1);
		t->doc_path = keep(out, sql_column_dup(stmt, 2));
		t->stage = keep(out, sql_column_dup(stmt, 3));
		t->state = parse_task_state((const char *)sqlite3_column_text(stmt, 4));
		t->attempts = sqlite3_column_int(stmt, 5);
		t->started_at = sqlite3_column_int64(stmt, 6);
		t->duration_ms = sqlite3_column_double(stmt, 7);
		t->cache_key = keep(out, sql_column_dup(stmt, 8));
		t->error = keep(out, sql_column_dup(stmt, 9));
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the run's tasks", err)) {
		task_list_release(out);
		return -1;
	}
	return 0;
}

void task_list_release(struct task_list *list)
{
	for (size_t i = 0; i < list->nstrings; i++)
		free(list->strings[i]);
	free(list->strings);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

int store_set_durable(struct store *st, struct strbuf *err)
{
	return sql_exec(st, "PRAGMA synchronous = FULL", err);
}

enum lookup sql_found(struct store *st, int rc, const char *what, struct strbuf *err)
{
	if (rc == SQLITE_ROW)
		return LOOKUP_FOUND;
	if (rc == SQLITE_DONE)
		return LOOKUP_MISSING;
	sql_fail(st, what, err);
	return LOOKUP_FAILED;
}

/*
 * SQLite backend: opening, checking, runs and tasks.
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
#include "store/pg_conn.h"
#include "store/sqlite_internal.h"
#include "store/work_queue.h"
#include "store/store.h"

/* A file with no page yet: a store being created. */
static int store_is_empty(struct store *st)
{
	struct sql_stmt *stmt = NULL;
	int empty = 0;
	if (sql_prepare_quiet(st, "PRAGMA page_count", &stmt) == 0 && sql_step(stmt) == SQL_ROW)
		empty = sql_column_int64(stmt, 0) == 0;
	sql_finalize(stmt);
	return empty;
}

int store_open(struct store **out, const char *location, struct strbuf *err)
{
	if (pg_is_url(location))
		return pg_store_open(out, location, err);
	const char *data_dir = location;
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
			    st->db ? sql_errmsg(st) : "out of memory");
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
	sql_kept_free(st);
	pg_disconnect(&st->pg);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
	*pst = NULL;
}

int store_connection_reset(struct store *st, struct strbuf *err)
{
	int undone = 0;
	/* Its owner still finalizes it: reset, not finalized.  (PostgreSQL has no statement left running.) */
	sqlite3_stmt *first = st->db ? sqlite3_next_stmt(st->db, NULL) : NULL;
	for (sqlite3_stmt *s = first; s; s = sqlite3_next_stmt(st->db, s)) {
		if (sqlite3_stmt_busy(s)) {
			sqlite3_reset(s);
			undone = 1;
		}
	}
	if (undone)
		strbuf_addstr(err, "a statement was left running");
	if (!sql_in_transaction(st))
		return undone;
	sql_rollback(st);
	if (sql_in_transaction(st)) {
		strbuf_addf(err, "%sa transaction left open cannot be rolled back: %s",
			    undone ? "; " : "", sql_errmsg(st));
		return -1;
	}
	strbuf_addf(err, "%sa transaction left open was rolled back", undone ? "; " : "");
	return 1;
}

int store_schema_version(struct store *st)
{
	struct sql_stmt *stmt = NULL;
	int v = -1;
	if (st->pg)
		return pg_store_schema_version(st);
	if (sql_prepare_quiet(st, "PRAGMA user_version", &stmt) == 0 && sql_step(stmt) == SQL_ROW)
		v = sql_column_int(stmt, 0);
	sql_finalize(stmt);
	return v;
}

/* Append each row of a check query; returns how many rows reported trouble. */
static int collect_rows(struct store *st, const char *sql, const char *ok, struct strbuf *report)
{
	struct sql_stmt *stmt = NULL;
	int bad = 0;
	if (sql_prepare_quiet(st, sql, &stmt)) {
		strbuf_addf(report, "%s: %s\n", sql, sql_errmsg(st));
		return 1;
	}
	int rc;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		const char *v = sql_column_text(stmt, 0);
		if (ok && v && !strcmp(v, ok))
			continue;
		strbuf_addf(report, "%s: %s\n", sql, v ? v : "(row)");
		bad++;
	}
	if (rc != SQL_DONE) {
		strbuf_addf(report, "%s: %s\n", sql, sql_errmsg(st));
		bad++;
	}
	sql_finalize(stmt);
	return bad;
}

/* What SQLite checks of its own file and full-text index; PostgreSQL enforces its keys itself. */
static int check_sqlite_file(struct store *st, struct strbuf *report)
{
	int bad = collect_rows(st, "PRAGMA integrity_check", "ok", report);
	bad += collect_rows(st, "PRAGMA foreign_key_check", NULL, report);
	/* Saved by a ragops of an older schema after the store moved on (store_fts_index_missing). */
	bad += collect_rows(st,
			    "SELECT n || ' chunks are not in the full-text index: the next ragops run"
			    " indexes them' FROM (SELECT count(*) AS n FROM chunks"
			    " WHERE id NOT IN (SELECT id FROM chunks_fts_docsize)) missing WHERE n > 0",
			    NULL, report);
	/* FTS5 reports a mismatch between index and content as an error. */
	char *msg = NULL;
	if (sqlite3_exec(st->db, "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 1)",
			 NULL, NULL, &msg) != SQLITE_OK) {
		strbuf_addf(report, "full-text index: %s\n", msg ? msg : "?");
		bad++;
	}
	sqlite3_free(msg);
	return bad;
}

int store_check(struct store *st, struct strbuf *report)
{
	int bad = st->pg ? (pg_store_check(st, report) != 0) : check_sqlite_file(st, report);
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

int store_clock_ms(struct store *st, long long *now, struct strbuf *err)
{
	if (!st->pg) {
		*now = time_now_ms();
		return 0;
	}
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, "SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000 AS bigint)", &stmt,
			err))
		return -1;
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		*now = sql_column_int64(stmt, 0);
	sql_finalize(stmt);
	return rc == SQL_ROW ? 0 : sql_fail(st, "cannot read the database server's clock", err);
}

/* The store's clock, or this machine's when the server cannot be asked (the write fails next). */
static long long clock_now(struct store *st)
{
	long long now;
	struct strbuf ignored = STRBUF_INIT;
	if (store_clock_ms(st, &now, &ignored))
		now = time_now_ms();
	strbuf_release(&ignored);
	return now;
}

static long long insert_run(struct store *st, const struct run_origin *origin, const char *params_json,
			    const char *reason, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	char host[256] = "";
	long long id = -1, now = clock_now(st);
	gethostname(host, sizeof(host) - 1);
	if (sql_prepare(st,
			"INSERT INTO runs (trigger, params, state, pid, host, started_at, ended_at,"
			" error, deployment, scheduled_for, heartbeat_at)"
			" VALUES (?, ?, ?, ?, ?, ?6, ?, ?, ?, ?, ?6)",
			&stmt, err))
		return -1;
	sql_bind_text(stmt, 1, origin->trigger);
	sql_bind_text(stmt, 2, params_json);
	sql_bind_text(stmt, 3, reason ? "skipped" : "running");
	sql_bind_int64(stmt, 4, getpid());
	sql_bind_text(stmt, 5, host);
	sql_bind_int64(stmt, 6, now);
	if (reason) {
		sql_bind_int64(stmt, 7, now);
		sql_bind_text(stmt, 8, reason);
	}
	if (origin->deployment)
		sql_bind_text(stmt, 9, origin->deployment);
	if (origin->scheduled_for)
		sql_bind_int64(stmt, 10, origin->scheduled_for);
	if (sql_step(stmt) == SQL_DONE)
		id = sql_last_insert_id(st);
	else
		sql_fail(st, "cannot record the run", err);
	sql_finalize(stmt);
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
	struct sql_stmt *stmt = NULL;
	int ret = -1;
	if (sql_prepare(st,
			"UPDATE runs SET state = ?, ended_at = ?, error = ?,"
			" docs_seen = ?, docs_new = ?, docs_changed = ?, docs_unchanged = ?,"
			" docs_renamed = ?, docs_deleted = ?, docs_failed = ?, pages = ?,"
			" pages_needing_ocr = ?, chunks = ?, chars = ?, ocr_pages = ?, ocr_failed = ?,"
			" ocr_flagged = ?, ocr_confidence = ? WHERE id = ?",
			&stmt, err))
		return -1;
	sql_bind_text(stmt, 1, state);
	sql_bind_int64(stmt, 2, clock_now(st));
	sql_bind_text(stmt, 3, error);
	const long long v[] = { s->docs_seen,      s->docs_new,     s->docs_changed,
				s->docs_unchanged, s->docs_renamed, s->docs_deleted,
				s->docs_failed,    s->pages,        s->pages_needing_ocr,
				s->chunks,         s->chars,        s->ocr_pages,
				s->ocr_failed,     s->ocr_flagged };
	for (int i = 0; i < 14; i++)
		sql_bind_int64(stmt, 4 + i, v[i]);
	sql_bind_double(stmt, 18, s->ocr_confidence);
	sql_bind_int64(stmt, 19, run_id);
	if (sql_step(stmt) == SQL_DONE)
		ret = 0;
	else
		sql_fail(st, "cannot finish the run record", err);
	sql_finalize(stmt);
	return ret;
}

/* Mark one run crashed (if it is still "running"); 1 when it was. */
static int mark_crashed(struct store *st, long long id, const char *why)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare_quiet(st,
			      "UPDATE runs SET state = 'crashed', ended_at = ?, error = ?"
			      " WHERE id = ? AND state = 'running'",
			      &stmt))
		return 0;
	sql_bind_int64(stmt, 1, clock_now(st));
	sql_bind_text(stmt, 2, why);
	sql_bind_int64(stmt, 3, id);
	int done = sql_step(stmt) == SQL_DONE && sql_changes(st) > 0;
	sql_finalize(stmt);
	/* Its queued documents go with it (work_queue.h): the next run queues what is left. */
	struct strbuf ignored = STRBUF_INIT;
	store_work_forget(st, id, &ignored);
	strbuf_release(&ignored);
	return done;
}

void store_set_busy_timeout(struct store *st, int ms)
{
	if (st->db)
		sqlite3_busy_timeout(st->db, ms);
}

int store_runs_reap(struct store *st, struct runs_reap *r, struct strbuf *err)
{
	static const char *const why[] = {
		"the process running it stopped before the end",
		"its heartbeat stopped (flow.heartbeat_timeout): the process running it died, hung "
		"or lost the store",
	};
	struct sql_stmt *stmt = NULL;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	r->ncrashed = 0;
	if (sql_prepare(st,
			"SELECT id, pid, host = ?1, coalesce(heartbeat_at, started_at) < ?2"
			" FROM runs WHERE state = 'running'",
			&stmt, err))
		return -1;
	sql_bind_text(stmt, 1, host);
	sql_bind_int64(stmt, 2, r->silent_before);
	long long found[REAP_MAX];
	int silent[REAP_MAX], n = 0;
	while (n < REAP_MAX && sql_step(stmt) == SQL_ROW) {
		long long id = sql_column_int64(stmt, 0);
		pid_t pid = (pid_t)sql_column_int64(stmt, 1);
		int here = sql_column_int(stmt, 2), quiet = sql_column_int(stmt, 3);
		if (here && pid != getpid() && kill(pid, 0) && errno == ESRCH)
			found[n] = id, silent[n++] = 0;
		else if (quiet && r->silent_before > 0 &&
			 !(r->still_alive && r->still_alive(id, r->silent_before, r->ctx)))
			found[n] = id, silent[n++] = 1;
	}
	sql_finalize(stmt);
	for (int i = 0; i < n; i++)
		if (mark_crashed(st, found[i], why[silent[i]]))
			r->crashed[r->ncrashed++] = found[i];
	return r->ncrashed;
}

int store_run_heartbeat(struct store *st, long long run_id, struct strbuf *err)
{
	const long long now = clock_now(st);
	const void *args[] = { &now, &run_id };
	return sql_exec_bound(st, "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND state = 'running'",
			      "ii", args, "cannot record the run's heartbeat", err);
}

void sql_read_run(struct sql_stmt *stmt, struct run_record *r)
{
	r->id = sql_column_int64(stmt, 0);
	r->trigger = sql_column_dup(stmt, 1);
	r->params = sql_column_dup(stmt, 2);
	r->state = sql_column_dup(stmt, 3);
	r->error = sql_column_dup(stmt, 4);
	r->host = sql_column_dup(stmt, 5);
	r->pid = sql_column_int64(stmt, 6);
	r->started_at = sql_column_int64(stmt, 7);
	r->ended_at = sql_column_int64(stmt, 8);
	long long *v[] = { &r->stats.docs_seen,      &r->stats.docs_new,     &r->stats.docs_changed,
			   &r->stats.docs_unchanged, &r->stats.docs_renamed, &r->stats.docs_deleted,
			   &r->stats.docs_failed,    &r->stats.pages,        &r->stats.pages_needing_ocr,
			   &r->stats.chunks,         &r->stats.chars,        &r->stats.ocr_pages,
			   &r->stats.ocr_failed,     &r->stats.ocr_flagged };
	for (int i = 0; i < 14; i++)
		*v[i] = sql_column_int64(stmt, 9 + i);
	r->stats.ocr_confidence = sql_column_double(stmt, 23);
	r->deployment = sql_column_dup(stmt, 24);
	r->scheduled_for = sql_column_int64(stmt, 25);
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

int sql_read_runs(struct store *st, struct sql_stmt *stmt, struct run_record **out, size_t *n,
		  struct strbuf *err)
{
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
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
	struct sql_stmt *stmt = NULL;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st, "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT ?", &stmt, err))
		return -1;
	sql_bind_limit(stmt, 1, limit);
	return sql_read_runs(st, stmt, out, n, err);
}

enum lookup store_run_get(struct store *st, long long id, struct run_record *out, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	enum lookup ret;
	memset(out, 0, sizeof(*out));
	if (sql_prepare(st, "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?", &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_int64(stmt, 1, id);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		sql_read_run(stmt, out);
	ret = sql_found(st, rc, "cannot read the run", err);
	sql_finalize(stmt);
	return ret;
}

char **store_last_inbox(struct store *st)
{
	struct sql_stmt *stmt = NULL;
	char **list = NULL;
	if (sql_prepare_quiet(
		    st,
		    SQL_PICK(st,
			     "SELECT j.value FROM runs, json_each(runs.params, '$.inbox') AS j"
			     " WHERE runs.id = (SELECT max(id) FROM runs"
			     "   WHERE json_array_length(params, '$.inbox') > 0 AND state != 'skipped')",
			     "SELECT j FROM runs, jsonb_array_elements_text(runs.params::jsonb -> 'inbox') AS j"
			     " WHERE runs.id = (SELECT max(id) FROM runs WHERE state != 'skipped' AND"
			     "   CASE WHEN jsonb_typeof(params::jsonb -> 'inbox') = 'array'"
			     "   THEN jsonb_array_length(params::jsonb -> 'inbox') > 0 ELSE false END)"),
		    &stmt))
		return NULL;
	size_t n = 0;
	while (sql_step(stmt) == SQL_ROW) {
		list = xrealloc(list, (n + 2) * sizeof(char *));
		list[n++] = sql_column_dup(stmt, 0);
		list[n] = NULL;
	}
	sql_finalize(stmt);
	return list;
}

/* --- tasks --------------------------------------------------------------- */

/*
 * A document found unchanged has a cached row for each stage, alike but
 * for the stage and its key.  They are stored as one row, stages and keys
 * each joined by commas, and store_tasks_of_run gives them back one by
 * one: an unchanged re-run writes (and retention later deletes) a row per
 * document, not one per document and stage.  Only records that differ in
 * nothing else are packed, so nothing is lost.  How many records from `t`
 * on go into the row.
 */
static size_t cached_alike(const struct task_record *t, size_t n)
{
	size_t k = 1;
	if (t->state != TASK_CACHED || !t->cache_key || !t->doc_path || t->error ||
	    strchr(t->stage, ',') || strchr(t->cache_key, ','))
		return 1;
	while (k < n && t[k].state == TASK_CACHED && t[k].cache_key && !t[k].error &&
	       t[k].run_id == t->run_id && t[k].doc_id == t->doc_id && t[k].attempts == t->attempts &&
	       t[k].started_at == t->started_at && t[k].duration_ms == t->duration_ms && t[k].doc_path &&
	       !strcmp(t[k].doc_path, t->doc_path) && !strchr(t[k].stage, ',') &&
	       !strchr(t[k].cache_key, ','))
		k++;
	return k;
}

static void join_fields(const struct task_record *t, size_t k, struct strbuf *stages,
			struct strbuf *keys)
{
	strbuf_reset(stages);
	strbuf_reset(keys);
	for (size_t i = 0; i < k; i++) {
		strbuf_addf(stages, "%s%s", i ? "," : "", t[i].stage);
		strbuf_addf(keys, "%s%s", i ? "," : "", t[i].cache_key);
	}
}

int store_tasks_add(struct store *st, const struct task_record *tasks, size_t n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	struct strbuf stages = STRBUF_INIT, keys = STRBUF_INIT;
	int own_tx = !sql_in_transaction(st);
	if (own_tx && sql_begin(st, err))
		return -1;
	if (sql_prepare_kept(st,
			     "INSERT INTO tasks (run_id, doc_id, doc_path, stage, state, attempts,"
			     " started_at, duration_ms, cache_key, error) VALUES (?,?,?,?,?,?,?,?,?,?)",
			     &stmt, err))
		goto fail;
	for (size_t i = 0, k; i < n; i += k) {
		const struct task_record *t = &tasks[i];
		k = cached_alike(t, n - i);
		if (k > 1)
			join_fields(t, k, &stages, &keys);
		sql_reset(stmt);
		sql_bind_int64(stmt, 1, t->run_id);
		if (t->doc_id > 0)
			sql_bind_int64(stmt, 2, t->doc_id);
		else
			sql_bind_null(stmt, 2);
		sql_bind_text(stmt, 3, t->doc_path);
		sql_bind_text(stmt, 4, k > 1 ? stages.buf : t->stage);
		sql_bind_text(stmt, 5, task_state_name(t->state));
		sql_bind_int64(stmt, 6, t->attempts);
		sql_bind_int64(stmt, 7, t->started_at);
		sql_bind_double(stmt, 8, t->duration_ms);
		sql_bind_text(stmt, 9, k > 1 ? keys.buf : t->cache_key);
		sql_bind_text(stmt, 10, t->error);
		if (sql_step(stmt) != SQL_DONE) {
			sql_fail(st, "cannot record a task", err);
			goto fail;
		}
	}
	sql_kept_done(st, stmt);
	strbuf_release(&stages);
	strbuf_release(&keys);
	return own_tx ? sql_commit(st, err) : 0;
fail:
	sql_kept_done(st, stmt);
	strbuf_release(&stages);
	strbuf_release(&keys);
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

/*
 * The list's last record, a row of cached stages packed by store_tasks_add,
 * becomes a record per stage, in order.  A row whose keys do not match
 * its stages one for one is left as it is.
 */
static void unpack_cached(struct task_list *out, size_t *alloc)
{
	struct task_record packed = out->items[out->n - 1];
	size_t nstages = 1, nkeys = 1;
	for (const char *c = packed.stage; *c; c++)
		nstages += *c == ',';
	for (const char *c = packed.cache_key; *c; c++)
		nkeys += *c == ',';
	if (nstages != nkeys)
		return;
	out->n--;
	const char *stage = packed.stage, *key = packed.cache_key;
	for (size_t i = 0; i < nstages; i++) {
		size_t slen = strcspn(stage, ","), klen = strcspn(key, ",");
		ALLOC_GROW(out->items, out->n + 1, *alloc);
		struct task_record *t = &out->items[out->n++];
		*t = packed;
		t->stage = keep(out, xstrndup(stage, slen));
		t->cache_key = keep(out, xstrndup(key, klen));
		stage += slen + (stage[slen] == ',');
		key += klen + (key[klen] == ',');
	}
}

int store_tasks_of_run(struct store *st, long long run_id, struct task_list *out, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	memset(out, 0, sizeof(*out));
	if (sql_prepare(st,
			"SELECT id, coalesce(doc_id, 0), doc_path, stage, state, attempts,"
			" started_at, duration_ms, cache_key, error FROM tasks WHERE run_id = ?"
			" ORDER BY id",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, run_id);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(out->items, out->n + 1, alloc);
		struct task_record *t = &out->items[out->n++];
		memset(t, 0, sizeof(*t));
		t->id = sql_column_int64(stmt, 0);
		t->run_id = run_id;
		t->doc_id = sql_column_int64(stmt, 1);
		t->doc_path = keep(out, sql_column_dup(stmt, 2));
		t->stage = keep(out, sql_column_dup(stmt, 3));
		t->state = parse_task_state(sql_column_text(stmt, 4));
		t->attempts = sql_column_int(stmt, 5);
		t->started_at = sql_column_int64(stmt, 6);
		t->duration_ms = sql_column_double(stmt, 7);
		t->cache_key = keep(out, sql_column_dup(stmt, 8));
		t->error = keep(out, sql_column_dup(stmt, 9));
		if (t->state == TASK_CACHED && t->stage && t->cache_key && strchr(t->stage, ','))
			unpack_cached(out, &alloc);
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
	/* PostgreSQL's synchronous_commit is on unless its administrator says otherwise. */
	return st->pg ? 0 : sql_exec(st, "PRAGMA synchronous = FULL", err);
}

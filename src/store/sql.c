/*
 * The statement layer (sql.h) and the helpers every store file uses on
 * top of it: preparing, running, failing with a message, transactions.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/pg_conn.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

/* --- statements ---------------------------------------------------------- */

void sql_bind_int64(struct sql_stmt *s, int i, long long v)
{
	if (s->pg)
		pg_bind_int64(s->pg, i, v);
	else
		sqlite3_bind_int64(s->lite, i, v);
}

void sql_bind_double(struct sql_stmt *s, int i, double v)
{
	if (s->pg)
		pg_bind_double(s->pg, i, v);
	else
		sqlite3_bind_double(s->lite, i, v);
}

void sql_bind_text(struct sql_stmt *s, int i, const char *text)
{
	if (s->pg)
		pg_bind_text(s->pg, i, text);
	else
		sqlite3_bind_text(s->lite, i, text, -1, SQLITE_STATIC);
}

void sql_bind_blob(struct sql_stmt *s, int i, const void *data, size_t len)
{
	if (s->pg)
		pg_bind_blob(s->pg, i, data, len);
	else
		sqlite3_bind_blob64(s->lite, i, data, len, SQLITE_STATIC);
}

void sql_bind_null(struct sql_stmt *s, int i)
{
	if (s->pg)
		pg_bind_null(s->pg, i);
	else
		sqlite3_bind_null(s->lite, i);
}

void sql_repeat(struct sql_stmt *s)
{
	if (s->pg)
		pg_keep(s->pg);
}

void sql_bind_limit(struct sql_stmt *s, int i, long long n)
{
	if (s->pg && n < 0)
		pg_bind_null(s->pg, i);
	else
		sql_bind_int64(s, i, n);
}

int sql_step(struct sql_stmt *s)
{
	return s->pg ? pg_step(s->pg) : sqlite3_step(s->lite);
}

long long sql_column_int64(struct sql_stmt *s, int col)
{
	return s->pg ? pg_column_int64(s->pg, col) : sqlite3_column_int64(s->lite, col);
}

int sql_column_int(struct sql_stmt *s, int col)
{
	return s->pg ? (int)pg_column_int64(s->pg, col) : sqlite3_column_int(s->lite, col);
}

double sql_column_double(struct sql_stmt *s, int col)
{
	return s->pg ? pg_column_double(s->pg, col) : sqlite3_column_double(s->lite, col);
}

const char *sql_column_text(struct sql_stmt *s, int col)
{
	if (s->pg)
		return pg_column_text(s->pg, col);
	return (const char *)sqlite3_column_text(s->lite, col);
}

const void *sql_column_blob(struct sql_stmt *s, int col)
{
	return s->pg ? pg_column_blob(s->pg, col) : sqlite3_column_blob(s->lite, col);
}

size_t sql_column_bytes(struct sql_stmt *s, int col)
{
	return s->pg ? pg_column_bytes(s->pg, col) : (size_t)sqlite3_column_bytes(s->lite, col);
}

int sql_column_is_null(struct sql_stmt *s, int col)
{
	if (s->pg)
		return pg_column_is_null(s->pg, col);
	return sqlite3_column_type(s->lite, col) == SQLITE_NULL;
}

void sql_reset(struct sql_stmt *s)
{
	if (s->pg)
		pg_reset(s->pg);
	else
		sqlite3_reset(s->lite);
}

void sql_clear_bindings(struct sql_stmt *s)
{
	if (s->pg)
		pg_clear_bindings(s->pg);
	else
		sqlite3_clear_bindings(s->lite);
}

void sql_finalize(struct sql_stmt *s)
{
	if (!s)
		return;
	if (s->pg)
		pg_finalize(s->pg);
	else
		sqlite3_finalize(s->lite);
	free(s);
}

/* --- the connection ------------------------------------------------------ */

long long sql_changes(struct store *st)
{
	return st->pg ? pg_changes(st->pg) : sqlite3_changes(st->db);
}

long long sql_last_insert_id(struct store *st)
{
	return st->pg ? pg_last_insert_id(st->pg) : sqlite3_last_insert_rowid(st->db);
}

int sql_in_transaction(struct store *st)
{
	return st->pg ? pg_in_transaction(st->pg) : !sqlite3_get_autocommit(st->db);
}

const char *sql_errmsg(struct store *st)
{
	return st->pg ? pg_errmsg(st->pg) : sqlite3_errmsg(st->db);
}

int sql_fail(struct store *st, const char *what, struct strbuf *err)
{
	if (st->pg) {
		st->failed_transient = pg_error_is_transient(st->pg);
		strbuf_addf(err, "store: %s: %s", what, pg_errmsg(st->pg));
		return -1;
	}
	/* Counted even when the allocation that failed was not ours (SQLite's own limits). */
	if (sqlite3_errcode(st->db) == SQLITE_NOMEM)
		xalloc_note_unrecovered();
	st->failed_rc = sqlite3_extended_errcode(st->db);
	strbuf_addf(err, "store: %s: %s", what, sqlite3_errmsg(st->db));
	return -1;
}

int sql_rows_end(struct store *st, struct sql_stmt *stmt, int rc, const char *what, struct strbuf *err)
{
	int ret = 0;
	if (rc != SQL_DONE)
		ret = sql_fail(st, what, err); /* before finalize, which may reset the message */
	sql_finalize(stmt);
	return ret;
}

enum lookup sql_found(struct store *st, int rc, const char *what, struct strbuf *err)
{
	if (rc == SQL_ROW)
		return LOOKUP_FOUND;
	if (rc == SQL_DONE)
		return LOOKUP_MISSING;
	sql_fail(st, what, err);
	return LOOKUP_FAILED;
}

int sql_exec(struct store *st, const char *sql, struct strbuf *err)
{
	if (st->pg) {
		if (pg_exec(st->pg, sql, err) == 0)
			return 0;
		st->failed_transient = pg_error_is_transient(st->pg);
		return -1;
	}
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	st->failed_rc = sqlite3_extended_errcode(st->db);
	strbuf_addf(err, "store: %s", msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

int sql_prepare_quiet(struct store *st, const char *sql, struct sql_stmt **stmt)
{
	sqlite3_stmt *lite = NULL;
	*stmt = NULL;
	if (st->pg) {
		struct strbuf ignored = STRBUF_INIT;
		struct pg_stmt *pg = NULL;
		int rc = pg_prepare(st->pg, sql, &pg, &ignored);
		strbuf_release(&ignored);
		if (rc)
			return -1;
		*stmt = xcalloc(1, sizeof(**stmt));
		(*stmt)->pg = pg;
		return 0;
	}
	if (sqlite3_prepare_v2(st->db, sql, -1, &lite, NULL) != SQLITE_OK)
		return -1;
	*stmt = xcalloc(1, sizeof(**stmt));
	(*stmt)->lite = lite;
	return 0;
}

int sql_prepare(struct store *st, const char *sql, struct sql_stmt **stmt, struct strbuf *err)
{
	if (st->pg) {
		struct pg_stmt *pg = NULL;
		*stmt = NULL;
		if (pg_prepare(st->pg, sql, &pg, err))
			return -1;
		*stmt = xcalloc(1, sizeof(**stmt));
		(*stmt)->pg = pg;
		return 0;
	}
	if (sql_prepare_quiet(st, sql, stmt) == 0)
		return 0;
	return sql_fail(st, "cannot prepare a statement", err);
}

int sql_prepare_kept(struct store *st, const char *sql, struct sql_stmt **stmt, struct strbuf *err)
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
	if (free_slot) {
		*free_slot = (struct kept_statement){ sql, *stmt, 1 };
		sql_repeat(*stmt);
	}
	return 0;
}

void sql_kept_done(struct store *st, struct sql_stmt *stmt)
{
	if (!stmt)
		return;
	for (int i = 0; i < KEPT_STATEMENTS; i++)
		if (st->kept[i].stmt == stmt && st->kept[i].busy) {
			sql_reset(stmt);
			sql_clear_bindings(stmt);
			st->kept[i].busy = 0;
			return;
		}
	sql_finalize(stmt);
}

void sql_kept_free(struct store *st)
{
	for (int i = 0; i < KEPT_STATEMENTS; i++) {
		sql_finalize(st->kept[i].stmt);
		st->kept[i] = (struct kept_statement){ 0 };
	}
}

int sql_exec_bound(struct store *st, const char *sql, const char *types, const void *const *args,
		   const char *what, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, sql, &stmt, err))
		return -1;
	for (int i = 0; types[i]; i++) {
		if (types[i] == 'i')
			sql_bind_int64(stmt, i + 1, *(const long long *)args[i]);
		else
			sql_bind_text(stmt, i + 1, args[i]);
	}
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	return rc == SQL_DONE ? 0 : sql_fail(st, what, err);
}

char *sql_column_dup(struct sql_stmt *stmt, int col)
{
	const char *s = sql_column_text(stmt, col);
	return s ? xstrdup(s) : NULL;
}

/* --- transactions and failures ------------------------------------------- */

/*
 * Inside a group (store_group_begin) a transaction is a savepoint of the
 * group's: its rollback undoes only its own writes, its commit waits for
 * the group's.  The group's first one needs none: its rollback is the
 * group's, which holds nothing else (a savepoint keeps a sub-journal of
 * the pages it changes, in a temporary file: 0.3 ms a document when every
 * document is a group of its own, as with one worker).
 */
int sql_begin(struct store *st, struct strbuf *err)
{
	if (st->grouped) {
		/* Outside a transaction a savepoint would start one of its own, committed alone. */
		if (!sql_in_transaction(st)) {
			strbuf_addstr(err,
				      "the group's transaction was rolled back by a failure inside it");
			return -1;
		}
		st->group_bare = !st->group_holds;
		return st->group_bare ? 0 : sql_exec(st, "SAVEPOINT grouped", err);
	}
	/* SQLite: take the write lock now, not at the first write (no deadlock between two upgrades). */
	return sql_exec(st, st->pg ? "BEGIN" : "BEGIN IMMEDIATE", err);
}

int sql_commit(struct store *st, struct strbuf *err)
{
	if (!st->grouped)
		return sql_exec(st, "COMMIT", err);
	if (!st->group_bare && sql_exec(st, "RELEASE SAVEPOINT grouped", err))
		return -1;
	st->group_holds++;
	return 0;
}

/* Statements whose failure only a later statement can tell (the transaction is gone). */
static void exec_quietly(struct store *st, const char *sql)
{
	if (st->pg) {
		struct strbuf ignored = STRBUF_INIT;
		pg_exec(st->pg, sql, &ignored);
		strbuf_release(&ignored);
	} else {
		sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	}
}

void sql_rollback(struct store *st)
{
	if (!sql_in_transaction(st))
		return;
	if (st->grouped && !st->group_bare) {
		exec_quietly(st, "ROLLBACK TO SAVEPOINT grouped");
		exec_quietly(st, "RELEASE SAVEPOINT grouped");
		return;
	}
	st->grouped = 0; /* the group's first: the group goes with it, holding nothing else */
	exec_quietly(st, "ROLLBACK");
}

int store_group_begin(struct store *st, struct strbuf *err)
{
	if (st->grouped)
		return 0;
	int rc = sql_begin(st, err);
	st->grouped = !rc;
	st->group_holds = 0;
	return rc;
}

int store_group_commit(struct store *st, struct strbuf *err)
{
	if (!st->grouped)
		return 0;
	st->grouped = 0;
	/*
	 * A failure inside may have ended the transaction (SQLite rolls it
	 * back on a full disk; a lost PostgreSQL connection takes it along):
	 * then nothing of the group was written, which COMMIT would not say.
	 */
	if (!sql_in_transaction(st)) {
		strbuf_addstr(err, "the group's transaction was rolled back by a failure inside it");
		return -1;
	}
	if (st->pg && pg_transaction_failed(st->pg)) {
		strbuf_addstr(err,
			      "a statement of the group's transaction failed outside its savepoints");
		sql_rollback(st);
		return -1;
	}
	if (!sql_commit(st, err))
		return 0;
	sql_rollback(st);
	return -1;
}

int store_group_open(const struct store *st)
{
	return st->grouped;
}

int store_set_idle_limit(struct store *st, long long ms, struct strbuf *err)
{
	if (!st->pg || !pg_set_idle_limit(st->pg, ms))
		return 0;
	strbuf_addf(err, "store: cannot limit idle transactions: %s", pg_errmsg(st->pg));
	return -1;
}

void store_error_clear(struct store *st)
{
	st->failed_rc = SQLITE_OK;
	st->failed_transient = 0;
}

int store_error_is_transient(const struct store *st)
{
	if (st->pg)
		return st->failed_transient;
	int rc = st->failed_rc & 0xff;
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_FULL;
}

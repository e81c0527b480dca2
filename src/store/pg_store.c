/*
 * PostgreSQL backend: opening a store by URL, bringing its schema to this
 * ragops's version (one process at a time, under an advisory lock), and
 * refusing a schema newer than the code: a machine left on an older
 * ragops must not write rows it does not understand.
 */
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "core/xalloc.h"
#include "store/pg_conn.h"
#include "store/pg_migrations.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

/* pg_advisory_xact_lock's key for migrations: "ragops" in ASCII. */
#define MIGRATION_LOCK "126943505068147"

/* pg_advisory_lock's key for runs and retrainings (store_runs_lock): the next one. */
#define RUNS_LOCK "126943505068148"

/* The schema version on record, 0 for a new store, -1 when it cannot be read. */
static long long recorded_version(struct store *st, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, "SELECT version FROM schema_version", &stmt, err))
		return -1;
	int rc = sql_step(stmt);
	long long v = rc == SQL_ROW ? sql_column_int64(stmt, 0) : 0;
	if (rc != SQL_ROW && rc != SQL_DONE)
		v = sql_fail(st, "cannot read the schema version", err);
	sql_finalize(stmt);
	return v;
}

char *store_migrated_by(struct store *st, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (!st->pg)
		return NULL;
	if (sql_prepare(st, "SELECT ragops_version FROM schema_version", &stmt, err))
		return NULL;
	char *version = NULL;
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		version = sql_column_dup(stmt, 0);
	else if (rc != SQL_DONE)
		sql_fail(st, "cannot read which ragops migrated the store", err);
	sql_finalize(stmt);
	return version;
}

static int newer_than_code(long long version, struct strbuf *err)
{
	strbuf_addf(err,
		    "store: its schema is version %lld, newer than this ragops %s knows (%d):"
		    " upgrade ragops on this machine",
		    version, RAGOPS_VERSION, pg_migration_count);
	return -1;
}

/* Apply migration `k` (1-based) unless another process already has; 0 when done. */
static int migrate_one(struct store *st, int k, struct strbuf *err)
{
	if (sql_exec(st, "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", err))
		return -1;
	long long v = recorded_version(st, err);
	if (v < 0)
		goto fail;
	if (v > pg_migration_count) {
		newer_than_code(v, err);
		goto fail;
	}
	if (v >= k) /* done by another process while this one waited for the lock */
		return sql_commit(st, err) ? (sql_rollback(st), -1) : 0;
	long long version = k;
	const void *bump[] = { &version, RAGOPS_VERSION };
	int rc = sql_exec(st, pg_migrations[k - 1], err) ||
		 sql_exec(st, "DELETE FROM schema_version", err) ||
		 sql_exec_bound(st,
				"INSERT INTO schema_version (version, ragops_version)"
				" VALUES (CAST(? AS bigint), ?)",
				"it", bump, "cannot record the schema version", err) ||
		 sql_commit(st, err);
	if (rc) {
		strbuf_addf(err, " (migration %d)", k);
		goto fail;
	}
	return 0;
fail:
	sql_rollback(st);
	return -1;
}

/* Whether the version table exists: 1 or 0, -1 when that cannot be read. */
static int has_version_table(struct store *st, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, "SELECT to_regclass('schema_version') IS NOT NULL", &stmt, err))
		return -1;
	int rc = sql_step(stmt);
	int has = rc == SQL_ROW ? sql_column_int(stmt, 0) != 0 : -1;
	if (rc != SQL_ROW)
		sql_fail(st, "cannot look for the schema version", err);
	sql_finalize(stmt);
	return has;
}

static int pg_migrate(struct store *st, struct strbuf *err)
{
	/*
	 * A store already at this version is opened without a lock and without
	 * DDL: a role that may not create in the schema (a read-only one, say)
	 * opens it too, and opens do not queue behind one another.
	 */
	int has = has_version_table(st, err);
	if (has < 0)
		return -1;
	if (has) {
		long long v = recorded_version(st, err);
		if (v < 0)
			return -1;
		if (v > pg_migration_count)
			return newer_than_code(v, err);
		if (v == pg_migration_count)
			return 0;
	}
	/*
	 * The version table is made under the migrations' lock too: two
	 * first opens of an empty database at once would otherwise race in
	 * CREATE ... IF NOT EXISTS (a duplicate key in pg_type) or deadlock
	 * between its index and its first row.
	 */
	if (sql_exec(st, "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", err))
		return -1;
	if (sql_exec(st, pg_version_table, err) || sql_commit(st, err)) {
		sql_rollback(st);
		return -1;
	}
	long long v = recorded_version(st, err);
	if (v < 0)
		return -1;
	if (v > pg_migration_count)
		return newer_than_code(v, err);
	for (int k = (int)v + 1; k <= pg_migration_count; k++)
		if (migrate_one(st, k, err))
			return -1;
	return 0;
}

int pg_store_open(struct store **out, const char *url, struct strbuf *err)
{
	struct store *st = xcalloc(1, sizeof(*st));
	*out = NULL;
	if (pg_connect(&st->pg, url, err) || pg_migrate(st, err)) {
		store_close(&st);
		return -1;
	}
	*out = st;
	return 0;
}

int pg_store_schema_version(struct store *st)
{
	struct strbuf err = STRBUF_INIT;
	long long v = recorded_version(st, &err);
	strbuf_release(&err);
	return (int)v;
}

/* What store_check asks of a PostgreSQL store: constraints it enforces itself, so the counts. */
int pg_store_check(struct store *st, struct strbuf *report)
{
	long long v = pg_store_schema_version(st);
	if (v != pg_migration_count) {
		strbuf_addf(report, "schema version %lld, this ragops expects %d\n", v,
			    pg_migration_count);
		return 1;
	}
	return 0;
}

int store_runs_lock(struct store *st, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (!st->pg)
		return 0;
	if (sql_prepare(st, "SELECT pg_try_advisory_lock(" RUNS_LOCK ")", &stmt, err))
		return -1;
	int rc = sql_step(stmt);
	int taken = rc == SQL_ROW && sql_column_int(stmt, 0);
	if (rc != SQL_ROW)
		sql_fail(st, "cannot lock the store for a run", err);
	else if (!taken)
		strbuf_addstr(err, "another run or retraining holds the store (from another data "
				   "folder or machine): wait for it to finish");
	sql_finalize(stmt);
	return taken ? 0 : -1;
}

void store_runs_unlock(struct store *st)
{
	if (!st->pg)
		return;
	struct strbuf ignored = STRBUF_INIT;
	sql_exec(st, "SELECT pg_advisory_unlock(" RUNS_LOCK ")", &ignored);
	strbuf_release(&ignored);
}

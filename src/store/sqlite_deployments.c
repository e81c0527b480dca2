/*
 * Deployments (named flows on a cron schedule) and the runs they started.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "sqlite_internal.h"
#include "store/store.h"

#define DEPLOYMENT_COLUMNS                                                             \
	"name, cron, timezone, params, missed, overlap, paused, declared, created_at," \
	" updated_at, handled_through"

void deployment_release(struct deployment *d)
{
	free(d->name);
	free(d->cron);
	free(d->timezone);
	free(d->params);
	free(d->missed);
	free(d->overlap);
	memset(d, 0, sizeof(*d));
}

void deployments_free(struct deployment *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		deployment_release(&list[i]);
	free(list);
}

static void read_deployment(struct sql_stmt *stmt, struct deployment *d)
{
	d->name = sql_column_dup(stmt, 0);
	d->cron = sql_column_dup(stmt, 1);
	d->timezone = sql_column_dup(stmt, 2);
	d->params = sql_column_dup(stmt, 3);
	d->missed = sql_column_dup(stmt, 4);
	d->overlap = sql_column_dup(stmt, 5);
	d->paused = sql_column_int(stmt, 6);
	d->declared = sql_column_int(stmt, 7);
	d->created_at = sql_column_int64(stmt, 8);
	d->updated_at = sql_column_int64(stmt, 9);
	d->handled_through = sql_column_int64(stmt, 10);
}

enum lookup store_deployment_put(struct store *st, const struct deployment *d, int replace,
				 struct strbuf *err)
{
	/*
	 * A new deployment's schedule starts now: it owes nothing from before
	 * it existed.  An update keeps how far its schedule was handled, unless
	 * the schedule itself changed: then the new one starts now.
	 */
	static const char insert[] = "INSERT INTO deployments (" DEPLOYMENT_COLUMNS ")"
				     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9,"
				     "  coalesce(nullif(CAST(?10 AS BIGINT), 0), ?9))"
				     " ON CONFLICT (name) DO NOTHING";
	static const char upsert[] =
		"INSERT INTO deployments (" DEPLOYMENT_COLUMNS ")"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9,"
		"  coalesce(nullif(CAST(?10 AS BIGINT), 0), ?9))"
		" ON CONFLICT (name) DO UPDATE SET cron = ?2, timezone = ?3, params = ?4,"
		"  missed = ?5, overlap = ?6, paused = ?7, declared = ?8, updated_at = ?9,"
		/* a new schedule starts now: times of it that passed were never owed */
		/* the row's own columns named with their table: PostgreSQL finds them ambiguous */
		"  handled_through = CASE WHEN deployments.cron != ?2 OR deployments.timezone != ?3"
		"    THEN ?9 ELSE coalesce(nullif(CAST(?10 AS BIGINT), 0), deployments.handled_through)"
		"    END";
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, replace ? upsert : insert, &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_text(stmt, 1, d->name);
	sql_bind_text(stmt, 2, d->cron);
	sql_bind_text(stmt, 3, d->timezone);
	sql_bind_text(stmt, 4, d->params ? d->params : "{}");
	sql_bind_text(stmt, 5, d->missed);
	sql_bind_text(stmt, 6, d->overlap);
	sql_bind_int64(stmt, 7, d->paused);
	sql_bind_int64(stmt, 8, d->declared);
	sql_bind_int64(stmt, 9, time_now_ms());
	sql_bind_int64(stmt, 10, d->handled_through);
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	if (rc != SQL_DONE) {
		sql_fail(st, "cannot save the deployment", err);
		return LOOKUP_FAILED;
	}
	return sql_changes(st) ? LOOKUP_FOUND : LOOKUP_MISSING;
}

enum lookup store_deployment_get(struct store *st, const char *name, struct deployment *out,
				 struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	memset(out, 0, sizeof(*out));
	if (sql_prepare(st, "SELECT " DEPLOYMENT_COLUMNS " FROM deployments WHERE name = ?", &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_text(stmt, 1, name);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		read_deployment(stmt, out);
	enum lookup ret = sql_found(st, rc, "cannot read the deployment", err);
	sql_finalize(stmt);
	return ret;
}

int store_deployments_list(struct store *st, struct deployment **out, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st, "SELECT " DEPLOYMENT_COLUMNS " FROM deployments ORDER BY name", &stmt, err))
		return -1;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		memset(&(*out)[*n], 0, sizeof(**out));
		read_deployment(stmt, &(*out)[(*n)++]);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the deployments", err)) {
		deployments_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* Run one change on the named deployment: found when a row changed. */
static enum lookup change_one(struct store *st, const char *sql, const char *types,
			      const void *const *args, struct strbuf *err)
{
	if (sql_exec_bound(st, sql, types, args, "cannot change the deployment", err))
		return LOOKUP_FAILED;
	return sql_changes(st) ? LOOKUP_FOUND : LOOKUP_MISSING;
}

enum lookup store_deployment_pause(struct store *st, const char *name, int paused, struct strbuf *err)
{
	long long p = paused, now = time_now_ms();
	/*
	 * Resuming starts the schedule afresh: what fell due while paused was
	 * asked not to run, and is not caught up.  The casts (here and in
	 * store_deployment_save): PostgreSQL would type ?1 integer in "?1 = 0",
	 * bigint as paused's value, and fail (inconsistent types deduced).
	 */
	const void *args[] = { &p, &now, name };
	return change_one(st,
			  "UPDATE deployments SET paused = ?1, updated_at = ?2,"
			  " handled_through = CASE WHEN CAST(?1 AS BIGINT) = 0 AND paused = 1 THEN ?2"
			  "   ELSE handled_through END WHERE name = ?3",
			  "iit", args, err);
}

enum lookup store_deployment_delete(struct store *st, const char *name, struct strbuf *err)
{
	const void *args[] = { name };
	return change_one(st, "DELETE FROM deployments WHERE name = ?", "t", args, err);
}

int store_deployment_claim(struct store *st, const char *name, long long through, struct strbuf *err)
{
	const void *args[] = { &through, name };
	if (sql_exec_bound(st,
			   "UPDATE deployments SET handled_through = ?1"
			   " WHERE name = ?2 AND handled_through < ?1",
			   "it", args, "cannot record the deployment's schedule", err))
		return -1;
	return sql_changes(st) > 0;
}

int store_deployment_runs(struct store *st, const char *name, int limit, struct run_record **out,
			  size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st,
			"SELECT " RUN_COLUMNS " FROM runs WHERE deployment = ? ORDER BY id DESC LIMIT ?",
			&stmt, err))
		return -1;
	sql_bind_text(stmt, 1, name);
	sql_bind_limit(stmt, 2, limit);
	return sql_read_runs(st, stmt, out, n, err);
}

int store_deployment_running(struct store *st, const char *name, long long *run_id, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	*run_id = 0;
	if (sql_prepare(st, "SELECT max(id) FROM runs WHERE deployment = ? AND state = 'running'", &stmt,
			err))
		return -1;
	sql_bind_text(stmt, 1, name);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		*run_id = sql_column_int64(stmt, 0);
	enum lookup found = sql_found(st, rc, "cannot read the deployment's runs", err);
	sql_finalize(stmt);
	return found == LOOKUP_FAILED ? -1 : 0;
}

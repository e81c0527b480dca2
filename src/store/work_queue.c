/*
 * The work queue; see work_queue.h.  Claims follow the pattern of the
 * PostgreSQL queues (River, Oban, solid_queue): pick with FOR UPDATE SKIP
 * LOCKED so claimers never wait on each other, then mark the rows claimed
 * in the same statement.  A lease that ran out is claimed like a queued
 * item, under a new attempt number, whoever held it: rescuing needs
 * nothing of the dead worker, not even its locks.
 */
#include "store/work_queue.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/sqlite_internal.h"

int store_work_enqueue(struct store *st, long long run_id, const char *settings,
		       const struct work_new *items, size_t n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	long long now;
	if (!n)
		return 0;
	if (store_clock_ms(st, &now, err) || sql_begin(st, err))
		return -1;
	if (sql_prepare(st,
			"INSERT INTO work (run_id, doc_id, root, relpath, source, sha256, size, mtime,"
			" settings, enqueued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			&stmt, err))
		goto fail;
	sql_repeat(stmt);
	for (size_t i = 0; i < n; i++) {
		const struct work_new *w = &items[i];
		sql_bind_int64(stmt, 1, run_id);
		if (w->doc_id)
			sql_bind_int64(stmt, 2, w->doc_id);
		else
			sql_bind_null(stmt, 2);
		sql_bind_text(stmt, 3, w->root);
		sql_bind_text(stmt, 4, w->relpath);
		sql_bind_text(stmt, 5, w->source);
		sql_bind_text(stmt, 6, w->sha256);
		sql_bind_int64(stmt, 7, w->size);
		sql_bind_int64(stmt, 8, w->mtime);
		sql_bind_text(stmt, 9, settings);
		sql_bind_int64(stmt, 10, now);
		if (sql_step(stmt) != SQL_DONE) {
			sql_fail(st, "cannot enqueue the run's documents", err);
			strbuf_addf(err, " ('%s')", w->relpath);
			goto fail;
		}
		sql_reset(stmt);
	}
	sql_finalize(stmt);
	stmt = NULL;
	if (!sql_commit(st, err))
		return 0;
fail:
	sql_finalize(stmt);
	sql_rollback(st);
	return -1;
}

void work_claims_free(struct work_claim *claims, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(claims[i].root);
		free(claims[i].relpath);
		free(claims[i].source);
		free(claims[i].sha256);
		free(claims[i].owner);
	}
	free(claims);
}

/*
 * A claim is two statements, each walking a partial index of its own:
 * leases run out first (work_leases), then queued items in order
 * (work_queued).  One statement with "queued OR lease expired" could use
 * neither, and read every claimed row ahead of the first claimable one: a
 * drain of 20,000 items went quadratic (bench/pg.sh).  Nor is `runs`
 * joined (a planner without statistics then drove the scan from the run,
 * through all its items): a run that ends takes its items with it
 * (store_work_forget, and the reaping of a crashed run).  PostgreSQL
 * picks in a CTE (a LIMIT in IN (...) may be evaluated more than once and
 * claim more than asked) and skips rows another claimer holds locked;
 * SQLite has one writer at a time.  The time is the server's, read in the
 * statement: no round trip for it.
 */
#define NOW_LITE "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
/* now(), not clock_timestamp(): a stable value can bound an index scan (work_leases). */
#define NOW_PG "CAST(extract(epoch FROM now()) * 1000 AS bigint)"
#define CLAIMABLE(which, order)                                               \
	" FROM work w WHERE " which " AND w.settings = ?3"                    \
	" AND ((w.needs = 'any' AND ?4 = 1) OR (w.needs = 'ocr' AND ?5 = 1))" \
	" AND (CAST(?6 AS bigint) = 0 OR w.run_id = CAST(?6 AS bigint))"      \
	" ORDER BY " order " LIMIT ?7"
#define EXPIRED(now) "w.state = 'claimed' AND w.lease_until < " now
#define QUEUED       "w.state = 'queued'"
#define CLAIMED_COLUMNS(t)                                                                          \
	" " t "id, " t "run_id, coalesce(" t "doc_id, 0), " t "root, " t "relpath, " t "source, " t \
	"sha256, " t "size, " t "mtime, " t "attempt, " t "needs"
#define CLAIM_LITE(which, order)                                                                       \
	"WITH picked AS (SELECT w.id" CLAIMABLE(                                                       \
		which, order) ")"                                                                      \
			      " UPDATE work SET state = 'claimed', owner = ?1, attempt = attempt + 1," \
			      " lease_until = " NOW_LITE " + CAST(?2 AS bigint)"                       \
			      " WHERE id IN (SELECT id FROM picked) RETURNING" CLAIMED_COLUMNS("")
#define CLAIM_PG(which, order)                                                                       \
	"WITH picked AS (SELECT w.id" CLAIMABLE(                                                     \
		which,                                                                               \
		order) " FOR UPDATE SKIP LOCKED)"                                                    \
		       " UPDATE work SET state = 'claimed', owner = ?1, attempt = work.attempt + 1," \
		       " lease_until = " NOW_PG " + CAST(?2 AS bigint)"                              \
		       " FROM picked WHERE work.id = picked.id RETURNING" CLAIMED_COLUMNS("work.")

static const char rescue_lite[] = CLAIM_LITE(EXPIRED(NOW_LITE), "w.lease_until");
static const char rescue_pg[] = CLAIM_PG(EXPIRED(NOW_PG), "w.lease_until");
static const char take_lite[] = CLAIM_LITE(QUEUED, "w.id");
static const char take_pg[] = CLAIM_PG(QUEUED, "w.id");

/* One of the two claims: appends to *claims, up to max in all. */
static int claim_with(struct store *st, const char *sql, const char *owner, long long lease_ms,
		      const struct work_filter *filter, size_t max, struct work_claim **claims,
		      size_t *count, size_t *alloc, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	int rc;
	if (sql_prepare_kept(st, sql, &stmt, err))
		return -1;
	sql_bind_text(stmt, 1, owner);
	sql_bind_int64(stmt, 2, lease_ms);
	sql_bind_text(stmt, 3, filter->settings);
	sql_bind_int64(stmt, 4, filter->extract != 0);
	sql_bind_int64(stmt, 5, filter->ocr != 0);
	sql_bind_int64(stmt, 6, filter->run_id);
	sql_bind_limit(stmt, 7, (long long)(max - *count));
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*claims, *count + 1, *alloc);
		struct work_claim *c = &(*claims)[(*count)++];
		memset(c, 0, sizeof(*c));
		c->id = sql_column_int64(stmt, 0);
		c->run_id = sql_column_int64(stmt, 1);
		c->doc_id = sql_column_int64(stmt, 2);
		c->root = sql_column_dup(stmt, 3);
		c->relpath = sql_column_dup(stmt, 4);
		c->source = sql_column_dup(stmt, 5);
		c->sha256 = sql_column_dup(stmt, 6);
		c->size = sql_column_int64(stmt, 7);
		c->mtime = sql_column_int64(stmt, 8);
		c->attempt = sql_column_int64(stmt, 9);
		const char *needs = sql_column_text(stmt, 10);
		c->needs_ocr = needs && !strcmp(needs, "ocr");
		c->owner = xstrdup(owner);
	}
	sql_kept_done(st, stmt);
	return rc == SQL_DONE ? 0 : sql_fail(st, "cannot claim work", err);
}

int store_work_claim(struct store *st, const char *owner, long long lease_ms,
		     const struct work_filter *filter, size_t max, struct work_claim **out, size_t *n,
		     struct strbuf *err)
{
	struct work_claim *claims = NULL;
	size_t count = 0, alloc = 0;
	*out = NULL;
	*n = 0;
	/* A document whose last attempt's worker died is given up, not claimed again. */
	long long most = WORK_MAX_ATTEMPTS;
	const void *args[] = { &most };
	if (sql_exec_bound(st,
			   SQL_PICK(st,
				    "UPDATE work SET state = 'done', outcome = 'abandoned'"
				    " WHERE state = 'claimed' AND lease_until < " NOW_LITE
				    " AND attempt >= ?",
				    "UPDATE work SET state = 'done', outcome = 'abandoned'"
				    " WHERE state = 'claimed' AND lease_until < " NOW_PG
				    " AND attempt >= ?"),
			   "i", args, "cannot give up work", err))
		return -1;
	/*
	 * A document rescued is claimed alone: its worker died (or lost the
	 * store) with a batch, and if one of the batch killed it, the others
	 * must not share its attempts, nor be given up with it.
	 */
	if (claim_with(st, SQL_PICK(st, rescue_lite, rescue_pg), owner, lease_ms, filter, 1, &claims,
		       &count, &alloc, err) ||
	    (count == 0 && claim_with(st, SQL_PICK(st, take_lite, take_pg), owner, lease_ms, filter, max,
				      &claims, &count, &alloc, err))) {
		/* What the first statement claimed stays claimed: its lease runs out for another. */
		work_claims_free(claims, count);
		return -1;
	}
	*out = claims;
	*n = count;
	return 0;
}

int store_work_release(struct store *st, const struct work_claim *c, int needs_ocr, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st,
			"UPDATE work SET state = 'queued', owner = NULL, lease_until = 0, needs = ?4,"
			" attempt = attempt - 1"
			" WHERE id = ?1 AND attempt = ?2 AND owner = ?3 AND state = 'claimed'",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, c->id);
	sql_bind_int64(stmt, 2, c->attempt);
	sql_bind_text(stmt, 3, c->owner);
	sql_bind_text(stmt, 4, needs_ocr ? "ocr" : "any");
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	if (rc != SQL_DONE)
		return sql_fail(st, "cannot give the work item back", err);
	return sql_changes(st) > 0;
}

int store_claim_lost(const struct store *st)
{
	return st->claim_lost;
}

/*
 * The fence of a document's save (store_doc_save), first in its
 * transaction: the item is marked done only while this claim holds it,
 * and the row stays locked until the commit, so a rescuer skips it.
 */
int work_fence_begin(struct store *st, const struct work_claim *c, const char *outcome,
		     struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	st->claim_lost = 0;
#define FENCE(now)                                                             \
	"UPDATE work SET state = 'done', finished_at = " now ", outcome = ?4," \
	" ocr_pages = ?5, ocr_failed = ?6, ocr_flagged = ?7, ocr_read = ?8,"   \
	" ocr_confidence_sum = ?9, ocr_cached = ?10, ocr_seconds = ?11"        \
	" WHERE id = ?1 AND attempt = ?2 AND owner = ?3 AND state = 'claimed'" \
	" AND lease_until >= " now " AND run_id IN (SELECT id FROM runs WHERE state = 'running')"
	if (sql_prepare_kept(st, SQL_PICK(st, FENCE(NOW_LITE), FENCE(NOW_PG)), &stmt, err))
		return -1;
#undef FENCE
	sql_bind_int64(stmt, 1, c->id);
	sql_bind_int64(stmt, 2, c->attempt);
	sql_bind_text(stmt, 3, c->owner);
	sql_bind_text(stmt, 4, outcome);
	sql_bind_int64(stmt, 5, c->ocr.pages);
	sql_bind_int64(stmt, 6, c->ocr.failed);
	sql_bind_int64(stmt, 7, c->ocr.flagged);
	sql_bind_int64(stmt, 8, c->ocr.read_pages);
	sql_bind_double(stmt, 9, c->ocr.confidence_sum);
	sql_bind_int64(stmt, 10, c->ocr.cached);
	sql_bind_double(stmt, 11, c->ocr.seconds);
	int rc = sql_step(stmt);
	sql_kept_done(st, stmt);
	if (rc != SQL_DONE)
		return sql_fail(st, "cannot mark the work item done", err);
	if (sql_changes(st) == 0) {
		st->claim_lost = 1;
		strbuf_addf(err,
			    "lost its claim on '%s' (work item %lld, attempt %lld): its lease ran out "
			    "(another worker takes it over) or its run ended, so this result is "
			    "dropped",
			    c->relpath, c->id, c->attempt);
		return -1;
	}
	return 0;
}

/* The document the fenced save wrote, once it has an id. */
int work_fence_end(struct store *st, const struct work_claim *c, long long doc_id, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare_kept(st, "UPDATE work SET doc_id = ?2 WHERE id = ?1", &stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, c->id);
	sql_bind_int64(stmt, 2, doc_id);
	int rc = sql_step(stmt);
	sql_kept_done(st, stmt);
	return rc == SQL_DONE ? 0 : sql_fail(st, "cannot record the work item's document", err);
}

int store_worker_register(struct store *st, const struct worker_info *w, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	long long now;
	if (store_clock_ms(st, &now, err))
		return -1;
	/* Stopped workers are forgotten after a week, lost ones after a day: restarts add up. */
	long long day = 24LL * 3600 * 1000;
	const void *prune_args[] = { &(long long){ now - 7 * day }, &(long long){ now - day } };
	if (sql_exec_bound(st,
			   "DELETE FROM workers WHERE heartbeat_at < ?"
			   " OR (stopped_at IS NULL AND heartbeat_at < ?)",
			   "ii", prune_args, "cannot forget old workers", err))
		return -1;
	if (sql_prepare(st,
			"INSERT INTO workers (id, name, host, pid, version, stages, started_at,"
			" heartbeat_at, lease_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			&stmt, err))
		return -1;
	sql_bind_text(stmt, 1, w->id);
	sql_bind_text(stmt, 2, w->name);
	sql_bind_text(stmt, 3, w->host);
	sql_bind_int64(stmt, 4, w->pid);
	sql_bind_text(stmt, 5, w->version);
	sql_bind_text(stmt, 6, w->stages);
	sql_bind_int64(stmt, 7, now);
	sql_bind_int64(stmt, 8, now);
	sql_bind_int64(stmt, 9, w->lease_ms);
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	return rc == SQL_DONE ? 0 : sql_fail(st, "cannot register the worker", err);
}

long long store_worker_beat(struct store *st, const char *id, long long lease_ms, int in_ocr,
			    struct strbuf *err)
{
	const void *beat_args[] = { id };
	if (sql_exec_bound(st,
			   SQL_PICK(st, "UPDATE workers SET heartbeat_at = " NOW_LITE " WHERE id = ?",
				    "UPDATE workers SET heartbeat_at = " NOW_PG " WHERE id = ?"),
			   "t", beat_args, "cannot record the worker's heartbeat", err))
		return -1;
	/*
	 * Only leases still running: one that ran out (the worker paused, or
	 * the store was down longer) is another's to take, and its fenced save
	 * fails; renewing it would bring back a claim nobody works on.
	 */
	const void *lease_args[] = { &lease_ms, id };
	/*
	 * On PostgreSQL, rows locked are skipped, not waited for: the worker's
	 * own save holds its document's row until it commits, and a beat that
	 * waited for it would let the batch's other leases run out meanwhile.
	 */
#define RENEW(table, key, held, now, skip)                                                  \
	"UPDATE " table " SET lease_until = " now " + CAST(? AS bigint) WHERE (" key ") IN" \
	" (SELECT " key " FROM " table " WHERE owner = ?" held " AND lease_until >= " now skip ")"
	if (sql_exec_bound(st,
			   SQL_PICK(st, RENEW("work", "id", " AND state = 'claimed'", NOW_LITE, ""),
				    RENEW("work", "id", " AND state = 'claimed'", NOW_PG,
					  " FOR UPDATE SKIP LOCKED")),
			   "it", lease_args, "cannot renew the worker's leases", err))
		return -1;
	long long renewed = sql_changes(st);
	/* Slots live only while the worker reads pages: one it could not give back goes now. */
	if (!in_ocr) {
		if (store_slots_give(st, "ocr", id, err))
			return -1;
	} else if (sql_exec_bound(st,
				  SQL_PICK(st, RENEW("slots", "kind, n", "", NOW_LITE, ""),
					   RENEW("slots", "kind, n", "", NOW_PG,
						 " FOR UPDATE SKIP LOCKED")),
				  "it", lease_args, "cannot renew the worker's slots", err)) {
		return -1;
	}
#undef RENEW
	return renewed;
}

int store_work_release_held(struct store *st, const char *owner, struct strbuf *err)
{
	long long most = WORK_MAX_ATTEMPTS;
	const void *args[] = { owner, &most };
	if (sql_exec_bound(st,
			   "UPDATE work SET state = 'done', outcome = 'abandoned'"
			   " WHERE owner = ? AND state = 'claimed' AND attempt >= ?",
			   "ti", args, "cannot give up the worker's claims", err))
		return -1;
	long long given_up = sql_changes(st);
	if (sql_exec_bound(st,
			   "UPDATE work SET state = 'queued', owner = NULL, lease_until = 0"
			   " WHERE owner = ? AND state = 'claimed'",
			   "t", args, "cannot give the worker's claims back", err))
		return -1;
	return (int)(given_up + sql_changes(st));
}

char *store_work_abandoned(struct store *st, long long run_id, long long *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	struct strbuf list = STRBUF_INIT;
	int rc;
	*n = 0;
	if (sql_prepare(st,
			"SELECT relpath FROM work WHERE run_id = ? AND outcome = 'abandoned'"
			" ORDER BY relpath",
			&stmt, err))
		return NULL;
	sql_bind_int64(stmt, 1, run_id);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		strbuf_addf(&list, "%s%s", list.len ? ", " : "", sql_column_text(stmt, 0));
		(*n)++;
	}
	if (sql_rows_end(st, stmt, rc, "cannot list the documents given up", err)) {
		strbuf_release(&list);
		*n = 0;
		return NULL;
	}
	return *n ? strbuf_detach(&list, NULL) : (strbuf_release(&list), NULL);
}

long long store_work_foreign(struct store *st, const char *settings, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, "SELECT count(*) FROM work WHERE state = 'queued' AND settings <> ?", &stmt,
			err))
		return -1;
	sql_bind_text(stmt, 1, settings);
	int rc = sql_step(stmt);
	long long n = rc == SQL_ROW ? sql_column_int64(stmt, 0) : -1;
	sql_finalize(stmt);
	if (rc != SQL_ROW)
		return sql_fail(st, "cannot count the queued documents", err);
	return n;
}

int store_slots_take(struct store *st, const char *kind, long long total, const char *owner,
		     long long lease_ms, long long want, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	long long now;
	if (store_clock_ms(st, &now, err) || sql_prepare(st,
							 "INSERT INTO slots (kind, n) VALUES (?, ?)"
							 " ON CONFLICT (kind, n) DO NOTHING",
							 &stmt, err))
		return -1;
	/*
	 * The rows up to the limit as configured now (a limit lowered leaves
	 * rows past it unused).  The owner's own count as free: slots it could
	 * not give back (the store was down) are its to take again.
	 */
	sql_repeat(stmt);
	for (long long n = 1; n <= total; n++) {
		sql_bind_text(stmt, 1, kind);
		sql_bind_int64(stmt, 2, n);
		if (sql_step(stmt) != SQL_DONE) {
			sql_finalize(stmt);
			return sql_fail(st, "cannot create the cluster's slots", err);
		}
		sql_reset(stmt);
	}
	sql_finalize(stmt);
	const char *sql = SQL_PICK(
		st,
		"UPDATE slots SET owner = ?1, lease_until = CAST(?2 AS bigint) + CAST(?3 AS bigint)"
		" WHERE kind = ?4 AND n IN (SELECT n FROM slots WHERE kind = ?4 AND n <= ?5"
		"   AND (owner IS NULL OR owner = ?1 OR lease_until < CAST(?2 AS bigint)) ORDER BY n LIMIT ?6)",
		"WITH picked AS (SELECT kind, n FROM slots WHERE kind = ?4 AND n <= ?5"
		"   AND (owner IS NULL OR owner = ?1 OR lease_until < CAST(?2 AS bigint)) ORDER BY n LIMIT ?6"
		"   FOR UPDATE SKIP LOCKED)"
		" UPDATE slots SET owner = ?1, lease_until = CAST(?2 AS bigint) + CAST(?3 AS bigint)"
		" FROM picked WHERE slots.kind = picked.kind AND slots.n = picked.n");
	if (sql_prepare(st, sql, &stmt, err))
		return -1;
	sql_bind_text(stmt, 1, owner);
	sql_bind_int64(stmt, 2, now);
	sql_bind_int64(stmt, 3, lease_ms);
	sql_bind_text(stmt, 4, kind);
	sql_bind_int64(stmt, 5, total);
	sql_bind_limit(stmt, 6, want);
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	if (rc != SQL_DONE)
		return sql_fail(st, "cannot take a slot", err);
	return sql_changes(st);
}

long long store_slots_held(struct store *st, const char *kind, const char *owner, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare_kept(st,
			     SQL_PICK(st,
				      "SELECT count(*) FROM slots WHERE kind = ? AND owner = ?"
				      " AND lease_until >= " NOW_LITE,
				      "SELECT count(*) FROM slots WHERE kind = ? AND owner = ?"
				      " AND lease_until >= " NOW_PG),
			     &stmt, err))
		return -1;
	sql_bind_text(stmt, 1, kind);
	sql_bind_text(stmt, 2, owner);
	int rc = sql_step(stmt);
	long long n = rc == SQL_ROW ? sql_column_int64(stmt, 0) : -1;
	sql_kept_done(st, stmt);
	if (rc != SQL_ROW)
		return sql_fail(st, "cannot count the worker's slots", err);
	return n;
}

int store_slots_give(struct store *st, const char *kind, const char *owner, struct strbuf *err)
{
	const void *args[] = { kind, owner };
	return sql_exec_bound(
		st, "UPDATE slots SET owner = NULL, lease_until = 0 WHERE kind = ? AND owner = ?", "tt",
		args, "cannot give the slots back", err);
}

int store_worker_stopped(struct store *st, const char *id, struct strbuf *err)
{
	long long now;
	if (store_clock_ms(st, &now, err))
		return -1;
	const void *args[] = { &now, id };
	return sql_exec_bound(st, "UPDATE workers SET stopped_at = ? WHERE id = ?", "it", args,
			      "cannot record that the worker stopped", err);
}

int store_workers_list(struct store *st, struct worker_row **out, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	struct worker_row *rows = NULL;
	size_t count = 0, alloc = 0;
	long long now;
	int rc;
	*out = NULL;
	*n = 0;
	if (store_clock_ms(st, &now, err))
		return -1;
	const char *sql =
		SQL_PICK(st,
			 "SELECT k.id, k.name, k.host, k.pid, k.version, k.stages, k.started_at,"
			 " k.heartbeat_at, coalesce(k.stopped_at, 0), k.lease_ms,"
			 " (SELECT count(*) FROM work w WHERE w.owner = k.id AND w.state = 'claimed'),"
			 " (SELECT group_concat(relpath, ', ') FROM (SELECT relpath FROM work w"
			 "   WHERE w.owner = k.id AND w.state = 'claimed' ORDER BY w.id LIMIT 5))"
			 " FROM workers k ORDER BY k.stopped_at IS NOT NULL, k.started_at DESC",
			 "SELECT k.id, k.name, k.host, k.pid, k.version, k.stages, k.started_at,"
			 " k.heartbeat_at, coalesce(k.stopped_at, 0), k.lease_ms,"
			 " (SELECT count(*) FROM work w WHERE w.owner = k.id AND w.state = 'claimed'),"
			 " (SELECT string_agg(relpath, ', ') FROM (SELECT relpath FROM work w"
			 "   WHERE w.owner = k.id AND w.state = 'claimed' ORDER BY w.id LIMIT 5) held)"
			 " FROM workers k ORDER BY k.stopped_at IS NOT NULL, k.started_at DESC");
	if (sql_prepare(st, sql, &stmt, err))
		return -1;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(rows, count + 1, alloc);
		struct worker_row *r = &rows[count++];
		r->id = sql_column_dup(stmt, 0);
		r->name = sql_column_dup(stmt, 1);
		r->host = sql_column_dup(stmt, 2);
		r->pid = sql_column_int64(stmt, 3);
		r->version = sql_column_dup(stmt, 4);
		r->stages = sql_column_dup(stmt, 5);
		r->started_at = sql_column_int64(stmt, 6);
		r->heartbeat_at = sql_column_int64(stmt, 7);
		r->stopped_at = sql_column_int64(stmt, 8);
		r->lease_ms = sql_column_int64(stmt, 9);
		r->holding = sql_column_int64(stmt, 10);
		r->held = sql_column_dup(stmt, 11);
		r->now = now;
	}
	if (sql_rows_end(st, stmt, rc, "cannot list the workers", err)) {
		worker_rows_free(rows, count);
		return -1;
	}
	*out = rows;
	*n = count;
	return 0;
}

void worker_rows_free(struct worker_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].id);
		free(rows[i].name);
		free(rows[i].host);
		free(rows[i].version);
		free(rows[i].stages);
		free(rows[i].held);
	}
	free(rows);
}

int store_work_counts(struct store *st, long long run_id, struct work_counts *out, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	long long now;
	memset(out, 0, sizeof(*out));
	if (store_clock_ms(st, &now, err) ||
	    sql_prepare(st,
			"SELECT count(*) FILTER (WHERE state = 'queued'),"
			" count(*) FILTER (WHERE state = 'claimed'),"
			" count(*) FILTER (WHERE state = 'done'),"
			" count(*) FILTER (WHERE state = 'cancelled'),"
			" count(*) FILTER (WHERE state = 'claimed' AND lease_until < CAST(?2 AS bigint)),"
			" count(*) FILTER (WHERE state = 'queued' AND needs = 'ocr')"
			" FROM work WHERE run_id = ?1",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, run_id);
	sql_bind_int64(stmt, 2, now);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW) {
		out->queued = sql_column_int64(stmt, 0);
		out->claimed = sql_column_int64(stmt, 1);
		out->done = sql_column_int64(stmt, 2);
		out->cancelled = sql_column_int64(stmt, 3);
		out->expired = sql_column_int64(stmt, 4);
		out->waiting_for_ocr = sql_column_int64(stmt, 5);
	}
	sql_finalize(stmt);
	return rc == SQL_ROW ? 0 : sql_fail(st, "cannot count the run's work", err);
}

int store_work_cancel(struct store *st, long long run_id, struct strbuf *err)
{
	const void *args[] = { &run_id };
	return sql_exec_bound(st,
			      "UPDATE work SET state = 'cancelled' WHERE run_id = ? AND state = 'queued'",
			      "i", args, "cannot cancel the run's queued work", err);
}

int store_work_forget(struct store *st, long long run_id, struct strbuf *err)
{
	const void *args[] = { &run_id };
	return sql_exec_bound(st,
			      "DELETE FROM work WHERE run_id = ? OR run_id IN"
			      " (SELECT id FROM runs WHERE state <> 'running')",
			      "i", args, "cannot clear the run's work items", err);
}

int store_work_run_stats(struct store *st, long long run_id, struct run_stats *stats,
			 struct work_ocr *ocr, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	/* A failed document keeps the counts of its last good version: they are not this run's. */
	if (sql_prepare(st,
			"WITH saved AS (SELECT d.* FROM work w JOIN documents d ON d.id = w.doc_id"
			"   WHERE w.run_id = ?1 AND w.state = 'done'),"
			" good AS (SELECT * FROM saved WHERE status <> 'failed')"
			" SELECT (SELECT count(*) FROM saved WHERE status = 'failed'),"
			" (SELECT CAST(coalesce(sum(pages), 0) AS bigint) FROM good),"
			" (SELECT CAST(coalesce(sum(pages_needing_ocr), 0) AS bigint) FROM good),"
			" (SELECT CAST(coalesce(sum(chunks), 0) AS bigint) FROM good),"
			" (SELECT CAST(coalesce(sum(chars), 0) AS bigint) FROM good),"
			/* sum(bigint) is numeric on PostgreSQL */
			" CAST(coalesce(sum(ocr_pages), 0) AS bigint),"
			" CAST(coalesce(sum(ocr_failed), 0) AS bigint),"
			" CAST(coalesce(sum(ocr_flagged), 0) AS bigint),"
			" CAST(coalesce(sum(ocr_read), 0) AS bigint),"
			" coalesce(sum(ocr_confidence_sum), 0),"
			" CAST(coalesce(sum(ocr_cached), 0) AS bigint), coalesce(sum(ocr_seconds), 0)"
			" FROM work WHERE run_id = ?1 AND state = 'done'",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, run_id);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW) {
		stats->docs_failed = sql_column_int64(stmt, 0);
		stats->pages = sql_column_int64(stmt, 1);
		stats->pages_needing_ocr = sql_column_int64(stmt, 2);
		stats->chunks = sql_column_int64(stmt, 3);
		stats->chars = sql_column_int64(stmt, 4);
		ocr->pages = sql_column_int64(stmt, 5);
		ocr->failed = sql_column_int64(stmt, 6);
		ocr->flagged = sql_column_int64(stmt, 7);
		ocr->read_pages = sql_column_int64(stmt, 8);
		ocr->confidence_sum = sql_column_double(stmt, 9);
		ocr->cached = sql_column_int64(stmt, 10);
		ocr->seconds = sql_column_double(stmt, 11);
	}
	sql_finalize(stmt);
	return rc == SQL_ROW ? 0 : sql_fail(st, "cannot add up the run's work", err);
}

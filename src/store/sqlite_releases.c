/*
 * SQLite backend: releases.  A release is a set of document versions
 * (release_docs) plus the lexicon and embedder built for them; chunks and
 * vectors are shared by every release that holds their version, so keeping
 * the previous release costs only what changed.  Here: the records, their
 * creation, promotion, refusal, rollback and audit; what a release holds,
 * and retention, are in sqlite_release_content.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

void release_record_release(struct release_record *r)
{
	free(r->state);
	free(r->settings);
	free(r->changes);
	free(r->metrics);
	free(r->checks);
	free(r->eval_key);
	free(r->lexicon_path);
	free(r->lexicon_version);
	free(r->embedder_name);
	free(r->embedder_version);
	free(r->embedder_path);
	free(r->embedder_params);
	memset(r, 0, sizeof(*r));
}

void release_records_free(struct release_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		release_record_release(&r[i]);
	free(r);
}

#define RELEASE_COLUMNS                                                                             \
	"SELECT r.id, coalesce(r.run_id, 0), coalesce(r.parent_id, 0), coalesce(r.previous_id, 0)," \
	" r.created_at, coalesce(r.decided_at, 0), r.documents, r.chunks,"                          \
	" coalesce(r.lexicon_id, 0), coalesce(r.embedder_id, 0), r.state, r.settings, r.changes,"   \
	" r.metrics, r.checks, r.eval_key, l.path, l.version, e.name, e.version, e.path, e.params"  \
	" FROM releases r LEFT JOIN models l ON l.id = r.lexicon_id"                                \
	" LEFT JOIN models e ON e.id = r.embedder_id "

static void read_release(struct sql_stmt *stmt, struct release_record *r)
{
	long long *ints[] = { &r->id,         &r->run_id,     &r->parent_id, &r->previous_id,
			      &r->created_at, &r->decided_at, &r->documents, &r->chunks,
			      &r->lexicon_id, &r->embedder_id };
	char **texts[] = {
		&r->state,         &r->settings,         &r->changes,       &r->metrics,
		&r->checks,        &r->eval_key,         &r->lexicon_path,  &r->lexicon_version,
		&r->embedder_name, &r->embedder_version, &r->embedder_path, &r->embedder_params
	};
	int col = 0;
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		*ints[i] = sql_column_int64(stmt, col++);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		*texts[i] = sql_column_dup(stmt, col++);
}

/* Which release release_one reads: one complete statement each. */
enum release_pick { RELEASE_BY_ID, RELEASE_PRODUCTION, RELEASE_NEWEST };
static const char *const release_pick_sql[] = {
	[RELEASE_BY_ID] = RELEASE_COLUMNS "WHERE r.id = ?1",
	[RELEASE_PRODUCTION] = RELEASE_COLUMNS "WHERE r.state = 'production'",
	[RELEASE_NEWEST] = RELEASE_COLUMNS "ORDER BY r.id DESC LIMIT 1",
};

static int release_one(struct store *st, enum release_pick pick, long long id,
		       struct release_record *out, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	memset(out, 0, sizeof(*out));
	if (sql_prepare(st, release_pick_sql[pick], &stmt, err))
		return -1;
	if (pick == RELEASE_BY_ID)
		sql_bind_int64(stmt, 1, id);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		read_release(stmt, out);
	int ret = sql_found(st, rc, "cannot read the releases", err);
	sql_finalize(stmt);
	return ret;
}

enum lookup store_release_get(struct store *st, long long id, struct release_record *out,
			      struct strbuf *err)
{
	return id ? release_one(st, RELEASE_BY_ID, id, out, err)
		  : release_one(st, RELEASE_PRODUCTION, 0, out, err);
}

enum lookup store_release_latest(struct store *st, struct release_record *out, struct strbuf *err)
{
	return release_one(st, RELEASE_NEWEST, 0, out, err);
}

int store_releases_list(struct store *st, unsigned limit, struct release_record **out, size_t *n,
			struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st, RELEASE_COLUMNS "ORDER BY r.id DESC LIMIT ?1", &stmt, err))
		return -1;
	sql_bind_limit(stmt, 1, limit ? (long long)limit : -1);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		memset(&(*out)[*n], 0, sizeof(**out));
		read_release(stmt, &(*out)[(*n)++]);
	}
	if (sql_rows_end(st, stmt, rc, "cannot list the releases", err)) {
		release_records_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

long long store_release_production_id(struct store *st, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, "SELECT id FROM releases WHERE state = 'production'", &stmt, err))
		return -1;
	int rc = sql_step(stmt);
	long long id = rc == SQL_ROW ? sql_column_int64(stmt, 0) : 0;
	enum lookup found = sql_found(st, rc, "cannot read the production release", err);
	sql_finalize(stmt);
	return found == LOOKUP_FAILED ? -1 : id;
}

int store_release_is_current(struct store *st, long long id, int *current, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	/* Equal sets: nothing in one that is not in the other. */
	if (sql_prepare(st,
			"SELECT NOT EXISTS (SELECT version_id FROM documents"
			"   WHERE version_id IS NOT NULL"
			"   EXCEPT SELECT version_id FROM release_docs WHERE release_id = ?1)"
			" AND NOT EXISTS (SELECT version_id FROM release_docs WHERE release_id = ?1"
			"   EXCEPT SELECT version_id FROM documents WHERE version_id IS NOT NULL)",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, id);
	int rc = sql_step(stmt);
	*current = rc == SQL_ROW && sql_column_int(stmt, 0);
	sql_finalize(stmt);
	return rc == SQL_ROW ? 0 : sql_fail(st, "cannot compare a release with the documents", err);
}

/* What changed between the parent and the new release, as JSON (lists capped, counts whole). */
static const char changes_sql[] =
	"WITH cur AS (SELECT v.doc_id, v.id AS vid, v.chunks FROM release_docs rd"
	"   JOIN doc_versions v ON v.id = rd.version_id WHERE rd.release_id = ?1),"
	" par AS (SELECT v.doc_id, v.id AS vid, v.chunks FROM release_docs rd"
	"   JOIN doc_versions v ON v.id = rd.version_id WHERE rd.release_id = ?2),"
	" added AS (SELECT doc_id FROM cur WHERE doc_id NOT IN (SELECT doc_id FROM par)),"
	" changed AS (SELECT cur.doc_id FROM cur JOIN par ON par.doc_id = cur.doc_id"
	"   WHERE cur.vid != par.vid),"
	" removed AS (SELECT doc_id FROM par WHERE doc_id NOT IN (SELECT doc_id FROM cur))"
	" UPDATE releases SET changes = json_object("
	"  'parent', nullif(?2, 0),"
	"  'added', (SELECT count(*) FROM added),"
	"  'changed', (SELECT count(*) FROM changed),"
	"  'removed', (SELECT count(*) FROM removed),"
	"  'added_docs', json((SELECT json_group_array(relpath) FROM (SELECT d.relpath FROM added"
	"     JOIN documents d ON d.id = added.doc_id ORDER BY d.relpath LIMIT 200))),"
	"  'changed_docs', json((SELECT json_group_array(relpath) FROM (SELECT d.relpath FROM changed"
	"     JOIN documents d ON d.id = changed.doc_id ORDER BY d.relpath LIMIT 200))),"
	"  'removed_docs', json((SELECT json_group_array(relpath) FROM (SELECT d.relpath FROM removed"
	"     JOIN documents d ON d.id = removed.doc_id ORDER BY d.relpath LIMIT 200))),"
	"  'chunks_before', (SELECT coalesce(sum(chunks), 0) FROM par),"
	"  'chunks_after', (SELECT coalesce(sum(chunks), 0) FROM cur))"
	" WHERE id = ?1";

static const char changes_sql_pg[] =
	"WITH cur AS (SELECT v.doc_id, v.id AS vid, v.chunks FROM release_docs rd"
	"   JOIN doc_versions v ON v.id = rd.version_id WHERE rd.release_id = ?1),"
	" par AS (SELECT v.doc_id, v.id AS vid, v.chunks FROM release_docs rd"
	"   JOIN doc_versions v ON v.id = rd.version_id WHERE rd.release_id = ?2),"
	" added AS (SELECT doc_id FROM cur WHERE doc_id NOT IN (SELECT doc_id FROM par)),"
	" changed AS (SELECT cur.doc_id FROM cur JOIN par ON par.doc_id = cur.doc_id"
	"   WHERE cur.vid != par.vid),"
	" removed AS (SELECT doc_id FROM par WHERE doc_id NOT IN (SELECT doc_id FROM cur))"
	" UPDATE releases SET changes = json_build_object("
	"  'parent', nullif(?2, 0),"
	"  'added', (SELECT count(*) FROM added),"
	"  'changed', (SELECT count(*) FROM changed),"
	"  'removed', (SELECT count(*) FROM removed),"
	"  'added_docs', (SELECT coalesce(json_agg(relpath), '[]') FROM (SELECT d.relpath FROM added"
	"     JOIN documents d ON d.id = added.doc_id ORDER BY d.relpath LIMIT 200) l),"
	"  'changed_docs', (SELECT coalesce(json_agg(relpath), '[]') FROM (SELECT d.relpath FROM changed"
	"     JOIN documents d ON d.id = changed.doc_id ORDER BY d.relpath LIMIT 200) l),"
	"  'removed_docs', (SELECT coalesce(json_agg(relpath), '[]') FROM (SELECT d.relpath FROM removed"
	"     JOIN documents d ON d.id = removed.doc_id ORDER BY d.relpath LIMIT 200) l),"
	"  'chunks_before', (SELECT coalesce(sum(chunks), 0) FROM par),"
	"  'chunks_after', (SELECT coalesce(sum(chunks), 0) FROM cur))::text"
	" WHERE id = ?1";

long long store_release_create(struct store *st, long long run_id, long long parent_id,
			       const char *settings_json, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	long long id = -1;
	if (sql_begin(st, err))
		return -1;
	if (sql_prepare(st,
			"INSERT INTO releases (run_id, parent_id, state, settings, created_at)"
			" VALUES (nullif(?, 0), nullif(?, 0), 'candidate', ?, ?)",
			&stmt, err))
		goto fail;
	sql_bind_int64(stmt, 1, run_id);
	sql_bind_int64(stmt, 2, parent_id);
	sql_bind_text(stmt, 3, settings_json ? settings_json : "{}");
	sql_bind_int64(stmt, 4, time_now_ms());
	if (sql_step(stmt) != SQL_DONE) {
		sql_fail(st, "cannot create the release", err);
		goto fail;
	}
	sql_finalize(stmt);
	stmt = NULL;
	id = sql_last_insert_id(st);
	const char *steps[] = {
		"INSERT INTO release_docs (release_id, version_id)"
		" SELECT CAST(?1 AS bigint), version_id FROM documents WHERE version_id IS NOT NULL",
		"UPDATE releases SET documents = (SELECT count(*) FROM release_docs WHERE release_id = ?1),"
		" chunks = (SELECT coalesce(sum(v.chunks), 0) FROM release_docs rd"
		"   JOIN doc_versions v ON v.id = rd.version_id WHERE rd.release_id = ?1) WHERE id = ?1",
		SQL_PICK(st, changes_sql, changes_sql_pg),
		/* What retraining learned carries over to the new documents. */
		"INSERT INTO release_models (release_id, kind, model_id)"
		" SELECT CAST(?1 AS bigint), kind, model_id"
		" FROM release_models WHERE release_id = (SELECT id FROM releases"
		"   WHERE state = 'production')",
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (sql_prepare(st, steps[i], &stmt, err))
			goto fail;
		sql_bind_int64(stmt, 1, id);
		if (i == 2)
			sql_bind_int64(stmt, 2, parent_id);
		if (sql_step(stmt) != SQL_DONE) {
			sql_fail(st, "cannot record the release's documents", err);
			goto fail;
		}
		sql_finalize(stmt);
		stmt = NULL;
	}
	if (sql_commit(st, err))
		goto fail;
	return id;
fail:
	sql_finalize(stmt);
	sql_rollback(st);
	return -1;
}

int store_release_set_models(struct store *st, long long id, long long lexicon_id, long long embedder_id,
			     struct strbuf *err)
{
	const void *args[] = { &lexicon_id, &embedder_id, &id };
	return sql_exec_bound(st,
			      "UPDATE releases SET lexicon_id = nullif(?, 0), embedder_id = nullif(?, 0)"
			      " WHERE id = ?",
			      "iii", args, "cannot record the release's models", err);
}

int store_release_set_verdict(struct store *st, long long id, const char *metrics, const char *checks,
			      const char *eval_key, struct strbuf *err)
{
	const void *args[] = { metrics, checks, eval_key, &id };
	return sql_exec_bound(st,
			      "UPDATE releases SET metrics = ?, checks = ?, eval_key = ? WHERE id = ?",
			      "ttti", args, "cannot record the gate's figures", err);
}

static int audit(struct store *st, const char *action, long long from, long long to,
		 const struct release_action *a, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st,
			"INSERT INTO release_events (at, action, from_id, to_id, actor, forced,"
			" reason) VALUES (?, ?, nullif(?, 0), nullif(?, 0), ?, ?, ?)",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, time_now_ms());
	sql_bind_text(stmt, 2, action);
	sql_bind_int64(stmt, 3, from);
	sql_bind_int64(stmt, 4, to);
	sql_bind_text(stmt, 5, a->actor ? a->actor : "unknown");
	sql_bind_int64(stmt, 6, a->forced);
	sql_bind_text(stmt, 7, a->reason);
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	return rc == SQL_DONE ? 0 : sql_fail(st, "cannot audit the change", err);
}

/* The models of release `id` become production ones; the others that were are archived. */
static int models_follow(struct store *st, long long id, struct strbuf *err)
{
	const void *args[] = { &id };
	return sql_exec_bound(
		st,
		"UPDATE models SET state = CASE WHEN id IN (SELECT model_id FROM"
		" release_model_ids WHERE release_id = ?1)"
		" THEN 'production' WHEN state = 'production' THEN 'archived' ELSE state END",
		"i", args, "cannot update the models' states", err);
}

/*
 * A transaction that reads production and then changes it.  SQLite's
 * BEGIN IMMEDIATE makes a second one wait; PostgreSQL's BEGIN does not,
 * so there a transaction advisory lock does: two promotions at once gave
 * one of them a raw unique violation (releases_one_production) instead of
 * "production moved meanwhile".
 */
static int begin_production_change(struct store *st, struct strbuf *err)
{
	if (sql_begin(st, err))
		return -1;
	if (st->pg && sql_exec(st, "SELECT pg_advisory_xact_lock(126943505068149)", err)) {
		sql_rollback(st);
		return -1;
	}
	return 0;
}

/* Switch production from `from` (0: none) to `to` in the open transaction. */
static int switch_production(struct store *st, long long from, long long to, int remember,
			     struct strbuf *err)
{
	long long now = time_now_ms();
	const void *off[] = { &from };
	const void *on[] = { &now, &from, &to };
	if (from && sql_exec_bound(st, "UPDATE releases SET state = 'archived' WHERE id = ?", "i", off,
				   "cannot archive the production release", err))
		return -1;
	/* A rollback keeps where the release it returns to came from: rollback again goes further back. */
	return sql_exec_bound(
		       st,
		       remember
			       ? "UPDATE releases SET state = 'production', decided_at = coalesce(decided_at, ?1),"
				 " previous_id = nullif(?2, 0) WHERE id = ?3"
			       : "UPDATE releases SET state = 'production', decided_at = coalesce(decided_at, ?1)"
				 " WHERE id = ?3",
		       "iii", on, "cannot put the release in production", err) ||
	       models_follow(st, to, err);
}

enum store_release_change store_release_promote(struct store *st, long long id, long long expected_from,
						const struct release_action *a, struct strbuf *err)
{
	struct release_record r;
	if (begin_production_change(st, err))
		return STORE_RELEASE_FAILED;
	enum lookup got = store_release_get(st, id, &r, err);
	if (got != LOOKUP_FOUND) {
		if (got == LOOKUP_MISSING)
			strbuf_addf(err, "no release %lld", id);
		sql_rollback(st);
		return got == LOOKUP_MISSING ? STORE_RELEASE_NO_SUCH : STORE_RELEASE_FAILED;
	}
	int already = !strcmp(r.state, "production");
	release_record_release(&r);
	if (already) {
		sql_rollback(st);
		strbuf_addf(err, "release %lld is already in production", id);
		return STORE_RELEASE_ALREADY;
	}
	long long from = store_release_production_id(st, err);
	if (from >= 0 && expected_from >= 0 && from != expected_from) {
		/* Measured against another production than the one there now: decide again. */
		sql_rollback(st);
		strbuf_addf(err, "production moved to release %lld meanwhile", from);
		return STORE_RELEASE_MOVED;
	}
	if (from < 0 || switch_production(st, from, id, 1, err) ||
	    audit(st, "promote", from, id, a, err) || sql_commit(st, err)) {
		sql_rollback(st);
		return STORE_RELEASE_FAILED;
	}
	return STORE_RELEASE_CHANGED;
}

enum store_release_change store_release_refuse(struct store *st, long long id,
					       const struct release_action *a, struct strbuf *err)
{
	long long now = time_now_ms();
	const void *args[] = { &now, &id };
	if (sql_begin(st, err))
		return STORE_RELEASE_FAILED;
	/* Only a candidate (or one refused before): someone may have promoted it by hand meanwhile. */
	if (sql_exec_bound(st,
			   "UPDATE releases SET state = 'refused', decided_at = ?1 WHERE id = ?2"
			   " AND state IN ('candidate', 'refused')",
			   "ii", args, "cannot refuse the release", err)) {
		sql_rollback(st);
		return STORE_RELEASE_FAILED;
	}
	if (!sql_changes(st)) {
		sql_rollback(st);
		strbuf_addf(err, "release %lld is no longer a candidate", id);
		return STORE_RELEASE_DECIDED;
	}
	if (sql_exec_bound(st,
			   "UPDATE models SET state = 'archived' WHERE state = 'candidate' AND id IN"
			   " (SELECT model_id FROM release_model_ids WHERE release_id = ?2)",
			   "ii", args, "cannot archive the refused models", err) ||
	    audit(st, "refuse", 0, id, a, err) || sql_commit(st, err)) {
		sql_rollback(st);
		return STORE_RELEASE_FAILED;
	}
	return STORE_RELEASE_CHANGED;
}

int store_release_abandon(struct store *st, long long id, struct strbuf *err)
{
	const void *args[] = { &id };
	if (sql_begin(st, err))
		return -1;
	if (sql_exec_bound(
		    st,
		    "UPDATE releases SET state = 'archived', checks = '[{\"check\":"
		    "\"abandoned\",\"ok\":false,\"detail\":\"its run stopped before the gate"
		    " decided, and the documents changed since\"}]' WHERE id = ?1 AND state = 'candidate'",
		    "i", args, "cannot archive an abandoned candidate", err) ||
	    sql_exec_bound(st,
			   "UPDATE models SET state = 'archived' WHERE state = 'candidate' AND id IN"
			   " (SELECT model_id FROM release_model_ids WHERE release_id = ?1)",
			   "i", args, "cannot archive the abandoned models", err) ||
	    sql_commit(st, err)) {
		sql_rollback(st);
		return -1;
	}
	return 0;
}

enum store_release_change store_release_rollback(struct store *st, const struct release_action *a,
						 long long *from, long long *to, struct strbuf *err)
{
	struct release_record cur;
	*from = *to = 0;
	if (begin_production_change(st, err))
		return STORE_RELEASE_FAILED;
	enum lookup got = store_release_get(st, 0, &cur, err);
	if (got != LOOKUP_FOUND) {
		sql_rollback(st);
		if (got == LOOKUP_MISSING)
			strbuf_addstr(err, "no release is in production");
		return got == LOOKUP_MISSING ? STORE_RELEASE_NO_SUCH : STORE_RELEASE_FAILED;
	}
	*from = cur.id;
	*to = cur.previous_id;
	release_record_release(&cur);
	struct release_record prev;
	got = *to ? store_release_get(st, *to, &prev, err) : LOOKUP_MISSING;
	if (got != LOOKUP_FOUND) {
		sql_rollback(st);
		if (got == LOOKUP_MISSING)
			strbuf_addf(err,
				    "release %lld replaced no release that is still kept: "
				    "nothing to roll back to",
				    *from);
		return got == LOOKUP_MISSING ? STORE_RELEASE_NO_SUCH : STORE_RELEASE_FAILED;
	}
	release_record_release(&prev);
	if (switch_production(st, *from, *to, 0, err) || audit(st, "rollback", *from, *to, a, err) ||
	    sql_commit(st, err)) {
		sql_rollback(st);
		return STORE_RELEASE_FAILED;
	}
	return STORE_RELEASE_CHANGED;
}

void release_events_free(struct release_event *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].action);
		free(e[i].actor);
		free(e[i].reason);
	}
	free(e);
}

int store_release_events(struct store *st, long long release_id, unsigned limit,
			 struct release_event **out, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st,
			"SELECT id, at, coalesce(from_id, 0), coalesce(to_id, 0), action, actor,"
			" forced, reason FROM release_events"
			" WHERE ?1 = 0 OR from_id = ?1 OR to_id = ?1 ORDER BY id DESC LIMIT ?2",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, release_id);
	sql_bind_limit(stmt, 2, limit ? (long long)limit : -1);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		struct release_event *e = &(*out)[(*n)++];
		e->id = sql_column_int64(stmt, 0);
		e->at = sql_column_int64(stmt, 1);
		e->from_id = sql_column_int64(stmt, 2);
		e->to_id = sql_column_int64(stmt, 3);
		e->action = sql_column_dup(stmt, 4);
		e->actor = sql_column_dup(stmt, 5);
		e->forced = sql_column_int(stmt, 6);
		e->reason = sql_column_dup(stmt, 7);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the release history", err)) {
		release_events_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

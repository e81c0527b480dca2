/*
 * SQLite backend: what retraining needs of the store -- the models a
 * release holds besides its lexicon and embedder, releases derived from
 * another one, and the record of every retraining.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

void release_models_free(struct release_model *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		model_record_release(&m[i].model);
	free(m);
}

int store_release_models(struct store *st, long long release, struct release_model **out, size_t *n,
			 struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st,
			"SELECT rm.kind, x.* FROM release_models rm JOIN (SELECT " MODEL_COLUMNS
			" FROM models) x ON x.id = rm.model_id WHERE rm.release_id = ?"
			" ORDER BY rm.kind",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, release);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		struct release_model *m = &(*out)[(*n)++];
		memset(m, 0, sizeof(*m));
		snprintf(m->kind, sizeof(m->kind), "%s", sql_column_text(stmt, 0));
		sql_read_model(stmt, 1, &m->model);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the release's models", err)) {
		release_models_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int store_release_set_model(struct store *st, long long release, const char *kind, long long model_id,
			    struct strbuf *err)
{
	const void *args[] = { &release, kind, &model_id };
	if (model_id)
		return sql_exec_bound(st,
				      "INSERT INTO release_models (release_id, kind, model_id)"
				      " VALUES (?, ?, ?) ON CONFLICT (release_id, kind)"
				      " DO UPDATE SET model_id = excluded.model_id",
				      "iti", args, "cannot attach the model to the release", err);
	return sql_exec_bound(st, "DELETE FROM release_models WHERE release_id = ? AND kind = ?", "it",
			      args, "cannot detach the model from the release", err);
}

long long store_release_derive(struct store *st, long long base, const char *changes_json,
			       struct strbuf *err)
{
	long long id = -1;
	if (sql_begin(st, err))
		return -1;
	long long now = time_now_ms();
	const void *args[] = { &base, changes_json ? changes_json : "{}", &now };
	if (sql_exec_bound(st,
			   "INSERT INTO releases (parent_id, state, documents, chunks, lexicon_id,"
			   " embedder_id, settings, changes, created_at)"
			   " SELECT id, 'candidate', documents, chunks, lexicon_id, embedder_id, settings,"
			   " ?2, ?3 FROM releases WHERE id = ?1",
			   "iti", args, "cannot derive a release", err))
		goto fail;
	if (!sql_changes(st)) {
		strbuf_addf(err, "no release %lld to derive from", base);
		goto fail;
	}
	id = sql_last_insert_id(st);
	const void *copy[] = { &id, &base };
	if (sql_exec_bound(st,
			   "INSERT INTO release_docs (release_id, version_id)"
			   " SELECT ?1, version_id FROM release_docs WHERE release_id = ?2",
			   "ii", copy, "cannot copy the release's documents", err) ||
	    sql_exec_bound(st,
			   "INSERT INTO release_models (release_id, kind, model_id)"
			   " SELECT ?1, kind, model_id FROM release_models WHERE release_id = ?2",
			   "ii", copy, "cannot copy the release's models", err) ||
	    sql_commit(st, err))
		goto fail;
	return id;
fail:
	sql_rollback(st);
	return -1;
}

int store_release_diff(struct store *st, long long from, long long to, long long *added,
		       long long *removed, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	*added = *removed = 0;
	if (sql_prepare(st,
			"SELECT"
			" (SELECT coalesce(sum(v.chunks), 0) FROM release_docs rd JOIN doc_versions v"
			"   ON v.id = rd.version_id WHERE rd.release_id = ?2 AND rd.version_id NOT IN"
			"   (SELECT version_id FROM release_docs WHERE release_id = ?1)),"
			" (SELECT coalesce(sum(v.chunks), 0) FROM release_docs rd JOIN doc_versions v"
			"   ON v.id = rd.version_id WHERE rd.release_id = ?1 AND rd.version_id NOT IN"
			"   (SELECT version_id FROM release_docs WHERE release_id = ?2))",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, from);
	sql_bind_int64(stmt, 2, to);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW) {
		*added = sql_column_int64(stmt, 0);
		*removed = sql_column_int64(stmt, 1);
	}
	enum lookup found = sql_found(st, rc, "cannot compare the releases", err);
	sql_finalize(stmt);
	return found == LOOKUP_FAILED ? -1 : 0;
}

long long store_model_first_release(struct store *st, long long model_id, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st,
			"SELECT coalesce(min(release_id), 0) FROM release_model_ids"
			" WHERE model_id = ?",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, model_id);
	int rc = sql_step(stmt);
	long long id = rc == SQL_ROW ? sql_column_int64(stmt, 0) : 0;
	enum lookup found = sql_found(st, rc, "cannot read the model's releases", err);
	sql_finalize(stmt);
	return found == LOOKUP_FAILED ? -1 : id;
}

/* --- the record of retrainings ----------------------------------------- */

void retraining_record_release(struct retraining_record *r)
{
	free(r->state);
	free(r->actor);
	free(r->feedback_hash);
	free(r->report);
	memset(r, 0, sizeof(*r));
}

void retraining_records_free(struct retraining_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		retraining_record_release(&r[i]);
	free(r);
}

long long store_retraining_begin(struct store *st, const char *actor, struct strbuf *err)
{
	long long now = time_now_ms();
	const void *args[] = { &now, actor };
	if (sql_exec_bound(st,
			   "INSERT INTO retrainings (started_at, state, actor) VALUES (?, 'running', ?)",
			   "it", args, "cannot record the retraining", err))
		return -1;
	return sql_last_insert_id(st);
}

int store_retraining_finish(struct store *st, const struct retraining_record *r, struct strbuf *err)
{
	long long now = time_now_ms();
	const void *args[] = { &now,
			       r->state,
			       &r->release_id,
			       &r->feedback_upto,
			       r->feedback_hash ? r->feedback_hash : "",
			       r->report ? r->report : "{}",
			       &r->id };
	return sql_exec_bound(
		st,
		"UPDATE retrainings SET ended_at = ?, state = ?,"
		" release_id = nullif(?, 0), feedback_upto = ?, feedback_hash = nullif(?, ''),"
		" report = ? WHERE id = ?",
		"itiitti", args, "cannot record the retraining's outcome", err);
}

#define RETRAINING_COLUMNS                                                                      \
	"SELECT id, started_at, coalesce(ended_at, 0), coalesce(release_id, 0), feedback_upto," \
	" state, actor, feedback_hash, report FROM retrainings "

static void read_retraining(struct sql_stmt *stmt, struct retraining_record *r)
{
	r->id = sql_column_int64(stmt, 0);
	r->started_at = sql_column_int64(stmt, 1);
	r->ended_at = sql_column_int64(stmt, 2);
	r->release_id = sql_column_int64(stmt, 3);
	r->feedback_upto = sql_column_int64(stmt, 4);
	r->state = sql_column_dup(stmt, 5);
	r->actor = sql_column_dup(stmt, 6);
	r->feedback_hash = sql_column_dup(stmt, 7);
	r->report = sql_column_dup(stmt, 8);
}

int store_retrainings_list(struct store *st, unsigned limit, int finished_only,
			   struct retraining_record **out, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st,
			RETRAINING_COLUMNS "WHERE (?1 = 0 OR state NOT IN ('running', 'failed'))"
					   " ORDER BY id DESC LIMIT ?2",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, finished_only);
	sql_bind_limit(stmt, 2, limit ? (long long)limit : -1);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		memset(&(*out)[*n], 0, sizeof(**out));
		read_retraining(stmt, &(*out)[(*n)++]);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the retrainings", err)) {
		retraining_records_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int store_retrainings_reap(struct store *st, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	long long *ids = NULL;
	size_t n = 0, alloc = 0;
	int rc;
	long long now = time_now_ms();
	const void *args[] = { &now };
	if (sql_exec_bound(st,
			   SQL_PICK(st,
				    "UPDATE retrainings SET state = 'failed', ended_at = ?, report ="
				    " json_set(report, '$.reasons', json_array('it stopped before it"
				    " decided (killed?); its candidate was archived'))"
				    " WHERE state = 'running'",
				    "UPDATE retrainings SET state = 'failed', ended_at = ?, report ="
				    " jsonb_set(report::jsonb, '{reasons}', jsonb_build_array('it stopped"
				    " before it decided (killed?); its candidate was archived'))::text"
				    " WHERE state = 'running'"),
			   "i", args, "cannot close stopped retrainings", err))
		return -1;
	int reaped = sql_changes(st);
	if (sql_prepare(st,
			SQL_PICK(st,
				 "SELECT id FROM releases WHERE state = 'candidate'"
				 " AND json_extract(changes, '$.retraining') IS NOT NULL",
				 "SELECT id FROM releases WHERE state = 'candidate'"
				 " AND changes::jsonb ->> 'retraining' IS NOT NULL"),
			&stmt, err))
		return -1;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(ids, n + 1, alloc);
		ids[n++] = sql_column_int64(stmt, 0);
	}
	int ret = sql_rows_end(st, stmt, rc, "cannot find stopped retrainings' candidates", err);
	for (size_t i = 0; i < n && !ret; i++)
		ret = store_release_abandon(st, ids[i], err);
	free(ids);
	return ret ? -1 : reaped;
}

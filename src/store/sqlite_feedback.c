/*
 * SQLite backend: feedback on answers, and the query log it refers to.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

void feedback_record_release(struct feedback_record *f)
{
	free(f->question);
	free(f->answer);
	free(f->sources);
	free(f->text);
	free(f->corrected);
	free(f->helpful);
	free(f->unhelpful);
	memset(f, 0, sizeof(*f));
}

void feedback_records_free(struct feedback_record *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		feedback_record_release(&f[i]);
	free(f);
}

int store_feedback_add(struct store *st, struct feedback_record *f, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	f->created_at = time_now_ms();
	if (sql_prepare(st,
			"INSERT INTO feedback (created_at, query_id, question, answer, sources,"
			" rating, feedback_text, corrected_answer, helpful_sources, unhelpful_sources)"
			" VALUES (?,?,?,?,?,?,?,?,?,?)",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, f->created_at);
	if (f->query_id > 0)
		sql_bind_int64(stmt, 2, f->query_id);
	sql_bind_text(stmt, 3, f->question);
	sql_bind_text(stmt, 4, f->answer);
	sql_bind_text(stmt, 5, f->sources ? f->sources : "[]");
	sql_bind_int64(stmt, 6, f->rating);
	sql_bind_text(stmt, 7, f->text);
	sql_bind_text(stmt, 8, f->corrected);
	sql_bind_text(stmt, 9, f->helpful);
	sql_bind_text(stmt, 10, f->unhelpful);
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	if (rc != SQL_DONE)
		return sql_fail(st, "cannot save the feedback", err);
	f->id = sql_last_insert_id(st);
	return 0;
}

/* The columns read_feedback reads, in its order. */
#define FEEDBACK_COLUMNS                                                                           \
	"id, created_at, coalesce(query_id, 0), question, answer, sources, rating, feedback_text," \
	" corrected_answer, helpful_sources, unhelpful_sources"

static void read_feedback(struct sql_stmt *stmt, struct feedback_record *f)
{
	f->id = sql_column_int64(stmt, 0);
	f->created_at = sql_column_int64(stmt, 1);
	f->query_id = sql_column_int64(stmt, 2);
	f->question = sql_column_dup(stmt, 3);
	f->answer = sql_column_dup(stmt, 4);
	f->sources = sql_column_dup(stmt, 5);
	f->rating = sql_column_int(stmt, 6);
	f->text = sql_column_dup(stmt, 7);
	f->corrected = sql_column_dup(stmt, 8);
	f->helpful = sql_column_dup(stmt, 9);
	f->unhelpful = sql_column_dup(stmt, 10);
}

enum lookup store_feedback_get(struct store *st, long long id, struct feedback_record *f,
			       struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	memset(f, 0, sizeof(*f));
	if (sql_prepare(st, "SELECT " FEEDBACK_COLUMNS " FROM feedback WHERE id = ?", &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_int64(stmt, 1, id);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		read_feedback(stmt, f);
	enum lookup ret = sql_found(st, rc, "cannot read the feedback", err);
	sql_finalize(stmt);
	return ret;
}

enum store_key store_feedback_key_begin(struct store *st, const char *key, const char *request_hash,
					long long *feedback_id, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	*feedback_id = 0;
	/* The write lock first: a second request with the key waits here until the first commits. */
	if (sql_begin(st, err))
		return STORE_KEY_FAILED;
	/*
	 * PostgreSQL's BEGIN takes no lock: the key's own, until the commit
	 * (hashed: two keys that share a hash only wait for one another).
	 * Without it both requests found no key, saved the feedback, and the
	 * second failed on the key's primary key instead of replaying.
	 */
	if (st->pg) {
		if (sql_prepare(st, "SELECT pg_advisory_xact_lock(1919379046, hashtext(?))", &stmt,
				err)) {
			sql_rollback(st);
			return STORE_KEY_FAILED;
		}
		sql_bind_text(stmt, 1, key);
		int locked = sql_step(stmt);
		if (locked != SQL_ROW)
			sql_fail(st, "cannot lock the idempotency key", err);
		sql_finalize(stmt);
		stmt = NULL;
		if (locked != SQL_ROW) {
			sql_rollback(st);
			return STORE_KEY_FAILED;
		}
	}
	if (sql_prepare(st, "SELECT request_hash, feedback_id FROM feedback_keys WHERE key = ?", &stmt,
			err)) {
		sql_rollback(st);
		return STORE_KEY_FAILED;
	}
	sql_bind_text(stmt, 1, key);
	int rc = sql_step(stmt);
	enum store_key ret = STORE_KEY_NEW;
	if (rc == SQL_ROW) {
		const char *hash = sql_column_text(stmt, 0);
		*feedback_id = sql_column_int64(stmt, 1);
		ret = hash && !strcmp(hash, request_hash) ? STORE_KEY_REPLAY : STORE_KEY_REUSED;
	} else if (sql_found(st, rc, "cannot read the idempotency keys", err) == LOOKUP_FAILED) {
		ret = STORE_KEY_FAILED;
	}
	sql_finalize(stmt);
	if (ret != STORE_KEY_NEW)
		sql_rollback(st);
	return ret;
}

int store_feedback_key_end(struct store *st, const char *key, const char *request_hash,
			   long long feedback_id, struct strbuf *err)
{
	if (!feedback_id) {
		sql_rollback(st);
		return 0;
	}
	const long long now = time_now_ms();
	const void *const args[] = { key, request_hash, &feedback_id, &now };
	if (sql_exec_bound(st,
			   "INSERT INTO feedback_keys (key, request_hash, feedback_id, created_at)"
			   " VALUES (?, ?, ?, ?)",
			   "ttii", args, "cannot save the idempotency key", err) ||
	    sql_commit(st, err)) {
		sql_rollback(st);
		return -1;
	}
	return 0;
}

int store_feedback_list(struct store *st, const struct feedback_filter *flt,
			struct feedback_record **out, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st,
			"SELECT " FEEDBACK_COLUMNS " FROM feedback"
			" WHERE created_at >= ?1 AND rating >= ?2 AND rating <= ?3"
			" ORDER BY id DESC LIMIT ?4",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, flt->since_ms);
	sql_bind_int64(stmt, 2, flt->min_rating ? flt->min_rating : 1);
	sql_bind_int64(stmt, 3, flt->max_rating ? flt->max_rating : 5);
	sql_bind_limit(stmt, 4, flt->limit ? (long long)flt->limit : -1);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		read_feedback(stmt, &(*out)[(*n)++]);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the feedback", err)) {
		feedback_records_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

enum lookup store_document_path_known(struct store *st, const char *relpath, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	/*
	 * A deleted document keeps its row (status 'deleted'), so a source an
	 * older answer cited is still known.  No index leads with relpath
	 * (documents are unique by root, then relpath): a scan of a table of a
	 * few thousand rows, for at most 40 paths a record.
	 */
	if (sql_prepare(st, "SELECT 1 FROM documents WHERE relpath = ? LIMIT 1", &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_text(stmt, 1, relpath);
	enum lookup found = sql_found(st, sql_step(stmt), "cannot read the documents", err);
	sql_finalize(stmt);
	return found;
}

enum lookup store_query_get(struct store *st, long long id, char **question, char **answer,
			    char **sources, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	enum lookup ret;
	if (sql_prepare(st, "SELECT question, answer, sources FROM queries WHERE id = ?", &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_int64(stmt, 1, id);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW) {
		*question = sql_column_dup(stmt, 0);
		*answer = sql_column_dup(stmt, 1);
		*sources = sql_column_dup(stmt, 2);
	}
	ret = sql_found(st, rc, "cannot read the logged question", err);
	sql_finalize(stmt);
	return ret;
}

int store_query_latencies(struct store *st, long long since_ms, double **ms, size_t *n,
			  struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*ms = NULL;
	*n = 0;
	if (sql_prepare(st, "SELECT ms_total FROM queries WHERE asked_at >= ? ORDER BY ms_total", &stmt,
			err))
		return -1;
	sql_bind_int64(stmt, 1, since_ms);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*ms, *n + 1, alloc);
		(*ms)[(*n)++] = sql_column_double(stmt, 0);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the query latencies", err)) {
		free(*ms);
		*ms = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

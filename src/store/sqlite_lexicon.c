/*
 * SQLite backend: the lexicon's registration and the chunk identity it is
 * checked against.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

int store_chunks_identity(struct store *st, long long *count, long long *max_id, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	/* Both are cheap: the document rows carry their chunk counts; max(id) is one B-tree step. */
	if (sql_prepare(st, "SELECT (SELECT coalesce(sum(chunks), 0) FROM documents),"
			    " (SELECT coalesce(max(id), 0) FROM chunks)", &stmt, err))
		return -1;
	int rc = sqlite3_step(stmt);
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	*max_id = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 1) : 0;
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : sql_fail(st, "cannot count the chunks", err);
}

int store_lexicon_register(struct store *st, struct model_record *m, char **old_path,
			   struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	*old_path = NULL;
	if (sql_begin(st, err))
		return -1;
	if (sql_prepare(st, "SELECT path FROM models WHERE kind = 'lexicon' AND state = 'production'"
			    " AND version != ?", &stmt, err))
		goto fail;
	sqlite3_bind_text(stmt, 1, m->version, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*old_path = sql_column_dup(stmt, 0);
	sqlite3_finalize(stmt);
	if (sql_exec(st, "UPDATE models SET state = 'archived' WHERE kind = 'lexicon'"
			 " AND state = 'production'", err) ||
	    sql_prepare(st, "INSERT INTO models (kind, name, version, path, params, metrics, state,"
			    " created_at) VALUES ('lexicon', ?, ?, ?, ?, ?, 'production', ?)"
			    " ON CONFLICT (kind, version) DO UPDATE SET state = 'production',"
			    " params = excluded.params, metrics = excluded.metrics RETURNING id", &stmt, err))
		goto fail;
	const char *texts[] = { m->name, m->version, m->path, m->params, m->metrics };
	for (int i = 0; i < 5; i++)
		sqlite3_bind_text(stmt, i + 1, texts[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, time_now_ms());
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		m->id = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW) {
		sql_fail(st, "cannot register the lexicon", err);
		goto fail;
	}
	return sql_commit(st, err);
fail:
	sql_rollback(st);
	free(*old_path);
	*old_path = NULL;
	return -1;
}

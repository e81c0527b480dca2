/*
 * SQLite backend: the model registry and the chunk vectors.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

void model_record_release(struct model_record *m)
{
	free(m->kind);
	free(m->name);
	free(m->version);
	free(m->path);
	free(m->params);
	free(m->metrics);
	free(m->state);
	memset(m, 0, sizeof(*m));
}

int store_model_production(struct store *st, const char *kind, struct model_record *m,
			   struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	int ret = 1;
	memset(m, 0, sizeof(*m));
	if (sql_prepare(st, "SELECT id, created_at, kind, name, version, path, params, metrics, state,"
			    " generation"
			    " FROM models WHERE kind = ? AND state = 'production'"
			    " ORDER BY id DESC LIMIT 1", &stmt, err))
		return -1;
	sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		m->id = sqlite3_column_int64(stmt, 0);
		m->created_at = sqlite3_column_int64(stmt, 1);
		m->kind = sql_column_dup(stmt, 2);
		m->name = sql_column_dup(stmt, 3);
		m->version = sql_column_dup(stmt, 4);
		m->path = sql_column_dup(stmt, 5);
		m->params = sql_column_dup(stmt, 6);
		m->metrics = sql_column_dup(stmt, 7);
		m->state = sql_column_dup(stmt, 8);
		m->generation = sqlite3_column_int64(stmt, 9);
	}
	ret = sql_found(st, rc, "cannot read the model registry", err);
	sqlite3_finalize(stmt);
	return ret;
}

int store_chunks_to_embed(struct store *st, long long model_id, struct chunk_text **out,
			  size_t *n, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	/* Vectors go with their chunks (ON DELETE CASCADE): equal counts mean none is missing. */
	if (model_id && sql_prepare(st, "SELECT (SELECT count(*) FROM chunks) ="
				    " (SELECT count(*) FROM embeddings WHERE model_id = ?)", &stmt, err) == 0) {
		sqlite3_bind_int64(stmt, 1, model_id);
		int all = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0);
		sqlite3_finalize(stmt);
		stmt = NULL;
		if (all)
			return 0;
	}
	if (sql_prepare(st, "SELECT c.id, c.text, c.heading, c.language FROM chunks c"
			    " WHERE ?1 = 0 OR NOT EXISTS (SELECT 1 FROM embeddings e"
			    "   WHERE e.model_id = ?1 AND e.chunk_id = c.id) ORDER BY c.id", &stmt, err))
		return -1;
	sqlite3_bind_int64(stmt, 1, model_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		struct chunk_text *c = &(*out)[(*n)++];
		c->id = sqlite3_column_int64(stmt, 0);
		c->text = sql_column_dup(stmt, 1);
		c->heading = sql_column_dup(stmt, 2);
		c->language = sql_column_dup(stmt, 3);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the chunks to embed", err)) {
		chunk_texts_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void chunk_texts_free(struct chunk_text *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].text);
		free(c[i].heading);
		free(c[i].language);
	}
	free(c);
}

static int register_model(struct store *st, struct model_record *m, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	if (sql_exec(st, "UPDATE models SET state = 'archived' WHERE state = 'production' AND kind = 'embedder'", err))
		return -1;
	/* The archived model's vectors go: only production vectors are searched. */
	if (sql_exec(st, "DELETE FROM embeddings WHERE model_id IN"
			 " (SELECT id FROM models WHERE kind = 'embedder' AND state != 'production')", err))
		return -1;
	if (sql_prepare(st, "INSERT INTO models (kind, name, version, path, params, metrics, state,"
			    " created_at) VALUES (?, ?, ?, ?, ?, ?, 'production', ?)"
			    " ON CONFLICT (kind, version) DO UPDATE SET state = 'production'"
			    " RETURNING id", &stmt, err))
		return -1;
	const char *texts[] = { m->kind, m->name, m->version, m->path, m->params, m->metrics };
	for (int i = 0; i < 6; i++)
		sqlite3_bind_text(stmt, i + 1, texts[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, time_now_ms());
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		m->id = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : sql_fail(st, "cannot register the model", err);
}

int store_embeddings_save(struct store *st, struct model_record *new_model, long long model_id,
			  const long long *chunk_ids, const float *vectors, size_t n, int dim,
			  struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	if (sql_begin(st, err))
		return -1;
	if (new_model) {
		if (register_model(st, new_model, err))
			goto fail;
		model_id = new_model->id;
	}
	if (sql_prepare(st, "INSERT OR REPLACE INTO embeddings (chunk_id, model_id, vector)"
			    " VALUES (?, ?, ?)", &stmt, err))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, chunk_ids[i]);
		sqlite3_bind_int64(stmt, 2, model_id);
		sqlite3_bind_blob(stmt, 3, vectors + i * (size_t)dim, dim * (int)sizeof(float),
				  SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			sql_fail(st, "cannot save a vector", err);
			goto fail;
		}
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	/* Tells searching processes that the model's vectors are not the ones they hold. */
	if (sql_prepare(st, "UPDATE models SET generation = generation + 1 WHERE id = ?", &stmt, err))
		goto fail;
	sqlite3_bind_int64(stmt, 1, model_id);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		sql_fail(st, "cannot mark the model's vectors as changed", err);
		goto fail;
	}
	sqlite3_finalize(stmt);
	return sql_commit(st, err);
fail:
	sqlite3_finalize(stmt);
	sql_rollback(st);
	return -1;
}

int store_embeddings_load(struct store *st, long long model_id, int dim, long long **ids,
			  float **vectors, size_t *n, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*ids = NULL;
	*vectors = NULL;
	*n = 0;
	if (sql_prepare(st, "SELECT chunk_id, vector FROM embeddings WHERE model_id = ?", &stmt, err))
		return -1;
	sqlite3_bind_int64(stmt, 1, model_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(stmt, 1) != dim * (int)sizeof(float))
			continue; /* another dimension: not this model's */
		if (*n + 1 > alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			*ids = xrealloc(*ids, alloc * sizeof(long long));
			*vectors = xrealloc(*vectors, alloc * (size_t)dim * sizeof(float));
		}
		(*ids)[*n] = sqlite3_column_int64(stmt, 0);
		memcpy(*vectors + *n * (size_t)dim, sqlite3_column_blob(stmt, 1), (size_t)dim * sizeof(float));
		(*n)++;
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the vectors", err)) {
		free(*ids);
		free(*vectors);
		*ids = NULL;
		*vectors = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int store_chunks_get(struct store *st, const long long *ids, size_t n, struct search_hit **out,
		     struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	*out = xcalloc(n + 1, sizeof(**out));
	if (sql_prepare(st, "SELECT d.relpath, d.title, c.heading, c.language, c.page_start,"
			    " c.page_end, c.text, c.low_confidence"
			    " FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id = ?", &stmt, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct search_hit *h = &(*out)[i];
		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, ids[i]);
		h->chunk_id = ids[i];
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_DONE)
			continue; /* deleted since it was ranked: doc_path stays NULL */
		if (rc != SQLITE_ROW) {
			sql_fail(st, "cannot read a chunk", err);
			sqlite3_finalize(stmt);
			return -1;
		}
		h->doc_path = sql_column_dup(stmt, 0);
		h->title = sql_column_dup(stmt, 1);
		h->heading = sql_column_dup(stmt, 2);
		h->language = sql_column_dup(stmt, 3);
		h->page_start = sqlite3_column_int(stmt, 4);
		h->page_end = sqlite3_column_int(stmt, 5);
		h->text = sql_column_dup(stmt, 6);
		h->low_confidence = sqlite3_column_int(stmt, 7);
		/* A snippet for a hit found by meaning: the chunk's opening words. */
		const char *t = h->text ? h->text : "";
		size_t len = strlen(t) > 240 ? 240 : strlen(t);
		while (len > 0 && len < strlen(t) && ((unsigned char)t[len] & 0xC0) == 0x80)
			len--;
		h->snippet = xasprintf("%.*s%s", (int)len, t, len < strlen(t) ? "…" : "");
		for (char *c = h->snippet; *c; c++)
			if (*c == '\n')
				*c = ' ';
	}
	sqlite3_finalize(stmt);
	return 0;
}

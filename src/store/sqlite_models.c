/*
 * SQLite backend: the model registry and the chunk vectors.
 */
#include <stdio.h>
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
	free(m->data_hash);
	memset(m, 0, sizeof(*m));
}

void sql_read_model(struct sql_stmt *stmt, int col, struct model_record *m)
{
	m->id = sql_column_int64(stmt, col);
	m->created_at = sql_column_int64(stmt, col + 1);
	m->kind = sql_column_dup(stmt, col + 2);
	m->name = sql_column_dup(stmt, col + 3);
	m->version = sql_column_dup(stmt, col + 4);
	m->path = sql_column_dup(stmt, col + 5);
	m->params = sql_column_dup(stmt, col + 6);
	m->metrics = sql_column_dup(stmt, col + 7);
	m->state = sql_column_dup(stmt, col + 8);
	m->parent_id = sql_column_int64(stmt, col + 9);
	m->data_hash = sql_column_dup(stmt, col + 10);
}

enum lookup store_model_get(struct store *st, long long id, struct model_record *m, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	memset(m, 0, sizeof(*m));
	if (sql_prepare(st, "SELECT " MODEL_COLUMNS " FROM models WHERE id = ?", &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_int64(stmt, 1, id);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		sql_read_model(stmt, 0, m);
	enum lookup ret = sql_found(st, rc, "cannot read the model registry", err);
	sql_finalize(stmt);
	return ret;
}

int store_models_list(struct store *st, struct model_record **out, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st, "SELECT " MODEL_COLUMNS " FROM models ORDER BY id DESC", &stmt, err))
		return -1;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		memset(&(*out)[*n], 0, sizeof(**out));
		sql_read_model(stmt, 0, &(*out)[(*n)++]);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the model registry", err)) {
		model_records_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void model_records_free(struct model_record *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		model_record_release(&m[i]);
	free(m);
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

int store_model_register(struct store *st, struct model_record *m, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	/* The same content (kind and version are a content hash) is the same model. */
	if (sql_prepare(st,
			"INSERT INTO models (kind, name, version, path, params, metrics, state,"
			" created_at, parent_id, data_hash)"
			" VALUES (?, ?, ?, ?, ?, ?, 'candidate', ?, nullif(?, 0), ?)"
			" ON CONFLICT (kind, version) DO UPDATE SET path = excluded.path"
			" RETURNING id, state",
			&stmt, err))
		return -1;
	const char *texts[] = { m->kind, m->name, m->version, m->path, m->params, m->metrics };
	for (int i = 0; i < 6; i++)
		sql_bind_text(stmt, i + 1, texts[i]);
	sql_bind_int64(stmt, 7, time_now_ms());
	sql_bind_int64(stmt, 8, m->parent_id);
	sql_bind_text(stmt, 9, m->data_hash);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		m->id = sql_column_int64(stmt, 0);
	sql_finalize(stmt);
	return rc == SQL_ROW ? 0 : sql_fail(st, "cannot register the model", err);
}

enum lookup store_model_file_known(struct store *st, const char *path, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, "SELECT 1 FROM models WHERE path = ?", &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_text(stmt, 1, path);
	int rc = sql_step(stmt);
	enum lookup found = sql_found(st, rc, "cannot read the model registry", err);
	sql_finalize(stmt);
	return found;
}

int store_model_set_params(struct store *st, long long id, const char *params, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, "UPDATE models SET params = ? WHERE id = ?", &stmt, err))
		return -1;
	sql_bind_text(stmt, 1, params);
	sql_bind_int64(stmt, 2, id);
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	return rc == SQL_DONE ? 0 : sql_fail(st, "cannot record the model's parameters", err);
}

int store_model_set_metrics(struct store *st, long long id, const char *metrics, struct strbuf *err)
{
	const void *args[] = { metrics, &id };
	return sql_exec_bound(st, "UPDATE models SET metrics = ? WHERE id = ?", "ti", args,
			      "cannot record the model's metrics", err);
}

/* Vectors per transaction: the WAL stays small and a crash loses little. */
#define VECTORS_PER_COMMIT 4096
/*
 * WAL frames (4 KB pages) past which a batch waits for the readers to
 * leave the WAL: SQLite's own autocheckpoint size (4 MB).
 */
#define WAL_FRAMES_BOUND 1000

/*
 * Commit a batch of vectors, then checkpoint.  A writer starts the WAL
 * over only when every frame is in the database and no reader is in the
 * WAL; with a server answering questions there nearly always is one, so
 * each batch went after the last: under two questions a second the WAL
 * peaked at 398 MB for 88,000 new chunks (77-94 MB for 20,000).  Past
 * WAL_FRAMES_BOUND, a RESTART checkpoint waits (busy timeout) for the
 * readers of old frames to finish, and the next batch starts the WAL
 * over: the same run peaked at 13-16 MB, the index stage's, the
 * embedding adding nothing above it (t0185 measures 3,000 chunks).  Best
 * effort: when the checkpoint cannot run (a full disk, a reader that
 * stays) the commit stands and the WAL grows a batch more.
 */
static int commit_vectors(struct store *st, struct strbuf *err)
{
	int frames = 0, moved = 0;
	if (sql_commit(st, err))
		return -1;
	if (st->db &&
	    sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &moved) ==
		    SQLITE_OK &&
	    frames > WAL_FRAMES_BOUND)
		sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	return 0;
}

int store_embeddings_save(struct store *st, long long model_id, const long long *chunk_ids,
			  const float *vectors, size_t n, int dim, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st,
			"INSERT INTO embeddings (chunk_id, model_id, vector) VALUES (?, ?, ?)"
			" ON CONFLICT (model_id, chunk_id) DO UPDATE SET vector = excluded.vector",
			&stmt, err))
		return -1;
	sql_repeat(stmt);
	for (size_t i = 0; i < n; i++) {
		if (i % VECTORS_PER_COMMIT == 0 &&
		    ((i && commit_vectors(st, err)) || sql_begin(st, err)))
			goto fail;
		sql_reset(stmt);
		sql_bind_int64(stmt, 1, chunk_ids[i]);
		sql_bind_int64(stmt, 2, model_id);
		sql_bind_blob(stmt, 3, vectors + i * (size_t)dim, (size_t)dim * sizeof(float));
		if (sql_step(stmt) != SQL_DONE) {
			sql_fail(st, "cannot save a vector", err);
			goto fail;
		}
	}
	sql_finalize(stmt);
	stmt = NULL;
	if (n && commit_vectors(st, err))
		goto fail;
	return 0;
fail:
	/* A failed COMMIT (a full disk) may leave the transaction open: it goes. */
	sql_finalize(stmt);
	sql_rollback(st);
	return -1;
}

int store_chunks_get(struct store *st, const long long *ids, size_t n, struct search_hit **out,
		     struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	*out = xcalloc(n + 1, sizeof(**out));
	/* The title is the version's: a release shows its documents as they were. */
	if (sql_prepare(st,
			"SELECT d.relpath, v.title, c.heading, c.language, c.page_start,"
			" c.page_end, c.text, c.low_confidence FROM chunks c"
			" JOIN documents d ON d.id = c.doc_id JOIN doc_versions v ON v.id = c.version_id"
			" WHERE c.id = ?",
			&stmt, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct search_hit *h = &(*out)[i];
		sql_reset(stmt);
		sql_bind_int64(stmt, 1, ids[i]);
		h->chunk_id = ids[i];
		int rc = sql_step(stmt);
		if (rc == SQL_DONE)
			continue; /* deleted since it was ranked: doc_path stays NULL */
		if (rc != SQL_ROW) {
			sql_fail(st, "cannot read a chunk", err);
			sql_finalize(stmt);
			return -1;
		}
		h->doc_path = sql_column_dup(stmt, 0);
		h->title = sql_column_dup(stmt, 1);
		h->heading = sql_column_dup(stmt, 2);
		h->language = sql_column_dup(stmt, 3);
		h->page_start = sql_column_int(stmt, 4);
		h->page_end = sql_column_int(stmt, 5);
		h->text = sql_column_dup(stmt, 6);
		h->low_confidence = sql_column_int(stmt, 7);
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
	sql_finalize(stmt);
	return 0;
}

/* --- model files kept in the store ---------------------------------------- */

int store_keeps_artefacts(const struct store *st)
{
	return st->pg != NULL;
}

int store_artefact_put(struct store *st, const char *path, const char *sha256, const void *data,
		       size_t len, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	/* A path names one content (its file name is its version): the first copy stands. */
	if (sql_prepare(st,
			"INSERT INTO artefacts (path, sha256, bytes, created_at) VALUES (?, ?, ?, ?)"
			" ON CONFLICT (path) DO NOTHING",
			&stmt, err))
		return -1;
	sql_bind_text(stmt, 1, path);
	sql_bind_text(stmt, 2, sha256);
	sql_bind_blob(stmt, 3, data, len);
	sql_bind_int64(stmt, 4, time_now_ms());
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	return rc == SQL_DONE ? 0 : sql_fail(st, "cannot keep a model file in the store", err);
}

enum lookup store_artefact_get(struct store *st, const char *path, char sha256[65], struct strbuf *bytes,
			       struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, "SELECT sha256, bytes FROM artefacts WHERE path = ?", &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_text(stmt, 1, path);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW) {
		const char *hash = sql_column_text(stmt, 0);
		snprintf(sha256, 65, "%s", hash ? hash : "");
		strbuf_add(bytes, sql_column_blob(stmt, 1), sql_column_bytes(stmt, 1));
	}
	enum lookup found = sql_found(st, rc, "cannot read a model file from the store", err);
	sql_finalize(stmt);
	return found;
}

/*
 * SQLite backend: what a release holds (its chunks, their ids and vectors,
 * its documents' paths), the counts its structural checks read, and
 * retention (sqlite_releases.c has the records themselves).
 */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

/* The chunks of release ?1. */
#define RELEASE_CHUNKS \
	" release_docs rd JOIN chunks c ON c.version_id = rd.version_id WHERE rd.release_id = ?1"

static int read_chunk_texts(struct store *st, struct sql_stmt *stmt, struct chunk_text **out, size_t *n,
			    struct strbuf *err)
{
	size_t alloc = 0;
	int rc;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		struct chunk_text *c = &(*out)[(*n)++];
		c->id = sql_column_int64(stmt, 0);
		c->text = sql_column_dup(stmt, 1);
		c->heading = sql_column_dup(stmt, 2);
		c->language = sql_column_dup(stmt, 3);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the release's chunks", err)) {
		chunk_texts_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int store_release_chunks(struct store *st, long long id, long long without_model,
			 struct chunk_text **out, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st,
			"SELECT c.id, c.text, c.heading, c.language FROM" RELEASE_CHUNKS
			" AND (?2 = 0 OR NOT EXISTS (SELECT 1 FROM embeddings e"
			"   WHERE e.model_id = ?2 AND e.chunk_id = c.id)) ORDER BY c.id",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, id);
	sql_bind_int64(stmt, 2, without_model);
	return read_chunk_texts(st, stmt, out, n, err);
}

int store_release_doc_chunks(struct store *st, long long id, const char *relpath,
			     struct chunk_text **out, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st,
			"SELECT c.id, c.text, c.heading, c.language FROM" RELEASE_CHUNKS
			" AND c.doc_id IN (SELECT id FROM documents WHERE relpath = ?2) ORDER BY c.id",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, id);
	sql_bind_text(stmt, 2, relpath);
	return read_chunk_texts(st, stmt, out, n, err);
}

enum lookup store_release_has_document(struct store *st, long long id, const char *relpath,
				       struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st,
			"SELECT 1 FROM release_docs rd JOIN doc_versions v ON v.id = rd.version_id"
			" JOIN documents d ON d.id = v.doc_id WHERE rd.release_id = ? AND d.relpath = ?"
			" LIMIT 1",
			&stmt, err))
		return LOOKUP_FAILED;
	sql_bind_int64(stmt, 1, id);
	sql_bind_text(stmt, 2, relpath);
	int rc = sql_step(stmt);
	enum lookup found = sql_found(st, rc, "cannot read the release's documents", err);
	sql_finalize(stmt);
	return found;
}

int store_release_paths_digest(struct store *st, long long id, char out[SHA256_HEX_LEN + 1],
			       struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st,
			"SELECT d.relpath FROM release_docs rd JOIN doc_versions v"
			" ON v.id = rd.version_id JOIN documents d ON d.id = v.doc_id"
			" WHERE rd.release_id = ? ORDER BY d.relpath",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, id);
	struct sha256_ctx *h = sha256_begin();
	int rc;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		const char *p = sql_column_text(stmt, 0);
		sha256_update(h, p ? p : "", (p ? strlen(p) : 0) + 1);
	}
	sha256_finish(h, out);
	return sql_rows_end(st, stmt, rc, "cannot read the release's documents", err);
}

int store_release_chunk_ids(struct store *st, long long id, long long **ids, size_t *n,
			    struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*ids = NULL;
	*n = 0;
	if (sql_prepare(st, "SELECT c.id FROM" RELEASE_CHUNKS " ORDER BY c.id", &stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, id);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*ids, *n + 1, alloc);
		(*ids)[(*n)++] = sql_column_int64(stmt, 0);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the release's chunks", err)) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int store_release_vectors(struct store *st, long long id, long long model_id, int dim, long long **ids,
			  float **vectors, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*ids = NULL;
	*vectors = NULL;
	*n = 0;
	if (sql_prepare(st,
			"SELECT c.id, e.vector FROM release_docs rd"
			" JOIN chunks c ON c.version_id = rd.version_id"
			" JOIN embeddings e ON e.model_id = ?2 AND e.chunk_id = c.id"
			" WHERE rd.release_id = ?1 ORDER BY c.id",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, id);
	sql_bind_int64(stmt, 2, model_id);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		if (sql_column_bytes(stmt, 1) != (size_t)dim * sizeof(float))
			continue; /* another dimension: the structural check reports it */
		if (*n + 1 > alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			*ids = xrealloc(*ids, alloc * sizeof(long long));
			*vectors = xrealloc(*vectors, alloc * (size_t)dim * sizeof(float));
		}
		(*ids)[*n] = sql_column_int64(stmt, 0);
		memcpy(*vectors + *n * (size_t)dim, sql_column_blob(stmt, 1),
		       (size_t)dim * sizeof(float));
		(*n)++;
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the release's vectors", err)) {
		free(*ids);
		free(*vectors);
		*ids = NULL;
		*vectors = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int store_vectors_get(struct store *st, long long model_id, int dim, const long long *ids, size_t n,
		      float *vectors, unsigned char *found, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, "SELECT vector FROM embeddings WHERE model_id = ? AND chunk_id = ?", &stmt,
			err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		sql_reset(stmt);
		sql_bind_int64(stmt, 1, model_id);
		sql_bind_int64(stmt, 2, ids[i]);
		int rc = sql_step(stmt);
		found[i] = rc == SQL_ROW && sql_column_bytes(stmt, 0) == (size_t)dim * sizeof(float);
		if (found[i])
			memcpy(vectors + i * (size_t)dim, sql_column_blob(stmt, 0),
			       (size_t)dim * sizeof(float));
		else if (rc != SQL_ROW && rc != SQL_DONE) {
			sql_fail(st, "cannot read a vector", err);
			sql_finalize(stmt);
			return -1;
		}
	}
	sql_finalize(stmt);
	return 0;
}

/* store_release_structure's columns after the full-text index's count. */
#define STRUCTURE_REST                                                                       \
	" count(*) FILTER (WHERE length(trim(c.text)) = 0),"                                 \
	" count(*) FILTER (WHERE length(c.text) > ?2),"                                      \
	" (SELECT count(*) FROM release_docs rd JOIN doc_versions v ON v.id = rd.version_id" \
	"   WHERE rd.release_id = ?1 AND v.chunks = 0 AND v.pages_needing_ocr = 0),"         \
	" (SELECT coalesce(sum(v.ocr_pages), 0) FROM release_docs rd"                        \
	"   JOIN doc_versions v ON v.id = rd.version_id WHERE rd.release_id = ?1),"          \
	" (SELECT coalesce(sum(v.weak_pages), 0) FROM release_docs rd"                       \
	"   JOIN doc_versions v ON v.id = rd.version_id WHERE rd.release_id = ?1)"           \
	" FROM" RELEASE_CHUNKS

int store_release_structure(struct store *st, long long id, unsigned max_chars,
			    struct release_structure *out, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	memset(out, 0, sizeof(*out));
	/*
	 * One pass over the release's chunks (FTS5 keeps one docsize row per
	 * indexed chunk), one over its document versions.
	 */
	if (sql_prepare(
		    st,
		    SQL_PICK(st,
			     "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS"
			     "   (SELECT 1 FROM chunks_fts_docsize f WHERE f.id = c.id))," STRUCTURE_REST,
			     /* No full-text index: BM25 reads the release's lexicon only. */
			     "SELECT count(*), 0," STRUCTURE_REST),
		    &stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, id);
	sql_bind_int64(stmt, 2, max_chars);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW) {
		long long *v[] = { &out->chunk_rows,  &out->fts_missing, &out->empty_chunks,
				   &out->long_chunks, &out->empty_docs,  &out->ocr_pages,
				   &out->weak_pages };
		for (int i = 0; i < 7; i++)
			*v[i] = sql_column_int64(stmt, i);
	}
	sql_finalize(stmt);
	return rc == SQL_ROW ? 0 : sql_fail(st, "cannot check the release", err);
}

/*
 * Retention.  Kept: production, the release it replaced (rollback goes
 * there), undecided candidates, and the `keep` newest of the others.  Then
 * whatever no kept release and no document holds goes: document versions
 * (their chunks, full-text rows and vectors follow by cascade and trigger)
 * and models (their vectors follow; their files are the caller's to
 * remove, as *files).
 */
int store_releases_gc(struct store *st, unsigned keep, struct release_gc *out, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	long long k = keep;
	memset(out, 0, sizeof(*out));
	if (sql_begin(st, err))
		return -1;
	const void *args[] = { &k };
	if (sql_exec_bound(st,
			   "WITH kept AS (SELECT previous_id AS id FROM releases"
			   "   WHERE state = 'production' AND previous_id IS NOT NULL)"
			   " DELETE FROM releases WHERE state IN ('archived', 'refused')"
			   " AND id NOT IN (SELECT id FROM kept)"
			   " AND id NOT IN (SELECT id FROM releases WHERE state IN ('archived', 'refused')"
			   "   AND id NOT IN (SELECT id FROM kept) ORDER BY id DESC LIMIT ?1)",
			   "i", args, "cannot remove old releases", err))
		goto fail;
	out->releases = sql_changes(st);
	if (sql_exec(st,
		     "DELETE FROM doc_versions WHERE id NOT IN (SELECT version_id FROM release_docs)"
		     " AND id NOT IN (SELECT version_id FROM documents WHERE version_id IS NOT NULL)",
		     err))
		goto fail;
	out->versions = sql_changes(st);
	/* Files of the models no release holds (a URL for an endpoint's model is no file). */
	if (sql_prepare(st,
			"DELETE FROM models WHERE id NOT IN (SELECT model_id FROM release_model_ids)"
			" AND state != 'production' RETURNING CASE WHEN name = 'openai' THEN NULL"
			"   ELSE path END",
			&stmt, err))
		goto fail;
	size_t alloc = 0;
	int rc;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		out->models++;
		if (sql_column_is_null(stmt, 0))
			continue;
		ALLOC_GROW(out->files, out->nfiles + 1, alloc);
		out->files[out->nfiles++] = sql_column_dup(stmt, 0);
	}
	if (sql_rows_end(st, stmt, rc, "cannot remove unused models", err))
		goto fail;
	if (sql_exec(st, "DELETE FROM artefacts WHERE path NOT IN (SELECT path FROM models)", err) ||
	    sql_commit(st, err))
		goto fail;
	/* The text of the versions removed must not outlive them in the store's files. */
	if (out->versions && sqlite_purge_deleted_text(st, err)) {
		release_gc_release(out);
		return -1;
	}
	return 0;
fail:
	sql_rollback(st);
	release_gc_release(out);
	return -1;
}

void release_gc_release(struct release_gc *gc)
{
	for (size_t i = 0; i < gc->nfiles; i++)
		free(gc->files[i]);
	free(gc->files);
	memset(gc, 0, sizeof(*gc));
}

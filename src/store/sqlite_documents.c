/*
 * SQLite backend: documents, pages and chunks.  Each document is saved in
 * one transaction, so a crash leaves either its old version or its new
 * one, never a mix.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "text/stopwords.h"
#include "store/store.h"

static const char *const status_names[] = { "indexed", "needs_ocr", "failed", "deleted" };

const char *doc_status_name(enum doc_status status)
{
	return status_names[status];
}

static enum doc_status parse_status(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && !strcmp(s, status_names[i]))
			return (enum doc_status)i;
	return DOC_FAILED;
}

void doc_record_release(struct doc_record *d)
{
	free(d->root);
	free(d->relpath);
	free(d->sha256);
	free(d->seen_sha256);
	free(d->type);
	free(d->language);
	free(d->title);
	free(d->encoding);
	free(d->cache_key);
	free(d->error);
	memset(d, 0, sizeof(*d));
}

void doc_records_free(struct doc_record *docs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		doc_record_release(&docs[i]);
	free(docs);
}

#define DOC_COLUMNS                                                                           \
	"id, root, relpath, sha256, seen_sha256, type, language, title, encoding, cache_key," \
	" error, status, size, mtime, pages, pages_needing_ocr, chunks, chars"

static void read_doc(struct sql_stmt *stmt, struct doc_record *d)
{
	d->id = sql_column_int64(stmt, 0);
	d->root = sql_column_dup(stmt, 1);
	d->relpath = sql_column_dup(stmt, 2);
	d->sha256 = sql_column_dup(stmt, 3);
	d->seen_sha256 = sql_column_dup(stmt, 4);
	d->type = sql_column_dup(stmt, 5);
	d->language = sql_column_dup(stmt, 6);
	d->title = sql_column_dup(stmt, 7);
	d->encoding = sql_column_dup(stmt, 8);
	d->cache_key = sql_column_dup(stmt, 9);
	d->error = sql_column_dup(stmt, 10);
	d->status = parse_status(sql_column_text(stmt, 11));
	d->size = sql_column_int64(stmt, 12);
	d->mtime = sql_column_int64(stmt, 13);
	d->pages = sql_column_int(stmt, 14);
	d->pages_needing_ocr = sql_column_int(stmt, 15);
	d->chunks = sql_column_int(stmt, 16);
	d->chars = sql_column_int64(stmt, 17);
}

enum lookup store_doc_load(struct store *st, long long id, struct doc_record *out, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	memset(out, 0, sizeof(*out));
	if (sql_prepare(st, "SELECT " DOC_COLUMNS " FROM documents WHERE id = ?", &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_int64(stmt, 1, id);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		read_doc(stmt, out);
	else if (rc != SQL_DONE)
		sql_fail(st, "cannot read the document", err);
	sql_finalize(stmt);
	return rc == SQL_ROW ? LOOKUP_FOUND : rc == SQL_DONE ? LOOKUP_MISSING : LOOKUP_FAILED;
}

int store_docs_load(struct store *st, struct doc_record **out, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st, "SELECT " DOC_COLUMNS " FROM documents ORDER BY id", &stmt, err))
		return -1;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		read_doc(stmt, &(*out)[(*n)++]);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the documents", err)) {
		doc_records_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

static int upsert_doc(struct store *st, struct doc_record *d, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	long long now = time_now_ms();
	const char *sql =
		d->id ? "UPDATE documents SET root = ?1, relpath = ?2, sha256 = ?3, seen_sha256 = ?4,"
			" type = ?5, language = ?6, title = ?7, encoding = ?8, cache_key = ?9, error = ?10,"
			" status = ?11, size = ?12, mtime = ?13, pages = ?14, pages_needing_ocr = ?15,"
			" chunks = ?16, chars = ?17, updated_at = ?18 WHERE id = ?19"
		      : "INSERT INTO documents (root, relpath, sha256, seen_sha256, type, language, title,"
			" encoding, cache_key, error, status, size, mtime, pages, pages_needing_ocr, chunks,"
			" chars, updated_at, first_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
			" ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18)";
	if (sql_prepare_kept(st, sql, &stmt, err))
		return -1;
	const char *texts[] = { d->root,
				d->relpath,
				d->sha256,
				d->seen_sha256,
				d->type,
				d->language,
				d->title,
				d->encoding,
				d->cache_key,
				d->error,
				doc_status_name(d->status) };
	for (int i = 0; i < 11; i++)
		sql_bind_text(stmt, i + 1, texts[i]);
	sql_bind_int64(stmt, 12, d->size);
	sql_bind_int64(stmt, 13, d->mtime);
	sql_bind_int64(stmt, 14, d->pages);
	sql_bind_int64(stmt, 15, d->pages_needing_ocr);
	sql_bind_int64(stmt, 16, d->chunks);
	sql_bind_int64(stmt, 17, d->chars);
	sql_bind_int64(stmt, 18, now);
	if (d->id)
		sql_bind_int64(stmt, 19, d->id);
	int rc = sql_step(stmt);
	sql_kept_done(st, stmt);
	if (rc != SQL_DONE)
		return sql_fail(st, "cannot save the document", err);
	if (!d->id)
		d->id = sql_last_insert_id(st);
	return 0;
}

/* A document's pages describe its newest version only (its chunks stay with their version). */
static int delete_pages(struct store *st, long long doc_id, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare_kept(st, "DELETE FROM pages WHERE doc_id = ?", &stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, doc_id);
	int rc = sql_step(stmt);
	sql_kept_done(st, stmt);
	return rc == SQL_DONE ? 0 : sql_fail(st, "cannot remove old pages", err);
}

/*
 * A new, immutable version of the document's content; documents.version_id
 * points at it.  Older versions stay while a release holds them.
 */
static long long insert_version(struct store *st, const struct doc_record *d,
				const struct page_record *pages, size_t npages, long long run_id,
				struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	int ocr = 0, weak = 0;
	for (size_t i = 0; i < npages; i++) {
		ocr += pages[i].method == PAGE_OCR || pages[i].method == PAGE_OCR_FAILED;
		weak += pages[i].flagged;
	}
	if (sql_prepare_kept(
		    st,
		    "INSERT INTO doc_versions (doc_id, sha256, title, language, pages,"
		    " pages_needing_ocr, ocr_pages, weak_pages, chunks, chars, run_id, created_at)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    &stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, d->id);
	sql_bind_text(stmt, 2, d->sha256 ? d->sha256 : d->seen_sha256);
	sql_bind_text(stmt, 3, d->title);
	sql_bind_text(stmt, 4, d->language);
	sql_bind_int64(stmt, 5, d->pages);
	sql_bind_int64(stmt, 6, d->pages_needing_ocr);
	sql_bind_int64(stmt, 7, ocr);
	sql_bind_int64(stmt, 8, weak);
	sql_bind_int64(stmt, 9, d->chunks);
	sql_bind_int64(stmt, 10, d->chars);
	if (run_id)
		sql_bind_int64(stmt, 11, run_id);
	sql_bind_int64(stmt, 12, time_now_ms());
	int rc = sql_step(stmt);
	sql_kept_done(st, stmt);
	if (rc != SQL_DONE)
		return sql_fail(st, "cannot save the document's version", err);
	long long id = sql_last_insert_id(st);
	if (sql_prepare_kept(st, "UPDATE documents SET version_id = ? WHERE id = ?", &stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, id);
	sql_bind_int64(stmt, 2, d->id);
	rc = sql_step(stmt);
	sql_kept_done(st, stmt);
	return rc == SQL_DONE ? id : sql_fail(st, "cannot point the document at its version", err);
}

const char *page_method_name(enum page_method method)
{
	static const char *const names[] = { "text", "needs_ocr", "empty", "ocr", "ocr_failed" };
	return names[method];
}

static int insert_pages(struct store *st, long long doc_id, const struct page_record *pages, size_t n,
			struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare_kept(st,
			     "INSERT INTO pages (doc_id, page_no, method, chars, ocr_key, confidence,"
			     " words, low_words, flagged, seconds, error) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
			     &stmt, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct page_record *p = &pages[i];
		int ocr = p->method == PAGE_OCR || p->method == PAGE_OCR_FAILED;
		sql_reset(stmt);
		sql_clear_bindings(stmt);
		sql_bind_int64(stmt, 1, doc_id);
		sql_bind_int64(stmt, 2, p->page_no);
		sql_bind_text(stmt, 3, page_method_name(p->method));
		sql_bind_int64(stmt, 4, p->chars);
		sql_bind_text(stmt, 5, p->ocr_key);
		if (p->method == PAGE_OCR) {
			sql_bind_double(stmt, 6, p->confidence);
			sql_bind_int64(stmt, 7, p->words);
			sql_bind_int64(stmt, 8, p->low_words);
		}
		sql_bind_int64(stmt, 9, p->flagged);
		if (ocr)
			sql_bind_double(stmt, 10, p->seconds);
		sql_bind_text(stmt, 11, p->error);
		if (sql_step(stmt) != SQL_DONE) {
			sql_kept_done(st, stmt);
			return sql_fail(st, "cannot save a page", err);
		}
	}
	sql_kept_done(st, stmt);
	return 0;
}

static int insert_chunks(struct store *st, const struct doc_record *d, long long version_id,
			 const struct chunk_record *chunks, size_t n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL, *fts = NULL;
	int ret = -1;
	/* The index's text is the chunk's with its language first (\x1f fr \x1f), as chunks_fts_source gives it. */
	if (sql_prepare_kept(st,
			     "INSERT INTO chunks (doc_id, seq, page_start, page_end, heading,"
			     " char_start, char_end, language, text, low_confidence, version_id)"
			     " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
			     &stmt, err) ||
	    /* PostgreSQL has no full-text index: BM25 reads the release's lexicon. */
	    (st->db &&
	     sql_prepare_kept(st,
			      "INSERT INTO chunks_fts (rowid, body, heading) VALUES (?1,"
			      " char(31) || ?2 || char(31) || ?3, char(31) || ?2 || char(31) || ?4)",
			      &fts, err)))
		goto out;
	const char *language = d->language ? d->language : "und";
	enum lang lang = lang_from_code(language);
	for (size_t i = 0; i < n; i++) {
		const struct chunk_record *c = &chunks[i];
		const char *heading = c->heading ? c->heading : "";
		sql_reset(stmt);
		sql_bind_int64(stmt, 1, d->id);
		sql_bind_int64(stmt, 2, c->seq);
		sql_bind_int64(stmt, 3, c->page_start);
		sql_bind_int64(stmt, 4, c->page_end);
		sql_bind_text(stmt, 5, heading);
		sql_bind_int64(stmt, 6, (long long)c->char_start);
		sql_bind_int64(stmt, 7, (long long)c->char_end);
		sql_bind_text(stmt, 8, language);
		sql_bind_text(stmt, 9, c->text);
		sql_bind_int64(stmt, 10, c->low_confidence);
		sql_bind_int64(stmt, 11, version_id);
		if (sql_step(stmt) != SQL_DONE) {
			sql_fail(st, "cannot save a chunk", err);
			goto out;
		}
		if (!fts)
			continue;
		/* The index's tokenizer replays these for the text and heading it is given. */
		st->fts_hints[0] = (struct fts_hint){ c->text, strlen(c->text), lang, c->text_tokens,
						      c->text_tokens_len };
		st->fts_hints[1] = (struct fts_hint){ heading, strlen(heading), lang, c->heading_tokens,
						      c->heading_tokens_len };
		sql_reset(fts);
		sql_bind_int64(fts, 1, sql_last_insert_id(st));
		sql_bind_text(fts, 2, language);
		sql_bind_text(fts, 3, c->text);
		sql_bind_text(fts, 4, heading);
		int rc = sql_step(fts);
		memset(st->fts_hints, 0, sizeof(st->fts_hints));
		if (rc != SQL_DONE) {
			sql_fail(st, "cannot index a chunk", err);
			goto out;
		}
	}
	ret = 0;
out:
	sql_kept_done(st, stmt);
	sql_kept_done(st, fts);
	return ret;
}

int store_doc_save(struct store *st, struct doc_record *doc, const struct page_record *pages,
		   size_t npages, const struct chunk_record *chunks, size_t nchunks, int replace_content,
		   const struct task_record *tasks, size_t ntasks, const struct work_claim *claim,
		   struct strbuf *err)
{
	long long id_before = doc->id;
	double t0 = time_mono();
	if (sql_begin(st, err))
		return -1;
	if (claim && work_fence_begin(st, claim, doc_status_name(doc->status), err))
		goto fail;
	if (upsert_doc(st, doc, err) || (claim && work_fence_end(st, claim, doc->id, err)))
		goto fail;
	if (replace_content) {
		long long version;
		if (delete_pages(st, doc->id, err) || insert_pages(st, doc->id, pages, npages, err) ||
		    (version = insert_version(st, doc, pages, npages, ntasks ? tasks[0].run_id : 0,
					      err)) < 0 ||
		    insert_chunks(st, doc, version, chunks, nchunks, err))
			goto fail;
	}
	if (ntasks) {
		/* Tasks were built before the document had an id. */
		struct task_record *t = xmalloc(ntasks * sizeof(*t));
		memcpy(t, tasks, ntasks * sizeof(*t));
		for (size_t i = 0; i < ntasks; i++) {
			t[i].doc_id = doc->id;
			if (t[i].duration_ms < 0)
				t[i].duration_ms = (time_mono() - t0) * 1000;
		}
		int rc = store_tasks_add(st, t, ntasks, err);
		free(t);
		if (rc)
			goto fail;
	}
	if (sql_commit(st, err))
		goto fail;
	return 0;
fail:
	sql_rollback(st);
	doc->id = id_before;
	return -1;
}

int store_fts_index_missing(struct store *st, long long *indexed, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	*indexed = 0;
	if (st->pg) /* no full-text index to repair */
		return 0;
	if (sql_prepare(
		    st,
		    "SELECT (SELECT count(*) FROM chunks) - (SELECT count(*) FROM chunks_fts_docsize)",
		    &stmt, err))
		return -1;
	int rc = sql_step(stmt);
	long long gap = rc == SQL_ROW ? sql_column_int64(stmt, 0) : 0;
	if (rc != SQL_ROW) {
		sql_fail(st, "cannot count the chunks the full-text index holds", err);
		sql_finalize(stmt);
		return -1;
	}
	sql_finalize(stmt);
	/* Any difference: a row the index holds for no chunk may hide a chunk it lacks. */
	if (gap == 0)
		return 0;
	if (sql_begin(st, err))
		return -1;
	if (sql_exec(st,
		     "INSERT INTO chunks_fts (rowid, body, heading)"
		     " SELECT id, char(31) || language || char(31) || text,"
		     " char(31) || language || char(31) || heading FROM chunks"
		     " WHERE id NOT IN (SELECT id FROM chunks_fts_docsize)",
		     err)) {
		strbuf_addstr(err, " (indexing the chunks the full-text index lacks)");
		sql_rollback(st);
		return -1;
	}
	*indexed = sql_changes(st);
	return sql_commit(st, err) ? (sql_rollback(st), -1) : 0;
}

int store_doc_move(struct store *st, long long doc_id, const char *root, const char *relpath,
		   long long mtime, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(
		    st,
		    "UPDATE documents SET root = ?, relpath = ?, mtime = ?, updated_at = ?,"
		    " status = CASE WHEN status = 'deleted' THEN"
		    "   (CASE WHEN chunks > 0 OR pages_needing_ocr = 0 THEN 'indexed' ELSE 'needs_ocr' END)"
		    " ELSE status END WHERE id = ?",
		    &stmt, err))
		return -1;
	sql_bind_text(stmt, 1, root);
	sql_bind_text(stmt, 2, relpath);
	sql_bind_int64(stmt, 3, mtime);
	sql_bind_int64(stmt, 4, time_now_ms());
	sql_bind_int64(stmt, 5, doc_id);
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	return rc == SQL_DONE ? 0 : sql_fail(st, "cannot record a rename", err);
}

int store_doc_delete(struct store *st, long long doc_id, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_begin(st, err))
		return -1;
	/*
	 * The row stays (a path feedback may name, a rename to follow); the
	 * title goes with the text: the versions a kept release holds have theirs.
	 */
	if (delete_pages(st, doc_id, err) ||
	    sql_prepare(st,
			"UPDATE documents SET status = 'deleted', sha256 = NULL, chunks = 0,"
			" pages = 0, pages_needing_ocr = 0, chars = 0, version_id = NULL,"
			" title = NULL, updated_at = ? WHERE id = ?",
			&stmt, err))
		goto fail;
	sql_bind_int64(stmt, 1, time_now_ms());
	sql_bind_int64(stmt, 2, doc_id);
	if (sql_step(stmt) != SQL_DONE) {
		sql_fail(st, "cannot mark the document deleted", err);
		goto fail;
	}
	sql_finalize(stmt);
	return sql_commit(st, err);
fail:
	sql_finalize(stmt);
	sql_rollback(st);
	return -1;
}

/*
 * Measured on 2 busy cores, medians: secure_delete costs nothing visible
 * on a fresh ingest of 300 text PDFs (8 runs each at load 5: 4.5 s on,
 * 4.7 s off; 5 runs at load 9: 8.1 s on, 8.4 s off) and about 100 ms on
 * the retention step that removes 150 of them (420 ms on, 315 ms off,
 * 5 runs at load 9).  The purge below
 * (optimize over the 5,450 chunks left of 1,000 PDFs, then the
 * checkpoint) is lost in the noise of that step: 1.7-2.8 s with it,
 * 2.0-2.3 s without.  Debian's SQLite is built with secure_delete on; the
 * PRAGMA makes it so for any other build too.
 */
int sqlite_purge_deleted_text(struct store *st, struct strbuf *err)
{
	int log = 0, done = 0;
	if (sql_exec(st,
		     "DELETE FROM ocr_cache WHERE key NOT IN"
		     " (SELECT ocr_key FROM pages WHERE ocr_key IS NOT NULL)",
		     err))
		return -1;
	/* PostgreSQL: deleted rows are gone once vacuumed (autovacuum); there is no index to merge. */
	if (st->pg)
		return 0;
	if (sql_exec(st, "INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')", err))
		return -1;
	/* SQLITE_BUSY (a reader on an older snapshot) leaves frames for the next checkpoint. */
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return sql_fail(st, "cannot checkpoint the WAL after deleting text", err);
	return 0;
}

int store_totals(struct store *st, struct store_totals *out, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	memset(out, 0, sizeof(*out));
	if (sql_prepare(st,
			"SELECT count(*) FILTER (WHERE status != 'deleted'),"
			" coalesce(sum(chunks), 0), coalesce(sum(pages), 0),"
			" coalesce(sum(pages_needing_ocr), 0),"
			" count(*) FILTER (WHERE status = 'failed') FROM documents",
			&stmt, err))
		return -1;
	int rc = sql_step(stmt);
	if (rc == SQL_ROW) {
		out->documents = sql_column_int64(stmt, 0);
		out->chunks = sql_column_int64(stmt, 1);
		out->pages = sql_column_int64(stmt, 2);
		out->pages_needing_ocr = sql_column_int64(stmt, 3);
		out->failed = sql_column_int64(stmt, 4);
	}
	int ret = sql_found(st, rc, "cannot count the documents", err) == LOOKUP_FOUND ? 0 : -1;
	sql_finalize(stmt);
	return ret;
}

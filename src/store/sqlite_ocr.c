/*
 * SQLite backend: the OCR cache (results keyed by page image, settings and
 * engine) and the OCR pages of the index, for reports.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

enum lookup store_ocr_cache_get(struct store *st, const char *key, char **result_json,
				struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	*result_json = NULL;
	if (sql_prepare(st, "SELECT result FROM ocr_cache WHERE key = ?", &stmt, err))
		return LOOKUP_FAILED;
	sql_bind_text(stmt, 1, key);
	int rc = sql_step(stmt);
	if (rc == SQL_ROW)
		*result_json = sql_column_dup(stmt, 0);
	enum lookup ret = sql_found(st, rc, "cannot read the OCR cache", err);
	sql_finalize(stmt);
	return ret;
}

int store_ocr_cache_put(struct store *st, const char *key, const char *engine, const char *languages,
			int dpi, float confidence, int words, int low_words, double seconds,
			const char *result_json, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st,
			"INSERT INTO ocr_cache (key, engine, languages, dpi,"
			" confidence, words, low_words, seconds, result, created_at)"
			" VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET"
			" engine = excluded.engine, languages = excluded.languages, dpi = excluded.dpi,"
			" confidence = excluded.confidence, words = excluded.words,"
			" low_words = excluded.low_words, seconds = excluded.seconds,"
			" result = excluded.result, created_at = excluded.created_at",
			&stmt, err))
		return -1;
	sql_bind_text(stmt, 1, key);
	sql_bind_text(stmt, 2, engine);
	sql_bind_text(stmt, 3, languages);
	sql_bind_int64(stmt, 4, dpi);
	sql_bind_double(stmt, 5, confidence);
	sql_bind_int64(stmt, 6, words);
	sql_bind_int64(stmt, 7, low_words);
	sql_bind_double(stmt, 8, seconds);
	sql_bind_text(stmt, 9, result_json);
	sql_bind_int64(stmt, 10, time_now_ms());
	int rc = sql_step(stmt);
	sql_finalize(stmt);
	return rc == SQL_DONE ? 0 : sql_fail(st, "cannot save to the OCR cache", err);
}

#define OCR_PAGE_COLUMNS                                                                     \
	"d.relpath, coalesce(d.language, 'und'), p.error, p.ocr_key, c.engine, c.languages," \
	" p.page_no, coalesce(p.words, 0), coalesce(p.low_words, 0), p.flagged,"             \
	" p.method = 'ocr_failed', coalesce(c.dpi, 0), coalesce(p.confidence, 0),"           \
	" coalesce(p.seconds, 0)"                                                            \
	" FROM pages p JOIN documents d ON d.id = p.doc_id"                                  \
	" LEFT JOIN ocr_cache c ON c.key = p.ocr_key"

static void read_page(struct sql_stmt *stmt, struct ocr_page_info *p)
{
	p->doc = sql_column_dup(stmt, 0);
	p->language = sql_column_dup(stmt, 1);
	p->error = sql_column_dup(stmt, 2);
	p->ocr_key = sql_column_dup(stmt, 3);
	p->engine = sql_column_dup(stmt, 4);
	p->languages = sql_column_dup(stmt, 5);
	p->page_no = sql_column_int(stmt, 6);
	p->words = sql_column_int(stmt, 7);
	p->low_words = sql_column_int(stmt, 8);
	p->flagged = sql_column_int(stmt, 9);
	p->failed = sql_column_int(stmt, 10);
	p->dpi = sql_column_int(stmt, 11);
	p->confidence = (float)sql_column_double(stmt, 12);
	p->seconds = sql_column_double(stmt, 13);
}

int store_ocr_pages(struct store *st, struct ocr_page_info **out, size_t *n, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st,
			"SELECT " OCR_PAGE_COLUMNS " WHERE p.method IN ('ocr', 'ocr_failed')"
			" AND d.status != 'deleted' ORDER BY d.relpath, p.page_no",
			&stmt, err))
		return -1;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		memset(&(*out)[*n], 0, sizeof(**out));
		read_page(stmt, &(*out)[(*n)++]);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the OCR pages", err)) {
		ocr_pages_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

enum lookup store_ocr_page(struct store *st, const char *doc, int page_no, struct ocr_page_info *out,
			   struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	enum lookup ret = LOOKUP_MISSING;
	memset(out, 0, sizeof(*out));
	if (sql_prepare(st,
			"SELECT " OCR_PAGE_COLUMNS " WHERE d.relpath = ? AND p.page_no = ?"
			" AND d.status != 'deleted' ORDER BY d.id DESC LIMIT 1",
			&stmt, err))
		return LOOKUP_FAILED;
	sql_bind_text(stmt, 1, doc);
	sql_bind_int64(stmt, 2, page_no);
	if (sql_step(stmt) == SQL_ROW) {
		read_page(stmt, out);
		ret = LOOKUP_FOUND;
	}
	sql_finalize(stmt);
	return ret;
}

void ocr_page_info_release(struct ocr_page_info *p)
{
	free(p->doc);
	free(p->language);
	free(p->error);
	free(p->ocr_key);
	free(p->engine);
	free(p->languages);
	memset(p, 0, sizeof(*p));
}

void ocr_pages_free(struct ocr_page_info *pages, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ocr_page_info_release(&pages[i]);
	free(pages);
}

/* store_run_documents' columns after the flagged pages, which each dialect lists its own way. */
#define RUN_DOCUMENTS_REST                                                                            \
	" count(p.page_no), count(*) FILTER (WHERE p.method = 'text'),"                               \
	" count(*) FILTER (WHERE p.method = 'ocr'), count(*) FILTER (WHERE p.method = 'ocr_failed')," \
	" coalesce(avg(CASE WHEN p.method = 'ocr' THEN p.confidence END), 0),"                        \
	" CASE WHEN d.status = 'failed' THEN d.error END"                                             \
	" FROM documents d LEFT JOIN pages p ON p.doc_id = d.id"                                      \
	" WHERE d.id IN (SELECT doc_id FROM tasks WHERE run_id = ? AND state != 'cached')"            \
	" GROUP BY d.id ORDER BY d.relpath"

int store_run_documents(struct store *st, long long run_id, struct run_document **out, size_t *n,
			struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(
		    st,
		    SQL_PICK(st,
			     "SELECT d.relpath, group_concat(CASE WHEN p.flagged THEN p.page_no END)," RUN_DOCUMENTS_REST,
			     "SELECT d.relpath, string_agg(p.page_no::text, ',' ORDER BY p.page_no)"
			     " FILTER (WHERE p.flagged <> 0)," RUN_DOCUMENTS_REST),
		    &stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, run_id);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		struct run_document *r = &(*out)[(*n)++];
		r->doc = sql_column_dup(stmt, 0);
		r->flagged_pages = sql_column_dup(stmt, 1);
		r->pages = sql_column_int(stmt, 2);
		r->text_pages = sql_column_int(stmt, 3);
		r->ocr_pages = sql_column_int(stmt, 4);
		r->failed_pages = sql_column_int(stmt, 5);
		r->confidence = sql_column_double(stmt, 6);
		r->error = sql_column_dup(stmt, 7);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the run's documents", err)) {
		run_documents_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void run_documents_free(struct run_document *docs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(docs[i].doc);
		free(docs[i].flagged_pages);
		free(docs[i].error);
	}
	free(docs);
}

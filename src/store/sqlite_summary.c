/*
 * SQLite backend: the rows of a time window that the monitoring summary
 * (`ragops monitor`, /api/metrics/summary) is computed from.  The store
 * hands back rows; percentiles and per-day figures are computed by the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

/*
 * OCR success as `ragops ocr report` and `ragops runs show` count it: a
 * page that went through OCR ('ocr' or 'ocr_failed'; blank pages are
 * neither) succeeded when it was read and not flagged weak; confidence is
 * averaged over the pages that were read.
 */
static const char runs_sql[] =
	"WITH w AS (SELECT * FROM runs WHERE started_at >= ?1),"
	" done AS (SELECT DISTINCT run_id, doc_id FROM tasks"
	"   WHERE run_id IN (SELECT id FROM w) AND doc_id IS NOT NULL AND state != 'cached'),"
	" ocr AS (SELECT done.run_id, count(*) AS pages,"
	"   count(*) FILTER (WHERE p.method = 'ocr' AND p.flagged = 0) AS succeeded,"
	"   count(*) FILTER (WHERE p.method = 'ocr') AS read,"
	"   coalesce(sum(p.confidence) FILTER (WHERE p.method = 'ocr'), 0) AS conf"
	"   FROM done JOIN pages p ON p.doc_id = done.doc_id"
	"   WHERE p.method IN ('ocr', 'ocr_failed') GROUP BY done.run_id)"
	" SELECT w.id, w.state, w.started_at, coalesce(w.ended_at, 0), w.docs_new + w.docs_changed,"
	"   w.docs_failed, w.pages, coalesce(ocr.pages, 0), coalesce(ocr.succeeded, 0),"
	"   coalesce(ocr.read, 0), coalesce(ocr.conf, 0)"
	" FROM w LEFT JOIN ocr ON ocr.run_id = w.id ORDER BY w.started_at, w.id";

static void read_run(struct sql_stmt *stmt, struct summary_run *r)
{
	const char *state = sql_column_text(stmt, 1);
	memset(r, 0, sizeof(*r));
	r->id = sql_column_int64(stmt, 0);
	snprintf(r->state, sizeof(r->state), "%s", state ? state : "");
	r->started_at = sql_column_int64(stmt, 2);
	r->ended_at = sql_column_int64(stmt, 3);
	r->documents = sql_column_int64(stmt, 4);
	r->failed = sql_column_int64(stmt, 5);
	r->pages = sql_column_int64(stmt, 6);
	r->ocr_pages = sql_column_int64(stmt, 7);
	r->ocr_succeeded = sql_column_int64(stmt, 8);
	r->ocr_read = sql_column_int64(stmt, 9);
	r->ocr_confidence_sum = sql_column_double(stmt, 10);
}

int store_summary_runs(struct store *st, long long since_ms, struct summary_run **out, size_t *n,
		       struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st, runs_sql, &stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, since_ms);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		read_run(stmt, &(*out)[(*n)++]);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the runs", err)) {
		free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int store_summary_queries(struct store *st, long long since_ms, struct summary_query **out, size_t *n,
			  struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st,
			"SELECT asked_at, ms_total, answer_chars, source_count, abstained"
			" FROM queries WHERE asked_at >= ? ORDER BY asked_at, id",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, since_ms);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		struct summary_query *q = &(*out)[(*n)++];
		q->asked_at = sql_column_int64(stmt, 0);
		q->ms_total = sql_column_double(stmt, 1);
		q->answer_chars = sql_column_int(stmt, 2);
		q->source_count = sql_column_int(stmt, 3);
		q->abstained = sql_column_int(stmt, 4);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the query log", err)) {
		free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int store_summary_ratings(struct store *st, long long since_ms, struct summary_rating **out, size_t *n,
			  struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st,
			"SELECT created_at, rating FROM feedback WHERE created_at >= ?"
			" ORDER BY created_at, id",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, since_ms);
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		(*out)[*n].created_at = sql_column_int64(stmt, 0);
		(*out)[(*n)++].rating = sql_column_int(stmt, 1);
	}
	if (sql_rows_end(st, stmt, rc, "cannot read the feedback", err)) {
		free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

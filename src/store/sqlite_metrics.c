/*
 * SQLite backend: aggregates for the Prometheus exposition (/metrics).
 * One query each, computed by SQLite in a single pass over the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

static const struct {
	const char *value, *from;
} series_sql[] = {
	[SERIES_OCR_CONFIDENCE] = { "confidence", "pages WHERE method = 'ocr' AND words > 0" },
	[SERIES_QUERY_SECONDS] = { "ms_total / 1000.0", "queries" },
	[SERIES_ANSWER_CHARS] = { "answer_chars", "queries" },
	[SERIES_ANSWER_SOURCES] = { "source_count", "queries" },
	[SERIES_RATING] = { "rating", "feedback" },
};

int store_series_histogram(struct store *st, enum store_series series, const double *bounds,
			   size_t nbounds, struct store_histogram *h, struct strbuf *err)
{
	struct strbuf sql = STRBUF_INIT;
	sqlite3_stmt *stmt = NULL;
	const char *v = series_sql[series].value;
	strbuf_addf(&sql, "SELECT count(*), total(%s)", v);
	for (size_t i = 0; i < nbounds; i++)
		strbuf_addf(&sql, ", total(%s <= %.17g)", v, bounds[i]);
	strbuf_addf(&sql, " FROM %s", series_sql[series].from);
	int rc = sql_prepare(st, sql.buf, &stmt, err);
	strbuf_release(&sql);
	if (rc)
		return -1;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return sql_fail(st, "cannot read a histogram", err);
	}
	h->count = sqlite3_column_int64(stmt, 0);
	h->sum = sqlite3_column_double(stmt, 1);
	for (size_t i = 0; i < nbounds; i++)
		h->le[i] = (long long)sqlite3_column_double(stmt, (int)i + 2);
	sqlite3_finalize(stmt);
	return 0;
}

static const char *const tally_sql[] = {
	[TALLY_RUNS_BY_STATE] = "SELECT state, count(*) FROM runs GROUP BY state",
	[TALLY_DOCUMENTS_BY_STATUS] = "SELECT status, count(*) FROM documents GROUP BY status",
	[TALLY_PAGES_BY_METHOD] = "SELECT method, count(*) FROM pages GROUP BY method",
	[TALLY_QUERIES_BY_RETRIEVER] = "SELECT retriever || (CASE WHEN abstained THEN ',abstained'"
				       " ELSE ',answered' END), count(*) FROM queries GROUP BY 1",
	[TALLY_GATE_OUTCOMES] = "SELECT CASE action WHEN 'refuse' THEN 'refused' ELSE 'promoted' END,"
				" count(*) FROM release_events WHERE actor = 'gate' GROUP BY 1",
	[TALLY_RELEASE_CHANGES] = "SELECT action || CASE WHEN forced THEN ' (forced)' ELSE '' END,"
				  " count(*) FROM release_events WHERE actor NOT IN ('gate', 'migration')"
				  " GROUP BY 1",
};

int store_tally(struct store *st, enum store_tally what, struct store_count **out, size_t *n,
		struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t alloc = 0;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st, tally_sql[what], &stmt, err))
		return -1;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		const unsigned char *label = sqlite3_column_text(stmt, 0);
		snprintf((*out)[*n].label, sizeof((*out)[*n].label), "%s", label ? (const char *)label : "");
		(*out)[*n].n = sqlite3_column_int64(stmt, 1);
		(*n)++;
	}
	if (sql_rows_end(st, stmt, rc, "cannot count", err)) {
		free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

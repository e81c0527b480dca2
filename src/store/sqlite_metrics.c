/*
 * SQLite backend: aggregates for the Prometheus exposition (/metrics).
 * One query each, computed by SQLite in a single pass over the table.
 * Each statement is constant text: the series picks one, and the bucket
 * bounds are bound parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

/*
 * The histogram of the values v(x): count, sum, then one cumulative bucket
 * per bound ?1..?16.  A bound left unbound is NULL, and `x <= NULL` is
 * NULL, which the filter skips: unused buckets read 0.  The bounds are
 * doubles, whatever x's type (PostgreSQL would read them as x's).
 */
#define HISTOGRAM_OF_V                                                 \
	" SELECT count(*), coalesce(sum(x), 0),"                       \
	" count(*) FILTER (WHERE x <= CAST(?1 AS double precision)),"  \
	" count(*) FILTER (WHERE x <= CAST(?2 AS double precision)),"  \
	" count(*) FILTER (WHERE x <= CAST(?3 AS double precision)),"  \
	" count(*) FILTER (WHERE x <= CAST(?4 AS double precision)),"  \
	" count(*) FILTER (WHERE x <= CAST(?5 AS double precision)),"  \
	" count(*) FILTER (WHERE x <= CAST(?6 AS double precision)),"  \
	" count(*) FILTER (WHERE x <= CAST(?7 AS double precision)),"  \
	" count(*) FILTER (WHERE x <= CAST(?8 AS double precision)),"  \
	" count(*) FILTER (WHERE x <= CAST(?9 AS double precision)),"  \
	" count(*) FILTER (WHERE x <= CAST(?10 AS double precision))," \
	" count(*) FILTER (WHERE x <= CAST(?11 AS double precision))," \
	" count(*) FILTER (WHERE x <= CAST(?12 AS double precision))," \
	" count(*) FILTER (WHERE x <= CAST(?13 AS double precision))," \
	" count(*) FILTER (WHERE x <= CAST(?14 AS double precision))," \
	" count(*) FILTER (WHERE x <= CAST(?15 AS double precision))," \
	" count(*) FILTER (WHERE x <= CAST(?16 AS double precision)) FROM v"
#define HISTOGRAM_MAX_BOUNDS 16

static const char *const series_sql[] = {
	[SERIES_OCR_CONFIDENCE] = "WITH v(x) AS (SELECT confidence FROM pages"
				  " WHERE method = 'ocr' AND words > 0)" HISTOGRAM_OF_V,
	[SERIES_QUERY_SECONDS] = "WITH v(x) AS (SELECT ms_total / 1000.0 FROM queries)" HISTOGRAM_OF_V,
	[SERIES_ANSWER_CHARS] = "WITH v(x) AS (SELECT answer_chars FROM queries)" HISTOGRAM_OF_V,
	[SERIES_ANSWER_SOURCES] = "WITH v(x) AS (SELECT source_count FROM queries)" HISTOGRAM_OF_V,
	[SERIES_RATING] = "WITH v(x) AS (SELECT rating FROM feedback)" HISTOGRAM_OF_V,
};

int store_series_histogram(struct store *st, enum store_series series, const double *bounds,
			   size_t nbounds, struct store_histogram *h, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (nbounds > HISTOGRAM_MAX_BOUNDS)
		BUG("a histogram has at most %d bounds, not %zu", HISTOGRAM_MAX_BOUNDS, nbounds);
	if (sql_prepare(st, series_sql[series], &stmt, err))
		return -1;
	for (size_t i = 0; i < nbounds; i++)
		sql_bind_double(stmt, (int)i + 1, bounds[i]);
	if (sql_step(stmt) != SQL_ROW) {
		sql_finalize(stmt);
		return sql_fail(st, "cannot read a histogram", err);
	}
	h->count = sql_column_int64(stmt, 0);
	h->sum = sql_column_double(stmt, 1);
	for (size_t i = 0; i < nbounds; i++)
		h->le[i] = (long long)sql_column_double(stmt, (int)i + 2);
	sql_finalize(stmt);
	return 0;
}

static const char *const tally_sql[] = {
	[TALLY_RUNS_BY_STATE] = "SELECT state, sum(n) FROM (SELECT state, count(*) AS n FROM runs"
				" GROUP BY state UNION ALL SELECT label, n FROM retired_tallies"
				" WHERE tally = 'runs') tallies GROUP BY state",
	[TALLY_DOCUMENTS_BY_STATUS] = "SELECT status, count(*) FROM documents GROUP BY status",
	[TALLY_PAGES_BY_METHOD] = "SELECT method, count(*) FROM pages GROUP BY method",
	[TALLY_QUERIES_BY_RETRIEVER] = "SELECT retriever || (CASE WHEN abstained <> 0 THEN ',abstained'"
				       " ELSE ',answered' END), count(*) FROM queries GROUP BY 1",
	[TALLY_GATE_OUTCOMES] = "SELECT CASE action WHEN 'refuse' THEN 'refused' ELSE 'promoted' END,"
				" count(*) FROM release_events WHERE actor = 'gate' GROUP BY 1",
	[TALLY_RELEASE_CHANGES] = "SELECT action || CASE WHEN forced <> 0 THEN ' (forced)' ELSE '' END,"
				  " count(*) FROM release_events WHERE actor NOT IN ('gate', 'migration')"
				  " GROUP BY 1",
};

int store_tally(struct store *st, enum store_tally what, struct store_count **out, size_t *n,
		struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	size_t alloc = 0;
	*out = NULL;
	*n = 0;
	if (sql_prepare(st, tally_sql[what], &stmt, err))
		return -1;
	int rc;
	while ((rc = sql_step(stmt)) == SQL_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		const char *label = sql_column_text(stmt, 0);
		snprintf((*out)[*n].label, sizeof((*out)[*n].label), "%s", label ? label : "");
		(*out)[*n].n = sql_column_int64(stmt, 1);
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

/*
 * The monitoring summary; see summary.h.  The store hands back the rows of
 * the window; everything is added up here in one pass per section.
 */
#include "ops/summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "ops/scrub.h"

#define DAY_MS 86400000LL

struct ocr_tally {
	long long pages, succeeded, read;
	double confidence_sum;
};

struct answer_stats {
	size_t n, abstained;
	double p50, p95, chars_mean, sources_mean;
};

/* Everything summary_build reads from the store, freed together. */
struct summary_rows {
	struct summary_run *runs;
	size_t nruns;
	struct summary_query *queries;
	size_t nqueries;
	struct summary_rating *ratings;
	size_t nratings;
	struct feedback_record *recent;
	size_t nrecent;
	struct run_record *last;
	size_t nlast;
};

static json_t *real_or_null(int have, double v)
{
	return have && isfinite(v) ? json_real(v) : json_null();
}

static json_t *ratio(long long part, long long whole)
{
	return real_or_null(whole > 0, whole > 0 ? (double)part / (double)whole : 0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest rank, as health.c computes latency_p95: the same number in both places. */
static double percentile(const double *sorted, size_t n, double q)
{
	return sorted[(size_t)(q * (double)(n - 1) + 0.5)];
}

/* "7d", "36h", "90m", "45s": the largest unit that divides the window. */
static void format_window(long long ms, char *out, size_t len)
{
	static const struct {
		long long ms;
		char unit;
	} units[] = { { DAY_MS, 'd' }, { 3600000, 'h' }, { 60000, 'm' }, { 1000, 's' } };
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms > 0 && ms % units[i].ms == 0) {
			snprintf(out, len, "%lld%c", ms / units[i].ms, units[i].unit);
			return;
		}
	}
	snprintf(out, len, "%gs", (double)ms / 1000.0);
}

static void day_label(long long day, char *out, size_t len)
{
	time_t secs = (time_t)(day * 86400);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(out, len, "%Y-%m-%d", &tm);
}

static void ocr_add(struct ocr_tally *t, const struct summary_run *r)
{
	t->pages += r->ocr_pages;
	t->succeeded += r->ocr_succeeded;
	t->read += r->ocr_read;
	t->confidence_sum += r->ocr_confidence_sum;
}

static json_t *ocr_confidence(const struct ocr_tally *t)
{
	return real_or_null(t->read > 0, t->read > 0 ? t->confidence_sum / (double)t->read : 0);
}

static void answer_stats(const struct summary_query *q, size_t n, struct answer_stats *s)
{
	double chars = 0, sources = 0;
	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n)
		return;
	double *ms = xmalloc(n * sizeof(*ms));
	for (size_t i = 0; i < n; i++) {
		ms[i] = q[i].ms_total;
		chars += q[i].answer_chars;
		sources += q[i].source_count;
		s->abstained += q[i].abstained != 0;
	}
	qsort(ms, n, sizeof(*ms), cmp_double);
	s->p50 = percentile(ms, n, 0.50);
	s->p95 = percentile(ms, n, 0.95);
	s->chars_mean = chars / (double)n;
	s->sources_mean = sources / (double)n;
	free(ms);
}

/* A crashed run's end is when the next run noticed it: not a duration. */
static int run_has_duration(const struct summary_run *r)
{
	return r->ended_at >= r->started_at && r->ended_at && strcmp(r->state, "crashed") &&
	       strcmp(r->state, "running");
}

static json_t *last_run_json(const struct run_record *last, size_t n)
{
	if (!n)
		return json_null();
	return json_pack("{s:I, s:s, s:o}", "id", (json_int_t)last->id, "state", last->state, "ended_at",
			 json_time(last->ended_at));
}

static json_t *pipeline_json(const struct summary_rows *rows)
{
	long long completed = 0, failed = 0, crashed = 0, refused = 0, docs = 0, docs_failed = 0;
	long long pages = 0;
	struct ocr_tally ocr = { 0 };
	double *secs = xmalloc((rows->nruns + 1) * sizeof(*secs));
	size_t nsecs = 0;
	for (size_t i = 0; i < rows->nruns; i++) {
		const struct summary_run *r = &rows->runs[i];
		completed += !strncmp(r->state, "completed", 9);
		failed += !strcmp(r->state, "failed");
		crashed += !strcmp(r->state, "crashed");
		refused += !strcmp(r->state, "refused");
		docs += r->documents;
		docs_failed += r->failed;
		pages += r->pages;
		ocr_add(&ocr, r);
		if (run_has_duration(r))
			secs[nsecs++] = (double)(r->ended_at - r->started_at) / 1000.0;
	}
	qsort(secs, nsecs, sizeof(*secs), cmp_double);
	json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}",
			      "runs", (json_int_t)rows->nruns, "completed", (json_int_t)completed,
			      "failed", (json_int_t)failed, "crashed", (json_int_t)crashed, "refused",
			      (json_int_t)refused, "documents_processed", (json_int_t)docs,
			      "documents_failed", (json_int_t)docs_failed, "pages", (json_int_t)pages,
			      "ocr_pages", (json_int_t)ocr.pages, "ocr_success_rate",
			      ratio(ocr.succeeded, ocr.pages), "ocr_mean_confidence",
			      ocr_confidence(&ocr), "run_seconds_p50",
			      real_or_null(nsecs > 0, nsecs ? percentile(secs, nsecs, 0.5) : 0),
			      "last_run", last_run_json(rows->last, rows->nlast));
	free(secs);
	return j;
}

static json_t *run_json(const struct summary_run *r)
{
	struct ocr_tally ocr = { 0 };
	ocr_add(&ocr, r);
	return json_pack("{s:I, s:o, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "id", (json_int_t)r->id,
			 "started_at", json_time(r->started_at), "state", r->state, "documents",
			 (json_int_t)r->documents, "failed", (json_int_t)r->failed, "pages",
			 (json_int_t)r->pages, "ocr_pages", (json_int_t)r->ocr_pages, "ocr_success_rate",
			 ratio(r->ocr_succeeded, r->ocr_pages), "ocr_mean_confidence",
			 ocr_confidence(&ocr), "duration_s",
			 real_or_null(run_has_duration(r),
				      (double)(r->ended_at - r->started_at) / 1000.0));
}

static json_t *runs_json(const struct summary_rows *rows, int max_runs)
{
	json_t *arr = json_array();
	size_t keep = max_runs > 0 ? (size_t)max_runs : 0;
	size_t from = rows->nruns > keep ? rows->nruns - keep : 0;
	for (size_t i = from; i < rows->nruns; i++)
		json_array_append_new(arr, run_json(&rows->runs[i]));
	return arr;
}

static json_t *rag_json(const struct summary_rows *rows)
{
	struct answer_stats s;
	answer_stats(rows->queries, rows->nqueries, &s);
	return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "queries", (json_int_t)s.n, "abstained",
			 (json_int_t)s.abstained, "abstention_rate",
			 ratio((long long)s.abstained, (long long)s.n), "latency_ms_p50",
			 real_or_null(s.n > 0, s.p50), "latency_ms_p95", real_or_null(s.n > 0, s.p95),
			 "answer_chars_mean", real_or_null(s.n > 0, s.chars_mean), "sources_mean",
			 real_or_null(s.n > 0, s.sources_mean));
}

/* What one UTC day adds up to, besides its questions. */
struct day_acc {
	struct ocr_tally ocr;
	long long feedback;
	double rating_sum;
};

static json_t *day_json(long long day, const struct summary_query *q, size_t nq, const struct day_acc *a)
{
	struct answer_stats s;
	char label[16];
	day_label(day, label, sizeof(label));
	answer_stats(q, nq, &s);
	return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:I, s:o, s:I, s:o}", "day", label, "queries",
			 (json_int_t)s.n, "latency_ms_p50", real_or_null(s.n > 0, s.p50),
			 "latency_ms_p95", real_or_null(s.n > 0, s.p95), "answer_chars_mean",
			 real_or_null(s.n > 0, s.chars_mean), "sources_mean",
			 real_or_null(s.n > 0, s.sources_mean), "feedback", (json_int_t)a->feedback,
			 "rating_mean",
			 real_or_null(a->feedback > 0,
				      a->feedback > 0 ? a->rating_sum / (double)a->feedback : 0),
			 "ocr_pages", (json_int_t)a->ocr.pages, "ocr_mean_confidence",
			 ocr_confidence(&a->ocr));
}

static json_t *days_json(const struct summary_rows *rows, long long since, long long now)
{
	long long today = now / DAY_MS, first = since / DAY_MS;
	if (today - first + 1 > SUMMARY_MAX_DAYS)
		first = today - SUMMARY_MAX_DAYS + 1;
	size_t ndays = (size_t)(today - first + 1);
	struct day_acc *acc = xcalloc(ndays, sizeof(*acc));
	for (size_t i = 0; i < rows->nruns; i++) {
		long long d = rows->runs[i].started_at / DAY_MS;
		if (d >= first && d <= today)
			ocr_add(&acc[d - first].ocr, &rows->runs[i]);
	}
	for (size_t i = 0; i < rows->nratings; i++) {
		long long d = rows->ratings[i].created_at / DAY_MS;
		if (d >= first && d <= today) {
			acc[d - first].feedback++;
			acc[d - first].rating_sum += rows->ratings[i].rating;
		}
	}
	/* Questions come oldest first: each day is the next slice. */
	json_t *arr = json_array();
	size_t lo = 0;
	while (lo < rows->nqueries && rows->queries[lo].asked_at / DAY_MS < first)
		lo++;
	for (long long d = first; d <= today; d++) {
		size_t hi = lo;
		while (hi < rows->nqueries && rows->queries[hi].asked_at / DAY_MS == d)
			hi++;
		json_array_append_new(arr, day_json(d, rows->queries + lo, hi - lo, &acc[d - first]));
		lo = hi;
	}
	free(acc);
	return arr;
}

static json_t *ratings_json(const struct summary_rows *rows)
{
	long long by[6] = { 0 };
	double sum = 0;
	for (size_t i = 0; i < rows->nratings; i++) {
		int r = rows->ratings[i].rating;
		by[r >= 1 && r <= 5 ? r : 0]++;
		sum += r;
	}
	size_t n = rows->nratings;
	return json_pack("{s:I, s:o, s:{s:I, s:I, s:I, s:I, s:I}}", "count", (json_int_t)n, "mean",
			 real_or_null(n > 0, n ? sum / (double)n : 0), "distribution", "1",
			 (json_int_t)by[1], "2", (json_int_t)by[2], "3", (json_int_t)by[3], "4",
			 (json_int_t)by[4], "5", (json_int_t)by[5]);
}

/* A scrubbed copy of `text` as a JSON string, null for NULL. */
static json_t *scrubbed_str(const char *text)
{
	if (!text)
		return json_null();
	char *clean = scrub_text(text, NULL);
	json_t *j = json_str(clean);
	free(clean);
	return j;
}

/*
 * The latest feedback, its text scrubbed (ops/scrub.h): the summary is
 * served on a public route and drawn on the dashboard.
 */
static json_t *recent_json(const struct summary_rows *rows)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < rows->nrecent; i++) {
		const struct feedback_record *f = &rows->recent[i];
		json_array_append_new(arr, json_pack("{s:I, s:o, s:i, s:o, s:o, s:o}", "id",
						     (json_int_t)f->id, "timestamp",
						     json_time(f->created_at), "rating", f->rating,
						     "question", scrubbed_str(f->question),
						     "feedback_text", scrubbed_str(f->text),
						     "corrected_answer", scrubbed_str(f->corrected)));
	}
	return arr;
}

static int load_rows(struct store *st, long long since, struct summary_rows *rows, struct strbuf *err)
{
	struct feedback_filter recent = { .since_ms = since, .limit = SUMMARY_RECENT_FEEDBACK };
	if (store_summary_runs(st, since, &rows->runs, &rows->nruns, err) ||
	    store_summary_queries(st, since, &rows->queries, &rows->nqueries, err) ||
	    store_summary_ratings(st, since, &rows->ratings, &rows->nratings, err) ||
	    store_feedback_list(st, &recent, &rows->recent, &rows->nrecent, err) ||
	    store_runs_list(st, 1, &rows->last, &rows->nlast, err))
		return -1;
	return 0;
}

static void release_rows(struct summary_rows *rows)
{
	free(rows->runs);
	free(rows->queries);
	free(rows->ratings);
	feedback_records_free(rows->recent, rows->nrecent);
	run_records_free(rows->last, rows->nlast);
	memset(rows, 0, sizeof(*rows));
}

/* A release as the summary shows it: id, state, creation, the gate's figures. */
static json_t *release_brief(const struct release_record *r)
{
	json_t *m = json_loads(r->metrics ? r->metrics : "", 0, NULL);
	json_t *recall = json_object_get(m, "recall_at_5"), *mrr = json_object_get(m, "mrr");
	json_t *j = json_pack("{s:I, s:s, s:o, s:I, s:O, s:O}", "id", (json_int_t)r->id, "state",
			      r->state, "created_at", json_time(r->created_at), "chunks",
			      (json_int_t)r->chunks, "recall_at_5", recall ? recall : json_null(), "mrr",
			      mrr ? mrr : json_null());
	json_decref(m);
	return j;
}

/*
 * Releases: production, the newest when it is another (a refused or
 * undecided candidate), and the gate's and people's decisions in the window.
 */
static json_t *releases_json(struct store *st, long long since, struct strbuf *err)
{
	struct release_record prod, latest;
	struct release_event *ev = NULL;
	size_t nev = 0;
	long long promoted = 0, refused = 0, by_hand = 0;
	enum lookup got_prod = store_release_get(st, 0, &prod, err);
	enum lookup got_latest = got_prod == LOOKUP_FAILED ? LOOKUP_FAILED
							   : store_release_latest(st, &latest, err);
	int has_prod = got_prod == LOOKUP_FOUND, has_latest = got_latest == LOOKUP_FOUND;
	if (got_latest == LOOKUP_FAILED || store_release_events(st, 0, 0, &ev, &nev, err)) {
		if (has_prod)
			release_record_release(&prod);
		if (has_latest)
			release_record_release(&latest);
		return NULL;
	}
	for (size_t i = 0; i < nev && ev[i].at >= since; i++) {
		int gate = !strcmp(ev[i].actor, "gate");
		promoted += gate && !strcmp(ev[i].action, "promote");
		refused += gate && !strcmp(ev[i].action, "refuse");
		by_hand += !gate && strcmp(ev[i].actor, "migration");
	}
	json_t *j = json_pack("{s:o, s:o, s:I, s:I, s:I}", "production",
			      has_prod ? release_brief(&prod) : json_null(), "newest",
			      !has_latest || (has_prod && latest.id == prod.id) ? json_null()
										: release_brief(&latest),
			      "promoted", (json_int_t)promoted, "refused", (json_int_t)refused,
			      "changed_by_hand", (json_int_t)by_hand);
	release_events_free(ev, nev);
	if (has_prod)
		release_record_release(&prod);
	if (has_latest)
		release_record_release(&latest);
	return j;
}

json_t *summary_build(struct store *st, const struct config *cfg, long long window_ms, int max_runs,
		      struct strbuf *err)
{
	struct summary_rows rows = { 0 };
	long long now = time_now_ms();
	/* Nothing is older than the epoch; a huge window is "everything". */
	long long since = window_ms > 0 && window_ms < now ? now - window_ms : window_ms > 0 ? 0 : now;
	char window[32];
	json_t *j = NULL;
	if (!st) {
		strbuf_addstr(err, "the store is not open");
		return NULL;
	}
	if (load_rows(st, since, &rows, err))
		goto cleanup;
	json_t *releases = releases_json(st, since, err);
	if (!releases)
		goto cleanup;
	format_window(window_ms, window, sizeof(window));
	j = json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "window", window,
		      "window_ms", (json_int_t)window_ms, "generated_at", json_time(now), "pipeline",
		      pipeline_json(&rows), "releases", releases, "runs", runs_json(&rows, max_runs),
		      "rag", rag_json(&rows), "days", days_json(&rows, since, now), "ratings",
		      ratings_json(&rows), "recent_feedback", recent_json(&rows));
cleanup:
	release_rows(&rows);
	return j;
}

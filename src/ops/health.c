/*
 * The health checker; see health.h.
 */
#include "ops/health.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "core/fsutil.h"
#include "core/http.h"
#include "core/timeutil.h"
#include "ops/feedback.h"
#include "ops/ocr_report.h"
#include "retrieval/release.h"

const char *health_status_name(enum health_status s)
{
	static const char *const names[] = { "ok", "skipped", "degraded", "down" };
	return names[s];
}

static struct health_check *add(struct health_report *r, const char *name, enum health_status s,
				const char *value, const char *threshold, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static struct health_check *add(struct health_report *r, const char *name, enum health_status s,
				const char *value, const char *threshold, const char *fmt, ...)
{
	struct health_check *c = &r->checks[r->n++];
	va_list ap;
	c->name = name;
	c->status = s;
	snprintf(c->value, sizeof(c->value), "%s", value);
	snprintf(c->threshold, sizeof(c->threshold), "%s", threshold);
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	if (s > r->overall && s != HEALTH_SKIPPED)
		r->overall = s;
	return c;
}

static void check_store(struct store *st, struct health_report *r)
{
	struct strbuf report = STRBUF_INIT;
	if (store_check(st, &report))
		add(r, "store", HEALTH_DOWN, "damaged", "intact", "%.200s", report.buf);
	else
		add(r, "store", HEALTH_OK, "intact", "intact", "reachable, integrity check clean");
	strbuf_release(&report);
}

/* The release in production: there, not empty, with its lexicon and vectors. */
static void check_index(struct store *st, const struct config *cfg, struct health_report *r)
{
	struct release_record rel;
	struct strbuf err = STRBUF_INIT;
	char value[64];
	enum lookup got = store_release_get(st, 0, &rel, &err);
	if (got != LOOKUP_FOUND) {
		if (got == LOOKUP_FAILED)
			add(r, "index", HEALTH_DOWN, "none", "a release",
			    "cannot read the releases: %.200s", err.buf);
		else
			add(r, "index", HEALTH_DOWN, "none", "a release",
			    "no production index (no release yet): run 'ragops run'");
		strbuf_release(&err);
		return;
	}
	snprintf(value, sizeof(value), "release %lld, %lld chunks", rel.id, rel.chunks);
	const struct release_view *view = NULL;
	struct release_hold *hold = NULL;
	if (!rel.chunks) {
		add(r, "index", HEALTH_DOWN, value, "> 0 chunks", "the release in production is empty");
	} else if (release_get(st, cfg, 0, &view, &hold, &err) != LOOKUP_FOUND) {
		add(r, "index", HEALTH_DOWN, value, "loadable", "release %lld cannot be loaded: %.180s",
		    rel.id, err.buf);
	} else if (!view->lx && !strcmp(cfg->retrieve.bm25_index, "lexicon")) {
		add(r, "index", HEALTH_DEGRADED, value, "lexicon",
		    "%.160s: BM25 reads the SQLite index "
		    "(slower) until the next 'ragops run'",
		    view->lexicon_problem);
	} else if (release_vectors(view, st, cfg, &err) == (const struct vector_index *)-1) {
		add(r, "index", HEALTH_DOWN, value, "readable",
		    "cannot read release %lld's vectors: "
		    "%.160s",
		    rel.id, err.buf);
	} else if (!release_vectors(view, st, cfg, &err)) {
		char why[sizeof(view->vectors_problem)];
		release_vectors_problem(view, why, sizeof(why));
		add(r, "index", HEALTH_DEGRADED, value, "vectors",
		    "release %lld: answers use BM25 alone "
		    "(%.150s)",
		    rel.id, why[0] ? why : "no embedder");
	} else {
		add(r, "index", HEALTH_OK, value, "> 0 chunks", "%lld documents, embedder %s",
		    rel.documents, view->embedder);
	}
	release_put(hold);
	release_record_release(&rel);
	strbuf_release(&err);
}

/* A newer release than production that the gate refused: the index lags the documents. */
static void check_release(struct store *st, struct health_report *r)
{
	struct release_record latest, prod;
	struct strbuf err = STRBUF_INIT;
	char value[64];
	if (store_release_latest(st, &latest, &err) != LOOKUP_FOUND) {
		add(r, "release", HEALTH_SKIPPED, "-", "-", "no release yet");
		strbuf_release(&err);
		return;
	}
	int has_prod = store_release_get(st, 0, &prod, &err) == LOOKUP_FOUND;
	snprintf(value, sizeof(value), "production %lld", has_prod ? prod.id : 0);
	if (!strcmp(latest.state, "refused") && (!has_prod || latest.id > prod.id)) {
		json_t *checks = json_loads(latest.checks ? latest.checks : "", 0, NULL);
		struct strbuf why = STRBUF_INIT;
		size_t i;
		json_t *c;
		json_array_foreach(checks, i, c)
		{
			if (json_is_false(json_object_get(c, "ok")))
				strbuf_addf(&why, "%s%s: %s", why.len ? "; " : "",
					    json_string_value(json_object_get(c, "check")),
					    json_string_value(json_object_get(c, "detail")));
		}
		add(r, "release", HEALTH_DEGRADED, value, "newest release",
		    "release %lld (run %lld) was "
		    "refused: %.120s; production is older than the documents",
		    latest.id, latest.run_id, why.buf);
		strbuf_release(&why);
		json_decref(checks);
	} else if (has_prod) {
		add(r, "release", HEALTH_OK, value, "newest release", "release %lld in production",
		    prod.id);
	} else {
		add(r, "release", HEALTH_DOWN, value, "a release", "no release in production");
	}
	if (has_prod)
		release_record_release(&prod);
	release_record_release(&latest);
	strbuf_release(&err);
}

static void check_last_run(struct store *st, const struct config *cfg, struct health_report *r)
{
	struct run_record *runs = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	long long max_age = parse_duration_ms(cfg->health.max_run_age);
	/* A scheduled time skipped is not a run: judge the last one that ran. */
	size_t i = 0;
	if (!store_runs_list(st, 50, &runs, &n, &err))
		while (i < n && !strcmp(runs[i].state, "skipped"))
			i++;
	if (i == n) {
		add(r, "last_run", HEALTH_DEGRADED, "none", cfg->health.max_run_age, "no run recorded");
	} else {
		const struct run_record *last = &runs[i];
		double hours = (double)(time_now_ms() - last->started_at) / 3.6e6;
		char value[64];
		snprintf(value, sizeof(value), "run %lld %s, %.1f h ago", last->id, last->state, hours);
		if (strcmp(last->state, "completed"))
			add(r, "last_run", HEALTH_DEGRADED, value, "completed",
			    "the last run did not complete cleanly: ragops runs show %lld", last->id);
		else if (max_age > 0 && time_now_ms() - last->started_at > max_age)
			add(r, "last_run", HEALTH_DEGRADED, value, cfg->health.max_run_age,
			    "the index is older than health.max_run_age");
		else
			add(r, "last_run", HEALTH_OK, value, cfg->health.max_run_age,
			    "recent and completed");
	}
	run_records_free(runs, n);
	strbuf_release(&err);
}

static void check_ocr(struct store *st, const struct config *cfg, struct health_report *r)
{
	struct ocr_report o;
	struct strbuf err = STRBUF_INIT;
	char value[64], threshold[64];
	if (ocr_report_build(st, &o, &err) || !o.npages) {
		add(r, "ocr_confidence", HEALTH_SKIPPED, "-", "-", "no OCR page in the index");
		add(r, "ocr_success", HEALTH_SKIPPED, "-", "-", "no OCR page in the index");
	} else {
		double mean = o.confidence_pages ? o.confidence_sum / o.confidence_pages : 0;
		int judged = o.succeeded + o.flagged + o.failed;
		double rate = judged ? (double)o.succeeded / judged : 0;
		snprintf(value, sizeof(value), "%.1f", mean);
		snprintf(threshold, sizeof(threshold), ">= %g", cfg->health.min_ocr_confidence);
		add(r, "ocr_confidence",
		    mean >= cfg->health.min_ocr_confidence ? HEALTH_OK : HEALTH_DEGRADED, value,
		    threshold, "mean word confidence of %zu OCR pages", o.npages);
		snprintf(value, sizeof(value), "%.3f", rate);
		snprintf(threshold, sizeof(threshold), ">= %g", cfg->health.min_ocr_success);
		add(r, "ocr_success", rate >= cfg->health.min_ocr_success ? HEALTH_OK : HEALTH_DEGRADED,
		    value, threshold, "%d succeeded, %d weak, %d failed", o.succeeded, o.flagged,
		    o.failed);
	}
	ocr_report_release(&o);
	strbuf_release(&err);
}

static void check_answers(struct store *st, const struct config *cfg, struct health_report *r)
{
	long long window = parse_duration_ms(cfg->health.window);
	long long since = window > 0 ? time_now_ms() - window : 0;
	struct strbuf err = STRBUF_INIT;
	double *ms = NULL;
	size_t n = 0;
	char value[64], threshold[64];
	if (store_query_latencies(st, since, &ms, &n, &err) || !n) {
		add(r, "latency_p95", HEALTH_SKIPPED, "-", "-", "no question in the last %s",
		    cfg->health.window);
	} else {
		double p95 = ms[(size_t)(0.95 * (double)(n - 1) + 0.5)];
		snprintf(value, sizeof(value), "%.1f ms", p95);
		snprintf(threshold, sizeof(threshold), "<= %g ms", cfg->health.latency_p95_ms);
		add(r, "latency_p95", p95 <= cfg->health.latency_p95_ms ? HEALTH_OK : HEALTH_DEGRADED,
		    value, threshold, "over %zu questions in the last %s", n, cfg->health.window);
	}
	free(ms);
	struct feedback_filter flt = { .since_ms = since };
	struct feedback_record *fs = NULL;
	size_t nf = 0;
	if (store_feedback_list(st, &flt, &fs, &nf, &err) || !nf) {
		add(r, "rating", HEALTH_SKIPPED, "-", "-", "no rating in the last %s",
		    cfg->health.window);
	} else {
		double sum = 0;
		for (size_t i = 0; i < nf; i++)
			sum += fs[i].rating;
		snprintf(value, sizeof(value), "%.2f", sum / (double)nf);
		snprintf(threshold, sizeof(threshold), ">= %g", cfg->health.min_rating);
		add(r, "rating",
		    sum / (double)nf >= cfg->health.min_rating ? HEALTH_OK : HEALTH_DEGRADED, value,
		    threshold, "average of %zu ratings in the last %s", nf, cfg->health.window);
	}
	feedback_records_free(fs, nf);
	strbuf_release(&err);
}

static void check_disk(const struct config *cfg, struct health_report *r)
{
	struct statvfs v;
	char value[64], threshold[64];
	if (statvfs(cfg->data_dir, &v)) {
		add(r, "disk", HEALTH_DOWN, "-", "-", "cannot read the data folder '%s'", cfg->data_dir);
		return;
	}
	double free_bytes = (double)v.f_bavail * (double)v.f_frsize;
	format_size(value, sizeof(value), free_bytes);
	format_size(threshold, sizeof(threshold), (double)cfg->health.min_free_disk);
	add(r, "disk", free_bytes >= (double)cfg->health.min_free_disk ? HEALTH_OK : HEALTH_DEGRADED,
	    value, threshold, "free space for the data folder");
}

static void check_endpoint(const char *name, const char *url, struct health_report *r)
{
	struct strbuf err = STRBUF_INIT;
	if (http_reachable(url, 5, &err))
		add(r, name, HEALTH_DEGRADED, "unreachable", "reachable", "%s", err.buf);
	else
		add(r, name, HEALTH_OK, "reachable", "reachable", "%s answers", url);
	strbuf_release(&err);
}

void health_run(struct store *st, const struct config *cfg, struct health_report *r)
{
	memset(r, 0, sizeof(*r));
	if (!st) {
		add(r, "store", HEALTH_DOWN, "unreachable", "reachable", "the store cannot be opened");
		return;
	}
	check_store(st, r);
	check_index(st, cfg, r);
	check_release(st, r);
	check_last_run(st, cfg, r);
	check_ocr(st, cfg, r);
	check_answers(st, cfg, r);
	check_disk(cfg, r);
	if (!strcmp(cfg->embed.embedder, "openai"))
		check_endpoint("embeddings_endpoint", cfg->embed.url, r);
	if (!strcmp(cfg->answer.answerer, "openai"))
		check_endpoint("chat_endpoint", cfg->answer.url, r);
}

json_t *health_to_json(const struct health_report *r)
{
	json_t *checks = json_array();
	for (int i = 0; i < r->n; i++) {
		const struct health_check *c = &r->checks[i];
		json_array_append_new(checks,
				      json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", c->name, "status",
						health_status_name(c->status), "value", c->value,
						"threshold", c->threshold, "message", c->message));
	}
	return json_pack("{s:s, s:o}", "status", health_status_name(r->overall), "checks", checks);
}

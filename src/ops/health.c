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
#include "retrieval/lexicon.h"

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

/* Why BM25 cannot use the lexicon (it then reads SQLite, slower), or NULL. */
static const char *lexicon_problem(struct store *st)
{
	struct model_record m;
	struct strbuf err = STRBUF_INIT;
	long long count, max_id;
	const char *problem = NULL;
	int rc = store_model_production(st, "lexicon", &m, &err);
	if (rc)
		problem = "no lexicon yet: BM25 reads the SQLite index (slower) until 'ragops run'";
	else if (store_chunks_identity(st, &count, &max_id, &err) || !lexicon_fits(m.params, count, max_id))
		problem = "the lexicon is older than the chunks (a run stopped early?): BM25 reads the "
			  "SQLite index (slower) until the next 'ragops run'";
	if (!rc)
		model_record_release(&m);
	strbuf_release(&err);
	return problem;
}

static void check_index(struct store *st, const struct config *cfg, struct health_report *r)
{
	struct store_totals t;
	struct model_record m;
	struct strbuf err = STRBUF_INIT;
	char value[64];
	if (store_totals(st, &t, &err) || !t.chunks) {
		add(r, "index", HEALTH_DOWN, "0 chunks", "> 0", "no production index: run 'ragops run'");
	} else {
		snprintf(value, sizeof(value), "%lld chunks", t.chunks);
		int rc = store_model_production(st, "embedder", &m, &err);
		const char *lexicon = !strcmp(cfg->retrieve.bm25_index, "lexicon") ? lexicon_problem(st) : NULL;
		if (rc == 0 && lexicon) {
			add(r, "index", HEALTH_DEGRADED, value, "> 0", "%s", lexicon);
			model_record_release(&m);
		} else if (rc == 0) {
			add(r, "index", HEALTH_OK, value, "> 0", "%lld documents, embedder %s", t.documents, m.version);
			model_record_release(&m);
		} else {
			add(r, "index", HEALTH_DEGRADED, value, "> 0",
			    "%lld documents but no embedder in production: answers use BM25 alone", t.documents);
		}
	}
	strbuf_release(&err);
}

static void check_last_run(struct store *st, const struct config *cfg, struct health_report *r)
{
	struct run_record *runs = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	long long max_age = parse_duration_ms(cfg->health.max_run_age);
	if (store_runs_list(st, 1, &runs, &n, &err) || !n) {
		add(r, "last_run", HEALTH_DEGRADED, "none", cfg->health.max_run_age, "no run recorded");
	} else {
		double hours = (double)(time_now_ms() - runs[0].started_at) / 3.6e6;
		char value[64];
		snprintf(value, sizeof(value), "run %lld %s, %.1f h ago", runs[0].id, runs[0].state, hours);
		if (strcmp(runs[0].state, "completed"))
			add(r, "last_run", HEALTH_DEGRADED, value, "completed",
			    "the last run did not complete cleanly: ragops runs show %lld", runs[0].id);
		else if (max_age > 0 && time_now_ms() - runs[0].started_at > max_age)
			add(r, "last_run", HEALTH_DEGRADED, value, cfg->health.max_run_age,
			    "the index is older than health.max_run_age");
		else
			add(r, "last_run", HEALTH_OK, value, cfg->health.max_run_age, "recent and completed");
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
		add(r, "ocr_confidence", mean >= cfg->health.min_ocr_confidence ? HEALTH_OK : HEALTH_DEGRADED,
		    value, threshold, "mean word confidence of %zu OCR pages", o.npages);
		snprintf(value, sizeof(value), "%.3f", rate);
		snprintf(threshold, sizeof(threshold), ">= %g", cfg->health.min_ocr_success);
		add(r, "ocr_success", rate >= cfg->health.min_ocr_success ? HEALTH_OK : HEALTH_DEGRADED,
		    value, threshold, "%d succeeded, %d weak, %d failed", o.succeeded, o.flagged, o.failed);
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
		add(r, "latency_p95", HEALTH_SKIPPED, "-", "-", "no question in the last %s", cfg->health.window);
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
		add(r, "rating", HEALTH_SKIPPED, "-", "-", "no rating in the last %s", cfg->health.window);
	} else {
		double sum = 0;
		for (size_t i = 0; i < nf; i++)
			sum += fs[i].rating;
		snprintf(value, sizeof(value), "%.2f", sum / (double)nf);
		snprintf(threshold, sizeof(threshold), ">= %g", cfg->health.min_rating);
		add(r, "rating", sum / (double)nf >= cfg->health.min_rating ? HEALTH_OK : HEALTH_DEGRADED,
		    value, threshold, "average of %zu ratings in the last %s", nf, cfg->health.window);
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
		json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", c->name,
			"status", health_status_name(c->status), "value", c->value, "threshold",
			c->threshold, "message", c->message));
	}
	return json_pack("{s:s, s:o}", "status", health_status_name(r->overall), "checks", checks);
}

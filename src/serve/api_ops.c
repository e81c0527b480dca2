/*
 * The API's operator routes: runs, documents, the monitoring summary,
 * liveness, readiness and the health report.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/log.h"
#include "core/strutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "ops/health.h"
#include "ops/run_report.h"
#include "ops/summary.h"
#include "serve/memory_pressure.h"
#include "serve/routes.h"
#include "serve/run_trigger.h"
#include "serve/server_state.h"

/* ?name=N within [1, max], or `def`; -1 after a 400. */
static long long count_arg(const struct request *rq, struct reply *rp, const char *name, long long def,
			   long long min, long long max)
{
	const char *arg = request_arg(rq, name);
	long long v;
	if (!arg)
		return def;
	if (parse_ll(arg, &v) || v < min || v > max) {
		reply_error(rp, 400, name, "'%s' must be a whole number from %lld to %lld", name, min,
			    max);
		return -1;
	}
	return v;
}

void api_runs(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	long long limit = count_arg(rq, rp, "limit", 50, 1, 1000);
	struct run_record *runs = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	if (limit < 0)
		return;
	if (store_runs_list(ctx->store, (int)limit, &runs, &n, &err)) {
		reply_error(rp, 500, NULL, "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, run_to_json(&runs[i], 0));
	run_records_free(runs, n);
	reply_json(rp, 200, json_pack("{s:o}", "items", arr));
}

void api_run_start(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	if (rq->body_len && strspn(rq->body, " \t\r\n{}") != rq->body_len) {
		reply_error(rp, 400, NULL,
			    "POST /api/runs takes no fields: the run uses the server's "
			    "configuration (inbox, OCR, chunking...)");
		return;
	}
	struct server *srv = ctx->srv;
	pid_t pid = server_job_start(ctx, srv->commands.run, "logs/runs-started-by-api.log",
				     &srv->run_pid, rp);
	if (pid > 0) {
		log_event(LOG_INFO, 0, NULL, "serve", "started a run (pid %ld) for %s", (long)pid,
			  rq->client);
		reply_header(rp, "Location", "/api/runs");
		reply_json(rp, 202,
			   json_pack("{s:s, s:I, s:s}", "status", "started", "pid", (json_int_t)pid,
				     "output", "logs/runs-started-by-api.log"));
	}
}

void api_run(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	struct run_detail d;
	struct strbuf err = STRBUF_INIT;
	struct task_page page = { .state = request_arg(rq, "state") };
	if (page.state && task_state_from_name(page.state) < 0) {
		reply_error(rp, 400, "state",
			    "'state' must be pending, running, completed, cached, "
			    "failed or retrying, not '%.40s'",
			    page.state);
		return;
	}
	long long limit = count_arg(rq, rp, "limit", 0, 1, 100000);
	long long offset = limit < 0 ? -1 : count_arg(rq, rp, "offset", 0, 0, 1LL << 40);
	if (limit < 0 || offset < 0)
		return;
	page.limit = (size_t)limit;
	page.offset = (size_t)offset;
	switch (run_detail_load(ctx->store, rq->path_id, &d, &err)) {
	case LOOKUP_FOUND:
		reply_json(rp, 200, run_detail_to_json(&d, &page));
		run_detail_release(&d);
		break;
	case LOOKUP_MISSING:
		reply_error(rp, 404, NULL, "no run %lld", rq->path_id);
		break;
	case LOOKUP_FAILED:
		reply_error(rp, 500, NULL, "%s", err.buf);
		break;
	}
	strbuf_release(&err);
}

void api_documents(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	long long limit = count_arg(rq, rp, "limit", 100, 1, 10000);
	long long offset = limit < 0 ? -1 : count_arg(rq, rp, "offset", 0, 0, 1LL << 40);
	struct doc_record *docs = NULL;
	size_t n = 0, total = 0;
	struct strbuf err = STRBUF_INIT;
	if (limit < 0 || offset < 0)
		return;
	if (store_docs_load(ctx->store, &docs, &n, &err)) {
		reply_error(rp, 500, NULL, "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct doc_record *d = &docs[i];
		if (d->status == DOC_DELETED)
			continue;
		if (total++ < (size_t)offset || json_array_size(arr) >= (size_t)limit)
			continue;
		json_array_append_new(arr,
				      json_pack("{s:I, s:o, s:o, s:s, s:o, s:s, s:i, s:i, s:i, s:I, s:o}",
						"id", (json_int_t)d->id, "path", json_str(d->relpath),
						"title", json_str(d->title), "type", d->type, "language",
						json_str(d->language), "status",
						doc_status_name(d->status), "pages", d->pages,
						"pages_needing_ocr", d->pages_needing_ocr, "chunks",
						d->chunks, "characters", (json_int_t)d->chars, "error",
						json_str(d->error)));
	}
	doc_records_free(docs, n);
	reply_json(rp, 200, json_pack("{s:o, s:I}", "items", arr, "total", (json_int_t)total));
}

void api_summary(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	const char *window = request_arg(rq, "window");
	long long runs = count_arg(rq, rp, "runs", 30, 1, 1000);
	long long ms = parse_duration_ms(window ? window : ctx->cfg->health.window);
	struct strbuf err = STRBUF_INIT;
	if (runs < 0)
		return;
	if (ms <= 0) {
		reply_error(rp, 400, "window",
			    "'window' must be a duration like 24h, 7d or 30d, not '%s'", window);
		return;
	}
	json_t *j = summary_build(ctx->store, ctx->cfg, ms, (int)runs, &err);
	if (j)
		reply_json(rp, 200, j);
	else
		reply_error(rp, 500, NULL, "%s", err.buf);
	strbuf_release(&err);
}

void api_healthz(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	reply_json(rp, 200, json_pack("{s:s}", "status", "alive"));
}

void api_readyz(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	/* Ready = questions can be answered: a release with chunks is in production, and memory. */
	if (!memory_admit(rq, rp))
		return;
	struct release_record rel;
	struct strbuf err = STRBUF_INIT;
	enum lookup got = store_release_get(ctx->store, 0, &rel, &err);
	if (got == LOOKUP_FAILED)
		reply_error(rp, 503, NULL, "the store is not readable: %s", err.buf);
	else if (got == LOOKUP_MISSING || !rel.chunks)
		reply_error(rp, 503, NULL, "the index is empty: run 'ragops run --inbox DIR'");
	else
		reply_json(rp, 200,
			   json_pack("{s:s, s:I, s:I, s:I}", "status", "ready", "release",
				     (json_int_t)rel.id, "documents", (json_int_t)rel.documents,
				     "chunks", (json_int_t)rel.chunks));
	if (got == LOOKUP_FOUND)
		release_record_release(&rel);
	strbuf_release(&err);
}

#define HEALTH_CACHE_MS 5000

/*
 * The report checks the whole store and probes the configured endpoints
 * (up to 5 s each when one hangs): a dashboard polling it, and the
 * scheduler watching it for notifications, share one report per
 * HEALTH_CACHE_MS.  One caller makes a new report, outside the lock; the
 * others meanwhile get the last one at once, and wait only when there is
 * none yet.
 */
double server_health(struct server *srv, struct store *st, struct health_report *r)
{
	double age = 0;
	pthread_mutex_lock(&srv->health_lock);
	double now = time_mono();
	int stale = !srv->health_at || (now - srv->health_at) * 1000 > HEALTH_CACHE_MS;
	if (stale && !srv->health_running) {
		srv->health_running = 1;
		pthread_mutex_unlock(&srv->health_lock);
		health_run(st, srv->cfg, r);
		pthread_mutex_lock(&srv->health_lock);
		srv->health = *r;
		srv->health_at = time_mono();
		srv->health_running = 0;
		pthread_cond_broadcast(&srv->health_done);
	} else {
		while (!srv->health_at)
			pthread_cond_wait(&srv->health_done, &srv->health_lock);
		*r = srv->health;
		age = now - srv->health_at;
	}
	pthread_mutex_unlock(&srv->health_lock);
	/* Memory changes from one request to the next: never from the cached report. */
	memory_health_check(r);
	return age;
}

void api_health(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	struct health_report r;
	double age = server_health(ctx->srv, ctx->store, &r);
	reply_header(rp, "Age", "%d", age > 0 ? (int)age : 0);
	reply_json(rp, r.overall == HEALTH_DOWN ? 503 : 200, health_to_json(&r));
}

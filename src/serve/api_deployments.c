/*
 * The API's deployment routes: the list and one deployment with its runs
 * (public), and run now, pause and resume (admin).
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "ops/deployment.h"
#include "ops/run_report.h"
#include "serve/routes.h"
#include "serve/scheduler.h"
#include "serve/server_state.h"

#define SHOWN_RUNS 20

/* The {name} of /api/deployments/{name}[/...], which the route matched. */
static void path_name(const struct request *rq, char *out, size_t len)
{
	const char *s = rq->path + strlen("/api/deployments/");
	size_t n = route_name_len(s);
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), s);
}

void api_deployments(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	struct deployment *ds = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	if (store_deployments_list(ctx->store, &ds, &n, &err)) {
		reply_error(rp, 500, NULL, "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	long long now = time_now_ms();
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		struct run_record *last = NULL;
		size_t nlast = 0;
		store_deployment_runs(ctx->store, ds[i].name, 1, &last, &nlast, &err);
		json_array_append_new(arr, deployment_to_json(&ds[i], nlast ? last : NULL, now));
		run_records_free(last, nlast);
	}
	deployments_free(ds, n);
	strbuf_release(&err);
	reply_json(rp, 200,
		   json_pack("{s:o, s:b}", "items", arr, "scheduler",
			     scheduler_runs_deployments(ctx->srv)));
}

void api_deployment(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	char name[72];
	struct deployment d;
	struct run_record *runs = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	path_name(rq, name, sizeof(name));
	enum lookup got = store_deployment_get(ctx->store, name, &d, &err);
	if (got == LOOKUP_MISSING) {
		reply_error(rp, 404, NULL, "no deployment '%s'", name);
	} else if (got == LOOKUP_FAILED ||
		   store_deployment_runs(ctx->store, name, SHOWN_RUNS, &runs, &n, &err)) {
		reply_error(rp, 500, NULL, "%s", err.buf);
	} else {
		json_t *j = deployment_to_json(&d, n ? &runs[0] : NULL, time_now_ms());
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, run_to_json(&runs[i], 0));
		json_object_set_new(j, "runs", arr);
		reply_json(rp, 200, j);
	}
	if (got == LOOKUP_FOUND)
		deployment_release(&d);
	run_records_free(runs, n);
	strbuf_release(&err);
}

void api_deployment_run(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	char name[72];
	struct deployment d;
	struct strbuf err = STRBUF_INIT;
	struct server *srv = ctx->srv;
	path_name(rq, name, sizeof(name));
	enum lookup got = store_deployment_get(ctx->store, name, &d, &err);
	if (got != LOOKUP_FOUND) {
		if (got == LOOKUP_MISSING)
			reply_error(rp, 404, NULL, "no deployment '%s'", name);
		else
			reply_error(rp, 500, NULL, "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	deployment_release(&d);
	strbuf_release(&err);
	if (!srv->commands.deployment) {
		reply_error(rp, 503, NULL, "this server starts no runs");
		return;
	}
	char **argv = scheduler_command(srv, name, NULL);
	pid_t pid = server_job_start(ctx, argv, "logs/runs-started-by-api.log", &srv->run_pid, rp);
	free(argv);
	if (pid > 0) {
		log_event(LOG_INFO, 0, NULL, "serve", "started deployment %s (pid %ld) for %s", name,
			  (long)pid, rq->client);
		reply_header(rp, "Location", "/api/deployments/%s", name);
		reply_json(rp, 202,
			   json_pack("{s:s, s:s, s:I, s:s}", "status", "started", "deployment", name,
				     "pid", (json_int_t)pid, "output", "logs/runs-started-by-api.log"));
	}
}

void api_deployment_pause(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	char name[72];
	struct strbuf err = STRBUF_INIT;
	int pause = strstr(rq->path, "/pause") != NULL;
	path_name(rq, name, sizeof(name));
	switch (store_deployment_pause(ctx->store, name, pause, &err)) {
	case LOOKUP_FOUND:
		log_event(LOG_INFO, 0, NULL, "serve", "deployment %s %s by %s", name,
			  pause ? "paused" : "resumed", rq->client);
		reply_json(rp, 200, json_pack("{s:s, s:b}", "deployment", name, "paused", pause));
		break;
	case LOOKUP_MISSING:
		reply_error(rp, 404, NULL, "no deployment '%s'", name);
		break;
	case LOOKUP_FAILED:
		reply_error(rp, 500, NULL, "%s", err.buf);
		break;
	}
	strbuf_release(&err);
}

/*
 * ragops health: exit 0 ok, 1 degraded, 2 down, naming the failing checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "pipeline/heartbeat.h"
#include "core/error.h"
#include "ops/health.h"

static const char usage[] =
	"usage: ragops health [--json]\n\n"
	"Check the store (reachable, intact), the index (chunks, embedder), the last run\n"
	"(completed, younger than health.max_run_age), OCR quality, answer latency p95\n"
	"and the average rating over health.window, free disk space, and the configured\n"
	"endpoints.  Each check prints its value and threshold.\n\n"
	"Exit codes: 0 ok, 1 degraded, 2 down.\n";

static int run_health(int argc, char **argv, struct app *app)
{
	int json = argc > 1 && !strcmp(argv[1], "--json");
	if (argc > 1 && !json) {
		fputs(usage, strcmp(argv[1], "--help") ? stderr : stdout);
		return strcmp(argv[1], "--help") ? EXIT_USAGE : EXIT_OK;
	}
	struct health_report r;
	struct strbuf reap_err = STRBUF_INIT;
	heartbeat_reap(app->store, &app->cfg, &reap_err); /* a silent run is judged crashed */
	strbuf_release(&reap_err);
	health_run(app->store, &app->cfg, &r);
	if (json) {
		json_t *j = health_to_json(&r);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else {
		printf("health: %s\n\n", health_status_name(r.overall));
		for (int i = 0; i < r.n; i++) {
			const struct health_check *c = &r.checks[i];
			printf("  %-8s %-20s %-28s %-14s %s\n", health_status_name(c->status), c->name,
			       c->value, c->threshold, c->message);
		}
	}
	return r.overall == HEALTH_OK ? 0 : r.overall == HEALTH_DEGRADED ? 1 : 2;
}

const struct cmd_entry cmd_health_entry = {
	.name = "health",
	.summary = "check the store, index, runs, OCR, answers and disk: exit 0/1/2",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_health,
};

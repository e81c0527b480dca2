/*
 * ragops deployment create|ls|show|run|pause|resume|delete: named flows
 * on a cron schedule, which `ragops serve` runs.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "core/log.h"
#include "ops/deployment.h"
#include "ops/deployment_declared.h"
#include "ops/run_report.h"
#include "pipeline/run.h"

static const char usage[] =
	"usage: ragops deployment create NAME --cron EXPR [--timezone ZONE] [--param K=V]...\n"
	"                                [--missed skip|once] [--overlap skip|queue] [--replace]\n"
	"       ragops deployment ls [--json]\n"
	"       ragops deployment show NAME [--json]\n"
	"       ragops deployment run NAME [--param K=V]... [--json]\n"
	"       ragops deployment pause NAME | resume NAME | delete NAME\n\n"
	"A deployment is a named run with parameters on a cron schedule, which\n"
	"'ragops serve' starts on time (flow.scheduler).  The schedule has the five\n"
	"cron fields (minute hour day-of-month month day-of-week: \"0 2 * * *\" is\n"
	"02:00 every day; lists, ranges, steps, names and @daily-style aliases), read in\n"
	"the deployment's time zone (IANA, default UTC).  Across daylight saving\n"
	"changes a fixed time runs once: a time the clocks skip runs right after the\n"
	"change, a time they repeat runs the first time.\n\n"
	"   --cron EXPR        the schedule\n"
	"   --timezone ZONE    e.g. Europe/Paris (default UTC)\n"
	"   --param K=V        inbox=DIR (repeatable) or any setting (chunk.target_chars=800)\n"
	"   --missed skip      a time missed while serve was down is recorded as skipped\n"
	"   --missed once      ... except the latest, run once at start-up when it is no\n"
	"                      older than flow.max_lateness (default 6h)\n"
	"   --overlap skip     a time falling due while a run holds the data folder is\n"
	"                      recorded as skipped\n"
	"   --overlap queue    ... or waits for it (one at a time, up to flow.max_lateness)\n"
	"   --replace          create updates an existing deployment of that name\n"
	"   --json             machine-readable output\n\n"
	"'deployment run' runs it now, in this process, with its parameters (--param\n"
	"overrides them; inbox folders given there replace its own).  Runs started by\n"
	"a deployment are recorded with trigger \"deployment\" and its name: see\n"
	"'ragops runs'.  Resuming a paused deployment does not catch up the times it\n"
	"skipped while paused.\n\n"
	"Exit codes: 0 success, 2 usage error, 4 the store failed, 5 no such\n"
	"deployment; 'deployment run' exits as 'ragops run' does.\n";

#define SHOWN_RUNS 10

struct options {
	const char *cron, *timezone, *missed, *overlap;
	char **params;
	size_t nparams;
	int json, replace;
};

static void print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
}

/* The deployment's most recent run, or NULL (free with run_records_free). */
static struct run_record *last_run(struct app *app, const char *name, size_t *n)
{
	struct run_record *runs = NULL;
	struct strbuf err = STRBUF_INIT;
	*n = 0;
	if (store_deployment_runs(app->store, name, 1, &runs, n, &err))
		fprintf(stderr, "ragops deployment: %s\n", err.buf);
	strbuf_release(&err);
	return runs;
}

static int create(struct app *app, const char *name, const struct options *o)
{
	struct deployment_spec spec = { name,       o->cron,   o->timezone, o->missed,
					o->overlap, o->params, o->nparams };
	struct deployment d;
	struct strbuf err = STRBUF_INIT;
	int ret = EXIT_OK;
	if (deployment_build(&spec, &d, &err)) {
		fprintf(stderr, "ragops deployment create: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	if (o->replace && deployment_is_declared(&app->cfg, name)) {
		fprintf(stderr,
			"ragops deployment create: '%s' is declared in %s: change it there (it would "
			"come back as declared at the next command)\n",
			name, app->cfg.file);
		deployment_release(&d);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	enum lookup put = store_deployment_put(app->store, &d, o->replace, &err);
	if (put == LOOKUP_FAILED) {
		fprintf(stderr, "ragops deployment create: %s\n", err.buf);
		ret = EXIT_FATAL;
	} else if (put == LOOKUP_MISSING) {
		fprintf(stderr,
			"ragops deployment create: '%s' exists: --replace updates it, or 'ragops "
			"deployment delete %s' first\n",
			name, name);
		ret = EXIT_USAGE;
	} else if (o->json) {
		print_json(deployment_to_json(&d, NULL, time_now_ms()));
	} else {
		long long next[1];
		char when[48] = "never";
		if (deployment_next_runs(&d, time_now_ms(), next, 1, &err) == 1)
			deployment_local_time(&d, next[0], when, sizeof(when));
		printf("deployment %s %s: \"%s\" in %s, next run %s\n", name,
		       o->replace ? "saved" : "created", d.cron, d.timezone, when);
		if (strcmp(app->cfg.flow.scheduler, "true"))
			printf("note: flow.scheduler is false: 'ragops serve' will not start it\n");
	}
	deployment_release(&d);
	strbuf_release(&err);
	return ret;
}

static int list(struct app *app, int json)
{
	struct deployment *ds = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	if (store_deployments_list(app->store, &ds, &n, &err)) {
		fprintf(stderr, "ragops deployment ls: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_FATAL;
	}
	long long now = time_now_ms();
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		size_t nlast;
		struct run_record *last = last_run(app, ds[i].name, &nlast);
		json_array_append_new(arr, deployment_to_json(&ds[i], nlast ? last : NULL, now));
		run_records_free(last, nlast);
	}
	if (json) {
		print_json(arr);
		arr = NULL;
	} else if (!n) {
		printf("no deployment: 'ragops deployment create NAME --cron \"0 2 * * *\"' makes "
		       "one\n");
	} else {
		printf("%-16s  %-14s  %-14s  %-7s  %-25s  %s\n", "NAME", "SCHEDULE", "TIMEZONE",
		       "PAUSED", "NEXT RUNS", "LAST RUN");
		size_t i;
		json_t *d;
		json_array_foreach(arr, i, d)
		{
			json_t *next = json_object_get(d, "next_runs"),
			       *last = json_object_get(d, "last_run");
			char lastrun[64] = "-";
			if (json_is_object(last))
				snprintf(lastrun, sizeof(lastrun), "%lld %s",
					 (long long)json_integer_value(json_object_get(last, "id")),
					 json_string_value(json_object_get(last, "state")));
			for (size_t k = 0; k < 3; k++) {
				const char *when = json_string_value(json_array_get(next, k));
				if (k == 0)
					printf("%-16s  %-14s  %-14s  %-7s  %-25s  %s\n",
					       json_string_value(json_object_get(d, "name")),
					       json_string_value(json_object_get(d, "cron")),
					       json_string_value(json_object_get(d, "timezone")),
					       json_is_true(json_object_get(d, "paused")) ? "yes" : "no",
					       when ? when : "never", lastrun);
				else if (when)
					printf("%-16s  %-14s  %-14s  %-7s  %s\n", "", "", "", "", when);
			}
		}
	}
	json_decref(arr);
	deployments_free(ds, n);
	strbuf_release(&err);
	return EXIT_OK;
}

/* Load `name`, or say why not; the exit code. */
static int load(struct app *app, const char *cmd, const char *name, struct deployment *d)
{
	struct strbuf err = STRBUF_INIT;
	enum lookup got = store_deployment_get(app->store, name, d, &err);
	if (got == LOOKUP_FAILED)
		fprintf(stderr, "ragops deployment %s: %s\n", cmd, err.buf);
	else if (got == LOOKUP_MISSING)
		fprintf(stderr, "ragops deployment %s: no deployment '%s' ('ragops deployment ls')\n",
			cmd, name);
	strbuf_release(&err);
	return got == LOOKUP_FOUND ? EXIT_OK : got == LOOKUP_MISSING ? EXIT_NOT_FOUND : EXIT_FATAL;
}

static int show(struct app *app, const char *name, int json)
{
	struct deployment d;
	struct run_record *runs = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	int ret = load(app, "show", name, &d);
	if (ret)
		return ret;
	if (store_deployment_runs(app->store, name, SHOWN_RUNS, &runs, &n, &err)) {
		fprintf(stderr, "ragops deployment show: %s\n", err.buf);
		ret = EXIT_FATAL;
		goto out;
	}
	json_t *j = deployment_to_json(&d, n ? &runs[0] : NULL, time_now_ms());
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, run_to_json(&runs[i], 0));
	json_object_set_new(j, "runs", arr);
	if (json) {
		print_json(j);
		goto out;
	}
	printf("deployment  %s%s\n", d.name, d.paused ? " (paused)" : "");
	printf("schedule    \"%s\" in %s; missed: %s, overlap: %s\n", d.cron, d.timezone, d.missed,
	       d.overlap);
	printf("parameters  %s\n", d.params);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "next_runs"), i, v)
	{
		printf("%s%s\n", i ? "            " : "next runs   ", json_string_value(v));
	}
	if (!n)
		printf("runs        none yet\n");
	for (i = 0; i < n; i++) {
		char when[32], sched[48] = "by hand";
		cmd_format_time(runs[i].started_at, when, sizeof(when));
		if (runs[i].scheduled_for)
			deployment_local_time(&d, runs[i].scheduled_for, sched, sizeof(sched));
		printf("%s%lld %-23s started %s, for %s%s%s\n", i ? "            " : "runs        ",
		       runs[i].id, runs[i].state, when, sched, runs[i].error ? ": " : "",
		       runs[i].error ? runs[i].error : "");
	}
	json_decref(j);
out:
	run_records_free(runs, n);
	deployment_release(&d);
	strbuf_release(&err);
	return ret;
}

static int run_now(struct app *app, const char *name, const struct options *o, long long scheduled_for)
{
	struct deployment d;
	struct strbuf err = STRBUF_INIT;
	char **inbox = NULL;
	size_t ninbox = 0;
	int ret = load(app, "run", name, &d);
	if (ret)
		return ret;
	if (deployment_apply(&d, o->params, o->nparams, &app->cfg, &inbox, &ninbox, &err)) {
		fprintf(stderr, "ragops deployment run: %s\n", err.buf);
		ret = EXIT_CONFIG;
	} else if (!ninbox && !app->cfg.inbox_nr) {
		fprintf(stderr,
			"ragops deployment run: '%s' has no inbox: give --param inbox=DIR, or set "
			"'inbox' in ragops.yaml\n",
			name);
		ret = EXIT_USAGE;
	} else {
		struct run_options ro = { .trigger = "deployment",
					  .inbox = ninbox ? inbox : app->cfg.inbox,
					  .ninbox = ninbox ? ninbox : app->cfg.inbox_nr,
					  .deployment = name,
					  .scheduled_for = scheduled_for };
		/* The scheduler's serve stops it as a person would: SIGTERM, then a run "cancelled". */
		ret = cmd_catch_stop_signals()
			      ? EXIT_FATAL
			      : cmd_run_pipeline(app, &ro, o->json, "ragops deployment run");
	}
	deployment_inbox_free(inbox, ninbox);
	deployment_release(&d);
	strbuf_release(&err);
	return ret;
}

static int change(struct app *app, const char *cmd, const char *name)
{
	if (!strcmp(cmd, "delete") && deployment_is_declared(&app->cfg, name)) {
		fprintf(stderr,
			"ragops deployment delete: '%s' is declared in %s: remove it there first (it "
			"would come back at the next command); 'pause' stops it meanwhile\n",
			name, app->cfg.file);
		return EXIT_USAGE;
	}
	struct strbuf err = STRBUF_INIT;
	enum lookup done = !strcmp(cmd, "delete") ? store_deployment_delete(app->store, name, &err)
						  : store_deployment_pause(app->store, name,
									   !strcmp(cmd, "pause"), &err);
	int ret = EXIT_OK;
	if (done == LOOKUP_FAILED) {
		fprintf(stderr, "ragops deployment %s: %s\n", cmd, err.buf);
		ret = EXIT_FATAL;
	} else if (done == LOOKUP_MISSING) {
		fprintf(stderr, "ragops deployment %s: no deployment '%s' ('ragops deployment ls')\n",
			cmd, name);
		ret = EXIT_NOT_FOUND;
	} else {
		printf("deployment %s %s\n", name,
		       !strcmp(cmd, "delete")  ? "deleted (its runs stay in 'ragops runs')"
		       : !strcmp(cmd, "pause") ? "paused"
					       : "resumed");
	}
	strbuf_release(&err);
	return ret;
}

int cmd_reconcile_deployments(struct app *app, const char *who)
{
	struct strbuf report = STRBUF_INIT, err = STRBUF_INIT;
	int ret = EXIT_OK;
	if (deployments_reconcile(app->store, &app->cfg, &report, &err)) {
		fprintf(stderr, "%s: %s\n", who, err.buf);
		ret = EXIT_CONFIG;
	} else if (report.len) {
		fprintf(stderr, "%s: deployments in %s: %s\n", who, app->cfg.file, report.buf);
		log_event(LOG_INFO, 0, NULL, "deployments", "from %s: %s", app->cfg.file, report.buf);
	}
	strbuf_release(&report);
	strbuf_release(&err);
	return ret;
}

static int run_deployment(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "cron", required_argument, NULL, 'C' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "param", required_argument, NULL, 'p' },
		{ "missed", required_argument, NULL, 'm' },
		{ "overlap", required_argument, NULL, 'o' },
		{ "replace", no_argument, NULL, 'r' },
		{ "scheduled-for", required_argument, NULL, 's' }, /* the scheduler's, not a user's */
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { 0 };
	long long scheduled_for = 0;
	int c, ret = EXIT_USAGE;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			o.cron = optarg;
			break;
		case 'z':
			o.timezone = optarg;
			break;
		case 'p':
			o.params = xrealloc(o.params, (o.nparams + 1) * sizeof(char *));
			o.params[o.nparams++] = optarg;
			break;
		case 'm':
			o.missed = optarg;
			break;
		case 'o':
			o.overlap = optarg;
			break;
		case 'r':
			o.replace = 1;
			break;
		case 's':
			scheduled_for = strtoll(optarg, NULL, 10);
			break;
		case 'j':
			o.json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			free(o.params);
			return EXIT_OK;
		default:
			goto usage;
		}
	}
	/* What ragops.yaml declares is in the store before anything is read from it. */
	if (!scheduled_for && (ret = cmd_reconcile_deployments(app, "ragops deployment")) != EXIT_OK) {
		free(o.params);
		return ret;
	}
	const char *sub = optind < argc ? argv[optind] : NULL;
	const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
	int args = argc - optind;
	if (sub && !strcmp(sub, "ls") && args == 1)
		ret = list(app, o.json);
	else if (!sub || args != 2)
		goto usage;
	else if (!strcmp(sub, "create"))
		ret = create(app, name, &o);
	else if (!strcmp(sub, "show"))
		ret = show(app, name, o.json);
	else if (!strcmp(sub, "run"))
		ret = run_now(app, name, &o, scheduled_for);
	else if (!strcmp(sub, "pause") || !strcmp(sub, "resume") || !strcmp(sub, "delete"))
		ret = change(app, sub, name);
	else
		goto usage;
	free(o.params);
	return ret;
usage:
	fputs(usage, stderr);
	free(o.params);
	return EXIT_USAGE;
}

const struct cmd_entry cmd_deployment_entry = {
	.name = "deployment",
	.summary = "named runs on a cron schedule: create, ls, show, run, pause, resume, delete",
	.usage = usage,
	.flags = CMD_NEEDS_STORE | CMD_USES_OCR,
	.run = run_deployment,
};

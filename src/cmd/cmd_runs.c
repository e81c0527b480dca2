/*
 * ragops runs [show ID]: the recorded history of pipeline runs.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "ops/run_timeline.h"
#include "pipeline/heartbeat.h"
#include "core/error.h"
#include "core/json.h"
#include "core/strutil.h"
#include "ops/run_report.h"

static const char usage[] =
	"usage: ragops runs [--limit N] [--json]\n"
	"       ragops runs show ID [--state STATE] [--json]\n\n"
	"List recent runs (state, document counts, duration), or show one run: a\n"
	"timeline of its stages, its documents, and every task (document x stage,\n"
	"one row per attempt): state, attempts, duration, cache key and error.  A run\n"
	"still \"running\" whose process is gone or whose heartbeat stopped\n"
	"(flow.heartbeat_timeout) is recorded as crashed first.\n\n"
	"   -n, --limit N    how many runs to list (default 20)\n"
	"   --state STATE    show only tasks in this state (completed, cached, failed...)\n"
	"   --json           machine-readable output\n\n"
	"Exit codes: 0 success, 2 usage error, 5 no such run.\n";

static void dump_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
}

static int list_runs(struct app *app, int limit, int json)
{
	struct run_record *runs = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	if (store_runs_list(app->store, limit, &runs, &n, &err)) {
		fprintf(stderr, "ragops runs: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_FATAL;
	}
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, run_to_json(&runs[i], 1));
		dump_json(arr);
	} else if (!n) {
		printf("no runs yet: 'ragops run --inbox DIR' starts one\n");
	} else {
		printf("%5s  %-23s  %-19s  %8s  %5s  %4s  %7s  %6s  %6s  %s\n", "ID", "STATE", "STARTED",
		       "SECONDS", "DOCS", "NEW", "CHANGED", "FAILED", "CHUNKS", "TRIGGER");
		for (size_t i = 0; i < n; i++) {
			const struct run_record *r = &runs[i];
			char when[32], secs[16];
			cmd_format_time(r->started_at, when, sizeof(when));
			if (r->ended_at)
				snprintf(secs, sizeof(secs), "%.2f", run_seconds(r));
			else
				snprintf(secs, sizeof(secs), "-");
			printf("%5lld  %-23s  %-19s  %8s  %5lld  %4lld  %7lld  %6lld  %6lld  %s\n",
			       r->id, r->state, when, secs, r->stats.docs_seen, r->stats.docs_new,
			       r->stats.docs_changed, r->stats.docs_failed, r->stats.chunks, r->trigger);
		}
	}
	run_records_free(runs, n);
	strbuf_release(&err);
	return EXIT_OK;
}

static void print_documents(const struct run_document *docs, size_t n)
{
	if (!n)
		return;
	printf("%-44s  %-10s  %5s  %10s  %s\n", "DOCUMENT", "METHOD", "PAGES", "CONFIDENCE",
	       "WEAK OR FAILED PAGES, ERRORS");
	for (size_t i = 0; i < n; i++) {
		const struct run_document *r = &docs[i];
		char conf[16] = "-";
		if (r->ocr_pages)
			snprintf(conf, sizeof(conf), "%.1f", r->confidence);
		struct strbuf name = STRBUF_INIT;
		strbuf_add_printable(&name, r->doc);
		printf("%-44s  %-10s  %5d  %10s  ", name.buf, run_document_method(r), r->pages, conf);
		strbuf_release(&name);
		if (r->flagged_pages)
			printf("weak: %s", r->flagged_pages);
		if (r->failed_pages)
			printf("%s%d failed", r->flagged_pages ? "; " : "", r->failed_pages);
		if (r->error)
			printf("%s", r->error);
		putchar('\n');
	}
	putchar('\n');
}

static void print_run(const struct run_detail *d, const char *state)
{
	const struct run_record *run = &d->run;
	char when[32];
	cmd_format_time(run->started_at, when, sizeof(when));
	printf("run %lld  %s  (trigger %s, started %s", run->id, run->state, run->trigger, when);
	if (run->ended_at)
		printf(", %.2f s", run_seconds(run));
	printf(")\n");
	if (run->error)
		printf("error: %s\n", run->error);
	printf("documents: %lld seen, %lld new, %lld changed, %lld unchanged, %lld renamed, "
	       "%lld deleted, %lld failed; %lld pages (%lld need OCR), %lld chunks\n",
	       run->stats.docs_seen, run->stats.docs_new, run->stats.docs_changed,
	       run->stats.docs_unchanged, run->stats.docs_renamed, run->stats.docs_deleted,
	       run->stats.docs_failed, run->stats.pages, run->stats.pages_needing_ocr,
	       run->stats.chunks);
	if (run->stats.ocr_pages)
		printf("OCR: %lld pages, mean confidence %.1f, %lld weak, %lld failed\n",
		       run->stats.ocr_pages, run->stats.ocr_confidence, run->stats.ocr_flagged,
		       run->stats.ocr_failed);
	int by_state[TASK_RETRYING + 1] = { 0 };
	for (size_t i = 0; i < d->tasks.n; i++)
		by_state[d->tasks.items[i].state]++;
	printf("tasks:");
	const char *sep = " ";
	for (int s = TASK_PENDING; s <= TASK_RETRYING; s++) {
		if (!by_state[s])
			continue;
		printf("%s%d %s", sep, by_state[s], task_state_name((enum task_state)s));
		sep = ", ";
	}
	printf("%s\n\n", d->tasks.n ? "" : " none");
	if (!state) {
		run_timeline_print(d, stdout, 40);
		print_documents(d->docs, d->ndocs);
	}
	printf("%-44s  %-8s  %-9s  %8s  %10s  %s\n", "DOCUMENT", "STAGE", "STATE", "ATTEMPTS", "MS",
	       "ERROR");
	for (size_t i = 0; i < d->tasks.n; i++) {
		const struct task_record *t = &d->tasks.items[i];
		if (state && strcmp(state, task_state_name(t->state)))
			continue;
		struct strbuf name = STRBUF_INIT, error = STRBUF_INIT;
		strbuf_add_printable(&name, t->doc_path);
		strbuf_add_printable(&error, t->error ? t->error : "");
		printf("%-44s  %-8s  %-9s  %8d  %10.1f  %s\n", name.buf, t->stage,
		       task_state_name(t->state), t->attempts, t->duration_ms, error.buf);
		strbuf_release(&name);
		strbuf_release(&error);
	}
}

static int show_run(struct app *app, const char *id_text, const char *state, int json)
{
	struct run_detail d;
	struct strbuf err = STRBUF_INIT;
	long long id;
	if (parse_ll(id_text, &id) || id <= 0) {
		fprintf(stderr, "ragops runs show: '%s' is not a run id (see 'ragops runs')\n", id_text);
		return EXIT_USAGE;
	}
	enum lookup got = run_detail_load(app->store, id, &d, &err);
	if (got != LOOKUP_FOUND) {
		if (got == LOOKUP_MISSING)
			fprintf(stderr, "ragops runs show: no run %lld (see 'ragops runs')\n", id);
		else
			fprintf(stderr, "ragops runs show: %s\n", err.buf);
		strbuf_release(&err);
		return got == LOOKUP_MISSING ? EXIT_NOT_FOUND : EXIT_FATAL;
	}
	if (json)
		dump_json(run_detail_to_json(&d, &(struct task_page){ .state = state }));
	else
		print_run(&d, state);
	run_detail_release(&d);
	strbuf_release(&err);
	return EXIT_OK;
}

static int run_runs(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, c;
	long long limit = 20;
	const char *state = NULL;
	/* A run that stopped beating (or whose process is gone) is shown as what it is: crashed. */
	struct strbuf reap_err = STRBUF_INIT;
	heartbeat_reap(app->store, &app->cfg, &reap_err);
	strbuf_release(&reap_err);
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "n:s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_ll(optarg, &limit) || limit < 1) {
				fprintf(stderr,
					"ragops runs: --limit must be a positive number, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			state = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc)
		return list_runs(app, (int)limit, json);
	if (!strcmp(argv[optind], "show") && optind + 2 == argc)
		return show_run(app, argv[optind + 1], state, json);
	if (!strcmp(argv[optind], "show"))
		fprintf(stderr, "ragops runs show: which run? usage: ragops runs show ID\n");
	else
		fprintf(stderr, "ragops runs: unknown subcommand '%s' (did you mean 'show'?)\n",
			argv[optind]);
	return EXIT_USAGE;
}

const struct cmd_entry cmd_runs_entry = {
	.name = "runs",
	.summary = "list recent runs, or show one run's tasks",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_runs,
};

/*
 * ragops runs [show ID]: the recorded history of pipeline runs.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/json.h"
#include "core/strutil.h"

static const char usage[] =
	"usage: ragops runs [--limit N] [--json]\n"
	"       ragops runs show ID [--state STATE] [--json]\n\n"
	"List recent runs (state, document counts, duration), or show one run with\n"
	"every task (document x stage): state, attempts, duration and error.\n\n"
	"   -n, --limit N    how many runs to list (default 20)\n"
	"   --state STATE    show only tasks in this state (completed, cached, failed...)\n"
	"   --json           machine-readable output\n\n"
	"Exit codes: 0 success, 2 usage error, 5 no such run.\n";

static double run_seconds(const struct run_record *r)
{
	return r->ended_at ? (double)(r->ended_at - r->started_at) / 1000.0 : -1;
}

static json_t *run_json(const struct run_record *r)
{
	const struct run_stats *s = &r->stats;
	json_t *params = r->params ? json_loads(r->params, 0, NULL) : NULL;
	return json_pack("{s:I, s:s, s:s, s:I, s:o?, s:f, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
			 " s:I, s:I, s:I, s:I, s:o, s:o?}",
			 "id", (json_int_t)r->id, "state", r->state, "trigger", r->trigger,
			 "started_at_ms", (json_int_t)r->started_at,
			 "ended_at_ms", r->ended_at ? json_integer(r->ended_at) : NULL,
			 "duration_s", run_seconds(r),
			 "documents", "seen", (json_int_t)s->docs_seen, "new", (json_int_t)s->docs_new,
			 "changed", (json_int_t)s->docs_changed, "unchanged", (json_int_t)s->docs_unchanged,
			 "renamed", (json_int_t)s->docs_renamed, "deleted", (json_int_t)s->docs_deleted,
			 "failed", (json_int_t)s->docs_failed, "pages", (json_int_t)s->pages,
			 "pages_needing_ocr", (json_int_t)s->pages_needing_ocr, "chunks", (json_int_t)s->chunks,
			 "characters", (json_int_t)s->chars, "error", json_str(r->error), "parameters", params);
}

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
			json_array_append_new(arr, run_json(&runs[i]));
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
			printf("%5lld  %-23s  %-19s  %8s  %5lld  %4lld  %7lld  %6lld  %6lld  %s\n", r->id,
			       r->state, when, secs, r->stats.docs_seen, r->stats.docs_new,
			       r->stats.docs_changed, r->stats.docs_failed, r->stats.chunks, r->trigger);
		}
	}
	run_records_free(runs, n);
	strbuf_release(&err);
	return EXIT_OK;
}

static const char *method_of(const struct run_document *r)
{
	if (r->error)
		return "failed";
	if (r->ocr_pages + r->failed_pages == 0)
		return "text layer";
	return r->text_pages ? "text + OCR" : "OCR";
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
		printf("%-44s  %-10s  %5d  %10s  ", r->doc, method_of(r), r->pages, conf);
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

static json_t *documents_json(const struct run_document *docs, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct run_document *r = &docs[i];
		json_array_append_new(arr, json_pack("{s:o, s:s, s:i, s:i, s:i, s:i, s:o, s:o, s:o}",
			"document", json_str(r->doc), "method", method_of(r), "pages", r->pages,
			"text_pages", r->text_pages, "ocr_pages", r->ocr_pages,
			"failed_pages", r->failed_pages,
			"mean_confidence", r->ocr_pages ? json_real(r->confidence) : json_null(),
			"weak_pages", json_str(r->flagged_pages), "error", json_str(r->error)));
	}
	return arr;
}

static int show_run(struct app *app, const char *id_text, const char *state, int json)
{
	struct run_record run;
	struct task_list tasks = { 0 };
	struct run_document *docs = NULL;
	size_t ndocs = 0;
	struct strbuf err = STRBUF_INIT;
	long long id;
	int ret = EXIT_FATAL;
	if (parse_ll(id_text, &id) || id <= 0) {
		fprintf(stderr, "ragops runs show: '%s' is not a run id (see 'ragops runs')\n", id_text);
		return EXIT_USAGE;
	}
	int rc = store_run_get(app->store, id, &run, &err);
	if (rc == 1) {
		fprintf(stderr, "ragops runs show: no run %lld (see 'ragops runs')\n", id);
		strbuf_release(&err);
		return EXIT_NOT_FOUND;
	}
	if (rc || store_tasks_of_run(app->store, id, &tasks, &err) ||
	    store_run_documents(app->store, id, &docs, &ndocs, &err)) {
		fprintf(stderr, "ragops runs show: %s\n", err.buf);
		goto cleanup;
	}
	if (json) {
		json_t *j = run_json(&run);
		json_t *arr = json_array();
		for (size_t i = 0; i < tasks.n; i++) {
			const struct task_record *t = &tasks.items[i];
			if (state && strcmp(state, task_state_name(t->state)))
				continue;
			json_array_append_new(arr, json_pack("{s:o, s:s, s:s, s:i, s:f, s:s?, s:o}",
				"document", json_str(t->doc_path), "stage", t->stage,
				"state", task_state_name(t->state), "attempts", t->attempts,
				"duration_ms", t->duration_ms, "cache_key", t->cache_key,
				"error", json_str(t->error)));
		}
		json_object_set_new(j, "documents", documents_json(docs, ndocs));
		json_object_set_new(j, "tasks", arr);
		dump_json(j);
	} else {
		char when[32];
		cmd_format_time(run.started_at, when, sizeof(when));
		printf("run %lld  %s  (trigger %s, started %s", run.id, run.state, run.trigger, when);
		if (run.ended_at)
			printf(", %.2f s", run_seconds(&run));
		printf(")\n");
		if (run.error)
			printf("error: %s\n", run.error);
		printf("documents: %lld seen, %lld new, %lld changed, %lld unchanged, %lld renamed, "
		       "%lld deleted, %lld failed; %lld pages (%lld need OCR), %lld chunks\n",
		       run.stats.docs_seen, run.stats.docs_new, run.stats.docs_changed,
		       run.stats.docs_unchanged, run.stats.docs_renamed, run.stats.docs_deleted,
		       run.stats.docs_failed, run.stats.pages, run.stats.pages_needing_ocr,
		       run.stats.chunks);
		if (run.stats.ocr_pages)
			printf("OCR: %lld pages, mean confidence %.1f, %lld weak, %lld failed\n",
			       run.stats.ocr_pages, run.stats.ocr_confidence, run.stats.ocr_flagged,
			       run.stats.ocr_failed);
		int by_state[TASK_RETRYING + 1] = { 0 };
		for (size_t i = 0; i < tasks.n; i++)
			by_state[tasks.items[i].state]++;
		printf("tasks:");
		const char *sep = " ";
		for (int s = TASK_PENDING; s <= TASK_RETRYING; s++) {
			if (!by_state[s])
				continue;
			printf("%s%d %s", sep, by_state[s], task_state_name((enum task_state)s));
			sep = ", ";
		}
		printf("%s\n\n", tasks.n ? "" : " none");
		if (!state)
			print_documents(docs, ndocs);
		printf("%-44s  %-8s  %-9s  %8s  %10s  %s\n", "DOCUMENT", "STAGE", "STATE", "ATTEMPTS",
		       "MS", "ERROR");
		for (size_t i = 0; i < tasks.n; i++) {
			const struct task_record *t = &tasks.items[i];
			if (state && strcmp(state, task_state_name(t->state)))
				continue;
			printf("%-44s  %-8s  %-9s  %8d  %10.1f  %s\n", t->doc_path, t->stage,
			       task_state_name(t->state), t->attempts, t->duration_ms,
			       t->error ? t->error : "");
		}
	}
	ret = EXIT_OK;
cleanup:
	run_record_release(&run);
	task_list_release(&tasks);
	run_documents_free(docs, ndocs);
	strbuf_release(&err);
	return ret;
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
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "n:s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_ll(optarg, &limit) || limit < 1) {
				fprintf(stderr, "ragops runs: --limit must be a positive number, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 's': state = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind == argc)
		return list_runs(app, (int)limit, json);
	if (!strcmp(argv[optind], "show") && optind + 2 == argc)
		return show_run(app, argv[optind + 1], state, json);
	if (!strcmp(argv[optind], "show"))
		fprintf(stderr, "ragops runs show: which run? usage: ragops runs show ID\n");
	else
		fprintf(stderr, "ragops runs: unknown subcommand '%s' (did you mean 'show'?)\n", argv[optind]);
	return EXIT_USAGE;
}

const struct cmd_entry cmd_runs_entry = {
	.name = "runs",
	.summary = "list recent runs, or show one run's tasks",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_runs,
};

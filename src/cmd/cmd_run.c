/*
 * ragops run: the pipeline flow over the inbox folders.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/json.h"
#include "ops/notify.h"
#include "ops/retrain.h"
#include "ops/retrain_policy.h"
#include "core/xalloc.h"
#include "pipeline/run.h"

static const char usage[] =
	"usage: ragops run [--inbox DIR]... [--watch] [--no-cache | --refresh STAGE] [--json]\n\n"
	"Collect, extract, clean, chunk and index the documents of the inbox folders.\n"
	"Unchanged documents (same content hash and settings) are cached, changed ones\n"
	"replaced, deleted ones removed.  When anything changed, the documents as they\n"
	"now are become a candidate release, which the gate checks (structure, and the\n"
	"golden sets of validate.golden against production) and promotes or refuses;\n"
	"production changes only then.  Every run is recorded: see 'ragops runs' and\n"
	"'ragops releases'.\n\n"
	"   --inbox DIR     a folder to ingest (repeatable); default: 'inbox' from the\n"
	"                   configuration, else the folders of the last run\n"
	"   --trigger NAME  what started the run, recorded with it (default: cli)\n"
	"   --no-cache      every document again, as if new, and every OCR page read\n"
	"                   again (results are still cached for the next run)\n"
	"   --refresh STAGE every document again from extraction (the stages of a\n"
	"                   document run together): extract, clean, chunk or index;\n"
	"                   ocr also reads every OCR page again.  Changing a setting\n"
	"                   needs neither: it redoes the stages it affects by itself,\n"
	"                   and OCR only when an OCR setting changed\n"
	"   --watch         stay in the foreground: run now, then again whenever files\n"
	"                   are written, moved in or deleted under the inbox folders\n"
	"                   (new sub-folders too; hidden and temporary names ignored),\n"
	"                   once the changes stop for watch.debounce (default 5s); a\n"
	"                   file still being written is taken again by the next run.\n"
	"                   Ctrl-C or SIGTERM stops it (a run in progress ends as\n"
	"                   below).  Its runs are recorded with trigger \"watch\"\n"
	"   --json          print the outcome as JSON\n\n"
	"Exit codes: 0 completed, 1 completed but some documents failed (see the run's\n"
	"tasks), 3 configuration error, 4 the run could not start or finish, 6 the\n"
	"release was refused by the gate (production unchanged), 7 stopped by SIGINT or\n"
	"SIGTERM while reading documents: those in flight were finished, nothing was\n"
	"published, the run ended \"cancelled\" and the next run does the rest.  A signal\n"
	"once the documents are done lets the run finish its release; a second signal\n"
	"stops at once (the next run completes the work, as after kill -9).\n"
	"With --watch: 0 when stopped, 4 when watching failed.\n";

/*
 * retrain.auto: the policy after each run, and a retraining when it says
 * so (the gate still decides).  Its outcome goes to stderr with --json,
 * whose stdout is the run's; it never changes the run's exit code.
 */
static void retrain_after_run(struct app *app, int json)
{
	FILE *to = json ? stderr : stdout;
	struct retrain_policy p;
	struct strbuf err = STRBUF_INIT;
	if (retrain_should(app->store, &app->cfg, &p, &err)) {
		fprintf(stderr, "ragops run: retrain check: %s\n", err.buf);
	} else if (!p.retrain) {
		fprintf(to, "retrain: %s\n", p.reason);
	} else {
		struct retrain_options o = { .actor = "auto" };
		struct retrain_outcome r;
		fprintf(to, "retrain: %s: retraining\n", p.reason);
		if (retrain_run(app->store, &app->cfg, &o, &r, &err))
			fprintf(stderr, "ragops run: retrain run: %s\n", err.buf);
		else
			fprintf(to, "retraining %lld: %s\n", r.retraining, r.message);
		retrain_outcome_release(&r);
	}
	strbuf_release(&err);
}

static void print_outcome(const struct run_outcome *o, struct app *app)
{
	const struct run_stats *s = &o->stats;
	printf("run %lld %s in %.2f s\n", o->run_id,
	       !strcmp(o->state, "refused")     ? "refused by the release gate"
	       : !strcmp(o->state, "cancelled") ? "cancelled by a signal"
	       : strcmp(o->state, "completed")  ? "completed with failures"
						: "completed",
	       o->seconds);
	printf("  documents  %lld seen: %lld new, %lld changed, %lld unchanged, %lld renamed, "
	       "%lld deleted, %lld failed\n",
	       s->docs_seen, s->docs_new, s->docs_changed, s->docs_unchanged, s->docs_renamed,
	       s->docs_deleted, s->docs_failed);
	printf("  pages      %lld read", s->pages);
	if (s->pages_needing_ocr)
		printf(", %lld without a text layer (need OCR, not indexed yet)", s->pages_needing_ocr);
	printf("\n  chunks     %lld written, %lld characters\n", s->chunks, s->chars);
	printf("  release    %s\n", o->release_message);
	if (o->metrics_path)
		printf("  metrics    %s\n", o->metrics_path);
	if (s->docs_failed)
		printf("  failures:  ragops runs show %lld --state failed\n", o->run_id);
	if (!strcmp(o->state, "cancelled"))
		printf("  stopped    before the end: the next run does the rest\n");
}

static void print_outcome_json(const struct run_outcome *o)
{
	const struct run_stats *s = &o->stats;
	json_t *j = json_pack(
		"{s:I, s:s, s:f, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:o,"
		" s:{s:o, s:o, s:s, s:s}}",
		"run_id", (json_int_t)o->run_id, "state", o->state, "duration_s", o->seconds,
		"documents", "seen", (json_int_t)s->docs_seen, "new", (json_int_t)s->docs_new, "changed",
		(json_int_t)s->docs_changed, "unchanged", (json_int_t)s->docs_unchanged, "renamed",
		(json_int_t)s->docs_renamed, "deleted", (json_int_t)s->docs_deleted, "failed",
		(json_int_t)s->docs_failed, "pages", (json_int_t)s->pages, "pages_needing_ocr",
		(json_int_t)s->pages_needing_ocr, "chunks", (json_int_t)s->chunks, "characters",
		(json_int_t)s->chars, "metrics", json_str(o->metrics_path), "release", "id",
		o->release ? json_integer(o->release) : json_null(), "production",
		o->production ? json_integer(o->production) : json_null(), "verdict", o->release_verdict,
		"message", o->release_message);
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
}

int cmd_run_pipeline(struct app *app, const struct run_options *ro, int json, const char *who)
{
	struct strbuf err = STRBUF_INIT;
	struct run_outcome out = { 0 };
	int ret = EXIT_FATAL;
	if (pipeline_run(app->store, &app->cfg, ro, &out, &err)) {
		fprintf(stderr, "%s: %s\n", who, err.buf);
		if (out.run_id >
		    0) /* it started, then failed: news (not a run refused the data folder) */
			notify_run(app->store, &app->cfg, out.run_id);
		goto cleanup;
	}
	notify_run(app->store, &app->cfg, out.run_id);
	if (json)
		print_outcome_json(&out);
	else
		print_outcome(&out, app);
	ret = !strcmp(out.state, "refused")     ? EXIT_REFUSED
	      : !strcmp(out.state, "cancelled") ? EXIT_CANCELLED
	      : strcmp(out.state, "completed")  ? EXIT_PARTIAL
						: EXIT_OK;
	if (!strcmp(app->cfg.retrain.auto_retrain, "true") && ret != EXIT_CANCELLED)
		retrain_after_run(app, json);
cleanup:
	free(out.metrics_path);
	strbuf_release(&err);
	return ret;
}

static int run_run(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "inbox", required_argument, NULL, 'i' }, { "trigger", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },        { "watch", no_argument, NULL, 'w' },
		{ "no-cache", no_argument, NULL, 'N' },    { "refresh", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	char **inbox = NULL, **last = NULL;
	size_t ninbox = 0;
	int json = 0, watch = 0, no_cache = 0, c, ret = EXIT_FATAL;
	const char *refresh = NULL;
	const char *trigger = "cli";

	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "i:t:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			inbox = xrealloc(inbox, (ninbox + 1) * sizeof(char *));
			inbox[ninbox++] = optarg;
			break;
		case 't':
			trigger = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'w':
			watch = 1;
			break;
		case 'N':
			no_cache = 1;
			break;
		case 'R':
			if (!pipeline_is_stage(optarg)) {
				fprintf(stderr,
					"ragops run: --refresh takes a stage: extract, ocr, clean, chunk or "
					"index, not '%s'\n",
					optarg);
				free(inbox);
				return EXIT_USAGE;
			}
			refresh = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			free(inbox);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			free(inbox);
			return EXIT_USAGE;
		}
	}
	if (no_cache && refresh) {
		fprintf(stderr,
			"ragops run: --no-cache already does every stage again: give it or "
			"--refresh %s, not both\n",
			refresh);
		free(inbox);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		fprintf(stderr, "ragops run: unexpected argument '%s' (folders go after --inbox)\n",
			argv[optind]);
		free(inbox);
		return EXIT_USAGE;
	}
	if (!ninbox && app->cfg.inbox_nr) {
		inbox = xmalloc(app->cfg.inbox_nr * sizeof(char *));
		for (size_t i = 0; i < app->cfg.inbox_nr; i++)
			inbox[ninbox++] = app->cfg.inbox[i];
	}
	if (!ninbox && (last = store_last_inbox(app->store))) {
		for (char **p = last; *p; p++) {
			inbox = xrealloc(inbox, (ninbox + 1) * sizeof(char *));
			inbox[ninbox++] = *p;
		}
	}
	if (!ninbox) {
		fprintf(stderr,
			"ragops run: no inbox: give --inbox DIR, or set 'inbox' in ragops.yaml\n");
		ret = EXIT_USAGE;
		goto cleanup;
	}
	struct run_options ro = { .trigger = trigger,
				  .inbox = inbox,
				  .ninbox = ninbox,
				  .no_cache = no_cache,
				  .refresh = refresh };
	if (cmd_catch_stop_signals()) {
		error("ragops run: cannot catch signals: %s", strerror(errno));
		goto cleanup;
	}
	ret = watch ? cmd_run_watch(app, &ro, json) : cmd_run_pipeline(app, &ro, json, "ragops run");
cleanup:
	if (last)
		for (char **p = last; *p; p++)
			free(*p);
	free(last);
	free(inbox);
	return ret;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.summary = "ingest the inbox folders into the index (incremental)",
	.usage = usage,
	.flags = CMD_NEEDS_STORE | CMD_USES_OCR,
	.run = run_run,
};

/*
 * ragops releases [show ID]: the index versions, their gate figures and
 * what changed in each.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/strutil.h"
#include "ops/releases.h"

static const char usage[] =
	"usage: ragops releases [--limit N] [--json]\n"
	"       ragops releases show ID [--json]\n\n"
	"List the releases (immutable index versions): state (candidate, production,\n"
	"refused, archived), the run that built it, documents, chunks, models and the\n"
	"gate's figures; or show one: what changed against its parent (documents\n"
	"added, changed, removed; chunks), every gate check with its value and\n"
	"threshold, and its history (promotions and rollbacks: when, by whom, why).\n\n"
	"   -n, --limit N   how many releases to list (default 20)\n"
	"   --json          machine-readable output\n\n"
	"Exit codes: 0 success, 2 usage error, 4 the store failed, 5 no such release.\n";

/* "0.933" or "-" */
static void figure(json_t *metrics, const char *key, char *out, size_t n)
{
	json_t *v = json_object_get(metrics, key);
	if (json_is_number(v))
		snprintf(out, n, "%.3f", json_number_value(v));
	else
		snprintf(out, n, "-");
}

static void print_list(json_t *arr)
{
	if (!json_array_size(arr)) {
		printf("no release yet: 'ragops run --inbox DIR' builds the first one\n");
		return;
	}
	printf("%5s  %-10s  %5s  %6s  %7s  %8s  %6s  %-19s  %s\n", "ID", "STATE", "RUN", "DOCS",
	       "CHUNKS", "RECALL@5", "MRR", "CREATED", "MODELS");
	size_t i;
	json_t *r;
	json_array_foreach(arr, i, r)
	{
		char recall[16], mrr[16], when[32];
		json_t *metrics = json_object_get(r, "metrics");
		json_t *models = json_object_get(r, "models");
		figure(metrics, "recall_at_5", recall, sizeof(recall));
		figure(metrics, "mrr", mrr, sizeof(mrr));
		cmd_format_time(json_integer_value(json_object_get(r, "created_at_ms")), when,
				sizeof(when));
		const char *lex = json_string_value(json_object_get(models, "lexicon"));
		const char *emb = json_string_value(json_object_get(models, "embedder"));
		printf("%5lld  %-10s  %5lld  %6lld  %7lld  %8s  %6s  %-19s  %s, %s\n",
		       json_integer_value(json_object_get(r, "id")),
		       json_string_value(json_object_get(r, "state")),
		       json_integer_value(json_object_get(r, "run_id")),
		       json_integer_value(json_object_get(r, "documents")),
		       json_integer_value(json_object_get(r, "chunks")), recall, mrr, when,
		       lex ? lex : "no lexicon", emb ? emb : "no embedder");
	}
}

/* Counts as whole numbers, shares and scores with three decimals. */
static void format_figure(double v, char *out, size_t n)
{
	if (v == (double)(long long)v && (v >= 2 || v == 0))
		snprintf(out, n, "%lld", (long long)v);
	else
		snprintf(out, n, "%.3f", v);
}

static void print_docs(const char *label, json_t *changes, const char *count_key, const char *list_key)
{
	json_int_t n = json_integer_value(json_object_get(changes, count_key));
	json_t *list = json_object_get(changes, list_key);
	printf("  %-8s %lld\n", label, (long long)n);
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d) printf("           %s\n", json_string_value(d));
	if ((size_t)n > json_array_size(list))
		printf("           ... and %lld more\n",
		       (long long)n - (long long)json_array_size(list));
}

static void print_release(json_t *r)
{
	json_t *changes = json_object_get(r, "changes"), *checks = json_object_get(r, "checks");
	json_t *models = json_object_get(r, "models"), *history = json_object_get(r, "history");
	const char *lex = json_string_value(json_object_get(models, "lexicon"));
	const char *emb = json_string_value(json_object_get(models, "embedder"));
	char when[32];
	cmd_format_time(json_integer_value(json_object_get(r, "created_at_ms")), when, sizeof(when));
	printf("release %lld  %s  (run %lld, created %s)\n",
	       json_integer_value(json_object_get(r, "id")),
	       json_string_value(json_object_get(r, "state")),
	       json_integer_value(json_object_get(r, "run_id")), when);
	printf("%lld documents, %lld chunks; lexicon %s, embedder %s\n\n",
	       json_integer_value(json_object_get(r, "documents")),
	       json_integer_value(json_object_get(r, "chunks")), lex ? lex : "none", emb ? emb : "none");
	json_t *parent = json_object_get(changes, "parent");
	json_t *retraining = json_object_get(changes, "retraining");
	if (json_is_integer(retraining))
		printf("changes: the documents of release %lld, with what retraining %lld learned "
		       "('ragops models')\n",
		       json_integer_value(json_object_get(r, "parent_id")),
		       json_integer_value(retraining));
	else if (json_is_true(json_object_get(changes, "migrated")))
		printf("changes: the index as it was before releases existed\n");
	else if (json_is_integer(parent))
		printf("changes against release %lld:\n", json_integer_value(parent));
	else
		printf("changes (no release before it):\n");
	if (json_object_get(changes, "added")) {
		print_docs("added", changes, "added", "added_docs");
		print_docs("changed", changes, "changed", "changed_docs");
		print_docs("removed", changes, "removed", "removed_docs");
		printf("  chunks   %lld -> %lld\n",
		       json_integer_value(json_object_get(changes, "chunks_before")),
		       json_integer_value(json_object_get(changes, "chunks_after")));
	}
	printf("\n%-18s  %-4s  %-9s  %10s  %10s  %s\n", "CHECK", "OK", "KIND", "VALUE", "THRESHOLD",
	       "DETAIL");
	size_t i;
	json_t *c;
	json_array_foreach(checks, i, c)
	{
		char value[32] = "-", threshold[32] = "-";
		if (json_object_get(c, "value")) {
			format_figure(json_number_value(json_object_get(c, "value")), value,
				      sizeof(value));
			format_figure(json_number_value(json_object_get(c, "threshold")), threshold,
				      sizeof(threshold));
		}
		printf("%-18s  %-4s  %-9s  %10s  %10s  %s\n",
		       json_string_value(json_object_get(c, "check")),
		       json_is_true(json_object_get(c, "ok")) ? "yes" : "NO",
		       json_string_value(json_object_get(c, "kind")), value, threshold,
		       json_string_value(json_object_get(c, "detail")));
	}
	if (!json_array_size(checks))
		printf("(no checks recorded)\n");
	printf("\nhistory:\n");
	json_t *e;
	json_array_foreach(history, i, e)
	{
		const char *reason = json_string_value(json_object_get(e, "reason"));
		json_t *from = json_object_get(e, "from");
		char from_text[24] = "(none)", at[32];
		if (json_is_integer(from))
			snprintf(from_text, sizeof(from_text), "%lld", json_integer_value(from));
		cmd_format_time(json_integer_value(json_object_get(e, "at_ms")), at, sizeof(at));
		printf("  %s  %-8s  %s -> %lld  by %s%s%s%s\n", at,
		       json_string_value(json_object_get(e, "action")), from_text,
		       json_integer_value(json_object_get(e, "to")),
		       json_string_value(json_object_get(e, "by")),
		       json_is_true(json_object_get(e, "forced")) ? " (forced)" : "", reason ? ": " : "",
		       reason ? reason : "");
	}
	if (!json_array_size(history))
		printf("  (never in production)\n");
}

static int show_release(struct app *app, const char *id_text, int json)
{
	long long id;
	json_t *r;
	struct strbuf err = STRBUF_INIT;
	if (parse_ll(id_text, &id) || id <= 0) {
		fprintf(stderr,
			"ragops releases show: '%s' is not a release id (see 'ragops releases')\n",
			id_text);
		return EXIT_USAGE;
	}
	enum lookup got = release_detail_json(app->store, id, &r, &err);
	if (got != LOOKUP_FOUND) {
		if (got == LOOKUP_MISSING)
			fprintf(stderr,
				"ragops releases show: no release %lld (see 'ragops releases')\n", id);
		else
			fprintf(stderr, "ragops releases show: %s\n", err.buf);
		strbuf_release(&err);
		return got == LOOKUP_MISSING ? EXIT_NOT_FOUND : EXIT_FATAL;
	}
	if (json) {
		cmd_print_json(r);
	} else {
		print_release(r);
		json_decref(r);
	}
	strbuf_release(&err);
	return EXIT_OK;
}

static int run_releases(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, c;
	long long limit = 20;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_ll(optarg, &limit) || limit < 1) {
				fprintf(stderr,
					"ragops releases: --limit must be a positive number, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
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
	if (optind < argc && !strcmp(argv[optind], "show")) {
		if (optind + 2 != argc) {
			fprintf(stderr,
				"ragops releases show: which release? usage: ragops releases show ID\n");
			return EXIT_USAGE;
		}
		return show_release(app, argv[optind + 1], json);
	}
	if (optind < argc) {
		fprintf(stderr, "ragops releases: unknown subcommand '%s' (did you mean 'show'?)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	json_t *arr;
	struct strbuf err = STRBUF_INIT;
	if (releases_json(app->store, (unsigned)limit, &arr, &err)) {
		fprintf(stderr, "ragops releases: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_FATAL;
	}
	if (json) {
		cmd_print_json(arr);
	} else {
		print_list(arr);
		json_decref(arr);
	}
	strbuf_release(&err);
	return EXIT_OK;
}

const struct cmd_entry cmd_releases_entry = {
	.name = "releases",
	.summary = "list the index releases, or show one: changes, gate checks, history",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_releases,
};

/*
 * ragops feedback add | list | export: ratings, comments, corrected
 * answers and the sources judged helpful or not, on the answers ragops gave.
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
#include "core/timeutil.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "ops/feedback.h"

static const char usage[] =
	"usage: ragops feedback add (--query-id ID | --question Q --answer A [--source DOC]...)\n"
	"                           --rating 1-5 [--text T] [--corrected C]\n"
	"                           [--helpful DOC]... [--unhelpful DOC]... [--json]\n"
	"       ragops feedback list [--since 7d] [--min-rating N] [--max-rating N] [--limit N] [--json]\n"
	"       ragops feedback export [--format jsonl|json] [--since 7d] [--raw]\n\n"
	"Feedback is kept in the store (the source of truth) and as one JSON file per\n"
	"record under <data>/feedback/.  --query-id links it to a logged question\n"
	"('ragops ask --json' prints the id); the question, answer and sources then\n"
	"come from the log.  --helpful and --unhelpful name sources judged so, as\n"
	"the 'document' of each source in 'ragops ask --json' (at most 20 each; a\n"
	"path some document of the store has had).  --since takes 30m, 24h, 7d...\n"
	"export replaces e-mail addresses, phone numbers, IBANs, credentials and API\n"
	"keys in the text by [email], [phone]...; the store and list keep them, and\n"
	"export --raw writes the text as given (as GET /api/feedback/export?raw=1).\n\n"
	"Exit codes: 0 success, 2 bad option or value.\n";

struct options {
	struct feedback_filter filter;
	struct feedback_record f;
	json_t *sources, *helpful, *unhelpful;
	const char *format;
	int json, raw;
};

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "query-id", required_argument, NULL, 'i' },
		{ "question", required_argument, NULL, 'q' },
		{ "answer", required_argument, NULL, 'a' },
		{ "source", required_argument, NULL, 's' },
		{ "rating", required_argument, NULL, 'r' },
		{ "text", required_argument, NULL, 't' },
		{ "corrected", required_argument, NULL, 'c' },
		{ "helpful", required_argument, NULL, 'H' },
		{ "unhelpful", required_argument, NULL, 'U' },
		{ "since", required_argument, NULL, 'S' },
		{ "min-rating", required_argument, NULL, 'm' },
		{ "max-rating", required_argument, NULL, 'M' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long v;
	int c;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "i:q:a:s:r:t:c:H:U:S:m:M:n:f:jRh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
		case 'r':
		case 'm':
		case 'M':
		case 'n':
			if (parse_ll(optarg, &v) || v < 0) {
				fprintf(stderr, "ragops feedback: '%s' is not a number\n", optarg);
				return -1;
			}
			if (c == 'i')
				o->f.query_id = v;
			else if (c == 'r')
				o->f.rating = (int)v;
			else if (c == 'm')
				o->filter.min_rating = (int)v;
			else if (c == 'M')
				o->filter.max_rating = (int)v;
			else
				o->filter.limit = (unsigned)v;
			break;
		case 'q':
			free(o->f.question);
			o->f.question = xstrdup(optarg);
			break;
		case 'a':
			free(o->f.answer);
			o->f.answer = xstrdup(optarg);
			break;
		case 't':
			free(o->f.text);
			o->f.text = xstrdup(optarg);
			break;
		case 'c':
			free(o->f.corrected);
			o->f.corrected = xstrdup(optarg);
			break;
		case 's':
			json_array_append_new(o->sources,
					      json_pack("{s:o}", "document", json_str(optarg)));
			break;
		case 'H':
		case 'U': {
			/* jansson takes UTF-8 only; the API's JSON cannot carry anything else. */
			struct strbuf tmp = STRBUF_INIT;
			size_t bad = utf8_repair(optarg, strlen(optarg), &tmp);
			strbuf_release(&tmp);
			if (bad) {
				fprintf(stderr, "ragops feedback: --%s '%s' is not valid UTF-8\n",
					c == 'H' ? "helpful" : "unhelpful", optarg);
				return -1;
			}
			json_array_append_new(c == 'H' ? o->helpful : o->unhelpful, json_string(optarg));
			break;
		}
		case 'S': {
			long long ms = parse_duration_ms(optarg);
			if (ms < 0) {
				fprintf(stderr,
					"ragops feedback: --since needs a duration such as 24h or 7d, not '%s'\n",
					optarg);
				return -1;
			}
			o->filter.since_ms = time_now_ms() - ms;
			break;
		}
		case 'f':
			o->format = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'R':
			o->raw = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	return 0;
}

static int add(struct app *app, struct options *o)
{
	struct strbuf err = STRBUF_INIT;
	if (json_array_size(o->sources))
		o->f.sources = json_dumps(o->sources, JSON_COMPACT);
	if (json_array_size(o->helpful))
		o->f.helpful = json_dumps(o->helpful, JSON_COMPACT);
	if (json_array_size(o->unhelpful))
		o->f.unhelpful = json_dumps(o->unhelpful, JSON_COMPACT);
	enum feedback_result rc = feedback_add(app->store, &app->cfg, &o->f, NULL, &err);
	if (rc != FEEDBACK_OK) {
		fprintf(stderr, "ragops feedback add: %s\n", err.buf);
		strbuf_release(&err);
		/* A record the store could not take (a full disk) is not a usage error. */
		return rc == FEEDBACK_FAILED ? EXIT_FATAL : EXIT_USAGE;
	}
	if (o->json) {
		json_t *j = feedback_to_json(&o->f);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else {
		printf("feedback %lld saved (rating %d)\n", o->f.id, o->f.rating);
	}
	strbuf_release(&err);
	return EXIT_OK;
}

/* A line of the sources judged so, comma-separated, when there are some. */
static void print_judged(const char *label, const char *text)
{
	json_t *paths = text ? json_loads(text, 0, NULL) : NULL, *p;
	size_t i;
	if (json_array_size(paths)) {
		printf("      %s", label);
		json_array_foreach(paths, i, p)
			printf("%s %s", i ? "," : "", json_string_value(p) ? json_string_value(p) : "?");
		putchar('\n');
	}
	json_decref(paths);
}

static int list(struct app *app, struct options *o, int export)
{
	struct feedback_record *fs = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	if (store_feedback_list(app->store, &o->filter, &fs, &n, &err)) {
		fprintf(stderr, "ragops feedback: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_FATAL;
	}
	const char *format = export ? (o->format ? o->format : "jsonl") : o->json ? "json" : "table";
	if (strcmp(format, "jsonl") && strcmp(format, "json") && strcmp(format, "table")) {
		fprintf(stderr, "ragops feedback export: --format must be jsonl or json, not '%s'\n",
			format);
		feedback_records_free(fs, n);
		return EXIT_USAGE;
	}
	if (!strcmp(format, "table")) {
		if (!n)
			printf("no feedback%s\n",
			       o->filter.since_ms || o->filter.max_rating || o->filter.min_rating
				       ? " matches these filters"
				       : " yet");
		for (size_t i = 0; i < n; i++) {
			char when[32];
			cmd_format_time(fs[i].created_at, when, sizeof(when));
			printf("#%lld  %s  %d/5  %s\n", fs[i].id, when, fs[i].rating, fs[i].question);
			if (fs[i].text)
				printf("      comment:   %s\n", fs[i].text);
			if (fs[i].corrected)
				printf("      corrected: %s\n", fs[i].corrected);
			print_judged("helpful:  ", fs[i].helpful);
			print_judged("unhelpful:", fs[i].unhelpful);
		}
	} else {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			/* What leaves ragops is scrubbed unless asked; list shows the record as stored. */
			json_t *j = export && !o->raw ? feedback_export_json(&fs[i], NULL)
						      : feedback_to_json(&fs[i]);
			if (!strcmp(format, "jsonl")) {
				json_dumpf(j, stdout, JSON_COMPACT);
				putchar('\n');
				json_decref(j);
			} else {
				json_array_append_new(arr, j);
			}
		}
		if (!strcmp(format, "json")) {
			json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			putchar('\n');
		}
		json_decref(arr);
	}
	feedback_records_free(fs, n);
	strbuf_release(&err);
	return EXIT_OK;
}

static int run_feedback(int argc, char **argv, struct app *app)
{
	if (argc < 2 ||
	    (strcmp(argv[1], "add") && strcmp(argv[1], "list") && strcmp(argv[1], "export"))) {
		fputs(usage, argc < 2 ? stderr : stderr);
		return EXIT_USAGE;
	}
	struct options o = { .sources = json_array(),
			     .helpful = json_array(),
			     .unhelpful = json_array() };
	int rc = parse(argc - 1, argv + 1, &o), ret;
	if (rc) {
		ret = rc > 0 ? EXIT_OK : EXIT_USAGE;
	} else if (o.raw && strcmp(argv[1], "export")) {
		fprintf(stderr,
			"ragops feedback %s: --raw is for export (list shows the text as given)\n",
			argv[1]);
		ret = EXIT_USAGE;
	} else if (!strcmp(argv[1], "add")) {
		ret = add(app, &o);
	} else {
		ret = list(app, &o, !strcmp(argv[1], "export"));
	}
	feedback_record_release(&o.f);
	json_decref(o.sources);
	json_decref(o.helpful);
	json_decref(o.unhelpful);
	return ret;
}

const struct cmd_entry cmd_feedback_entry = {
	.name = "feedback",
	.summary = "add, list or export ratings and corrections of answers",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_feedback,
};

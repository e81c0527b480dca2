/*
 * ragops ask: a question -> a short answer citing [document, page], or an
 * honest "I don't know".  Every question is logged.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer/answer.h"
#include "cmd/cmd.h"
#include "core/error.h"
#include "core/json.h"
#include "core/strutil.h"

static const char usage[] =
	"usage: ragops ask [--json] [--retriever bm25|dense|hybrid] [--sources N] [--release ID] QUESTION...\n\n"
	"Answer a question from the release in production: the best sentences of the\n"
	"best chunks, each\n"
	"group cited as [title, p. N], or \"Je ne sais pas\" / \"I don't know\" (in the\n"
	"question's language) when no source covers enough of the question\n"
	"(answer.min_evidence, calibrated by 'ragops eval').  Questions are logged.\n\n"
	"   --json          answer, sources {document, title, pages, heading, score,\n"
	"                   evidence, snippet}, timings and the query id\n"
	"   --retriever R   bm25, dense or hybrid (default retrieve.mode: hybrid)\n"
	"   --sources N     chunks to answer from (default answer.sources, 5)\n"
	"   --release ID    answer from that release instead (to compare; see 'ragops releases')\n\n"
	"Exit codes: 0 answered or abstained, 2 bad question or option, 4 the store or an\n"
	"endpoint failed, 5 no release yet (or no such release, or it is empty).\n";

static void print_answer(const struct answer *a)
{
	printf("%s\n", a->text);
	if (a->abstained || !a->nsources)
		return;
	printf("\nSources (release %lld):\n", a->release_id);
	for (size_t i = 0; i < a->nsources; i++) {
		const struct answer_source *s = &a->sources[i];
		struct strbuf name = STRBUF_INIT, heading = STRBUF_INIT;
		strbuf_add_printable(&name, s->doc);
		strbuf_add_printable(&heading, s->heading ? s->heading : "");
		printf("  %zu. %s, p. %d", i + 1, name.buf, s->page_start);
		if (s->page_end != s->page_start)
			printf("-%d", s->page_end);
		if (heading.len)
			printf("  %s", heading.buf);
		strbuf_release(&name);
		strbuf_release(&heading);
		printf("%s\n", s->low_confidence ? "  (weak OCR)" : "");
	}
}

static int run_ask(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "retriever", required_argument, NULL, 'r' },
		{ "sources", required_argument, NULL, 'n' },
		{ "release", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ask_options ao = { 0 };
	struct strbuf question = STRBUF_INIT, err = STRBUF_INIT;
	struct answer a;
	int json = 0, c, ret;
	long long v;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "jr:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'r':
			ao.retriever = optarg;
			break;
		case 'n':
			if (parse_ll(optarg, &v) || v < 1 || v > 50) {
				fprintf(stderr, "ragops ask: --sources must be a number from 1 to 50\n");
				return EXIT_USAGE;
			}
			ao.sources = (unsigned)v;
			break;
		case 'R':
			if (parse_ll(optarg, &v) || v < 1) {
				fprintf(stderr, "ragops ask: --release needs a release id, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			ao.release = v;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++)
		strbuf_addf(&question, "%s%s", question.len ? " " : "", argv[i]);
	enum ask_result rc = answer_question(app->store, &app->cfg, question.buf, &ao, &a, &err);
	if (rc != ASK_OK) {
		if (json) {
			json_t *j = json_pack("{s:o}", "error", json_str(err.buf));
			json_dumpf(j, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(j);
		}
		fprintf(stderr, "ragops ask: %s\n", err.buf);
		ret = cmd_ask_exit_code(rc);
	} else {
		if (json) {
			json_t *j = answer_to_json(&a);
			json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			putchar('\n');
			json_decref(j);
		} else {
			print_answer(&a);
		}
		answer_release(&a);
		ret = EXIT_OK;
	}
	strbuf_release(&question);
	strbuf_release(&err);
	return ret;
}

const struct cmd_entry cmd_ask_entry = {
	.name = "ask",
	.summary = "answer a question with cited sources (or say it does not know)",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_ask,
};

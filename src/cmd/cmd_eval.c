/*
 * ragops eval: the golden questions through the answerer, scored.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "answer/answer.h"
#include "core/json.h"
#include "core/strutil.h"
#include "ops/eval.h"

static const char usage[] =
	"usage: ragops eval [--golden FILE] [--compare R1,R2...] [--release ID] [--json] [--details]\n\n"
	"Ask every question of a golden set (default samples/golden.jsonl; JSONL with\n"
	"question, doc, optional page, phrases, kind) and report recall@1, recall@5,\n"
	"MRR, the share of answers holding an expected phrase, abstention precision and\n"
	"recall on unanswerable questions, latency p50/p95, and the answer.min_evidence\n"
	"that decides best between answering and abstaining on this set.\n\n"
	"   --compare LIST  retrievers side by side, e.g. bm25,dense,hybrid\n"
	"   --release ID    evaluate that release instead of the one in production\n"
	"   --details       one line per question\n\n"
	"Exit codes: 0 success, 2 usage error, 3 bad golden set, 5 no release (or empty).\n";

static json_t *report_json(const struct eval_report *r)
{
	return json_pack(
		"{s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
		"retriever", r->retriever, "release", (json_int_t)r->release, "questions",
		(json_int_t)r->questions, "answerable", (json_int_t)r->answerable, "unanswerable",
		(json_int_t)r->unanswerable, "recall_at_1", r->recall1, "recall_at_5", r->recall5, "mrr",
		r->mrr, "page_recall_at_5", r->page_recall5, "phrase_rate", r->phrase_rate,
		"abstention_precision", r->abstain_precision, "abstention_recall", r->abstain_recall,
		"latency_p50_ms", r->p50_ms, "latency_p95_ms", r->p95_ms, "best_min_evidence",
		r->best_min_evidence, "best_min_similarity", r->best_min_similarity,
		"best_decision_rate", r->best_decision_rate);
}

static void print_table(const struct eval_report *r, size_t n, const char *golden)
{
	printf("golden set %s, release %lld: %zu questions (%zu answerable, %zu unanswerable)\n\n",
	       golden, r[0].release, r[0].questions, r[0].answerable, r[0].unanswerable);
	printf("%-28s", "");
	for (size_t i = 0; i < n; i++)
		printf("%10s", r[i].retriever);
	printf("\n");
#define ROW(label, field, fmt)                   \
	do {                                     \
		printf("%-28s", label);          \
		for (size_t i = 0; i < n; i++)   \
			printf(fmt, r[i].field); \
		printf("\n");                    \
	} while (0)
	ROW("recall@1", recall1, "%10.3f");
	ROW("recall@5", recall5, "%10.3f");
	ROW("MRR", mrr, "%10.3f");
	ROW("expected page in top 5", page_recall5, "%10.3f");
	ROW("answers with a phrase", phrase_rate, "%10.3f");
	ROW("abstention precision", abstain_precision, "%10.3f");
	ROW("abstention recall", abstain_recall, "%10.3f");
	ROW("latency p50 (ms)", p50_ms, "%10.1f");
	ROW("latency p95 (ms)", p95_ms, "%10.1f");
	ROW("best answer.min_evidence", best_min_evidence, "%10.2f");
	ROW("best answer.min_similarity", best_min_similarity, "%10.2f");
	ROW("right decisions with them", best_decision_rate, "%10.3f");
#undef ROW
}

static int run_eval(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "golden", required_argument, NULL, 'g' },
		{ "compare", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "details", no_argument, NULL, 'V' },
		{ "release", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *golden = "samples/golden.jsonl";
	char *compare = NULL;
	int json = 0, verbose = 0, c, ret = EXIT_OK;
	long long release = 0;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "g:c:jVh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_ll(optarg, &release) || release < 1) {
				fprintf(stderr, "ragops eval: --release needs a release id, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'g':
			golden = optarg;
			break;
		case 'c':
			compare = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'V':
			verbose = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	struct golden_set set;
	struct strbuf err = STRBUF_INIT;
	if (golden_load(golden, &set, &err)) {
		fprintf(stderr, "ragops eval: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_CONFIG;
	}
	char *list = strdup(compare ? compare : app->cfg.retrieve.mode), *save = NULL;
	struct eval_report reports[8];
	size_t n = 0;
	for (char *r = strtok_r(list, ",", &save); r && n < 8; r = strtok_r(NULL, ",", &save)) {
		enum ask_result rc = eval_run(app->store, &app->cfg, &set, r, release, &reports[n],
					      &err);
		if (rc != ASK_OK) {
			fprintf(stderr, "ragops eval: %s\n", err.buf);
			ret = cmd_ask_exit_code(rc);
			goto cleanup;
		}
		n++;
	}
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, report_json(&reports[i]));
		json_t *j = json_pack("{s:o, s:o}", "golden", json_str(golden), "retrievers", arr);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else {
		print_table(reports, n, golden);
		if (verbose) {
			printf("\n%-6s %-13s %5s %4s %8s %8s  %s\n", "ID", "KIND", "RANK", "PAGE",
			       "EVIDENCE", "ANSWER", "QUESTION");
			for (size_t i = 0; i < set.n; i++) {
				const struct eval_outcome *o = &reports[0].outcomes[i];
				printf("%-6s %-13s %5d %4s %8.2f %8s  %s\n",
				       set.items[i].id ? set.items[i].id : "", set.items[i].kind,
				       o->rank, o->page_hit ? "yes" : "-", o->evidence,
				       o->abstained    ? "abstain"
				       : o->phrase_hit ? "phrase"
						       : "other",
				       set.items[i].question);
			}
		}
	}
cleanup:
	for (size_t i = 0; i < n; i++)
		eval_report_release(&reports[i]);
	free(list);
	golden_release(&set);
	strbuf_release(&err);
	return ret;
}

const struct cmd_entry cmd_eval_entry = {
	.name = "eval",
	.summary = "score retrieval and answers on a golden question set",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_eval,
};

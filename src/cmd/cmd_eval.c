/*
 * ragops eval: the golden questions through the answerer, scored, broken
 * down by kind of question, format of document and golden file, and with
 * --ablate one row per component left out.
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
#include "core/utf8.h"
#include "core/strutil.h"
#include "core/xalloc.h"
#include "ops/eval.h"

static const char usage[] =
	"usage: ragops eval [--golden FILE]... [--compare R1,R2...] [--ablate PARTS] [--release ID]\n"
	"                   [--json] [--details]\n\n"
	"Ask every question of golden sets (default samples/golden.jsonl; JSONL with\n"
	"question, doc, optional page, phrases, kind, optional format) and report\n"
	"recall@1, recall@5, MRR, the share of answers holding an expected phrase,\n"
	"abstention precision and recall on unanswerable questions, latency p50/p95,\n"
	"and the thresholds that decide best between answering and abstaining on\n"
	"them; then the same figures by kind of question, by format of the expected\n"
	"document and by golden file.\n\n"
	"   --golden FILE   a golden set; repeat it to ask several as one\n"
	"   --compare LIST  retrievers side by side, e.g. bm25,dense,hybrid\n"
	"   --ablate PARTS  one more row per part left out, or 'all': bm25, dense, ranker,\n"
	"                   expansion, translation, curated, calibration, similarity,\n"
	"                   names, abstention\n"
	"   --release ID    evaluate that release instead of the one in production\n"
	"   --details       one line per question\n\n"
	"Exit codes: 0 success, 2 usage error, 3 bad golden set, 5 no release (or empty).\n";

/* Three retrievers, or one and every ablation. */
#define MAX_ROWS 16

/* A row of the report: a retriever compared, or an ablation. */
struct eval_row {
	const char *label;
	const struct eval_ablation *ablation; /* NULL: everything on */
	struct eval_report report;
};

static json_t *figures_json(const struct eval_figures *f)
{
	json_t *j = json_pack("{s:I, s:I, s:I}", "questions", (json_int_t)f->questions, "answerable",
			      (json_int_t)f->answerable, "unanswerable", (json_int_t)f->unanswerable);
	if (f->answerable) {
		json_object_set_new(j, "recall_at_1", json_real(f->recall1));
		json_object_set_new(j, "recall_at_5", json_real(f->recall5));
		json_object_set_new(j, "mrr", json_real(f->mrr));
		json_object_set_new(j, "phrase_rate", json_real(f->phrase_rate));
		json_object_set_new(j, "answerable_dont_know", json_real(f->dont_know));
	}
	if (f->unanswerable)
		json_object_set_new(j, "unanswerable_dont_know", json_real(f->abstain_recall));
	return j;
}

static json_t *breakdown_json(const struct golden_set *set, const struct eval_report *r,
			      enum eval_group by)
{
	const char **names;
	struct eval_figures *figs;
	size_t n = eval_breakdown(set, r, by, &names, &figs);
	json_t *j = json_object();
	for (size_t i = 0; i < n; i++) {
		/* A key must be UTF-8 too: a Latin-1 file name would silently lose its figures. */
		struct strbuf key = STRBUF_INIT;
		utf8_repair(names[i], strlen(names[i]), &key);
		json_object_set_new(j, key.buf, figures_json(&figs[i]));
		strbuf_release(&key);
	}
	free(names);
	free(figs);
	return j;
}

static json_t *report_json(const struct golden_set *set, const struct eval_row *row)
{
	const struct eval_report *r = &row->report;
	json_t *j = json_pack(
		"{s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
		"retriever", r->retriever, "release", (json_int_t)r->release, "questions",
		(json_int_t)r->questions, "answerable", (json_int_t)r->answerable, "unanswerable",
		(json_int_t)r->unanswerable, "recall_at_1", r->recall1, "recall_at_5", r->recall5, "mrr",
		r->mrr, "page_recall_at_5", r->page_recall5, "phrase_rate", r->phrase_rate,
		"abstention_precision", r->abstain_precision, "abstention_recall", r->abstain_recall,
		"latency_p50_ms", r->p50_ms, "latency_p95_ms", r->p95_ms, "best_min_evidence",
		r->best_min_evidence, "best_min_similarity", r->best_min_similarity,
		"best_decision_rate", r->best_decision_rate);
	if (row->ablation) {
		json_object_set_new(j, "without", json_string(row->ablation->name));
		json_object_set_new(j, "what", json_string(row->ablation->what));
	}
	json_object_set_new(j, "by_kind", breakdown_json(set, r, EVAL_BY_KIND));
	json_object_set_new(j, "by_format", breakdown_json(set, r, EVAL_BY_FORMAT));
	json_object_set_new(j, "by_file", breakdown_json(set, r, EVAL_BY_FILE));
	return j;
}

static void print_retrievers(const struct eval_row *rows, size_t n)
{
	printf("%-28s", "");
	for (size_t i = 0; i < n; i++)
		printf("%10s", rows[i].label);
	printf("\n");
#define ROW(label, field, fmt)                             \
	do {                                               \
		printf("%-28s", label);                    \
		for (size_t i = 0; i < n; i++)             \
			printf(fmt, rows[i].report.field); \
		printf("\n");                              \
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

/* A figure, or "-" where the group has no question it applies to. */
static void cell(int applies, double v)
{
	if (applies)
		printf(" %8.3f", v);
	else
		printf(" %8s", "-");
}

static void figures_header(const char *first)
{
	printf("%-34s %9s %8s %8s %8s %8s %8s %8s\n", first, "questions", "r@1", "r@5", "MRR", "phrase",
	       "dk-ans", "dk-unans");
}

static void figures_line(const char *label, const struct eval_figures *f)
{
	printf("%-34.34s %9zu", label, f->questions);
	cell(f->answerable > 0, f->recall1);
	cell(f->answerable > 0, f->recall5);
	cell(f->answerable > 0, f->mrr);
	cell(f->answerable > 0, f->phrase_rate);
	cell(f->answerable > 0, f->dont_know);
	cell(f->unanswerable > 0, f->abstain_recall);
	printf("\n");
}

static void print_breakdown(const struct golden_set *set, const struct eval_report *r,
			    enum eval_group by, const char *title)
{
	const char **names;
	struct eval_figures *figs;
	size_t n = eval_breakdown(set, r, by, &names, &figs);
	printf("\n%s (%s):\n", title, r->retriever);
	figures_header("");
	for (size_t i = 0; i < n; i++)
		figures_line(names[i], &figs[i]);
	free(names);
	free(figs);
}

static void print_ablation(const struct golden_set *set, const struct eval_row *rows, size_t n)
{
	struct eval_figures f;
	printf("\nAblation (%s; each row leaves one part out; dk = answered \"don't know\"):\n",
	       rows[0].report.retriever);
	figures_header("");
	for (size_t i = 0; i < n; i++) {
		char label[64];
		snprintf(label, sizeof(label), "%s%s", rows[i].ablation ? "without " : "",
			 rows[i].ablation ? rows[i].ablation->name : "everything");
		eval_totals(set, &rows[i].report, &f);
		figures_line(label, &f);
	}
	/* recall@5 of each kind of answerable question, row by row. */
	const char **kinds;
	struct eval_figures *figs;
	size_t nk = eval_breakdown(set, &rows[0].report, EVAL_BY_KIND, &kinds, &figs);
	printf("\n%-34s", "recall@5 by kind");
	for (size_t k = 0; k < nk; k++)
		if (figs[k].answerable)
			printf(" %14.14s", kinds[k]);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		const char **names;
		struct eval_figures *rf;
		size_t nr = eval_breakdown(set, &rows[i].report, EVAL_BY_KIND, &names, &rf);
		printf("%-34s", rows[i].ablation ? rows[i].ablation->name : "everything");
		for (size_t k = 0; k < nk && k < nr; k++)
			if (rf[k].answerable)
				printf(" %14.3f", rf[k].recall5);
		printf("\n");
		free(names);
		free(rf);
	}
	free(kinds);
	free(figs);
	printf("\n");
	for (size_t i = 1; i < n; i++)
		printf("without %s: %s\n", rows[i].ablation->name, rows[i].ablation->what);
}

static void print_details(const struct golden_set *set, const struct eval_report *r)
{
	printf("\n%-6s %-14s %-11s %5s %4s %8s %8s  %s\n", "ID", "KIND", "FORMAT", "RANK", "PAGE",
	       "EVIDENCE", "ANSWER", "QUESTION");
	for (size_t i = 0; i < set->n; i++) {
		const struct eval_outcome *o = &r->outcomes[i];
		printf("%-6s %-14s %-11s %5d %4s %8.2f %8s  %s\n",
		       set->items[i].id ? set->items[i].id : "", set->items[i].kind, o->format, o->rank,
		       o->page_hit ? "yes" : "-", o->evidence,
		       o->abstained    ? "abstain"
		       : o->phrase_hit ? "phrase"
				       : "other",
		       set->items[i].question);
	}
}

static int usage_error(const char *fmt, const char *what)
{
	fprintf(stderr, "ragops eval: ");
	fprintf(stderr, fmt, what);
	fputc('\n', stderr);
	return -1;
}

/* Whether `label` is among the first n rows already. */
static int planned(const struct eval_row *rows, size_t n, const char *label)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].label, label))
			return 1;
	return 0;
}

/*
 * The rows to run: each retriever of --compare, or the configured one and
 * then each part of --ablate.  Every name is checked before any question
 * is asked: a typo found after an hour of questions helps nobody.
 */
static int plan_rows(const char *compare, const char *ablate, const char *mode, struct eval_row *rows,
		     size_t *n, char **list)
{
	*n = 0;
	*list = xstrdup(ablate ? mode : compare ? compare : mode);
	char *save = NULL;
	for (char *r = strtok_r(*list, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
		if (strcmp(r, "bm25") && strcmp(r, "dense") && strcmp(r, "hybrid"))
			return usage_error("unknown retriever '%s': use bm25, dense or hybrid", r);
		if (planned(rows, *n, r))
			return usage_error("retriever '%s' is named twice", r);
		rows[(*n)++] = (struct eval_row){ .label = r };
	}
	if (!*n)
		return usage_error("%s: name at least one retriever (bm25, dense, hybrid)", "--compare");
	if (!ablate)
		return 0;
	int all = !strcmp(ablate, "all");
	char *parts = xstrdup(all ? "" : ablate);
	int bad = 0;
	save = NULL;
	for (const struct eval_ablation *a = eval_ablations; all && a->name; a++)
		if (!a->retriever || !strcmp(mode, "hybrid"))
			rows[(*n)++] = (struct eval_row){ .label = a->name, .ablation = a };
	for (char *p = strtok_r(parts, ",", &save); p && !bad; p = strtok_r(NULL, ",", &save)) {
		const struct eval_ablation *a = eval_ablation_find(p);
		if (!a)
			bad = usage_error("--ablate: no part called '%s' (see --help)", p);
		else if (planned(rows + 1, *n - 1, a->name))
			bad = usage_error("--ablate: '%s' is named twice", p);
		else if (a->retriever && strcmp(mode, "hybrid"))
			bad = usage_error("--ablate %s: there is nothing to leave out when the evaluated "
					  "retriever is one already (retrieve.mode is not hybrid)",
					  p);
		else
			rows[(*n)++] = (struct eval_row){ .label = a->name, .ablation = a };
	}
	free(parts);
	if (!bad && *n == 1)
		bad = usage_error("--ablate '%s': name the parts to leave out, or 'all'", ablate);
	return bad ? -1 : 0;
}

static int run_eval(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "golden", required_argument, NULL, 'g' }, { "compare", required_argument, NULL, 'c' },
		{ "ablate", required_argument, NULL, 'a' }, { "json", no_argument, NULL, 'j' },
		{ "details", no_argument, NULL, 'V' },      { "release", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	const char **goldens = xcalloc((size_t)argc + 1, sizeof(char *));
	size_t ngoldens = 0;
	const char *compare = NULL, *ablate = NULL;
	int json = 0, verbose = 0, c, ret = EXIT_OK;
	long long release = 0;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "g:c:a:jVh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_ll(optarg, &release) || release < 1) {
				fprintf(stderr, "ragops eval: --release needs a release id, not '%s'\n",
					optarg);
				free(goldens);
				return EXIT_USAGE;
			}
			break;
		case 'g':
			goldens[ngoldens++] = optarg;
			break;
		case 'c':
			compare = optarg;
			break;
		case 'a':
			ablate = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'V':
			verbose = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			free(goldens);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			free(goldens);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || (compare && ablate)) {
		if (compare && ablate)
			fprintf(stderr, "ragops eval: --compare and --ablate do not go together: ablate "
					"one retriever (retrieve.mode) at a time\n");
		fputs(usage, stderr);
		free(goldens);
		return EXIT_USAGE;
	}
	if (!ngoldens)
		goldens[ngoldens++] = "samples/golden.jsonl";
	struct eval_row rows[MAX_ROWS];
	size_t n = 0, done = 0;
	char *list = NULL;
	if (plan_rows(compare, ablate, app->cfg.retrieve.mode, rows, &n, &list)) {
		free(list);
		free(goldens);
		return EXIT_USAGE;
	}
	struct golden_set set = { 0 };
	struct strbuf err = STRBUF_INIT;
	for (size_t i = 0; i < ngoldens; i++) {
		if (golden_load_more(goldens[i], &set, &err)) {
			fprintf(stderr, "ragops eval: %s\n", err.buf);
			ret = EXIT_CONFIG;
			goto cleanup;
		}
	}
	for (; done < n; done++) {
		struct eval_row *row = &rows[done];
		const char *retriever = !row->ablation             ? row->label
					: row->ablation->retriever ? row->ablation->retriever
								   : rows[0].label;
		enum ask_result rc = eval_run(app->store, &app->cfg, &set, retriever, release,
					      row->ablation ? row->ablation->without : 0, &row->report,
					      &err);
		if (rc != ASK_OK) {
			fprintf(stderr, "ragops eval: %s\n", err.buf);
			ret = cmd_ask_exit_code(rc);
			goto cleanup;
		}
	}
	if (json) {
		json_t *files = json_array(), *arr = json_array(), *abl = json_array();
		for (size_t i = 0; i < set.nfiles; i++)
			json_array_append_new(files, json_str(set.files[i]));
		for (size_t i = 0; i < n; i++)
			json_array_append_new(rows[i].ablation ? abl : arr, report_json(&set, &rows[i]));
		json_t *j = json_pack("{s:o, s:o}", "golden", files, "retrievers", arr);
		if (ablate)
			json_object_set_new(j, "ablation", abl);
		else
			json_decref(abl);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
		goto cleanup;
	}
	printf("golden set%s", set.nfiles > 1 ? "s" : "");
	for (size_t i = 0; i < set.nfiles; i++)
		printf("%s%s", i ? ", " : " ", set.files[i]);
	printf("; release %lld: %zu questions (%zu answerable, %zu unanswerable)\n\n",
	       rows[0].report.release, rows[0].report.questions, rows[0].report.answerable,
	       rows[0].report.unanswerable);
	size_t retrievers = 0;
	while (retrievers < n && !rows[retrievers].ablation)
		retrievers++;
	print_retrievers(rows, retrievers);
	print_breakdown(&set, &rows[0].report, EVAL_BY_KIND, "By kind of question");
	print_breakdown(&set, &rows[0].report, EVAL_BY_FORMAT, "By format of the expected document");
	if (set.nfiles > 1)
		print_breakdown(&set, &rows[0].report, EVAL_BY_FILE, "By golden file");
	if (ablate)
		print_ablation(&set, rows, n);
	if (verbose)
		print_details(&set, &rows[0].report);
cleanup:
	for (size_t i = 0; i < done; i++)
		eval_report_release(&rows[i].report);
	free(list);
	free(goldens);
	golden_release(&set);
	strbuf_release(&err);
	return ret;
}

const struct cmd_entry cmd_eval_entry = {
	.name = "eval",
	.summary = "score retrieval and answers on golden question sets",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_eval,
};

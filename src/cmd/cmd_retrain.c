/*
 * ragops retrain check | prepare | run: the improvement loop.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/xalloc.h"
#include "ops/releases.h"
#include "ops/retrain.h"
#include "ops/retrain_dataset.h"
#include "ops/retrain_policy.h"

static const char usage[] =
	"usage: ragops retrain check [--json]\n"
	"       ragops retrain prepare --out DIR [--json]\n"
	"       ragops retrain run [--json] [--report-set FILE]... [--shuffle-labels]\n"
	"                          [--trigger NAME]\n\n"
	"check    should_retrain: each rule of the retrain.* policy with its figure,\n"
	"         threshold and window (new feedback, mean rating, share of low ratings,\n"
	"         corpus change since the embedder was trained, questions finding no\n"
	"         source, production on the feedback's questions against its past).\n"
	"         Exit 0 when retraining is recommended, 1 when not.\n"
	"prepare  prepare_retraining_data: DIR/train/ and DIR/validation/ (split by\n"
	"         question) with eval.jsonl (golden-set format), pairs.jsonl\n"
	"         (sentence-transformers triplets), sft.jsonl (OpenAI chat fine-tuning),\n"
	"         and DIR/manifest.json; e-mail addresses, phone numbers, credentials and\n"
	"         API keys are scrubbed.\n"
	"run      refit the built-in embedder, learn a vocabulary, a ranker, curated\n"
	"         answers and abstention thresholds from the feedback; each kept only\n"
	"         if the held-out feedback questions do not get worse; the release gate\n"
	"         then promotes the candidate or refuses it and says why.\n"
	"         --report-set FILE  a golden set measured at every stage (an ablation\n"
	"                            table), never used to decide\n"
	"         --shuffle-labels   the control experiment: the right sources are\n"
	"                            permuted between questions; the gate should refuse\n"
	"         --trigger NAME     who started it, recorded as the retraining's actor\n"
	"                            (default: the Unix user; the server says \"api\")\n\n"
	"Exit codes: 0 promoted (run) / recommended (check), 1 not recommended (check),\n"
	"2 usage error, 4 failure, 5 nothing to retrain on, 6 refused by the gate.\n";

static int fail(const char *what, struct strbuf *err)
{
	fprintf(stderr, "ragops retrain %s: %s\n", what, err->buf);
	strbuf_release(err);
	return EXIT_FATAL;
}

static void print_policy(const struct retrain_policy *p)
{
	printf("%-17s  %-9s  %-9s  %-28s  %s\n", "RULE", "VALUE", "THRESHOLD", "WINDOW", "FIRES");
	for (size_t i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->rules[i];
		char value[24] = "-";
		if (r->measured)
			snprintf(value, sizeof(value), "%.3g", r->value);
		printf("%-17s  %-9s  %-9.3g  %-28s  %s  %s\n", r->rule, value, r->threshold, r->window,
		       r->triggered ? "yes" : "no ", r->detail);
	}
	printf("\nretrain: %s\n", p->reason);
}

static int run_check(struct app *app, int json)
{
	struct retrain_policy p;
	struct strbuf err = STRBUF_INIT;
	if (retrain_should(app->store, &app->cfg, &p, &err))
		return fail("check", &err);
	if (json)
		cmd_print_json(retrain_policy_json(&p));
	else
		print_policy(&p);
	return p.retrain ? EXIT_OK : 1;
}

static int run_prepare(struct app *app, const char *dir, int json)
{
	json_t *manifest;
	struct strbuf err = STRBUF_INIT;
	if (retrain_dataset_prepare(app->store, &app->cfg, dir, &manifest, &err) != DATASET_WRITTEN)
		return fail("prepare", &err);
	if (json) {
		cmd_print_json(manifest);
	} else {
		json_t *files = json_object_get(manifest, "files"),
		       *fb = json_object_get(manifest, "feedback");
		printf("%lld feedback rows gave %lld examples (%lld duplicates merged, %lld documents "
		       "gone, %lld contradictory, %lld unlabelled); %lld values scrubbed\n",
		       json_integer_value(json_object_get(fb, "rows")),
		       json_integer_value(json_object_get(fb, "examples")),
		       json_integer_value(json_object_get(fb, "duplicates")),
		       json_integer_value(json_object_get(fb, "missing_documents")),
		       json_integer_value(json_object_get(fb, "contradictory")),
		       json_integer_value(json_object_get(fb, "unlabelled")),
		       json_integer_value(json_object_get(manifest, "scrubbed")));
		const char *name;
		json_t *f;
		json_object_foreach(files, name, f)
			printf("  %s/%-22s %5lld records\n", dir, name,
			       json_integer_value(json_object_get(f, "records")));
		printf("  %s/manifest.json\n", dir);
		json_decref(manifest);
	}
	return EXIT_OK;
}

static void print_figures(const char *label, json_t *f)
{
	if (!json_is_object(f))
		return;
	printf("  %-28s recall@1 %.3f  recall@5 %.3f  MRR %.3f  (%lld questions)\n", label,
	       json_number_value(json_object_get(f, "recall_at_1")),
	       json_number_value(json_object_get(f, "recall_at_5")),
	       json_number_value(json_object_get(f, "mrr")),
	       json_integer_value(json_object_get(f, "questions")));
}

static void print_run(const struct retrain_outcome *out)
{
	json_t *r = out->report;
	size_t i;
	json_t *v;
	printf("retraining %lld: %s\n", out->retraining, out->message);
	json_array_foreach(json_object_get(r, "reasons"), i, v) printf("  - %s\n", json_string_value(v));
	print_figures("held-out feedback, before",
		      json_object_get(json_object_get(r, "before"), "validation"));
	print_figures("held-out feedback, after",
		      json_object_get(json_object_get(r, "after"), "validation"));
	print_figures("trained feedback, before",
		      json_object_get(json_object_get(r, "before"), "train"));
	print_figures("trained feedback, after", json_object_get(json_object_get(r, "after"), "train"));
	json_t *golden = json_object_get(r, "golden");
	print_figures("golden sets, production", json_object_get(golden, "before"));
	print_figures("golden sets, candidate", json_object_get(golden, "after"));
	json_t *stages = json_object_get(r, "stages");
	if (json_array_size(stages) &&
	    json_object_size(json_object_get(json_array_get(stages, 0), "sets"))) {
		printf("\nstages (each with what came before it):\n");
		json_array_foreach(stages, i, v)
		{
			const char *set;
			json_t *f;
			json_object_foreach(json_object_get(v, "sets"), set, f)
			{
				char label[80];
				snprintf(label, sizeof(label), "%s: %s",
					 json_string_value(json_object_get(v, "stage")), set);
				print_figures(label, f);
			}
		}
	}
}

static int run_run(struct app *app, int json, char **sets, size_t nsets, int shuffle,
		   const char *trigger)
{
	struct retrain_options o = { .actor = trigger ? trigger : release_actor_user(),
				     .shuffle_labels = shuffle,
				     .report_sets = sets,
				     .nreport_sets = nsets };
	struct retrain_outcome out;
	struct strbuf err = STRBUF_INIT;
	if (retrain_run(app->store, &app->cfg, &o, &out, &err)) {
		retrain_outcome_release(&out);
		return fail("run", &err);
	}
	if (json)
		cmd_print_json(json_incref(out.report));
	else
		print_run(&out);
	int code = !strcmp(out.state, "promoted")  ? EXIT_OK
		   : !strcmp(out.state, "nothing") ? EXIT_NOT_FOUND
						   : EXIT_REFUSED;
	retrain_outcome_release(&out);
	return code;
}

static int run_retrain(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ "report-set", required_argument, NULL, 'r' },
		{ "shuffle-labels", no_argument, NULL, 's' },
		{ "trigger", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, shuffle = 0, c;
	const char *out = NULL, *trigger = NULL;
	char **sets = xcalloc((size_t)argc + 1, sizeof(char *));
	size_t nsets = 0;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "jo:r:st:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'r':
			sets[nsets++] = optarg;
			break;
		case 's':
			shuffle = 1;
			break;
		case 't':
			trigger = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			free(sets);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			free(sets);
			return EXIT_USAGE;
		}
	}
	const char *what = optind < argc ? argv[optind] : NULL;
	int rc;
	if (!what || optind + 1 != argc) {
		rc = -1;
	} else if (!strcmp(what, "check") && !out && !nsets && !shuffle && !trigger) {
		rc = run_check(app, json);
	} else if (!strcmp(what, "prepare") && out && !*out) {
		fprintf(stderr, "ragops retrain prepare: --out needs a folder, not an empty path\n");
		rc = EXIT_USAGE;
	} else if (!strcmp(what, "prepare") && out && !nsets && !shuffle && !trigger) {
		rc = run_prepare(app, out, json);
	} else if (!strcmp(what, "run") && !out && (!trigger || *trigger)) {
		rc = run_run(app, json, sets, nsets, shuffle, trigger);
	} else {
		rc = -1;
	}
	free(sets);
	if (rc < 0) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	return rc;
}

const struct cmd_entry cmd_retrain_entry = {
	"retrain",   "should_retrain, prepare the data, retrain and promote when not worse",
	usage,       CMD_NEEDS_STORE,
	run_retrain,
};

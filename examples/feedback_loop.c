/*
 * feedback_loop: the original design's feedback loop on the C API.
 *
 *     feedback_loop DATA_DIR OUT_DIR
 *
 * Opens the data folder DATA_DIR (one `ragops run --inbox DIR` filled),
 * asks "Qu'est-ce que l'ISO ?", saves feedback on the answer, asks
 * should_retrain, prepares the retraining data under OUT_DIR and runs the
 * health check.  Exits 1 on any error, printing why.
 *
 * Build: make (it is $(BUILD)/examples/feedback_loop), or on its own:
 *     cc examples/feedback_loop.c $(pkg-config --cflags --libs build/ragops.pc)
 */
#include <stdio.h>

#include "ragops.h"

/* Print what failed and why, and give the status back. */
static int report(ragops *r, const char *what, int status)
{
	if (status)
		fprintf(stderr, "feedback_loop: %s: %s\n", what, ragops_errmsg(r));
	return status;
}

int main(int argc, char **argv)
{
	ragops *r = NULL;
	ragops_answer a = { 0 };
	char *policy = NULL, *manifest = NULL, *health = NULL;
	long long id = 0;
	int recommended = 0, status = 0, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: feedback_loop DATA_DIR OUT_DIR\n");
		return 2;
	}
	if ((rc = report(r, "open", ragops_open(&r, argv[1], NULL))))
		goto done;

	if ((rc = report(r, "ask", ragops_ask(r, "Qu'est-ce que l'ISO ?", &a))))
		goto done;
	printf("answer (release %lld, query %lld): %s\n", a.release_id, a.query_id, a.text);
	for (size_t i = 0; i < a.nsources; i++)
		printf("  source %zu: %s, p. %d\n", i + 1, a.sources[i].doc, a.sources[i].page_start);

	/* FeedbackCollector().save_feedback(UserFeedback(...)) */
	const char *sources[1] = { a.nsources ? a.sources[0].doc : NULL };
	ragops_feedback fb = {
		.question = "Qu'est-ce que l'ISO ?",
		.answer = a.text,
		.sources = sources,
		.nsources = a.nsources ? 1 : 0,
		.rating = 4,
		.feedback_text = "Bonne réponse mais pourrait être plus détaillée",
		.corrected_answer = "L'ISO (International Organization for Standardization) est...",
	};
	if ((rc = report(r, "save feedback", feedback_collector_save(r, &fb, &id))))
		goto done;
	printf("feedback %lld saved\n", id);

	/* RetrainingPipeline().should_retrain() */
	if ((rc = report(r, "should_retrain", retraining_should_retrain(r, &recommended, &policy))))
		goto done;
	printf("should_retrain: %s\n", recommended ? "Retraining recommandé !" : "pas de retraining");

	/* RetrainingPipeline().prepare_retraining_data() */
	if ((rc = report(r, "prepare_retraining_data", retraining_prepare_data(r, argv[2], &manifest))))
		goto done;
	printf("retraining data prepared in %s\n", argv[2]);

	/* HealthChecker().check_health() */
	if ((rc = report(r, "check_health", health_check(r, &status, &health))))
		goto done;
	printf("health: %s\n", status == RAGOPS_HEALTH_OK         ? "ok"
			       : status == RAGOPS_HEALTH_DEGRADED ? "degraded"
								  : "down");

done:
	ragops_free(policy);
	ragops_free(manifest);
	ragops_free(health);
	ragops_answer_free(&a);
	ragops_close(r);
	return rc ? 1 : 0;
}

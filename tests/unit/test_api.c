/*
 * Unit tests for the C API (include/ragops.h, src/api/ragops.c): the
 * status each failure gives and the message saying why, on a data folder
 * with no release yet (tests/integration/t0145-c-api.sh drives a full one
 * through examples/feedback_loop).  One process works on one data folder,
 * so every test shares the folder made in main.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ragops.h"

static char dir[64];

static ragops *open_ok(void)
{
	ragops *r = NULL;
	int rc = ragops_open(&r, dir, NULL);
	if (rc)
		fail_msg("ragops_open: %s", ragops_errmsg(r));
	assert_string_equal(ragops_errmsg(r), "");
	return r;
}

static void assert_message(const ragops *r, const char *needle)
{
	if (!strstr(ragops_errmsg(r), needle))
		fail_msg("no '%s' in '%s'", needle, ragops_errmsg(r));
}

static void test_feedback(void **state)
{
	ragops *r = open_ok();
	const char *sources[] = { "a.pdf" }, *unknown[] = { "nope.pdf" }, *none[] = { NULL };
	ragops_feedback fb = { .question = "Qu'est-ce que l'ISO ?",
			       .answer = "L'ISO est...",
			       .sources = sources,
			       .nsources = 1,
			       .rating = 4,
			       .feedback_text = "Bonne réponse",
			       .corrected_answer = "L'ISO (...) est..." };
	long long id = 0;
	assert_int_equal(feedback_collector_save(r, &fb, &id), RAGOPS_OK);
	assert_true(id > 0);
	assert_string_equal(ragops_errmsg(r), "");

	fb.rating = 6;
	assert_int_equal(feedback_collector_save(r, &fb, NULL), RAGOPS_EINVAL);
	assert_message(r, "'rating' must be from 1 to 5, not 6");
	fb.rating = 4;
	fb.helpful_sources = unknown;
	fb.nhelpful_sources = 1;
	assert_int_equal(feedback_collector_save(r, &fb, NULL), RAGOPS_EINVAL);
	assert_message(r, "'helpful_sources' names 'nope.pdf'");
	fb.helpful_sources = none;
	assert_int_equal(feedback_collector_save(r, &fb, NULL), RAGOPS_EINVAL);
	assert_message(r, "'helpful_sources' item 1 is NULL");
	fb.helpful_sources = NULL;
	assert_int_equal(feedback_collector_save(r, &fb, NULL), RAGOPS_EINVAL);
	assert_message(r, "'helpful_sources' is NULL but counts 1 paths");
	fb.nhelpful_sources = 0;
	fb.query_id = 999;
	assert_int_equal(feedback_collector_save(r, &fb, NULL), RAGOPS_ENOTFOUND);
	assert_message(r, "'query_id' 999 names no logged question");
	fb.query_id = -1;
	assert_int_equal(feedback_collector_save(r, &fb, NULL), RAGOPS_EINVAL);
	assert_int_equal(feedback_collector_save(r, NULL, NULL), RAGOPS_EINVAL);
	/* A success clears the message of the failure before. */
	fb.query_id = 0;
	assert_int_equal(feedback_collector_save(r, &fb, &id), RAGOPS_OK);
	assert_string_equal(ragops_errmsg(r), "");
	ragops_close(r);
}

static void test_nothing_to_answer_from(void **state)
{
	ragops *r = open_ok();
	ragops_answer a;
	char *json = (char *)"untouched";
	int status = -1, recommended = -1;
	assert_int_equal(ragops_ask(r, "Qu'est-ce que l'ISO ?", &a), RAGOPS_ENOTREADY);
	assert_message(r, "no release in production");
	assert_null(a.text);
	assert_int_equal(a.nsources, 0);
	ragops_answer_free(&a);
	assert_int_equal(ragops_ask(r, "", &a), RAGOPS_EINVAL);
	assert_int_equal(ragops_ask(r, NULL, &a), RAGOPS_EINVAL);

	assert_int_equal(retraining_prepare_data(r, dir, &json), RAGOPS_ENOTREADY);
	assert_null(json);
	assert_message(r, "no release in production");

	assert_int_equal(retraining_should_retrain(r, &recommended, &json), RAGOPS_OK);
	assert_true(recommended == 0 || recommended == 1);
	assert_non_null(strstr(json, "\"rules\""));
	ragops_free(json);

	/* Down is a verdict, not a failure. */
	assert_int_equal(health_check(r, &status, &json), RAGOPS_OK);
	assert_int_equal(status, RAGOPS_HEALTH_DOWN);
	assert_non_null(strstr(json, "\"checks\""));
	ragops_free(json);
	assert_int_equal(health_check(r, NULL, NULL), RAGOPS_EINVAL);
	ragops_close(r);
}

static void test_open_failures(void **state)
{
	ragops *r = NULL;
	assert_int_equal(ragops_open(&r, dir, "/nonexistent/ragops.yaml"), RAGOPS_ECONFIG);
	assert_message(r, "/nonexistent/ragops.yaml");
	ragops_close(r);

	/* The releases a process loads are cached by id: a second folder is refused. */
	char other[80];
	snprintf(other, sizeof(other), "%s-other", dir);
	assert_int_equal(ragops_open(&r, other, NULL), RAGOPS_EINVAL);
	assert_message(r, other);
	assert_int_equal(access(other, F_OK), -1);
	int status;
	assert_int_equal(health_check(r, &status, NULL), RAGOPS_EINVAL);
	assert_message(r, "not open");
	ragops_close(r);

	assert_int_equal(ragops_open(NULL, dir, NULL), RAGOPS_EINVAL);
	assert_non_null(ragops_errmsg(NULL));
	ragops_close(NULL);
	ragops_answer_free(NULL);
	ragops_free(NULL);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feedback),
		cmocka_unit_test(test_nothing_to_answer_from),
		cmocka_unit_test(test_open_failures),
	};
	snprintf(dir, sizeof(dir), "/tmp/ragops-test-api-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return failed;
}

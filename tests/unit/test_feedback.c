/*
 * Unit tests for feedback parsing (ops/feedback.h): what the HTTP API will
 * accept and refuse, field by field, and durations for --since.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ops/feedback.h"

static char last_field[64];

static int parse(const char *text, struct feedback_record *f, struct strbuf *err)
{
	json_t *j = json_loads(text, 0, NULL);
	const char *field = NULL;
	int rc = feedback_from_json(j, f, &field, err);
	snprintf(last_field, sizeof(last_field), "%s", field ? field : "");
	json_decref(j);
	return rc;
}

static void test_full_record(void **state)
{
	struct feedback_record f;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(
		parse("{\"question\":\"ISO ?\",\"answer\":\"100\",\"sources\":[{\"document\":\"a.pdf\"}],"
		      "\"rating\":4,\"feedback_text\":\"ok\",\"corrected_answer\":\"200\","
		      "\"helpful_sources\":[\"a.pdf\",\"a.pdf\"],\"unhelpful_sources\":null}",
		      &f, &err),
		0);
	assert_string_equal(f.question, "ISO ?");
	assert_int_equal(f.rating, 4);
	assert_string_equal(f.sources, "[{\"document\":\"a.pdf\"}]");
	assert_string_equal(f.corrected, "200");
	/* kept as given: feedback_add drops duplicates and checks the paths against the store */
	assert_string_equal(f.helpful, "[\"a.pdf\",\"a.pdf\"]");
	assert_null(f.unhelpful);
	feedback_record_release(&f);
	strbuf_release(&err);
}

static void test_refusals_name_the_field(void **state)
{
	static const struct {
		const char *json, *message, *field;
	} cases[] = {
		{ "{\"rating\":4,\"colour\":\"red\"}", "unknown field 'colour'", "colour" },
		{ "{\"rating\":\"four\"}", "'rating' must be a whole number", "rating" },
		{ "{\"query_id\":-3,\"rating\":4}", "'query_id' must be a positive integer",
		  "query_id" },
		{ "{\"question\":42,\"rating\":4}", "'question' must be a string", "question" },
		{ "{\"sources\":\"a.pdf\",\"rating\":4}", "'sources' must be a list", "sources" },
		{ "{\"sources\":[1],\"rating\":4}", "'sources' must be a list", "sources" },
		{ "{\"helpful_sources\":\"a.pdf\",\"rating\":4}",
		  "'helpful_sources' must be a list of document paths, not a string",
		  "helpful_sources" },
		{ "{\"unhelpful_sources\":[\"a.pdf\",{\"document\":\"b.pdf\"}],\"rating\":4}",
		  "'unhelpful_sources' must be a list of document paths, and item 2 is an object",
		  "unhelpful_sources" },
		{ "{\"helpful_sources\":[2],\"rating\":4}",
		  "'helpful_sources' must be a list of document paths, and item 1 is a number",
		  "helpful_sources" },
		{ "[1,2]", "must be a JSON object", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct feedback_record f;
		struct strbuf err = STRBUF_INIT;
		assert_int_equal(parse(cases[i].json, &f, &err), -1);
		assert_non_null(strstr(err.buf, cases[i].message));
		assert_string_equal(last_field, cases[i].field);
		strbuf_release(&err);
	}
}

static void test_size_cap(void **state)
{
	struct feedback_record f;
	struct strbuf err = STRBUF_INIT, json = STRBUF_INIT;
	strbuf_addstr(&json, "{\"rating\":3,\"feedback_text\":\"");
	for (int i = 0; i < FEEDBACK_MAX_TEXT + 1; i++)
		strbuf_addch(&json, 'a');
	strbuf_addstr(&json, "\"}");
	assert_int_equal(parse(json.buf, &f, &err), -1);
	assert_non_null(strstr(err.buf, "'feedback_text' is 5001 bytes, over the limit of 5000"));
	strbuf_release(&err);
	strbuf_release(&json);
}

static void test_durations(void **state)
{
	assert_int_equal(parse_duration_ms("7d"), 7LL * 86400 * 1000);
	assert_int_equal(parse_duration_ms("24h"), 24LL * 3600 * 1000);
	assert_int_equal(parse_duration_ms("30m"), 30LL * 60 * 1000);
	assert_int_equal(parse_duration_ms("1.5h"), 5400LL * 1000);
	assert_int_equal(parse_duration_ms("7"), -1);
	assert_int_equal(parse_duration_ms("7days"), -1);
	assert_int_equal(parse_duration_ms("soon"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_record),
		cmocka_unit_test(test_refusals_name_the_field),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

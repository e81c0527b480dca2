/*
 * Unit tests for scrubbing (ops/scrub.h): the personal data and secrets a
 * user may type into feedback, and the photography text that must survive.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ops/scrub.h"

static const struct {
	const char *in, *out;
	size_t found;
} cases[] = {
	{ "écrivez à jean.dupont@example.org.", "écrivez à [email].", 1 },
	{ "appelez le +33 6 12 34 56 78 ou le 06.12.34.56.78", "appelez le [phone] ou le [phone]", 2 },
	{ "06 12 34 56 78, 0612345678", "[phone], [phone]", 2 },
	{ "clé sk-live-4f9a8b7c6d5e4f3a2b1c0d9e", "clé [secret]", 1 },
	{ "token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "token [secret]", 1 },
	{ "Authorization: Bearer abcdefghijklmnop1234", "Authorization: [secret]", 1 },
	{ "IBAN FR76 3000 6000 0112 3456 7890 189 merci", "IBAN [iban] merci", 1 },
	{ "IBAN FR7630006000011234567890189.", "IBAN [iban].", 1 },
	{ "DE89 3704 0044 0532 0130 00", "[iban]", 1 },
	{ "https://bob:hunter2@example.org/x", "https://[credentials]@example.org/x", 1 },
	{ "sha256 3f786850e387550fdab836ed7e6dc881de23001b3f786850e387550fdab836ed", "sha256 [secret]",
	  1 },
	/* Values of photography stay. */
	{ "1/125 s à f/2.8, ISO 100 - 200 - 400 - 800 - 1600", NULL, 0 },
	{ "le 2026-12-04 à 14:30, objectif EF 70-200 mm", NULL, 0 },
	{ "dark-frame-subtraction, risk-management-procedure", NULL, 0 },
	{ "RF24105 et EF70200 sont des noms d'objectifs", NULL, 0 },
	{ "ISO 3200 AB12 CDEF GHIJ", NULL, 0 },
	{ "", NULL, 0 },
};

static void test_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t found = 0;
		char *out = scrub_text(cases[i].in, &found);
		assert_string_equal(out, cases[i].out ? cases[i].out : cases[i].in);
		assert_int_equal(found, cases[i].found);
		free(out);
	}
}

static void test_null_and_count_optional(void **state)
{
	char *out = scrub_text(NULL, NULL);
	assert_string_equal(out, "");
	free(out);
	out = scrub_text("jean@example.org", NULL);
	assert_string_equal(out, "[email]");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_null_and_count_optional),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

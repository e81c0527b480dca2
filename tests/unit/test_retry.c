/*
 * Unit tests for the retry schedule (pipeline/retry.h), with the jitter
 * given: exponential from the base, capped, never less than half of the
 * step it jitters, and the settings read as the configuration gives them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/config.h"
#include "pipeline/retry.h"

static void test_backoff_doubles_from_the_base_up_to_the_cap(void **state)
{
	(void)state;
	struct retry_policy p = { .attempts = 8, .base_ms = 1000, .max_ms = 30000 };
	/* No jitter (u = 0): the step itself. */
	const long long want[] = { 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000 };
	for (unsigned a = 0; a < sizeof(want) / sizeof(want[0]); a++)
		assert_int_equal(retry_delay_ms(&p, a, 0), want[a]);
	/* The most jitter takes off just under half of the step: never less than half. */
	for (unsigned a = 2; a < 9; a++) {
		long long step = retry_delay_ms(&p, a, 0), least = retry_delay_ms(&p, a, 1);
		assert_true(least > step / 2 && least <= step - step / 2 + 1);
		assert_int_equal(retry_delay_ms(&p, a, 0.5), step - step / 4);
	}
	/* A huge attempt number does not overflow past the cap. */
	assert_int_equal(retry_delay_ms(&p, 400, 0), 30000);
}

static void test_policy_from_the_configuration(void **state)
{
	(void)state;
	struct config cfg;
	config_init(&cfg);
	struct retry_policy p;
	retry_policy_from_config(&cfg, RETRY_DOCUMENT, &p);
	assert_int_equal(p.attempts, 3);
	assert_int_equal(p.base_ms, 1000);
	assert_int_equal(p.max_ms, 30000);
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(config_set(&cfg, "retry.base_delay", "10s", "test", &err), 0);
	assert_int_equal(config_set(&cfg, "retry.max_delay", "2s", "test", &err), 0);
	retry_policy_from_config(&cfg, RETRY_DOCUMENT, &p);
	/* A cap under the base is the base: the first retry waits what was asked. */
	assert_int_equal(p.max_ms, 10000);
	assert_int_equal(retry_delay_ms(&p, 3, 0), 10000);
	/* A step's own settings over the common ones; the other step keeps those. */
	assert_int_equal(config_set(&cfg, "retry.release.attempts", "7", "test", &err), 0);
	assert_int_equal(config_set(&cfg, "retry.release.max_delay", "1m", "test", &err), 0);
	retry_policy_from_config(&cfg, RETRY_RELEASE, &p);
	assert_int_equal(p.attempts, 7);
	assert_int_equal(p.base_ms, 10000);
	assert_int_equal(p.max_ms, 60000);
	retry_policy_from_config(&cfg, RETRY_DOCUMENT, &p);
	assert_int_equal(p.attempts, 3);
	assert_int_equal(p.max_ms, 10000);
	strbuf_release(&err);
	config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_from_the_base_up_to_the_cap),
		cmocka_unit_test(test_policy_from_the_configuration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

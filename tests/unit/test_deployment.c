/*
 * Unit tests for deployments: checking what a user typed
 * (ops/deployment.h), their parameters applied to a run, their records in
 * the store (claims that never move back, pause and resume, skipped runs),
 * and what the schedule asks for at a given moment with an injected clock
 * (ops/schedule.h): on time, missed with each policy, too late.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/timeutil.h"
#include "ops/deployment.h"
#include "ops/schedule.h"
#include "store/store.h"

/* "2026-03-29T01:00:30" (UTC) to epoch ms. */
static long long ms(const char *iso)
{
	struct tm tm = { 0 };
	int n = sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		       &tm.tm_min, &tm.tm_sec);
	assert_true(n >= 5);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm) * 1000;
}

static struct deployment daily(const char *cron, const char *zone, const char *missed)
{
	struct deployment d = { .name = "nightly",
				.cron = (char *)cron,
				.timezone = (char *)zone,
				.missed = (char *)missed,
				.overlap = "skip" };
	return d;
}

#define SIX_HOURS (6 * 3600 * 1000LL)

static void step(const struct deployment *d, const char *from, const char *now,
		 struct schedule_step *out)
{
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(schedule_step(d, ms(from), ms(now), SIX_HOURS, out, &err), 0);
	strbuf_release(&err);
}

static void test_nothing_due(void **state)
{
	struct deployment d = daily("0 2 * * *", "UTC", "skip");
	struct schedule_step s;
	step(&d, "2026-01-01T02:00", "2026-01-01T12:00", &s);
	assert_int_equal(s.run_at, 0);
	assert_int_equal(s.nskipped, 0);
	assert_int_equal(s.handled_through, ms("2026-01-01T02:00"));
	assert_int_equal(s.wake_at, ms("2026-01-02T02:00"));
}

static void test_on_time(void **state)
{
	struct deployment d = daily("0 2 * * *", "UTC", "skip");
	struct schedule_step s;
	step(&d, "2026-01-01T02:00", "2026-01-02T02:00:30", &s);
	assert_int_equal(s.run_at, ms("2026-01-02T02:00"));
	assert_false(s.catch_up);
	assert_int_equal(s.nskipped, 0);
	assert_int_equal(s.handled_through, ms("2026-01-02T02:00"));
	/* A minute late is still on time; a second more is missed. */
	step(&d, "2026-01-01T02:00", "2026-01-02T02:01:00", &s);
	assert_int_equal(s.run_at, ms("2026-01-02T02:00"));
	step(&d, "2026-01-01T02:00", "2026-01-02T02:01:01", &s);
	assert_int_equal(s.run_at, 0);
	assert_int_equal(s.nskipped, 1);
}

static void test_missed_skip(void **state)
{
	struct deployment d = daily("0 2 * * *", "UTC", "skip");
	struct schedule_step s;
	step(&d, "2026-01-01T02:00", "2026-01-04T08:00", &s);
	assert_int_equal(s.run_at, 0);
	assert_int_equal(s.nskipped, 3);
	assert_int_equal(s.skipped_first, ms("2026-01-02T02:00"));
	assert_int_equal(s.skipped_last, ms("2026-01-04T02:00"));
	assert_int_equal(s.handled_through, ms("2026-01-04T02:00"));
	assert_non_null(strstr(s.reason, "missed"));
	assert_int_equal(s.wake_at, ms("2026-01-05T02:00"));
}

static void test_missed_once(void **state)
{
	struct deployment d = daily("0 2 * * *", "UTC", "once");
	struct schedule_step s;
	/* Six hours late: within flow.max_lateness, the latest runs once. */
	step(&d, "2026-01-01T02:00", "2026-01-04T08:00", &s);
	assert_int_equal(s.run_at, ms("2026-01-04T02:00"));
	assert_true(s.catch_up);
	assert_int_equal(s.nskipped, 2);
	assert_int_equal(s.skipped_first, ms("2026-01-02T02:00"));
	assert_int_equal(s.skipped_last, ms("2026-01-03T02:00"));
	/* Seven hours late: never run days (or hours) past the bound. */
	step(&d, "2026-01-01T02:00", "2026-01-04T09:00", &s);
	assert_int_equal(s.run_at, 0);
	assert_int_equal(s.nskipped, 3);
	assert_non_null(strstr(s.reason, "flow.max_lateness"));
}

static void test_spring_forward(void **state)
{
	/* 02:30 does not exist in Paris on 2026-03-29: it runs at 03:00 CEST (01:00 UTC). */
	struct deployment d = daily("30 2 * * *", "Europe/Paris", "skip");
	struct schedule_step s;
	step(&d, "2026-03-28T12:00", "2026-03-29T01:00:10", &s);
	assert_int_equal(s.run_at, ms("2026-03-29T01:00"));
	step(&d, "2026-03-29T01:00", "2026-03-29T23:00", &s);
	assert_int_equal(s.run_at, 0);
	assert_int_equal(s.nskipped, 0);
}

static void test_build_errors(void **state)
{
	char *no_value[] = { "inbox" }, *data_dir[] = { "data_dir=/x" };
	char *not_number[] = { "chunk.target_chars=ten" }, *unknown[] = { "chunk.size=10" };
	const struct {
		struct deployment_spec spec;
		const char *says;
	} bad[] = {
		{ { .name = "a b", .cron = "0 2 * * *" }, "not a deployment name" },
		{ { .name = "../x", .cron = "0 2 * * *" }, "not a deployment name" },
		{ { .name = "", .cron = "0 2 * * *" }, "not a deployment name" },
		{ { .name = "ok", .cron = NULL }, "needs a schedule" },
		{ { .name = "ok", .cron = "0 2 * *" }, "4 fields" },
		{ { .name = "ok", .cron = "0 0 30 2 *" }, "never fires" },
		{ { .name = "ok", .cron = "0 2 * * *", .timezone = "Paris" },
		  "unknown time zone 'Paris'" },
		{ { .name = "ok", .cron = "0 2 * * *", .missed = "sometimes" }, "--missed 'sometimes'" },
		{ { .name = "ok", .cron = "0 2 * * *", .overlap = "parallel" }, "--overlap 'parallel'" },
		{ { .name = "ok", .cron = "0 2 * * *", .params = no_value, .nparams = 1 }, "key=value" },
		{ { .name = "ok", .cron = "0 2 * * *", .params = data_dir, .nparams = 1 },
		  "data folder" },
		{ { .name = "ok", .cron = "0 2 * * *", .params = not_number, .nparams = 1 },
		  "chunk.target_chars" },
		{ { .name = "ok", .cron = "0 2 * * *", .params = unknown, .nparams = 1 },
		  "unknown key 'chunk.size'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct strbuf err = STRBUF_INIT;
		struct deployment d;
		int rc = deployment_build(&bad[i].spec, &d, &err);
		if (rc != -1 || !strstr(err.buf, bad[i].says))
			fail_msg("case %zu: rc %d, '%s', want '%s'", i, rc, err.buf, bad[i].says);
		strbuf_release(&err);
	}
}

static void test_build_and_apply(void **state)
{
	char *params[] = { "inbox=/a", "chunk.target_chars=800", "inbox=/b" };
	struct deployment_spec spec = { "nightly", "0 2 * * *", "Europe/Paris", "once", "queue", params,
					3 };
	struct deployment d;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(deployment_build(&spec, &d, &err), 0);
	assert_string_equal(d.params,
			    "{\"inbox\":[\"/a\",\"/b\"],\"settings\":{\"chunk.target_chars\":\"800\"}}");
	assert_string_equal(d.missed, "once");
	assert_string_equal(d.overlap, "queue");

	struct config cfg;
	char **inbox;
	size_t n;
	config_init(&cfg);
	assert_int_equal(deployment_apply(&d, NULL, 0, &cfg, &inbox, &n, &err), 0);
	assert_int_equal(cfg.chunk.target_chars, 800);
	assert_int_equal(n, 2);
	assert_string_equal(inbox[0], "/a");
	assert_string_equal(inbox[1], "/b");
	deployment_inbox_free(inbox, n);
	/* --param overrides: a setting wins, folders replace the deployment's. */
	char *over[] = { "inbox=/c", "chunk.target_chars=900" };
	assert_int_equal(deployment_apply(&d, over, 2, &cfg, &inbox, &n, &err), 0);
	assert_int_equal(cfg.chunk.target_chars, 900);
	assert_int_equal(n, 1);
	assert_string_equal(inbox[0], "/c");
	deployment_inbox_free(inbox, n);
	char *wrong[] = { "chunk.overlap_chars=5000" }; /* over half the target: config_validate */
	assert_int_equal(deployment_apply(&d, wrong, 1, &cfg, &inbox, &n, &err), -1);
	assert_non_null(strstr(err.buf, "chunk.overlap_chars"));
	config_release(&cfg);
	deployment_release(&d);
	strbuf_release(&err);
}

static void test_store_records(void **state)
{
	char dir[] = "/tmp/ragops-test-deployment-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct store *st = NULL;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(store_open(&st, dir, &err), 0);
	struct deployment d = daily("0 2 * * *", "UTC", "skip"), got;
	d.params = "{\"inbox\":[\"/a\"],\"settings\":{}}";
	long long before = time_now_ms();
	assert_int_equal(store_deployment_put(st, &d, 0, &err), LOOKUP_FOUND);
	assert_int_equal(store_deployment_put(st, &d, 0, &err), LOOKUP_MISSING);
	assert_int_equal(store_deployment_get(st, "nightly", &got, &err), LOOKUP_FOUND);
	/* A new deployment owes nothing from before it existed. */
	assert_true(got.handled_through >= before);
	deployment_release(&got);

	/* Claims move forward only, once each. */
	long long t = ms("2030-01-01T02:00");
	assert_int_equal(store_deployment_claim(st, "nightly", t, &err), 1);
	assert_int_equal(store_deployment_claim(st, "nightly", t, &err), 0);
	assert_int_equal(store_deployment_claim(st, "nightly", t - 1000, &err), 0);
	/* Replacing its parameters keeps how far the schedule was handled... */
	d.params = "{\"inbox\":[\"/b\"],\"settings\":{}}";
	assert_int_equal(store_deployment_put(st, &d, 1, &err), LOOKUP_FOUND);
	assert_int_equal(store_deployment_get(st, "nightly", &got, &err), LOOKUP_FOUND);
	assert_int_equal(got.handled_through, t);
	deployment_release(&got);
	/* ... a new schedule starts now: its times that already passed were never owed. */
	d.cron = "0 3 * * *";
	long long changed = time_now_ms();
	assert_int_equal(store_deployment_put(st, &d, 1, &err), LOOKUP_FOUND);
	assert_int_equal(store_deployment_get(st, "nightly", &got, &err), LOOKUP_FOUND);
	assert_string_equal(got.cron, "0 3 * * *");
	assert_true(got.handled_through >= changed && got.handled_through < t);
	deployment_release(&got);
	/* (back to where the schedule had been handled, for what follows) */
	assert_int_equal(store_deployment_claim(st, "nightly", t, &err), 1);
	/* Pausing keeps it; resuming starts afresh from now (nothing caught up). */
	assert_int_equal(store_deployment_pause(st, "nightly", 1, &err), LOOKUP_FOUND);
	assert_int_equal(store_deployment_claim(st, "nightly", t + 1000, &err), 1);
	assert_int_equal(store_deployment_pause(st, "nightly", 0, &err), LOOKUP_FOUND);
	assert_int_equal(store_deployment_get(st, "nightly", &got, &err), LOOKUP_FOUND);
	assert_false(got.paused);
	assert_true(got.handled_through >= before && got.handled_through < t);
	deployment_release(&got);
	assert_int_equal(store_deployment_pause(st, "nobody", 1, &err), LOOKUP_MISSING);

	/* A skipped time is a run record of the deployment, with its reason. */
	struct run_origin o = { "deployment", "nightly", t };
	long long id = store_run_skipped(st, &o, d.params, "late", &err);
	assert_true(id > 0);
	struct run_record *runs;
	size_t n;
	assert_int_equal(store_deployment_runs(st, "nightly", 10, &runs, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(runs[0].state, "skipped");
	assert_string_equal(runs[0].deployment, "nightly");
	assert_string_equal(runs[0].error, "late");
	assert_int_equal(runs[0].scheduled_for, t);
	assert_true(runs[0].ended_at > 0);
	run_records_free(runs, n);
	long long running;
	assert_int_equal(store_deployment_running(st, "nightly", &running, &err), 0);
	assert_int_equal(running, 0);
	/* ... whose inbox is not "the folders of the last run". */
	assert_null(store_last_inbox(st));

	assert_int_equal(store_deployment_delete(st, "nightly", &err), LOOKUP_FOUND);
	assert_int_equal(store_deployment_delete(st, "nightly", &err), LOOKUP_MISSING);
	assert_int_equal(store_deployment_runs(st, "nightly", 10, &runs, &n, &err), 0);
	assert_int_equal(n, 1); /* its runs stay */
	run_records_free(runs, n);
	store_close(&st);
	strbuf_release(&err);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_due),     cmocka_unit_test(test_on_time),
		cmocka_unit_test(test_missed_skip),     cmocka_unit_test(test_missed_once),
		cmocka_unit_test(test_spring_forward),  cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_build_and_apply), cmocka_unit_test(test_store_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

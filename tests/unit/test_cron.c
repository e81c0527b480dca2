/*
 * Unit tests for cron schedules (ops/cron.h) and time zones
 * (core/timezone.h): a table of expressions with the next time each must
 * give, worked out by hand from the calendar, including both daylight
 * saving changes of 2026 in Europe/Paris and America/New_York; and the
 * errors a mistyped schedule gets.
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

#include "ops/cron.h"

/* "2026-03-29T01:00" (UTC) to seconds. */
static long long utc(const char *iso)
{
	struct tm tm = { 0 };
	assert_int_equal(sscanf(iso, "%d-%d-%dT%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				&tm.tm_min),
			 5);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

static void iso(long long t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M", &tm);
}

struct case_ {
	const char *expr, *zone, *after, *next; /* times in UTC; next NULL: never */
};

static const struct case_ cases[] = {
	/* Fields, lists, ranges and steps (UTC). */
	{ "* * * * *", "UTC", "2026-01-01T00:00", "2026-01-01T00:01" },
	{ "0 * * * *", "UTC", "2026-01-01T00:00", "2026-01-01T01:00" },
	{ "0 2 * * *", "UTC", "2026-01-01T02:00", "2026-01-02T02:00" },
	{ "0 2 * * *", "UTC", "2026-01-01T01:59", "2026-01-01T02:00" },
	{ "*/15 * * * *", "UTC", "2026-01-01T00:07", "2026-01-01T00:15" },
	{ "5-10 * * * *", "UTC", "2026-01-01T00:10", "2026-01-01T01:05" },
	{ "5,35 * * * *", "UTC", "2026-01-01T00:06", "2026-01-01T00:35" },
	{ "10-50/20 * * * *", "UTC", "2026-01-01T00:11", "2026-01-01T00:30" },
	{ "10-50/20 * * * *", "UTC", "2026-01-01T00:50", "2026-01-01T01:10" },
	{ "0/20 * * * *", "UTC", "2026-01-01T00:41", "2026-01-01T01:00" },
	{ "5/20 * * * *", "UTC", "2026-01-01T00:46", "2026-01-01T01:05" },
	{ "0 9-17/4 * * *", "UTC", "2026-01-01T09:00", "2026-01-01T13:00" },
	{ "0 9-17/4 * * *", "UTC", "2026-01-01T17:00", "2026-01-02T09:00" },
	{ "0 0 1 * *", "UTC", "2026-01-15T00:00", "2026-02-01T00:00" },
	{ "0 0 31 * *", "UTC", "2026-04-01T00:00", "2026-05-31T00:00" },
	{ "0 0 29 2 *", "UTC", "2026-01-01T00:00", "2028-02-29T00:00" },
	{ "0 0 31 2 *", "UTC", "2026-01-01T00:00", NULL },
	{ "59 23 31 12 *", "UTC", "2026-01-01T00:00", "2026-12-31T23:59" },
	/* Days of the week (2026-01-01 is a Thursday), names, 7 as Sunday. */
	{ "0 0 * * 1", "UTC", "2026-01-01T00:00", "2026-01-05T00:00" },
	{ "0 0 * * 0", "UTC", "2026-01-01T00:00", "2026-01-04T00:00" },
	{ "0 0 * * 7", "UTC", "2026-01-01T00:00", "2026-01-04T00:00" },
	{ "0 0 * * mon-fri", "UTC", "2026-01-02T12:00", "2026-01-05T00:00" },
	{ "0 12 * * SUN", "UTC", "2026-01-04T12:00", "2026-01-11T12:00" },
	{ "0 0 * jan,jul *", "UTC", "2026-02-01T00:00", "2026-07-01T00:00" },
	{ "0 0 1 JAN *", "UTC", "2026-01-01T00:00", "2027-01-01T00:00" },
	/* Vixie cron's rule: both day fields restricted, either matches. */
	{ "0 0 13 * 5", "UTC", "2026-01-01T00:00", "2026-01-02T00:00" },
	{ "0 0 13 * 5", "UTC", "2026-01-09T00:00", "2026-01-13T00:00" },
	{ "30 4 1,15 * 5", "UTC", "2026-01-01T04:30", "2026-01-02T04:30" },
	/* ... and a day field starting with '*' restricts with the other. */
	{ "0 0 */2 * 5", "UTC", "2026-01-01T00:00", "2026-01-09T00:00" },
	/* Aliases. */
	{ "@yearly", "UTC", "2026-06-01T00:00", "2027-01-01T00:00" },
	{ "@annually", "UTC", "2026-06-01T00:00", "2027-01-01T00:00" },
	{ "@monthly", "UTC", "2026-01-31T23:59", "2026-02-01T00:00" },
	{ "@weekly", "UTC", "2026-01-01T00:00", "2026-01-04T00:00" },
	{ "@daily", "UTC", "2026-12-31T23:59", "2027-01-01T00:00" },
	{ "@midnight", "UTC", "2026-12-31T23:59", "2027-01-01T00:00" },
	{ "@hourly", "UTC", "2026-01-01T10:30", "2026-01-01T11:00" },
	/* Zones without a change in between. */
	{ "0 2 * * *", "Europe/Paris", "2026-01-10T00:00", "2026-01-10T01:00" },
	{ "0 2 * * *", "Europe/Paris", "2026-07-10T00:00", "2026-07-11T00:00" },
	{ "0 9 * * *", "America/New_York", "2026-01-10T00:00", "2026-01-10T14:00" },
	{ "0 9 * * *", "Asia/Kolkata", "2026-01-10T00:00", "2026-01-10T03:30" },
	/*
	 * Paris, spring forward: 2026-03-29 at 01:00 UTC, 02:00 CET becomes
	 * 03:00 CEST.  A fixed time in the lost hour runs once, at 03:00.
	 */
	{ "30 2 * * *", "Europe/Paris", "2026-03-28T02:00", "2026-03-29T01:00" },
	{ "30 2 * * *", "Europe/Paris", "2026-03-29T01:00", "2026-03-30T00:30" },
	{ "0 2 * * *", "Europe/Paris", "2026-03-28T12:00", "2026-03-29T01:00" },
	{ "0,30 2 * * *", "Europe/Paris", "2026-03-29T01:00", "2026-03-30T00:00" },
	{ "30 3 * * *", "Europe/Paris", "2026-03-28T12:00", "2026-03-29T01:30" },
	{ "30 1 * * *", "Europe/Paris", "2026-03-28T12:00", "2026-03-29T00:30" },
	/* Jobs with a '*' in minute or hour skip the lost times. */
	{ "30 * * * *", "Europe/Paris", "2026-03-29T00:30", "2026-03-29T01:30" },
	{ "*/30 2 * * *", "Europe/Paris", "2026-03-28T12:00", "2026-03-30T00:00" },
	/*
	 * Paris, fall back: 2026-10-25 at 01:00 UTC, 03:00 CEST becomes 02:00
	 * CET; 02:00-02:59 happens twice.  A fixed time runs the first time only.
	 */
	{ "30 2 * * *", "Europe/Paris", "2026-10-24T12:00", "2026-10-25T00:30" },
	{ "30 2 * * *", "Europe/Paris", "2026-10-25T00:30", "2026-10-26T01:30" },
	{ "0 2 * * *", "Europe/Paris", "2026-10-25T00:00", "2026-10-26T01:00" },
	{ "0 3 * * *", "Europe/Paris", "2026-10-24T12:00", "2026-10-25T02:00" },
	{ "59 1 * * *", "Europe/Paris", "2026-10-24T12:00", "2026-10-24T23:59" },
	/* ... an hourly job runs in both passes. */
	{ "30 * * * *", "Europe/Paris", "2026-10-25T00:30", "2026-10-25T01:30" },
	{ "30 * * * *", "Europe/Paris", "2026-10-25T01:30", "2026-10-25T02:30" },
	/* New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST. */
	{ "30 2 * * *", "America/New_York", "2026-03-07T12:00", "2026-03-08T07:00" },
	{ "30 1 * * *", "America/New_York", "2026-10-31T12:00", "2026-11-01T05:30" },
	{ "30 1 * * *", "America/New_York", "2026-11-01T05:30", "2026-11-02T06:30" },
};

static void test_next_times(void **state)
{
	int failures = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_ *k = &cases[i];
		struct strbuf err = STRBUF_INIT;
		struct cron c;
		struct tz *z = tz_open(k->zone, &err);
		assert_non_null(z);
		if (cron_parse(k->expr, &c, &err)) {
			fprintf(stderr, "'%s': %s\n", k->expr, err.buf);
			failures++;
		} else {
			long long next = 0;
			int rc = cron_next(&c, z, utc(k->after), &next);
			char got[32] = "never";
			if (!rc)
				iso(next, got, sizeof(got));
			if (strcmp(got, k->next ? k->next : "never")) {
				fprintf(stderr, "'%s' in %s after %s: got %s, want %s\n", k->expr,
					k->zone, k->after, got, k->next ? k->next : "never");
				failures++;
			}
		}
		tz_close(z);
		strbuf_release(&err);
	}
	assert_int_equal(failures, 0);
}

/* A day of fires in Paris across both changes: no time twice, none lost. */
static void test_fires_per_day(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct tz *z = tz_open("Europe/Paris", &err);
	struct cron fixed, hourly;
	assert_int_equal(cron_parse("30 2 * * *", &fixed, &err), 0);
	assert_int_equal(cron_parse("0 * * * *", &hourly, &err), 0);
	const char *days[] = { "2026-03-28T23:00", "2026-10-24T22:00" }; /* local midnights */
	int want_hourly[] = { 23, 25 };
	for (int d = 0; d < 2; d++) {
		long long start = utc(days[d]) - 1, end = start + 1 + (want_hourly[d] * 3600LL);
		int n = 0;
		for (long long t = start, next; !cron_next(&fixed, z, t, &next) && next < end; t = next)
			n++;
		assert_int_equal(n, 1);
		n = 0;
		for (long long t = start, next; !cron_next(&hourly, z, t, &next) && next < end; t = next)
			n++;
		assert_int_equal(n, want_hourly[d]);
	}
	tz_close(z);
	strbuf_release(&err);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *expr, *says;
	} bad[] = {
		{ "", "0 fields" },
		{ "* * * *", "4 fields" },
		{ "* * * * * *", "6 fields" },
		{ "60 * * * *", "minute '60': out of range (0-59)" },
		{ "* 24 * * *", "hour '24'" },
		{ "* * 0 * *", "day of month '0'" },
		{ "* * 32 * *", "day of month '32'" },
		{ "* * * 13 *", "month '13'" },
		{ "* * * * 8", "day of week '8'" },
		{ "*/0 * * * *", "the step must be" },
		{ "*/x * * * *", "the step must be" },
		{ "5-1 * * * *", "a range goes upwards" },
		{ "a * * * *", "minute 'a': not a number" },
		{ "* * * foo *", "month 'foo'" },
		{ "* * * mon *", "month 'mon'" },
		{ "* * * * jan", "day of week 'jan'" },
		{ "1,,2 * * * *", "minute" },
		{ ", * * * *", "minute" },
		{ "1- * * * *", "minute '1-'" },
		{ "@reboot", "not a schedule alias" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct strbuf err = STRBUF_INIT;
		struct cron c;
		int rc = cron_parse(bad[i].expr, &c, &err);
		if (rc != -1 || !strstr(err.buf, bad[i].says))
			fail_msg("'%s': rc %d, message '%s', want '%s'", bad[i].expr, rc, err.buf,
				 bad[i].says);
		strbuf_release(&err);
	}
}

static void test_zone_names(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct tz *z = tz_open("Mars/Olympus_Mons", &err);
	assert_null(z);
	assert_non_null(strstr(err.buf, "unknown time zone 'Mars/Olympus_Mons'"));
	z = tz_open("Europe/Paris", &err);
	assert_non_null(z);
	assert_int_equal(tz_offset(z, utc("2026-01-10T00:00")), 3600);
	assert_int_equal(tz_offset(z, utc("2026-07-10T00:00")), 7200);
	tz_close(z);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_times),
		cmocka_unit_test(test_fires_per_day),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_zone_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * A deployment's schedule at a moment (see schedule.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/timezone.h"
#include "ops/cron.h"
#include "ops/schedule.h"

/* Counting missed times stops here: a per-minute schedule down for months is "many". */
#define MAX_COUNTED 1000000

static void format_span(long long ms, char *out, size_t n)
{
	long long s = ms / 1000;
	if (s < 120)
		snprintf(out, n, "%lld s", s);
	else if (s < 7200)
		snprintf(out, n, "%lld min", s / 60);
	else if (s < 172800)
		snprintf(out, n, "%.1f h", (double)s / 3600);
	else
		snprintf(out, n, "%.1f days", (double)s / 86400);
}

int schedule_step(const struct deployment *d, long long from_ms, long long now_ms,
		  long long max_lateness_ms, struct schedule_step *out, struct strbuf *err)
{
	struct cron c;
	memset(out, 0, sizeof(*out));
	out->handled_through = from_ms;
	if (cron_parse(d->cron, &c, err))
		return -1;
	struct tz *z = tz_open(d->timezone, err);
	if (!z)
		return -1;
	/* The times due: after from, up to now. */
	long long t = from_ms / 1000, next, first = 0, before = 0, latest = 0, ndue = 0;
	while (ndue < MAX_COUNTED && !cron_next(&c, z, t, &next) && next * 1000 <= now_ms) {
		if (!ndue)
			first = next;
		before = latest;
		latest = t = next;
		ndue++;
	}
	if (ndue == MAX_COUNTED) {
		/* Too many to count one by one: walk on to the last before now. */
		while (!cron_next(&c, z, t, &next) && next * 1000 <= now_ms) {
			before = latest;
			latest = t = next;
		}
	}
	out->wake_at = !cron_next(&c, z, now_ms / 1000, &next) ? next * 1000 : 0;
	tz_close(z);
	if (!ndue)
		return 0;
	first *= 1000;
	before *= 1000;
	latest *= 1000;
	out->handled_through = latest;
	long long lateness = now_ms - latest;
	int run_latest = lateness <= SCHEDULE_ON_TIME_MS ||
			 (!strcmp(d->missed, "once") && lateness <= max_lateness_ms);
	if (run_latest) {
		out->run_at = latest;
		out->catch_up = lateness > SCHEDULE_ON_TIME_MS;
	}
	out->nskipped = ndue - run_latest;
	if (!out->nskipped)
		return 0;
	out->skipped_first = first;
	out->skipped_last = run_latest ? before : latest;
	char late[32], bound[32];
	format_span(lateness, late, sizeof(late));
	format_span(max_lateness_ms, bound, sizeof(bound));
	if (!run_latest && !strcmp(d->missed, "once"))
		snprintf(out->reason, sizeof(out->reason),
			 "missed while no scheduler was running; the latest was %s late, past "
			 "flow.max_lateness (%s)",
			 late, bound);
	else
		snprintf(out->reason, sizeof(out->reason),
			 "missed while no scheduler was running (missed: %s%s)", d->missed,
			 run_latest ? ", the latest runs" : "");
	return 0;
}

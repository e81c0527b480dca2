/*
 * Cron expressions and their next times (see cron.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ops/cron.h"

struct field {
	const char *name;
	int lo, hi;
	const char *const *names; /* names of lo, lo+1, ... (NULL: numbers only) */
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun", "jul",
					   "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

/* Day of week takes 0-7, both ends meaning Sunday. */
static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },          { "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },    { "month", 1, 12, month_names },
	{ "day of week", 0, 7, day_names },
};

static const struct {
	const char *alias, *expr;
} aliases[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" },    { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* A number or a name at *p; advances past it. */
static int read_value(const struct field *f, const char **p, int *out)
{
	const char *s = *p;
	if (isdigit((unsigned char)*s)) {
		long v = 0;
		while (isdigit((unsigned char)*s) && v < 1000)
			v = v * 10 + (*s++ - '0');
		*out = (int)v;
		*p = s;
		return 0;
	}
	for (int i = 0; f->names && f->names[i]; i++)
		if (!strncasecmp(s, f->names[i], 3) && !isalpha((unsigned char)s[3])) {
			*out = f->lo + i;
			*p = s + 3;
			return 0;
		}
	return -1;
}

/* One comma-separated element: *, N, N-M, each optionally /STEP; or N/STEP meaning N-max/STEP. */
static int parse_element(const struct field *f, const char *s, uint64_t *bits, struct strbuf *err)
{
	const char *p = s;
	int lo = f->lo, hi = f->hi, step = 1;
	if (*p == '*') {
		p++;
	} else {
		if (read_value(f, &p, &lo))
			goto bad;
		hi = lo;
		if (*p == '-') {
			p++;
			if (read_value(f, &p, &hi))
				goto bad;
		} else if (*p == '/') {
			hi = f->hi;
		}
	}
	if (*p == '/') {
		p++;
		if (!isdigit((unsigned char)*p) || read_value(&fields[0], &p, &step) || step < 1) {
			strbuf_addf(err, "%s '%s': the step must be a whole number from 1", f->name, s);
			return -1;
		}
	}
	if (*p)
		goto bad;
	if (lo < f->lo || hi > f->hi || lo > hi) {
		strbuf_addf(err, "%s '%s': out of range (%d-%d%s)", f->name, s, f->lo, f->hi,
			    lo > hi && lo <= f->hi && hi >= f->lo ? ", and a range goes upwards" : "");
		return -1;
	}
	for (int v = lo; v <= hi; v += step)
		*bits |= 1ULL << v;
	return 0;
bad:
	strbuf_addf(err, "%s '%s': not a number%s, range, list or step", f->name, s,
		    f->names ? ", name" : "");
	return -1;
}

static int parse_field(const struct field *f, const char *text, uint64_t *bits, struct strbuf *err)
{
	char buf[128];
	size_t len = strlen(text);
	if (len >= sizeof(buf)) {
		strbuf_addf(err, "%s: too long", f->name);
		return -1;
	}
	memcpy(buf, text, len + 1);
	*bits = 0;
	for (char *save = NULL, *el = strtok_r(buf, ",", &save); el; el = strtok_r(NULL, ",", &save))
		if (parse_element(f, el, bits, err))
			return -1;
	if (!*bits || text[strlen(text) - 1] == ',' || text[0] == ',' || strstr(text, ",,")) {
		strbuf_addf(err, "%s '%s': an empty list element", f->name, text);
		return -1;
	}
	return 0;
}

int cron_parse(const char *expr, struct cron *c, struct strbuf *err)
{
	char buf[512], *part[6];
	int n = 0;
	while (isspace((unsigned char)*expr))
		expr++;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(expr, aliases[i].alias))
			expr = aliases[i].expr;
	if (*expr == '@') {
		strbuf_addf(err,
			    "'%s': not a schedule alias (@yearly, @monthly, @weekly, @daily, "
			    "@hourly)",
			    expr);
		return -1;
	}
	size_t len = strlen(expr);
	if (len >= sizeof(buf)) {
		strbuf_addstr(err, "the schedule is too long");
		return -1;
	}
	memcpy(buf, expr, len + 1);
	for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		if (n < 6)
			part[n++] = t;
		else
			n++;
	if (n != 5) {
		strbuf_addf(err,
			    "'%s': %d field%s, a schedule has 5 (minute hour day-of-month month "
			    "day-of-week, e.g. \"0 2 * * *\")",
			    expr, n, n == 1 ? "" : "s");
		return -1;
	}
	uint64_t bits[5];
	for (int i = 0; i < 5; i++)
		if (parse_field(&fields[i], part[i], &bits[i], err))
			return -1;
	memset(c, 0, sizeof(*c));
	c->minutes = bits[0];
	c->hours = (uint32_t)bits[1];
	c->days = (uint32_t)bits[2];
	c->months = (uint16_t)bits[3];
	c->weekdays = (uint8_t)((bits[4] | bits[4] >> 7) & 0x7f); /* 7 is Sunday too */
	c->days_star = part[2][0] == '*';
	c->weekdays_star = part[4][0] == '*';
	c->rhythmic = part[0][0] == '*' || part[1][0] == '*';
	return 0;
}

/* Vixie cron: when both day fields are restricted, either may match. */
static int day_matches(const struct cron *c, const struct tm *tm)
{
	int dom = c->days >> tm->tm_mday & 1, dow = c->weekdays >> tm->tm_wday & 1;
	return c->days_star || c->weekdays_star ? dom && dow : dom || dow;
}

/*
 * The first wall-clock time at or after `wall` (local seconds, counted as
 * if the zone were UTC) that the fields match, up to `limit`; -1 past it.
 */
static int next_wall(const struct cron *c, long long wall, long long limit, long long *out)
{
	while (wall <= limit) {
		time_t t = (time_t)wall;
		struct tm tm;
		gmtime_r(&t, &tm);
		if (!(c->months >> (tm.tm_mon + 1) & 1)) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
			wall = (long long)timegm(&tm);
		} else if (!day_matches(c, &tm)) {
			wall += 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
		} else if (!(c->hours >> tm.tm_hour & 1)) {
			wall += 3600 - (tm.tm_min * 60 + tm.tm_sec);
		} else if (!(c->minutes >> tm.tm_min & 1)) {
			wall += 60 - tm.tm_sec;
		} else {
			*out = wall;
			return 0;
		}
	}
	return -1;
}

/* Whether `utc` is in the second pass of a wall-clock hour repeated when clocks went back. */
static int repeated_wall_time(struct tz *z, long long utc)
{
	long long back;
	if (tz_prev_transition(z, utc, &back))
		return 0;
	int before = tz_offset(z, back - 1), after = tz_offset(z, back);
	return before > after && utc - back < before - after;
}

#define EIGHT_YEARS (8LL * 366 * 86400)

int cron_next(const struct cron *c, struct tz *z, long long after, long long *next)
{
	long long u = after - ((after % 60) + 60) % 60 + 60;
	long long end = u + EIGHT_YEARS;
	while (u <= end) {
		int off = tz_offset(z, u);
		long long change, wall;
		int changes = !tz_next_transition(z, u, &change);
		if (next_wall(c, u + off, end + off, &wall))
			return -1;
		long long at = wall - off;
		if (!changes || at < change) {
			if (!c->rhythmic && repeated_wall_time(z, at)) {
				u = at + 60;
				continue;
			}
			*next = at;
			return 0;
		}
		/* Past the next change under today's offset: was a fixed time skipped by it? */
		int off_after = tz_offset(z, change);
		if (off_after > off && !c->rhythmic &&
		    !next_wall(c, change + off, change + off_after - 60, &wall)) {
			*next = change;
			return 0;
		}
		u = change;
	}
	return -1;
}

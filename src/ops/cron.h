/*
 * Cron schedules: the standard five fields (minute hour day-of-month month
 * day-of-week) with lists, ranges, steps, month and day names and the
 * @daily-style aliases, read as Vixie cron reads them, and their next
 * times in an IANA time zone.
 *
 * Daylight saving time is done as cron(8) does it.  A time skipped when
 * clocks go forward runs once, right after the change (a 02:30 job runs at
 * 03:00 on the spring-forward day); a time repeated when they go back runs
 * once, the first time.  Jobs whose minute or hour field starts with '*'
 * keep their rhythm instead: they skip the missing times and run in both
 * passes of a repeated hour.
 */
#ifndef OPS_CRON_H
#define OPS_CRON_H

#include <stdint.h>

#include "core/strbuf.h"
#include "core/timezone.h"

struct cron {
	uint64_t minutes;           /* bit n: minute n, 0-59 */
	uint32_t hours;             /* 0-23 */
	uint32_t days;              /* day of month, 1-31 */
	uint16_t months;            /* 1-12 */
	uint8_t weekdays;           /* 0 (Sunday) - 6 */
	unsigned days_star     : 1; /* day-of-month field starts with '*' */
	unsigned weekdays_star : 1; /* day-of-week field starts with '*' */
	unsigned rhythmic      : 1; /* minute or hour field starts with '*' */
};

/* Parse `expr`; -1 with the field, the value and the reason in err. */
int cron_parse(const char *expr, struct cron *c, struct strbuf *err);

/*
 * The first time the schedule fires strictly after `after` (seconds since
 * the epoch), in zone z.  -1 when it never fires in the next eight years
 * (say, "0 0 31 2 *").
 */
int cron_next(const struct cron *c, struct tz *z, long long after, long long *next);

#endif

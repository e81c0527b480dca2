/*
 * IANA time zones, for schedules written in local time.  ICU's calendar
 * does the zone arithmetic (Debian's libicu, with its own copy of the tz
 * database); this wraps the three questions a schedule asks: the offset
 * at an instant, and the zone's transitions either side of it.
 *
 * A struct tz is used by one thread at a time.
 */
#ifndef CORE_TIMEZONE_H
#define CORE_TIMEZONE_H

#include "core/strbuf.h"

struct tz;

/* Open zone `name` ("Europe/Paris", "UTC"); NULL with the reason for a name ICU does not know. */
struct tz *tz_open(const char *name, struct strbuf *err);
void tz_close(struct tz *z);
const char *tz_name(const struct tz *z);

/* Seconds east of UTC in force at `utc` (seconds since the epoch). */
int tz_offset(struct tz *z, long long utc);

/*
 * The first transition (offset change) strictly after `utc`, or the last
 * at or before it.  0 with *at set, -1 when the zone has none that way.
 */
int tz_next_transition(struct tz *z, long long utc, long long *at);
int tz_prev_transition(struct tz *z, long long utc, long long *at);

/* The version of the tz database in use ("2022e"). */
const char *tz_data_version(void);

#endif

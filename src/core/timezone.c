/*
 * Time zones over ICU's calendar (see timezone.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "core/timezone.h"
#include "core/xalloc.h"

struct tz {
	UCalendar *cal;
	char *name;
};

struct tz *tz_open(const char *name, struct strbuf *err)
{
	UChar id[128], canonical[128];
	UErrorCode st = U_ZERO_ERROR;
	UBool known = 0;
	if (!*name || strlen(name) >= sizeof(id) / sizeof(id[0])) {
		strbuf_addf(err, "'%s' is not a time zone name", name);
		return NULL;
	}
	u_uastrcpy(id, name);
	/* ucal_open takes any name and falls back to GMT: ask first whether the zone exists. */
	ucal_getCanonicalTimeZoneID(id, -1, canonical, sizeof(canonical) / sizeof(canonical[0]), &known,
				    &st);
	if (U_FAILURE(st) || !known) {
		strbuf_addf(err,
			    "unknown time zone '%s' (an IANA name such as Europe/Paris or UTC; "
			    "see /usr/share/zoneinfo)",
			    name);
		return NULL;
	}
	UCalendar *cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
	if (U_FAILURE(st)) {
		strbuf_addf(err, "time zone '%s': %s", name, u_errorName(st));
		return NULL;
	}
	struct tz *z = xcalloc(1, sizeof(*z));
	z->cal = cal;
	z->name = xstrdup(name);
	return z;
}

void tz_close(struct tz *z)
{
	if (!z)
		return;
	ucal_close(z->cal);
	free(z->name);
	free(z);
}

const char *tz_name(const struct tz *z)
{
	return z->name;
}

int tz_offset(struct tz *z, long long utc)
{
	UErrorCode st = U_ZERO_ERROR;
	ucal_setMillis(z->cal, (UDate)utc * 1000.0, &st);
	int32_t ms = ucal_get(z->cal, UCAL_ZONE_OFFSET, &st) + ucal_get(z->cal, UCAL_DST_OFFSET, &st);
	return U_FAILURE(st) ? 0 : ms / 1000;
}

static int transition(struct tz *z, long long utc, UTimeZoneTransitionType type, long long *at)
{
	UErrorCode st = U_ZERO_ERROR;
	UDate when = 0;
	ucal_setMillis(z->cal, (UDate)utc * 1000.0, &st);
	if (U_FAILURE(st) || !ucal_getTimeZoneTransitionDate(z->cal, type, &when, &st) || U_FAILURE(st))
		return -1;
	*at = (long long)(when / 1000.0);
	return 0;
}

int tz_next_transition(struct tz *z, long long utc, long long *at)
{
	return transition(z, utc, UCAL_TZ_TRANSITION_NEXT, at);
}

int tz_prev_transition(struct tz *z, long long utc, long long *at)
{
	return transition(z, utc, UCAL_TZ_TRANSITION_PREVIOUS_INCLUSIVE, at);
}

const char *tz_data_version(void)
{
	UErrorCode st = U_ZERO_ERROR;
	const char *v = ucal_getTZDataVersion(&st);
	return U_FAILURE(st) ? "unknown" : v;
}

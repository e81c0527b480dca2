/*
 * JSON helpers; see json.h.
 */
#include "core/json.h"

#include <string.h>

#include "core/strbuf.h"
#include "core/timeutil.h"
#include "core/utf8.h"

json_t *json_str(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	struct strbuf fixed = STRBUF_INIT;
	utf8_repair(s, strlen(s), &fixed);
	j = json_string(fixed.buf);
	strbuf_release(&fixed);
	return j ? j : json_null();
}

json_t *json_time(long long ms)
{
	char when[40];
	if (!ms)
		return json_null();
	time_iso8601(ms, when, sizeof(when));
	return json_string(when);
}

/*
 * JSON helpers over jansson.
 */
#ifndef CORE_JSON_H
#define CORE_JSON_H

#include <jansson.h>

/*
 * A JSON string from any C string: jansson refuses invalid UTF-8 (a
 * Latin-1 file name from an old archive), so such bytes become U+FFFD
 * rather than a silently missing value.  NULL gives JSON null.
 */
json_t *json_str(const char *s);

/* An epoch-ms time as an ISO 8601 UTC string ("2026-12-04T14:06:26Z"); 0 gives null. */
json_t *json_time(long long ms);

#endif

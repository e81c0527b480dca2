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

#endif

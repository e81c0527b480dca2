/*
 * String helpers that several modules share.
 */
#ifndef CORE_STRUTIL_H
#define CORE_STRUTIL_H

#include <stddef.h>

/* Edit distance (insert, delete, substitute, swap), for "did you mean". */
size_t levenshtein(const char *a, const char *b);
/*
 * The candidate closest to `word`, or NULL when none is close enough to be
 * a plausible typo.  `candidates` ends with NULL.
 */
const char *closest_word(const char *word, const char *const *candidates);
int starts_with(const char *s, const char *prefix);
int ends_with(const char *s, const char *suffix);
/* Parse a whole decimal string into a long long; -1 on junk or overflow. */
int parse_ll(const char *s, long long *out);

/* "7d", "24h", "30m", "90s" -> milliseconds; -1 when not a duration. */
long long parse_duration_ms(const char *s);
/* A retention window: a duration, or "off" / "0" for keeping forever (0); -1 when neither. */
long long parse_window_ms(const char *s);

#endif

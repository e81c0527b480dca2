/*
 * Shared string helpers; see strutil.h.
 */
#include "core/strutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev2 = xcalloc(lb + 1, sizeof(size_t));
	size_t *prev = xcalloc(lb + 1, sizeof(size_t));
	size_t *cur = xcalloc(lb + 1, sizeof(size_t));
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	size_t d = prev[lb];
	free(prev2);
	free(prev);
	free(cur);
	return d;
}

const char *closest_word(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (; *candidates; candidates++) {
		size_t d = levenshtein(word, *candidates);
		if (d < best_d) {
			best_d = d;
			best = *candidates;
		}
	}
	/* A typo changes a few characters, not most of the word. */
	size_t limit = strlen(word) / 3 + 1;
	return best_d <= limit ? best : NULL;
}

int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !memcmp(s + n - m, suffix, m);
}

int parse_ll(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

long long parse_duration_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	switch (*end) {
	case 'd':
		v *= 86400;
		break;
	case 'h':
		v *= 3600;
		break;
	case 'm':
		v *= 60;
		break;
	case 's':
		break;
	default:
		return -1;
	}
	/* Past a thousand years it is a typo, and the cast would overflow. */
	if (end[1] || !(v * 1000 <= 1000.0 * 86400 * 365 * 1000))
		return -1;
	return (long long)(v * 1000);
}

long long parse_window_ms(const char *s)
{
	if (!strcmp(s, "off") || !strcmp(s, "0"))
		return 0;
	return parse_duration_ms(s);
}

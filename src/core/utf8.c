/*
 * UTF-8 validity at the byte level; see utf8.h.
 */
#include "core/utf8.h"

#include <string.h>
#include <utf8proc.h>

static const char replacement[] = "\xEF\xBF\xBD";

size_t utf8_sequence(const char *s, size_t len)
{
	if ((unsigned char)s[0] < 0x80)
		return 1;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp);
	return n > 0 ? (size_t)n : 0;
}

size_t utf8_broken_length(const char *s, size_t len)
{
	/* One broken sequence: its lead byte and the continuation bytes after it. */
	size_t i = 1;
	while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
		i++;
	return i;
}

size_t utf8_repair(const char *in, size_t len, struct strbuf *out)
{
	size_t bad = 0, i = 0;
	strbuf_grow(out, len);
	while (i < len) {
		size_t n = utf8_sequence(in + i, len - i);
		if (n) {
			strbuf_add(out, in + i, n);
			i += n;
		} else {
			strbuf_addstr(out, replacement);
			bad++;
			i += utf8_broken_length(in + i, len - i);
		}
	}
	return bad;
}

size_t utf8_clip(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	if (n < max)
		return n;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

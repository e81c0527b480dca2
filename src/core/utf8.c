/*
 * UTF-8 validity at the byte level; see utf8.h.
 */
#include "core/utf8.h"

#include <string.h>
#include <utf8proc.h>

static const char replacement[] = "\xEF\xBF\xBD";

size_t utf8_repair(const char *in, size_t len, struct strbuf *out)
{
	size_t bad = 0, i = 0;
	strbuf_grow(out, len);
	while (i < len) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x80) {
			strbuf_addch(out, c);
			i++;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)in + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (n > 0) {
			strbuf_add(out, in + i, (size_t)n);
			i += (size_t)n;
		} else {
			strbuf_addstr(out, replacement);
			bad++;
			i++;
			/* One replacement per broken sequence, not per byte. */
			while (i < len && ((unsigned char)in[i] & 0xC0) == 0x80)
				i++;
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

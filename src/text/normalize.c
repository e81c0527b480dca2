/*
 * Character-level normalisation; see normalize.h.
 */
#include "text/normalize.h"

#include <stdlib.h>
#include <utf8proc.h>

static const char *ligature(utf8proc_int32_t cp)
{
	switch (cp) {
	case 0xFB00:
		return "ff";
	case 0xFB01:
		return "fi";
	case 0xFB02:
		return "fl";
	case 0xFB03:
		return "ffi";
	case 0xFB04:
		return "ffl";
	case 0xFB05:
		return "st";
	case 0xFB06:
		return "st";
	default:
		return NULL;
	}
}

static int is_invisible(utf8proc_int32_t cp)
{
	return cp == 0x00AD /* soft hyphen */ || cp == 0x200B || cp == 0x200C || cp == 0x200D ||
	       cp == 0x2060 || cp == 0xFEFF;
}

static void map_nfc(const char *in, size_t len, struct strbuf *out)
{
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)len, &nfc,
					  UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n >= 0)
		strbuf_add(out, nfc, (size_t)n);
	else
		strbuf_add(out, in, len); /* cannot happen on valid input */
	free(nfc);
}

void text_normalize(const char *in, size_t len, struct strbuf *out)
{
	struct strbuf tmp = STRBUF_INIT;
	strbuf_grow(&tmp, len);
	for (size_t i = 0; i < len;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)in + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0) {
			strbuf_addstr(&tmp, "\xEF\xBF\xBD");
			i++;
			continue;
		}
		i += (size_t)n;
		const char *lig = ligature(cp);
		utf8proc_category_t cat = utf8proc_category(cp);
		if (cp == 0x00AD && i < len && in[i] == '\n') {
			/* A soft hyphen where a line breaks: the word continues on the next line. */
			i++;
			while (i < len && (in[i] == ' ' || in[i] == '\t'))
				i++;
		} else if (lig) {
			strbuf_addstr(&tmp, lig);
		} else if (cp == 0x2010 || cp == 0x2011) {
			strbuf_addch(&tmp, '-'); /* so that line-end hyphenation is seen */
		} else if (cp == '\n' || cp == '\t') {
			strbuf_addch(&tmp, (int)cp);
		} else if (cp == '\r' || cp == '\f' || cp == 0x0B || cp == 0x2028 || cp == 0x2029) {
			strbuf_addch(&tmp, '\n');
		} else if (cat == UTF8PROC_CATEGORY_CC || is_invisible(cp)) {
			continue;
		} else if (cat == UTF8PROC_CATEGORY_ZS) {
			strbuf_addch(&tmp, ' ');
		} else {
			strbuf_add(&tmp, in + i - n, (size_t)n);
		}
	}
	map_nfc(tmp.buf, tmp.len, out);
	strbuf_release(&tmp);
}

/* Most words are plain ASCII: folding them needs no utf8proc allocation. */
int text_fold_ascii_only(const char *in, size_t len, struct strbuf *out)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80)
			return -1;
	strbuf_grow(out, len);
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		out->buf[out->len + i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	strbuf_setlen(out, out->len + len);
	return 0;
}

void text_fold(const char *in, size_t len, struct strbuf *out)
{
	if (text_fold_ascii_only(in, len, out) == 0)
		return;
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)len, &folded,
					  UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
						  UTF8PROC_STRIPMARK);
	if (n >= 0)
		strbuf_add(out, folded, (size_t)n);
	free(folded);
}

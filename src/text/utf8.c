/*
 * UTF-8 validation, repair and legacy decoding; see utf8.h.
 */
#include "text/utf8.h"

#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

/* Windows-1252 0x80..0x9F; 0 marks the five undefined bytes. */
static const unsigned short cp1252_high[32] = {
	0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

static int is_binary_byte(unsigned char c)
{
	return c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f');
}

static int decode_cp1252(const char *in, size_t len, struct strbuf *out)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		utf8proc_int32_t cp = c;
		if (c >= 0x80 && c < 0xA0) {
			cp = cp1252_high[c - 0x80];
			if (!cp)
				return -1;
		}
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);
		strbuf_add(out, enc, (size_t)n);
	}
	return 0;
}

/* The encoding a UTF-16 or UTF-32 byte-order mark announces (its size in *bom), or ENC_BINARY. */
static enum text_encoding wide_bom(const char *in, size_t len, size_t *bom)
{
	static const struct {
		const char *mark;
		size_t len;
		enum text_encoding enc;
	} marks[] = {
		{ "\xFF\xFE\0\0", 4, ENC_UTF32LE }, /* before UTF-16LE, which it starts like */
		{ "\0\0\xFE\xFF", 4, ENC_UTF32BE },
		{ "\xFF\xFE", 2, ENC_UTF16LE },
		{ "\xFE\xFF", 2, ENC_UTF16BE },
	};
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (len >= marks[i].len && !memcmp(in, marks[i].mark, marks[i].len)) {
			*bom = marks[i].len;
			return marks[i].enc;
		}
	return ENC_BINARY;
}

static uint32_t read_unit(const unsigned char *p, size_t size, int big_endian)
{
	uint32_t v = 0;
	for (size_t i = 0; i < size; i++)
		v |= (uint32_t)p[big_endian ? size - 1 - i : i] << (8 * i);
	return v;
}

/*
 * UTF-16 or UTF-32 after the mark, to UTF-8: a lone surrogate, a value
 * past U+10FFFF or a cut last unit becomes U+FFFD (counted in *repaired).
 * -1 (nothing kept) for NULs or control characters: binary data.
 */
static int decode_wide(const char *in, size_t len, enum text_encoding enc, struct strbuf *out,
		       size_t *repaired)
{
	size_t unit = enc == ENC_UTF32LE || enc == ENC_UTF32BE ? 4 : 2, before = out->len;
	int big = enc == ENC_UTF16BE || enc == ENC_UTF32BE;
	const unsigned char *p = (const unsigned char *)in, *end = p + len;
	size_t chars = 0, control = 0;
	while (p < end) {
		uint32_t cp;
		if ((size_t)(end - p) < unit) {
			cp = 0xFFFD; /* a cut last unit ("echo >>" on a UTF-16 file) */
			p = end;
		} else {
			cp = read_unit(p, unit, big);
			p += unit;
		}
		if (unit == 2 && cp >= 0xD800 && cp < 0xDC00 && end - p >= 2) {
			uint32_t low = read_unit(p, 2, big);
			if (low >= 0xDC00 && low < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
				p += 2;
			}
		}
		if ((cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF)
			cp = 0xFFFD;
		*repaired += cp == 0xFFFD;
		if (cp == 0) {
			strbuf_setlen(out, before);
			return -1;
		}
		control += cp < 0x20 && is_binary_byte((unsigned char)cp);
		chars++;
		utf8proc_uint8_t enc8[4];
		strbuf_add(out, enc8, (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, enc8));
	}
	if (control * 100 > chars) {
		strbuf_setlen(out, before);
		return -1;
	}
	return 0;
}

size_t wide_head_to_utf8(const char *in, size_t len, char *out, size_t outlen)
{
	size_t bom, repaired = 0;
	enum text_encoding enc = wide_bom(in, len, &bom);
	if (enc == ENC_BINARY)
		return 0;
	struct strbuf text = STRBUF_INIT;
	size_t unit = enc == ENC_UTF32LE || enc == ENC_UTF32BE ? 4 : 2;
	size_t whole = (len - bom) / unit * unit; /* a head may end mid-character */
	size_t n = 0;
	if (!decode_wide(in + bom, whole, enc, &text, &repaired)) {
		n = text.len < outlen ? text.len : outlen;
		memcpy(out, text.buf, n);
	} else if (outlen) {
		out[0] = '\0'; /* binary: one NUL says so to detect_type */
		n = 1;
	}
	strbuf_release(&text);
	return n;
}

enum text_encoding text_decode(const char *in, size_t len, struct strbuf *out, size_t *repaired)
{
	size_t bom;
	enum text_encoding wide = wide_bom(in, len, &bom);
	*repaired = 0;
	if (wide != ENC_BINARY)
		return decode_wide(in + bom, len - bom, wide, out, repaired) ? ENC_BINARY : wide;
	size_t control = 0, invalid = 0, multibyte = 0;
	if (len >= 3 && !memcmp(in, "\xEF\xBB\xBF", 3)) {
		in += 3;
		len -= 3;
	}
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(in + i, len - i);
		if (n == 1) {
			control += is_binary_byte((unsigned char)in[i]);
		} else if (n) {
			multibyte++;
		} else {
			invalid++;
			n = utf8_broken_length(in + i, len - i);
		}
		i += n;
	}
	/* Text has no NULs and almost no control bytes. */
	if (control > 0 && control * 100 > len)
		return ENC_BINARY;
	if (memchr(in, 0, len))
		return ENC_BINARY;
	if (!invalid) {
		strbuf_add(out, in, len);
		return ENC_UTF8;
	}
	/*
	 * Legacy 8-bit text seldom forms a valid UTF-8 sequence by chance
	 * ("Ã©" would), so valid sequences mean damaged UTF-8 rather than
	 * Latin-1, unless broken ones far outnumber them.
	 */
	if (multibyte && invalid <= 20 * multibyte) {
		*repaired = utf8_repair(in, len, out);
		return ENC_UTF8_REPAIRED;
	}
	size_t before = out->len;
	if (decode_cp1252(in, len, out) == 0)
		return ENC_CP1252;
	strbuf_setlen(out, before);
	return ENC_BINARY;
}

const char *text_encoding_name(enum text_encoding enc)
{
	switch (enc) {
	case ENC_UTF8:
		return "utf-8";
	case ENC_UTF8_REPAIRED:
		return "utf-8 (repaired)";
	case ENC_CP1252:
		return "windows-1252";
	case ENC_UTF16LE:
		return "utf-16le";
	case ENC_UTF16BE:
		return "utf-16be";
	case ENC_UTF32LE:
		return "utf-32le";
	case ENC_UTF32BE:
		return "utf-32be";
	case ENC_BINARY:
		return "binary";
	}
	return "?";
}

/*
 * UTF-8 validation, repair and legacy decoding; see utf8.h.
 */
#include "text/utf8.h"

#include <errno.h>
#include <iconv.h>
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

/* The encoding a UTF-16 byte-order mark announces, or ENC_BINARY for none. */
static enum text_encoding utf16_bom(const char *in, size_t len)
{
	if (len >= 2 && !memcmp(in, "\xFF\xFE", 2))
		return ENC_UTF16LE;
	if (len >= 2 && !memcmp(in, "\xFE\xFF", 2))
		return ENC_UTF16BE;
	return ENC_BINARY;
}

/*
 * UTF-16 to UTF-8 with glibc's iconv; a lone surrogate or an odd last byte
 * fails (-1), as do NULs and control characters once decoded.
 */
static int decode_utf16(const char *in, size_t len, enum text_encoding enc, struct strbuf *out)
{
	iconv_t cd = iconv_open("UTF-8", enc == ENC_UTF16LE ? "UTF-16LE" : "UTF-16BE");
	if (cd == (iconv_t)-1)
		return -1;
	size_t before = out->len, left = len - 2;
	char *src = (char *)in + 2;
	int rc = 0;
	while (left && !rc) {
		strbuf_grow(out, left * 2 + 16);
		char *dst = out->buf + out->len;
		size_t room = out->alloc - out->len - 1;
		size_t n = iconv(cd, &src, &left, &dst, &room);
		strbuf_setlen(out, (size_t)(dst - out->buf));
		if (n == (size_t)-1 && errno != E2BIG)
			rc = -1;
	}
	iconv_close(cd);
	size_t control = 0;
	for (size_t i = before; i < out->len && !rc; i++)
		control += is_binary_byte((unsigned char)out->buf[i]);
	if (rc || memchr(out->buf + before, 0, out->len - before) || control * 100 > out->len - before) {
		strbuf_setlen(out, before);
		return -1;
	}
	return 0;
}

size_t utf16_head_to_utf8(const char *in, size_t len, char *out, size_t outlen)
{
	enum text_encoding enc = utf16_bom(in, len);
	if (enc == ENC_BINARY || outlen == 0)
		return 0;
	iconv_t cd = iconv_open("UTF-8", enc == ENC_UTF16LE ? "UTF-16LE" : "UTF-16BE");
	if (cd == (iconv_t)-1)
		return 0;
	char *src = (char *)in + 2, *dst = out;
	size_t left = len - 2, room = outlen;
	iconv(cd, &src, &left, &dst, &room); /* a head cut mid-character stops there */
	iconv_close(cd);
	return (size_t)(dst - out);
}

enum text_encoding text_decode(const char *in, size_t len, struct strbuf *out, size_t *repaired)
{
	enum text_encoding utf16 = utf16_bom(in, len);
	*repaired = 0;
	if (utf16 != ENC_BINARY)
		return decode_utf16(in, len, utf16, out) ? ENC_BINARY : utf16;
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
	case ENC_BINARY:
		return "binary";
	}
	return "?";
}

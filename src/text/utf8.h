/*
 * Byte-level text decoding: whatever a file holds becomes valid UTF-8,
 * or is refused as binary.
 */
#ifndef TEXT_UTF8_H
#define TEXT_UTF8_H

#include <stddef.h>

#include "core/strbuf.h"
#include "core/utf8.h"


enum text_encoding {
	ENC_UTF8,
	ENC_UTF8_REPAIRED,
	ENC_CP1252,
	ENC_UTF16LE,
	ENC_UTF16BE,
	ENC_UTF32LE,
	ENC_UTF32BE,
	ENC_BINARY,
};

/*
 * Decode file bytes as text: UTF-8 (BOM dropped); mostly-valid UTF-8 with a
 * few bad bytes repaired; Windows-1252 (a superset of Latin-1, common in
 * older French files) when the bytes are not UTF-8 at all but read as
 * text; UTF-16 or UTF-32 when a byte-order mark says so (Windows'
 * "Unicode" text), damaged characters repaired;
 * ENC_BINARY (and nothing written) for NULs and control bytes.
 * *repaired receives the number of U+FFFD substitutions.
 */
enum text_encoding text_decode(const char *in, size_t len, struct strbuf *out, size_t *repaired);
const char *text_encoding_name(enum text_encoding enc);
/*
 * The start of a file that opens with a UTF-16 or UTF-32 byte-order mark,
 * as UTF-8 in `out` (for detecting its type); returns the bytes written, 0
 * without a mark (a single NUL when the text is binary).
 */
size_t wide_head_to_utf8(const char *in, size_t len, char *out, size_t outlen);

#endif

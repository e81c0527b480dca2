/*
 * Byte-level text decoding: whatever a file holds becomes valid UTF-8,
 * or is refused as binary.
 */
#ifndef TEXT_UTF8_H
#define TEXT_UTF8_H

#include <stddef.h>

#include "core/strbuf.h"
#include "core/utf8.h"


enum text_encoding { ENC_UTF8, ENC_UTF8_REPAIRED, ENC_CP1252, ENC_BINARY };

/*
 * Decode file bytes as text: UTF-8 (BOM dropped); mostly-valid UTF-8 with a
 * few bad bytes repaired; Windows-1252 (a superset of Latin-1, common in
 * older French files) when the bytes are not UTF-8 at all but read as
 * text; ENC_BINARY (and nothing written) for NULs and control bytes.
 * *repaired receives the number of U+FFFD substitutions.
 */
enum text_encoding text_decode(const char *in, size_t len, struct strbuf *out, size_t *repaired);
const char *text_encoding_name(enum text_encoding enc);

#endif

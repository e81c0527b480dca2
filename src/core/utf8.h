/*
 * UTF-8 validity at the byte level: whatever bytes come in, valid UTF-8
 * goes out.  (Decoding legacy encodings is text/utf8.h's job.)
 */
#ifndef CORE_UTF8_H
#define CORE_UTF8_H

#include <stddef.h>

#include "core/strbuf.h"

/* Bytes in the valid character that starts `s` (1 for ASCII), 0 when it is broken. */
size_t utf8_sequence(const char *s, size_t len);
/* Bytes to skip over a broken sequence at `s`, so it counts (and is replaced) once. */
size_t utf8_broken_length(const char *s, size_t len);
/* Copy `in` to `out`, replacing each invalid sequence with U+FFFD. Returns the count replaced. */
size_t utf8_repair(const char *in, size_t len, struct strbuf *out);
/* Length of the longest prefix of `s` (at most `max` bytes) that ends on a character boundary. */
size_t utf8_clip(const char *s, size_t max);

#endif

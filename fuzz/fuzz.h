/*
 * What the libFuzzer targets in fuzz/ share: the default configuration,
 * a file made of the input's bytes, a small format that turns bytes into
 * an extracted document, and the invariants every stage must keep.  A
 * broken invariant aborts, so the fuzzer reports it like a crash.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "pipeline/document.h"

/* The built-in defaults, validated; built on first use, never freed. */
const struct config *fuzz_config(void);

/* Print where and why an invariant broke, then abort. */
void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));
#define FUZZ_CHECK(cond, ...)                                              \
	do {                                                               \
		if (!(cond))                                               \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

/* Whether s[0..len) is valid UTF-8 (RFC 3629: no overlongs, no surrogates). */
int fuzz_valid_utf8(const char *s, size_t len);

/*
 * A path whose file holds exactly `data` (an in-memory file, rewritten on
 * each call; no disk is touched).  The path stays valid until the next call.
 */
const char *fuzz_file(const uint8_t *data, size_t size);

/*
 * Bytes as an extracted document, for the stages after extraction.  Each
 * block is one control byte then its text up to the next 0x00:
 *   bits 0-1  pages to advance before the block (0-3)
 *   bit  2    a heading, its level in bits 3-5 (0-7: out of range on purpose)
 *   bit  6    the page the block lands on needs OCR rather than has text
 * Text is repaired to valid UTF-8 first, as text_decode and MuPDF give it.
 * Returns the length of the longest block.
 */
size_t fuzz_blocks(struct extracted *doc, const uint8_t *data, size_t size);

/* Blocks and pages of an extraction: non-NULL valid UTF-8 text, pages in range. */
void fuzz_check_extracted(const struct extracted *doc);

/*
 * Chunks of `doc` under `cfg`: slices of the document text, in order, no
 * longer than the target unless one unit (a heading) is, covering every
 * byte of text that is not white space.
 */
void fuzz_check_chunks(const struct extracted *doc, const struct config *cfg, const struct chunk *chunks,
		       size_t n);

#endif

/*
 * Helpers shared by the fuzz targets; see fuzz.h.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "pipeline/chunk.h"

const struct config *fuzz_config(void)
{
	static struct config cfg;
	static int ready;
	if (!ready) {
		struct strbuf err = STRBUF_INIT;
		config_init(&cfg);
		if (config_validate(&cfg, &err)) {
			fprintf(stderr, "fuzz: the default configuration is invalid: %s\n", err.buf);
			abort();
		}
		strbuf_release(&err);
		ready = 1;
	}
	return &cfg;
}

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%d: invariant broken: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Written apart from core/utf8.c on purpose: it checks that code, among others. */
int fuzz_valid_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1, cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2, cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3, cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n + 1;
	}
	return 1;
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-input", 0);
		if (fd < 0) {
			perror("fuzz: memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz: writing the input file");
		abort();
	}
	return path;
}

size_t fuzz_blocks(struct extracted *doc, const uint8_t *data, size_t size)
{
	struct strbuf text = STRBUF_INIT;
	size_t i = 0, longest = 0;
	int page = 1, last_page = 0;
	unsigned char method[4096] = { 0 }; /* per page: 1 needs OCR */

	while (i < size) {
		uint8_t c = data[i++];
		const uint8_t *end = memchr(data + i, 0, size - i);
		size_t len = end ? (size_t)(end - (data + i)) : size - i;
		page += c & 3;
		if (page >= (int)sizeof(method))
			break;
		strbuf_reset(&text);
		utf8_repair((const char *)data + i, len, &text);
		if (c & 4)
			extracted_add_block(doc, BLOCK_HEADING, (c >> 3) & 7, page, text.buf, text.len);
		else
			extracted_add_block(doc, BLOCK_PARAGRAPH, 0, page, text.buf, text.len);
		method[page] |= (c & 0x40) != 0;
		if (text.len > longest)
			longest = text.len;
		last_page = page;
		i += len + (end != NULL);
	}
	for (int p = 1; p <= last_page; p++)
		extracted_add_page(doc, p, method[p] ? PAGE_NEEDS_OCR : PAGE_TEXT, 0);
	strbuf_release(&text);
	return longest;
}

void fuzz_check_extracted(const struct extracted *doc)
{
	int max_page = 0;
	for (size_t i = 0; i < doc->npages; i++)
		if (doc->pages[i].page_no > max_page)
			max_page = doc->pages[i].page_no;
	for (size_t i = 0; i < doc->nblocks; i++) {
		const struct block *b = &doc->blocks[i];
		FUZZ_CHECK(b->text, "block %zu has no text", i);
		FUZZ_CHECK(fuzz_valid_utf8(b->text, strlen(b->text)), "block %zu is not UTF-8", i);
		FUZZ_CHECK(b->page >= 1 && b->page <= max_page, "block %zu on page %d of %d", i, b->page,
			   max_page);
	}
	if (doc->title)
		FUZZ_CHECK(fuzz_valid_utf8(doc->title, strlen(doc->title)), "the title is not UTF-8");
}

void fuzz_check_chunks(const struct extracted *doc, const struct config *cfg, const struct chunk *chunks,
		       size_t n)
{
	size_t len, longest_heading = 0;
	char *text = document_text(doc, &len);
	unsigned char *covered = xcalloc(len + 1, 1);
	int utf8 = fuzz_valid_utf8(text, len);

	for (size_t i = 0; i < doc->nblocks; i++) {
		size_t l = strlen(doc->blocks[i].text);
		if (doc->blocks[i].kind == BLOCK_HEADING && l > longest_heading)
			longest_heading = l;
	}
	size_t limit = cfg->chunk.target_chars > longest_heading ? cfg->chunk.target_chars
								 : longest_heading;
	for (size_t i = 0; i < n; i++) {
		const struct chunk *c = &chunks[i];
		size_t clen = c->char_end - c->char_start;
		FUZZ_CHECK(c->char_start <= c->char_end && c->char_end <= len,
			   "chunk %zu at [%zu, %zu) of %zu bytes", i, c->char_start, c->char_end, len);
		FUZZ_CHECK(strlen(c->text) == clen && !memcmp(c->text, text + c->char_start, clen),
			   "chunk %zu is not the slice [%zu, %zu) of the text", i, c->char_start,
			   c->char_end);
		FUZZ_CHECK(!i || c->char_start > chunks[i - 1].char_start,
			   "chunk %zu starts at %zu, chunk %zu at %zu", i, c->char_start, i - 1,
			   chunks[i - 1].char_start);
		FUZZ_CHECK(clen <= limit, "chunk %zu is %zu bytes, over %zu", i, clen, limit);
		FUZZ_CHECK(c->heading, "chunk %zu has no heading path", i);
		FUZZ_CHECK(c->page_start >= 1 && c->page_start <= c->page_end,
			   "chunk %zu on pages %d-%d", i, c->page_start, c->page_end);
		if (utf8)
			FUZZ_CHECK(fuzz_valid_utf8(c->text, clen),
				   "chunk %zu [%zu, %zu) cuts a character", i, c->char_start,
				   c->char_end);
		memset(covered + c->char_start, 1, clen);
	}
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(covered[i] || text[i] == ' ' || text[i] == '\n',
			   "byte %zu (0x%02x) of %zu is in no chunk", i, (unsigned char)text[i], len);
	free(covered);
	free(text);
}

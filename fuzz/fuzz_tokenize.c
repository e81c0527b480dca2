/*
 * Fuzz target: the word tokenizer and the text helpers around it
 * (src/text/): tokenizer_run in every language and mode, the word and
 * query-word scanners, language detection, snippets, Unicode
 * normalisation and folding, and text_decode.  The first byte picks the
 * language (bits 0-1) and the flags (bits 2-3); the rest is split at the
 * first 0x00 into a query and a text, as search sees them.  Tokens lie
 * inside the text, in order, non-empty; what comes out of the text
 * helpers is valid UTF-8 when what went in was.
 */
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/utf8.h"
#include "fuzz.h"
#include "text/highlight.h"
#include "text/normalize.h"
#include "text/tokenize.h"
#include "text/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t len, last_start, count;
};

static int on_token(void *ctx, const char *token, size_t len, size_t start, size_t end, int colocated)
{
	struct seen *s = ctx;
	FUZZ_CHECK(token && len && !memchr(token, '\0', len), "token of %zu bytes at %zu", len, start);
	FUZZ_CHECK(start < end && end <= s->len, "token at [%zu, %zu) of %zu", start, end, s->len);
	FUZZ_CHECK(end - start <= TOKEN_MAX_BYTES, "token of %zu bytes", end - start);
	FUZZ_CHECK(s->count ? (colocated ? start == s->last_start : start > s->last_start) : !colocated,
		   "token at %zu after one at %zu (colocated %d)", start, s->last_start, colocated);
	s->last_start = start;
	s->count++;
	return 0;
}

static void check_words(const char *text, size_t len)
{
	size_t pos = 0, start, end, last_end = 0;
	struct strbuf folded = STRBUF_INIT;
	while (text_next_word(text, len, &pos, &start, &end) == 0) {
		FUZZ_CHECK(last_end <= start && start < end && end <= len && pos >= end,
			   "word at [%zu, %zu), previous end %zu", start, end, last_end);
		last_end = end;
	}
	pos = 0;
	last_end = 0;
	while (query_next_word(text, len, &pos, &start, &end, &folded) == 0) {
		FUZZ_CHECK(last_end <= start && start < end && end - start <= TOKEN_MAX_BYTES,
			   "query word at [%zu, %zu)", start, end);
		last_end = end;
	}
	strbuf_release(&folded);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tokenizer *tok;
	struct strbuf valid = STRBUF_INIT, out = STRBUF_INIT;

	if (!size)
		return 0;
	if (!tok)
		tok = tokenizer_new();
	enum lang lang = (enum lang)(data[0] & 3) % 3;
	unsigned flags = (data[0] >> 2) & 3;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;

	/* Raw bytes, as a question arrives. */
	struct seen s = { .len = len };
	tokenizer_run(tok, lang, flags, text, len, on_token, &s);
	check_words(text, len);
	lang_detect(text, len);
	lang_guess_short(text, len, LANG_FR);

	/* The helpers that want valid UTF-8 get it, as the pipeline gives it. */
	size_t repaired;
	if (text_decode(text, len, &out, &repaired) != ENC_BINARY)
		FUZZ_CHECK(fuzz_valid_utf8(out.buf, out.len), "text_decode gave invalid UTF-8");
	strbuf_reset(&out);
	utf8_repair(text, len, &valid);
	FUZZ_CHECK(fuzz_valid_utf8(valid.buf, valid.len), "utf8_repair gave invalid UTF-8");
	text_normalize(valid.buf, valid.len, &out);
	FUZZ_CHECK(fuzz_valid_utf8(out.buf, out.len), "text_normalize gave invalid UTF-8");
	strbuf_reset(&out);
	text_fold(valid.buf, valid.len, &out);
	FUZZ_CHECK(fuzz_valid_utf8(out.buf, out.len), "text_fold gave invalid UTF-8");

	/* A snippet of the text after the first NUL for the query before it. */
	const char *query = valid.buf, *body = valid.buf + strlen(valid.buf);
	if (body < valid.buf + valid.len) {
		body++;
		char *snippet = highlight_snippet(tok, query, body, lang, "<b>", "</b>",
						  1 + data[0] % 16);
		FUZZ_CHECK(fuzz_valid_utf8(snippet, strlen(snippet)), "the snippet cuts a character");
		free(snippet);
	}
	strbuf_release(&valid);
	strbuf_release(&out);
	return 0;
}

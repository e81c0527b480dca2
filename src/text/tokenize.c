/*
 * Word tokenizer, stemming and language detection; see tokenize.h.
 */
#include "text/tokenize.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/error.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "text/normalize.h"

struct tokenizer {
	struct sb_stemmer *fr;
	struct sb_stemmer *en;
	struct strbuf lower, folded, stem;
};

struct tokenizer *tokenizer_new(void)
{
	struct tokenizer *tok = xcalloc(1, sizeof(*tok));
	tok->fr = sb_stemmer_new("french", "UTF_8");
	tok->en = sb_stemmer_new("english", "UTF_8");
	if (!tok->fr || !tok->en)
		BUG("snowball stemmers for french/english are missing");
	strbuf_init(&tok->lower, 64);
	strbuf_init(&tok->folded, 64);
	strbuf_init(&tok->stem, 64);
	return tok;
}

void tokenizer_free(struct tokenizer *tok)
{
	if (!tok)
		return;
	sb_stemmer_delete(tok->fr);
	sb_stemmer_delete(tok->en);
	strbuf_release(&tok->lower);
	strbuf_release(&tok->folded);
	strbuf_release(&tok->stem);
	free(tok);
}

static int is_word_char(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

int text_next_word(const char *text, size_t len, size_t *pos, size_t *start, size_t *end)
{
	size_t i = *pos;
	int in_word = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0) {
			cp = 0xFFFD;
			n = 1;
		}
		if (is_word_char(cp)) {
			if (!in_word) {
				*start = i;
				in_word = 1;
			}
		} else if (in_word) {
			break;
		}
		i += (size_t)n;
	}
	*pos = i;
	if (!in_word)
		return -1;
	*end = i;
	return 0;
}

static void lowercase(const char *in, size_t len, struct strbuf *out)
{
	strbuf_reset(out);
	/* For ASCII, lowercasing is folding: no accents to keep. */
	if (text_fold_ascii_only(in, len, out) == 0)
		return;
	utf8proc_uint8_t *res = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)len, &res,
					  UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
	strbuf_reset(out);
	if (n >= 0)
		strbuf_add(out, res, (size_t)n);
	free(res);
}

/* Stem the lowercase word in `tok->lower` and fold the result into `out`. */
static void stem_fold(struct tokenizer *tok, struct sb_stemmer *stemmer, struct strbuf *out)
{
	const sb_symbol *s = sb_stemmer_stem(stemmer, (const sb_symbol *)tok->lower.buf,
					     (int)tok->lower.len);
	strbuf_reset(out);
	if (!s) {
		text_fold(tok->lower.buf, tok->lower.len, out);
		return;
	}
	text_fold((const char *)s, (size_t)sb_stemmer_length(stemmer), out);
}

int tokenizer_run(struct tokenizer *tok, enum lang lang, unsigned flags, const char *text, size_t len,
		  token_fn fn, void *ctx)
{
	size_t pos = 0, start, end;
	struct strbuf alt = STRBUF_INIT;
	int ret = 0;
	while (!ret && text_next_word(text, len, &pos, &start, &end) == 0) {
		if (end - start > TOKEN_MAX_BYTES)
			continue; /* not a word: a hash, a URL fragment, OCR noise */
		lowercase(text + start, end - start, &tok->lower);
		strbuf_reset(&tok->folded);
		text_fold(tok->lower.buf, tok->lower.len, &tok->folded);
		if (!tok->folded.len)
			continue; /* combining marks with no letter: folding strips them all */
		int query = flags & TOKENIZE_QUERY;
		if ((query || lang == LANG_UNKNOWN)
			    ? stopword_any(tok->folded.buf, tok->folded.len)
			    : stopword_is(lang, tok->folded.buf, tok->folded.len))
			continue;
		if (flags & TOKENIZE_NO_STEM) {
			ret = fn(ctx, tok->folded.buf, tok->folded.len, start, end, 0);
		} else if (query) {
			stem_fold(tok, tok->fr, &tok->stem);
			ret = fn(ctx, tok->stem.buf, tok->stem.len, start, end, 0);
			stem_fold(tok, tok->en, &alt);
			if (!ret && strcmp(alt.buf, tok->stem.buf))
				ret = fn(ctx, alt.buf, alt.len, start, end, 1);
			if (!ret && strcmp(tok->folded.buf, tok->stem.buf) &&
			    strcmp(tok->folded.buf, alt.buf))
				ret = fn(ctx, tok->folded.buf, tok->folded.len, start, end, 1);
		} else if (lang == LANG_UNKNOWN) {
			ret = fn(ctx, tok->folded.buf, tok->folded.len, start, end, 0);
		} else {
			stem_fold(tok, lang == LANG_FR ? tok->fr : tok->en, &tok->stem);
			ret = fn(ctx, tok->stem.buf, tok->stem.len, start, end, 0);
		}
	}
	strbuf_release(&alt);
	return ret;
}

int query_next_word(const char *text, size_t len, size_t *pos, size_t *start, size_t *end,
		    struct strbuf *folded)
{
	while (text_next_word(text, len, pos, start, end) == 0) {
		strbuf_reset(folded);
		text_fold(text + *start, *end - *start, folded);
		if (folded->len && !stopword_any(folded->buf, folded->len) &&
		    *end - *start <= TOKEN_MAX_BYTES)
			return 0;
	}
	return -1;
}

/* Stop words that belong to one language only, counted over the first 50 KB. */
static void count_languages(const char *text, size_t len, size_t *fr, size_t *en)
{
	if (len > 50000)
		len = 50000;
	size_t pos = 0, start, end;
	struct strbuf folded = STRBUF_INIT;
	*fr = *en = 0;
	while (text_next_word(text, len, &pos, &start, &end) == 0) {
		strbuf_reset(&folded);
		text_fold(text + start, end - start, &folded);
		int is_fr = stopword_is(LANG_FR, folded.buf, folded.len);
		int is_en = stopword_is(LANG_EN, folded.buf, folded.len);
		*fr += is_fr && !is_en;
		*en += is_en && !is_fr;
	}
	strbuf_release(&folded);
}

enum lang lang_detect(const char *text, size_t len)
{
	size_t fr, en;
	count_languages(text, len, &fr, &en);
	if (fr + en < 5)
		return LANG_UNKNOWN;
	if (fr * 2 >= en * 3)
		return LANG_FR;
	if (en * 2 >= fr * 3)
		return LANG_EN;
	return fr >= en ? LANG_FR : LANG_EN;
}

enum lang lang_guess_short(const char *text, size_t len, enum lang fallback)
{
	size_t fr, en;
	count_languages(text, len, &fr, &en);
	if (fr != en)
		return fr > en ? LANG_FR : LANG_EN;
	return fallback;
}

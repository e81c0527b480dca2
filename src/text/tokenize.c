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
#include "core/strmap.h"
#include "core/xalloc.h"
#include "text/normalize.h"

/*
 * What each word of a document became (its folded stem, or nothing: a stop
 * word), kept per tokenizer: words repeat, and lowercasing, folding and
 * stemming them again and again was most of the tokenizer's time.  The
 * result is a function of the word, its language and the flags, so the
 * tokens are the same; cleared when full, so it stays small.
 */
#define WORD_CACHE_MAX 32768

struct word_result {
	size_t at; /* in `results` */
	int len;   /* -1: the word gives no token */
};

struct tokenizer {
	struct sb_stemmer *fr;
	struct sb_stemmer *en;
	struct strbuf lower, folded, stem;
	struct strmap words; /* language, flags and the word as written -> index + 1 */
	struct strbuf key, results;
	struct word_result *result;
	size_t nresults, alloc_results;
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
	strmap_init(&tok->words);
	strbuf_init(&tok->key, 64);
	strbuf_init(&tok->results, 0);
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
	strmap_release(&tok->words);
	strbuf_release(&tok->key);
	strbuf_release(&tok->results);
	free(tok->result);
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

/* The word's lowercase and folded forms in tok->lower and tok->folded; whether it gives no token. */
static int fold_word(struct tokenizer *tok, enum lang lang, unsigned flags, const char *word, size_t len)
{
	lowercase(word, len, &tok->lower);
	strbuf_reset(&tok->folded);
	text_fold(tok->lower.buf, tok->lower.len, &tok->folded);
	if (!tok->folded.len)
		return 1; /* combining marks with no letter: folding strips them all */
	return ((flags & TOKENIZE_QUERY) || lang == LANG_UNKNOWN)
		       ? stopword_any(tok->folded.buf, tok->folded.len)
		       : stopword_is(lang, tok->folded.buf, tok->folded.len);
}

/* The one token a document's word gives (flags without TOKENIZE_QUERY): remembered, or made and kept. */
static const struct word_result *document_word(struct tokenizer *tok, enum lang lang, unsigned flags,
					       const char *word, size_t len)
{
	if (tok->words.n >= WORD_CACHE_MAX) {
		strmap_release(&tok->words);
		strmap_init(&tok->words);
		strbuf_reset(&tok->results);
		tok->nresults = 0;
	}
	strbuf_reset(&tok->key);
	strbuf_addch(&tok->key, (char)('a' + (int)lang));
	strbuf_addch(&tok->key, flags & TOKENIZE_NO_STEM ? 'f' : 's');
	strbuf_add(&tok->key, word, len);
	long *slot = strmap_slot(&tok->words, tok->key.buf, tok->key.len);
	if (*slot)
		return &tok->result[*slot - 1];
	ALLOC_GROW(tok->result, tok->nresults + 1, tok->alloc_results);
	struct word_result *r = &tok->result[tok->nresults++];
	*slot = (long)tok->nresults;
	*r = (struct word_result){ tok->results.len, -1 };
	if (fold_word(tok, lang, flags, word, len))
		return r;
	const struct strbuf *token = &tok->folded;
	if (!(flags & TOKENIZE_NO_STEM) && lang != LANG_UNKNOWN) {
		stem_fold(tok, lang == LANG_FR ? tok->fr : tok->en, &tok->stem);
		token = &tok->stem;
	}
	r->len = (int)token->len;
	strbuf_add(&tok->results, token->buf, token->len);
	return r;
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
		if (!(flags & TOKENIZE_QUERY)) {
			const struct word_result *r = document_word(tok, lang, flags, text + start,
								    end - start);
			if (r->len >= 0)
				ret = fn(ctx, tok->results.buf + r->at, (size_t)r->len, start, end, 0);
			continue;
		}
		if (fold_word(tok, lang, flags, text + start, end - start))
			continue;
		if (flags & TOKENIZE_NO_STEM) {
			ret = fn(ctx, tok->folded.buf, tok->folded.len, start, end, 0);
		} else {
			stem_fold(tok, tok->fr, &tok->stem);
			ret = fn(ctx, tok->stem.buf, tok->stem.len, start, end, 0);
			stem_fold(tok, tok->en, &alt);
			if (!ret && strcmp(alt.buf, tok->stem.buf))
				ret = fn(ctx, alt.buf, alt.len, start, end, 1);
			if (!ret && strcmp(tok->folded.buf, tok->stem.buf) &&
			    strcmp(tok->folded.buf, alt.buf))
				ret = fn(ctx, tok->folded.buf, tok->folded.len, start, end, 1);
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

static int take_first(void *ctx, const char *tok, size_t len, size_t start, size_t end, int colocated)
{
	strbuf_add(ctx, tok, len);
	return 1;
}

int tokenizer_stem(struct tokenizer *tok, enum lang lang, const char *word, size_t len,
		   struct strbuf *out)
{
	strbuf_reset(out);
	tokenizer_run(tok, lang, 0, word, len, take_first, out);
	return out->len ? 0 : -1;
}

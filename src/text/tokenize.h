/*
 * The word tokenizer shared by indexing, querying and language detection:
 * words are runs of letters, digits and combining marks; apostrophes and
 * hyphens split them, so French elisions ("l'", "qu'") fall out as stop
 * words.  Each word is case folded, checked against the stop words,
 * stemmed with Snowball in its language (stemming sees the accents), then
 * stripped of accents.  Queries get the French stem, the English stem and
 * the unstemmed form as colocated alternatives, so a query matches a
 * document whatever language either is in.
 */
#ifndef TEXT_TOKENIZE_H
#define TEXT_TOKENIZE_H

#include <stddef.h>

#include "core/strbuf.h"
#include "text/stopwords.h"

#define TOKEN_MAX_BYTES 64

enum tokenize_flags {
	TOKENIZE_QUERY = 1 << 0,   /* emit alternatives in every language */
	TOKENIZE_NO_STEM = 1 << 1, /* prefix queries: fold only */
};

/*
 * Receives each token, `len` bytes with no NUL among them and none after
 * (it is not a C string); `start`/`end` are byte offsets of the source word.
 * `colocated` is set for an alternative at the same position as the last
 * token.  Returning non-zero stops tokenizing and is passed back.
 */
typedef int (*token_fn)(void *ctx, const char *token, size_t len, size_t start, size_t end,
			int colocated);

/* Not thread-safe (Snowball stemmers keep state): one per thread. */
struct tokenizer;

struct tokenizer *tokenizer_new(void);
void tokenizer_free(struct tokenizer *tok);
int tokenizer_run(struct tokenizer *tok, enum lang lang, unsigned flags, const char *text, size_t len,
		  token_fn fn, void *ctx);

/* The index token of one word in `lang` (folded, stemmed) into out: 0, or -1 for a stop word. */
int tokenizer_stem(struct tokenizer *tok, enum lang lang, const char *word, size_t len,
		   struct strbuf *out);

/*
 * Step to the next word in `text` from *pos; returns 0 and the word's
 * bounds, or -1 at the end.  Exposed for language detection and snippets.
 */
int text_next_word(const char *text, size_t len, size_t *pos, size_t *start, size_t *end);

/*
 * The next word of a question that search looks for (not a stop word in
 * either language, not longer than a token), from *pos: 0 and its bounds,
 * or -1 at the end.  `folded` is scratch space.
 */
int query_next_word(const char *text, size_t len, size_t *pos, size_t *start, size_t *end,
		    struct strbuf *folded);
/* What to tell a user whose question has no such word. */
#define QUERY_NO_WORDS "the query has no searchable words (only stop words or punctuation)"

/* Most likely language of a text, from stop word statistics. */
enum lang lang_detect(const char *text, size_t len);
/* The language of a short text such as a question: `fallback` when no clue. */
enum lang lang_guess_short(const char *text, size_t len, enum lang fallback);

#endif

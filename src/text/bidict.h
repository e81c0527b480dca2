/*
 * Words and the words they lead to, keyed by the headword's stem so that a
 * conjugated or plural form of a question's word finds it: a bilingual
 * dictionary as FreeDict ships it for dictd (Debian's dict-freedict-fra-eng
 * and dict-freedict-eng-fra: NAME.index and NAME.dict.dz), whose
 * translations bridge a question to pages in the other language, or a
 * thesaurus (text/thesaurus.h), whose synonyms stay in one language.
 */
#ifndef TEXT_BIDICT_H
#define TEXT_BIDICT_H

#include <stddef.h>

#include "core/strbuf.h"
#include "text/stopwords.h"

struct tokenizer;

struct bidict;

/*
 * Load `base` (the path without .index / .dict.dz), whose headwords are
 * in `from`; translations of more than two words are left out.  NULL with
 * err set when a file is missing or malformed (naming it and the line).
 */
struct bidict *bidict_load(const char *base, enum lang from, struct strbuf *err);
void bidict_free(struct bidict *d);

/* An empty map from words in `from` to words in `to` (the same language for synonyms). */
struct bidict *bidict_new(enum lang from, enum lang to);
/* Give headword `head` the n words (lens[i] bytes each); a stop word or several words: none. */
void bidict_add(struct bidict *d, struct tokenizer *tok, const char *head, size_t head_len,
		const char *const *words, const size_t *lens, size_t n);

/* Headwords read. */
size_t bidict_size(const struct bidict *d);
enum lang bidict_from(const struct bidict *d);
enum lang bidict_to(const struct bidict *d);

/*
 * The translations of the word whose stem (tokenizer_stem in the dictionary's
 * source language) is `stem`: up to `max` into out[], and when `stems` is
 * not NULL the index token of each one's last word in the language `to`
 * (NULL for a stop word), all pointing into the dictionary; returns how many.
 */
size_t bidict_translations(const struct bidict *d, const char *stem, size_t len, const char **out,
			   const char **stems, size_t max);

#endif

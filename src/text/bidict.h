/*
 * A bilingual dictionary as FreeDict ships it for dictd (Debian's
 * dict-freedict-fra-eng and dict-freedict-eng-fra: NAME.index and
 * NAME.dict.dz), read into memory as each headword's short translations,
 * keyed by the headword's stem so that a conjugated or plural form of a
 * question's word finds it.  It bridges a question in one language to
 * pages in the other.
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

/* Headwords read. */
size_t bidict_size(const struct bidict *d);
enum lang bidict_from(const struct bidict *d);

/*
 * The translations of the word whose stem (tokenizer_stem in the dictionary's
 * source language) is `stem`: up to `max` into out[], and when `stems` is
 * not NULL the index token of each one's last word in the other language
 * (NULL for a stop word), all pointing into the dictionary; returns how many.
 */
size_t bidict_translations(const struct bidict *d, const char *stem, size_t len, const char **out,
			   const char **stems, size_t max);

#endif

/*
 * Cross-language bridge: a question's words translated into the other
 * language with the FreeDict dictionaries Debian ships
 * (retrieve.dictionary_fr_en, retrieve.dictionary_en_fr), so that a French
 * question finds an English page and the reverse.  A translation is kept
 * only when the release's index holds it: a dictionary's general senses
 * cannot add words the documents never use.  A translation weighs
 * retrieve.translation_weight of the question's word when the documents
 * use that word too, and as much as the word when they do not.
 *
 * The dictionaries are read once per process, at the first question, and
 * kept by path; a path that cannot be read is logged once and bridges
 * nothing.
 */
#ifndef RETRIEVAL_TRANSLATE_H
#define RETRIEVAL_TRANSLATE_H

#include <stddef.h>

#include "core/config.h"
#include "core/strmap.h"
#include "retrieval/lexicon.h"
#include "retrieval/release.h"
#include "store/store.h"
#include "text/tokenize.h"

/*
 * The index tokens translating one word of a question in `lang` that
 * release `rel` holds, new to `seen` (which gets them): up to `max` into
 * out[] (allocated), and *weight what they weigh; returns how many.
 */
size_t translate_word(const struct config *cfg, struct store *st, const struct release_view *rel,
		      struct tokenizer *tok, enum lang lang, const char *word, size_t len,
		      struct strmap *seen, char **out, size_t max, double *weight);

/* Read the configured dictionaries now rather than at the first question (a server's start). */
void translate_preload(const struct config *cfg);

/*
 * The translations of `query`'s words as expansions for BM25 (words
 * pointing into the dictionaries), up to `max`; returns how many.
 */
size_t translate_expand(const struct config *cfg, struct store *st, const struct release_view *rel,
			struct tokenizer *tok, const char *query, struct expansion *out, size_t max);

#endif

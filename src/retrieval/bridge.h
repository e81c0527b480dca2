/*
 * Vocabulary bridges from resources Debian ships, for a question whose
 * words are not the documents' words:
 *
 * - translations (FreeDict: retrieve.dictionary_fr_en, _en_fr), so that a
 *   French question finds an English page and the reverse.  A translation
 *   weighs retrieve.translation_weight of the question's word when the
 *   documents use that word too, and as much as the word when they do not.
 * - synonyms (mythes-fr's thesaurus, WordNet: retrieve.thesaurus_fr, _en),
 *   so that a paraphrase finds its passage.  A thesaurus mixes senses
 *   ("objectif" is a goal before a lens), so a synonym is kept only where
 *   the corpus supports it: the release's chunks hold it together with
 *   another word of the question.  It weighs retrieve.synonym_weight.
 *
 * Either way a word is kept only when the release's index holds it: a
 * dictionary cannot add words the documents never use.  The files are
 * read once per process, at the first question, and kept by path; a path
 * that cannot be read is logged once and bridges nothing.
 */
#ifndef RETRIEVAL_BRIDGE_H
#define RETRIEVAL_BRIDGE_H

#include <stddef.h>

#include "core/config.h"
#include "core/strmap.h"
#include "retrieval/lexicon.h"
#include "retrieval/release.h"
#include "store/store.h"
#include "text/tokenize.h"

enum bridge {
	BRIDGE_TRANSLATION,
	BRIDGE_SYNONYM,
};

/* A question's words as index tokens (stems in both languages), for a synonym's support. */
struct bridge_context {
	char **tokens;
	size_t n;
	size_t *word; /* which word of the question each one comes from */
};

void bridge_context_read(struct bridge_context *c, struct tokenizer *tok, const char *question);
void bridge_context_release(struct bridge_context *c);

/*
 * The index tokens `bridge` leads to from one word of a question in
 * `lang` (whose words are context `c`) that release `rel` holds, new to
 * `seen` (which gets them): up to `max` into out[] (allocated), and
 * *weight what they weigh; returns how many.
 */
size_t bridge_word(const struct config *cfg, struct store *st, const struct release_view *rel,
		   struct tokenizer *tok, enum bridge bridge, enum lang lang,
		   const struct bridge_context *c, const char *word, size_t len, struct strmap *seen,
		   char **out, size_t max, double *weight);

/* Read the configured files now rather than at the first question (a server's start). */
void bridge_preload(const struct config *cfg);

/*
 * The translations and synonyms of `query`'s words as expansions for BM25
 * (words pointing into the dictionaries), up to `max`; `synonyms` 0 leaves
 * synonyms out, `translations` 0 translations; returns how many.
 */
size_t bridge_expand(const struct config *cfg, struct store *st, const struct release_view *rel,
		     struct tokenizer *tok, const char *query, int translations, int synonyms,
		     struct expansion *out, size_t max);

#endif

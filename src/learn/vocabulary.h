/*
 * Vocabulary learned from feedback: the words users ask with that the
 * passage they wanted does not contain ("heure" for a page on "fuseau
 * horaire"), bridged to the passage's own distinctive words.  A question
 * holding such a word gets the bridged words as expansions, weighed below
 * its own words.  A pair is kept only when most questions holding the word
 * wanted a passage with the target: a word asked about everything
 * ("utiliser", "faire") bridges to nothing.
 */
#ifndef LEARN_VOCABULARY_H
#define LEARN_VOCABULARY_H

#include <jansson.h>
#include <stddef.h>

#include "core/strbuf.h"
#include "retrieval/lexicon.h"

struct vocabulary;
struct tokenizer;

/* One training pair: a question, the passage that answers it, the user's answer (or NULL). */
struct vocab_pair {
	const char *question, *passage, *answer;
};

/*
 * Learn from `pairs`; `df` (may be NULL) tells how many chunks of the
 * corpus hold an indexed token, to prefer the passage's rare words, out of
 * `chunks`.  `weight` is the weight expansions get at query time.
 */
struct vocabulary *vocabulary_learn(const struct vocab_pair *pairs, size_t n,
				    long long (*df)(void *ctx, const char *token), void *df_ctx,
				    long long chunks, double weight);
void vocabulary_free(struct vocabulary *v);
size_t vocabulary_size(const struct vocabulary *v); /* bridged words */
void vocabulary_set_weight(struct vocabulary *v, double weight);

/*
 * The expansions of `query` into out[max] (words point into v): returns
 * how many.  Words the question already holds are not added again.
 */
size_t vocabulary_expand(const struct vocabulary *v, struct tokenizer *tok, const char *query,
			 struct expansion *out, size_t max);

json_t *vocabulary_to_json(const struct vocabulary *v);
struct vocabulary *vocabulary_from_json(json_t *j, struct strbuf *err);

#endif

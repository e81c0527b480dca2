/*
 * The words of a question as the extractive answerer weighs them: each
 * word's stems in both languages, the translations the release holds
 * (retrieval/bridge.h), and its weight (rarer words weigh more; a word the
 * index never saw, most).  The synonyms BM25 searched with are kept to be
 * shown, but are no evidence.
 * A text's evidence is the share of that weight it covers.
 */
#ifndef ANSWER_QUESTION_TERMS_H
#define ANSWER_QUESTION_TERMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "retrieval/release.h"
#include "store/store.h"
#include "text/tokenize.h"

/* Alternatives of a word: its stems in each language, then translations and synonyms the index holds. */
#define TERM_ALTS 12

/* A word of the question: its alternatives and weight. */
struct term {
	char *alts[TERM_ALTS];
	int nalts, own;    /* the first `own` are the word's stems */
	int synonyms;      /* alts[synonyms..nalts) are synonyms, alts[own..synonyms) translations */
	double translated; /* what it counts for when found by a translation */
	size_t start, end; /* in the question */
	double idf;
	int seen;
};

struct question_terms {
	const char *text; /* the question, as asked */
	struct term *terms;
	size_t n, alloc;
	double total;
	size_t last_start;
	enum lang lang; /* the question's */
};

/*
 * Read `question` (in `lang`) into *q, with the translations of its words
 * unless `translations` is 0 and their synonyms unless `synonyms` is 0,
 * weighed by release `rel`'s index.
 */
void question_terms_read(struct question_terms *q, struct store *st, const struct config *cfg,
			 const struct release_view *rel, struct tokenizer *tok, const char *question,
			 enum lang lang, int translations, int synonyms);
void question_terms_release(struct question_terms *q);

/*
 * Share of the question's weight that `text` (in `lang`) covers; *mask,
 * when not NULL, gets the terms it holds (the first 64).
 */
double question_coverage(struct tokenizer *tok, const struct question_terms *q, const char *text,
			 size_t len, enum lang lang, uint64_t *mask);

/* Weight of the terms in `mask` not yet in `covered`, as a share of the question's. */
double question_new_weight(const struct question_terms *q, uint64_t mask, uint64_t covered);

/*
 * The first word of the question that neither the documents nor a
 * language know (text/spell.h), allocated; NULL when there is none.
 */
char *question_unknown_name(const struct config *cfg, const struct question_terms *q,
			    const char *question);

#endif

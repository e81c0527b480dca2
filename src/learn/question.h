/*
 * What learning keeps of a question: the distinct stems of its searchable
 * words (French stems, folded), so that "réglages" and "régler" meet.
 */
#ifndef LEARN_QUESTION_H
#define LEARN_QUESTION_H

#include <stddef.h>

#include "core/strbuf.h"
#include "core/strmap.h"

struct tokenizer;

/* The word's stem into out (reset first): 0, or -1 for a stop word. */
int word_stem(struct tokenizer *tok, const char *word, size_t len, struct strbuf *out);
/* Each distinct stem of the question's searchable words, as a key of `stems`; returns how many. */
size_t question_stems(struct tokenizer *tok, const char *question, struct strmap *stems);

#endif

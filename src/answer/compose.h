/*
 * The extractive answer's text: the sentences of the best sources that
 * cover most of the question, the source of the best one first, each
 * source cited once as [title, p. N].  A sentence announcing a command or
 * a short list brings it along; a table's rows are sentences of their
 * own; a sentence giving values the question does not (a command, an
 * option, a figure) leads over one that only restates the question.
 */
#ifndef ANSWER_COMPOSE_H
#define ANSWER_COMPOSE_H

#include "answer/question_terms.h"
#include "core/config.h"
#include "store/store.h"
#include "text/tokenize.h"

/* The answer from the first sources of `hits`, allocated; NULL when they hold no sentence. */
char *compose_answer(struct tokenizer *tok, const struct question_terms *q, struct search_hit *hits,
		     size_t nhits, const struct config *cfg);

#endif

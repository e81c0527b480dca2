/*
 * A text's tokens, recorded once and replayed later: the FTS5 index is fed
 * by the store's one writer, and tokenising (folding, stemming) every chunk
 * there kept it busy while the parser threads had the cores to spare.  The
 * threads record each chunk's tokens; the writer's tokenizer replays them
 * for the very text they were made from (sqlite_tokenizer.c).  A replay
 * gives the tokens, offsets and flags tokenizer_run gave, in its order.
 */
#ifndef TEXT_TOKEN_LIST_H
#define TEXT_TOKEN_LIST_H

#include <stddef.h>

#include "core/strbuf.h"
#include "text/tokenize.h"

/* Append the tokens tokenizer_run makes of `text` (as a document: flags 0) to `out`. */
void token_list_record(struct tokenizer *tok, enum lang lang, const char *text, size_t len,
		       struct strbuf *out);
/* Pass the recorded tokens to `fn` in order; what tokenizer_run would return. */
int token_list_replay(const char *list, size_t len, token_fn fn, void *ctx);

#endif

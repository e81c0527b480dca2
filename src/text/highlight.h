/*
 * Snippets for search results: the stretch of a chunk's text with the most
 * words of the query, those words between marks, "…" where text was cut.
 * Words match as the index matches them (folded, stemmed, in either
 * language), so "balance des blancs" marks "Balance du blanc".
 */
#ifndef TEXT_HIGHLIGHT_H
#define TEXT_HIGHLIGHT_H

#include <stddef.h>

#include "text/tokenize.h"

/* A snippet of about `words` words; the caller frees it. */
char *highlight_snippet(struct tokenizer *tok, const char *query, const char *text, enum lang lang,
			const char *mark_open, const char *mark_close, size_t words);

#endif

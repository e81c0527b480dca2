/*
 * Character-level normalisation of extracted text: Unicode NFC, ligatures
 * expanded, control and invisible characters dropped, exotic spaces made
 * plain.  Input must be valid UTF-8 (see utf8.h).
 */
#ifndef TEXT_NORMALIZE_H
#define TEXT_NORMALIZE_H

#include <stddef.h>

#include "core/strbuf.h"

void text_normalize(const char *in, size_t len, struct strbuf *out);

/* Fold pure-ASCII text (lowercase) into out; -1, writing nothing, if it is not ASCII. */
int text_fold_ascii_only(const char *in, size_t len, struct strbuf *out);
/* Case-fold and strip accents ("Éclair" -> "eclair"); appends to out. */
void text_fold(const char *in, size_t len, struct strbuf *out);

#endif

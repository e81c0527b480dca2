/*
 * Whether a word belongs to a language, by its Hunspell dictionary (Debian's
 * hunspell-fr, hunspell-en-us: BASE.aff and BASE.dic).  A question word
 * the documents never use and the language does not know either is a
 * name -- a program, a product, a protocol -- and documents that never
 * name it cannot answer about it.
 *
 * Each dictionary is read once per process, at its first use, and kept by
 * path; calls are serialised (Hunspell keeps state between them).
 */
#ifndef TEXT_SPELL_H
#define TEXT_SPELL_H

#include <stddef.h>

/* Read the dictionary at `base` now rather than at its first use (a server's start). */
void spell_preload(const char *base);

/* 1: `word` is a word of the dictionary at `base`; 0: it is not; -1: no dictionary there. */
int spell_known(const char *base, const char *word, size_t len);

#endif

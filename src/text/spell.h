/*
 * Whether a word belongs to a language, by its Hunspell dictionary (Debian's
 * hunspell-fr, hunspell-en-us: BASE.aff and BASE.dic).  A question word
 * the documents never use and no language knows either is a name -- a
 * program, a product, a protocol -- and documents that never name it
 * cannot answer about it.
 *
 * Each dictionary is read once per process, at its first use, and kept by
 * path; calls are serialised (Hunspell keeps state between them).  A
 * dictionary that does not know the ordinary word it is checked with
 * when read (damaged, empty, another language's) counts as none.
 */
#ifndef TEXT_SPELL_H
#define TEXT_SPELL_H

#include <stddef.h>

/* Read the dictionary at `base` now rather than at its first use (a server's start). */
void spell_preload(const char *base, const char *probe);

/*
 * 1: `word` is a word of the dictionary at `base`, or written differently
 * from one only by accents, ligatures, hyphens, case or the kind of
 * apostrophe ("elephant", "soeur", "multiplateforme"); 0: it is not
 * (a name, or a typo); -1: no usable dictionary there.  `probe` is an
 * ordinary word of the dictionary's language ("maison", "house").
 */
int spell_known(const char *base, const char *probe, const char *word, size_t len);

#endif

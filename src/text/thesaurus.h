/*
 * Thesauruses Debian ships, read into a word map (text/bidict.h) from a
 * language to itself: the French one of mythes-fr (MyThes's .dat text,
 * /usr/share/mythes/th_fr_FR_v2.dat) and WordNet for English
 * (wordnet-base, /usr/share/wordnet).  Single words only: a phrase
 * ("mettre à jour", "print_out") would need phrase matching.
 */
#ifndef TEXT_THESAURUS_H
#define TEXT_THESAURUS_H

#include "core/strbuf.h"
#include "text/bidict.h"

/*
 * A MyThes file: "word|n", then n lines "(Nom)|syn|syn...".  NULL with
 * err set when it cannot be read or is not one (naming the file and line).
 */
struct bidict *thesaurus_load_mythes(const char *path, enum lang lang, struct strbuf *err);

/*
 * WordNet's folder (index.noun and data.noun, the same for verb, adj,
 * adv): each lemma leads to the other words of its first `senses` synsets,
 * WordNet's most frequent senses.  NULL with err set as above.
 */
struct bidict *thesaurus_load_wordnet(const char *dir, int senses, struct strbuf *err);

/* Load `path` as WordNet when it is a folder, else as a MyThes file in `lang`. */
struct bidict *thesaurus_load(const char *path, enum lang lang, struct strbuf *err);

#endif

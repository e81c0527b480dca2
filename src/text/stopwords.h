/*
 * Stop words for French and English, compared after case folding and
 * accent stripping.  French elided forms (l, d, qu, j...) are included, so
 * "l'ouverture" leaves only "ouverture".
 */
#ifndef TEXT_STOPWORDS_H
#define TEXT_STOPWORDS_H

#include <stddef.h>

enum lang { LANG_UNKNOWN = 0, LANG_FR, LANG_EN };

int stopword_is(enum lang lang, const char *folded, size_t len);
/* Either language: for queries and undetected documents. */
int stopword_any(const char *folded, size_t len);

const char *lang_code(enum lang lang);
enum lang lang_from_code(const char *code);

#endif

/*
 * Stop word lists (function words only, so that content words are never
 * lost), kept sorted and searched with bsearch.  Entries are folded:
 * lowercase without accents.
 */
#include "text/stopwords.h"

#include <stdlib.h>
#include <string.h>

static const char *const fr_words[] = {
	"a",          "afin",     "ai",      "aie",        "aient",    "ait",     "alors",   "as",
	"au",         "aucun",    "aucune",  "auquel",     "aussi",    "autre",   "autres",  "aux",
	"auxquelles", "auxquels", "avaient", "avais",      "avait",    "avec",    "avez",    "avoir",
	"avons",      "ayant",    "c",       "ca",         "car",      "ce",      "ceci",    "cela",
	"celle",      "celles",   "celui",   "cependant",  "ces",      "cet",     "cette",   "ceux",
	"chaque",     "chez",     "ci",      "comme",      "comment",  "d",       "dans",    "de",
	"deja",       "des",      "donc",    "dont",       "du",       "elle",    "elles",   "en",
	"encore",     "entre",    "es",      "est",        "et",       "etaient", "etais",   "etait",
	"etant",      "ete",      "etes",    "etre",       "eu",       "eux",     "faut",    "ici",
	"il",         "ils",      "j",       "je",         "jusqu",    "l",       "la",      "laquelle",
	"le",         "lequel",   "les",     "lesquelles", "lesquels", "leur",    "leurs",   "lorsqu",
	"lorsque",    "lui",      "m",       "ma",         "mais",     "me",      "meme",    "memes",
	"mes",        "moi",      "mon",     "n",          "ne",       "ni",      "nos",     "notre",
	"nous",       "on",       "ont",     "ou",         "par",      "parce",   "pas",     "peu",
	"peut",       "peuvent",  "plus",    "pour",       "pourquoi", "puisqu",  "puisque", "qu",
	"quand",      "que",      "quel",    "quelle",     "quelles",  "quels",   "qui",     "quoi",
	"quoiqu",     "s",        "sa",      "sans",       "se",       "sera",    "ses",     "si",
	"sinon",      "soi",      "soit",    "son",        "sont",     "sous",    "sur",     "t",
	"ta",         "te",       "tes",     "toi",        "ton",      "tous",    "tout",    "toute",
	"toutes",     "tres",     "tu",      "un",         "une",      "unes",    "uns",     "vers",
	"voici",      "voila",    "vos",     "votre",      "vous",     "y",
};

static const char *const en_words[] = {
	"a",      "about", "after",   "all",    "also",    "am",      "an",     "and",   "any",
	"are",    "as",    "at",      "be",     "because", "been",    "before", "being", "between",
	"both",   "but",   "by",      "can",    "could",   "did",     "do",     "does",  "doing",
	"during", "each",  "either",  "for",    "from",    "further", "had",    "has",   "have",
	"having", "he",    "her",     "here",   "hers",    "him",     "his",    "how",   "i",
	"if",     "in",    "into",    "is",     "it",      "its",     "itself", "just",  "me",
	"more",   "most",  "my",      "no",     "nor",     "not",     "of",     "off",   "on",
	"once",   "only",  "or",      "other",  "our",     "ours",    "out",    "over",  "own",
	"s",      "same",  "she",     "should", "so",      "some",    "such",   "t",     "than",
	"that",   "the",   "their",   "theirs", "them",    "then",    "there",  "these", "they",
	"this",   "those", "through", "to",     "too",     "under",   "until",  "up",    "very",
	"was",    "we",    "were",    "what",   "when",    "where",   "which",  "while", "who",
	"whom",   "why",   "will",    "with",   "would",   "you",     "your",   "yours",
};

struct key {
	const char *s;
	size_t len;
};

static int cmp(const void *k, const void *elem)
{
	const struct key *key = k;
	const char *w = *(const char *const *)elem;
	int c = strncmp(key->s, w, key->len);
	if (c)
		return c;
	return w[key->len] ? -1 : 0;
}

static int in_list(const char *const *list, size_t n, const char *word, size_t len)
{
	struct key k = { word, len };
	return bsearch(&k, list, n, sizeof(*list), cmp) != NULL;
}

#define IN(list, w, n) in_list(list, sizeof(list) / sizeof(list[0]), w, n)

int stopword_is(enum lang lang, const char *folded, size_t len)
{
	switch (lang) {
	case LANG_FR:
		return IN(fr_words, folded, len);
	case LANG_EN:
		return IN(en_words, folded, len);
	default:
		return stopword_any(folded, len);
	}
}

int stopword_any(const char *folded, size_t len)
{
	return IN(fr_words, folded, len) || IN(en_words, folded, len);
}

const char *lang_code(enum lang lang)
{
	switch (lang) {
	case LANG_FR:
		return "fr";
	case LANG_EN:
		return "en";
	default:
		return "und";
	}
}

enum lang lang_from_code(const char *code)
{
	if (code && !strcmp(code, "fr"))
		return LANG_FR;
	if (code && !strcmp(code, "en"))
		return LANG_EN;
	return LANG_UNKNOWN;
}

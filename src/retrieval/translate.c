/*
 * Cross-language bridge; see translate.h.
 */
#include "retrieval/translate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "text/bidict.h"

/* Senses looked at per word: the dictionary lists the common ones first. */
#define SENSES_MAX 8

struct loaded {
	char *path;
	struct bidict *dict; /* NULL: it could not be read (logged once) */
};

static pthread_mutex_t loaded_lock = PTHREAD_MUTEX_INITIALIZER;
static struct loaded *loaded;
static size_t nloaded;

/* The dictionary at `path` (headwords in `from`), read at its first use. */
static const struct bidict *dictionary(const char *path, enum lang from)
{
	const struct bidict *d = NULL;
	if (!path || !*path)
		return NULL;
	pthread_mutex_lock(&loaded_lock);
	size_t i = 0;
	while (i < nloaded && strcmp(loaded[i].path, path))
		i++;
	if (i == nloaded) {
		struct strbuf err = STRBUF_INIT;
		loaded = xrealloc(loaded, (nloaded + 1) * sizeof(*loaded));
		loaded[nloaded].path = xstrdup(path);
		loaded[nloaded].dict = bidict_load(path, from, &err);
		if (!loaded[nloaded].dict)
			log_event(LOG_WARNING, 0, NULL, "translate",
				  "no cross-language bridge from %s: %s (install the FreeDict "
				  "dictionaries, or set retrieve.dictionary_%s to \"\")",
				  lang_code(from), err.buf, from == LANG_FR ? "fr_en" : "en_fr");
		strbuf_release(&err);
		nloaded++;
	}
	d = loaded[i].dict;
	pthread_mutex_unlock(&loaded_lock);
	return d;
}

void translate_preload(const struct config *cfg)
{
	if (cfg->retrieve.translation_weight <= 0)
		return;
	dictionary(cfg->retrieve.dictionary_fr_en, LANG_FR);
	dictionary(cfg->retrieve.dictionary_en_fr, LANG_EN);
}

static long long chunks_holding(struct store *st, const struct release_view *rel, const char *token)
{
	return rel->lx ? lexicon_term_chunks(rel->lx, token) : store_term_chunks(st, token);
}

/*
 * The translations of one word that the release holds: their surface
 * words (pointing into the dictionary) and index tokens (allocated, when
 * `tokens` is not NULL), and what each weighs: below the word when the
 * documents use the word itself, as much when they do not (the
 * translation is then the only way to find what the word asks).
 */
static size_t known_translations(const struct config *cfg, struct store *st,
				 const struct release_view *rel, struct tokenizer *tok, enum lang lang,
				 const char *word, size_t len, struct strmap *seen, const char **surface,
				 char **tokens, size_t max, double *weight)
{
	if (cfg->retrieve.translation_weight <= 0)
		return 0;
	const struct bidict *d = dictionary(lang == LANG_EN ? cfg->retrieve.dictionary_en_fr
							    : cfg->retrieve.dictionary_fr_en,
					    lang == LANG_EN ? LANG_EN : LANG_FR);
	if (!d)
		return 0;
	struct strbuf stem = STRBUF_INIT;
	const char *senses[SENSES_MAX], *stems[SENSES_MAX];
	size_t n = 0, nsenses = 0;
	if (!tokenizer_stem(tok, bidict_from(d), word, len, &stem)) {
		nsenses = bidict_translations(d, stem.buf, stem.len, senses, stems, SENSES_MAX);
		*weight = chunks_holding(st, rel, stem.buf) > 0 ? cfg->retrieve.translation_weight : 1.0;
	}
	for (size_t i = 0; i < nsenses && n < max; i++) {
		const char *token = stems[i];
		if (!token || strmap_get(seen, token, strlen(token)) ||
		    chunks_holding(st, rel, token) <= 0)
			continue;
		*strmap_slot(seen, token, strlen(token)) = 1;
		/* A two-word translation ("put out") is looked for by its last word. */
		const char *last = strrchr(senses[i], ' ');
		surface[n] = last ? last + 1 : senses[i];
		if (tokens)
			tokens[n] = xstrdup(token);
		n++;
	}
	strbuf_release(&stem);
	return n;
}

size_t translate_word(const struct config *cfg, struct store *st, const struct release_view *rel,
		      struct tokenizer *tok, enum lang lang, const char *word, size_t len,
		      struct strmap *seen, char **out, size_t max, double *weight)
{
	const char *surface[SENSES_MAX];
	return known_translations(cfg, st, rel, tok, lang, word, len, seen, surface, out,
				  max < SENSES_MAX ? max : SENSES_MAX, weight);
}

size_t translate_expand(const struct config *cfg, struct store *st, const struct release_view *rel,
			struct tokenizer *tok, const char *query, struct expansion *out, size_t max)
{
	size_t pos = 0, start, end, len = strlen(query), n = 0;
	enum lang lang = lang_guess_short(query, len, LANG_FR);
	struct strbuf folded = STRBUF_INIT, stem = STRBUF_INIT;
	struct strmap seen;
	strmap_init(&seen);
	/* The question's own words are not expansions of it. */
	while (query_next_word(query, len, &pos, &start, &end, &folded) == 0)
		if (!tokenizer_stem(tok, lang == LANG_EN ? LANG_FR : LANG_EN, query + start, end - start,
				    &stem))
			*strmap_slot(&seen, stem.buf, stem.len) = 1;
	pos = 0;
	while (n < max && query_next_word(query, len, &pos, &start, &end, &folded) == 0) {
		const char *surface[SENSES_MAX];
		double weight = 0;
		size_t got = known_translations(cfg, st, rel, tok, lang, query + start, end - start,
						&seen, surface, NULL,
						max - n < SENSES_MAX ? max - n : SENSES_MAX, &weight);
		for (size_t i = 0; i < got; i++)
			out[n++] = (struct expansion){ surface[i], weight };
	}
	strmap_release(&seen);
	strbuf_release(&folded);
	strbuf_release(&stem);
	return n;
}

/*
 * Vocabulary bridges; see bridge.h.
 */
#include "retrieval/bridge.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "text/bidict.h"
#include "text/thesaurus.h"

/* Senses looked at per word: a dictionary lists the common ones first. */
#define SENSES_MAX 8
/* A thesaurus lists a word's synonyms in no order: the ones the index holds, up to this many. */
#define SYNONYM_CANDIDATES 96
/* Synonyms kept per word: the best supported. */
#define SYNONYMS_MAX 3
/*
 * A synonym keeps company with another word of the question when the two
 * share at least this many times the chunks chance would give them: 1
 * and 2 let common words ("tableau", "programme") through on the tuning
 * halves, 4 did not.
 */
#define SUPPORT_LIFT 4.0

struct loaded {
	char *path;
	enum bridge bridge;
	struct bidict *dict; /* NULL: it could not be read (logged once) */
};

static pthread_mutex_t loaded_lock = PTHREAD_MUTEX_INITIALIZER;
static struct loaded *loaded;
static size_t nloaded;

static const char *configured(const struct config *cfg, enum bridge bridge, enum lang from)
{
	if (bridge == BRIDGE_TRANSLATION)
		return from == LANG_EN ? cfg->retrieve.dictionary_en_fr : cfg->retrieve.dictionary_fr_en;
	return from == LANG_EN ? cfg->retrieve.thesaurus_en : cfg->retrieve.thesaurus_fr;
}

static void log_unreadable(enum bridge bridge, enum lang from, const char *why)
{
	if (bridge == BRIDGE_TRANSLATION)
		log_event(LOG_WARNING, 0, NULL, "translate",
			  "no cross-language bridge from %s: %s (install the FreeDict "
			  "dictionaries, or set retrieve.dictionary_%s to \"\")",
			  lang_code(from), why, from == LANG_FR ? "fr_en" : "en_fr");
	else
		log_event(LOG_WARNING, 0, NULL, "synonyms",
			  "no synonyms in %s: %s (install %s, or set retrieve.thesaurus_%s to \"\")",
			  lang_code(from), why, from == LANG_FR ? "mythes-fr" : "wordnet-base",
			  lang_code(from));
}

/* The word map of `bridge` from `from`, read at its first use. */
static const struct bidict *word_map(const struct config *cfg, enum bridge bridge, enum lang from)
{
	const char *path = configured(cfg, bridge, from);
	const struct bidict *d = NULL;
	if (!path || !*path)
		return NULL;
	pthread_mutex_lock(&loaded_lock);
	size_t i = 0;
	while (i < nloaded && (loaded[i].bridge != bridge || strcmp(loaded[i].path, path)))
		i++;
	if (i == nloaded) {
		struct strbuf err = STRBUF_INIT;
		loaded = xrealloc(loaded, (nloaded + 1) * sizeof(*loaded));
		loaded[nloaded].path = xstrdup(path);
		loaded[nloaded].bridge = bridge;
		loaded[nloaded].dict = bridge == BRIDGE_TRANSLATION ? bidict_load(path, from, &err)
								    : thesaurus_load(path, from, &err);
		if (!loaded[nloaded].dict)
			log_unreadable(bridge, from, err.buf);
		strbuf_release(&err);
		nloaded++;
	}
	d = loaded[i].dict;
	pthread_mutex_unlock(&loaded_lock);
	return d;
}

static double bridge_weight(const struct config *cfg, enum bridge bridge)
{
	return bridge == BRIDGE_TRANSLATION ? cfg->retrieve.translation_weight
					    : cfg->retrieve.synonym_weight;
}

void bridge_preload(const struct config *cfg)
{
	for (int b = BRIDGE_TRANSLATION; b <= BRIDGE_SYNONYM; b++)
		if (bridge_weight(cfg, (enum bridge)b) > 0) {
			word_map(cfg, (enum bridge)b, LANG_FR);
			word_map(cfg, (enum bridge)b, LANG_EN);
		}
}

static long long chunks_holding(struct store *st, const struct release_view *rel, const char *token)
{
	return rel->lx ? lexicon_term_chunks(rel->lx, token) : store_term_chunks(st, token);
}

struct context_reader {
	struct bridge_context *c;
	size_t alloc, words;
};

static int add_context_token(void *ctx, const char *tok, size_t len, size_t start, size_t end,
			     int colocated)
{
	struct context_reader *r = ctx;
	struct bridge_context *c = r->c;
	if (!colocated)
		r->words++;
	if (c->n == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 16;
		c->tokens = xrealloc(c->tokens, r->alloc * sizeof(char *));
		c->word = xrealloc(c->word, r->alloc * sizeof(size_t));
	}
	c->tokens[c->n] = xstrndup(tok, len);
	c->word[c->n++] = r->words;
	return 0;
}

void bridge_context_read(struct bridge_context *c, struct tokenizer *tok, const char *question)
{
	struct context_reader r = { c, 0, 0 };
	memset(c, 0, sizeof(*c));
	tokenizer_run(tok, LANG_UNKNOWN, TOKENIZE_QUERY, question, strlen(question), add_context_token,
		      &r);
}

void bridge_context_release(struct bridge_context *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->tokens[i]);
	free(c->tokens);
	free(c->word);
	memset(c, 0, sizeof(*c));
}

/* Whether `token` (held by `chunks` of the release's n chunks) and `other` share chunks more than chance would. */
static int keeps_company(const struct lexicon *lx, const char *token, long long chunks,
			 const char *other, double n)
{
	long long held = lexicon_term_chunks(lx, other);
	double need = SUPPORT_LIFT * (double)chunks * (double)held / n;
	if (held <= 0 || need > (double)(chunks < held ? chunks : held))
		return 0; /* too common to tell */
	long long enough = need < 1 ? 1 : (long long)need + ((double)(long long)need < need);
	return lexicon_chunks_holding_both(lx, token, other, enough) >= enough;
}

/*
 * How many other words of the question keep company with `token` (held by
 * `chunks` chunks) in the release's chunks: a synonym in the sense the
 * question means does, one in another sense does not.  `own` is the
 * word's stem: no occurrence of the word itself supports its synonym.
 * Without the lexicon, none.
 */
static size_t support(const struct release_view *rel, const struct bridge_context *c, const char *own,
		      const char *token, long long chunks)
{
	if (!rel->lx || !c)
		return 0;
	size_t supported = 0;
	double n = (double)lexicon_chunks(rel->lx);
	/* A word's tokens (its stems in each language) are consecutive in the context. */
	for (size_t g = 0, end; g < c->n; g = end) {
		int itself = 0;
		for (end = g; end < c->n && c->word[end] == c->word[g]; end++)
			itself |= !strcmp(c->tokens[end], own);
		for (size_t i = g; !itself && i < end; i++)
			if (strcmp(c->tokens[i], token) &&
			    keeps_company(rel->lx, token, chunks, c->tokens[i], n)) {
				supported++;
				break;
			}
	}
	return supported;
}

/* Whether the question holds `token` itself: no synonym of one of its words then. */
static int in_question(const struct bridge_context *c, const char *token)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (!strcmp(c->tokens[i], token))
			return 1;
	return 0;
}

struct candidate {
	const char *surface, *token;
	size_t support, order;
	long long chunks;
};

/* Best supported first, then the rarer (more telling), then the dictionary's order. */
static int by_support(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	if (x->support != y->support)
		return x->support < y->support ? 1 : -1;
	if (x->chunks != y->chunks)
		return x->chunks < y->chunks ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * The words `bridge` leads to from one word that the release holds: their
 * surface words (pointing into the dictionary) and index tokens
 * (allocated, when `tokens` is not NULL), and what each weighs.
 */
static size_t known_words(const struct config *cfg, struct store *st, const struct release_view *rel,
			  struct tokenizer *tok, enum bridge bridge, enum lang lang,
			  const struct bridge_context *c, const char *word, size_t len,
			  struct strmap *seen, const char **surface, char **tokens, size_t max,
			  double *weight)
{
	double w = bridge_weight(cfg, bridge);
	if (w <= 0)
		return 0;
	enum lang from = lang == LANG_EN ? LANG_EN : LANG_FR;
	const struct bidict *d = word_map(cfg, bridge, from);
	if (!d)
		return 0;
	struct strbuf stem = STRBUF_INIT;
	const char *words[SYNONYM_CANDIDATES], *stems[SYNONYM_CANDIDATES];
	struct candidate cand[SYNONYM_CANDIDATES];
	size_t n = 0, nwords = 0, ncand = 0;
	if (!tokenizer_stem(tok, from, word, len, &stem)) {
		nwords = bidict_translations(d, stem.buf, stem.len, words, stems,
					     bridge == BRIDGE_TRANSLATION ? SENSES_MAX
									  : SYNONYM_CANDIDATES);
		/* A translation is the only way to what a word the documents never use asks. */
		*weight = bridge == BRIDGE_TRANSLATION && chunks_holding(st, rel, stem.buf) <= 0 ? 1.0
												 : w;
	}
	for (size_t i = 0; i < nwords; i++) {
		const char *token = stems[i];
		long long chunks;
		if (!token || strmap_get(seen, token, strlen(token)) ||
		    (chunks = chunks_holding(st, rel, token)) <= 0)
			continue;
		/* A two-word translation ("put out") is looked for by its last word. */
		const char *last = strrchr(words[i], ' ');
		cand[ncand] = (struct candidate){ last ? last + 1 : words[i], token, 0, i, chunks };
		if (bridge == BRIDGE_SYNONYM) {
			if (in_question(c, token))
				continue;
			cand[ncand].support = support(rel, c, stem.buf, token, chunks);
			if (!cand[ncand].support)
				continue;
		}
		ncand++;
	}
	if (bridge == BRIDGE_SYNONYM)
		qsort(cand, ncand, sizeof(*cand), by_support);
	size_t keep = bridge == BRIDGE_SYNONYM && max > SYNONYMS_MAX ? SYNONYMS_MAX : max;
	for (size_t i = 0; i < ncand && n < keep; i++) {
		if (strmap_get(seen, cand[i].token, strlen(cand[i].token)))
			continue; /* two words of the dictionary with one stem */
		*strmap_slot(seen, cand[i].token, strlen(cand[i].token)) = 1;
		surface[n] = cand[i].surface;
		if (tokens)
			tokens[n] = xstrdup(cand[i].token);
		n++;
	}
	strbuf_release(&stem);
	return n;
}

size_t bridge_word(const struct config *cfg, struct store *st, const struct release_view *rel,
		   struct tokenizer *tok, enum bridge bridge, enum lang lang,
		   const struct bridge_context *c, const char *word, size_t len, struct strmap *seen,
		   char **out, size_t max, double *weight)
{
	const char *surface[SYNONYM_CANDIDATES];
	return known_words(cfg, st, rel, tok, bridge, lang, c, word, len, seen, surface, out,
			   max < SYNONYM_CANDIDATES ? max : SYNONYM_CANDIDATES, weight);
}

size_t bridge_expand(const struct config *cfg, struct store *st, const struct release_view *rel,
		     struct tokenizer *tok, const char *query, int translations, int synonyms,
		     struct expansion *out, size_t max)
{
	size_t pos = 0, start, end, len = strlen(query), n = 0;
	enum lang lang = lang_guess_short(query, len, LANG_FR);
	struct strbuf folded = STRBUF_INIT, stem = STRBUF_INIT;
	struct strmap seen;
	struct bridge_context c = { 0 };
	strmap_init(&seen);
	/* Only synonyms need the question's words again: each search would pay for it. */
	if (synonyms && cfg->retrieve.synonym_weight > 0)
		bridge_context_read(&c, tok, query);
	/* The question's own words are not expansions of it (synonyms: see in_question). */
	while (query_next_word(query, len, &pos, &start, &end, &folded) == 0)
		if (!tokenizer_stem(tok, lang == LANG_EN ? LANG_FR : LANG_EN, query + start, end - start,
				    &stem))
			*strmap_slot(&seen, stem.buf, stem.len) = 1;
	for (int b = BRIDGE_TRANSLATION; b <= BRIDGE_SYNONYM; b++) {
		if ((b == BRIDGE_TRANSLATION && !translations) || (b == BRIDGE_SYNONYM && !synonyms))
			continue;
		pos = 0;
		while (n < max && query_next_word(query, len, &pos, &start, &end, &folded) == 0) {
			const char *surface[SYNONYM_CANDIDATES];
			double weight = 0;
			size_t room = max - n < SYNONYM_CANDIDATES ? max - n : SYNONYM_CANDIDATES;
			size_t got = known_words(cfg, st, rel, tok, (enum bridge)b, lang, &c,
						 query + start, end - start, &seen, surface, NULL, room,
						 &weight);
			for (size_t i = 0; i < got; i++)
				out[n++] = (struct expansion){ surface[i], weight };
		}
	}
	bridge_context_release(&c);
	strmap_release(&seen);
	strbuf_release(&folded);
	strbuf_release(&stem);
	return n;
}

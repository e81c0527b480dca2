/*
 * FreeDict's dictd files; see bidict.h.  The .index file gives each
 * headword the offset and length of its entry in the .dict.dz text
 * (dictzip: gzip that zlib reads whole), in dictd's base-64 digits.  An
 * entry is the headword line ("éteindre /etɛ̃dʀ/ <vt>") then its senses,
 * one a line, optionally numbered ("1. arrest"), synonyms split by
 * commas.
 */
#include "text/bidict.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/fsutil.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "text/tokenize.h"

/* Senses kept per dictd headword: the first ones are the common ones. */
#define TRANSLATIONS_MAX 8

struct headword {
	char **translations;
	char **stems; /* of each one's last word in `to`, NULL: a stop word */
	size_t n, alloc;
};

struct bidict {
	enum lang from, to;
	struct strmap by_stem; /* stem -> 1 + index in words */
	struct headword *words;
	size_t n, alloc, headwords;
};

/* FreeDict's largest dictionaries are a few megabytes: more is no dictionary (or a gzip bomb). */
#define DICT_TEXT_MAX (64u << 20)

static int read_all_gz(const char *path, struct strbuf *out, struct strbuf *err)
{
	if (check_regular_file(path, err))
		return -1;
	gzFile gz = gzopen(path, "rb");
	if (!gz) {
		strbuf_addf(err, "cannot open '%s': %s", path, strerror(errno ? errno : ENOMEM));
		return -1;
	}
	char buf[65536];
	int got;
	while ((got = gzread(gz, buf, sizeof(buf))) > 0 && out->len <= DICT_TEXT_MAX)
		strbuf_add(out, buf, (size_t)got);
	if (out->len > DICT_TEXT_MAX) {
		strbuf_addf(err, "'%s' holds more than %u MB of text: not a dictionary", path,
			    DICT_TEXT_MAX >> 20);
		gzclose(gz);
		return -1;
	}
	int bad = got < 0;
	if (bad) {
		int code;
		strbuf_addf(err, "'%s' is not a readable gzip (dictzip) file: %s", path,
			    gzerror(gz, &code));
	}
	gzclose(gz);
	return bad ? -1 : 0;
}

/* A number in dictd's base 64 ("A" = 0 ... "/" = 63); -1 when not one. */
static long long b64_number(const char *s, size_t len)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	long long v = 0;
	if (!len || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++) {
		const char *d = memchr(digits, s[i], 64);
		if (!d || !s[i])
			return -1;
		v = v * 64 + (d - digits);
	}
	return v;
}

static int word_count(const char *s, size_t len)
{
	int words = 0, in = 0;
	for (size_t i = 0; i < len; i++) {
		int space = s[i] == ' ';
		words += !space && !in;
		in = !space;
	}
	return words;
}

static void headword_push(struct headword *h, const char *word, size_t len)
{
	if (h->n == h->alloc) {
		h->alloc = h->alloc ? 2 * h->alloc : 4;
		h->translations = xrealloc(h->translations, h->alloc * sizeof(char *));
		h->stems = xrealloc(h->stems, h->alloc * sizeof(char *));
	}
	h->stems[h->n] = NULL;
	h->translations[h->n++] = xstrndup(word, len);
}

/* A sense line's translations: "1. stop", "dial, disc, record", "(fig) ..." pieces. */
static void add_senses(struct headword *h, const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && (line[i] == ' ' || (line[i] >= '0' && line[i] <= '9')))
		i++;
	if (i < len && line[i] == '.' && i > 0)
		i++;
	while (i < len && h->n < TRANSLATIONS_MAX) {
		size_t end = i;
		int depth = 0;
		while (end < len && (depth || (line[end] != ',' && line[end] != ';'))) {
			depth += line[end] == '(';
			depth -= line[end] == ')' && depth;
			end++;
		}
		size_t a = i, b = end;
		while (a < b && line[a] == ' ')
			a++;
		while (b > a && line[b - 1] == ' ')
			b--;
		/* Glosses in brackets and long phrases are explanations, not words to search. */
		if (b > a && !memchr(line + a, '(', b - a) && word_count(line + a, b - a) <= 2)
			headword_push(h, line + a, b - a);
		i = end + 1;
	}
}

/*
 * The headword's entry (made when new), or NULL when it cannot be one:
 * several words ("mot de passe" would need phrase matching) or a stop word.
 */
static struct headword *headword_of(struct bidict *d, struct tokenizer *tok, const char *head,
				    size_t head_len, struct strbuf *stem)
{
	if (word_count(head, head_len) != 1 || tokenizer_stem(tok, d->from, head, head_len, stem))
		return NULL;
	long *slot = strmap_slot(&d->by_stem, stem->buf, stem->len);
	if (!*slot) {
		ALLOC_GROW(d->words, d->n + 1, d->alloc);
		memset(&d->words[d->n], 0, sizeof(d->words[0]));
		*slot = (long)++d->n;
	}
	d->headwords++;
	return &d->words[*slot - 1];
}

/* Stemmed once here, not at every question: a two-word entry by its last word. */
static void stem_added(const struct bidict *d, struct tokenizer *tok, struct headword *h, size_t from,
		       struct strbuf *stem)
{
	for (size_t t = from; t < h->n; t++) {
		const char *last = strrchr(h->translations[t], ' ');
		last = last ? last + 1 : h->translations[t];
		h->stems[t] = tokenizer_stem(tok, d->to, last, strlen(last), stem) ? NULL
										   : xstrdup(stem->buf);
	}
}

static void add_entry(struct bidict *d, struct tokenizer *tok, const char *head, size_t head_len,
		      const char *body, size_t body_len, struct strbuf *stem)
{
	struct headword *h = headword_of(d, tok, head, head_len, stem);
	if (!h)
		return;
	size_t had = h->n;
	const char *line = body, *end = body + body_len;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		add_senses(h, line, n);
		line += n + 1;
	}
	stem_added(d, tok, h, had, stem);
}

struct bidict *bidict_new(enum lang from, enum lang to)
{
	struct bidict *d = xcalloc(1, sizeof(*d));
	d->from = from;
	d->to = to;
	strmap_init(&d->by_stem);
	return d;
}

void bidict_add(struct bidict *d, struct tokenizer *tok, const char *head, size_t head_len,
		const char *const *words, const size_t *lens, size_t n)
{
	struct strbuf stem = STRBUF_INIT;
	/*
	 * A compound ("abaisse-langue", "no-show") stems as its first word: its
	 * synonyms would be that word's ("abaisser": "spatule"), and a compound
	 * synonym ("foie-de-bœuf") would be searched as its first word ("foie").
	 */
	struct headword *h = memchr(head, '-', head_len) ? NULL
							 : headword_of(d, tok, head, head_len, &stem);
	if (h) {
		size_t had = h->n;
		for (size_t i = 0; i < n; i++)
			if (!memchr(words[i], '-', lens[i]))
				headword_push(h, words[i], lens[i]);
		stem_added(d, tok, h, had, &stem);
	}
	strbuf_release(&stem);
}

struct bidict *bidict_load(const char *base, enum lang from, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, stem = STRBUF_INIT;
	struct bidict *d = bidict_new(from, from == LANG_EN ? LANG_FR : LANG_EN);
	struct tokenizer *tok = tokenizer_new();
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	FILE *index = NULL;
	int ok = 0;
	strbuf_addf(&path, "%s.dict.dz", base);
	if (read_all_gz(path.buf, &text, err))
		goto done;
	strbuf_reset(&path);
	strbuf_addf(&path, "%s.index", base);
	if (check_regular_file(path.buf, err))
		goto done;
	index = fopen(path.buf, "r");
	if (!index) {
		strbuf_addf(err, "cannot open '%s': %s", path.buf, strerror(errno));
		goto done;
	}
	ssize_t len;
	while ((len = getline(&line, &cap, index)) > 0) {
		lineno++;
		char *tab1 = memchr(line, '\t', (size_t)len);
		char *tab2 = tab1 ? memchr(tab1 + 1, '\t', (size_t)(line + len - tab1 - 1)) : NULL;
		size_t end = (size_t)len;
		while (end && (line[end - 1] == '\n' || line[end - 1] == '\r'))
			end--;
		long long off = tab2 ? b64_number(tab1 + 1, (size_t)(tab2 - tab1 - 1)) : -1;
		long long size = tab2 ? b64_number(tab2 + 1, (size_t)(line + end - tab2 - 1)) : -1;
		if (off < 0 || size < 0 ||
		    (unsigned long long)off + (unsigned long long)size > text.len) {
			strbuf_addf(err, "%s:%zu: not a dictd index line (headword, offset, length)",
				    path.buf, lineno);
			goto done;
		}
		if (!strncmp(line, "00-database", 11) || !strncmp(line, "00database", 10))
			continue; /* the dictionary's own description */
		const char *entry = text.buf + off;
		const char *nl = memchr(entry, '\n', (size_t)size);
		if (!nl)
			continue;
		add_entry(d, tok, line, (size_t)(tab1 - line), nl + 1, (size_t)(entry + size - nl - 1),
			  &stem);
	}
	ok = 1;
done:
	if (index)
		fclose(index);
	free(line);
	tokenizer_free(tok);
	strbuf_release(&path);
	strbuf_release(&text);
	strbuf_release(&stem);
	if (!ok) {
		bidict_free(d);
		return NULL;
	}
	return d;
}

void bidict_free(struct bidict *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		for (size_t t = 0; t < d->words[i].n; t++)
			free(d->words[i].translations[t]), free(d->words[i].stems[t]);
		free(d->words[i].translations);
		free(d->words[i].stems);
	}
	free(d->words);
	strmap_release(&d->by_stem);
	free(d);
}

size_t bidict_size(const struct bidict *d)
{
	return d->headwords;
}

enum lang bidict_from(const struct bidict *d)
{
	return d->from;
}

enum lang bidict_to(const struct bidict *d)
{
	return d->to;
}

size_t bidict_translations(const struct bidict *d, const char *stem, size_t len, const char **out,
			   const char **stems, size_t max)
{
	const long *at = strmap_get(&d->by_stem, stem, len);
	if (!at)
		return 0;
	const struct headword *h = &d->words[*at - 1];
	size_t n = 0;
	for (; n < h->n && n < max; n++) {
		out[n] = h->translations[n];
		if (stems)
			stems[n] = h->stems[n];
	}
	return n;
}

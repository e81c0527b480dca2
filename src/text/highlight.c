/*
 * Snippets for search results; see highlight.h.
 */
#include "text/highlight.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"

struct word {
	size_t start, end;
	int hit;
};

struct collect {
	char **terms;
	size_t nterms, alloc;
	struct word *words;
	size_t nwords, walloc;
};

static int add_term(void *ctx, const char *tok, size_t len, size_t start, size_t end, int colocated)
{
	struct collect *c = ctx;
	ALLOC_GROW(c->terms, c->nterms + 1, c->alloc);
	c->terms[c->nterms++] = xstrndup(tok, len);
	return 0;
}

static int add_word(void *ctx, const char *tok, size_t len, size_t start, size_t end, int colocated)
{
	struct collect *c = ctx;
	int hit = 0;
	for (size_t i = 0; i < c->nterms && !hit; i++)
		hit = strlen(c->terms[i]) == len && !memcmp(c->terms[i], tok, len);
	ALLOC_GROW(c->words, c->nwords + 1, c->walloc);
	c->words[c->nwords++] = (struct word){ start, end, hit };
	return 0;
}

char *highlight_snippet(struct tokenizer *tok, const char *query, const char *text, enum lang lang,
			const char *mark_open, const char *mark_close, size_t words)
{
	struct collect c = { 0 };
	size_t len = strlen(text);
	tokenizer_run(tok, LANG_UNKNOWN, TOKENIZE_QUERY, query, strlen(query), add_term, &c);
	/* Only indexed words are seen; stop words between them are kept as text. */
	tokenizer_run(tok, lang, 0, text, len, add_word, &c);

	/* The window of `words` indexed words with the most hits. */
	size_t best = 0, best_hits = 0, hits = 0;
	for (size_t i = 0; i < c.nwords; i++) {
		hits += c.words[i].hit;
		if (i >= words)
			hits -= c.words[i - words].hit;
		size_t first = i >= words ? i - words + 1 : 0;
		if (hits > best_hits) {
			best_hits = hits;
			best = first;
		}
	}
	size_t from = 0, to = len;
	if (c.nwords > words) {
		from = c.words[best].start;
		size_t last = best + words - 1 < c.nwords ? best + words - 1 : c.nwords - 1;
		to = c.words[last].end;
		if (best == 0)
			from = 0;
	}
	struct strbuf sb = STRBUF_INIT;
	if (from > 0)
		strbuf_addstr(&sb, "…");
	size_t pos = from;
	for (size_t i = 0; i < c.nwords; i++) {
		struct word *w = &c.words[i];
		if (!w->hit || w->start < from || w->end > to)
			continue;
		strbuf_add(&sb, text + pos, w->start - pos);
		strbuf_addstr(&sb, mark_open);
		strbuf_add(&sb, text + w->start, w->end - w->start);
		strbuf_addstr(&sb, mark_close);
		pos = w->end;
	}
	strbuf_add(&sb, text + pos, to - pos);
	if (to < len)
		strbuf_addstr(&sb, "…");
	for (size_t i = 0; i < c.nterms; i++)
		free(c.terms[i]);
	free(c.terms);
	free(c.words);
	/* A snippet reads as one line. */
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == '\n')
			sb.buf[i] = ' ';
	return strbuf_detach(&sb, NULL);
}

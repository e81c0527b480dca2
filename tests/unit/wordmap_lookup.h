/*
 * For the unit tests of word maps (text/bidict.h, text/thesaurus.h): what a
 * word leads to, as one string.  Include after cmocka.h.
 */
#ifndef TESTS_WORDMAP_LOOKUP_H
#define TESTS_WORDMAP_LOOKUP_H

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "text/bidict.h"
#include "text/tokenize.h"

/* The words `word` leads to (found by its stem), joined by '|', allocated. */
static char *lookup(const struct bidict *d, const char *word)
{
	struct tokenizer *tok = tokenizer_new();
	struct strbuf stem = STRBUF_INIT, out = STRBUF_INIT;
	const char *to[64];
	size_t n = 0;
	if (!tokenizer_stem(tok, bidict_from(d), word, strlen(word), &stem))
		n = bidict_translations(d, stem.buf, stem.len, to, NULL, 64);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&out, "%s%s", i ? "|" : "", to[i]);
	strbuf_release(&stem);
	tokenizer_free(tok);
	return strbuf_detach(&out, NULL);
}

static void expect(const struct bidict *d, const char *word, const char *want)
{
	char *got = lookup(d, word);
	assert_string_equal(got, want);
	free(got);
}

#endif

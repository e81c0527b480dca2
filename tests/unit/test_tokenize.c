/*
 * Unit tests for the word tokenizer (text/tokenize.h): French elisions,
 * case and accent folding, Snowball stemming per language, stop words,
 * query alternatives, byte offsets, digits, over-long words, language
 * detection, the sorted stop word lists that bsearch relies on, and a
 * tokenizer kept across texts (it remembers the words it stemmed) giving
 * the tokens a new one gives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "text/stopwords.h"
#include "text/token_list.h"
#include "text/tokenize.h"

#define MAX_TOKENS 64

struct token_list {
	size_t n;
	char text[MAX_TOKENS][TOKEN_MAX_BYTES * 2 + 1];
	size_t start[MAX_TOKENS], end[MAX_TOKENS];
	int colocated[MAX_TOKENS];
};

static int collect(void *ctx, const char *token, size_t len, size_t start, size_t end, int colocated)
{
	struct token_list *tl = ctx;
	assert_true(tl->n < MAX_TOKENS);
	assert_true(len < sizeof(tl->text[0]));
	memcpy(tl->text[tl->n], token, len);
	tl->text[tl->n][len] = '\0';
	tl->start[tl->n] = start;
	tl->end[tl->n] = end;
	tl->colocated[tl->n] = colocated;
	tl->n++;
	return 0;
}

/* Tokenize `text` into *tl (cleared first). */
static void run(enum lang lang, unsigned flags, const char *text, struct token_list *tl)
{
	struct tokenizer *tok = tokenizer_new();
	memset(tl, 0, sizeof(*tl));
	assert_int_equal(tokenizer_run(tok, lang, flags, text, strlen(text), collect, tl), 0);
	tokenizer_free(tok);
}

/* The single token a lone word gives, so tests need not hard-code stems. */
static void single(enum lang lang, const char *word, char *out, size_t outlen)
{
	struct token_list tl;
	run(lang, 0, word, &tl);
	assert_int_equal(tl.n, 1);
	assert_true(strlen(tl.text[0]) < outlen);
	snprintf(out, outlen, "%s", tl.text[0]);
}

static int has_token(const struct token_list *tl, const char *token)
{
	for (size_t i = 0; i < tl->n; i++)
		if (!strcmp(tl->text[i], token))
			return 1;
	return 0;
}

static void test_french_elisions(void **state)
{
	struct token_list tl;
	char ouverture[80], pleuve[80];
	single(LANG_FR, "ouverture", ouverture, sizeof(ouverture));
	single(LANG_FR, "pleuve", pleuve, sizeof(pleuve));

	run(LANG_FR, 0, "l'ouverture", &tl);
	assert_int_equal(tl.n, 1);
	assert_string_equal(tl.text[0], ouverture);
	assert_int_equal(tl.start[0], 2);

	/* U+2019, the apostrophe word processors type */
	run(LANG_FR, 0, "l\xE2\x80\x99ouverture", &tl);
	assert_int_equal(tl.n, 1);
	assert_string_equal(tl.text[0], ouverture);
	assert_int_equal(tl.start[0], 4);

	run(LANG_FR, 0, "qu'il pleuve", &tl);
	assert_int_equal(tl.n, 1);
	assert_string_equal(tl.text[0], pleuve);

	run(LANG_FR, 0, "j'ai qu\xE2\x80\x99il", &tl);
	assert_int_equal(tl.n, 0);
}

static void test_case_and_accent_folding(void **state)
{
	static const enum lang langs[] = { LANG_FR, LANG_EN, LANG_UNKNOWN };
	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		struct token_list a, b, c;
		run(langs[i], 0,
		    "\xC3\x89"
		    "clairage",
		    &a); /* "Éclairage" */
		run(langs[i], 0, "eclairage", &b);
		run(langs[i], 0,
		    "\xC3\x89"
		    "CLAIRAGE",
		    &c);
		assert_int_equal(a.n, 1);
		assert_int_equal(b.n, 1);
		assert_int_equal(c.n, 1);
		assert_string_equal(a.text[0], b.text[0]);
		assert_string_equal(c.text[0], b.text[0]);
		/* the token itself carries no accent or capital */
		for (const char *p = a.text[0]; *p; p++)
			assert_true(*p >= 'a' && *p <= 'z');
	}
}

static void test_stemming_by_language(void **state)
{
	char a[80], b[80];
	single(LANG_FR, "photographies", a, sizeof(a));
	single(LANG_FR, "photographie", b, sizeof(b));
	assert_string_equal(a, b);
	single(LANG_FR, "nocturnes", a, sizeof(a));
	single(LANG_FR, "nocturne", b, sizeof(b));
	assert_string_equal(a, b);
	single(LANG_EN, "cameras", a, sizeof(a));
	single(LANG_EN, "camera", b, sizeof(b));
	assert_string_equal(a, b);
	single(LANG_EN, "focusing", a, sizeof(a));
	single(LANG_EN, "focus", b, sizeof(b));
	assert_string_equal(a, b);
	/* stemming must not merge unrelated words */
	single(LANG_FR, "photographie", a, sizeof(a));
	single(LANG_FR, "photometre", b, sizeof(b));
	assert_string_not_equal(a, b);
}

static void test_stop_words_removed(void **state)
{
	struct token_list tl;
	char lumiere[80], light[80];
	single(LANG_FR, "lumi\xC3\xA8re", lumiere, sizeof(lumiere));
	single(LANG_EN, "light", light, sizeof(light));

	run(LANG_FR, 0, "de la lumi\xC3\xA8re", &tl);
	assert_int_equal(tl.n, 1);
	assert_string_equal(tl.text[0], lumiere);
	run(LANG_EN, 0, "The light", &tl);
	assert_int_equal(tl.n, 1);
	assert_string_equal(tl.text[0], light);
	/* undetected language: either list applies */
	run(LANG_UNKNOWN, 0, "the de la", &tl);
	assert_int_equal(tl.n, 0);
}

static void test_query_colocated_alternatives(void **state)
{
	struct token_list tl;
	char fr[80], en[80];
	single(LANG_FR, "cameras", fr, sizeof(fr));
	single(LANG_EN, "cameras", en, sizeof(en));
	assert_string_not_equal(fr, en); /* otherwise the test proves nothing */

	run(LANG_UNKNOWN, TOKENIZE_QUERY, "cameras lenses", &tl);
	assert_true(tl.n >= 4);
	assert_int_equal(tl.colocated[0], 0);
	size_t second = 0;
	for (size_t i = 1; i < tl.n; i++) {
		if (!tl.colocated[i]) {
			second = i;
			break;
		}
		/* an alternative sits at the same position as the first token */
		assert_int_equal(tl.start[i], tl.start[0]);
		assert_int_equal(tl.end[i], tl.end[0]);
	}
	assert_true(second >= 2);
	assert_int_equal(tl.start[second], strlen("cameras "));
	tl.n = second;
	assert_true(has_token(&tl, fr));
	assert_true(has_token(&tl, en));

	/* stop words of both languages are dropped from queries */
	run(LANG_FR, TOKENIZE_QUERY, "the de", &tl);
	assert_int_equal(tl.n, 0);
}

static void test_offsets_point_at_source(void **state)
{
	const char *text = "Le  diaphragme r\xC3\xA8gle\nla lumi\xC3\xA8re.";
	static const char *const words[] = { "diaphragme", "r\xC3\xA8gle", "lumi\xC3\xA8re" };
	struct token_list tl;
	run(LANG_FR, 0, text, &tl);
	assert_int_equal(tl.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(tl.end[i] - tl.start[i], strlen(words[i]));
		assert_memory_equal(text + tl.start[i], words[i], strlen(words[i]));
	}
}

static void test_digits_kept(void **state)
{
	struct token_list tl;
	run(LANG_FR, 0, "1/500", &tl);
	assert_int_equal(tl.n, 2);
	assert_string_equal(tl.text[0], "1");
	assert_string_equal(tl.text[1], "500");
	assert_int_equal(tl.start[1], 2);
	assert_int_equal(tl.end[1], 5);
}

static void test_overlong_words_skipped(void **state)
{
	char text[256], exact[TOKEN_MAX_BYTES + 1];
	struct token_list tl;
	memset(text, 'x', TOKEN_MAX_BYTES + 1);
	snprintf(text + TOKEN_MAX_BYTES + 1, sizeof(text) - TOKEN_MAX_BYTES - 1, " bonjour");
	run(LANG_UNKNOWN, 0, text, &tl);
	assert_int_equal(tl.n, 1);
	assert_string_equal(tl.text[0], "bonjour");

	/* exactly the limit is still a word */
	memset(exact, 'x', TOKEN_MAX_BYTES);
	exact[TOKEN_MAX_BYTES] = '\0';
	run(LANG_UNKNOWN, 0, exact, &tl);
	assert_int_equal(tl.n, 1);
	assert_int_equal(strlen(tl.text[0]), TOKEN_MAX_BYTES);
}

static void test_lang_detect(void **state)
{
	const char *fr = "Le diaphragme r\xC3\xA8gle la quantit\xC3\xA9 de lumi\xC3\xA8re qui "
			 "entre dans l'appareil. Plus il est ouvert, plus la profondeur de "
			 "champ est faible et plus le fond est flou.";
	const char *en = "The aperture controls how much light reaches the sensor. When it is "
			 "wide open, the depth of field is shallow and the background is soft.";
	assert_int_equal(lang_detect(fr, strlen(fr)), LANG_FR);
	assert_int_equal(lang_detect(en, strlen(en)), LANG_EN);
	assert_int_equal(lang_detect("le the de", 9), LANG_UNKNOWN);
	assert_int_equal(lang_detect("", 0), LANG_UNKNOWN);
}

static void test_stopword_lists_sorted(void **state)
{
	/* bsearch misses entries of an unsorted list: probe both ends and the elisions */
	static const char *const fr[] = { "a",      "afin", "c",     "d",      "de", "deja",
					  "des",    "j",    "jusqu", "l",      "la", "les",
					  "lorsqu", "m",    "n",     "puisqu", "qu", "quoiqu",
					  "s",      "t",    "vous",  "y" };
	static const char *const en[] = { "a", "about", "i",   "is",   "s",
					  "t", "the",   "you", "your", "yours" };
	for (size_t i = 0; i < sizeof(fr) / sizeof(fr[0]); i++)
		assert_true(stopword_is(LANG_FR, fr[i], strlen(fr[i])));
	for (size_t i = 0; i < sizeof(en) / sizeof(en[0]); i++)
		assert_true(stopword_is(LANG_EN, en[i], strlen(en[i])));
	/* content words and prefixes of stop words are not stop words */
	assert_false(stopword_is(LANG_FR, "lumiere", 7));
	assert_false(stopword_is(LANG_EN, "light", 5));
	assert_false(stopword_is(LANG_EN, "yo", 2));
	assert_false(stopword_is(LANG_FR, "the", 3));
	/* the length bounds the word: "lesx" cut at 3 is "les" */
	assert_true(stopword_is(LANG_FR, "lesx", 3));
	assert_true(stopword_any("the", 3));
	assert_true(stopword_any("les", 3));
}

/*
 * Combining marks with no letter before them are word characters, but
 * folding strips every one: no empty token may come out (the tokenizer
 * fuzzer found "\xDF\xAB", U+07EB, giving one), nor an empty query word.
 */
static void test_no_empty_tokens(void **state)
{
	static const char text[] = "\xCC\x81\xCC\x80 \xDF\xAB photo '\xCC\x81";
	size_t photo = (size_t)(strstr(text, "photo") - text);
	struct token_list tl;
	for (unsigned flags = 0; flags < 4; flags++) {
		run(LANG_FR, flags, text, &tl);
		assert_true(tl.n >= 1);
		for (size_t i = 0; i < tl.n; i++) {
			assert_true(tl.text[i][0] != '\0');
			assert_int_equal(tl.start[i], photo);
		}
	}

	struct strbuf folded = STRBUF_INIT;
	size_t pos = 0, start, end;
	assert_int_equal(query_next_word(text, strlen(text), &pos, &start, &end, &folded), 0);
	assert_int_equal(end - start, 5);
	assert_int_equal(query_next_word(text, strlen(text), &pos, &start, &end, &folded), -1);
	strbuf_release(&folded);
}

/* Tokens recorded and replayed (text/token_list.h) are tokenizer_run's, offsets and all. */
static void test_token_list_replays_tokenizer(void **state)
{
	(void)state;
	static const struct {
		enum lang lang;
		const char *text;
	} cases[] = {
		{ LANG_FR, "L'exposition à f/8 — 1/125 s, ISO 400 : l'histogramme « bouché » !" },
		{ LANG_EN, "Don't overexpose: the highlights clip at +2 EV; İstanbul naïve café." },
		{ LANG_UNKNOWN, "Über-Bélichtung Ångström 日本語 テキスト" },
		{ LANG_FR, "" },
	};
	struct tokenizer *tok = tokenizer_new();
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct token_list direct = { 0 }, replayed = { 0 };
		struct strbuf list = STRBUF_INIT;
		size_t len = strlen(cases[k].text);
		tokenizer_run(tok, cases[k].lang, 0, cases[k].text, len, collect, &direct);
		token_list_record(tok, cases[k].lang, cases[k].text, len, &list);
		assert_int_equal(token_list_replay(list.buf, list.len, collect, &replayed), 0);
		assert_int_equal(replayed.n, direct.n);
		for (size_t i = 0; i < direct.n; i++) {
			assert_string_equal(replayed.text[i], direct.text[i]);
			assert_int_equal(replayed.start[i], direct.start[i]);
			assert_int_equal(replayed.end[i], direct.end[i]);
			assert_int_equal(replayed.colocated[i], direct.colocated[i]);
		}
		assert_true(k == 3 || direct.n > 3);
		strbuf_release(&list);
	}
	tokenizer_free(tok);
}

/* Serialized tokens of `text` (token_list.h) by `tok`, or by a new tokenizer when tok is NULL. */
static void tokens_of(struct tokenizer *tok, enum lang lang, const char *text, struct strbuf *out)
{
	struct tokenizer *fresh = tok ? NULL : tokenizer_new();
	token_list_record(tok ? tok : fresh, lang, text, strlen(text), out);
	tokenizer_free(fresh);
}

static void test_kept_tokenizer_same_tokens(void **state)
{
	(void)state;
	/* The same words in every language (their stems differ), stop words, accents, elisions. */
	static const char *const texts[] = {
		"Les chats regardent l'objectif ; the cats are watching the lens.",
		"Réglez l'ouverture du diaphragme : f/2.8, puis l'exposition.",
		"The exposure settings: aperture, shutter speed and ISO sensitivity.",
		"chats chats CHATS Chats chat chatte",
		"",
	};
	static const enum lang langs[] = { LANG_FR, LANG_EN, LANG_UNKNOWN };
	struct tokenizer *kept = tokenizer_new();
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT, word = STRBUF_INIT;
	for (int round = 0; round < 3; round++) {
		for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++)
			for (size_t l = 0; l < sizeof(langs) / sizeof(langs[0]); l++) {
				strbuf_reset(&got);
				strbuf_reset(&want);
				tokens_of(kept, langs[l], texts[t], &got);
				tokens_of(NULL, langs[l], texts[t], &want);
				if (got.len != want.len || memcmp(got.buf, want.buf, got.len))
					fail_msg("round %d, text %zu, language %zu: a kept tokenizer's tokens differ",
						 round, t, l);
			}
		/* Past the words it remembers (32,768): it forgets them, and still agrees. */
		for (int i = 0; i < 40000; i++) {
			strbuf_reset(&word);
			strbuf_addf(&word, "mot%dchats", i);
			strbuf_reset(&got);
			tokens_of(kept, LANG_FR, word.buf, &got);
		}
		strbuf_reset(&got);
		strbuf_reset(&want);
		tokens_of(kept, LANG_FR, "mot12chats mot39999chats", &got);
		tokens_of(NULL, LANG_FR, "mot12chats mot39999chats", &want);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.buf, want.buf, got.len);
	}
	strbuf_release(&got);
	strbuf_release(&want);
	strbuf_release(&word);
	tokenizer_free(kept);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_french_elisions),
		cmocka_unit_test(test_case_and_accent_folding),
		cmocka_unit_test(test_stemming_by_language),
		cmocka_unit_test(test_stop_words_removed),
		cmocka_unit_test(test_query_colocated_alternatives),
		cmocka_unit_test(test_offsets_point_at_source),
		cmocka_unit_test(test_digits_kept),
		cmocka_unit_test(test_overlong_words_skipped),
		cmocka_unit_test(test_lang_detect),
		cmocka_unit_test(test_stopword_lists_sorted),
		cmocka_unit_test(test_no_empty_tokens),
		cmocka_unit_test(test_token_list_replays_tokenizer),
		cmocka_unit_test(test_kept_tokenizer_same_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

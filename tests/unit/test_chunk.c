/*
 * Unit tests for the chunk stage (pipeline/chunk.h): chunks are exact
 * slices of the document text cut between words and characters, sized by
 * chunk.target_chars, started by headings with a " › " heading path,
 * carry their page range, overlap within a section only, and the sentence
 * splitter respects abbreviations and numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "pipeline/chunk.h"
#include "pipeline/document.h"

/* Sentences of 40-50 bytes with accents, so cuts can land next to multibyte characters. */
static const char *const sentences[] = {
	"Le diaphragme r\xC3\xA8gle la lumi\xC3\xA8re entrante.",
	"Une vitesse lente fige mal le mouvement.",
	"La sensibilit\xC3\xA9 \xC3\xA9lev\xC3\xA9"
	"e ajoute du bruit.",
	"Le p\xC3\xA9rim\xC3\xA8tre net d\xC3\xA9pend de la focale.",
	"On \xC3\xA9quilibre toujours les trois r\xC3\xA9glages.",
};

static void setup_cfg(struct config *cfg)
{
	struct strbuf err = STRBUF_INIT;
	config_init(cfg);
	assert_int_equal(config_set(cfg, "chunk.target_chars", "300", "test", &err), 0);
	assert_int_equal(config_set(cfg, "chunk.overlap_chars", "60", "test", &err), 0);
	assert_int_equal(config_set(cfg, "chunk.min_chars", "50", "test", &err), 0);
	strbuf_release(&err);
}

/* A paragraph of `n` sentences taken in turn from the list. */
static void add_para(struct extracted *doc, int page, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", sentences[i % 5]);
	extracted_add_block(doc, BLOCK_PARAGRAPH, 0, page, sb.buf, sb.len);
	strbuf_release(&sb);
}

static void add_heading(struct extracted *doc, int level, int page, const char *text)
{
	extracted_add_block(doc, BLOCK_HEADING, level, page, text, strlen(text));
}

static int is_cut(char c)
{
	return c == ' ' || c == '\n';
}

/*
 * What holds for every chunking: exact slices, cut between words and on
 * character boundaries, bounded size, and no text lost.
 */
static void check_invariants(const struct extracted *doc, const struct config *cfg,
			     const struct chunk *c, size_t n, int whole_words)
{
	size_t len;
	char *text = document_text(doc, &len);
	unsigned char *covered = calloc(len + 1, 1);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(c[i].char_start < c[i].char_end);
		assert_true(c[i].char_end <= len);
		assert_int_equal(strlen(c[i].text), c[i].char_end - c[i].char_start);
		assert_memory_equal(c[i].text, text + c[i].char_start, strlen(c[i].text));
		size_t slack = cfg->chunk.overlap_chars > cfg->chunk.target_chars / 2
				       ? cfg->chunk.overlap_chars
				       : cfg->chunk.target_chars / 2;
		assert_true(c[i].char_end - c[i].char_start <= cfg->chunk.target_chars + slack);
		assert_int_not_equal((unsigned char)text[c[i].char_start] & 0xC0, 0x80);
		if (c[i].char_end < len)
			assert_int_not_equal((unsigned char)text[c[i].char_end] & 0xC0, 0x80);
		if (whole_words) {
			assert_true(c[i].char_start == 0 || is_cut(text[c[i].char_start - 1]));
			assert_true(c[i].char_end == len || is_cut(text[c[i].char_end]));
		}
		assert_true(c[i].page_start >= 1 && c[i].page_start <= c[i].page_end);
		memset(covered + c[i].char_start, 1, c[i].char_end - c[i].char_start);
	}
	for (size_t i = 0; i < len; i++)
		if (!is_cut(text[i]))
			assert_true(covered[i]);
	free(covered);
	free(text);
}

/* Byte offset of block b in the document text. */
static size_t block_offset(const struct extracted *doc, size_t b)
{
	size_t off = 0;
	for (size_t i = 0; i < b; i++)
		off += strlen(doc->blocks[i].text) + 2;
	return off;
}

static void test_long_section_slices_and_overlap(void **state)
{
	struct config cfg;
	struct extracted doc = { 0 };
	struct chunk *c;
	size_t n;
	setup_cfg(&cfg);
	add_heading(&doc, 1, 1, "Titre");
	add_para(&doc, 1, 3);
	add_heading(&doc, 2, 1, "Sous-titre");
	add_para(&doc, 1, 40); /* ~1800 bytes, one paragraph */
	assert_int_equal(chunk_document(&doc, &cfg, &c, &n), 0);
	check_invariants(&doc, &cfg, c, n, 1);
	assert_true(n >= 6);
	size_t sub = block_offset(&doc, 2);
	assert_int_equal(c[0].char_start, 0);
	assert_string_equal(c[0].heading, "Titre");
	assert_int_equal(c[0].char_end, sub - 2); /* the section ends before the next heading */
	assert_int_equal(c[1].char_start, sub);
	for (size_t i = 1; i < n; i++) {
		assert_string_equal(c[i].heading, "Titre \xE2\x80\xBA Sous-titre");
		if (i >= 2) /* consecutive chunks of one section share context */
			assert_true(c[i].char_start < c[i - 1].char_end);
	}
	chunks_free(c, n);
	extracted_release(&doc);
	config_release(&cfg);
}

static void test_headings_start_chunks_without_overlap(void **state)
{
	struct config cfg;
	struct extracted doc = { 0 };
	struct chunk *c;
	size_t n;
	setup_cfg(&cfg);
	add_heading(&doc, 1, 1, "Titre");
	add_para(&doc, 1, 12);
	add_heading(&doc, 2, 2, "Premier");
	add_para(&doc, 2, 12);
	add_heading(&doc, 2, 3, "Second");
	add_para(&doc, 3, 3);
	assert_int_equal(chunk_document(&doc, &cfg, &c, &n), 0);
	check_invariants(&doc, &cfg, c, n, 1);
	size_t h1 = block_offset(&doc, 2), h2 = block_offset(&doc, 4);
	int started1 = 0, started2 = 0;
	for (size_t i = 0; i < n; i++) {
		/* no chunk reaches across a heading, overlap included */
		assert_false(c[i].char_start < h1 && c[i].char_end > h1);
		assert_false(c[i].char_start < h2 && c[i].char_end > h2);
		if (c[i].char_start == h1) {
			started1 = 1;
			assert_string_equal(c[i].heading, "Titre \xE2\x80\xBA Premier");
		}
		if (c[i].char_start == h2) {
			started2 = 1;
			assert_string_equal(c[i].heading, "Titre \xE2\x80\xBA Second");
		}
		if (c[i].char_start < h1)
			assert_string_equal(c[i].heading, "Titre");
	}
	assert_true(started1);
	assert_true(started2);
	chunks_free(c, n);
	extracted_release(&doc);
	config_release(&cfg);
}

static void test_heading_path_directly_under_title(void **state)
{
	/* "# Titre" then "## Sous-titre" at once: the text below belongs to both */
	struct config cfg;
	struct extracted doc = { 0 };
	struct chunk *c;
	size_t n;
	setup_cfg(&cfg);
	add_heading(&doc, 1, 1, "Titre");
	add_heading(&doc, 2, 1, "Sous-titre");
	add_para(&doc, 1, 20);
	assert_int_equal(chunk_document(&doc, &cfg, &c, &n), 0);
	check_invariants(&doc, &cfg, c, n, 1);
	assert_true(n >= 3);
	size_t wrong = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(c[i].heading, "Titre \xE2\x80\xBA Sous-titre")) {
			print_error("chunk %zu of %zu: heading \"%s\"\n", i, n, c[i].heading);
			wrong++;
		}
	}
	chunks_free(c, n);
	extracted_release(&doc);
	config_release(&cfg);
	assert_int_equal(wrong, 0);
}

static void test_pages_recorded(void **state)
{
	struct config cfg;
	struct extracted doc = { 0 };
	struct chunk *c;
	size_t n;
	config_init(&cfg);
	for (int p = 1; p <= 3; p++)
		add_para(&doc, p, 2);
	assert_int_equal(chunk_document(&doc, &cfg, &c, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].page_start, 1);
	assert_int_equal(c[0].page_end, 3);
	chunks_free(c, n);
	extracted_release(&doc);
	config_release(&cfg);

	/* smaller chunks: each one spans exactly the pages of the blocks it touches */
	setup_cfg(&cfg);
	for (int p = 1; p <= 3; p++)
		add_para(&doc, p, 9);
	assert_int_equal(chunk_document(&doc, &cfg, &c, &n), 0);
	check_invariants(&doc, &cfg, c, n, 1);
	assert_int_equal(c[0].page_start, 1);
	assert_int_equal(c[n - 1].page_end, 3);
	for (size_t i = 0; i < n; i++) {
		int lo = 99, hi = 0;
		for (size_t b = 0; b < doc.nblocks; b++) {
			size_t s = block_offset(&doc, b), e = s + strlen(doc.blocks[b].text);
			if (s < c[i].char_end && e > c[i].char_start) {
				lo = doc.blocks[b].page < lo ? doc.blocks[b].page : lo;
				hi = doc.blocks[b].page > hi ? doc.blocks[b].page : hi;
			}
		}
		assert_int_equal(c[i].page_start, lo);
		assert_int_equal(c[i].page_end, hi);
	}
	chunks_free(c, n);
	extracted_release(&doc);
	config_release(&cfg);
}

static void test_enormous_sentence_cut_at_spaces(void **state)
{
	struct config cfg;
	struct extracted doc = { 0 };
	struct strbuf sb = STRBUF_INIT;
	struct chunk *c;
	size_t n;
	setup_cfg(&cfg);
	for (int i = 0; sb.len < 2000; i++) /* no period at all */
		strbuf_addf(&sb, "%sr\xC3\xA9glage%d \xC3\xA9t\xC3\xA9", i ? " " : "", i);
	extracted_add_block(&doc, BLOCK_PARAGRAPH, 0, 1, sb.buf, sb.len);
	assert_int_equal(chunk_document(&doc, &cfg, &c, &n), 0);
	check_invariants(&doc, &cfg, c, n, 1);
	assert_true(n >= 7);
	chunks_free(c, n);
	extracted_release(&doc);

	/* one 700-byte word: cut anywhere, but never inside a character */
	strbuf_reset(&sb);
	while (sb.len < 700)
		strbuf_addstr(&sb, "\xC3\xA9");
	extracted_add_block(&doc, BLOCK_PARAGRAPH, 0, 1, sb.buf, sb.len);
	assert_int_equal(chunk_document(&doc, &cfg, &c, &n), 0);
	check_invariants(&doc, &cfg, c, n, 0);
	assert_true(n >= 3);
	chunks_free(c, n);
	extracted_release(&doc);
	strbuf_release(&sb);
	config_release(&cfg);
}

/* A sentence announcing what follows ("comme suit :") is not cut from it at a chunk's end. */
static void test_announcement_keeps_what_it_announces(void **state)
{
	struct config cfg;
	setup_cfg(&cfg);
	struct extracted doc = { 0 };
	add_heading(&doc, 1, 1, "Paquets recommand\xC3\xA9s");
	add_para(&doc, 1, 5);
	const char *intro = "Pour bloquer un paquet, placez au d\xC3\xA9"
			    "but du fichier ceci :";
	extracted_add_block(&doc, BLOCK_PARAGRAPH, 0, 1, intro, strlen(intro));
	const char *code = "Package: toto Pin: version * Pin-Priority: -1";
	extracted_add_block(&doc, BLOCK_PARAGRAPH, 0, 1, code, strlen(code));
	add_para(&doc, 1, 2);
	struct chunk *c;
	size_t n;
	assert_int_equal(chunk_document(&doc, &cfg, &c, &n), 0);
	check_invariants(&doc, &cfg, c, n, 1);
	int together = 0, cut_after = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(c[i].text);
		together += strstr(c[i].text, intro) && strstr(c[i].text, "Pin-Priority: -1");
		cut_after += len >= strlen(intro) && !strcmp(c[i].text + len - strlen(intro), intro);
	}
	assert_true(together);
	assert_false(cut_after);
	chunks_free(c, n);
	extracted_release(&doc);
	config_release(&cfg);
	(void)state;
}

static void test_sentence_split(void **state)
{
	size_t ends[16];
	const char *t = "Voir M. Dupont p. 12 avec f/2.8 etc. et plus. Fin. D\xC3\xA9"
			"but ici";
	size_t len = strlen(t);
	size_t n = sentence_split(t, len, ends, 16);
	const char *end1 = strstr(t, "plus.") + 5, *end2 = strstr(t, "Fin.") + 4;
	assert_int_equal(n, 3);
	assert_int_equal(ends[0], (size_t)(end1 - t));
	assert_int_equal(ends[1], (size_t)(end2 - t));
	assert_int_equal(ends[2], len);

	const char *q = "Quoi ? Non ! Oui\xE2\x80\xA6 Bon.";
	n = sentence_split(q, strlen(q), ends, 16);
	assert_int_equal(n, 4);
	assert_int_equal(ends[0], 6);
	assert_int_equal(ends[1], 12);
	assert_int_equal(ends[2], 19);
	/* never cut inside a number or an aperture */
	const char *f = "Ouvrez \xC3\xA0 f/2.8 puis 1.5 IL.";
	n = sentence_split(f, strlen(f), ends, 16);
	assert_int_equal(n, 1);
	assert_int_equal(ends[0], strlen(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_section_slices_and_overlap),
		cmocka_unit_test(test_headings_start_chunks_without_overlap),
		cmocka_unit_test(test_heading_path_directly_under_title),
		cmocka_unit_test(test_pages_recorded),
		cmocka_unit_test(test_enormous_sentence_cut_at_spaces),
		cmocka_unit_test(test_announcement_keeps_what_it_announces),
		cmocka_unit_test(test_sentence_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

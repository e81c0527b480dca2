/*
 * Unit tests for the clean stage (pipeline/clean.h) and the text layers
 * under it: character normalisation (text/normalize.h), UTF-8 repair and
 * legacy decoding (text/utf8.h).  Covers ligatures, NFC, invisible and
 * control characters, de-hyphenation, line joining, running headers and
 * footers, garbage blocks, and encoding detection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/config.h"
#include "core/fsutil.h"
#include "pipeline/clean.h"
#include "pipeline/document.h"
#include "text/normalize.h"
#include "text/utf8.h"

#ifndef FIXTURES
#define FIXTURES "/work/main/tests/fixtures/bad"
#endif

/* Normalise a C string; the caller releases `out`. */
static void normalize(const char *in, struct strbuf *out)
{
	strbuf_reset(out);
	text_normalize(in, strlen(in), out);
}

/* Count code points, failing the test on any invalid UTF-8. */
static size_t count_valid_utf8(const char *s, size_t len, size_t *replacements)
{
	size_t n = 0;
	*replacements = 0;
	for (size_t i = 0; i < len; n++) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		assert_true(k > 0);
		*replacements += cp == 0xFFFD;
		i += (size_t)k;
	}
	return n;
}

static void test_normalize_ligatures_and_nfc(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t bad;
	normalize("of\xEF\xAC\x81"
		  "ce \xEF\xAC\x82"
		  "ou",
		  &sb); /* "oﬁce ﬂou" */
	assert_string_equal(sb.buf, "office flou");
	normalize("e\xCC\x81t\xC3\xA9", &sb); /* e + U+0301 */
	assert_string_equal(sb.buf, "\xC3\xA9t\xC3\xA9");
	assert_int_equal(count_valid_utf8(sb.buf, sb.len, &bad), 3);
	strbuf_release(&sb);
}

static void test_normalize_drops_invisible_and_control(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	normalize("pho\xC2\xADto", &sb); /* soft hyphen */
	assert_string_equal(sb.buf, "photo");
	normalize("a\x01"
		  "b\x7f"
		  "c\xE2\x80\x8B"
		  "d",
		  &sb); /* controls, zero-width space */
	assert_string_equal(sb.buf, "abcd");
	normalize("1\xC2\xA0"
		  "000\xE2\x80\xAF"
		  "€",
		  &sb); /* no-break spaces become plain */
	assert_string_equal(sb.buf, "1 000 €");
	normalize("un\r\ndeux\tb", &sb); /* line ends kept as newlines, tabs kept */
	assert_non_null(strchr(sb.buf, '\n'));
	assert_null(strchr(sb.buf, '\r'));
	assert_non_null(strchr(sb.buf, '\t'));
	strbuf_release(&sb);
}

static void test_block_dehyphenation(void **state)
{
	size_t joined = 0;
	char *s = clean_block_text("une belle expo-\nsition", &joined);
	assert_string_equal(s, "une belle exposition");
	assert_int_equal(joined, 1);
	free(s);
	s = clean_block_text("une expo-\n   sition", &joined);
	assert_string_equal(s, "une exposition");
	assert_int_equal(joined, 2);
	free(s);
	/* a dash after a space is not a word cut */
	joined = 0;
	s = clean_block_text("ouverture -\nvitesse", &joined);
	assert_string_equal(s, "ouverture - vitesse");
	assert_int_equal(joined, 0);
	free(s);
}

static void test_block_hyphenated_compound_kept(void **state)
{
	/* a capital after the hyphen: a compound name, the hyphen stays and no space appears */
	size_t joined = 0;
	char *s = clean_block_text("avec Jean-\nPierre Dupont", &joined);
	int ok = !strcmp(s, "avec Jean-Pierre Dupont");
	if (!ok)
		print_error("got \"%s\"\n", s);
	free(s);
	assert_true(ok);
	assert_int_equal(joined, 0);
}

static void test_block_table_rows_stay_lines(void **state)
{
	/* a pipe table's rows stay lines (each can answer); other lines join */
	(void)state;
	char *s = clean_block_text(
		"| outil | conversion |  \n| fromdos | CR-LF vers LF |\nsuite\nde texte |\n| x |", NULL);
	assert_string_equal(
		s, "| outil | conversion |\n| fromdos | CR-LF vers LF | suite de texte |\n| x |");
	free(s);
}

static void test_soft_hyphen_at_line_end_joins(void **state)
{
	/* word processors mark the hyphenation point of a broken word with U+00AD */
	struct config cfg;
	struct extracted doc = { 0 };
	const char *raw = "une belle expo\xC2\xAD\nsition";
	config_init(&cfg);
	extracted_add_page(&doc, 1, PAGE_TEXT, 100);
	extracted_add_block(&doc, BLOCK_PARAGRAPH, 0, 1, raw, strlen(raw));
	clean_document(&doc, &cfg, 1, NULL);
	int ok = doc.nblocks == 1 && !strcmp(doc.blocks[0].text, "une belle exposition");
	if (!ok && doc.nblocks)
		print_error("got \"%s\"\n", doc.blocks[0].text);
	extracted_release(&doc);
	config_release(&cfg);
	assert_true(ok);
}

static void test_block_lines_and_whitespace(void **state)
{
	char *s = clean_block_text("  Une ligne\ncoup\xC3\xA9"
				   "e   en\t\tdeux  \n\n",
				   NULL);
	assert_string_equal(s, "Une ligne coup\xC3\xA9"
			       "e en deux");
	free(s);
	s = clean_block_text("", NULL);
	assert_string_equal(s, "");
	free(s);
}

/* Three pages, each framed by the same header and a numbered footer. */
static void build_paged_doc(struct extracted *doc)
{
	static const char *const bodies[] = {
		"Le diaphragme r\xC3\xA8gle la quantit\xC3\xA9 de lumi\xC3\xA8re.",
		"La vitesse d'obturation fige ou fl\xC3\xA8"
		"che le mouvement.",
		"La sensibilit\xC3\xA9 ISO amplifie le signal du capteur.",
	};
	char footer[32];
	memset(doc, 0, sizeof(*doc));
	for (int p = 1; p <= 3; p++) {
		const char *header = "Cours de photo \xE2\x80\x94 Module 3";
		extracted_add_page(doc, p, PAGE_TEXT, 500);
		extracted_add_block(doc, BLOCK_PARAGRAPH, 0, p, header, strlen(header));
		if (p == 2) {
			const char *once = "Encadr\xC3\xA9 : la r\xC3\xA8gle des tiers";
			extracted_add_block(doc, BLOCK_PARAGRAPH, 0, p, once, strlen(once));
		}
		extracted_add_block(doc, BLOCK_PARAGRAPH, 0, p, bodies[p - 1], strlen(bodies[p - 1]));
		snprintf(footer, sizeof(footer), "Page %d / 3", p);
		extracted_add_block(doc, BLOCK_PARAGRAPH, 0, p, footer, strlen(footer));
	}
}

static int doc_has_text(const struct extracted *doc, const char *needle)
{
	for (size_t i = 0; i < doc->nblocks; i++)
		if (strstr(doc->blocks[i].text, needle))
			return 1;
	return 0;
}

static void test_running_headers_removed(void **state)
{
	struct config cfg;
	struct extracted doc;
	struct clean_stats stats;
	config_init(&cfg);
	build_paged_doc(&doc);
	clean_document(&doc, &cfg, 1, &stats);
	assert_int_equal(stats.repeated_removed, 6);
	assert_false(doc_has_text(&doc, "Cours de photo"));
	assert_false(doc_has_text(&doc, "Page "));
	/* a line on one page only is content */
	assert_true(doc_has_text(&doc, "la r\xC3\xA8gle des tiers"));
	assert_int_equal(doc.nblocks, 4);
	assert_true(doc_has_text(&doc, "Le diaphragme"));
	assert_true(doc_has_text(&doc, "La vitesse"));
	assert_true(doc_has_text(&doc, "La sensibilit"));
	extracted_release(&doc);
	config_release(&cfg);
}

static void test_garbage_blocks(void **state)
{
	struct config cfg;
	struct extracted doc = { 0 };
	struct clean_stats stats;
	static const char *const blocks[] = { "|||| ~~~ ***", "1/125 1/250 1/500",
					      "R\xC3\xA9glez la vitesse.", "  \n  " };
	config_init(&cfg);
	extracted_add_page(&doc, 1, PAGE_TEXT, 100);
	for (size_t i = 0; i < 4; i++)
		extracted_add_block(&doc, BLOCK_PARAGRAPH, 0, 1, blocks[i], strlen(blocks[i]));
	clean_document(&doc, &cfg, 1, &stats);
	assert_int_equal(stats.garbage_dropped, 1);
	assert_int_equal(doc.nblocks, 2);
	assert_string_equal(doc.blocks[0].text, "1/125 1/250 1/500");
	assert_string_equal(doc.blocks[1].text, "R\xC3\xA9glez la vitesse.");
	extracted_release(&doc);
	config_release(&cfg);
}

static void test_clean_document_normalises_blocks(void **state)
{
	struct config cfg;
	struct extracted doc = { 0 };
	struct clean_stats stats;
	const char *raw = "Le pro\xEF\xAC\x81l de l'expo-\nsition\x07 est r\xC3\xA9gl\xC2\xAD"
			  "\xC3\xA9.";
	config_init(&cfg);
	extracted_add_page(&doc, 1, PAGE_TEXT, 100);
	extracted_add_block(&doc, BLOCK_PARAGRAPH, 0, 1, raw, strlen(raw));
	doc.title = strdup("  Titre\xC2\xA0 avec\nligne ");
	clean_document(&doc, &cfg, 1, &stats);
	assert_int_equal(doc.nblocks, 1);
	assert_string_equal(doc.blocks[0].text, "Le profil de l'exposition est r\xC3\xA9gl\xC3\xA9.");
	assert_int_equal(stats.hyphens_joined, 1);
	assert_string_equal(doc.title, "Titre avec ligne");
	extracted_release(&doc);
	config_release(&cfg);
}

static void test_utf8_repair(void **state)
{
	static const char bad[] = "ok \xFF | \xC3 | \xE2\x82 | \xC0\xAF | \xED\xA0\x80 | "
				  "\x80\x80 | \xF4\x90\x80\x80 | \xC3\xA9t\xC3\xA9 \xE2\x82";
	struct strbuf out = STRBUF_INIT;
	size_t replaced = utf8_repair(bad, sizeof(bad) - 1, &out), seen;
	count_valid_utf8(out.buf, out.len, &seen);
	assert_int_equal(replaced, 8);
	assert_int_equal(seen, replaced);
	assert_non_null(strstr(out.buf, "\xC3\xA9t\xC3\xA9")); /* valid text survives */
	assert_int_equal(strncmp(out.buf, "ok \xEF\xBF\xBD |", 7), 0);

	strbuf_reset(&out);
	assert_int_equal(utf8_repair("d\xC3\xA9j\xC3\xA0", 6, &out), 0);
	assert_string_equal(out.buf, "d\xC3\xA9j\xC3\xA0");
	strbuf_release(&out);
}

static void test_utf8_clip(void **state)
{
	const char *ete = "\xC3\xA9t\xC3\xA9"; /* "été", 5 bytes */
	assert_int_equal(utf8_clip(ete, 1), 0);
	assert_int_equal(utf8_clip(ete, 2), 2);
	assert_int_equal(utf8_clip(ete, 4), 3);
	assert_int_equal(utf8_clip(ete, 5), 5);
	assert_int_equal(utf8_clip(ete, 64), 5);
}

static void test_text_decode(void **state)
{
	struct strbuf out = STRBUF_INIT;
	size_t repaired = 99;

	assert_int_equal(text_decode("\xC3\xA9t\xC3\xA9", 5, &out, &repaired), ENC_UTF8);
	assert_string_equal(out.buf, "\xC3\xA9t\xC3\xA9");
	assert_int_equal(repaired, 0);

	strbuf_reset(&out);
	assert_int_equal(text_decode("\xEF\xBB\xBF"
				     "bonjour",
				     10, &out, &repaired),
			 ENC_UTF8);
	assert_string_equal(out.buf, "bonjour");

	strbuf_reset(&out);
	static const char legacy[] = "\xe9t\xe9 \x9cuvre";
	assert_int_equal(text_decode(legacy, sizeof(legacy) - 1, &out, &repaired), ENC_CP1252);
	assert_string_equal(out.buf, "\xC3\xA9t\xC3\xA9 \xC5\x93uvre");

	static const char nul[] = "du texte avec un\0octet nul au milieu d'une longue phrase, "
				  "bien plus longue que cent octets pour que le ratio ne suffise pas "
				  "\xC3\xA0 lui seul.";
	strbuf_reset(&out);
	assert_int_equal(text_decode(nul, sizeof(nul) - 1, &out, &repaired), ENC_BINARY);
	assert_int_equal(out.len, 0);
	assert_int_equal(text_decode("a\0b", 3, &out, &repaired), ENC_BINARY);
	assert_int_equal(out.len, 0);
	strbuf_release(&out);
}

static void test_text_decode_damaged_utf8(void **state)
{
	struct strbuf raw = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	size_t repaired, seen;
	/* the fixture: mostly valid UTF-8, a lone 0xC3, a 0xFF and half a euro sign at the end */
	assert_int_equal(read_file(FIXTURES "/broken-utf8.txt", &raw, 0, &err), 0);
	assert_int_equal(text_decode(raw.buf, raw.len, &out, &repaired), ENC_UTF8_REPAIRED);
	assert_int_equal(repaired, 3);
	count_valid_utf8(out.buf, out.len, &seen);
	assert_int_equal(seen, 3);
	assert_non_null(strstr(out.buf, "obturation"));

	/* fewer accents than damage: valid sequences still rule out Windows-1252 */
	static const char damaged[] = "L'obturation r\xC3\xA8gle le temps \xC3 de pose \xFF, "
				      "\xC3\xA0 1/500 de seconde \xE2\x82";
	strbuf_reset(&out);
	enum text_encoding enc = text_decode(damaged, sizeof(damaged) - 1, &out, &repaired);
	if (enc != ENC_UTF8_REPAIRED)
		print_error("decoded as %s: \"%s\"\n", text_encoding_name(enc), out.buf);
	int ok = enc == ENC_UTF8_REPAIRED && strstr(out.buf, "r\xC3\xA8gle") != NULL;
	strbuf_release(&raw);
	strbuf_release(&out);
	strbuf_release(&err);
	assert_true(ok);
	assert_int_equal(repaired, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_ligatures_and_nfc),
		cmocka_unit_test(test_normalize_drops_invisible_and_control),
		cmocka_unit_test(test_block_dehyphenation),
		cmocka_unit_test(test_block_hyphenated_compound_kept),
		cmocka_unit_test(test_block_table_rows_stay_lines),
		cmocka_unit_test(test_soft_hyphen_at_line_end_joins),
		cmocka_unit_test(test_block_lines_and_whitespace),
		cmocka_unit_test(test_running_headers_removed),
		cmocka_unit_test(test_garbage_blocks),
		cmocka_unit_test(test_clean_document_normalises_blocks),
		cmocka_unit_test(test_utf8_repair),
		cmocka_unit_test(test_utf8_clip),
		cmocka_unit_test(test_text_decode),
		cmocka_unit_test(test_text_decode_damaged_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for the extract stage (pipeline/extract.h): HTML (headings,
 * skipped script/style/nav, entities, title), Markdown (heading levels,
 * lists, code), plain text (underlined and numbered headings, paragraphs),
 * text files decoded on the way in, and PDFs through MuPDF: encrypted,
 * without a text layer, and over the page limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "pipeline/document_wire.h"
#include "pipeline/extract.h"
#include "pipeline/html_cdata.h"

#ifndef FIXTURES
#define FIXTURES "/work/main/tests/fixtures/bad"
#endif

/* The index of the first block containing `needle`, or -1. */
static int find_block(const struct extracted *doc, const char *needle)
{
	for (size_t i = 0; i < doc->nblocks; i++)
		if (strstr(doc->blocks[i].text, needle))
			return (int)i;
	return -1;
}

static void assert_heading(const struct extracted *doc, const char *text, int level)
{
	int i = find_block(doc, text);
	if (i < 0)
		print_error("no block with \"%s\"\n", text);
	assert_true(i >= 0);
	assert_string_equal(doc->blocks[i].text, text);
	assert_int_equal(doc->blocks[i].kind, BLOCK_HEADING);
	assert_int_equal(doc->blocks[i].level, level);
}

static void assert_paragraph(const struct extracted *doc, const char *text)
{
	int i = find_block(doc, text);
	if (i < 0)
		print_error("no block with \"%s\"\n", text);
	assert_true(i >= 0);
	assert_int_equal(doc->blocks[i].kind, BLOCK_PARAGRAPH);
}

static void test_html(void **state)
{
	static const char html[] =
		"<!DOCTYPE html><html><head><title>Cours &amp; exercices</title>"
		"<style>body { color: red; }</style><script>var secret = 1;</script></head>"
		"<body><nav><a href=\"/\">Accueil du site</a></nav>"
		"<h1>La lumi&egrave;re</h1><p>Une belle journ&eacute;e&nbsp;: f/8 et 1/250.</p>"
		"<h2>R&eacute;glages</h2><p>Premier<br>second</p>"
		"<script>document.write('pub');</script></body></html>";
	struct extracted doc = { 0 };
	assert_int_equal(extract_html(html, sizeof(html) - 1, &doc), 0);
	assert_string_equal(doc.title, "Cours & exercices");
	assert_heading(&doc, "La lumi\xC3\xA8re", 1);
	assert_heading(&doc, "R\xC3\xA9glages", 2);
	assert_paragraph(&doc, "Une belle journ\xC3\xA9"
			       "e\xC2\xA0: f/8 et 1/250.");
	assert_paragraph(&doc, "Premier\nsecond");
	assert_true(find_block(&doc, "&") < 0);
	assert_true(find_block(&doc, "secret") < 0);
	assert_true(find_block(&doc, "color") < 0);
	assert_true(find_block(&doc, "pub") < 0);
	assert_true(find_block(&doc, "Accueil") < 0);
	assert_int_equal(doc.npages, 1);
	assert_int_equal(doc.pages[0].method, PAGE_TEXT);
	/* the heading comes before its paragraph */
	assert_true(find_block(&doc, "La lumi") < find_block(&doc, "Une belle"));
	extracted_release(&doc);
}

/* `n` copies of `open`, the text, `n` copies of `close`, then a last paragraph. */
static char *nested_html(const char *open, const char *close, int n, size_t *len)
{
	size_t cap = (strlen(open) + strlen(close)) * (size_t)n + 128, used = 0;
	char *html = malloc(cap);
	used += (size_t)snprintf(html, cap, "<html><body>");
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(html + used, cap - used, "%s", open);
	used += (size_t)snprintf(html + used, cap - used, "au fond");
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(html + used, cap - used, "%s", close);
	used += (size_t)snprintf(html + used, cap - used, "<p>la suite</p></body></html>");
	*len = used;
	return html;
}

/*
 * 200,000 nested <span> overflowed the stack of a recursive walk; 100,000
 * nested <div> took 32 s in the parser.  Now: the deep tags are dropped,
 * the text kept, and a warning says so.
 */
static void test_html_deep_nesting(void **state)
{
	static const char *const tags[][2] = { { "<span>", "</span>" }, { "<div>", "</div>" } };
	for (size_t t = 0; t < 2; t++) {
		size_t len;
		char *html = nested_html(tags[t][0], tags[t][1], 200000, &len);
		struct extracted doc = { 0 };
		assert_int_equal(extract_html(html, len, &doc), 0);
		assert_true(find_block(&doc, "au fond") >= 0);
		assert_true(find_block(&doc, "la suite") >= 0);
		assert_int_equal(doc.nwarnings, 1);
		assert_non_null(strstr(doc.warnings[0], "200000 elements deep"));
		extracted_release(&doc);
		free(html);
	}
	/* ordinary sloppy HTML (unclosed <p> and <li>) is left alone */
	size_t len;
	char *html = nested_html("<p>x<li>y<br><img src=a.png><td>", "</p>", 2000, &len);
	struct extracted doc = { 0 };
	assert_int_equal(extract_html(html, len, &doc), 0);
	assert_int_equal(doc.nwarnings, 0);
	extracted_release(&doc);
	free(html);
}

/*
 * gumbo 0.10.1 aborts on CDATA in SVG within a table (the fuzzer's
 * reproducer): CDATA becomes its text, escaped, before gumbo sees it.
 */
static void test_html_cdata_does_not_reach_gumbo(void **state)
{
	static const char crash[] = "<table><svg><title><![CDATA[z]]>y";
	struct extracted doc = { 0 };
	assert_int_equal(extract_html(crash, sizeof(crash) - 1, &doc), 0); /* aborted before */
	extracted_release(&doc);
	size_t len;
	static const char mixed[] = "<p>a<![CDATA[<b> & c]]>d<![CDATA[e";
	char *plain = html_cdata_as_text(mixed, sizeof(mixed) - 1, &len);
	assert_string_equal(plain, "<p>a&lt;b&gt; &amp; cde");
	assert_int_equal(len, strlen(plain));
	free(plain);
	assert_null(html_cdata_as_text("<p>no cdata</p>", 15, &len));
}

/* A document crosses from a parser worker to the run unchanged; damaged bytes are an error. */
static void test_wire_round_trip(void **state)
{
	static const char md[] = "# Titre\n\nUn paragraphe.\n\n## Partie\n\nFin.\n";
	struct extracted doc = { 0 }, back = { 0 };
	assert_int_equal(extract_markdown(md, sizeof(md) - 1, &doc), 0);
	doc.encoding = "utf-8";
	extracted_warn(&doc, "une remarque");
	struct strbuf msg = STRBUF_INIT, err = STRBUF_INIT;
	wire_put_extracted(&msg, 0, &doc, NULL);
	assert_int_equal(wire_get_extracted(msg.buf, msg.len, &back, &err), 0);
	assert_int_equal(back.nblocks, doc.nblocks);
	for (size_t i = 0; i < doc.nblocks; i++) {
		assert_string_equal(back.blocks[i].text, doc.blocks[i].text);
		assert_int_equal(back.blocks[i].kind, doc.blocks[i].kind);
		assert_int_equal(back.blocks[i].level, doc.blocks[i].level);
	}
	assert_int_equal(back.npages, doc.npages);
	assert_int_equal(back.pages[0].chars, doc.pages[0].chars);
	assert_int_equal(back.nwarnings, 1);
	assert_string_equal(back.warnings[0], "une remarque");
	assert_non_null(back.encoding);
	extracted_release(&back);
	/* cut short: refused, nothing half-decoded kept */
	assert_int_equal(wire_get_extracted(msg.buf, msg.len - 3, &back, &err), -1);
	assert_string_equal(err.buf, "the parser worker sent a damaged message");
	assert_int_equal(back.nblocks, 0);
	/* a failure carries its reason */
	strbuf_reset(&msg);
	strbuf_reset(&err);
	wire_put_extracted(&msg, -1, NULL, "the PDF is encrypted");
	assert_int_equal(wire_get_extracted(msg.buf, msg.len, &back, &err), -1);
	assert_string_equal(err.buf, "the PDF is encrypted");
	strbuf_release(&msg);
	strbuf_release(&err);
	extracted_release(&doc);
}

static void test_markdown(void **state)
{
	static const char md[] = "# A\n\ntext with `code` and [a link](https://x.fr)\n\n## B\n\n"
				 "- item one\n- item two\n\n```\nexiftool -all= photo.jpg\n```\n";
	struct extracted doc = { 0 };
	assert_int_equal(extract_markdown(md, sizeof(md) - 1, &doc), 0);
	assert_heading(&doc, "A", 1);
	assert_heading(&doc, "B", 2);
	assert_paragraph(&doc, "text with code and a link");
	assert_paragraph(&doc, "item one");
	assert_paragraph(&doc, "item two");
	assert_paragraph(&doc, "exiftool -all= photo.jpg");
	assert_true(find_block(&doc, "https://") < 0); /* the URL is not text */
	assert_true(find_block(&doc, "#") < 0);
	assert_true(find_block(&doc, "```") < 0);
	assert_true(find_block(&doc, "A") < find_block(&doc, "text with"));
	extracted_release(&doc);
}

static void test_plain_text(void **state)
{
	static const char txt[] = "Titre du cours\n==============\n\n"
				  "Une introduction courte.\n\n"
				  "R\xC3\xA9glages\n--------\n\n"
				  "2.1 R\xC3\xA9glages de base\n\n"
				  "Un paragraphe\nsur deux lignes.\r\n\r\n"
				  "   \n"
				  "Dernier paragraphe.\n";
	struct extracted doc = { 0 };
	assert_int_equal(extract_plain_text(txt, sizeof(txt) - 1, &doc), 0);
	assert_int_equal(doc.nblocks, 6);
	assert_heading(&doc, "Titre du cours", 1);
	assert_heading(&doc, "R\xC3\xA9glages", 2);
	assert_heading(&doc, "2.1 R\xC3\xA9glages de base", 2);
	assert_paragraph(&doc, "Une introduction courte.");
	assert_paragraph(&doc, "Un paragraphe\nsur deux lignes.");
	assert_paragraph(&doc, "Dernier paragraphe.");
	assert_true(find_block(&doc, "===") < 0);
	assert_true(find_block(&doc, "\r") < 0);
	assert_int_equal(doc.pages[0].method, PAGE_TEXT);
	extracted_release(&doc);
}

static void test_text_files_decoded(void **state)
{
	struct config cfg;
	struct extracted doc = { 0 };
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	struct extractor *ex = extractor_new(&cfg);
	/* named .png, but text: extracted as text */
	assert_int_equal(extract_document(ex, FIXTURES "/fake.png", TYPE_TEXT, &doc, &err), 0);
	assert_true(find_block(&doc, "st\xC3\xA9nop\xC3\xA9") >= 0);
	assert_string_equal(doc.encoding, "utf-8");
	extracted_release(&doc);
	assert_int_equal(extract_document(ex, FIXTURES "/latin1.txt", TYPE_TEXT, &doc, &err), 0);
	assert_true(find_block(&doc, "r\xC3\xA9v\xC3\xA9lateur") >= 0);
	assert_true(find_block(&doc, "\xC5\x93uvre") >= 0);
	assert_string_equal(doc.encoding, "windows-1252");
	extracted_release(&doc);
	assert_int_equal(extract_document(ex, FIXTURES "/empty.txt", TYPE_EMPTY, &doc, &err), -1);
	assert_non_null(strstr(err.buf, "empty"));
	extracted_release(&doc);
	extractor_free(ex);
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_pdf_fixtures(void **state)
{
	struct config cfg;
	struct extracted doc = { 0 };
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	assert_int_equal(config_set(&cfg, "collect.max_pages", "100", "test", &err), 0);
	struct extractor *ex = extractor_new(&cfg);

	assert_int_equal(extract_document(ex, FIXTURES "/encrypted.pdf", TYPE_PDF, &doc, &err), -1);
	assert_non_null(strstr(err.buf, "encrypted"));
	extracted_release(&doc);

	strbuf_reset(&err);
	assert_int_equal(extract_document(ex, FIXTURES "/no-text-layer.pdf", TYPE_PDF, &doc, &err), 0);
	assert_int_equal(err.len, 0);
	assert_int_equal(doc.npages, 1);
	assert_int_equal(doc.pages[0].page_no, 1);
	assert_int_equal(doc.pages[0].method, PAGE_NEEDS_OCR);
	assert_int_equal(doc.nblocks, 0);
	extracted_release(&doc);

	assert_int_equal(extract_document(ex, FIXTURES "/many-pages.pdf", TYPE_PDF, &doc, &err), -1);
	assert_non_null(strstr(err.buf, "2000 pages"));
	assert_int_equal(doc.nblocks, 0);
	extracted_release(&doc);

	/* damaged files fail with a reason, and the extractor stays usable afterwards */
	strbuf_reset(&err);
	assert_int_equal(extract_document(ex, FIXTURES "/truncated.pdf", TYPE_PDF, &doc, &err), -1);
	assert_true(err.len > 0);
	extracted_release(&doc);
	strbuf_reset(&err);
	assert_int_equal(extract_document(ex, FIXTURES "/corrupt.pdf", TYPE_PDF, &doc, &err), -1);
	assert_true(err.len > 0);
	extracted_release(&doc);
	strbuf_reset(&err);
	assert_int_equal(extract_document(ex, FIXTURES "/no-text-layer.pdf", TYPE_PDF, &doc, &err), 0);
	assert_int_equal(doc.npages, 1);
	extracted_release(&doc);

	extractor_free(ex);
	config_release(&cfg);
	strbuf_release(&err);
}

/*
 * A PDF whose second page cannot be loaded, after a first page with text:
 * the document fails with a reason and nothing read from page 1 leaks
 * (it did: the blocks lived in a local changed inside fz_try, lost when
 * MuPDF threw; LeakSanitizer saw it under the fuzzer, fuzz/regressions/ingest/).
 */
static void test_pdf_fails_after_a_good_page(void **state)
{
	static const char pdf[] = "%PDF-1.4\n"
				  "1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
				  "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 2>>endobj\n"
				  "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 300]/Contents 4 0 R"
				  "/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
				  "4 0 obj<</Length 60>>stream\n"
				  "BT /F1 12 Tf 20 200 Td (Une page lisible, puis une absente) Tj ET\n"
				  "endstream endobj\n"
				  "5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
				  "trailer<</Root 1 0 R>>\n%%EOF\n";
	char path[] = "/tmp/ragops-test-extract-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(pdf, 1, sizeof(pdf) - 1, fp), sizeof(pdf) - 1);
	assert_int_equal(fclose(fp), 0);

	struct config cfg;
	struct extracted doc = { 0 };
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	struct extractor *ex = extractor_new(&cfg);
	assert_int_equal(extract_document(ex, path, TYPE_PDF, &doc, &err), -1);
	assert_true(err.len > 0);
	extracted_release(&doc);
	extractor_free(ex);
	config_release(&cfg);
	strbuf_release(&err);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_html_deep_nesting),
		cmocka_unit_test(test_html_cdata_does_not_reach_gumbo),
		cmocka_unit_test(test_wire_round_trip),
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_text_files_decoded),
		cmocka_unit_test(test_pdf_fixtures),
		cmocka_unit_test(test_pdf_fails_after_a_good_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for type detection (pipeline/detect.h): magic bytes for PDF
 * and images, empty and binary content, HTML, Markdown and plain text
 * told apart by content, file names ignored; and the hidden/temporary
 * names the collect stage skips (pipeline/collect.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/collect.h"
#include "pipeline/detect.h"
#include "text/utf8.h"

#ifndef FIXTURES
#define FIXTURES "/work/main/tests/fixtures/bad"
#endif

/* Detect a byte string given with its length (it may hold NULs). */
#define DETECT(bytes) detect_type((const unsigned char *)(bytes), sizeof(bytes) - 1)
/* Detect a C string. */
static enum doc_type detect_str(const char *s)
{
	return detect_type((const unsigned char *)s, strlen(s));
}

static void test_magic_bytes(void **state)
{
	assert_int_equal(DETECT("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj"), TYPE_PDF);
	assert_int_equal(DETECT("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), TYPE_PNG);
	assert_int_equal(DETECT("\xFF\xD8\xFF\xE0\0\x10JFIF\0"), TYPE_JPEG);
	assert_int_equal(DETECT("II*\0\x08\0\0\0"), TYPE_TIFF);
	assert_int_equal(DETECT("MM\0*\0\0\0\x08"), TYPE_TIFF);
	/* a PNG signature cut short is not a PNG */
	assert_int_not_equal(DETECT("\x89PNG"), TYPE_PNG);
	assert_string_equal(doc_type_name(TYPE_PDF), "pdf");
	assert_string_equal(doc_type_name(TYPE_TIFF), "tiff");
}

static void test_empty_and_binary(void **state)
{
	assert_int_equal(detect_type((const unsigned char *)"", 0), TYPE_EMPTY);
	assert_int_equal(DETECT("du texte\0puis un NUL"), TYPE_BINARY);
	assert_int_equal(DETECT("PK\x03\x04\x14\0\x06\0"), TYPE_BINARY); /* a zip, e.g. .docx */
	assert_int_equal(DETECT("\x01\x02\x03\x04\x05\x06"), TYPE_BINARY);
	assert_string_equal(doc_type_name(TYPE_EMPTY), "empty");
	assert_string_equal(doc_type_name(TYPE_BINARY), "binary");
}

static void test_html(void **state)
{
	assert_int_equal(detect_str("<!DOCTYPE html>\n<html><body><p>Bonjour</p></body></html>"),
			 TYPE_HTML);
	assert_int_equal(detect_str("\n\n   <html lang=\"fr\">\n<head><title>T</title></head>"),
			 TYPE_HTML);
	assert_int_equal(detect_str("\xEF\xBB\xBF<!doctype HTML><title>x</title>"), TYPE_HTML);
	assert_int_equal(detect_str("\xEF\xBB\xBF  \r\n<HTML><BODY>x</BODY></HTML>"), TYPE_HTML);
	/* prose that merely mentions a tag is not a web page */
	assert_int_not_equal(detect_str("Le fichier commence par <html> en g\xC3\xA9n\xC3\xA9ral."),
			     TYPE_HTML);
	assert_string_equal(doc_type_name(TYPE_HTML), "html");
}

static void test_markdown_and_text(void **state)
{
	assert_int_equal(detect_str("# Titre\n\nTexte du cours."), TYPE_MARKDOWN);
	assert_int_equal(detect_str("Exemple :\n\n```\nexiftool photo.jpg\n```\n"), TYPE_MARKDOWN);
	assert_int_equal(detect_str("Intro\n\n## Section\n\nVoir [le site](https://x.fr)."),
			 TYPE_MARKDOWN);
	assert_int_equal(detect_str(
				 "Le diaphragme r\xC3\xA8gle la lumi\xC3\xA8re.\n\nF/2.8 : ouvert.\n"),
			 TYPE_TEXT);
	/* a hash sign without a space is a hashtag, not a heading */
	assert_int_equal(detect_str("#photo #nuit\nSortie samedi.\n"), TYPE_TEXT);
	assert_string_equal(doc_type_name(TYPE_MARKDOWN), "markdown");
	assert_string_equal(doc_type_name(TYPE_TEXT), "text");
}

/* Windows' "Unicode" text: UTF-16 with a byte-order mark, either order. */
static void test_utf16_with_its_mark(void **state)
{
	static const unsigned char html_le[] = "\xFF\xFE<\0h\0t\0m\0l\0>\0<\0b\0o\0d\0y\0>\0x\0";
	static const unsigned char text_be[] = "\xFE\xFF\0O\0u\0i\0\xE9\0\n";
	assert_int_equal(detect_type(html_le, sizeof(html_le) - 1), TYPE_HTML);
	assert_int_equal(detect_type(text_be, sizeof(text_be) - 1), TYPE_TEXT);

	struct strbuf out = STRBUF_INIT;
	size_t repaired;
	assert_int_equal(text_decode((const char *)text_be, sizeof(text_be) - 1, &out, &repaired),
			 ENC_UTF16BE);
	assert_string_equal(out.buf, "Oui\xC3\xA9\n");
	strbuf_reset(&out);
	/* a lone surrogate and a cut last unit are repaired; a NUL once decoded is not text */
	static const char lone[] = "\xFF\xFE"
				   "a\0"
				   "\x00\xD8"
				   "b\0"
				   "A";
	static const char nul[] = "\xFF\xFE"
				  "a\0\0\0b\0";
	assert_int_equal(text_decode(lone, sizeof(lone) - 1, &out, &repaired), ENC_UTF16LE);
	assert_string_equal(out.buf, "a\xEF\xBF\xBD"
				     "b\xEF\xBF\xBD");
	assert_int_equal(repaired, 2);
	strbuf_reset(&out);
	assert_int_equal(text_decode(nul, sizeof(nul) - 1, &out, &repaired), ENC_BINARY);
	assert_int_equal(out.len, 0);
	/* UTF-32 is not taken for UTF-16, whose mark it starts with */
	static const char wide[] = "\xFF\xFE\0\0"
				   "O\0\0\0"
				   "\x00\xF6\x01\0";
	assert_int_equal(text_decode(wide, sizeof(wide) - 1, &out, &repaired), ENC_UTF32LE);
	assert_string_equal(out.buf, "O\xF0\x9F\x98\x80");
	static const unsigned char html32[] = "\0\0\xFE\xFF\0\0\0<\0\0\0h\0\0\0t\0\0\0m\0\0\0l\0\0\0>";
	assert_int_equal(detect_type(html32, sizeof(html32) - 1), TYPE_HTML);
	strbuf_release(&out);
}

/* detect_fd on a file opened by path; -1 with why when it is not a regular file. */
static int detect_path(const char *path, enum doc_type *type, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	assert_true(fd >= 0);
	int rc = detect_fd(fd, path, type, why, whylen);
	close(fd);
	return rc;
}

/* The content decides; a name only settles text against Markdown. */
static void test_detect_fd_content_first(void **state)
{
	enum doc_type type = TYPE_BINARY;
	char why[256] = "";
	assert_int_equal(detect_path(FIXTURES "/fake.png", &type, why, sizeof(why)), 0);
	assert_int_equal(type, TYPE_TEXT);
	assert_int_equal(detect_path(FIXTURES "/encrypted.pdf", &type, why, sizeof(why)), 0);
	assert_int_equal(type, TYPE_PDF);
	assert_int_equal(detect_path(FIXTURES "/empty.pdf", &type, why, sizeof(why)), 0);
	assert_int_equal(type, TYPE_EMPTY);
	assert_int_equal(detect_path(FIXTURES "/junk.txt", &type, why, sizeof(why)), 0);
	assert_int_equal(type, TYPE_BINARY);
	char md[] = "/tmp/test_detect.XXXXXX.md";
	int fd = mkstemps(md, 3);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "> Une citation.\n", 16), 16);
	assert_int_equal(detect_fd(fd, md, &type, why, sizeof(why)), 0);
	assert_int_equal(type, TYPE_MARKDOWN);
	close(fd);
	unlink(md);
	assert_int_equal(detect_path(FIXTURES, &type, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no longer a regular file"));
}

static void test_ignored_names(void **state)
{
	static const char *const ignored[] = {
		".hidden", "~$doc.docx", "notes.txt~",  "x.tmp",
		"x.part",  "#x#",        ".~lock.doc#", "film.crdownload"
	};
	static const char *const kept[] = { "photo.jpg", "cours.pdf", "notes.txt",
					    "a~b.txt",   "tmp.txt",   "partie.md" };
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		if (!collect_is_ignored_name(ignored[i]))
			print_error("'%s' should be ignored\n", ignored[i]);
		assert_true(collect_is_ignored_name(ignored[i]));
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (collect_is_ignored_name(kept[i]))
			print_error("'%s' should be kept\n", kept[i]);
		assert_false(collect_is_ignored_name(kept[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magic_bytes),
		cmocka_unit_test(test_empty_and_binary),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_markdown_and_text),
		cmocka_unit_test(test_utf16_with_its_mark),
		cmocka_unit_test(test_detect_fd_content_first),
		cmocka_unit_test(test_ignored_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

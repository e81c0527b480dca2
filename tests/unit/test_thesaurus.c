/*
 * Unit tests for the thesaurus readers (text/thesaurus.h): a small MyThes
 * file and a small WordNet folder written here, read back (parts of speech
 * skipped, annotations and phrases left out, an inflected form found by
 * its stem, WordNet's first senses only), errors that name the file and
 * line, no FIFO or folder read as a file; then Debian's mythes-fr and
 * WordNet when installed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "text/thesaurus.h"
#include "text/tokenize.h"
#include "wordmap_lookup.h"

static char dir[] = "/tmp/test_thesaurus.XXXXXX";

static char *write_file(const char *name, const char *text)
{
	struct strbuf path = STRBUF_INIT;
	strbuf_addf(&path, "%s/%s", dir, name);
	FILE *fp = fopen(path.buf, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return strbuf_detach(&path, NULL);
}

static void test_mythes(void **state)
{
	(void)state;
	char *path = write_file("th.dat", "UTF-8\n"
					  "afficher|2\n"
					  "(Verbe)|montrer|visualiser\n"
					  "(Verbe)|placarder|mettre en vue\n"
					  "objectif|1\n"
					  "(Nom)|but (générique)|cible\n"
					  "abaisse-langue|1\n"
					  "(Nom)|spatule\n"
					  "langue|1\n"
					  "(Nom)|idiome|langue-de-bœuf\n"
					  "mot de passe|1\n"
					  "(Nom)|sésame\n"
					  "rien|0\n");
	struct strbuf err = STRBUF_INIT;
	struct bidict *d = thesaurus_load(path, LANG_FR, &err);
	assert_non_null(d);
	assert_int_equal(bidict_size(d), 4); /* not the phrase, nor the compound */
	assert_int_equal(bidict_from(d), LANG_FR);
	assert_int_equal(bidict_to(d), LANG_FR);
	expect(d, "afficher", "montrer|visualiser|placarder");
	expect(d, "affiche", "montrer|visualiser|placarder"); /* by its stem */
	expect(d, "objectifs", "but|cible");
	expect(d, "rien", "");
	/* A compound stems as its first word: "abaisse-langue" is not "abaisser". */
	expect(d, "abaisser", "");
	expect(d, "langue", "idiome");
	/* Each word's index token, in the same language. */
	struct tokenizer *tok = tokenizer_new();
	struct strbuf stem = STRBUF_INIT;
	const char *to[8], *stems[8];
	assert_int_equal(tokenizer_stem(tok, LANG_FR, "afficher", strlen("afficher"), &stem), 0);
	assert_int_equal(bidict_translations(d, stem.buf, stem.len, to, stems, 8), 3);
	struct strbuf want = STRBUF_INIT;
	assert_int_equal(tokenizer_stem(tok, LANG_FR, "visualiser", strlen("visualiser"), &want), 0);
	assert_string_equal(stems[1], want.buf);
	strbuf_release(&want);
	strbuf_release(&stem);
	tokenizer_free(tok);
	bidict_free(d);
	free(path);
	strbuf_release(&err);
}

static void test_mythes_errors(void **state)
{
	(void)state;
	struct strbuf err = STRBUF_INIT;
	char *path = write_file("latin1.dat", "ISO8859-1\nchat|1\n(Nom)|matou\n");
	assert_null(thesaurus_load(path, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "latin1.dat:1:"));
	free(path);
	path = write_file("short.dat", "UTF-8\nchat|2\n(Nom)|matou\n");
	strbuf_reset(&err);
	assert_null(thesaurus_load(path, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "short.dat:4: the file ends inside an entry"));
	free(path);
	path = write_file("bad.dat", "UTF-8\nchat|1\n(Nom)|matou\nchien sans barre\n");
	strbuf_reset(&err);
	assert_null(thesaurus_load(path, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "bad.dat:4: not a MyThes headword line"));
	free(path);
	/* A NUL byte would cut a word short, an invalid sequence would be searched as bytes. */
	struct strbuf bytes = STRBUF_INIT;
	strbuf_addstr(&bytes, "UTF-8\nvisu");
	strbuf_addch(&bytes, '\0');
	strbuf_addstr(&bytes, "alise|1\n(Nom)|voir\n");
	struct strbuf nul = STRBUF_INIT;
	strbuf_addf(&nul, "%s/nul.dat", dir);
	FILE *fp = fopen(nul.buf, "w");
	fwrite(bytes.buf, 1, bytes.len, fp);
	fclose(fp);
	strbuf_reset(&err);
	assert_null(thesaurus_load(nul.buf, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "nul.dat:2: not UTF-8 text (a NUL byte"));
	strbuf_release(&nul);
	strbuf_release(&bytes);
	path = write_file("latin.dat", "UTF-8\nvisu\xe9\n|1\n(Nom)|voir\n");
	strbuf_reset(&err);
	assert_null(thesaurus_load(path, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "latin.dat:2: not UTF-8 text (an invalid sequence"));
	free(path);
	struct strbuf fifo = STRBUF_INIT;
	strbuf_addf(&fifo, "%s/fifo.dat", dir);
	assert_int_equal(mkfifo(fifo.buf, 0600), 0);
	strbuf_reset(&err);
	assert_null(thesaurus_load(fifo.buf, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "not a regular file"));
	strbuf_reset(&fifo);
	strbuf_addf(&fifo, "%s/absent.dat", dir);
	strbuf_reset(&err);
	assert_null(thesaurus_load(fifo.buf, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "absent.dat"));
	strbuf_release(&fifo);
	strbuf_release(&err);
}

/* A WordNet part: index.POS and data.POS with synsets at their true byte offsets. */
static void write_wordnet(const char *sub, const char *pos, const char **synsets, size_t n,
			  const char *index_lines)
{
	struct strbuf data = STRBUF_INIT, name = STRBUF_INIT;
	strbuf_addstr(&data, "  1 This software and database is being provided\n");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&data, "%08zu %s\n", data.len, synsets[i]);
	strbuf_addf(&name, "%s/data.%s", sub, pos);
	free(write_file(name.buf, data.buf));
	strbuf_reset(&name);
	strbuf_addf(&name, "%s/index.%s", sub, pos);
	free(write_file(name.buf, index_lines));
	strbuf_release(&data);
	strbuf_release(&name);
}

static void test_wordnet(void **state)
{
	(void)state;
	struct strbuf sub = STRBUF_INIT, err = STRBUF_INIT;
	strbuf_addf(&sub, "%s/wn", dir);
	assert_int_equal(mkdir(sub.buf, 0700), 0);
	/* Offsets: past the licence line, each synset line 9 + its text + 1. */
	const char *nouns[] = {
		"06 n 03 picture 0 image 0 icon 0 000 | a visual representation",
		"06 n 02 picture 0 motion_picture 0 000 | a form of entertainment",
		"06 n 02 picture 0 scene 0 000 | a situation",
		"06 n 02 picture 0 painting 0 000 | fourth sense",
	};
	struct strbuf index = STRBUF_INIT;
	size_t off[4], at = strlen("  1 This software and database is being provided\n");
	for (size_t i = 0; i < 4; i++) {
		off[i] = at;
		at += 9 + strlen(nouns[i]) + 1;
	}
	strbuf_addf(&index,
		    "  1 This software and database\npicture n 4 1 @ 4 4 %08zu %08zu %08zu %08zu\n",
		    off[0], off[1], off[2], off[3]);
	strbuf_addstr(&index, "motion_picture n 1 0 1 0 00000000\n"); /* a phrase: never read */
	write_wordnet("wn", "noun", nouns, 4, index.buf);
	const char *verbs[] = { "29 v 02 shoot 0 film 0 000 | record on film" };
	write_wordnet("wn", "verb", verbs, 1, "shoot v 1 0 1 1 00000049\n");
	const char *adjs[] = { "00 s 02 big(a) 0 large 0 000 | above average" };
	write_wordnet("wn", "adj", adjs, 1, "big a 1 0 1 1 00000049\n");
	write_wordnet("wn", "adv", NULL, 0, "");
	struct bidict *d = thesaurus_load(sub.buf, LANG_EN, &err);
	if (!d)
		fail_msg("%s", err.buf);
	assert_int_equal(bidict_from(d), LANG_EN);
	/* The first three senses, neither the word itself nor phrases. */
	expect(d, "pictures", "image|icon|scene");
	expect(d, "shooting", "film");
	expect(d, "big", "large");
	expect(d, "painting", "");
	bidict_free(d);

	/* A word count past the synset's line reads no other synset's words. */
	const char *long_count[] = { "29 v ff shoot 0 film 0 000 | record on film",
				     "29 v 01 banana 0 000 | a fruit" };
	write_wordnet("wn", "verb", long_count, 2, "shoot v 1 0 1 1 00000049\n");
	strbuf_reset(&err);
	assert_null(thesaurus_load(sub.buf, LANG_EN, &err));
	assert_non_null(strstr(err.buf, "index.verb:1: synset 49 is not in data.verb"));

	/* An offset past the data names the index line. */
	write_wordnet("wn", "verb", verbs, 1, "shoot v 1 0 1 1 00000049\nfilm v 1 0 1 1 00009999\n");
	strbuf_reset(&err);
	assert_null(thesaurus_load(sub.buf, LANG_EN, &err));
	assert_non_null(strstr(err.buf, "index.verb:2: synset 9999 is not in data.verb"));
	strbuf_release(&index);
	strbuf_release(&sub);
	strbuf_release(&err);
}

/* Debian's thesauruses, as ragops reads them by default, when the packages are there. */
static void test_debian(void **state)
{
	(void)state;
	struct strbuf err = STRBUF_INIT;
	int any = 0;
	if (!access("/usr/share/mythes/th_fr_FR_v2.dat", R_OK)) {
		struct bidict *d = thesaurus_load("/usr/share/mythes/th_fr_FR_v2.dat", LANG_FR, &err);
		assert_non_null(d);
		assert_true(bidict_size(d) > 20000);
		char *got = lookup(d, "afficher");
		assert_non_null(strstr(got, "visualiser"));
		free(got);
		bidict_free(d);
		any = 1;
	}
	if (!access("/usr/share/wordnet/index.noun", R_OK)) {
		struct bidict *d = thesaurus_load("/usr/share/wordnet", LANG_EN, &err);
		assert_non_null(d);
		assert_true(bidict_size(d) > 50000);
		char *got = lookup(d, "car");
		assert_non_null(strstr(got, "automobile"));
		free(got);
		bidict_free(d);
		any = 1;
	}
	strbuf_release(&err);
	if (!any)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mythes),
		cmocka_unit_test(test_mythes_errors),
		cmocka_unit_test(test_wordnet),
		cmocka_unit_test(test_debian),
	};
	if (!mkdtemp(dir))
		return 1;
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	return failed;
}

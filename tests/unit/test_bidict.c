/*
 * Unit tests for the bilingual dictionary reader (text/bidict.h): a small
 * dictionary written here in FreeDict's dictd layout (a base-64 index and
 * a gzip'd text), read back: numbered senses, comma-separated synonyms,
 * glosses in brackets and long phrases left out, the description entries
 * skipped, an inflected form found by its stem, and errors that name the
 * file and line; no FIFO or directory is read, nor more than 64 MB of text.  Then Debian's own fra-eng dictionary when installed.
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
#include <zlib.h>

#include "core/strbuf.h"
#include "text/bidict.h"
#include "text/tokenize.h"
#include "wordmap_lookup.h"

static char dir[] = "/tmp/test_bidict.XXXXXX";

static void b64(struct strbuf *sb, unsigned long v)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = digits[v % 64];
		v /= 64;
	} while (v);
	while (n)
		strbuf_addch(sb, tmp[--n]);
}

/* Write NAME.index and NAME.dict.dz from entries "headword\nbody"; returns the base path. */
static char *write_dict(const char *name, const char **entries, size_t n)
{
	struct strbuf text = STRBUF_INIT, index = STRBUF_INIT, path = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		/* The index names the headword alone, without its pronunciation or part of speech. */
		size_t head = strcspn(entries[i], "/<\n");
		while (head && entries[i][head - 1] == ' ')
			head--;
		size_t off = text.len;
		strbuf_addstr(&text, entries[i]);
		strbuf_add(&index, entries[i], head);
		strbuf_addch(&index, '\t');
		b64(&index, off);
		strbuf_addch(&index, '\t');
		b64(&index, strlen(entries[i]));
		strbuf_addch(&index, '\n');
	}
	strbuf_addf(&path, "%s/%s.dict.dz", dir, name);
	gzFile gz = gzopen(path.buf, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, text.buf, (unsigned)text.len), (int)text.len);
	gzclose(gz);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/%s.index", dir, name);
	FILE *fp = fopen(path.buf, "w");
	assert_non_null(fp);
	fwrite(index.buf, 1, index.len, fp);
	fclose(fp);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/%s", dir, name);
	strbuf_release(&text);
	strbuf_release(&index);
	return strbuf_detach(&path, NULL);
}

static void test_senses(void **state)
{
	(void)state;
	const char *entries[] = {
		"00-database-info\nThis dictionary comes to you through nice people.\n",
		"arrêter /aʀɛte/ <v>\n1. arrest\n2. stop\n",
		"disque /disk/ <n, masc>\ndial, disc, record\n",
		"éteindre /etɛ̃dʀ/ <vt>\nextinguish, put out, (fig) bring to an end\n",
		"mot de passe <n>\npassword\n",
		"obturateur <n>\nshutter; a device that opens for a given time\n",
	};
	char *base = write_dict("fra-eng", entries, sizeof(entries) / sizeof(entries[0]));
	struct strbuf err = STRBUF_INIT;
	struct bidict *d = bidict_load(base, LANG_FR, &err);
	assert_non_null(d);
	/* Multi-word headwords are left out: no phrase to match them with. */
	assert_int_equal(bidict_size(d), 4);
	expect(d, "arrêter", "arrest|stop");
	expect(d, "arrête", "arrest|stop"); /* an inflected form, by its stem */
	expect(d, "disques", "dial|disc|record");
	expect(d, "éteindre", "extinguish|put out");
	expect(d, "obturateur", "shutter");
	expect(d, "database", "");
	expect(d, "inconnu", "");
	/* Each translation's index token in English, by its last word ("out" is a stop word). */
	struct tokenizer *tok = tokenizer_new();
	struct strbuf stem = STRBUF_INIT;
	const char *tr[8], *stems[8];
	assert_int_equal(tokenizer_stem(tok, LANG_FR, "éteindre", strlen("éteindre"), &stem), 0);
	assert_int_equal(bidict_translations(d, stem.buf, stem.len, tr, stems, 8), 2);
	assert_string_equal(stems[0], "extinguish");
	assert_null(stems[1]);
	assert_int_equal(tokenizer_stem(tok, LANG_FR, "disques", strlen("disques"), &stem), 0);
	assert_int_equal(bidict_translations(d, stem.buf, stem.len, tr, stems, 8), 3);
	assert_string_equal(stems[2], "record");
	strbuf_release(&stem);
	tokenizer_free(tok);
	bidict_free(d);
	free(base);
	strbuf_release(&err);
}

static void test_errors(void **state)
{
	(void)state;
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
	strbuf_addf(&path, "%s/absent", dir);
	assert_null(bidict_load(path.buf, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "absent.dict.dz"));

	const char *entries[] = { "chat <n>\ncat\n" };
	char *base = write_dict("broken", entries, 1);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s.index", base);
	FILE *fp = fopen(path.buf, "a");
	fputs("chien\tA\tZZZZZZ\n", fp); /* past the end of the text */
	fclose(fp);
	strbuf_reset(&err);
	assert_null(bidict_load(base, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "broken.index:2:"));
	free(base);

	/* Not a regular file (a FIFO would block), and a gzip bomb. */
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/dir.dict.dz", dir);
	assert_int_equal(mkdir(path.buf, 0700), 0);
	strbuf_setlen(&path, path.len - strlen(".dict.dz"));
	strbuf_reset(&err);
	assert_null(bidict_load(path.buf, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "not a regular file"));
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/bomb.dict.dz", dir);
	gzFile gz = gzopen(path.buf, "wb9");
	static char zeros[1 << 16];
	for (int i = 0; i < (65 << 20) / (int)sizeof(zeros); i++)
		assert_int_equal(gzwrite(gz, zeros, sizeof(zeros)), (int)sizeof(zeros));
	gzclose(gz);
	strbuf_setlen(&path, path.len - strlen(".dict.dz"));
	strbuf_reset(&err);
	assert_null(bidict_load(path.buf, LANG_FR, &err));
	assert_non_null(strstr(err.buf, "more than 64 MB"));
	strbuf_release(&path);
	strbuf_release(&err);
}

/* Debian's dictionary, as ragops reads it by default, when the package is there. */
static void test_freedict(void **state)
{
	(void)state;
	const char *base = "/usr/share/dictd/freedict-fra-eng";
	if (access("/usr/share/dictd/freedict-fra-eng.index", R_OK))
		skip();
	struct strbuf err = STRBUF_INIT;
	struct bidict *d = bidict_load(base, LANG_FR, &err);
	assert_non_null(d);
	assert_true(bidict_size(d) > 5000);
	expect(d, "ordinateur", "computer");
	char *clef = lookup(d, "clé");
	assert_non_null(strstr(clef, "key"));
	free(clef);
	bidict_free(d);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_senses),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_freedict),
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

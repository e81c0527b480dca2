/*
 * Unit tests for configuration (core/config.h): defaults, YAML files with
 * nested sections and lists, errors that name file:line:col and the key
 * (with a suggestion for typos), precedence file < environment < -c,
 * size suffixes, and cross-field validation.
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

static char tmpdir[] = "/tmp/ragops-test-config-XXXXXX";
static char yaml_path[sizeof(tmpdir) + 16];

static int setup(void **state)
{
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(yaml_path, sizeof(yaml_path), "%s/ragops.yaml", tmpdir);
	unsetenv("RAGOPS_CHUNK_TARGET_CHARS");
	unsetenv("RAGOPS_INBOX");
	return 0;
}

static int teardown(void **state)
{
	unlink(yaml_path);
	return rmdir(tmpdir);
}

static void write_yaml(const char *text)
{
	FILE *fp = fopen(yaml_path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Load `text` as a YAML file over the defaults; returns what config_load_file did. */
static int load(const char *text, struct config *cfg, struct strbuf *err)
{
	write_yaml(text);
	config_init(cfg);
	strbuf_reset(err);
	return config_load_file(cfg, yaml_path, err);
}

/* The error must start "<file>:<line>:" and mention every needle. */
static void assert_error(const struct strbuf *err, int line, const char *needle1, const char *needle2)
{
	char where[sizeof(yaml_path) + 16];
	snprintf(where, sizeof(where), "%s:%d:", yaml_path, line);
	if (strncmp(err->buf, where, strlen(where)))
		print_error("error \"%s\" does not start with \"%s\"\n", err->buf, where);
	assert_int_equal(strncmp(err->buf, where, strlen(where)), 0);
	assert_non_null(strstr(err->buf, needle1));
	if (needle2)
		assert_non_null(strstr(err->buf, needle2));
}

static void test_defaults(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	assert_string_equal(cfg.data_dir, "./ragops-data");
	assert_int_equal(cfg.chunk.target_chars, 600);
	assert_int_equal(cfg.chunk.overlap_chars, 100);
	assert_int_equal(cfg.chunk.min_chars, 200);
	assert_int_equal(cfg.collect.max_file_size, 200ULL * 1024 * 1024);
	assert_int_equal(cfg.collect.max_pages, 2000);
	assert_int_equal(cfg.search.limit, 10);
	assert_string_equal(cfg.log_level, "info");
	assert_int_equal(cfg.inbox_nr, 0);
	assert_null(cfg.file);
	assert_int_equal(config_validate(&cfg, &err), 0);
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_load_nested_sections(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(load("# ragops settings\n"
			      "data_dir: /srv/ragops\n"
			      "inbox:\n"
			      "  - /home/anne/Documents\n"
			      "  - /home/anne/Cours photo\n"
			      "collect:\n"
			      "  max_pages: 300\n"
			      "chunk:\n"
			      "  target_chars: 500\n"
			      "  overlap_chars: 80\n"
			      "log:\n"
			      "  level: debug\n",
			      &cfg, &err),
			 0);
	assert_int_equal(err.len, 0);
	assert_string_equal(cfg.data_dir, "/srv/ragops");
	assert_int_equal(cfg.inbox_nr, 2);
	assert_string_equal(cfg.inbox[0], "/home/anne/Documents");
	assert_string_equal(cfg.inbox[1], "/home/anne/Cours photo");
	assert_int_equal(cfg.collect.max_pages, 300);
	assert_int_equal(cfg.chunk.target_chars, 500);
	assert_int_equal(cfg.chunk.overlap_chars, 80);
	assert_int_equal(cfg.chunk.min_chars, 200); /* untouched keys keep their default */
	assert_string_equal(cfg.log_level, "debug");
	assert_string_equal(cfg.file, yaml_path);
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_unknown_key(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	char where[sizeof(yaml_path) + 16];
	assert_int_equal(load("data_dir: /srv/ragops\n"
			      "chunk:\n"
			      "  target_char: 500\n",
			      &cfg, &err),
			 -1);
	snprintf(where, sizeof(where), "%s:3:3:", yaml_path);
	assert_error(&err, 3, where, "'chunk.target_char'");
	assert_non_null(strstr(err.buf, "did you mean 'chunk.target_chars'"));
	config_release(&cfg);

	/* the same from -c */
	strbuf_reset(&err);
	config_init(&cfg);
	assert_int_equal(config_set(&cfg, "chunk.overlap_char", "10", "-c", &err), -1);
	assert_non_null(strstr(err.buf, "'chunk.overlap_char'"));
	assert_non_null(strstr(err.buf, "did you mean 'chunk.overlap_chars'"));
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_bad_values(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(load("chunk:\n  target_chars: \"abc\"\n", &cfg, &err), -1);
	assert_error(&err, 2, "'chunk.target_chars'", "abc");
	config_release(&cfg);

	assert_int_equal(load("chunk:\n  min_chars: 10\n  target_chars: 50\n", &cfg, &err), -1);
	assert_error(&err, 3, "'chunk.target_chars'", "between 100 and");
	config_release(&cfg);

	assert_int_equal(load("log:\n  level: loud\n", &cfg, &err), -1);
	assert_error(&err, 2, "'log.level'", "loud");
	config_release(&cfg);

	assert_int_equal(load("chunk: 12\n", &cfg, &err), -1);
	assert_error(&err, 1, "'chunk'", NULL);
	config_release(&cfg);

	assert_int_equal(load("chunk:\n  target_chars: [1, 2]\n", &cfg, &err), -1);
	assert_error(&err, 2, "'chunk.target_chars'", "single value");
	config_release(&cfg);

	/* a syntax error: YAML forbids tabs for indentation */
	assert_int_equal(load("data_dir: /srv\n"
			      "chunk:\n"
			      "\ttarget_chars: 500\n",
			      &cfg, &err),
			 -1);
	assert_error(&err, 3, "invalid YAML", NULL);
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_precedence(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(load("chunk:\n  target_chars: 500\n", &cfg, &err), 0);
	setenv("RAGOPS_CHUNK_TARGET_CHARS", "700", 1);
	assert_int_equal(config_load_env(&cfg, &err), 0);
	assert_int_equal(cfg.chunk.target_chars, 700);
	assert_int_equal(config_set(&cfg, "chunk.target_chars", "800", "-c", &err), 0);
	assert_int_equal(cfg.chunk.target_chars, 800);

	/* a bad environment value is named in the error */
	setenv("RAGOPS_CHUNK_TARGET_CHARS", "lots", 1);
	assert_int_equal(config_load_env(&cfg, &err), -1);
	assert_non_null(strstr(err.buf, "RAGOPS_CHUNK_TARGET_CHARS"));
	assert_non_null(strstr(err.buf, "lots"));
	unsetenv("RAGOPS_CHUNK_TARGET_CHARS");
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_sizes(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	assert_int_equal(config_set(&cfg, "collect.max_file_size", "100K", "-c", &err), 0);
	assert_int_equal(cfg.collect.max_file_size, 100ULL * 1024);
	assert_int_equal(config_set(&cfg, "collect.max_file_size", "2M", "-c", &err), 0);
	assert_int_equal(cfg.collect.max_file_size, 2ULL * 1024 * 1024);
	assert_int_equal(config_set(&cfg, "collect.max_file_size", "4096", "-c", &err), 0);
	assert_int_equal(cfg.collect.max_file_size, 4096);
	assert_int_equal(err.len, 0);
	assert_int_equal(config_set(&cfg, "collect.max_file_size", "12X", "-c", &err), -1);
	assert_non_null(strstr(err.buf, "'collect.max_file_size'"));
	assert_non_null(strstr(err.buf, "12X"));
	assert_int_equal(cfg.collect.max_file_size, 4096); /* a refused value changes nothing */
	strbuf_reset(&err);
	assert_int_equal(config_set(&cfg, "collect.max_file_size", "-2M", "-c", &err), -1);
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_validate_overlap(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	assert_int_equal(config_set(&cfg, "chunk.target_chars", "300", "-c", &err), 0);
	assert_int_equal(config_set(&cfg, "chunk.min_chars", "50", "-c", &err), 0);
	assert_int_equal(config_set(&cfg, "chunk.overlap_chars", "150", "-c", &err), 0);
	assert_int_equal(config_validate(&cfg, &err), 0);
	assert_int_equal(config_set(&cfg, "chunk.overlap_chars", "151", "-c", &err), 0);
	assert_int_equal(config_validate(&cfg, &err), -1);
	assert_non_null(strstr(err.buf, "'chunk.overlap_chars'"));
	assert_non_null(strstr(err.buf, "'chunk.target_chars'"));
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_inbox_from_env(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(load("inbox:\n  - /from/file\n", &cfg, &err), 0);
	assert_int_equal(cfg.inbox_nr, 1);
	setenv("RAGOPS_INBOX", "/home/anne/Photos:/mnt/cours::/srv/scans", 1);
	assert_int_equal(config_load_env(&cfg, &err), 0);
	unsetenv("RAGOPS_INBOX");
	/* the environment replaces the file's list; empty items are dropped */
	assert_int_equal(cfg.inbox_nr, 3);
	assert_string_equal(cfg.inbox[0], "/home/anne/Photos");
	assert_string_equal(cfg.inbox[1], "/mnt/cours");
	assert_string_equal(cfg.inbox[2], "/srv/scans");
	config_release(&cfg);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),         cmocka_unit_test(test_load_nested_sections),
		cmocka_unit_test(test_unknown_key),      cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_precedence),       cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_validate_overlap), cmocka_unit_test(test_inbox_from_env),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * Unit tests for the fault injection (core/fault.h) and what honours it:
 * what each content of the control file does to a write (a full disk
 * lets a file be rewritten but not grow, "space N" leaves N bytes, the
 * "-after N" forms count writes, a new content starts the counts again,
 * a typo injects nothing), write_file_atomic failing with the cause named
 * and the old file intact, the SQLite VFS shim failing a transaction that
 * rolls back, and the feedback files written again when one is missing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/error.h"
#include "core/fault.h"
#include "core/fsutil.h"
#include "core/xalloc.h"
#include "ops/feedback.h"
#include "store/store.h"

static char dir[64];
static char control[128];

static void set_fault(const char *text)
{
	FILE *fp = fopen(control, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int reset(void **state)
{
	set_fault("none");
	return 0;
}

static void test_none(void **state)
{
	assert_true(fault_enabled());
	assert_int_equal(fault_write(0, 4096, 0), 0);
	set_fault("");
	assert_int_equal(fault_write(0, 4096, 0), 0);
	unlink(control);
	assert_int_equal(fault_write(0, 4096, 0), 0); /* a missing control file is "none" */
}

static void test_full_allows_rewrites(void **state)
{
	set_fault("full\n");
	assert_int_equal(fault_write(0, 4096, 0), ENOSPC);
	assert_int_equal(fault_write(8192, 4096, 8192), ENOSPC);	/* appending */
	assert_int_equal(fault_write(4096, 4096, 16384), 0);		/* rewriting */
	assert_int_equal(fault_write(12288, 8192, 16384), ENOSPC);	/* half past the end */
	assert_int_equal(fault_write(0, 0, 0), 0);
}

static void test_space(void **state)
{
	set_fault("space 10K");
	assert_int_equal(fault_write(0, 8192, 0), 0);
	assert_int_equal(fault_write(8192, 4096, 8192), ENOSPC);	/* 2 KB left, 4 KB asked */
	assert_int_equal(fault_write(0, 4096, 8192), 0);		/* the file as it is */
	assert_int_equal(fault_write(8192, 1, 8192), ENOSPC);	/* what was left went with the failure */
	/* the same content again: the counts go on; another one starts them again */
	set_fault("space 10K");
	assert_int_equal(fault_write(8192, 1, 8192), ENOSPC);
	set_fault("space 10240");
	assert_int_equal(fault_write(8192, 10240, 8192), 0);
	assert_int_equal(fault_write(18432, 1, 18432), ENOSPC);
}

static void test_eio(void **state)
{
	set_fault("eio");
	assert_int_equal(fault_write(0, 4096, 65536), EIO);	/* even a rewrite */
	assert_int_equal(fault_write(0, 0, 0), EIO);
}

static void test_after(void **state)
{
	set_fault("full-after 2");
	assert_int_equal(fault_write(0, 4096, 0), 0);
	assert_int_equal(fault_write(4096, 4096, 4096), 0);
	assert_int_equal(fault_write(8192, 4096, 8192), ENOSPC);
	assert_int_equal(fault_write(0, 4096, 8192), 0);
	set_fault("eio-after 1");
	assert_int_equal(fault_write(0, 4096, 0), 0);
	assert_int_equal(fault_write(0, 4096, 0), EIO);
	assert_int_equal(fault_write(0, 4096, 0), EIO);
	set_fault("eio-after 0");
	assert_int_equal(fault_write(0, 1, 1), EIO);
}

static void test_typo_injects_nothing(void **state)
{
	error_set_quiet(1);
	set_fault("fulll");
	assert_int_equal(fault_write(0, 4096, 0), 0);
	set_fault("space lots");
	assert_int_equal(fault_write(0, 4096, 0), 0);
	set_fault("full-after -3");
	assert_int_equal(fault_write(0, 4096, 0), 0);
	error_set_quiet(0);
}

/* The files of `dir` whose name contains `part`. */
static int files_with(const char *part)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strstr(e->d_name, part) != NULL;
	if (d)
		closedir(d);
	return n;
}

static void test_write_file_atomic(void **state)
{
	struct strbuf err = STRBUF_INIT, in = STRBUF_INIT;
	char *path = xasprintf("%s/lexicon.bin", dir);
	assert_int_equal(write_file_atomic(path, "old", 3, &err), 0);
	const char *cases[][2] = { { "full", "disk full (No space left on device)" },
				   { "space 2", "disk full (No space left on device)" },
				   { "eio", "Input/output error" } };
	for (size_t i = 0; i < 3; i++) {
		set_fault(cases[i][0]);
		strbuf_reset(&err);
		assert_int_equal(write_file_atomic(path, "new content", 11, &err), -1);
		assert_non_null(strstr(err.buf, "cannot write '"));
		assert_non_null(strstr(err.buf, cases[i][1]));
		/* readers still see the old file, and no temporary file stays */
		strbuf_reset(&in);
		assert_int_equal(read_file(path, &in, 0, &err), 0);
		assert_string_equal(in.buf, "old");
		assert_int_equal(files_with(".tmp."), 0);
	}
	set_fault("none");
	assert_int_equal(write_file_atomic(path, "new content", 11, &err), 0);
	strbuf_reset(&in);
	assert_int_equal(read_file(path, &in, 0, &err), 0);
	assert_string_equal(in.buf, "new content");
	unlink(path);
	free(path);
	strbuf_release(&err);
	strbuf_release(&in);
}

static size_t feedback_count(struct store *st)
{
	struct feedback_filter all = { 0 };
	struct feedback_record *recs = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(store_feedback_list(st, &all, &recs, &n, &err), 0);
	feedback_records_free(recs, n);
	strbuf_release(&err);
	return n;
}

static void test_sqlite_shim(void **state)
{
	struct store *st = NULL;
	struct strbuf err = STRBUF_INIT, report = STRBUF_INIT;
	char *data = xasprintf("%s/store", dir);
	assert_int_equal(store_open(&st, data, &err), 0);
	struct feedback_record fb = { .question = "Le bruit ?", .answer = "Il monte avec l'ISO.",
				      .rating = 4 };
	assert_int_equal(store_feedback_add(st, &fb, &err), 0);
	const char *cases[][2] = { { "eio", "disk I/O error" }, { "full", "database or disk is full" } };
	for (size_t i = 0; i < 2; i++) {
		set_fault(cases[i][0]);
		strbuf_reset(&err);
		assert_int_not_equal(store_feedback_add(st, &fb, &err), 0);
		assert_non_null(strstr(err.buf, cases[i][1]));
		set_fault("none");
		assert_int_equal(feedback_count(st), 1); /* rolled back */
	}
	assert_int_equal(store_feedback_add(st, &fb, &err), 0);
	assert_int_equal(feedback_count(st), 2);
	assert_int_equal(store_check(st, &report), 0);
	store_close(&st);
	/* the whole file as SQLite sees it, through the shim: nothing half-written */
	assert_int_equal(store_open(&st, data, &err), 0);
	assert_int_equal(feedback_count(st), 2);
	assert_int_equal(store_check(st, &report), 0);
	store_close(&st);
	char *cmd = xasprintf("rm -rf '%s'", data);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(data);
	strbuf_release(&err);
	strbuf_release(&report);
}

static void test_feedback_copies_written_again(void **state)
{
	struct config cfg;
	struct store *st = NULL;
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	free(cfg.data_dir);
	cfg.data_dir = xasprintf("%s/fb", dir);
	assert_int_equal(store_open(&st, cfg.data_dir, &err), 0);
	long long ids[3];
	for (int i = 0; i < 3; i++) {
		struct feedback_record fb = { .question = xstrdup("Le bruit ?"),
					      .answer = xstrdup("Il monte avec l'ISO."), .rating = 2 + i };
		if (i == 1)
			set_fault("full");	/* a full disk: the store cannot take it */
		enum feedback_result rc = feedback_add(st, &cfg, &fb, NULL, &err);
		set_fault("none");
		if (i == 1) {
			assert_int_equal(rc, FEEDBACK_FAILED);
			assert_non_null(strstr(err.buf, "database or disk is full"));
			strbuf_reset(&err);
			rc = feedback_add(st, &cfg, &fb, NULL, &err);	/* sent again */
		}
		assert_int_equal(rc, FEEDBACK_OK);
		ids[i] = fb.id;
		feedback_record_release(&fb);
		if (i == 1) {
			/* the record is saved but its copy is lost (a crash, a full disk) */
			char *copy = xasprintf("%s/feedback/feedback-%06lld.json", cfg.data_dir, ids[1]);
			assert_int_equal(unlink(copy), 0);
			free(copy);
		}
	}
	/* the third record wrote the second's copy again */
	for (int i = 0; i < 3; i++) {
		char *copy = xasprintf("%s/feedback/feedback-%06lld.json", cfg.data_dir, ids[i]);
		assert_int_equal(access(copy, F_OK), 0);
		free(copy);
	}
	assert_int_equal(ids[2], 3);
	store_close(&st);
	char *cmd = xasprintf("rm -rf '%s'", cfg.data_dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	config_release(&cfg);
	strbuf_release(&err);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ragops-test-fault-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(control, sizeof(control), "%s/faults", dir);
	/* Read once, at the first write: set before anything writes. */
	setenv("RAGOPS_FAULTS", control, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_none, reset),
		cmocka_unit_test_setup(test_full_allows_rewrites, reset),
		cmocka_unit_test_setup(test_space, reset),
		cmocka_unit_test_setup(test_eio, reset),
		cmocka_unit_test_setup(test_after, reset),
		cmocka_unit_test_setup(test_typo_injects_nothing, reset),
		cmocka_unit_test_setup(test_write_file_atomic, reset),
		cmocka_unit_test_setup(test_sqlite_shim, reset),
		cmocka_unit_test_setup(test_feedback_copies_written_again, reset),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(control);
	rmdir(dir);
	return rc;
}

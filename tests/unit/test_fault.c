/*
 * Unit tests for the fault injection (core/fault.h) and what honours it:
 * what each content of the control file does to a write (a full disk
 * lets a file be rewritten but not grow, "space N" leaves N bytes, the
 * "-after N" forms count writes, a new content starts the counts again,
 * a typo injects nothing), write_file_atomic failing with the cause named
 * and the old file intact, the SQLite VFS shim failing a transaction that
 * rolls back, and the feedback files written again when one is missing.
 * Memory faults: which allocation fails, xmalloc dying at once without an
 * out-of-memory handler and trying again once with one, and SQLite's
 * allocations failing at every point of a write (SQLITE_NOMEM, rolled
 * back, the connection still usable).
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
#include <sys/wait.h>
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
	fault_refresh();
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
	assert_int_equal(fault_write(8192, 4096, 8192), ENOSPC);   /* appending */
	assert_int_equal(fault_write(4096, 4096, 16384), 0);       /* rewriting */
	assert_int_equal(fault_write(12288, 8192, 16384), ENOSPC); /* half past the end */
	assert_int_equal(fault_write(0, 0, 0), 0);
}

static void test_space(void **state)
{
	set_fault("space 10K");
	assert_int_equal(fault_write(0, 8192, 0), 0);
	assert_int_equal(fault_write(8192, 4096, 8192), ENOSPC); /* 2 KB left, 4 KB asked */
	assert_int_equal(fault_write(0, 4096, 8192), 0);         /* the file as it is */
	assert_int_equal(fault_write(8192, 1, 8192), ENOSPC); /* what was left went with the failure */
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
	assert_int_equal(fault_write(0, 4096, 65536), EIO); /* even a rewrite */
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

/* A memory fault, read at once (allocators do not read the control file). */
static void set_memory_fault(const char *text)
{
	set_fault(text);
	fault_refresh();
}

/* fault_alloc(allocator) `n` times: "0010..." */
static const char *pattern(enum fault_allocator allocator, int n)
{
	static char out[32];
	for (int i = 0; i < n; i++)
		out[i] = fault_alloc(allocator) ? '1' : '0';
	out[n] = '\0';
	return out;
}

static void test_memory_faults(void **state)
{
	set_memory_fault("malloc 3");
	assert_true(fault_memory_held());
	assert_string_equal(pattern(FAULT_ALLOC_SQLITE, 5), "00000"); /* not SQLite's */
	assert_string_equal(pattern(FAULT_ALLOC_XALLOC, 6), "001000");
	set_memory_fault("malloc-from 2");
	assert_string_equal(pattern(FAULT_ALLOC_XALLOC, 5), "01111");
	set_memory_fault("sqlite-nomem 1");
	assert_string_equal(pattern(FAULT_ALLOC_XALLOC, 3), "000");
	assert_string_equal(pattern(FAULT_ALLOC_SQLITE, 3), "100");
	set_memory_fault("sqlite-nomem-from 4");
	assert_string_equal(pattern(FAULT_ALLOC_SQLITE, 6), "000111");
	/* the same content read again goes on counting; writes read it too */
	fault_refresh();
	assert_int_equal(fault_write(0, 10, 0), 0);
	assert_string_equal(pattern(FAULT_ALLOC_SQLITE, 2), "11");
	set_memory_fault("none");
	assert_false(fault_memory_held());
	assert_string_equal(pattern(FAULT_ALLOC_SQLITE, 3), "000");
	error_set_quiet(1);
	const char *typos[] = { "malloc 0", "malloc x", "malloc", "malloc:3", "sqlite-nomem -1" };
	for (size_t i = 0; i < sizeof(typos) / sizeof(typos[0]); i++) {
		set_memory_fault(typos[i]);
		assert_false(fault_memory_held());
		assert_string_equal(pattern(FAULT_ALLOC_XALLOC, 3), "000");
	}
	error_set_quiet(0);
}

/* How the out-of-memory handler was called. */
static int handler_calls;
static size_t handler_size;

static void count_handler(size_t size)
{
	handler_calls++;
	handler_size = size;
}

/* Fork; the child sets `fault`, the handler or none, and calls xmalloc(1000): its exit status. */
static int xmalloc_in_child(const char *fault, int with_handler)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		set_memory_fault(fault);
		xalloc_set_oom_handler(with_handler ? count_handler : NULL);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(99);
		void *p = xmalloc(1000);
		_exit(p && (!with_handler || handler_calls == 1) ? 0 : 98);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_xmalloc_handler(void **state)
{
	/* A program: the first failure is the end, with XALLOC_EXIT_CODE. */
	assert_int_equal(xmalloc_in_child("malloc 1", 0), XALLOC_EXIT_CODE);
	assert_int_equal(xmalloc_in_child("none", 0), 0);
	/* A server: the handler makes room, the second try works... */
	assert_int_equal(xmalloc_in_child("malloc 1", 1), 0);
	/* ...unless memory does not come back. */
	assert_int_equal(xmalloc_in_child("malloc-from 1", 1), XALLOC_EXIT_CODE);

	/* Each of the wrappers, in this process, with the handler ("none" between: counts start again). */
	xalloc_set_oom_handler(count_handler);
	handler_calls = 0;
	set_memory_fault("malloc 1");
	char *s = xstrdup("bonjour");
	assert_string_equal(s, "bonjour");
	assert_int_equal(handler_calls, 1);
	assert_int_equal(handler_size, 8);
	set_memory_fault("none");
	set_memory_fault("malloc 1");
	s = xrealloc(s, 4000);
	assert_string_equal(s, "bonjour"); /* a failed realloc kept the block */
	set_memory_fault("none");
	set_memory_fault("malloc 1");
	int *z = xcalloc(10, sizeof(int));
	assert_int_equal(z[9], 0);
	assert_int_equal(handler_calls, 3);
	assert_int_equal(handler_size, 10 * sizeof(int));
	assert_int_equal(xalloc_unrecovered_take(), 0); /* each was recovered */
	free(s);
	free(z);
	set_memory_fault("none");
	xalloc_set_oom_handler(NULL);
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
	struct feedback_record fb = { .question = "Le bruit ?",
				      .answer = "Il monte avec l'ISO.",
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

/*
 * SQLite's Nth allocation fails, for every N a write makes: the write
 * fails with "out of memory" and leaves nothing, or is whole; the failure
 * is counted for the thread; the connection goes on working.
 */
static void test_sqlite_nomem(void **state)
{
	struct store *st = NULL;
	struct strbuf err = STRBUF_INIT, report = STRBUF_INIT;
	char *data = xasprintf("%s/nomem", dir);
	assert_int_equal(store_open(&st, data, &err), 0);
	xalloc_unrecovered_take();
	size_t saved = 0, failed = 0;
	int n;
	for (n = 1; n < 500; n++) {
		char text[32];
		snprintf(text, sizeof(text), "sqlite-nomem %d", n);
		set_memory_fault(text);
		struct feedback_record fb = { .question = "Le bruit ?",
					      .answer = "Il monte avec l'ISO.",
					      .rating = 1 + n % 5,
					      .text = text };
		strbuf_reset(&err);
		int rc = store_feedback_add(st, &fb, &err);
		set_memory_fault("none");
		unsigned lost = xalloc_unrecovered_take();
		if (rc == 0) {
			saved++;
			/* the fault was past the write's allocations: done */
			if (!lost)
				break;
		} else {
			failed++;
			assert_non_null(strstr(err.buf, "out of memory"));
			assert_true(lost > 0);
		}
		assert_int_equal(feedback_count(st), saved);
	}
	assert_true(n < 500);
	assert_true(failed > 0);
	print_message("SQLite's allocations 1 to %d failed in turn: %zu writes failed, %zu saved\n", n,
		      failed, saved);
	/* the same connection, memory back: a write, and an intact store */
	struct feedback_record fb = { .question = "Et après ?", .answer = "Tout va bien.", .rating = 5 };
	assert_int_equal(store_feedback_add(st, &fb, &err), 0);
	assert_int_equal(feedback_count(st), saved + 1);
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
					      .answer = xstrdup("Il monte avec l'ISO."),
					      .rating = 2 + i };
		if (i == 1)
			set_fault("full"); /* a full disk: the store cannot take it */
		enum feedback_result rc = feedback_add(st, &cfg, &fb, NULL, &err);
		set_fault("none");
		if (i == 1) {
			assert_int_equal(rc, FEEDBACK_FAILED);
			assert_non_null(strstr(err.buf, "database or disk is full"));
			strbuf_reset(&err);
			rc = feedback_add(st, &cfg, &fb, NULL, &err); /* sent again */
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
		cmocka_unit_test_setup(test_memory_faults, reset),
		cmocka_unit_test_setup(test_xmalloc_handler, reset),
		cmocka_unit_test_setup(test_sqlite_nomem, reset),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(control);
	rmdir(dir);
	return rc;
}

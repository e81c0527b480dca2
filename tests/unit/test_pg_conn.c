/*
 * Unit tests for the libpq driver under the statement interface
 * (store/pg_conn.h), against a real server: RAGOPS_TEST_PG_URL names it
 * (tests/run.sh sets it from a throwaway cluster).  '?' and '?N'
 * rewriting, values of every kind there and back, result rows and
 * re-runs, changes and inserted ids, failures and which are transient (a
 * backend terminated under us), transactions, and connection errors that
 * keep the password out.  Tables are temporary: each connection has its
 * own, so runs on one server do not meet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "store/pg_conn.h"
#include "store/sql.h"

static const char *server_url;

struct fixture {
	struct pg_conn *c;
	struct strbuf err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strbuf_init(&f->err, 0);
	if (pg_connect(&f->c, server_url, &f->err)) {
		fprintf(stderr, "pg_connect: %s\n", f->err.buf);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pg_disconnect(&f->c);
	assert_null(f->c);
	strbuf_release(&f->err);
	free(f);
	return 0;
}

static void exec_ok(struct fixture *f, const char *sql)
{
	strbuf_reset(&f->err);
	if (pg_exec(f->c, sql, &f->err))
		fail_msg("%s: %s", sql, f->err.buf);
}

static struct pg_stmt *prepare_ok(struct fixture *f, const char *sql)
{
	struct pg_stmt *s = NULL;
	strbuf_reset(&f->err);
	if (pg_prepare(f->c, sql, &s, &f->err))
		fail_msg("%s: %s", sql, f->err.buf);
	return s;
}

/* Step, and say the server's message when it fails. */
static int step(struct fixture *f, struct pg_stmt *s)
{
	int rc = pg_step(s);
	if (rc != SQL_ROW && rc != SQL_DONE)
		print_message("pg_step: %s\n", pg_errmsg(f->c));
	return rc;
}

/* The one value a query without parameters gives, as a fresh string ("NULL" for NULL). */
static char *one_value(struct fixture *f, const char *sql)
{
	struct pg_stmt *s = prepare_ok(f, sql);
	assert_int_equal(step(f, s), SQL_ROW);
	const char *v = pg_column_text(s, 0);
	char *copy = strdup(v ? v : "NULL");
	assert_int_equal(step(f, s), SQL_DONE);
	pg_finalize(s);
	return copy;
}

static void assert_value(struct fixture *f, const char *sql, const char *want)
{
	char *got = one_value(f, sql);
	assert_string_equal(got, want);
	free(got);
}

static void test_is_url(void **state)
{
	assert_true(pg_is_url("postgres://db/ragops"));
	assert_true(pg_is_url("postgresql://u:p@db:5432/ragops?sslmode=require"));
	assert_false(pg_is_url("./ragops-data"));
	assert_false(pg_is_url("postgresq://db"));
	assert_false(pg_is_url(NULL));
}

static void test_placeholders(void **state)
{
	struct fixture *f = *state;
	/*
	 * A bare '?' after ?2 is ?3, as in SQLite; ?1 twice is one parameter;
	 * no '?' inside a literal, an E'' literal with \', a quoted
	 * identifier, a comment or a $$ string is one.
	 */
	struct pg_stmt *s = prepare_ok(f, "SELECT ?2 || '?' || ?1 || ?1 AS \"why?\", -- a ? here\n"
					  " CAST(? AS bigint) /* and ? /* nested ? */ here */,"
					  " E'it\\'s ?' || $$ ?? $$ || $t$?$t$, 'don''t ?'");
	pg_bind_text(s, 1, "a");
	pg_bind_text(s, 2, "b");
	pg_bind_int64(s, 3, 7);
	assert_int_equal(step(f, s), SQL_ROW);
	assert_string_equal(pg_column_text(s, 0), "b?aa");
	assert_int_equal(pg_column_int64(s, 1), 7);
	assert_string_equal(pg_column_text(s, 2), "it's ? ?? ?");
	assert_string_equal(pg_column_text(s, 3), "don't ?");
	assert_int_equal(step(f, s), SQL_DONE);
	pg_finalize(s);

	/* A parameter the SQL does not have is ignored, as SQLite ignores it (SQLITE_RANGE). */
	s = prepare_ok(f, "SELECT CAST(? AS bigint)");
	pg_bind_int64(s, 1, 1);
	pg_bind_int64(s, 2, 2);
	assert_int_equal(step(f, s), SQL_ROW);
	assert_int_equal(pg_column_int64(s, 0), 1);
	pg_clear_bindings(s);
	pg_bind_int64(s, 1, 1);
	pg_reset(s);
	assert_int_equal(step(f, s), SQL_ROW);
	pg_finalize(s);

	/* A number the SQL skips (?2 used, ?1 not) has no type to infer: it still runs. */
	s = prepare_ok(f, "SELECT CAST(?2 AS bigint) + 1");
	pg_bind_int64(s, 1, 1);
	pg_bind_int64(s, 2, 41);
	assert_int_equal(step(f, s), SQL_ROW);
	assert_int_equal(pg_column_int64(s, 0), 42);
	pg_finalize(s);

	struct pg_stmt *none = NULL;
	assert_int_equal(pg_prepare(f->c, "SELECT ?70000", &none, &f->err), -1);
	assert_null(none);
	assert_non_null(strstr(f->err.buf, "?70000"));
	pg_finalize(NULL);
}

/* 256 floats, the first ones zero: a vector's 1,024 bytes with zero bytes in them. */
static void make_vector(float v[256])
{
	for (int i = 0; i < 256; i++)
		v[i] = i < 4 ? 0.0f : (float)sin(i) * 1e3f;
}

static void test_values_round_trip(void **state)
{
	struct fixture *f = *state;
	static const char utf8[] = "élève — 日本語 'single' \"double\" back\\slash ?";
	float vec[256];
	make_vector(vec);
	exec_ok(f, "CREATE TEMP TABLE v (id bigint GENERATED ALWAYS AS IDENTITY, n bigint,"
		   " d double precision, t text, b bytea, flag boolean)");
	struct pg_stmt *s = prepare_ok(f, "INSERT INTO v (n, d, t, b, flag) VALUES (?, ?, ?, ?, ?)");
	pg_bind_int64(s, 1, 5000000000LL);
	pg_bind_double(s, 2, 0.1);
	pg_bind_text(s, 3, utf8);
	pg_bind_blob(s, 4, vec, sizeof(vec));
	pg_bind_int64(s, 5, 1);
	assert_int_equal(step(f, s), SQL_DONE);
	pg_reset(s);
	pg_bind_int64(s, 1, -(1LL << 62));
	pg_bind_double(s, 2, -1.2345678901234567e-300);
	pg_bind_text(s, 3, "");
	pg_bind_blob(s, 4, "", 0);
	pg_bind_int64(s, 5, 0);
	assert_int_equal(step(f, s), SQL_DONE);
	pg_reset(s);
	pg_clear_bindings(s); /* all NULL */
	assert_int_equal(step(f, s), SQL_DONE);
	pg_reset(s);
	pg_bind_int64(s, 1, 9223372036854775807LL);
	pg_bind_double(s, 2, INFINITY);
	pg_bind_null(s, 3);
	pg_bind_blob(s, 4, NULL, 0); /* no data: NULL, as in SQLite */
	pg_bind_null(s, 5);
	assert_int_equal(step(f, s), SQL_DONE);
	pg_finalize(s);

	s = prepare_ok(f, "SELECT n, d, t, b, flag FROM v ORDER BY id");
	assert_int_equal(step(f, s), SQL_ROW);
	assert_true(pg_column_int64(s, 0) == 5000000000LL);
	assert_true(pg_column_double(s, 1) == 0.1);
	assert_string_equal(pg_column_text(s, 2), utf8);
	assert_int_equal(pg_column_bytes(s, 2), strlen(utf8));
	assert_int_equal(pg_column_bytes(s, 3), sizeof(vec));
	assert_memory_equal(pg_column_blob(s, 3), vec, sizeof(vec));
	assert_int_equal(pg_column_int64(s, 4), 1);
	assert_false(pg_column_is_null(s, 4));

	assert_int_equal(step(f, s), SQL_ROW);
	assert_true(pg_column_int64(s, 0) == -(1LL << 62));
	assert_true(pg_column_double(s, 1) == -1.2345678901234567e-300);
	assert_string_equal(pg_column_text(s, 2), "");
	assert_false(pg_column_is_null(s, 3));
	assert_int_equal(pg_column_bytes(s, 3), 0);
	assert_null(pg_column_blob(s, 3));
	assert_int_equal(pg_column_int64(s, 4), 0);

	assert_int_equal(step(f, s), SQL_ROW);
	for (int col = 0; col < 5; col++) {
		assert_true(pg_column_is_null(s, col));
		assert_int_equal(pg_column_int64(s, col), 0);
		assert_true(pg_column_double(s, col) == 0.0);
		assert_null(pg_column_text(s, col));
		assert_null(pg_column_blob(s, col));
		assert_int_equal(pg_column_bytes(s, col), 0);
	}

	assert_int_equal(step(f, s), SQL_ROW);
	assert_true(pg_column_int64(s, 0) == 9223372036854775807LL);
	assert_true(isinf(pg_column_double(s, 1)) && pg_column_double(s, 1) > 0);
	assert_true(pg_column_is_null(s, 2) && pg_column_is_null(s, 3));
	/* Out of range: as NULL. */
	assert_true(pg_column_is_null(s, 5) && pg_column_is_null(s, -1));
	assert_int_equal(pg_column_int64(s, 9), 0);
	assert_int_equal(step(f, s), SQL_DONE);
	assert_null(pg_column_text(s, 0));
	pg_finalize(s);

	/* A blob in a bytea context of the SQL's own; the same vector compared by the server. */
	s = prepare_ok(f, "SELECT CAST(?1 AS bytea), length(CAST(?1 AS bytea)), b = ?1 FROM v"
			  " WHERE n = 5000000000");
	pg_bind_blob(s, 1, vec, sizeof(vec));
	assert_int_equal(step(f, s), SQL_ROW);
	assert_int_equal(pg_column_bytes(s, 0), sizeof(vec));
	assert_memory_equal(pg_column_blob(s, 0), vec, sizeof(vec));
	assert_int_equal(pg_column_int64(s, 1), 1024);
	assert_int_equal(pg_column_int64(s, 2), 1);
	pg_finalize(s);

	/* A real read as an integer, and text numbers read as numbers, as SQLite converts. */
	s = prepare_ok(f, "SELECT 2.75::float8, '1e30'::text, 'abc'::text, 'NaN'::float8, true");
	assert_int_equal(step(f, s), SQL_ROW);
	assert_int_equal(pg_column_int64(s, 0), 2);
	assert_true(pg_column_int64(s, 1) == 9223372036854775807LL);
	assert_int_equal(pg_column_int64(s, 2), 0);
	assert_true(isnan(pg_column_double(s, 3)));
	assert_true(pg_column_double(s, 4) == 1.0);
	pg_finalize(s);
}

static void test_type_inference_caveats(void **state)
{
	struct fixture *f = *state;
	/* What pg_conn.h tells callers to write: each case fails without its cast. */
	struct pg_stmt *s = prepare_ok(f, "SELECT coalesce(?, 0)");
	pg_bind_int64(s, 1, 5000000000LL);
	assert_int_equal(pg_step(s), SQL_ERROR);
	assert_non_null(strstr(pg_errmsg(f->c), "out of range"));
	pg_finalize(s);
	s = prepare_ok(f, "SELECT coalesce(CAST(? AS bigint), 0)");
	pg_bind_int64(s, 1, 5000000000LL);
	assert_int_equal(step(f, s), SQL_ROW);
	assert_true(pg_column_int64(s, 0) == 5000000000LL);
	pg_finalize(s);

	s = prepare_ok(f, "SELECT ? IS NULL");
	pg_bind_null(s, 1);
	assert_int_equal(pg_step(s), SQL_ERROR);
	assert_non_null(strstr(pg_errmsg(f->c), "could not determine data type"));
	pg_finalize(s);

	s = prepare_ok(f, "SELECT 1 WHERE CAST(1 AS bigint) = ?");
	pg_bind_double(s, 1, 2.5);
	assert_int_equal(pg_step(s), SQL_ERROR);
	assert_false(pg_error_is_transient(f->c));
	pg_finalize(s);
}

static void test_rows_reset_rebind(void **state)
{
	struct fixture *f = *state;
	exec_ok(f, "CREATE TEMP TABLE r (n bigint, label text)");
	struct pg_stmt *ins = prepare_ok(f, "INSERT INTO r VALUES (?, ?)");
	char label[32];
	for (int i = 1; i <= 5; i++) {
		snprintf(label, sizeof(label), "row %d", i);
		pg_bind_int64(ins, 1, i);
		pg_bind_text(ins, 2, label); /* read at the step: it only needs to live until then */
		assert_int_equal(step(f, ins), SQL_DONE);
		assert_int_equal(pg_changes(f->c), 1);
		pg_reset(ins);
	}
	pg_finalize(ins);

	struct pg_stmt *s = prepare_ok(f, "SELECT n, label FROM r WHERE n >= ? ORDER BY n");
	pg_bind_int64(s, 1, 2);
	long long want = 2;
	int rc;
	while ((rc = step(f, s)) == SQL_ROW) {
		assert_int_equal(pg_column_int64(s, 0), want);
		snprintf(label, sizeof(label), "row %lld", want);
		assert_string_equal(pg_column_text(s, 1), label);
		/* Another statement on the connection while these rows are read. */
		char *count = one_value(f, "SELECT count(*) FROM r");
		assert_string_equal(count, "5");
		free(count);
		want++;
	}
	assert_int_equal(rc, SQL_DONE);
	assert_int_equal(want, 6);
	assert_int_equal(pg_step(s), SQL_DONE); /* no re-run without a reset */

	/* The same bindings again; then another; then none (NULL: no row). */
	pg_reset(s);
	int n = 0;
	while (step(f, s) == SQL_ROW)
		n++;
	assert_int_equal(n, 4);
	pg_reset(s);
	pg_bind_int64(s, 1, 5);
	assert_int_equal(step(f, s), SQL_ROW);
	assert_int_equal(pg_column_int64(s, 0), 5);
	pg_reset(s); /* half-read: fine */
	pg_clear_bindings(s);
	assert_int_equal(step(f, s), SQL_DONE);
	pg_finalize(s);
}

static void test_changes(void **state)
{
	struct fixture *f = *state;
	exec_ok(f, "CREATE TEMP TABLE c (n bigint); INSERT INTO c SELECT generate_series(1, 10)");
	assert_int_equal(pg_changes(f->c), 10);
	struct pg_stmt *s = prepare_ok(f, "UPDATE c SET n = n + 100 WHERE n <= ?");
	pg_bind_int64(s, 1, 3);
	assert_int_equal(step(f, s), SQL_DONE);
	pg_finalize(s);
	assert_int_equal(pg_changes(f->c), 3);
	/* A SELECT is not a change: the count stays. */
	assert_value(f, "SELECT count(*) FROM c", "10");
	assert_int_equal(pg_changes(f->c), 3);
	exec_ok(f, "DELETE FROM c WHERE n > 100");
	assert_int_equal(pg_changes(f->c), 3);
	s = prepare_ok(f, "DELETE FROM c WHERE n = ?");
	pg_bind_int64(s, 1, 42);
	assert_int_equal(step(f, s), SQL_DONE);
	pg_finalize(s);
	assert_int_equal(pg_changes(f->c), 0);
}

static long long insert_named(struct fixture *f, const char *sql, const char *name)
{
	struct pg_stmt *s = prepare_ok(f, sql);
	pg_bind_text(s, 1, name);
	int rc = step(f, s);
	long long returned = rc == SQL_ROW ? pg_column_int64(s, 0) : 0;
	pg_finalize(s);
	assert_true(rc == SQL_ROW || rc == SQL_DONE);
	return returned;
}

static void test_last_insert_id(void **state)
{
	struct fixture *f = *state;
	/* A fresh session has used no sequence: 0, and nothing recorded as a failure. */
	assert_int_equal(pg_last_insert_id(f->c), 0);
	assert_string_equal(pg_errmsg(f->c), "");
	/* Inside a transaction too, which lastval()'s failure must not abort. */
	exec_ok(f, "BEGIN");
	assert_int_equal(pg_last_insert_id(f->c), 0);
	assert_true(pg_in_transaction(f->c));
	assert_value(f, "SELECT 1", "1");
	exec_ok(f, "CREATE TEMP TABLE ids (id bigint GENERATED BY DEFAULT AS IDENTITY, name text)");
	exec_ok(f, "COMMIT");
	assert_false(pg_in_transaction(f->c));

	insert_named(f, "INSERT INTO ids (name) VALUES (?)", "one");
	assert_int_equal(pg_last_insert_id(f->c), 1);
	insert_named(f, "INSERT INTO ids (name) VALUES (?)", "two");
	assert_int_equal(pg_last_insert_id(f->c), 2);
	/* RETURNING: the row's own id, the same number. */
	assert_int_equal(insert_named(f, "INSERT INTO ids (name) VALUES (?) RETURNING id", "three"), 3);
	assert_int_equal(pg_last_insert_id(f->c), 3);
	/* An id given by the INSERT: RETURNING knows it, lastval() would not. */
	assert_int_equal(insert_named(f, "INSERT INTO ids (id, name) VALUES (1000, ?) RETURNING id",
				      "x"),
			 1000);
	assert_int_equal(pg_last_insert_id(f->c), 1000);

	exec_ok(f, "BEGIN");
	insert_named(f, "INSERT INTO ids (name) VALUES (?)", "four");
	assert_int_equal(pg_last_insert_id(f->c), 4);
	assert_true(pg_in_transaction(f->c));
	assert_value(f, "SELECT name FROM ids WHERE id = 4", "four"); /* still usable */
	exec_ok(f, "COMMIT");
	assert_value(f, "SELECT count(*) FROM ids", "5");
}

static void test_failure_not_transient(void **state)
{
	struct fixture *f = *state;
	struct pg_stmt *s = prepare_ok(f, "SELECT n FROM ragops_no_such_table WHERE n = ?");
	pg_bind_int64(s, 1, 1);
	assert_int_equal(pg_step(s), SQL_ERROR);
	assert_int_equal(pg_step(s), SQL_ERROR); /* until reset */
	assert_null(pg_column_text(s, 0));
	pg_finalize(s);
	const char *msg = pg_errmsg(f->c);
	assert_non_null(strstr(msg, "ragops_no_such_table"));
	assert_null(strchr(msg, '\n'));
	assert_false(pg_error_is_transient(f->c));

	/* pg_exec's err, and a DETAIL on the same line. */
	exec_ok(f, "CREATE TEMP TABLE u (k text PRIMARY KEY); INSERT INTO u VALUES ('a')");
	strbuf_reset(&f->err);
	assert_int_equal(pg_exec(f->c, "INSERT INTO u VALUES ('a')", &f->err), -1);
	assert_non_null(strstr(f->err.buf, "store: duplicate key value"));
	assert_non_null(strstr(f->err.buf, "already exists"));
	assert_null(strchr(f->err.buf, '\n'));
	assert_false(pg_error_is_transient(f->c));

	/* A failure that says nothing more than SQLSTATE: a $$ body with '?' kept. */
	s = prepare_ok(f, "DO $$ BEGIN RAISE EXCEPTION 'why?' USING ERRCODE = '22023'; END $$");
	assert_int_equal(pg_step(s), SQL_ERROR);
	pg_finalize(s);
	assert_string_equal(pg_errmsg(f->c), "why?");
	assert_false(pg_error_is_transient(f->c));
}

static void test_transient_states(void **state)
{
	struct fixture *f = *state;
	static const char *const transient[] = { "40001", "40P01", "57P03", "53100", "08006" };
	char sql[160];
	for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++) {
		snprintf(sql, sizeof(sql),
			 "DO $$ BEGIN RAISE EXCEPTION 'as %s' USING ERRCODE = '%s'; END $$",
			 transient[i], transient[i]);
		strbuf_reset(&f->err);
		assert_int_equal(pg_exec(f->c, sql, &f->err), -1);
		if (!pg_error_is_transient(f->c))
			fail_msg("%s: not transient", transient[i]);
	}
	assert_value(f, "SELECT 'still here'", "still here");
}

/* Terminate the fixture's backend from another connection; its pid, to be freed. */
static char *terminate_backend(struct fixture *f)
{
	char *pid = one_value(f, "SELECT pg_backend_pid()");
	struct pg_conn *other = NULL;
	assert_int_equal(pg_connect(&other, server_url, &f->err), 0);
	struct pg_stmt *kill = NULL;
	assert_int_equal(pg_prepare(other, "SELECT pg_terminate_backend(?, 5000)", &kill, &f->err), 0);
	pg_bind_int64(kill, 1, strtoll(pid, NULL, 10));
	assert_int_equal(pg_step(kill), SQL_ROW);
	assert_string_equal(pg_column_text(kill, 0), "t");
	pg_finalize(kill);
	pg_disconnect(&other);
	return pid;
}

static void test_lost_connection_is_reset(void **state)
{
	struct fixture *f = *state;
	/* Lost in a transaction: the statement fails (the transaction is gone), the connection is new. */
	exec_ok(f, "BEGIN");
	char *pid = terminate_backend(f);
	struct pg_stmt *s = prepare_ok(f, "SELECT 1");
	assert_int_equal(pg_step(s), SQL_ERROR);
	print_message("after pg_terminate_backend: %s\n", pg_errmsg(f->c));
	assert_true(pg_error_is_transient(f->c));
	assert_non_null(strstr(pg_errmsg(f->c), "reconnected"));
	assert_null(strchr(pg_errmsg(f->c), '\n'));
	assert_false(pg_in_transaction(f->c));
	/* The same statement, reset, runs on the new session. */
	pg_reset(s);
	assert_int_equal(step(f, s), SQL_ROW);
	assert_int_equal(pg_column_int64(s, 0), 1);
	pg_finalize(s);
	char *new_pid = one_value(f, "SELECT pg_backend_pid()");
	assert_string_not_equal(pid, new_pid);
	/* The session's settings are back. */
	assert_value(f, "SHOW TimeZone", "UTC");
	assert_value(f, "SHOW client_encoding", "UTF8");
	free(pid);
	free(new_pid);

	/*
	 * Lost while idle (a server restarted, say): found before the next
	 * statement is sent, which runs on a new session instead of failing.
	 */
	pid = terminate_backend(f);
	new_pid = one_value(f, "SELECT pg_backend_pid()");
	assert_string_not_equal(pid, new_pid);
	assert_value(f, "SHOW TimeZone", "UTC");
	free(pid);
	pid = terminate_backend(f);
	exec_ok(f, "CREATE TEMP TABLE after_idle_loss (x bigint)");
	free(pid);
	free(new_pid);
}

/* A kept statement is prepared on the server once, again after a reset, and deallocated. */
static void test_kept_statement(void **state)
{
	struct fixture *f = *state;
	struct pg_stmt *s = prepare_ok(f, "SELECT CAST(? AS bigint) * 2");
	pg_keep(s);
	for (long long i = 1; i <= 3; i++) {
		pg_reset(s);
		pg_bind_int64(s, 1, i);
		assert_int_equal(step(f, s), SQL_ROW);
		assert_int_equal(pg_column_int64(s, 0), 2 * i);
	}
	assert_value(f, "SELECT count(*) FROM pg_prepared_statements", "1");

	char *pid = one_value(f, "SELECT pg_backend_pid()");
	struct pg_conn *other = NULL;
	assert_int_equal(pg_connect(&other, server_url, &f->err), 0);
	struct pg_stmt *kill = NULL;
	assert_int_equal(pg_prepare(other, "SELECT pg_terminate_backend(?, 5000)", &kill, &f->err), 0);
	pg_bind_int64(kill, 1, strtoll(pid, NULL, 10));
	assert_int_equal(pg_step(kill), SQL_ROW);
	pg_finalize(kill);
	pg_disconnect(&other);
	free(pid);
	/* The session it was prepared in is gone: the driver reconnects, and prepares it again. */
	pg_reset(s);
	pg_bind_int64(s, 1, 5);
	assert_int_equal(step(f, s), SQL_ROW);
	assert_int_equal(pg_column_int64(s, 0), 10);
	pg_finalize(s);
	assert_value(f, "SELECT count(*) FROM pg_prepared_statements", "0");
}

static void test_in_transaction(void **state)
{
	struct fixture *f = *state;
	assert_false(pg_in_transaction(f->c));
	exec_ok(f, "BEGIN");
	assert_true(pg_in_transaction(f->c));
	exec_ok(f, "COMMIT");
	assert_false(pg_in_transaction(f->c));

	exec_ok(f, "BEGIN");
	struct pg_stmt *s = prepare_ok(f, "SELECT CAST(? AS bigint)");
	pg_bind_text(s, 1, "not a number");
	assert_int_equal(pg_step(s), SQL_ERROR);
	pg_finalize(s);
	assert_true(pg_in_transaction(f->c)); /* failed, still open */
	assert_int_equal(pg_last_insert_id(f->c), 0);
	strbuf_reset(&f->err);
	assert_int_equal(pg_exec(f->c, "SELECT 1", &f->err), -1);
	assert_non_null(strstr(f->err.buf, "aborted"));
	exec_ok(f, "ROLLBACK");
	assert_false(pg_in_transaction(f->c));
	assert_value(f, "SELECT 1", "1");
}

/* The server's URL with its user:password, database and parameters replaced. */
static char *url_with(const char *userinfo, const char *db, const char *query)
{
	const char *host = strstr(server_url, "://") + 3;
	const char *at = strchr(host, '@');
	if (at && at < host + strcspn(host, "/?"))
		host = at + 1;
	return xasprintf("postgresql://%s@%.*s/%s%s", userinfo, (int)strcspn(host, "/?"), host, db,
			 query);
}

/* The user:password of the server's URL (postgres, and no password, by default). */
static void server_login(char **user, char **password)
{
	const char *info = strstr(server_url, "://") + 3;
	const char *at = strchr(info, '@');
	*user = xstrdup("postgres");
	*password = NULL;
	if (!at || at > info + strcspn(info, "/?"))
		return;
	size_t user_len = strcspn(info, ":@");
	if (user_len) {
		free(*user);
		*user = xstrndup(info, user_len);
	}
	if (info[user_len] == ':')
		*password = xstrndup(info + user_len + 1, (size_t)(at - info) - user_len - 1);
}

/* Connecting to `url` fails, the password `secret` nowhere in the message but masked. */
static void assert_refused_masked(const char *url, const char *secret, const char *why)
{
	struct pg_conn *c = NULL;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(pg_connect(&c, url, &err), -1);
	assert_null(c);
	print_message("%s\n", err.buf);
	if (strstr(err.buf, secret))
		fail_msg("the password is in: %s", err.buf);
	assert_non_null(strstr(err.buf, "***"));
	assert_non_null(strstr(err.buf, why));
	assert_null(strchr(err.buf, '\n'));
	strbuf_release(&err);
}

static void test_connect_errors(void **state)
{
	char *user, *password, *url, *userinfo;
	struct pg_conn *c = NULL;
	struct strbuf err = STRBUF_INIT;
	server_login(&user, &password);

	/* A database that does not exist; a password in the URL (under trust, one made up). */
	const char *secret = password ? password : "Trust-Secret-5";
	userinfo = xasprintf("%s:%s", user, secret);
	url = url_with(userinfo, "ragops_no_such_db", "");
	assert_refused_masked(url, secret, "\"ragops_no_such_db\" does not exist");
	free(url);
	free(userinfo);

	/* A wrong password, where the server asks for one. */
	userinfo = xasprintf("%s:Wrong-Secret-7", user);
	url = url_with(userinfo, "postgres", "");
	if (!pg_connect(&c, url, &err)) {
		print_message("note: the server lets %s in without a password: a wrong one is not tried"
			      " (initdb --auth-host=scram-sha-256 would try it)\n",
			      user);
		pg_disconnect(&c);
	} else {
		assert_refused_masked(url, "Wrong-Secret-7", "password authentication failed");
	}
	strbuf_release(&err);
	free(url);
	free(userinfo);

	/* libpq quotes a bad percent-encoding: here, the password. */
	userinfo = xasprintf("%s:pa%%zzSecret", user);
	url = url_with(userinfo, "postgres", "");
	assert_refused_masked(url, "zzSecret", "percent-encoded");
	free(url);
	free(userinfo);

	/* An '@' of the password not encoded: refused before libpq names a part of it as the host. */
	userinfo = xasprintf("%s:Plain@At-Secret", user);
	url = url_with(userinfo, "postgres", "");
	assert_refused_masked(url, "At-Secret", "%40");
	free(url);
	free(userinfo);

	/* password= as a parameter, and an unknown parameter that libpq names. */
	url = url_with(user, "postgres", "?password=Query-Secret-9&nonsense=1");
	assert_refused_masked(url, "Query-Secret-9", "nonsense");
	free(url);
	free(user);
	free(password);
}

static void test_session_settings(void **state)
{
	/* The URL cannot change the encoding ragops reads and writes. */
	const char *sep = strchr(server_url, '?') ? "&" : "?";
	char *url = xasprintf("%s%sclient_encoding=LATIN1&application_name=ragops-test", server_url,
			      sep);
	struct fixture f = { NULL, STRBUF_INIT };
	if (pg_connect(&f.c, url, &f.err))
		fail_msg("pg_connect: %s", f.err.buf);
	assert_value(&f, "SHOW client_encoding", "UTF8");
	assert_value(&f, "SHOW TimeZone", "UTC");
	assert_value(&f, "SHOW application_name", "ragops-test");
	char *version = one_value(&f, "SHOW server_version_num");
	assert_true(strtol(version, NULL, 10) >= 120000);
	free(version);
	pg_disconnect(&f.c);
	strbuf_release(&f.err);
	free(url);
}

int main(void)
{
	server_url = getenv("RAGOPS_TEST_PG_URL");
	if (!server_url || !*server_url) {
		fprintf(stderr,
			"test_pg_conn: RAGOPS_TEST_PG_URL is not set: it must name a PostgreSQL server the\n"
			"test may create temporary tables on, e.g.\n"
			"  RAGOPS_TEST_PG_URL=postgresql://postgres@127.0.0.1:55433/postgres\n"
			"(tests/run.sh sets it from a throwaway cluster it starts)\n");
		return 1;
	}
	if (!pg_is_url(server_url)) {
		fprintf(stderr,
			"test_pg_conn: RAGOPS_TEST_PG_URL must start postgresql:// or postgres://\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_url),
		cmocka_unit_test_setup_teardown(test_placeholders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_inference_caveats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_reset_rebind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_insert_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_not_transient, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transient_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_connection_is_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_transaction, setup, teardown),
		cmocka_unit_test(test_connect_errors),
		cmocka_unit_test(test_session_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

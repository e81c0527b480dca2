/*
 * PostgreSQL statements (pg_conn.h): prepared with '?' rewritten to $N,
 * run with PQexecParams (or once prepared on the server: pg_keep) at their
 * first step, their whole result kept and read row by row (not single-row
 * mode: see pg_conn.h).  Values come back as text and the getters parse
 * them, as SQLite converts.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "store/pg_internal.h"
#include "store/sql.h"

/* ---- statements ------------------------------------------------------------------------ */

int pg_prepare(struct pg_conn *c, const char *sql, struct pg_stmt **out, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT, used = STRBUF_INIT;
	int n = 0;
	*out = NULL;
	if (pg_rewrite_params(sql, &text, &n, &used, err)) {
		strbuf_release(&text);
		strbuf_release(&used);
		return -1;
	}
	struct pg_stmt *s = xcalloc(1, sizeof(*s));
	s->conn = c;
	s->sql = strbuf_detach(&text, NULL);
	s->nparams = n;
	if (n) {
		s->values = xcalloc((size_t)n, sizeof(*s->values));
		s->lengths = xcalloc((size_t)n, sizeof(*s->lengths));
		s->formats = xcalloc((size_t)n, sizeof(*s->formats));
		s->nums = xcalloc((size_t)n, sizeof(*s->nums));
		/*
		 * A number the SQL skips (?2 used, ?1 not: SQLite takes that) has
		 * no context to infer a type from: it is sent as text.  The others
		 * are inferred.
		 */
		s->types = xcalloc((size_t)n, sizeof(*s->types));
		for (int i = 0; i < n; i++)
			if (!used.buf[i])
				s->types[i] = TEXT_OID;
	}
	strbuf_release(&used);
	s->row = -1;
	*out = s;
	return 0;
}

/* Whether i names one of the statement's parameters. */
static int param_ok(struct pg_stmt *s, int i)
{
	/* Beyond the statement's numbers it is ignored, as SQLite ignores it (SQLITE_RANGE). */
	return i >= 1 && i <= s->nparams;
}

static void bind_value(struct pg_stmt *s, int i, const char *value, int length, int binary)
{
	s->values[i - 1] = value;
	s->lengths[i - 1] = length;
	s->formats[i - 1] = binary;
}

void pg_bind_int64(struct pg_stmt *s, int i, long long v)
{
	if (!param_ok(s, i))
		return;
	snprintf(s->nums[i - 1], sizeof(s->nums[i - 1]), "%lld", v);
	bind_value(s, i, s->nums[i - 1], 0, 0);
}

void pg_bind_double(struct pg_stmt *s, int i, double v)
{
	if (!param_ok(s, i))
		return;
	/* %.17g reads back as the same double; printf's "inf" is not the server's spelling */
	if (isnan(v))
		snprintf(s->nums[i - 1], sizeof(s->nums[i - 1]), "NaN");
	else if (isinf(v))
		snprintf(s->nums[i - 1], sizeof(s->nums[i - 1]), "%sInfinity", v < 0 ? "-" : "");
	else
		snprintf(s->nums[i - 1], sizeof(s->nums[i - 1]), "%.17g", v);
	bind_value(s, i, s->nums[i - 1], 0, 0);
}

void pg_bind_text(struct pg_stmt *s, int i, const char *text)
{
	if (param_ok(s, i))
		bind_value(s, i, text, 0, 0);
}

void pg_bind_blob(struct pg_stmt *s, int i, const void *data, size_t len)
{
	if (!param_ok(s, i))
		return;
	if (len > INT_MAX) {
		if (!s->bind_err)
			s->bind_err = xasprintf("parameter %d: a blob of %zu bytes is too large", i,
						len);
		return;
	}
	/* Binary: no escaping, zero bytes pass.  No data binds NULL, as in SQLite. */
	bind_value(s, i, data, (int)len, 1);
}

void pg_bind_null(struct pg_stmt *s, int i)
{
	if (param_ok(s, i))
		bind_value(s, i, NULL, 0, 0);
}

static void release_blobs(struct pg_stmt *s)
{
	if (!s->blobs)
		return;
	for (int i = 0; i < PQnfields(s->res); i++)
		free(s->blobs[i].data);
	memset(s->blobs, 0, (size_t)PQnfields(s->res) * sizeof(*s->blobs));
}

static int run(struct pg_stmt *s)
{
	struct pg_conn *c = s->conn;
	s->state = STMT_FAILED;
	if (s->bind_err) {
		strbuf_reset(&c->msg);
		strbuf_addstr(&c->msg, s->bind_err);
		c->sqlstate[0] = '\0';
		c->lost = 0;
		return -1;
	}
	if (pg_conn_revive(c))
		return -1;
	PGresult *res;
	if (s->keep) {
		if (s->prepared_in != c->session + 1) {
			res = PQprepare(c->db, s->name, s->sql, s->nparams, s->types);
			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				pg_conn_fail(c, res);
				PQclear(res);
				return -1;
			}
			PQclear(res);
			s->prepared_in = c->session + 1;
		}
		res = PQexecPrepared(c->db, s->name, s->nparams, s->values, s->lengths, s->formats, 0);
	} else {
		res = PQexecParams(c->db, s->sql, s->nparams, s->types, s->values, s->lengths,
				   s->formats, 0);
	}
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY) {
		pg_conn_fail(c, res);
		PQclear(res);
		return -1;
	}
	pg_note_command(c, res);
	s->res = res;
	s->row = -1;
	s->state = STMT_RAN;
	return 0;
}

void pg_keep(struct pg_stmt *s)
{
	if (s->keep)
		return;
	s->keep = 1;
	snprintf(s->name, sizeof(s->name), "ragops_%lu", ++s->conn->prepared);
}

int pg_step(struct pg_stmt *s)
{
	if (s->state == STMT_READY && run(s))
		return SQL_ERROR;
	if (s->state == STMT_FAILED)
		return SQL_ERROR;
	release_blobs(s);
	int rows = PQntuples(s->res);
	if (s->row + 1 >= rows) {
		s->row = rows;
		return SQL_DONE;
	}
	s->row++;
	return SQL_ROW;
}

/* The text of a column of the current row; NULL for SQL NULL or no such column. */
static const char *value_at(struct pg_stmt *s, int col)
{
	if (!s->res || s->row < 0 || s->row >= PQntuples(s->res) || col < 0 ||
	    col >= PQnfields(s->res) || PQgetisnull(s->res, s->row, col))
		return NULL;
	return PQgetvalue(s->res, s->row, col);
}

int pg_column_is_null(struct pg_stmt *s, int col)
{
	return !value_at(s, col);
}

long long pg_column_int64(struct pg_stmt *s, int col)
{
	const char *v = value_at(s, col);
	if (!v)
		return 0;
	if (!strcmp(v, "t") || !strcmp(v, "f"))
		return *v == 't';
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (!*end && !errno)
		return n;
	/* 2.5, 1e+20, Infinity: as SQLite converts a real, truncated and clamped */
	double d = strtod(v, &end);
	if (end == v || isnan(d))
		return n;
	if (d >= 9223372036854775807.0)
		return LLONG_MAX;
	if (d <= -9223372036854775808.0)
		return LLONG_MIN;
	return (long long)d;
}

double pg_column_double(struct pg_stmt *s, int col)
{
	const char *v = value_at(s, col);
	if (!v)
		return 0;
	if (!strcmp(v, "t") || !strcmp(v, "f"))
		return *v == 't';
	return strtod(v, NULL);
}

const char *pg_column_text(struct pg_stmt *s, int col)
{
	return value_at(s, col);
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Decode bytea's text output: \x and hex digits, or (bytea_output = escape) libpq's way. */
static void decode_bytea(struct pg_blob *b, const char *v, size_t len)
{
	if (len >= 2 && v[0] == '\\' && v[1] == 'x') {
		b->data = xmalloc(len / 2 + 1);
		for (size_t i = 2; i + 1 < len; i += 2) {
			int hi = hex_digit(v[i]), lo = hex_digit(v[i + 1]);
			if (hi < 0 || lo < 0)
				break;
			b->data[b->len++] = (unsigned char)(hi << 4 | lo);
		}
	} else {
		size_t n = 0;
		unsigned char *raw = PQunescapeBytea((const unsigned char *)v, &n);
		b->data = xmalloc(n + 1);
		if (raw)
			memcpy(b->data, raw, n);
		b->len = raw ? n : 0;
		PQfreemem(raw);
	}
	b->ready = 1;
}

/* The column's bytes: a bytea decoded (kept until the next row), anything else its text. */
static const void *column_bytes(struct pg_stmt *s, int col, size_t *len)
{
	const char *v = value_at(s, col);
	*len = 0;
	if (!v)
		return NULL;
	if (PQftype(s->res, col) != OID_BYTEA) {
		*len = (size_t)PQgetlength(s->res, s->row, col);
		return v;
	}
	if (!s->blobs)
		s->blobs = xcalloc((size_t)PQnfields(s->res), sizeof(*s->blobs));
	struct pg_blob *b = &s->blobs[col];
	if (!b->ready)
		decode_bytea(b, v, (size_t)PQgetlength(s->res, s->row, col));
	*len = b->len;
	return b->data;
}

const void *pg_column_blob(struct pg_stmt *s, int col)
{
	size_t len;
	const void *data = column_bytes(s, col, &len);
	return len ? data : NULL; /* SQLite's answer for an empty blob */
}

size_t pg_column_bytes(struct pg_stmt *s, int col)
{
	size_t len;
	column_bytes(s, col, &len);
	return len;
}

void pg_reset(struct pg_stmt *s)
{
	release_blobs(s);
	free(s->blobs);
	s->blobs = NULL;
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->state = STMT_READY;
}

void pg_clear_bindings(struct pg_stmt *s)
{
	for (int i = 1; i <= s->nparams; i++)
		bind_value(s, i, NULL, 0, 0);
	free(s->bind_err);
	s->bind_err = NULL;
}

void pg_finalize(struct pg_stmt *s)
{
	if (!s)
		return;
	pg_reset(s);
	/* The server's copy goes too (a failure leaves it to the session's end). */
	if (s->keep && s->prepared_in == s->conn->session + 1 &&
	    PQstatus(s->conn->db) == CONNECTION_OK) {
		char sql[64]; /* the name is ours (pg_keep), no value of anyone's */
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(s->conn->db, sql));
	}
	free(s->bind_err);
	free(s->values);
	free(s->lengths);
	free(s->formats);
	free(s->types);
	free(s->nums);
	free(s->sql);
	free(s);
}

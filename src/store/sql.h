/*
 * The statement interface the store's queries are written against: a
 * statement with '?' (or '?N') parameters, stepped row by row, over either
 * backend -- SQLite (the default) or PostgreSQL (pg_conn.h).  The codes
 * are SQLite's, so that on SQLite each call is a direct one.
 * Not part of the store interface: only src/store/ includes it.
 */
#ifndef STORE_SQL_H
#define STORE_SQL_H

#include <stddef.h>

struct sqlite3_stmt;
struct pg_stmt;

enum { SQL_OK = 0, SQL_ERROR = 1, SQL_ROW = 100, SQL_DONE = 101 };

/* Exactly one of the two is set. */
struct sql_stmt {
	struct sqlite3_stmt *lite;
	struct pg_stmt *pg;
};

/*
 * Parameters are numbered from 1.  A text or blob is read when the
 * statement runs (its first sql_step), not when bound: it must live until
 * then.  A NULL text binds SQL NULL.
 */
void sql_bind_int64(struct sql_stmt *s, int i, long long v);
void sql_bind_double(struct sql_stmt *s, int i, double v);
void sql_bind_text(struct sql_stmt *s, int i, const char *text);
void sql_bind_blob(struct sql_stmt *s, int i, const void *data, size_t len);
void sql_bind_null(struct sql_stmt *s, int i);
/*
 * A LIMIT's count: a negative one is no limit, as SQLite reads it
 * (PostgreSQL refuses it, and reads NULL so instead).
 */
void sql_bind_limit(struct sql_stmt *s, int i, long long n);

/*
 * The statement will run for many rows (reset, bound, stepped again):
 * PostgreSQL then parses and plans it once, on the server.  SQLite always
 * does.
 */
void sql_repeat(struct sql_stmt *s);

/* SQL_ROW while rows come, then SQL_DONE; anything else is a failure (sql_fail says which). */
int sql_step(struct sql_stmt *s);

/* Columns of the current row, numbered from 0; a NULL reads as 0 or NULL. */
long long sql_column_int64(struct sql_stmt *s, int col);
int sql_column_int(struct sql_stmt *s, int col);
double sql_column_double(struct sql_stmt *s, int col);
const char *sql_column_text(struct sql_stmt *s, int col);
const void *sql_column_blob(struct sql_stmt *s, int col);
size_t sql_column_bytes(struct sql_stmt *s, int col);
int sql_column_is_null(struct sql_stmt *s, int col);

/* Ready to run again, with its bindings (sql_reset) or without (sql_clear_bindings). */
void sql_reset(struct sql_stmt *s);
void sql_clear_bindings(struct sql_stmt *s);
/* Free the statement; NULL is fine. */
void sql_finalize(struct sql_stmt *s);

#endif

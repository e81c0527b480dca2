/*
 * PostgreSQL under the store's statement interface (sql.h), through libpq:
 * one connection, statements with '?' or '?N' parameters rewritten to
 * PostgreSQL's $N, results read row by row as SQLite's are.
 * Not part of the store interface: only src/store/ includes it.
 */
#ifndef STORE_PG_CONN_H
#define STORE_PG_CONN_H

#include <stddef.h>

#include "core/strbuf.h"

struct pg_conn;
struct pg_stmt;

/* Whether `location` names a PostgreSQL store (postgres:// or postgresql://). */
int pg_is_url(const char *location);

/*
 * Connect to the URL (libpq's connection URI: host, port, user, password,
 * dbname and parameters such as sslmode pass through).  On failure err
 * says why, with the password left out.
 */
int pg_connect(struct pg_conn **out, const char *url, struct strbuf *err);
/* Close and clear *c; NULL is fine. */
void pg_disconnect(struct pg_conn **c);

/* Run SQL without parameters or results (several statements may be given). */
int pg_exec(struct pg_conn *c, const char *sql, struct strbuf *err);

int pg_prepare(struct pg_conn *c, const char *sql, struct pg_stmt **out, struct strbuf *err);
void pg_bind_int64(struct pg_stmt *s, int i, long long v);
void pg_bind_double(struct pg_stmt *s, int i, double v);
void pg_bind_text(struct pg_stmt *s, int i, const char *text);
void pg_bind_blob(struct pg_stmt *s, int i, const void *data, size_t len);
void pg_bind_null(struct pg_stmt *s, int i);
/* SQL_ROW, SQL_DONE or SQL_ERROR (pg_errmsg says why); the first step runs the statement. */
int pg_step(struct pg_stmt *s);
long long pg_column_int64(struct pg_stmt *s, int col);
double pg_column_double(struct pg_stmt *s, int col);
const char *pg_column_text(struct pg_stmt *s, int col);
const void *pg_column_blob(struct pg_stmt *s, int col);
size_t pg_column_bytes(struct pg_stmt *s, int col);
int pg_column_is_null(struct pg_stmt *s, int col);
void pg_reset(struct pg_stmt *s);
void pg_clear_bindings(struct pg_stmt *s);
void pg_finalize(struct pg_stmt *s);

/* Rows the last INSERT, UPDATE or DELETE run on this connection touched. */
long long pg_changes(struct pg_conn *c);
/* The id the last INSERT into a table with an identity column gave (lastval()); 0 if none. */
long long pg_last_insert_id(struct pg_conn *c);
/* Whether a transaction is open on the connection (failed ones included). */
int pg_in_transaction(struct pg_conn *c);
/* The last failure's message, one line. */
const char *pg_errmsg(struct pg_conn *c);
/*
 * Whether the last failure may pass when tried again: the connection was
 * lost (it is then reset), a serialization failure or deadlock, the server
 * shutting down or starting, or the disk full.
 */
int pg_error_is_transient(struct pg_conn *c);

#endif

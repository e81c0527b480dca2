/*
 * PostgreSQL under the store's statement interface (sql.h), through libpq:
 * one connection, statements with '?' or '?N' parameters rewritten to
 * PostgreSQL's $N, results read row by row as SQLite's are.
 * Not part of the store interface: only src/store/ includes it.
 *
 * What the SQL must say that SQLite lets go (the server infers each
 * parameter's type from where it stands; it is sent as text, a blob as
 * binary):
 *   - a parameter whose type nothing fixes needs a cast: `? IS NULL`
 *     fails ("could not determine data type"), `SELECT ?` reads as text;
 *   - where the context is int4 (`coalesce(?, 0)`, `? + 1`, an integer
 *     column) a value past 2^31 fails "out of range": write
 *     `CAST(? AS bigint)`, and declare id and time columns bigint;
 *   - a number's context takes only a number's text: a double bound where
 *     a bigint is compared ("2.5") or text bound against a number fails,
 *     where SQLite would compare or convert;
 *   - a blob needs a bytea context (a bytea column, or `CAST(? AS bytea)`);
 *   - '?' is always a parameter outside literals, quoted identifiers,
 *     comments and $$ strings: jsonb's ? operators must be written as
 *     functions (jsonb_exists); numbers must not leave gaps (?1 and ?3
 *     without ?2 fails: the server cannot type $2).
 * A connection is one session: not for two threads at once.
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
 * says why, with the password left out.  The session is set to UTF-8
 * (whatever the URL asks), the UTC time zone and hex bytea output;
 * connect_timeout is 10 s unless the URL sets it; the server must be
 * PostgreSQL 12 or later.
 */
int pg_connect(struct pg_conn **out, const char *url, struct strbuf *err);
/* Close and clear *c; NULL is fine. */
void pg_disconnect(struct pg_conn **c);

/*
 * Run SQL without parameters or results (several statements may be given:
 * without BEGIN they run as one transaction).
 */
int pg_exec(struct pg_conn *c, const char *sql, struct strbuf *err);

int pg_prepare(struct pg_conn *c, const char *sql, struct pg_stmt **out, struct strbuf *err);
void pg_bind_int64(struct pg_stmt *s, int i, long long v);
void pg_bind_double(struct pg_stmt *s, int i, double v);
void pg_bind_text(struct pg_stmt *s, int i, const char *text);
void pg_bind_blob(struct pg_stmt *s, int i, const void *data, size_t len);
void pg_bind_null(struct pg_stmt *s, int i);
/*
 * SQL_ROW, SQL_DONE or SQL_ERROR (pg_errmsg says why).  The first step runs
 * the statement and keeps its whole result: other statements may run on the
 * connection while this one's rows are read (as SQLite lets them), but a
 * scan of millions of rows must be paged by its SQL (WHERE id > ? ORDER BY
 * id LIMIT n).  After SQL_DONE or SQL_ERROR it stays so until pg_reset (no
 * automatic re-run).  A bind outside 1..N is ignored, as SQLite ignores it.
 */
int pg_step(struct pg_stmt *s);
/*
 * A statement that will run many times on this connection: prepared on the
 * server (parsed and planned once) at its next run, and again after the
 * connection was reset; deallocated by pg_finalize.
 */
void pg_keep(struct pg_stmt *s);
/*
 * Values are parsed from their text: a boolean reads as 1 or 0, a real
 * read as an integer is truncated; a NULL or a column out of range reads
 * as 0 or NULL.  A bytea column's blob is decoded and lives until the next
 * step, pg_reset or pg_finalize (its text is the server's \x hex form).
 */
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
/*
 * The id the last INSERT gave: when it had `RETURNING <integer column>`,
 * that column of its last row (exact, and no round trip: prefer it, it
 * works on SQLite too); otherwise lastval(), the last value any sequence
 * gave in this session -- wrong after an INSERT that chose its own id, or
 * whose trigger used another sequence.  0 when no sequence was used, in a
 * failed transaction, or after a lost connection.  In a transaction
 * lastval() runs inside a savepoint, so that its failure does not abort it.
 */
long long pg_last_insert_id(struct pg_conn *c);
/* Whether a transaction is open on the connection (failed ones included). */
int pg_in_transaction(struct pg_conn *c);
/* Whether the open transaction failed: its COMMIT would roll it back and say COMMIT. */
int pg_transaction_failed(struct pg_conn *c);
/*
 * The server ends this session's transactions left idle longer than `ms`
 * (idle_in_transaction_session_timeout), in this session and those after a
 * reset.  -1 when the server refused it.
 */
int pg_set_idle_limit(struct pg_conn *c, long long ms);
/*
 * The last failure's message, one line (the server's DETAIL in parentheses);
 * it stays until the next failure.
 */
const char *pg_errmsg(struct pg_conn *c);
/*
 * Whether the last failure may pass when tried again: the connection was
 * lost (it is then reset, once, at the failure: PQreset, then the session
 * settings again), a serialization failure or deadlock, the server
 * shutting down or starting, the disk or memory full, too many
 * connections.  Retry the whole transaction: a lost connection took it.
 */
int pg_error_is_transient(struct pg_conn *c);

#endif

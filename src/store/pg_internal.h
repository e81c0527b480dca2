/*
 * Shared by the PostgreSQL driver's files (pg_conn.c: the connection and
 * its failures; pg_params.c: '?' to $N; pg_stmt.c: statements); not part
 * of the store interface.
 */
#ifndef STORE_PG_INTERNAL_H
#define STORE_PG_INTERNAL_H

#include <libpq-fe.h>

#include "core/strbuf.h"
#include "store/pg_conn.h"

/* Type OIDs from the server's pg_type.dat (no client header has them). */
enum { OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23 };

/* The oldest server the store's SQL is written for (PQserverVersion's form). */
#define PG_MIN_VERSION 120000
/* The protocol counts parameters in 16 bits. */
#define PG_MAX_PARAMS 65535
#define TEXT_OID      25 /* pg_type's oid for text (server/catalog/pg_type_d.h, not in libpq-fe.h) */

struct pg_conn {
	PGconn *db;
	struct strbuf msg; /* the last failure, one line */
	char sqlstate[6];  /* its SQLSTATE; empty when libpq gave none */
	int lost;          /* it found the connection broken (and reset it) */
	long long changes;
	long long returned_id; /* from the last INSERT, when it had RETURNING <integer> */
	int has_returned_id;
	unsigned long session;   /* one more at each reset: server-side statements are gone */
	unsigned long prepared;  /* names given to server-side statements */
	long long idle_limit_ms; /* idle_in_transaction_session_timeout, 0: the server's */
};

enum stmt_state { STMT_READY, STMT_RAN, STMT_FAILED };

/* A bytea column of the current row, decoded when first asked for. */
struct pg_blob {
	unsigned char *data;
	size_t len;
	int ready;
};

struct pg_stmt {
	struct pg_conn *conn;
	char *sql; /* with $N */
	int nparams;
	/* PQexecParams's arrays, nparams long; a number's text lives in nums */
	const char **values;
	int *lengths;
	int *formats;
	char (*nums)[32];
	Oid *types; /* 0 (inferred) except for numbers the SQL does not use */
	/* pg_keep: prepared on the server once per session, under this name */
	int keep;
	char name[32];
	unsigned long prepared_in; /* the session it was prepared in, plus one; 0: not yet */
	char *bind_err;            /* a bind that could not be honoured, reported by the step */
	PGresult *res;
	int row; /* the current row; -1 before the first */
	enum stmt_state state;
	struct pg_blob *blobs; /* PQnfields long, or NULL */
};

/* Record the failure `res` reports (NULL: the connection's); a broken connection is reset once. */
void pg_conn_fail(struct pg_conn *c, const PGresult *res);
/* Before a statement outside a transaction: re-open a connection the server closed meanwhile. */
int pg_conn_revive(struct pg_conn *c);
/* After a command ran: what pg_changes and pg_last_insert_id report. */
void pg_note_command(struct pg_conn *c, PGresult *res);
/*
 * sql's '?' and '?N' rewritten as $N into out; nparams is the largest
 * number, used[N-1] is 1 for each number the SQL names.
 */
int pg_rewrite_params(const char *sql, struct strbuf *out, int *nparams, struct strbuf *used,
		      struct strbuf *err);

#endif

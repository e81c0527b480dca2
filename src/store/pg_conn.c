/*
 * PostgreSQL under the store's statement interface (pg_conn.h), through
 * libpq: the connection, its failures and what it reports of the last
 * command.  Statements are pg_stmt.c's, their parameters pg_params.c's.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/pg_internal.h"
#include "store/sql.h"

int pg_is_url(const char *location)
{
	return location &&
	       (!strncmp(location, "postgres://", 11) || !strncmp(location, "postgresql://", 13));
}

/*
 * Add `s` on one line: newlines and tabs (libpq's messages have several
 * lines) become single spaces, other control characters '?'.
 */
static void add_one_line(struct strbuf *sb, const char *s)
{
	struct strbuf flat = STRBUF_INIT;
	int space = 0;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') {
			space = 1;
			continue;
		}
		if (space && flat.len)
			strbuf_addch(&flat, ' ');
		space = 0;
		strbuf_addch(&flat, *s);
	}
	strbuf_add_printable(sb, flat.buf);
	strbuf_release(&flat);
}

/* ---- the URL's secrets, kept out of messages -------------------------------------------- */

struct span {
	size_t off, len;
};

/*
 * Where the URL holds a password: after the user in user:password@host,
 * and as a password=... parameter.  At most `max`.
 */
static size_t find_passwords(const char *url, struct span *out, size_t max)
{
	size_t n = 0;
	const char *scheme = strstr(url, "://");
	if (scheme) {
		const char *host = scheme + 3;
		size_t authority = strcspn(host, "/?#");
		const char *at = NULL;
		for (size_t i = 0; i < authority; i++)
			if (host[i] == '@')
				at = host + i; /* the last one: a password may hold an unencoded '@' */
		const char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
		if (colon && at > colon + 1)
			out[n++] = (struct span){ (size_t)(colon + 1 - url), (size_t)(at - colon - 1) };
	}
	for (size_t i = 0; url[i] && n < max; i++) {
		if ((i && !strchr("?& ", url[i - 1])) || strncasecmp(url + i, "password=", 9))
			continue;
		size_t len = strcspn(url + i + 9, "&# ");
		if (len)
			out[n++] = (struct span){ i + 9, len };
	}
	return n;
}

/* Add `s` with every occurrence of a password of `url` (spans) replaced by "***". */
static void add_masked(struct strbuf *sb, const char *s, const char *url, const struct span *pw,
		       size_t npw)
{
	while (*s) {
		size_t k = 0;
		while (k < npw && strncmp(s, url + pw[k].off, pw[k].len))
			k++;
		if (k < npw) {
			strbuf_addstr(sb, "***");
			s += pw[k].len;
		} else {
			strbuf_addch(sb, *s++);
		}
	}
}

/* Add the URL with its passwords (spans, in order) replaced by "***". */
static void add_masked_url(struct strbuf *sb, const char *url, const struct span *pw, size_t npw)
{
	size_t done = 0;
	for (size_t k = 0; k < npw; k++) {
		if (pw[k].off < done)
			continue; /* inside one masked already */
		strbuf_add(sb, url + done, pw[k].off - done);
		strbuf_addstr(sb, "***");
		done = pw[k].off + pw[k].len;
	}
	strbuf_addstr(sb, url + done);
}

/*
 * "store: cannot connect to '<url>': <why>", the password masked in both:
 * libpq quotes a bad part of the URL ("invalid percent-encoded token"),
 * and that part may be the password.  Masked before anything else
 * rewrites the text, so that the password is still found.
 */
static int connect_fail(const char *url, const char *why, struct strbuf *err)
{
	struct span pw[4];
	size_t npw = find_passwords(url, pw, 4);
	struct strbuf masked = STRBUF_INIT;
	add_masked_url(&masked, url, pw, npw);
	strbuf_addstr(err, "store: cannot connect to '");
	strbuf_add_printable(err, masked.buf);
	strbuf_addstr(err, "': ");
	strbuf_reset(&masked);
	add_masked(&masked, why, url, pw, npw);
	add_one_line(err, masked.buf);
	strbuf_release(&masked);
	return -1;
}

/* ---- failures -------------------------------------------------------------------------- */

/* The server's notices ("relation already exists, skipping") are not the user's business. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* What every session needs; run again after a reset, which starts a new session. */
static int session_setup(struct pg_conn *c)
{
	PQsetNoticeProcessor(c->db, ignore_notice, NULL);
	PGresult *res = PQexec(c->db, "SET TIME ZONE 'UTC'; SET bytea_output = 'hex'");
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (ok && c->idle_limit_ms > 0) {
		char ms[24];
		snprintf(ms, sizeof(ms), "%lld", c->idle_limit_ms);
		const char *values[1] = { ms };
		res = PQexecParams(c->db,
				   "SELECT set_config('idle_in_transaction_session_timeout', $1, false)",
				   1, NULL, values, NULL, NULL, 0);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
	}
	return ok ? 0 : -1;
}

int pg_set_idle_limit(struct pg_conn *c, long long ms)
{
	c->idle_limit_ms = ms;
	return session_setup(c);
}

/*
 * Record the failure `res` reports (NULL: the connection's message).  A
 * broken connection is reset here, once: the caller's retry then finds a
 * working one, or fails again and resets again.
 */
void pg_conn_fail(struct pg_conn *c, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;

	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : "");
	strbuf_reset(&c->msg);
	if (primary) {
		add_one_line(&c->msg, primary);
		if (detail) {
			strbuf_addstr(&c->msg, " (");
			add_one_line(&c->msg, detail);
			strbuf_addch(&c->msg, ')');
		}
	} else {
		const char *why = res ? PQresultErrorMessage(res) : "";
		add_one_line(&c->msg, *why ? why : PQerrorMessage(c->db));
	}
	if (!c->msg.len)
		strbuf_addstr(&c->msg, "unknown error");
	c->lost = PQstatus(c->db) == CONNECTION_BAD;
	if (!c->lost)
		return;
	if (c->msg.buf[c->msg.len - 1] == '.')
		strbuf_setlen(&c->msg, c->msg.len - 1); /* libpq's sentence, continued */
	PQreset(c->db);
	c->session++;
	if (PQstatus(c->db) == CONNECTION_OK && !session_setup(c)) {
		strbuf_addstr(&c->msg, "; reconnected");
	} else {
		strbuf_addstr(&c->msg, "; cannot reconnect: ");
		add_one_line(&c->msg, PQerrorMessage(c->db));
	}
}

/*
 * Before a statement outside a transaction: a connection the server
 * closed while it sat idle (a restart, idle_session_timeout, a backend
 * terminated) is found out here, where nothing of the statement has been
 * sent, and opened again.  Otherwise the statement would fail on it, once
 * for every connection a pool holds, with the server up again.  In a
 * transaction it is left to fail: the transaction went with it, and its
 * caller must know.  -1 (the failure recorded) when it cannot reconnect.
 */
int pg_conn_revive(struct pg_conn *c)
{
	if (PQstatus(c->db) == CONNECTION_OK) {
		if (PQtransactionStatus(c->db) != PQTRANS_IDLE)
			return 0;
		/* What the server sent since: its farewell (a FATAL), then the end of the stream. */
		for (int i = 0; i < 4 && PQstatus(c->db) == CONNECTION_OK; i++) {
			struct pollfd p = { .fd = PQsocket(c->db), .events = POLLIN };
			if (poll(&p, 1, 0) <= 0 || !PQconsumeInput(c->db))
				break;
		}
		if (PQstatus(c->db) == CONNECTION_OK) {
			PQisBusy(c->db); /* a message read while idle goes to the notice processor */
			return 0;
		}
	}
	PQreset(c->db);
	c->session++;
	if (PQstatus(c->db) == CONNECTION_OK && !session_setup(c))
		return 0;
	snprintf(c->sqlstate, sizeof(c->sqlstate), "08006");
	c->lost = 1;
	strbuf_reset(&c->msg);
	strbuf_addstr(&c->msg, "the connection to the server was lost; cannot reconnect: ");
	add_one_line(&c->msg, PQerrorMessage(c->db));
	return -1;
}

static int has_state(const PGresult *res, const char *state)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return s && !strcmp(s, state);
}

const char *pg_errmsg(struct pg_conn *c)
{
	return c->msg.buf;
}

int pg_error_is_transient(struct pg_conn *c)
{
	/*
	 * Class 08: the connection; 40001/40P01: serialization failure,
	 * deadlock; 57P01-03: the server shutting down or starting; 53100,
	 * 53200, 53300: disk full, out of memory, too many connections.
	 */
	static const char *const states[] = { "40001", "40P01", "57P01", "57P02",
					      "57P03", "53100", "53200", "53300" };
	if (c->lost || !strncmp(c->sqlstate, "08", 2))
		return 1;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(c->sqlstate, states[i]))
			return 1;
	return 0;
}

/* ---- the connection --------------------------------------------------------------------- */

static void add_version(struct strbuf *sb, int v)
{
	if (v >= 100000)
		strbuf_addf(sb, "%d.%d", v / 10000, v % 10000);
	else
		strbuf_addf(sb, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}

/*
 * Whether the URL has more than one '@' before its host.  libpq takes the
 * first as the end of user:password, so that the rest of a password with
 * an '@' not written %40 would become the host, and its message ("could
 * not translate host name") would show it.
 */
static int several_ats(const char *url)
{
	const char *scheme = strstr(url, "://");
	if (!scheme)
		return 0;
	const char *host = scheme + 3;
	const char *at = memchr(host, '@', strcspn(host, "/?#"));
	return at && memchr(at + 1, '@', strcspn(at + 1, "/?#"));
}

int pg_connect(struct pg_conn **out, const char *url, struct strbuf *err)
{
	/*
	 * The URL is expanded into libpq's parameters, and later ones win:
	 * the URL may set its own connect_timeout (a reset after a lost
	 * connection must not wait for TCP's minutes) and keepalives (a server
	 * gone silent -- a partition -- fails the statement waiting on it
	 * within a minute, where TCP alone would wait a quarter of an hour),
	 * not another encoding.
	 */
	static const char *const keys[] = {
		"connect_timeout",           "keepalives_idle",  "keepalives_interval",
		"keepalives_count",          "tcp_user_timeout", "dbname",
		"fallback_application_name", "client_encoding",  NULL
	};
	const char *const values[] = { "10", "30", "10", "3", "60000", url, "ragops", "UTF8", NULL };
	*out = NULL;
	if (several_ats(url))
		return connect_fail(url,
				    "more than one '@' before the host: write an '@' of the user"
				    " or the password as %40",
				    err);
	PGconn *db = PQconnectdbParams(keys, values, 1);
	if (!db)
		return connect_fail(url, "out of memory", err);
	if (PQstatus(db) != CONNECTION_OK) {
		connect_fail(url, PQerrorMessage(db), err);
		PQfinish(db);
		return -1;
	}
	if (PQserverVersion(db) < PG_MIN_VERSION) {
		struct strbuf why = STRBUF_INIT;
		strbuf_addstr(&why, "the server runs PostgreSQL ");
		add_version(&why, PQserverVersion(db));
		strbuf_addstr(&why, ": ragops needs PostgreSQL 12 or later");
		connect_fail(url, why.buf, err);
		strbuf_release(&why);
		PQfinish(db);
		return -1;
	}
	struct pg_conn *c = xcalloc(1, sizeof(*c));
	c->db = db;
	strbuf_init(&c->msg, 0);
	if (session_setup(c)) {
		connect_fail(url, PQerrorMessage(db), err);
		pg_disconnect(&c);
		return -1;
	}
	*out = c;
	return 0;
}

void pg_disconnect(struct pg_conn **c)
{
	if (!*c)
		return;
	PQfinish((*c)->db);
	strbuf_release(&(*c)->msg);
	free(*c);
	*c = NULL;
}

/* After a command ran: what pg_changes and pg_last_insert_id report. */
void pg_note_command(struct pg_conn *c, PGresult *res)
{
	const char *cmd = PQcmdStatus(res);
	int insert = !strncmp(cmd, "INSERT ", 7);
	if (insert || !strncmp(cmd, "UPDATE ", 7) || !strncmp(cmd, "DELETE ", 7) ||
	    !strncmp(cmd, "MERGE ", 6))
		c->changes = strtoll(PQcmdTuples(res), NULL, 10);
	if (!insert)
		return;
	/* INSERT ... RETURNING id: the id of its last row, exact and without asking again */
	int rows = PQntuples(res);
	Oid type = PQnfields(res) ? PQftype(res, 0) : 0;
	c->has_returned_id = rows > 0 && (type == OID_INT8 || type == OID_INT4 || type == OID_INT2) &&
			     !PQgetisnull(res, rows - 1, 0);
	if (c->has_returned_id)
		c->returned_id = strtoll(PQgetvalue(res, rows - 1, 0), NULL, 10);
}

int pg_exec(struct pg_conn *c, const char *sql, struct strbuf *err)
{
	if (pg_conn_revive(c)) {
		strbuf_addf(err, "store: %s", c->msg.buf);
		return -1;
	}
	PGresult *res = PQexec(c->db, sql);
	ExecStatusType st = PQresultStatus(res);
	int ret = 0;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		pg_note_command(c, res);
	} else if (st != PGRES_EMPTY_QUERY) {
		pg_conn_fail(c, res);
		strbuf_addf(err, "store: %s", c->msg.buf);
		ret = -1;
	}
	PQclear(res);
	return ret;
}

long long pg_changes(struct pg_conn *c)
{
	return c->changes;
}

int pg_in_transaction(struct pg_conn *c)
{
	PGTransactionStatusType t = PQtransactionStatus(c->db);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

int pg_transaction_failed(struct pg_conn *c)
{
	return PQtransactionStatus(c->db) == PQTRANS_INERROR;
}

/*
 * lastval() fails (55000) until the session has used a sequence; in a
 * transaction that failure would abort it, so there it runs inside a
 * savepoint, rolled back to when it fails.  Sent as one string: one
 * round trip when it succeeds.
 */
static long long lastval(struct pg_conn *c, int in_transaction)
{
	const char *sql = in_transaction ? "SAVEPOINT ragops_lastval; SELECT lastval();"
					   " RELEASE SAVEPOINT ragops_lastval"
					 : "SELECT lastval()";
	long long id = 0;
	PGresult *failure = NULL;
	if (!PQsendQuery(c->db, sql)) {
		pg_conn_fail(c, NULL);
		return 0;
	}
	for (PGresult *res; (res = PQgetResult(c->db));) {
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK && PQntuples(res) == 1)
			id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (st != PGRES_FATAL_ERROR || failure) {
			PQclear(res);
			continue;
		}
		failure = res;
	}
	if (!failure)
		return id;
	if (in_transaction && PQtransactionStatus(c->db) == PQTRANS_INERROR)
		PQclear(PQexec(c->db, "ROLLBACK TO SAVEPOINT ragops_lastval;"
				      " RELEASE SAVEPOINT ragops_lastval"));
	/* No sequence used yet is the answer "none", not a failure to report. */
	if (!has_state(failure, "55000"))
		pg_conn_fail(c, failure);
	PQclear(failure);
	return 0;
}

long long pg_last_insert_id(struct pg_conn *c)
{
	if (c->has_returned_id)
		return c->returned_id;
	switch (PQtransactionStatus(c->db)) {
	case PQTRANS_IDLE:
		return lastval(c, 0);
	case PQTRANS_INTRANS:
		return lastval(c, 1);
	default:
		/* A failed transaction runs nothing until its ROLLBACK; no connection, nothing either. */
		return 0;
	}
}

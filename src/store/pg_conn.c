/*
 * PostgreSQL under the store's statement interface (pg_conn.h), through
 * libpq.  A statement's '?' parameters become $N when it is prepared; it
 * runs with PQexecParams at its first step, and its whole result is kept
 * and read row by row (not single-row mode: see pg_conn.h).  Values come
 * back as text and the getters parse them, as SQLite converts.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "store/pg_conn.h"
#include "store/sql.h"

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
	unsigned long session;  /* one more at each reset: server-side statements are gone */
	unsigned long prepared; /* names given to server-side statements */
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
	return ok ? 0 : -1;
}

/*
 * Record the failure `res` reports (NULL: the connection's message).  A
 * broken connection is reset here, once: the caller's retry then finds a
 * working one, or fails again and resets again.
 */
static void conn_fail(struct pg_conn *c, const PGresult *res)
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
static int revive(struct pg_conn *c)
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
static void note_command(struct pg_conn *c, PGresult *res)
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
	if (revive(c)) {
		strbuf_addf(err, "store: %s", c->msg.buf);
		return -1;
	}
	PGresult *res = PQexec(c->db, sql);
	ExecStatusType st = PQresultStatus(res);
	int ret = 0;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		note_command(c, res);
	} else if (st != PGRES_EMPTY_QUERY) {
		conn_fail(c, res);
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
		conn_fail(c, NULL);
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
		conn_fail(c, failure);
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

/* ---- '?' to $N ------------------------------------------------------------------------- */

static int is_ident_char(char ch)
{
	unsigned char u = (unsigned char)ch;
	return u >= 0x80 || u == '_' || u == '$' || (u >= '0' && u <= '9') ||
	       ((u | 0x20) >= 'a' && (u | 0x20) <= 'z');
}

/* The length of the quoted text at s (its quotes included); backslashes escape in E'...'. */
static size_t quoted_len(const char *s, int backslashes)
{
	size_t i = 1;
	while (s[i]) {
		if (backslashes && s[i] == '\\' && s[i + 1]) {
			i += 2;
			continue;
		}
		if (s[i++] != s[0])
			continue;
		if (s[i] != s[0])
			return i;
		i++; /* a doubled quote stands for itself */
	}
	return i;
}

/* The length of the block comment at s; they nest in PostgreSQL. */
static size_t block_comment_len(const char *s)
{
	size_t i = 2;
	int depth = 1;
	while (s[i] && depth) {
		if (s[i] == '/' && s[i + 1] == '*') {
			depth++;
			i += 2;
		} else if (s[i] == '*' && s[i + 1] == '/') {
			depth--;
			i += 2;
		} else {
			i++;
		}
	}
	return i;
}

/* The length of the $tag$...$tag$ string at s, or 0 when s starts none ($1 is a parameter). */
static size_t dollar_quoted_len(const char *s)
{
	size_t tag = 1;
	while (s[tag] && s[tag] != '$' && is_ident_char(s[tag]))
		tag++;
	if (s[tag] != '$' || (s[1] >= '0' && s[1] <= '9'))
		return 0;
	tag++; /* the tag and both its dollars */
	for (const char *end = strchr(s + tag, '$'); end; end = strchr(end + 1, '$'))
		if (!strncmp(end, s, tag))
			return (size_t)(end - s) + tag;
	return strlen(s);
}

/* The length of the literal, quoted identifier or comment at sql + i, or 0. */
static size_t skip_len(const char *sql, size_t i)
{
	const char *s = sql + i;
	switch (*s) {
	case '\'': {
		int e = i && (s[-1] | 0x20) == 'e' && (i == 1 || !is_ident_char(s[-2]));
		return quoted_len(s, e);
	}
	case '"':
		return quoted_len(s, 0);
	case '-':
		return s[1] == '-' ? strcspn(s, "\n") : 0;
	case '/':
		return s[1] == '*' ? block_comment_len(s) : 0;
	case '$':
		return i && is_ident_char(s[-1]) ? 0 : dollar_quoted_len(s);
	default:
		return 0;
	}
}

/*
 * Rewrite sql's parameters as SQLite numbers them: ?N is $N, and a bare
 * '?' is one more than the largest number so far.
 */
static int rewrite_params(const char *sql, struct strbuf *out, int *nparams, struct strbuf *used,
			  struct strbuf *err)
{
	long max = 0;
	size_t i = 0;
	while (sql[i]) {
		size_t skip = skip_len(sql, i);
		if (skip) {
			strbuf_add(out, sql + i, skip);
			i += skip;
			continue;
		}
		if (sql[i] != '?') {
			strbuf_addch(out, sql[i++]);
			continue;
		}
		long n = max + 1;
		int overflow = 0;
		if (sql[i + 1] >= '0' && sql[i + 1] <= '9') {
			char *end;
			errno = 0;
			n = strtol(sql + i + 1, &end, 10);
			overflow = errno !=
				   0; /* errno is the parse's only here: a bare '?' leaves it stale */
			i = (size_t)(end - sql);
		} else {
			i++;
		}
		if (n < 1 || n > PG_MAX_PARAMS || overflow) {
			strbuf_addf(err, "store: parameter ?%ld out of range (1 to %d)", n,
				    PG_MAX_PARAMS);
			return -1;
		}
		strbuf_addf(out, "$%ld", n);
		while ((long)used->len < n)
			strbuf_addch(used, 0);
		used->buf[n - 1] = 1;
		if (n > max)
			max = n;
	}
	*nparams = (int)max;
	return 0;
}

/* ---- statements ------------------------------------------------------------------------ */

int pg_prepare(struct pg_conn *c, const char *sql, struct pg_stmt **out, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT, used = STRBUF_INIT;
	int n = 0;
	*out = NULL;
	if (rewrite_params(sql, &text, &n, &used, err)) {
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
	if (revive(c))
		return -1;
	PGresult *res;
	if (s->keep) {
		if (s->prepared_in != c->session + 1) {
			res = PQprepare(c->db, s->name, s->sql, s->nparams, s->types);
			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				conn_fail(c, res);
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
		conn_fail(c, res);
		PQclear(res);
		return -1;
	}
	note_command(c, res);
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

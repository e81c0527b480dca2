/*
 * PostgreSQL's parameters: SQLite's '?' and '?N' rewritten to $N, past
 * string literals, quoted identifiers, comments and dollar-quoted strings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_internal.h"
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
int pg_rewrite_params(const char *sql, struct strbuf *out, int *nparams, struct strbuf *used,
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

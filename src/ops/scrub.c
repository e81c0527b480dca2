/*
 * Scrubbing; see scrub.h.  POSIX extended regular expressions, bytewise:
 * every pattern is ASCII, so UTF-8 around a match is left whole.
 */
#include "ops/scrub.h"

#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"

struct rule {
	const char *pattern, *replacement;
	int (*accept)(const char *match, size_t len); /* NULL: every match */
	regex_t re;
};

/* A phone number has at least 9 digits; shorter runs are values ("1/125 s", "2026-12-04"). */
static int enough_digits(const char *s, size_t len)
{
	size_t d = 0;
	for (size_t i = 0; i < len; i++)
		d += s[i] >= '0' && s[i] <= '9';
	return d >= 9;
}

/* An IBAN is mostly digits (FR76 3000 6000 0112 3456 7890 189); a model name has few. */
static int iban_digits(const char *s, size_t len)
{
	size_t d = 0;
	for (size_t i = 0; i < len; i++)
		d += s[i] >= '0' && s[i] <= '9';
	return d >= 10;
}

/* A key mixes digits and letters; a long word has no digit. */
static int mixed(const char *s, size_t len)
{
	int digit = 0, letter = 0;
	for (size_t i = 0; i < len; i++) {
		digit |= s[i] >= '0' && s[i] <= '9';
		letter |= (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z');
	}
	return digit && letter;
}

/*
 * In order: credentials before addresses (user:pw@host is not an e-mail),
 * keys and bank accounts before phones.
 */
static struct rule rules[] = {
	{ "([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@[:space:]]+@", "\\1[credentials]@", NULL, { 0 } },
	{ "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+", "[email]", NULL, { 0 } },
	/* A key starts a word: "dark-frame-subtraction" holds no "rk-" key. */
	{ "(^|[^A-Za-z0-9])((sk|pk|rk)-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|"
	  "xox[abpr]-[A-Za-z0-9-]{10,}|[Bb]earer [A-Za-z0-9._~+/=-]{16,})",
	  "\\1[secret]",
	  NULL,
	  { 0 } },
	/* Bank accounts: country, check digits, then groups of four (before phones eat the digits). */
	{ "(^|[^A-Za-z0-9])[A-Z]{2}[0-9]{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,4})?",
	  "\\1[iban]",
	  iban_digits,
	  { 0 } },
	/* Long runs mixing letters and digits: hex digests, base64 keys. */
	{ "[A-Za-z0-9+/=]{32,}", "[secret]", mixed, { 0 } },
	{ "\\+?\\(?[0-9]{1,4}\\)?([ .-]?[0-9]{1,4}){3,6}", "[phone]", enough_digits, { 0 } },
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static pthread_once_t compiled = PTHREAD_ONCE_INIT;

static void compile(void)
{
	for (size_t i = 0; i < NRULES; i++)
		if (regcomp(&rules[i].re, rules[i].pattern, REG_EXTENDED))
			abort(); /* a pattern of ours: a bug, not input */
}

static char *apply(const struct rule *r, const char *text, size_t *found)
{
	struct strbuf out = STRBUF_INIT;
	const char *p = text;
	regmatch_t m[2];
	while (*p && regexec(&r->re, p, 2, m, p == text ? 0 : REG_NOTBOL) == 0 && m[0].rm_eo > 0) {
		const char *at = p + m[0].rm_so;
		size_t len = (size_t)(m[0].rm_eo - m[0].rm_so);
		if (r->accept && !r->accept(at, len)) {
			strbuf_add(&out, p, (size_t)m[0].rm_eo);
			p += m[0].rm_eo;
			continue;
		}
		strbuf_add(&out, p, (size_t)m[0].rm_so);
		for (const char *rep = r->replacement; *rep; rep++) {
			if (rep[0] == '\\' && rep[1] == '1' && m[1].rm_so >= 0) {
				strbuf_add(&out, p + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
				rep++;
			} else {
				strbuf_add(&out, rep, 1);
			}
		}
		(*found)++;
		p += m[0].rm_eo;
	}
	strbuf_addstr(&out, p);
	return strbuf_detach(&out, NULL);
}

char *scrub_text(const char *text, size_t *found)
{
	size_t count = 0;
	pthread_once(&compiled, compile);
	char *cur = xstrdup(text ? text : "");
	for (size_t i = 0; i < NRULES; i++) {
		char *next = apply(&rules[i], cur, &count);
		free(cur);
		cur = next;
	}
	if (found)
		*found += count;
	return cur;
}

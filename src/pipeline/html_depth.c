/*
 * Nesting depth of raw HTML, counted by a small tag scanner: no tree, one
 * pass.  The count is an estimate of the parser's stack: void elements
 * (<br>, <img>) and elements whose end tag may be left out (<p>, <li>,
 * <td>...) are not counted, so ordinary sloppy HTML never reaches the limit.
 */
#include <string.h>
#include <strings.h>

#include "core/strbuf.h"
#include "pipeline/html_depth.h"

static int name_in(const char *name, size_t len, const char *const *list)
{
	for (; *list; list++)
		if (strlen(*list) == len && !strncasecmp(name, *list, len))
			return 1;
	return 0;
}

/* Elements that do not deepen the parser's stack of open elements. */
static int not_counted(const char *name, size_t len)
{
	static const char *const flat[] = {
		"area",     "base", "br",    "col",    "embed", "hr",    "img",    "input",
		"link",     "meta", "param", "source", "track", "wbr",   "keygen", /* void */
		"p",        "li",   "dt",    "dd",     "tr",    "td",    "th",     "option",
		"optgroup", "rb",   "rt",    "rp",     "thead", "tbody", "tfoot",  "colgroup",
		"html",     "head", "body", /* end optional */
		NULL,
	};
	return name_in(name, len, flat);
}

/* Elements whose content is text up to their end tag, never markup. */
static int raw_text(const char *name, size_t len)
{
	static const char *const raw[] = {
		"script", "style",   "textarea", "title",     "xmp",
		"iframe", "noembed", "noframes", "plaintext", NULL,
	};
	return name_in(name, len, raw);
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == ':' || c == '_';
}

/* The end of the tag starting at `p` (just past '>'), quotes respected. */
static const char *tag_end(const char *p, const char *end)
{
	char quote = 0;
	for (; p < end; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '>') {
			return p + 1;
		}
	}
	return end;
}

/* Past the end tag of raw-text element `name`, or `end`. */
static const char *raw_text_end(const char *p, const char *end, const char *name, size_t len)
{
	for (; p + 2 + len <= end; p++)
		if (p[0] == '<' && p[1] == '/' && !strncasecmp(p + 2, name, len) &&
		    (p + 2 + len == end || !is_name_char(p[2 + len])))
			return tag_end(p + 2 + len, end);
	return end;
}

static const char *skip_past(const char *p, const char *end, const char *what)
{
	size_t n = strlen(what);
	for (; p + n <= end; p++)
		if (!memcmp(p, what, n))
			return p + n;
	return end;
}

struct depth_scan {
	const char *text;
	struct strbuf out;
	const char *copied; /* text before this point is in `out` (once dropping began) */
	int copying;
};

static void drop(struct depth_scan *s, const char *from, const char *to)
{
	if (!s->copying) {
		s->copying = 1;
		s->copied = s->text;
	}
	strbuf_add(&s->out, s->copied, (size_t)(from - s->copied));
	s->copied = to;
}

char *html_limit_depth(const char *text, size_t len, int max_depth, size_t *out_len, size_t *dropped,
		       int *deepest)
{
	struct depth_scan s = { .text = text, .out = STRBUF_INIT };
	const char *p = text, *end = text + len;
	int depth = 0;
	*dropped = 0;
	*deepest = 0;
	while ((p = memchr(p, '<', (size_t)(end - p)))) {
		const char *tag = p;
		if (end - p >= 4 && !memcmp(p, "<!--", 4)) {
			p = skip_past(p + 4, end, "-->");
			continue;
		}
		if (p + 1 < end && (p[1] == '!' || p[1] == '?')) {
			p = tag_end(p + 1, end);
			continue;
		}
		int closing = p + 1 < end && p[1] == '/';
		const char *name = p + 1 + closing, *n = name;
		while (n < end && is_name_char(*n))
			n++;
		size_t nlen = (size_t)(n - name);
		if (!nlen || !((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z'))) {
			p++; /* a lone '<' in text */
			continue;
		}
		p = tag_end(n, end);
		int self_closing = p - tag >= 2 && p[-1] == '>' && p[-2] == '/';
		if (!closing && raw_text(name, nlen)) {
			p = raw_text_end(p, end, name, nlen);
			continue;
		}
		if (not_counted(name, nlen) || self_closing)
			continue;
		if (closing) {
			if (depth > max_depth)
				drop(&s, tag, p);
			if (depth > 0)
				depth--;
		} else {
			if (++depth > max_depth) {
				drop(&s, tag, p);
				(*dropped)++;
			}
			if (depth > *deepest)
				*deepest = depth;
		}
	}
	if (!s.copying)
		return NULL;
	strbuf_add(&s.out, s.copied, (size_t)(end - s.copied));
	*out_len = s.out.len;
	return strbuf_detach(&s.out, NULL);
}

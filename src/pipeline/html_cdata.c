/*
 * See html_cdata.h.
 */
#define _GNU_SOURCE /* memmem */
#include "pipeline/html_cdata.h"

#include <string.h>

#include "core/strbuf.h"

#define OPEN  "<![CDATA["
#define CLOSE "]]>"

char *html_cdata_as_text(const char *text, size_t len, size_t *out_len)
{
	const char *p = text, *end = text + len;
	const char *open = memmem(p, len, OPEN, strlen(OPEN));
	if (!open)
		return NULL;
	struct strbuf out = STRBUF_INIT;
	strbuf_grow(&out, len);
	while (open) {
		strbuf_add(&out, p, (size_t)(open - p));
		const char *body = open + strlen(OPEN);
		const char *close = memmem(body, (size_t)(end - body), CLOSE, strlen(CLOSE));
		const char *stop = close ? close
					 : end; /* unterminated: to the end, as the parser would */
		for (const char *c = body; c < stop; c++) {
			if (*c == '&')
				strbuf_addstr(&out, "&amp;");
			else if (*c == '<')
				strbuf_addstr(&out, "&lt;");
			else if (*c == '>')
				strbuf_addstr(&out, "&gt;");
			else
				strbuf_addch(&out, *c);
		}
		p = close ? close + strlen(CLOSE) : end;
		open = memmem(p, (size_t)(end - p), OPEN, strlen(OPEN));
	}
	strbuf_add(&out, p, (size_t)(end - p));
	*out_len = out.len;
	return strbuf_detach(&out, NULL);
}

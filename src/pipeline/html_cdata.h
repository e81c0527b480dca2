/*
 * A second guard in front of the HTML parser: gumbo 0.10.1, as Debian 12
 * ships it (assertions on), aborts on a CDATA section inside SVG or
 * MathML within a table (fuzz/regressions/extract_html).  CDATA sections
 * are turned into the text they hold, escaped, before parsing: the text a
 * reader sees in foreign content, and no CDATA for the parser to trip on.
 */
#ifndef PIPELINE_HTML_CDATA_H
#define PIPELINE_HTML_CDATA_H

#include <stddef.h>

/* A copy of `text` with "<![CDATA[x]]>" as "x" escaped, or NULL when there is none. */
char *html_cdata_as_text(const char *text, size_t len, size_t *out_len);

#endif

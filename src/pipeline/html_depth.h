/*
 * A guard in front of the HTML parser.  The HTML5 tree builder scans its
 * stack of open elements for every start tag, so its time grows with the
 * square of the nesting depth (100,000 nested <div>: 32 s), and deep trees
 * are deep recursions for whoever walks them.  Real pages nest a few dozen
 * levels; tags nested deeper than a limit are dropped before parsing, their
 * text kept.
 */
#ifndef PIPELINE_HTML_DEPTH_H
#define PIPELINE_HTML_DEPTH_H

#include <stddef.h>

#define HTML_MAX_DEPTH 512

/*
 * A copy of `text` without the start and end tags nested deeper than
 * `max_depth`, or NULL when no tag is that deep (use `text` as it is).
 * `*dropped` counts the start tags removed; `*deepest` the depth reached.
 */
char *html_limit_depth(const char *text, size_t len, int max_depth, size_t *out_len, size_t *dropped,
		       int *deepest);

#endif

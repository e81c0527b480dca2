/*
 * Plain text, Markdown (cmark) and HTML (gumbo) extraction, and the
 * dispatcher that decodes a file's bytes before handing them over.
 */
#include <cmark.h>
#include <ctype.h>
#include <gumbo.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fsutil.h"
#include "core/xalloc.h"
#include "pipeline/extract.h"
#include "pipeline/html_cdata.h"
#include "pipeline/html_depth.h"
#include "text/utf8.h"

/* --- plain text ---------------------------------------------------------- */

static int is_rule(const char *line, size_t len, char c)
{
	if (len < 3)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (line[i] != c && !isspace((unsigned char)line[i]))
			return 0;
	return 1;
}

/* "2.", "2.3", "II." -> heading depth, 0 when not numbered. */
static int numbered_depth(const char *s, size_t len)
{
	size_t i = 0;
	int depth = 0;
	while (i < len && isdigit((unsigned char)s[i])) {
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		depth++;
		if (i < len && s[i] == '.')
			i++;
		else
			break;
	}
	return depth && i < len && s[i] == ' ' ? depth : 0;
}

static int all_caps(const char *s, size_t len)
{
	int upper = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (islower(c))
			return 0;
		upper += isupper(c);
	}
	return upper >= 3;
}

/*
 * A one-line paragraph is a heading when it is numbered ("2.1 Title") or
 * in capitals, short and without final punctuation.  Underlined headings
 * (=== or ---) are caught line by line in extract_plain_text.
 */
static int text_heading_level(const char *para, size_t len)
{
	if (memchr(para, '\n', len) || len > 90 || strchr(".,;:!?", para[len - 1]))
		return 0;
	int depth = numbered_depth(para, len);
	if (depth)
		return depth;
	return all_caps(para, len) ? 1 : 0;
}

static void flush_paragraph(struct extracted *out, struct strbuf *para)
{
	strbuf_rtrim(para);
	if (para->len) {
		int level = text_heading_level(para->buf, para->len);
		extracted_add_block(out, level ? BLOCK_HEADING : BLOCK_PARAGRAPH, level, 1, para->buf,
				    para->len);
	}
	strbuf_reset(para);
}

int extract_plain_text(const char *text, size_t len, struct extracted *out)
{
	struct strbuf para = STRBUF_INIT;
	size_t lines_in_para = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t eol = nl ? (size_t)(nl - text) : len;
		const char *line = text + i;
		size_t n = eol - i;
		while (n && (line[n - 1] == '\r' || isspace((unsigned char)line[n - 1])))
			n--;
		i = eol + 1;
		size_t lead = 0;
		while (lead < n && isspace((unsigned char)line[lead]))
			lead++;
		if (lead == n) {
			flush_paragraph(out, &para);
			lines_in_para = 0;
		} else if (lines_in_para == 1 && (is_rule(line, n, '=') || is_rule(line, n, '-'))) {
			extracted_add_block(out, BLOCK_HEADING, line[lead] == '=' ? 1 : 2, 1, para.buf,
					    para.len);
			strbuf_reset(&para);
			lines_in_para = 0;
		} else {
			if (para.len)
				strbuf_addch(&para, '\n');
			strbuf_add(&para, line, n);
			lines_in_para++;
		}
	}
	flush_paragraph(out, &para);
	strbuf_release(&para);
	extracted_add_page(out, 1, out->nblocks ? PAGE_TEXT : PAGE_EMPTY, (int)len);
	return 0;
}

/* --- Markdown ------------------------------------------------------------ */

int extract_markdown(const char *text, size_t len, struct extracted *out)
{
	cmark_node *root = cmark_parse_document(text, len, CMARK_OPT_DEFAULT);
	cmark_iter *it = cmark_iter_new(root);
	struct strbuf cur = STRBUF_INIT;
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type type = cmark_node_get_type(node);
		switch (type) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			strbuf_addstr(&cur, cmark_node_get_literal(node));
			break;
		case CMARK_NODE_SOFTBREAK:
			/* A pipe table is a paragraph to CommonMark: its rows stay lines (see clean). */
			strbuf_addch(&cur, cur.len && cur.buf[cur.len - 1] == '|' ? '\n' : ' ');
			break;
		case CMARK_NODE_LINEBREAK:
			strbuf_addch(&cur, '\n');
			break;
		case CMARK_NODE_CODE_BLOCK:
			extracted_add_block(out, BLOCK_PARAGRAPH, 0, 1, cmark_node_get_literal(node),
					    strlen(cmark_node_get_literal(node)));
			break;
		case CMARK_NODE_HEADING:
		case CMARK_NODE_PARAGRAPH:
			if (ev == CMARK_EVENT_ENTER) {
				strbuf_reset(&cur);
			} else if (cur.len) {
				int level = type == CMARK_NODE_HEADING
						    ? cmark_node_get_heading_level(node)
						    : 0;
				extracted_add_block(out, level ? BLOCK_HEADING : BLOCK_PARAGRAPH, level,
						    1, cur.buf, cur.len);
				strbuf_reset(&cur);
			}
			break;
		default:
			break;
		}
	}
	strbuf_release(&cur);
	cmark_iter_free(it);
	cmark_node_free(root);
	extracted_add_page(out, 1, out->nblocks ? PAGE_TEXT : PAGE_EMPTY, (int)len);
	return 0;
}

/* --- HTML ---------------------------------------------------------------- */

struct html_walk {
	struct extracted *out;
	struct strbuf cur;
	int in_pre;
};

static void html_flush(struct html_walk *w, int level)
{
	size_t start = 0;
	while (start < w->cur.len && isspace((unsigned char)w->cur.buf[start]))
		start++;
	if (start < w->cur.len)
		extracted_add_block(w->out, level ? BLOCK_HEADING : BLOCK_PARAGRAPH, level, 1,
				    w->cur.buf + start, w->cur.len - start);
	strbuf_reset(&w->cur);
}

static int html_skipped(GumboTag tag)
{
	switch (tag) {
	case GUMBO_TAG_SCRIPT:
	case GUMBO_TAG_STYLE:
	case GUMBO_TAG_NOSCRIPT:
	case GUMBO_TAG_TEMPLATE:
	case GUMBO_TAG_HEAD:
	case GUMBO_TAG_NAV:
	case GUMBO_TAG_SVG:
	case GUMBO_TAG_IFRAME:
	case GUMBO_TAG_OBJECT:
	case GUMBO_TAG_FORM:
	case GUMBO_TAG_BUTTON:
	case GUMBO_TAG_SELECT:
		return 1;
	default:
		return 0;
	}
}

static int html_block(GumboTag tag)
{
	switch (tag) {
	case GUMBO_TAG_P:
	case GUMBO_TAG_DIV:
	case GUMBO_TAG_LI:
	case GUMBO_TAG_UL:
	case GUMBO_TAG_OL:
	case GUMBO_TAG_TD:
	case GUMBO_TAG_TH:
	case GUMBO_TAG_TR:
	case GUMBO_TAG_TABLE:
	case GUMBO_TAG_PRE:
	case GUMBO_TAG_BLOCKQUOTE:
	case GUMBO_TAG_SECTION:
	case GUMBO_TAG_ARTICLE:
	case GUMBO_TAG_HEADER:
	case GUMBO_TAG_FOOTER:
	case GUMBO_TAG_MAIN:
	case GUMBO_TAG_ASIDE:
	case GUMBO_TAG_DL:
	case GUMBO_TAG_DT:
	case GUMBO_TAG_DD:
	case GUMBO_TAG_FIGURE:
	case GUMBO_TAG_FIGCAPTION:
	case GUMBO_TAG_HR:
	case GUMBO_TAG_BODY:
	case GUMBO_TAG_CAPTION:
	case GUMBO_TAG_ADDRESS:
		return 1;
	default:
		return 0;
	}
}

static int html_heading_level(GumboTag tag)
{
	switch (tag) {
	case GUMBO_TAG_H1:
		return 1;
	case GUMBO_TAG_H2:
		return 2;
	case GUMBO_TAG_H3:
		return 3;
	case GUMBO_TAG_H4:
		return 4;
	case GUMBO_TAG_H5:
		return 5;
	case GUMBO_TAG_H6:
		return 6;
	default:
		return 0;
	}
}

static void html_text(struct html_walk *w, const GumboNode *node)
{
	for (const char *s = node->v.text.text; *s; s++)
		strbuf_addch(&w->cur, !w->in_pre && (*s == '\n' || *s == '\r') ? ' ' : *s);
}

/* What an element does before its children; 0 when they are skipped. */
static int html_enter(struct html_walk *w, const GumboNode *node)
{
	GumboTag tag = node->v.element.tag;
	if (html_skipped(tag))
		return 0;
	if (tag == GUMBO_TAG_BR) {
		strbuf_addch(&w->cur, '\n');
		return 0;
	}
	if (html_heading_level(tag) || html_block(tag))
		html_flush(w, 0);
	if (tag == GUMBO_TAG_PRE)
		w->in_pre++;
	return 1;
}

/* And after them. */
static void html_leave(struct html_walk *w, const GumboNode *node)
{
	GumboTag tag = node->v.element.tag;
	int level = html_heading_level(tag);
	if (tag == GUMBO_TAG_PRE)
		w->in_pre--;
	if (level || html_block(tag))
		html_flush(w, level);
	else if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH)
		strbuf_addch(&w->cur, ' ');
}

/* Depth first with a stack of our own: a deep tree is not a deep recursion. */
static void html_walk(struct html_walk *w, GumboNode *root)
{
	struct frame {
		GumboNode *node;
		unsigned next;
	} *stack = NULL;
	size_t depth = 0, alloc = 0;
	if (root->type != GUMBO_NODE_ELEMENT || !html_enter(w, root))
		return;
	ALLOC_GROW(stack, depth + 1, alloc);
	stack[depth++] = (struct frame){ root, 0 };
	while (depth) {
		struct frame *f = &stack[depth - 1];
		GumboVector *children = &f->node->v.element.children;
		if (f->next == children->length) {
			html_leave(w, f->node);
			depth--;
			continue;
		}
		GumboNode *child = children->data[f->next++];
		if (child->type == GUMBO_NODE_TEXT || child->type == GUMBO_NODE_CDATA ||
		    child->type == GUMBO_NODE_WHITESPACE) {
			html_text(w, child);
		} else if (child->type == GUMBO_NODE_ELEMENT && html_enter(w, child)) {
			ALLOC_GROW(stack, depth + 1, alloc);
			stack[depth++] = (struct frame){ child, 0 };
		}
	}
	free(stack);
}

/* The <title>: it sits in <head>, a few levels down. */
static char *html_title(GumboNode *node, int levels)
{
	if (node->type != GUMBO_NODE_ELEMENT || levels < 0)
		return NULL;
	if (node->v.element.tag == GUMBO_TAG_TITLE && node->v.element.children.length) {
		GumboNode *t = node->v.element.children.data[0];
		if (t->type == GUMBO_NODE_TEXT)
			return xstrdup(t->v.text.text);
	}
	GumboVector *children = &node->v.element.children;
	for (unsigned i = 0; i < children->length; i++) {
		char *title = html_title(children->data[i], levels - 1);
		if (title)
			return title;
	}
	return NULL;
}

int extract_html(const char *text, size_t len, struct extracted *out)
{
	size_t flat_len = 0, plain_len = 0, dropped;
	int deepest;
	char *plain = html_cdata_as_text(text, len, &plain_len);
	if (plain) {
		text = plain;
		len = plain_len;
	}
	char *flat = html_limit_depth(text, len, HTML_MAX_DEPTH, &flat_len, &dropped, &deepest);
	if (flat)
		extracted_warn(out,
			       "HTML nested %d elements deep: %zu tags deeper than %d ignored, "
			       "their text kept",
			       deepest, dropped, HTML_MAX_DEPTH);
	GumboOutput *doc = gumbo_parse_with_options(&kGumboDefaultOptions, flat ? flat : text,
						    flat ? flat_len : len);
	struct html_walk w = { .out = out, .cur = STRBUF_INIT };
	if (!out->title)
		out->title = html_title(doc->root, 4);
	html_walk(&w, doc->root);
	html_flush(&w, 0);
	strbuf_release(&w.cur);
	gumbo_destroy_output(&kGumboDefaultOptions, doc);
	free(flat);
	free(plain);
	extracted_add_page(out, 1, out->nblocks ? PAGE_TEXT : PAGE_EMPTY, (int)len);
	return 0;
}

/* --- dispatch ------------------------------------------------------------ */

int extract_document(struct extractor *ex, const char *path, enum doc_type type, struct extracted *out,
		     struct strbuf *err)
{
	struct strbuf raw = STRBUF_INIT, text = STRBUF_INIT;
	int ret = -1;
	/* The caller checked the size against the stamp (extract_source.c); reading stops at it too. */
	unsigned long long limit = extractor_config(ex)->collect.max_file_size;
	switch (type) {
	case TYPE_PDF:
		return extract_pdf(ex, path, out, err);
	case TYPE_PNG:
	case TYPE_JPEG:
	case TYPE_TIFF:
		return extract_image(ex, path, type, out, err);
	case TYPE_EMPTY:
		strbuf_addstr(err, "the file is empty (0 bytes)");
		return -1;
	case TYPE_BINARY:
		strbuf_addstr(err, "the content is binary data, not a supported document "
				   "(PDF, PNG, JPEG, TIFF, text, Markdown or HTML)");
		return -1;
	case TYPE_TEXT:
	case TYPE_MARKDOWN:
	case TYPE_HTML:
		break;
	}
	if (read_file(path, &raw, (size_t)limit, err))
		goto cleanup;
	enum text_encoding enc = text_decode(raw.buf, raw.len, &text, &out->repaired);
	if (enc == ENC_BINARY) {
		strbuf_addstr(err, "the text is neither UTF-8, UTF-16 nor Windows-1252: control bytes "
				   "suggest binary data");
		goto cleanup;
	}
	out->encoding = text_encoding_name(enc);
	if (type == TYPE_HTML)
		ret = extract_html(text.buf, text.len, out);
	else if (type == TYPE_MARKDOWN)
		ret = extract_markdown(text.buf, text.len, out);
	else
		ret = extract_plain_text(text.buf, text.len, out);
cleanup:
	strbuf_release(&raw);
	strbuf_release(&text);
	return ret;
}

/*
 * See document_wire.h.  Pages carry only what extraction fills (number,
 * method, characters); the OCR fields are set later, in the run.
 */
#include "pipeline/document_wire.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "text/utf8.h"

static void put_u32(struct strbuf *out, uint32_t v)
{
	strbuf_add(out, &v, sizeof(v));
}

static void put_str(struct strbuf *out, const char *s)
{
	uint32_t len = s ? (uint32_t)strlen(s) : UINT32_MAX; /* UINT32_MAX: NULL */
	put_u32(out, len);
	if (s)
		strbuf_add(out, s, len);
}

void wire_put_extracted(struct strbuf *out, int rc, const struct extracted *doc, const char *error)
{
	put_u32(out, (uint32_t)rc);
	if (rc) {
		put_str(out, error ? error : "extraction failed");
		return;
	}
	put_str(out, doc->title);
	put_str(out, doc->encoding);
	put_u32(out, (uint32_t)doc->repaired);
	put_u32(out, (uint32_t)doc->nblocks);
	for (size_t i = 0; i < doc->nblocks; i++) {
		const struct block *b = &doc->blocks[i];
		put_u32(out, (uint32_t)b->kind);
		put_u32(out, (uint32_t)b->level);
		put_u32(out, (uint32_t)b->page);
		put_str(out, b->text);
	}
	put_u32(out, (uint32_t)doc->npages);
	for (size_t i = 0; i < doc->npages; i++) {
		put_u32(out, (uint32_t)doc->pages[i].page_no);
		put_u32(out, (uint32_t)doc->pages[i].method);
		put_u32(out, (uint32_t)doc->pages[i].chars);
	}
	put_u32(out, (uint32_t)doc->nwarnings);
	for (size_t i = 0; i < doc->nwarnings; i++)
		put_str(out, doc->warnings[i]);
}

struct reader {
	const char *p, *end;
	int bad;
};

static uint32_t get_u32(struct reader *r)
{
	uint32_t v = 0;
	if (r->end - r->p < (ptrdiff_t)sizeof(v)) {
		r->bad = 1;
		return 0;
	}
	memcpy(&v, r->p, sizeof(v));
	r->p += sizeof(v);
	return v;
}

/* A pointer into the message and its length; NULL for a NULL string. */
static const char *get_str(struct reader *r, size_t *len)
{
	uint32_t n = get_u32(r);
	*len = 0;
	if (r->bad || n == UINT32_MAX)
		return NULL;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	const char *s = r->p;
	r->p += n;
	*len = n;
	return s;
}

static char *get_strdup(struct reader *r)
{
	size_t len;
	const char *s = get_str(r, &len);
	return s ? xstrndup(s, len) : NULL;
}

/* The static name text_encoding_name gives, so the document can point at it. */
static const char *known_encoding(const char *name, size_t len)
{
	for (enum text_encoding e = ENC_UTF8; e <= ENC_BINARY; e++) {
		const char *known = text_encoding_name(e);
		if (name && strlen(known) == len && !memcmp(known, name, len))
			return known;
	}
	return NULL;
}

int wire_get_extracted(const char *data, size_t len, struct extracted *doc, struct strbuf *err)
{
	struct reader r = { data, data + len, 0 };
	size_t n;
	int rc = (int)get_u32(&r);
	if (!r.bad && rc) {
		const char *msg = get_str(&r, &n);
		if (!r.bad && msg)
			strbuf_add(err, msg, n);
	} else if (!r.bad) {
		doc->title = get_strdup(&r);
		const char *enc = get_str(&r, &n);
		doc->encoding = known_encoding(enc, n);
		doc->repaired = get_u32(&r);
		uint32_t nblocks = get_u32(&r);
		for (uint32_t i = 0; i < nblocks && !r.bad; i++) {
			enum block_kind kind = (enum block_kind)get_u32(&r);
			int level = (int)get_u32(&r), page = (int)get_u32(&r);
			const char *text = get_str(&r, &n);
			if (!r.bad)
				extracted_add_block(doc, kind, level, page, text ? text : "", n);
		}
		uint32_t npages = get_u32(&r);
		for (uint32_t i = 0; i < npages && !r.bad; i++) {
			int page_no = (int)get_u32(&r);
			enum page_method method = (enum page_method)get_u32(&r);
			int chars = (int)get_u32(&r);
			if (!r.bad)
				extracted_add_page(doc, page_no, method, chars);
		}
		uint32_t nwarnings = get_u32(&r);
		for (uint32_t i = 0; i < nwarnings && !r.bad; i++) {
			char *w = get_strdup(&r);
			if (w)
				extracted_warn(doc, "%s", w);
			free(w);
		}
	}
	if (r.bad || r.p != r.end) {
		extracted_release(doc);
		strbuf_reset(err);
		strbuf_addstr(err, "the parser worker sent a damaged message");
		return -1;
	}
	return rc;
}

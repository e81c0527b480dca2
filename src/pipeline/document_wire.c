/*
 * See document_wire.h.  Pages carry only what extraction fills (number,
 * method, characters); the OCR fields are set later, in the run.
 */
#include "pipeline/document_wire.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/wire.h"
#include "core/xalloc.h"
#include "text/utf8.h"

void wire_put_extracted(struct strbuf *out, int rc, const struct extracted *doc, const char *error)
{
	wire_put_u32(out, (uint32_t)rc);
	if (rc) {
		wire_put_str(out, error ? error : "extraction failed");
		return;
	}
	wire_put_str(out, doc->title);
	wire_put_str(out, doc->encoding);
	wire_put_u32(out, (uint32_t)doc->repaired);
	wire_put_u32(out, (uint32_t)doc->nblocks);
	for (size_t i = 0; i < doc->nblocks; i++) {
		const struct block *b = &doc->blocks[i];
		wire_put_u32(out, (uint32_t)b->kind);
		wire_put_u32(out, (uint32_t)b->level);
		wire_put_u32(out, (uint32_t)b->page);
		wire_put_str(out, b->text);
	}
	wire_put_u32(out, (uint32_t)doc->npages);
	for (size_t i = 0; i < doc->npages; i++) {
		wire_put_u32(out, (uint32_t)doc->pages[i].page_no);
		wire_put_u32(out, (uint32_t)doc->pages[i].method);
		wire_put_u32(out, (uint32_t)doc->pages[i].chars);
	}
	wire_put_u32(out, (uint32_t)doc->nwarnings);
	for (size_t i = 0; i < doc->nwarnings; i++)
		wire_put_str(out, doc->warnings[i]);
}

void wire_put_stamp(struct strbuf *out, const struct file_stamp *stamp)
{
	wire_put_u64(out, stamp->dev);
	wire_put_u64(out, stamp->ino);
	wire_put_u64(out, (uint64_t)stamp->size);
	wire_put_u64(out, (uint64_t)stamp->mtime_ns);
	wire_put_u64(out, (uint64_t)stamp->ctime_ns);
}

void wire_get_stamp(struct wire_reader *r, struct file_stamp *stamp)
{
	stamp->dev = wire_get_u64(r);
	stamp->ino = wire_get_u64(r);
	stamp->size = (long long)wire_get_u64(r);
	stamp->mtime_ns = (long long)wire_get_u64(r);
	stamp->ctime_ns = (long long)wire_get_u64(r);
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
	struct wire_reader r = WIRE_READER(data, len);
	size_t n;
	int rc = (int)wire_get_u32(&r);
	if (!r.bad && rc) {
		const char *msg = wire_get_str(&r, &n);
		if (!r.bad && msg)
			strbuf_add(err, msg, n);
	} else if (!r.bad) {
		doc->title = wire_get_strdup(&r);
		const char *enc = wire_get_str(&r, &n);
		doc->encoding = known_encoding(enc, n);
		doc->repaired = wire_get_u32(&r);
		uint32_t nblocks = wire_get_u32(&r);
		for (uint32_t i = 0; i < nblocks && !r.bad; i++) {
			enum block_kind kind = (enum block_kind)wire_get_u32(&r);
			int level = (int)wire_get_u32(&r), page = (int)wire_get_u32(&r);
			const char *text = wire_get_str(&r, &n);
			if (!r.bad)
				extracted_add_block(doc, kind, level, page, text ? text : "", n);
		}
		uint32_t npages = wire_get_u32(&r);
		for (uint32_t i = 0; i < npages && !r.bad; i++) {
			int page_no = (int)wire_get_u32(&r);
			enum page_method method = (enum page_method)wire_get_u32(&r);
			int chars = (int)wire_get_u32(&r);
			if (!r.bad)
				extracted_add_page(doc, page_no, method, chars);
		}
		uint32_t nwarnings = wire_get_u32(&r);
		for (uint32_t i = 0; i < nwarnings && !r.bad; i++) {
			char *w = wire_get_strdup(&r);
			if (w)
				extracted_warn(doc, "%s", w);
			free(w);
		}
	}
	if (!wire_done(&r)) {
		extracted_release(doc);
		strbuf_reset(err);
		strbuf_addstr(err, "the parser worker sent a damaged message");
		return -1;
	}
	return rc;
}

/*
 * See pdf_part.h.  Headings are found from font sizes: the size carrying
 * most characters is body text, and blocks set clearly larger
 * (extract.heading_ratio), or short bold lines, are headings, ranked by
 * size.
 */
#include "pipeline/pdf_part.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

/* Font sizes past this (500 pt) count as 500 pt. */
#define MAX_SIZE_SLOT 5000

static void grow_sizes(struct pdf_part *p, size_t nsizes)
{
	if (nsizes <= p->nsizes)
		return;
	p->size_chars = xrealloc(p->size_chars, nsizes * sizeof(long long));
	memset(p->size_chars + p->nsizes, 0, (nsizes - p->nsizes) * sizeof(long long));
	p->nsizes = nsizes;
}

void pdf_part_add_size(struct pdf_part *p, float size, long long chars)
{
	size_t slot = (size_t)lrintf(size * 10);
	if (slot > MAX_SIZE_SLOT)
		slot = MAX_SIZE_SLOT;
	grow_sizes(p, slot + 1);
	p->size_chars[slot] += chars;
}

void pdf_part_add_page(struct pdf_part *p, enum page_method method, int chars)
{
	ALLOC_GROW(p->pages, (size_t)p->count + 1, p->pages_alloc);
	p->pages[p->count++] = (struct pdf_page){ method, chars };
}

void pdf_part_append(struct pdf_part *dst, struct pdf_part *next)
{
	if (next->nblocks) {
		ALLOC_GROW(dst->blocks, dst->nblocks + next->nblocks, dst->blocks_alloc);
		memcpy(dst->blocks + dst->nblocks, next->blocks, next->nblocks * sizeof(*next->blocks));
		dst->nblocks += next->nblocks;
		next->nblocks = 0; /* the texts are dst's now */
	}
	grow_sizes(dst, next->nsizes);
	for (size_t s = 0; s < next->nsizes; s++)
		dst->size_chars[s] += next->size_chars[s];
	for (int i = 0; i < next->count; i++)
		pdf_part_add_page(dst, next->pages[i].method, next->pages[i].chars);
	if (!dst->title && next->title) {
		dst->title = next->title;
		next->title = NULL;
	}
	pdf_part_release(next);
}

void pdf_part_decide(struct pdf_part *p, const struct config *cfg, struct extracted *out)
{
	for (int i = 0; i < p->count; i++)
		extracted_add_page(out, p->first + i + 1, p->pages[i].method, p->pages[i].chars);
	if (p->title) {
		out->title = p->title;
		p->title = NULL;
	}
	size_t body_slot = 0;
	for (size_t s = 0; s < p->nsizes; s++)
		if (p->size_chars[s] > p->size_chars[body_slot])
			body_slot = s;
	float body = (float)body_slot / 10.0f;
	float threshold = body * (float)cfg->extract.heading_ratio;

	/* Distinct heading sizes, largest first, give the levels. */
	float levels[6];
	int nlevels = 0;
	for (size_t i = 0; i < p->nblocks; i++) {
		float sz = p->blocks[i].size;
		if (sz < threshold || p->blocks[i].lines > 3)
			continue;
		int known = 0;
		for (int k = 0; k < nlevels; k++)
			known |= fabsf(levels[k] - sz) < 0.5f;
		if (!known && nlevels < 6)
			levels[nlevels++] = sz;
	}
	for (int i = 0; i < nlevels; i++)
		for (int j = i + 1; j < nlevels; j++)
			if (levels[j] > levels[i]) {
				float t = levels[i];
				levels[i] = levels[j];
				levels[j] = t;
			}

	for (size_t i = 0; i < p->nblocks; i++) {
		struct raw_block *rb = &p->blocks[i];
		int index = rb->page - 1 - p->first;
		if (index < 0 || index >= p->count || p->pages[index].method != PAGE_TEXT)
			continue;
		size_t len = strlen(rb->text);
		int level = 0;
		if (rb->size >= threshold && rb->lines <= 3 && len < 200) {
			level = nlevels;
			for (int k = 0; k < nlevels; k++)
				if (fabsf(levels[k] - rb->size) < 0.5f) {
					level = k + 1;
					break;
				}
		} else if (rb->bold && rb->lines == 1 && len && len < 100 && rb->text[len - 1] != '.') {
			level = nlevels + 1;
		}
		extracted_take_block(out, level ? BLOCK_HEADING : BLOCK_PARAGRAPH, level, rb->page,
				     rb->text);
		rb->text = NULL;
	}
	pdf_part_release(p);
}

void pdf_part_release(struct pdf_part *p)
{
	for (size_t i = 0; i < p->nblocks; i++)
		free(p->blocks[i].text);
	free(p->blocks);
	free(p->size_chars);
	free(p->pages);
	free(p->title);
	memset(p, 0, sizeof(*p));
}

static uint32_t float_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	return u;
}

static float bits_float(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof(f));
	return f;
}

void wire_put_pdf_part(struct strbuf *out, const struct pdf_part *p)
{
	wire_put_u32(out, (uint32_t)p->npages);
	wire_put_u32(out, (uint32_t)p->first);
	wire_put_str(out, p->title);
	wire_put_u32(out, (uint32_t)p->count);
	for (int i = 0; i < p->count; i++) {
		wire_put_u32(out, (uint32_t)p->pages[i].method);
		wire_put_u32(out, (uint32_t)p->pages[i].chars);
	}
	wire_put_u32(out, (uint32_t)p->nsizes);
	for (size_t s = 0; s < p->nsizes; s++)
		wire_put_u64(out, (uint64_t)p->size_chars[s]);
	wire_put_u32(out, (uint32_t)p->nblocks);
	for (size_t i = 0; i < p->nblocks; i++) {
		const struct raw_block *b = &p->blocks[i];
		wire_put_u32(out, (uint32_t)b->page);
		wire_put_u32(out, float_bits(b->size));
		wire_put_u32(out, (uint32_t)b->bold);
		wire_put_u32(out, (uint32_t)b->lines);
		wire_put_str(out, b->text);
	}
}

int wire_get_pdf_part(struct wire_reader *r, struct pdf_part *p)
{
	memset(p, 0, sizeof(*p));
	p->npages = (int)wire_get_u32(r);
	p->first = (int)wire_get_u32(r);
	p->title = wire_get_strdup(r);
	uint32_t count = wire_get_u32(r);
	for (uint32_t i = 0; i < count && !r->bad; i++) {
		enum page_method method = (enum page_method)wire_get_u32(r);
		int chars = (int)wire_get_u32(r);
		pdf_part_add_page(p, method, chars);
	}
	uint32_t nsizes = wire_get_u32(r);
	if (nsizes > MAX_SIZE_SLOT + 1)
		r->bad = 1;
	if (!r->bad)
		grow_sizes(p, nsizes);
	for (uint32_t s = 0; s < nsizes && !r->bad; s++)
		p->size_chars[s] = (long long)wire_get_u64(r);
	uint32_t nblocks = wire_get_u32(r);
	for (uint32_t i = 0; i < nblocks && !r->bad; i++) {
		struct raw_block b = { 0 };
		b.page = (int)wire_get_u32(r);
		b.size = bits_float(wire_get_u32(r));
		b.bold = (int)wire_get_u32(r);
		b.lines = (int)wire_get_u32(r);
		b.text = wire_get_strdup(r);
		if (r->bad || !b.text) {
			free(b.text);
			r->bad = 1;
			break;
		}
		ALLOC_GROW(p->blocks, p->nblocks + 1, p->blocks_alloc);
		p->blocks[p->nblocks++] = b;
	}
	if (r->bad || p->first < 0 || p->count > p->npages || p->first > p->npages - p->count) {
		pdf_part_release(p);
		return -1;
	}
	return 0;
}

/*
 * Containers for a document between stages; see document.h.
 */
#include "pipeline/document.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"

void extracted_take_block(struct extracted *doc, enum block_kind kind, int level, int page, char *text)
{
	ALLOC_GROW(doc->blocks, doc->nblocks + 1, doc->blocks_alloc);
	struct block *b = &doc->blocks[doc->nblocks++];
	b->kind = kind;
	b->level = level;
	b->page = page;
	b->text = text;
}

void extracted_add_block(struct extracted *doc, enum block_kind kind, int level, int page,
			 const char *text, size_t len)
{
	extracted_take_block(doc, kind, level, page, xstrndup(text, len));
}

void extracted_add_page(struct extracted *doc, int page_no, enum page_method method, int chars)
{
	ALLOC_GROW(doc->pages, doc->npages + 1, doc->pages_alloc);
	struct page_record *p = &doc->pages[doc->npages++];
	memset(p, 0, sizeof(*p));
	p->page_no = page_no;
	p->method = method;
	p->chars = chars;
}

void extracted_release(struct extracted *doc)
{
	for (size_t i = 0; i < doc->nblocks; i++)
		free(doc->blocks[i].text);
	free(doc->blocks);
	free(doc->pages);
	free(doc->title);
	for (size_t i = 0; i < doc->nstrings; i++)
		free(doc->strings[i]);
	free(doc->strings);
	for (size_t i = 0; i < doc->nwarnings; i++)
		free(doc->warnings[i]);
	free(doc->warnings);
	memset(doc, 0, sizeof(*doc));
}

void chunks_free(struct chunk *chunks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(chunks[i].heading);
		free(chunks[i].text);
		free(chunks[i].text_tokens);
		free(chunks[i].heading_tokens);
	}
	free(chunks);
}

void extracted_warn(struct extracted *doc, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	doc->warnings = xrealloc(doc->warnings, (doc->nwarnings + 1) * sizeof(char *));
	doc->warnings[doc->nwarnings++] = strbuf_detach(&sb, NULL);
}

const char *extracted_keep(struct extracted *doc, char *s)
{
	doc->strings = xrealloc(doc->strings, (doc->nstrings + 1) * sizeof(char *));
	doc->strings[doc->nstrings++] = s;
	return s;
}

void extracted_drop_page_blocks(struct extracted *doc, int page)
{
	size_t kept = 0;
	for (size_t i = 0; i < doc->nblocks; i++) {
		if (doc->blocks[i].page == page)
			free(doc->blocks[i].text);
		else
			doc->blocks[kept++] = doc->blocks[i];
	}
	doc->nblocks = kept;
}

void extracted_sort_blocks(struct extracted *doc)
{
	/* Insertion sort: stable, and blocks arrive nearly in order. */
	for (size_t i = 1; i < doc->nblocks; i++) {
		struct block b = doc->blocks[i];
		size_t j = i;
		while (j > 0 && doc->blocks[j - 1].page > b.page) {
			doc->blocks[j] = doc->blocks[j - 1];
			j--;
		}
		doc->blocks[j] = b;
	}
}

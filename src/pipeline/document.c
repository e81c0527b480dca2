/*
 * Containers for a document between stages; see document.h.
 */
#include "pipeline/document.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void extracted_add_block(struct extracted *doc, enum block_kind kind, int level, int page,
			 const char *text, size_t len)
{
	ALLOC_GROW(doc->blocks, doc->nblocks + 1, doc->blocks_alloc);
	struct block *b = &doc->blocks[doc->nblocks++];
	b->kind = kind;
	b->level = level;
	b->page = page;
	b->text = xstrndup(text, len);
}

void extracted_add_page(struct extracted *doc, int page_no, enum page_method method, int chars)
{
	ALLOC_GROW(doc->pages, doc->npages + 1, doc->pages_alloc);
	struct page_record *p = &doc->pages[doc->npages++];
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
	memset(doc, 0, sizeof(*doc));
}

void chunks_free(struct chunk *chunks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(chunks[i].heading);
		free(chunks[i].text);
	}
	free(chunks);
}

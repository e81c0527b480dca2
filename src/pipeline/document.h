/*
 * A document between stages: what extraction found (pages and blocks of
 * text, headings marked), cleaned in place, then cut into chunks.
 */
#ifndef PIPELINE_DOCUMENT_H
#define PIPELINE_DOCUMENT_H

#include <stddef.h>

#include "store/store.h"

enum block_kind { BLOCK_PARAGRAPH, BLOCK_HEADING };

struct block {
	enum block_kind kind;
	int level; /* heading level, 1 = top */
	int page;  /* 1-based */
	char *text;
};

struct extracted {
	struct block *blocks;
	size_t nblocks, blocks_alloc;
	struct page_record *pages;
	size_t npages, pages_alloc;
	char *title;
	const char *encoding; /* static name, NULL for binary formats */
	size_t repaired;      /* invalid UTF-8 sequences replaced */
	char **strings;       /* owned by the document: what pages[] point to */
	size_t nstrings;
	char **warnings; /* what extraction changed or skipped, for the log */
	size_t nwarnings;
};

void extracted_add_block(struct extracted *doc, enum block_kind kind, int level, int page,
			 const char *text, size_t len);
/* The same, the document taking `text` (allocated) as it is. */
void extracted_take_block(struct extracted *doc, enum block_kind kind, int level, int page, char *text);
void extracted_add_page(struct extracted *doc, int page_no, enum page_method method, int chars);
void extracted_release(struct extracted *doc);
/* Record something the reader of the log should know ("tags nested too deep: dropped"). */
void extracted_warn(struct extracted *doc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Keep `s` (allocated) alive as long as the document; returns it. */
const char *extracted_keep(struct extracted *doc, char *s);
/* Drop the blocks of one page (its text is being replaced, e.g. by OCR). */
void extracted_drop_page_blocks(struct extracted *doc, int page);
/* Order blocks by page, keeping the order within a page. */
void extracted_sort_blocks(struct extracted *doc);

struct chunk {
	int page_start, page_end;
	char *heading;               /* heading path, " › " between levels */
	size_t char_start, char_end; /* byte offsets in the cleaned document text */
	char *text;
	/* text's and heading's tokens recorded ahead for the index (token_list.h), or NULL */
	char *text_tokens, *heading_tokens;
	size_t text_tokens_len, heading_tokens_len;
};

void chunks_free(struct chunk *chunks, size_t n);

#endif

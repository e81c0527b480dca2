/*
 * The clean stage; see clean.h.
 */
#include "pipeline/clean.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/parallel.h"
#include "core/xalloc.h"
#include "text/normalize.h"

/* A letter (any script) that ends a word fragment before a hyphen. */
static int prev_is_letter(const char *s, size_t i)
{
	if (i == 0)
		return 0;
	size_t j = i - 1;
	while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
		j--;
	utf8proc_int32_t cp;
	if (utf8proc_iterate((const utf8proc_uint8_t *)s + j, (utf8proc_ssize_t)(i - j), &cp) <= 0)
		return 0;
	return utf8proc_category(cp) <= UTF8PROC_CATEGORY_LO &&
	       utf8proc_category(cp) >= UTF8PROC_CATEGORY_LU;
}

static int starts_lowercase(const char *s)
{
	utf8proc_int32_t cp;
	if (utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp) <= 0)
		return 0;
	return utf8proc_category(cp) == UTF8PROC_CATEGORY_LL;
}

char *clean_block_text(const char *text, size_t *hyphens_joined)
{
	struct strbuf out = STRBUF_INIT;
	size_t len = strlen(text);
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '\n') {
			size_t next = i + 1;
			while (next < len && (text[next] == ' ' || text[next] == '\t'))
				next++;
			/*
			 * "expo-\nsition" -> "exposition": a word cut at a line end.
			 * "Jean-\nPierre" -> "Jean-Pierre": a compound keeps its hyphen.
			 */
			if (out.len && out.buf[out.len - 1] == '-' &&
			    prev_is_letter(out.buf, out.len - 1) && next < len) {
				if (starts_lowercase(text + next)) {
					strbuf_setlen(&out, out.len - 1);
					if (hyphens_joined)
						(*hyphens_joined)++;
				}
				i = next - 1;
				continue;
			}
			/* The rows of a pipe table ("| a | b |") stay lines: each can be an answer. */
			size_t end = out.len;
			while (end && out.buf[end - 1] == ' ')
				end--;
			if (end && out.buf[end - 1] == '|' && next < len && text[next] == '|') {
				strbuf_setlen(&out, end);
				strbuf_addch(&out, '\n');
				i = next - 1;
				continue;
			}
			c = ' ';
		}
		if (c == '\t')
			c = ' ';
		if (c == ' ' && (!out.len || out.buf[out.len - 1] == ' '))
			continue;
		strbuf_addch(&out, c);
	}
	strbuf_rtrim(&out);
	return strbuf_detach(&out, NULL);
}

/* Mostly symbols: OCR noise, rules, leaders.  Numbers count as content. */
static int is_garbage(const char *s)
{
	size_t content = 0, other = 0;
	for (size_t i = 0; s[i];) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, -1, &cp);
		if (n <= 0) {
			i++;
			other++;
			continue;
		}
		i += (size_t)n;
		utf8proc_category_t cat = utf8proc_category(cp);
		if (cp == ' ')
			continue;
		if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
		    (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO))
			content++;
		else
			other++;
	}
	return content + other == 0 || (content + other >= 3 && content * 2 < content + other);
}

int clean_is_garbage_ocr_line(const char *line, size_t len, float confidence, const struct config *cfg)
{
	if (confidence >= cfg->ocr.garbage_line_confidence)
		return 0;
	char *copy = xstrndup(line, len);
	/* Sure garbage: mostly symbols; or very unsure and hardly a word long. */
	int garbage = is_garbage(copy) || confidence < cfg->ocr.garbage_line_confidence / 2 || len < 4;
	free(copy);
	return garbage;
}

/* The key a running header/footer keeps from page to page: page numbers vary. */
static char *repeat_key(const char *text)
{
	struct strbuf key = STRBUF_INIT;
	text_fold(text, strlen(text), &key);
	for (size_t i = 0; i < key.len; i++)
		if (isdigit((unsigned char)key.buf[i]))
			key.buf[i] = '#';
	return strbuf_detach(&key, NULL);
}

struct edge {
	char *key;
	size_t block;
};

static int page_of_edge_count(const struct extracted *doc, struct edge *edges, size_t nedges,
			      const char *key)
{
	int count = 0, last_page = -1;
	for (size_t i = 0; i < nedges; i++) {
		int page = doc->blocks[edges[i].block].page;
		if (page != last_page && !strcmp(edges[i].key, key)) {
			count++;
			last_page = page;
		}
	}
	return count;
}

/* Drop blocks at the top or bottom of pages that repeat on most pages. */
static size_t remove_repeated(struct extracted *doc, double ratio, unsigned char *drop)
{
	int text_pages = 0;
	for (size_t p = 0; p < doc->npages; p++)
		text_pages += doc->pages[p].method == PAGE_TEXT;
	if (text_pages < 2)
		return 0;
	int needed = (int)ceil(ratio * text_pages);
	if (needed < 2)
		needed = 2;

	struct edge *edges = NULL;
	size_t nedges = 0, alloc = 0;
	for (size_t i = 0; i < doc->nblocks;) {
		size_t j = i;
		while (j < doc->nblocks && doc->blocks[j].page == doc->blocks[i].page)
			j++;
		/* The first two and last two blocks of the page. */
		for (size_t k = i; k < j; k++) {
			if (k - i >= 2 && j - k > 2)
				continue;
			if (strlen(doc->blocks[k].text) > 160)
				continue;
			ALLOC_GROW(edges, nedges + 1, alloc);
			edges[nedges].key = repeat_key(doc->blocks[k].text);
			edges[nedges++].block = k;
		}
		i = j;
	}
	size_t removed = 0;
	for (size_t e = 0; e < nedges; e++)
		if (page_of_edge_count(doc, edges, nedges, edges[e].key) >= needed) {
			drop[edges[e].block] = 1;
			removed++;
		}
	for (size_t e = 0; e < nedges; e++)
		free(edges[e].key);
	free(edges);
	return removed;
}

/*
 * Blocks are normalised on every thread when a document has many (the
 * 660-page benchmark PDF: 0.10 s on one); a small one is not worth a
 * thread.  Each block is its own: the result is the same either way.
 */
#define PARALLEL_BLOCKS 512

struct normalize_job {
	struct block *blocks;
	size_t *chars_in, *hyphens_joined; /* per worker */
};

static void normalize_blocks(void *ctx, int worker, size_t begin, size_t end)
{
	struct normalize_job *job = ctx;
	struct strbuf norm = STRBUF_INIT;
	for (size_t i = begin; i < end; i++) {
		struct block *b = &job->blocks[i];
		for (const char *c = b->text; *c; c++)
			job->chars_in[worker] += !isspace((unsigned char)*c) && (*c & 0xC0) != 0x80;
		strbuf_reset(&norm);
		text_normalize(b->text, strlen(b->text), &norm);
		free(b->text);
		b->text = clean_block_text(norm.buf, &job->hyphens_joined[worker]);
	}
	strbuf_release(&norm);
}

void clean_document(struct extracted *doc, const struct config *cfg, int threads,
		    struct clean_stats *stats)
{
	struct clean_stats local = { 0 };
	unsigned char *drop = xcalloc(doc->nblocks + 1, 1);
	struct strbuf norm = STRBUF_INIT;

	if (doc->nblocks < PARALLEL_BLOCKS || threads < 1)
		threads = 1;
	struct normalize_job job = { doc->blocks, xcalloc((size_t)threads, sizeof(size_t)),
				     xcalloc((size_t)threads, sizeof(size_t)) };
	parallel_for(doc->nblocks, threads, normalize_blocks, &job);
	for (int t = 0; t < threads; t++) {
		local.chars_in += job.chars_in[t];
		local.hyphens_joined += job.hyphens_joined[t];
	}
	free(job.chars_in);
	free(job.hyphens_joined);
	local.repeated_removed = remove_repeated(doc, cfg->clean.repeated_line_ratio, drop);

	size_t kept = 0;
	for (size_t i = 0; i < doc->nblocks; i++) {
		struct block *b = &doc->blocks[i];
		if (!drop[i] && is_garbage(b->text)) {
			drop[i] = 1;
			local.garbage_dropped += b->text[0] != '\0';
		}
		if (drop[i]) {
			free(b->text);
			continue;
		}
		doc->blocks[kept++] = *b;
	}
	doc->nblocks = kept;
	if (doc->title) {
		strbuf_reset(&norm);
		text_normalize(doc->title, strlen(doc->title), &norm);
		free(doc->title);
		doc->title = clean_block_text(norm.buf, NULL);
	}
	strbuf_release(&norm);
	free(drop);
	if (stats)
		*stats = local;
}

/*
 * The chunk stage; see chunk.h.
 */
#include "pipeline/chunk.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "core/xalloc.h"

char *document_text(const struct extracted *doc, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < doc->nblocks; i++) {
		if (i)
			strbuf_addstr(&sb, "\n\n");
		strbuf_addstr(&sb, doc->blocks[i].text);
	}
	return strbuf_detach(&sb, len);
}

/* Abbreviations after which a period does not end a sentence. */
static int is_abbreviation(const char *word, size_t len)
{
	static const char *const abbrevs[] = {
		"m",      "mm",  "mme", "mlle", "dr", "pr", "st", "ste", "p",    "pp", "cf",  "ex",
		"etc",    "fig", "env", "vol",  "no", "n°", "vs", "mr",  "mrs",  "ms", "e.g", "i.e",
		"approx", "max", "min", "chap", "éd", "ed", "av", "apr", "j.-c", NULL,
	};
	if (len == 1 && isupper((unsigned char)word[0]))
		return 1; /* an initial: "J. Smith" */
	for (const char *const *a = abbrevs; *a; a++)
		if (strlen(*a) == len && !strncasecmp(*a, word, len))
			return 1;
	return 0;
}

static int opens_sentence(const char *s, size_t len)
{
	if (!len)
		return 0;
	utf8proc_int32_t cp;
	if (utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp) <= 0)
		return 0;
	utf8proc_category_t cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT ||
	       cat == UTF8PROC_CATEGORY_ND || cp == 0xAB /* « */ || cp == '"' || cp == '(' ||
	       cp == 0x201C || cp == '[' || cp == '-' || cp == 0x2014;
}

int announces_what_follows(const char *text, size_t len)
{
	while (len && strchr(" \t\n»\"", text[len - 1]))
		len--;
	return len && text[len - 1] == ':';
}

size_t sentence_split(const char *text, size_t len, size_t *ends, size_t max_ends)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < max_ends; i++) {
		size_t end;
		char c = text[i];
		if (c == '.' || c == '!' || c == '?')
			end = i + 1;
		else if (i + 2 < len && !memcmp(text + i, "\xE2\x80\xA6", 3)) /* … */
			end = i + 3;
		else
			continue;
		/* closing quotes and brackets stay with the sentence */
		while (end < len && (text[end] == ')' || text[end] == '"' || text[end] == ']'))
			end++;
		if (end + 4 <= len && !memcmp(text + end, "\xC2\xA0\xC2\xBB", 4))
			end += 4;
		if (end >= len || text[end] != ' ')
			continue;
		size_t next = end;
		while (next < len && text[next] == ' ')
			next++;
		if (!opens_sentence(text + next, len - next))
			continue;
		if (c == '.') {
			size_t w = i;
			while (w > 0 && !isspace((unsigned char)text[w - 1]) && text[w - 1] != '(')
				w--;
			if (is_abbreviation(text + w, i - w))
				continue;
		}
		ends[n++] = end;
		i = end - 1;
	}
	ends[n++] = len;
	return n;
}

/* A piece of the document text that a chunk may start or end on. */
struct unit {
	size_t start, end; /* offsets in the document text */
	int page;
	int heading; /* a heading block: starts a new chunk */
	int level;
};

struct units {
	struct unit *items;
	size_t n, alloc;
};

static void add_unit(struct units *u, size_t start, size_t end, int page, int heading, int level)
{
	ALLOC_GROW(u->items, u->n + 1, u->alloc);
	u->items[u->n++] = (struct unit){ start, end, page, heading, level };
}

/* Split [start, end) at spaces into pieces of at most `target` bytes. */
static void add_long_sentence(struct units *u, const char *text, size_t start, size_t end, int page,
			      size_t target)
{
	while (end - start > target) {
		size_t cut = start + target;
		while (cut > start && text[cut] != ' ')
			cut--;
		if (cut == start) { /* one enormous word: cut on a character boundary */
			cut = start + target;
			while (cut > start && ((unsigned char)text[cut] & 0xC0) == 0x80)
				cut--;
		}
		add_unit(u, start, cut, page, 0, 0);
		start = cut;
		while (start < end && text[start] == ' ')
			start++;
	}
	if (end > start)
		add_unit(u, start, end, page, 0, 0);
}

static void build_units(const struct extracted *doc, const char *text, size_t target, struct units *u)
{
	size_t off = 0;
	size_t max_ends = 64;
	size_t *ends = xmalloc(max_ends * sizeof(size_t));
	for (size_t b = 0; b < doc->nblocks; b++) {
		const struct block *blk = &doc->blocks[b];
		size_t len = strlen(blk->text);
		if (b)
			off += 2;
		if (blk->kind == BLOCK_HEADING) {
			add_unit(u, off, off + len, blk->page, 1, blk->level);
		} else if (len <= target) {
			add_unit(u, off, off + len, blk->page, 0, 0);
		} else {
			if (len / 20 + 2 > max_ends) {
				max_ends = len / 20 + 2;
				ends = xrealloc(ends, max_ends * sizeof(size_t));
			}
			size_t n = sentence_split(blk->text, len, ends, max_ends);
			size_t s = 0;
			for (size_t k = 0; k < n; k++) {
				while (s < ends[k] && blk->text[s] == ' ')
					s++;
				if (ends[k] > s)
					add_long_sentence(u, text, off + s, off + ends[k], blk->page,
							  target);
				s = ends[k];
			}
		}
		off += len;
	}
	free(ends);
}

struct heading_stack {
	char *names[7];
};

static char *heading_path(const struct heading_stack *hs)
{
	struct strbuf sb = STRBUF_INIT;
	for (int l = 1; l <= 6; l++) {
		if (!hs->names[l])
			continue;
		if (sb.len)
			strbuf_addstr(&sb, " › ");
		strbuf_addstr(&sb, hs->names[l]);
	}
	return strbuf_detach(&sb, NULL);
}

static void push_heading(struct heading_stack *hs, int level, const char *text, size_t len)
{
	if (level < 1)
		level = 1;
	if (level > 6)
		level = 6;
	for (int l = level; l <= 6; l++) {
		free(hs->names[l]);
		hs->names[l] = NULL;
	}
	hs->names[level] = xstrndup(text, len);
}

struct chunk_list {
	struct chunk *items;
	size_t n, alloc;
};

static void emit(struct chunk_list *cl, const char *text, const struct units *u, size_t first,
		 size_t last, const char *heading)
{
	ALLOC_GROW(cl->items, cl->n + 1, cl->alloc);
	struct chunk *c = &cl->items[cl->n++];
	*c = (struct chunk){ 0 };
	c->char_start = u->items[first].start;
	c->char_end = u->items[last].end;
	c->text = xstrndup(text + c->char_start, c->char_end - c->char_start);
	c->heading = xstrdup(heading);
	c->page_start = c->page_end = u->items[first].page;
	for (size_t i = first; i <= last; i++) {
		if (u->items[i].page < c->page_start)
			c->page_start = u->items[i].page;
		if (u->items[i].page > c->page_end)
			c->page_end = u->items[i].page;
	}
}

int chunk_document(const struct extracted *doc, const struct config *cfg, struct chunk **out, size_t *n)
{
	size_t len;
	char *text = document_text(doc, &len);
	struct units u = { 0 };
	struct chunk_list cl = { 0 };
	struct heading_stack hs = { 0 };
	size_t target = cfg->chunk.target_chars, overlap = cfg->chunk.overlap_chars;
	size_t min_chars = cfg->chunk.min_chars;
	char *path = xstrdup("");

	build_units(doc, text, target, &u);
	size_t first = 0;
	int open = 0;
	for (size_t i = 0; i < u.n; i++) {
		struct unit *cur = &u.items[i];
		if (open) {
			size_t size = cur->end - u.items[first].start;
			int section_break = cur->heading &&
					    u.items[i - 1].end - u.items[first].start >= min_chars;
			/* What an announcement announces stays with it, up to half a chunk more. */
			const struct unit *last = &u.items[i - 1];
			/* Cut after an announcement, neither chunk would answer. */
			int keep_together = !cur->heading && !last->heading &&
					    announces_what_follows(text + last->start,
								   last->end - last->start) &&
					    size <= target + target / 2;
			if (section_break || (size > target && !keep_together)) {
				emit(&cl, text, &u, first, i - 1, path);
				open = 0;
				/* Carry whole sentences back for context, within a section. */
				if (!section_break && overlap) {
					size_t k = i;
					while (k > first + 1 &&
					       u.items[i - 1].end - u.items[k - 1].start <= overlap &&
					       !u.items[k - 1].heading)
						k--;
					while (k < i && cur->end - u.items[k].start > target)
						k++;
					if (k < i) {
						first = k;
						open = 1;
					}
				}
			}
		}
		if (cur->heading) {
			/* A chunk still open here continues into this section: it is filed under it. */
			push_heading(&hs, cur->level, text + cur->start, cur->end - cur->start);
			free(path);
			path = heading_path(&hs);
		}
		if (!open) {
			first = i;
			open = 1;
		}
	}
	if (open && u.n)
		emit(&cl, text, &u, first, u.n - 1, path);

	for (int l = 0; l <= 6; l++)
		free(hs.names[l]);
	free(path);
	free(u.items);
	free(text);
	*out = cl.items;
	*n = cl.n;
	return 0;
}

/*
 * The in-memory BM25 index; see lexicon.h.
 *
 * File layout (native byte order, checked by the magic):
 *   header
 *   int64  chunk_ids[nchunks]      ascending
 *   uint32 chunk_tokens[nchunks]   body + heading, as FTS5 counts them
 *   (pad to 8) term entries[nterms], sorted by name
 *   names  (the term strings, not NUL-terminated)
 *   (pad to 8) postings, grouped by term, by chunk within a term
 */
#include "retrieval/lexicon.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/parallel.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "text/normalize.h"

#define LEXICON_MAGIC "RGLEX1\n"

/* FTS5's bm25() defaults, and our column weights: bm25(1.0, 2.0). */
#define BM25_K1        1.2
#define BM25_B         0.75
#define HEADING_WEIGHT 2.0

struct lexicon_header {
	char magic[8];
	uint32_t nchunks, nterms;
	uint64_t total_tokens, names_len, npostings;
};

struct term_entry {
	uint64_t postings; /* index of its first posting */
	uint32_t name, name_len, df, unused;
};

struct posting {
	uint32_t chunk;         /* index into chunk_ids */
	uint16_t body, heading; /* occurrences, saturated at 65535 */
};

/* Per-chunk arrays of one search, kept zeroed between searches and reused. */
struct scratch {
	float *word_tf;
	double *score;
	uint32_t *word_hits, *hits;
	struct scratch *next;
};

struct lexicon {
	pthread_mutex_t lock; /* guards spare */
	struct scratch *spare;
	void *map;
	size_t size;
	const struct lexicon_header *h;
	const int64_t *ids;
	const uint32_t *tokens;
	const struct term_entry *terms;
	const char *names;
	const struct posting *postings;
	double avgdl;
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* --- building ----------------------------------------------------------- */

struct term_postings {
	struct posting *p;
	size_t n, alloc;
	char *name;
	size_t name_len;
};

struct builder {
	struct strmap ids; /* term -> index + 1 */
	struct term_postings *terms;
	size_t nterms, alloc;
	uint32_t chunk;  /* the chunk being read */
	uint32_t tokens; /* its tokens so far */
	int heading;     /* reading its heading */
};

static int add_token(void *ctx, const char *tok, size_t len, size_t start, size_t end, int colocated)
{
	struct builder *b = ctx;
	long *slot = strmap_slot(&b->ids, tok, len);
	if (!*slot) {
		ALLOC_GROW(b->terms, b->nterms + 1, b->alloc);
		struct term_postings *t = &b->terms[b->nterms];
		memset(t, 0, sizeof(*t));
		t->name = xstrndup(tok, len);
		t->name_len = len;
		*slot = (long)++b->nterms;
	}
	struct term_postings *t = &b->terms[*slot - 1];
	if (!t->n || t->p[t->n - 1].chunk != b->chunk) {
		ALLOC_GROW(t->p, t->n + 1, t->alloc);
		t->p[t->n++] = (struct posting){ b->chunk, 0, 0 };
	}
	uint16_t *count = b->heading ? &t->p[t->n - 1].heading : &t->p[t->n - 1].body;
	if (*count < UINT16_MAX)
		(*count)++;
	b->tokens += !colocated;
	return 0;
}

static const struct term_postings *sort_base;

static int by_name(const void *a, const void *b)
{
	const struct term_postings *x = &sort_base[*(const uint32_t *)a];
	const struct term_postings *y = &sort_base[*(const uint32_t *)b];
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);
	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static void serialize(const struct builder *b, const struct chunk_text *chunks, const uint32_t *tokens,
		      size_t n, struct strbuf *out)
{
	uint32_t *order = xcalloc(b->nterms + 1, sizeof(uint32_t));
	for (uint32_t i = 0; i < b->nterms; i++)
		order[i] = i;
	sort_base = b->terms; /* building runs in one thread: the pipeline's */
	qsort(order, b->nterms, sizeof(uint32_t), by_name);

	struct lexicon_header h = { LEXICON_MAGIC, (uint32_t)n, (uint32_t)b->nterms, 0, 0, 0 };
	for (size_t i = 0; i < n; i++)
		h.total_tokens += tokens[i];
	for (size_t i = 0; i < b->nterms; i++) {
		h.names_len += b->terms[i].name_len;
		h.npostings += b->terms[i].n;
	}
	strbuf_add(out, &h, sizeof(h));
	for (size_t i = 0; i < n; i++) {
		int64_t id = chunks[i].id;
		strbuf_add(out, &id, sizeof(id));
	}
	strbuf_add(out, tokens, n * sizeof(uint32_t));
	while (out->len % 8)
		strbuf_addch(out, '\0');
	uint64_t first = 0;
	uint32_t name = 0;
	for (size_t i = 0; i < b->nterms; i++) {
		const struct term_postings *t = &b->terms[order[i]];
		struct term_entry e = { first, name, (uint32_t)t->name_len, (uint32_t)t->n, 0 };
		strbuf_add(out, &e, sizeof(e));
		first += t->n;
		name += (uint32_t)t->name_len;
	}
	for (size_t i = 0; i < b->nterms; i++)
		strbuf_add(out, b->terms[order[i]].name, b->terms[order[i]].name_len);
	while (out->len % 8)
		strbuf_addch(out, '\0');
	for (size_t i = 0; i < b->nterms; i++)
		strbuf_add(out, b->terms[order[i]].p, b->terms[order[i]].n * sizeof(struct posting));
	free(order);
}

/*
 * Tokenising is most of the build: a block of chunks is tokenised on every
 * thread into lists (a flags byte, the token, a NUL each), then the lists
 * are replayed into the builder in chunk order, so the lexicon is the same
 * bit for bit whatever the number of threads.
 */
#define TOKENIZE_BLOCK  2048
#define TOKEN_COLOCATED 1
#define TOKEN_HEADING   2

struct tokenizing {
	const struct chunk_text *chunks; /* the block's */
	struct strbuf *lists;            /* one per chunk of the block */
	struct tokenizer **toks;         /* one per thread */
	int heading;
};

struct token_list {
	struct strbuf *list;
	int heading;
};

static int record_token(void *ctx, const char *tok, size_t len, size_t start, size_t end, int colocated)
{
	(void)start;
	(void)end;
	struct token_list *t = ctx;
	strbuf_addch(t->list, (colocated ? TOKEN_COLOCATED : 0) | (t->heading ? TOKEN_HEADING : 0));
	strbuf_add(t->list, tok, len);
	strbuf_addch(t->list, '\0');
	return 0;
}

static void tokenize_range(void *ctx, int worker, size_t begin, size_t end)
{
	struct tokenizing *tz = ctx;
	for (size_t i = begin; i < end; i++) {
		const struct chunk_text *c = &tz->chunks[i];
		enum lang lang = lang_from_code(c->language ? c->language : "");
		struct token_list t = { &tz->lists[i], 0 };
		strbuf_reset(t.list);
		if (c->text)
			tokenizer_run(tz->toks[worker], lang, 0, c->text, strlen(c->text), record_token,
				      &t);
		t.heading = 1;
		if (c->heading)
			tokenizer_run(tz->toks[worker], lang, 0, c->heading, strlen(c->heading),
				      record_token, &t);
	}
}

static void replay(struct builder *b, const struct strbuf *list)
{
	for (size_t at = 0; at < list->len;) {
		int flags = list->buf[at];
		const char *tok = list->buf + at + 1;
		size_t len = strlen(tok);
		b->heading = (flags & TOKEN_HEADING) != 0;
		add_token(b, tok, len, 0, 0, flags & TOKEN_COLOCATED);
		at += len + 2;
	}
}

void lexicon_make(const struct chunk_text *chunks, size_t n, int threads, struct lexicon_built *out,
		  struct strbuf *data)
{
	struct builder b = { 0 };
	uint32_t *tokens = xcalloc(n + 1, sizeof(uint32_t));
	strmap_init(&b.ids);
	threads = threads > 0 ? threads : 1;
	struct tokenizing tz = { NULL, xcalloc(TOKENIZE_BLOCK, sizeof(struct strbuf)),
				 xcalloc((size_t)threads, sizeof(struct tokenizer *)), 0 };
	for (int t = 0; t < threads; t++)
		tz.toks[t] = tokenizer_new();
	for (size_t base = 0; base < n; base += TOKENIZE_BLOCK) {
		size_t m = n - base < TOKENIZE_BLOCK ? n - base : TOKENIZE_BLOCK;
		tz.chunks = chunks + base;
		parallel_for(m, threads, tokenize_range, &tz);
		for (size_t i = 0; i < m; i++) {
			b.chunk = (uint32_t)(base + i);
			b.tokens = 0;
			replay(&b, &tz.lists[i]);
			tokens[base + i] = b.tokens;
		}
	}
	for (size_t i = 0; i < TOKENIZE_BLOCK; i++)
		strbuf_release(&tz.lists[i]);
	free(tz.lists);
	for (int t = 0; t < threads; t++)
		tokenizer_free(tz.toks[t]);
	free(tz.toks);
	strbuf_reset(data);
	serialize(&b, chunks, tokens, n, data);
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(data->buf, data->len, hex);
	memset(out, 0, sizeof(*out));
	snprintf(out->version, sizeof(out->version), "lexicon-%.12s", hex);
	snprintf(out->file, sizeof(out->file), "%s.bin", out->version);
	out->terms = b.nterms;
	out->bytes = data->len;
	for (size_t i = 0; i < b.nterms; i++)
		out->postings += b.terms[i].n;
	for (size_t i = 0; i < b.nterms; i++) {
		free(b.terms[i].p);
		free(b.terms[i].name);
	}
	free(b.terms);
	strmap_release(&b.ids);
	free(tokens);
}

int lexicon_write(const char *dir, const struct lexicon_built *built, const struct strbuf *data,
		  struct strbuf *err)
{
	char *path = xasprintf("%s/%s", dir, built->file);
	int rc = write_file_atomic(path, data->buf, data->len, err);
	free(path);
	return rc;
}

/* --- reading ------------------------------------------------------------ */

int lexicon_matches(const struct lexicon *lx, const long long *ids, size_t n)
{
	if (lx->h->nchunks != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lx->ids[i] != ids[i])
			return 0;
	return 1;
}

size_t lexicon_chunks(const struct lexicon *lx)
{
	return lx->h->nchunks;
}

/*
 * Every term's name and postings, and every posting's chunk, inside the
 * file: one pass at load (a few milliseconds at 100,000 chunks), so that a
 * search never follows a damaged offset.
 */
static int offsets_sound(const struct lexicon *lx)
{
	const struct lexicon_header *h = lx->h;
	for (uint32_t i = 0; i < h->nterms; i++) {
		const struct term_entry *e = &lx->terms[i];
		if ((uint64_t)e->name + e->name_len > h->names_len || e->postings > h->npostings ||
		    e->df > h->npostings - e->postings)
			return 0;
	}
	for (uint64_t i = 0; i < h->npostings; i++)
		if (lx->postings[i].chunk >= h->nchunks)
			return 0;
	return 1;
}

struct lexicon *lexicon_open(const char *path, struct strbuf *err)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		strbuf_addf(err, "cannot read the lexicon '%s'", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	size_t size = (size_t)sb.st_size;
	void *map = size >= sizeof(struct lexicon_header)
			    ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0)
			    : MAP_FAILED;
	close(fd);
	if (map == MAP_FAILED) {
		strbuf_addf(err, "the lexicon '%s' is too short or cannot be mapped", path);
		return NULL;
	}
	struct lexicon *lx = xcalloc(1, sizeof(*lx));
	pthread_mutex_init(&lx->lock, NULL);
	lx->map = map;
	lx->size = size;
	lx->h = map;
	const struct lexicon_header *h = lx->h;
	/* Every section must lie inside the file: a truncated file is refused, not read past. */
	size_t at = sizeof(*h), n = h->nchunks;
	size_t terms_at = align8(at + n * 8 + n * 4);
	size_t names_at = terms_at + (size_t)h->nterms * sizeof(struct term_entry);
	size_t postings_at = align8(names_at + (h->names_len < size ? h->names_len : size));
	if (memcmp(h->magic, LEXICON_MAGIC, sizeof(h->magic)) || h->names_len >= size ||
	    h->npostings >= size || postings_at + h->npostings * sizeof(struct posting) != size) {
		strbuf_addf(err, "the lexicon '%s' is damaged or from another version", path);
		lexicon_close(lx);
		return NULL;
	}
	const char *base = map;
	lx->ids = (const int64_t *)(base + at);
	lx->tokens = (const uint32_t *)(base + at + n * 8);
	lx->terms = (const struct term_entry *)(base + terms_at);
	lx->names = base + names_at;
	lx->postings = (const struct posting *)(base + postings_at);
	lx->avgdl = n ? (double)h->total_tokens / (double)n : 0;
	if (!offsets_sound(lx)) {
		strbuf_addf(err, "the lexicon '%s' is damaged: an entry points outside the file", path);
		lexicon_close(lx);
		return NULL;
	}
	return lx;
}

void lexicon_close(struct lexicon *lx)
{
	if (!lx)
		return;
	while (lx->spare) {
		struct scratch *s = lx->spare;
		lx->spare = s->next;
		free(s->word_tf);
		free(s->score);
		free(s->word_hits);
		free(s->hits);
		free(s);
	}
	pthread_mutex_destroy(&lx->lock);
	munmap(lx->map, lx->size);
	free(lx);
}

static const struct term_entry *find_term(const struct lexicon *lx, const char *name, size_t len);

long long lexicon_term_chunks(const struct lexicon *lx, const char *term)
{
	const struct term_entry *e = find_term(lx, term, strlen(term));
	return e ? e->df : 0;
}

/* The first of p[from..n) whose chunk is at least `chunk`, by galloping then bisecting. */
static uint32_t gallop(const struct posting *p, uint32_t from, uint32_t n, uint32_t chunk)
{
	uint32_t step = 1, lo = from, hi = from;
	while (hi < n && p[hi].chunk < chunk) {
		lo = hi + 1;
		hi = n - hi > step ? hi + step : n;
		step *= 2;
	}
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (p[mid].chunk < chunk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long long lexicon_chunks_holding_both(const struct lexicon *lx, const char *a, const char *b,
				      long long enough)
{
	const struct term_entry *x = find_term(lx, a, strlen(a)), *y = find_term(lx, b, strlen(b));
	if (!x || !y)
		return 0;
	if (x->df > y->df) {
		const struct term_entry *t = x;
		x = y;
		y = t;
	}
	/* Postings are in chunk order: each of the rarer term's chunks is looked for in the other's. */
	const struct posting *p = lx->postings + x->postings, *q = lx->postings + y->postings;
	uint32_t at = 0;
	long long both = 0;
	for (uint32_t i = 0; i < x->df && at < y->df && both < enough; i++) {
		at = gallop(q, at, y->df, p[i].chunk);
		both += at < y->df && q[at].chunk == p[i].chunk;
	}
	return both;
}

/* Zeroed arrays for one search: a spare one, or new (a search per thread at a time). */
static struct scratch *scratch_get(struct lexicon *lx)
{
	pthread_mutex_lock(&lx->lock);
	struct scratch *s = lx->spare;
	if (s)
		lx->spare = s->next;
	pthread_mutex_unlock(&lx->lock);
	if (s)
		return s;
	size_t n = lx->h->nchunks + 1;
	s = xcalloc(1, sizeof(*s));
	s->word_tf = xcalloc(n, sizeof(float));
	s->score = xcalloc(n, sizeof(double));
	s->word_hits = xcalloc(n, sizeof(uint32_t));
	s->hits = xcalloc(n, sizeof(uint32_t));
	return s;
}

static void scratch_put(struct lexicon *lx, struct scratch *s)
{
	pthread_mutex_lock(&lx->lock);
	s->next = lx->spare;
	lx->spare = s;
	pthread_mutex_unlock(&lx->lock);
}

static const struct term_entry *find_term(const struct lexicon *lx, const char *name, size_t len)
{
	size_t lo = 0, hi = lx->h->nterms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct term_entry *e = &lx->terms[mid];
		size_t n = e->name_len < len ? e->name_len : len;
		int c = memcmp(lx->names + e->name, name, n);
		if (!c)
			c = (e->name_len > len) - (e->name_len < len);
		if (!c)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* One search: per chunk, the word's frequency and the score so far (in scratch arrays). */
struct search_state {
	const struct lexicon *lx;
	float *word_tf;
	double *score;
	uint32_t *word_hits, *hits;
	size_t nword, nhits;
};

/* One alternative of the current word: add its occurrences. */
static int add_alternative(void *ctx, const char *tok, size_t len, size_t start, size_t end,
			   int colocated)
{
	struct search_state *s = ctx;
	const struct term_entry *e = find_term(s->lx, tok, len);
	if (!e)
		return 0;
	const struct posting *p = s->lx->postings + e->postings;
	for (uint32_t i = 0; i < e->df; i++) {
		uint32_t c = p[i].chunk;
		if (s->word_tf[c] == 0)
			s->word_hits[s->nword++] = c;
		s->word_tf[c] += (float)(p[i].body + HEADING_WEIGHT * p[i].heading);
	}
	return 0;
}

/* The word's BM25 share for every chunk holding it, as FTS5 computes it, times `weight`. */
static void score_word(struct search_state *s, double weight)
{
	const struct lexicon *lx = s->lx;
	double rows = lx->h->nchunks, hit = (double)s->nword;
	double idf = log((rows - hit + 0.5) / (hit + 0.5));
	if (idf <= 0.0)
		idf = 1e-6;
	for (size_t i = 0; i < s->nword; i++) {
		uint32_t c = s->word_hits[i];
		double tf = s->word_tf[c];
		if (s->score[c] == 0)
			s->hits[s->nhits++] = c;
		s->score[c] += weight * idf * (tf * (BM25_K1 + 1.0)) /
			       (tf + BM25_K1 * (1 - BM25_B + BM25_B * lx->tokens[c] / lx->avgdl));
		s->word_tf[c] = 0;
	}
	s->nword = 0;
}

/* Min-heap order: the worst of the kept hits at the root. */
static int worse(const struct search_state *s, uint32_t a, uint32_t b)
{
	if (s->score[a] != s->score[b])
		return s->score[a] < s->score[b];
	return a > b; /* equal scores: the later chunk is worse */
}

static void sift_down(const struct search_state *s, uint32_t *heap, size_t n, size_t at)
{
	for (;;) {
		size_t c = 2 * at + 1;
		if (c >= n)
			return;
		if (c + 1 < n && worse(s, heap[c + 1], heap[c]))
			c++;
		if (!worse(s, heap[c], heap[at]))
			return;
		uint32_t t = heap[c];
		heap[c] = heap[at];
		heap[at] = t;
		at = c;
	}
}

long lexicon_search(struct lexicon *lx, struct tokenizer *tok, const char *query, unsigned k,
		    long long *ids, double *scores)
{
	return lexicon_search_expanded(lx, tok, query, NULL, 0, k, ids, scores);
}

long lexicon_search_expanded(struct lexicon *lx, struct tokenizer *tok, const char *query,
			     const struct expansion *exp, size_t nexp, unsigned k, long long *ids,
			     double *scores)
{
	size_t pos = 0, start, end, len = strlen(query);
	struct strbuf folded = STRBUF_INIT;
	struct scratch *scratch = scratch_get(lx);
	struct search_state s = { .lx = lx,
				  .word_tf = scratch->word_tf,
				  .score = scratch->score,
				  .word_hits = scratch->word_hits,
				  .hits = scratch->hits };
	int words = 0;
	/* The words FTS5 would be given (see store_search): each one phrase, stop words out. */
	while (query_next_word(query, len, &pos, &start, &end, &folded) == 0) {
		words++;
		tokenizer_run(tok, LANG_UNKNOWN, TOKENIZE_QUERY, query + start, end - start,
			      add_alternative, &s);
		score_word(&s, 1.0);
	}
	strbuf_release(&folded);
	/* Learned expansions count as words of their own, weighed below the question's. */
	for (size_t i = 0; words && i < nexp; i++) {
		tokenizer_run(tok, LANG_UNKNOWN, TOKENIZE_QUERY, exp[i].word, strlen(exp[i].word),
			      add_alternative, &s);
		score_word(&s, exp[i].weight);
	}
	/* The k best: a min-heap over the hits, then sorted best first. */
	uint32_t *heap = s.word_hits; /* free again once every word is scored */
	size_t kept = 0;
	for (size_t i = 0; i < s.nhits; i++) {
		uint32_t c = s.hits[i];
		if (kept < k) {
			heap[kept++] = c;
			for (size_t at = kept - 1; at && worse(&s, heap[at], heap[(at - 1) / 2]);
			     at = (at - 1) / 2) {
				uint32_t t = heap[at];
				heap[at] = heap[(at - 1) / 2];
				heap[(at - 1) / 2] = t;
			}
		} else if (k && worse(&s, heap[0], c)) {
			heap[0] = c;
			sift_down(&s, heap, kept, 0);
		}
	}
	for (size_t left = kept; left > 0; left--) {
		ids[left - 1] = lx->ids[heap[0]];
		scores[left - 1] = s.score[heap[0]];
		heap[0] = heap[left - 1];
		sift_down(&s, heap, left - 1, 0);
	}
	/* word_tf is zero again after each word; the scores go back to zero here. */
	for (size_t i = 0; i < s.nhits; i++)
		s.score[s.hits[i]] = 0;
	scratch_put(lx, scratch);
	return words ? (long)kept : -1;
}

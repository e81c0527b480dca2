/*
 * The built-in embedder; see embedder.h.
 *
 * Training: the documents' features -> a sparse TF-IDF matrix A (documents
 * x features, rows unit length) -> its top right singular vectors by a
 * randomized SVD (rsvd.c) -> the projection (features x dim).
 * Embedding: the text's TF-IDF vector times that projection, unit length.
 */
#define _GNU_SOURCE /* qsort_r */
#include "learn/embedder.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/parallel.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "learn/blas_libs.h" /* after cblas.h: see there */
#include "learn/rsvd.h"
#include "text/tokenize.h"

#define MODEL_MAGIC "RAGOPS-LSA-1\n"

struct embedder {
	int dim, nfeatures;
	char **features;     /* sorted by index */
	struct strmap index; /* feature -> index */
	float *idf;          /* nfeatures */
	float *proj;         /* nfeatures x dim, row-major */
	char version[64];
};

/* --- features ------------------------------------------------------------ */

struct feature_sink {
	void (*add)(void *ctx, const char *f, size_t len, float weight);
	void *ctx;
};

struct tok_ctx {
	struct feature_sink *sink;
	struct strbuf gram;
};

/* A word and its character 4-grams ("<pho", "phot", ...) as features. */
static int word_features(void *ctx, const char *tok, size_t len, size_t start, size_t end, int colocated)
{
	struct tok_ctx *tc = ctx;
	tc->sink->add(tc->sink->ctx, tok, len, 1.0f);
	if (len < 3)
		return 0;
	strbuf_reset(&tc->gram);
	strbuf_addch(&tc->gram, '<');
	strbuf_add(&tc->gram, tok, len);
	strbuf_addch(&tc->gram, '>');
	char g[8] = "#";
	for (size_t i = 0; i + 4 <= tc->gram.len; i++) {
		memcpy(g + 1, tc->gram.buf + i, 4);
		g[5] = '\0';
		tc->sink->add(tc->sink->ctx, g, 5, 0.5f);
	}
	return 0;
}

static void text_features(struct tokenizer *tok, const char *text, size_t len, enum lang lang, int query,
			  struct feature_sink *sink)
{
	struct tok_ctx tc = { sink, STRBUF_INIT };
	tokenizer_run(tok, lang, query ? TOKENIZE_QUERY : 0, text, len, word_features, &tc);
	strbuf_release(&tc.gram);
}

/* Term counts of one document. */
struct counts {
	struct strmap map;
	float *weights; /* by map value - 1 */
	size_t nweights, alloc;
};

static void count_add(void *ctx, const char *f, size_t len, float weight)
{
	struct counts *c = ctx;
	long *slot = strmap_slot(&c->map, f, len);
	if (!*slot) {
		ALLOC_GROW(c->weights, c->nweights + 1, c->alloc);
		c->weights[c->nweights++] = 0;
		*slot = (long)c->nweights;
	}
	c->weights[*slot - 1] += weight;
}

/* The weighted feature counts of one text. */
static void count_features(struct tokenizer *tok, const char *text, size_t len, enum lang lang,
			   int query, struct counts *c)
{
	memset(c, 0, sizeof(*c));
	strmap_init(&c->map);
	struct feature_sink sink = { count_add, c };
	text_features(tok, text, len, lang, query, &sink);
}

static void counts_release(struct counts *c)
{
	strmap_release(&c->map);
	free(c->weights);
}

/*
 * Counting (tokenising) is most of training: done for a block of
 * documents at a time on every thread, each with its own tokenizer; the
 * counts are then merged in document order, so the model is the same
 * bit for bit whatever the number of threads, or the block's size.  A
 * block's counts are the training's peak of memory (about 25 KB a
 * document): 2,048 documents took the 660-page PDF's run to 97 MiB, 512
 * to 81 MiB, in the same time.
 */
#define COUNT_BLOCK 512

struct counter {
	const struct embed_doc *docs;
	size_t base;             /* first document of the block */
	struct counts *counts;   /* the block's */
	struct tokenizer **toks; /* one per thread */
};

static void count_range(void *ctx, int worker, size_t begin, size_t end)
{
	struct counter *c = ctx;
	for (size_t i = begin; i < end; i++) {
		const struct embed_doc *d = &c->docs[c->base + i];
		count_features(c->toks[worker], d->text, strlen(d->text), d->lang, 0, &c->counts[i]);
	}
}

static void release_range(void *ctx, int worker, size_t begin, size_t end)
{
	(void)worker;
	struct counter *c = ctx;
	for (size_t i = begin; i < end; i++)
		counts_release(&c->counts[i]);
}

/* Free a block's counts, on every thread: thousands of small keys each (0.04 s on one). */
static void release_block(struct counter *c, size_t n, int threads)
{
	parallel_for(n, threads, release_range, c);
}

/* Counts of documents [base, base + n) into `counts`, on `threads` threads. */
static void count_block(struct counter *c, size_t base, size_t n, int threads)
{
	c->base = base;
	parallel_for(n, threads, count_range, c);
}

/*
 * The documents' features as pass 1 counted them: ids in the corpus's
 * table and weights, each document's in the order its own counts hold
 * them, so that pass 2 makes its row without tokenising it again, adding
 * in the order it would have (the same matrix, bit for bit).  Kept in two
 * arrays for all documents (thousands of small ones, allocated while the
 * counts were live, pinned their freed memory: +34 MB of peak RSS on the
 * 660-page PDF), up to a budget; documents past it are counted again.
 */
#define KEPT_FEATURES_MAX ((size_t)8 << 20) /* 64 MiB */

struct kept_features {
	int *ids;
	float *weights;
	size_t n, alloc_ids, alloc_weights, max;
	int full; /* a document did not fit: none after it is kept */
	struct doc_span {
		size_t start, n;
		int kept;
	} * docs;
};

static void kept_features_release(struct kept_features *k)
{
	free(k->ids);
	free(k->weights);
	free(k->docs);
}

static void counter_release(struct counter *c, int threads)
{
	for (int t = 0; t < threads; t++)
		tokenizer_free(c->toks[t]);
	free(c->toks);
	free(c->counts);
}

/* The TF-IDF weight of feature `index` seen `tf` times (sublinear term frequency). */
static float tfidf(const struct embedder *e, long index, float tf)
{
	return (1.0f + logf(tf > 1 ? tf : 1)) * e->idf[index];
}

/* Scale v to unit length (a zero vector stays zero). */
static void unit_length(float *v, int dim)
{
	float norm = cblas_snrm2(dim, v, 1);
	if (norm > 0)
		cblas_sscal(dim, 1.0f / norm, v, 1);
}

/*
 * The TF-IDF weight (sublinear term frequency) of map slot `i` of a text's
 * counts, and its feature index; 0 for an empty slot or a feature the
 * model does not know.
 */
static float known_weight(const struct embedder *e, const struct counts *c, size_t i, long *index)
{
	if (!c->map.keys[i])
		return 0;
	const long *k = strmap_get(&e->index, c->map.keys[i], strlen(c->map.keys[i]));
	if (!k)
		return 0;
	*index = *k - 1;
	return tfidf(e, *index, c->weights[c->map.values[i] - 1]);
}

/* --- training ------------------------------------------------------------ */

/* Most frequent first, then in id order (qsort is not stable). */
static int compare_df(const void *a, const void *b, void *ctx)
{
	const long *df = ctx;
	int i = *(const int *)a, j = *(const int *)b;
	long x = df[i], y = df[j];
	return x != y ? (x > y ? -1 : 1) : (i > j) - (i < j);
}

/*
 * The corpus's features, cut into VOCAB_PARTS parts by hash, so that the
 * documents' counts are merged into them on every thread at once: each
 * thread takes its own parts and goes through every document in order.  A
 * feature's id in its part is the order it was first seen in, whatever
 * the number of threads; its id in the corpus, its part's offset plus
 * that.  (Merged on one thread, this was 0.1 s of the 0.85 s training on
 * 1,000 documents.)
 */
#define VOCAB_PARTS 16

struct vocabulary {
	struct vocab_part {
		struct strmap map; /* feature -> id in the part + 1 */
		long *df;
		size_t n, alloc;
	} part[VOCAB_PARTS];
	size_t offset[VOCAB_PARTS]; /* once merged: ids before each part */
	size_t n;
};

/* By the hash's high bits: the parts' own maps place keys by the low ones. */
static unsigned vocab_part_of(uint64_t hash)
{
	return (unsigned)(hash >> 60) % VOCAB_PARTS;
}

struct vocab_merge {
	struct vocabulary *v;
	const struct counts *counts; /* a block's */
	size_t m;
	struct kept_features *kept;
	const struct doc_span *docs; /* the block's spans in kept->docs */
};

/* Parts [begin, end): every document's features of those parts, in document order. */
static void merge_parts(void *ctx, int worker, size_t begin, size_t end)
{
	(void)worker;
	const struct vocab_merge *vm = ctx;
	for (size_t d = 0; d < vm->m; d++) {
		const struct counts *c = &vm->counts[d];
		const struct doc_span *f = &vm->docs[d];
		size_t at = 0; /* the feature's place in the document's own order */
		for (size_t i = 0; i < c->map.cap; i++) {
			const char *key = c->map.keys[i];
			if (!key)
				continue;
			size_t len = strlen(key), pos = at++;
			uint64_t hash = strmap_hash(key, len);
			unsigned p = vocab_part_of(hash);
			if (p < begin || p >= end)
				continue;
			struct vocab_part *part = &vm->v->part[p];
			long *slot = strmap_slot_hashed(&part->map, key, len, hash);
			if (!*slot) {
				ALLOC_GROW(part->df, part->n + 1, part->alloc);
				part->df[part->n++] = 0;
				*slot = (long)part->n;
			}
			part->df[*slot - 1]++;
			if (f->kept) {
				/* the part's id and the part, made the corpus's id once all are merged */
				vm->kept->ids[f->start + pos] = (int)((*slot - 1) * VOCAB_PARTS + p);
				vm->kept->weights[f->start + pos] = c->weights[c->map.values[i] - 1];
			}
		}
	}
}

static void vocabulary_init(struct vocabulary *v)
{
	memset(v, 0, sizeof(*v));
	for (int p = 0; p < VOCAB_PARTS; p++)
		strmap_init(&v->part[p].map);
}

static void vocabulary_release(struct vocabulary *v)
{
	for (int p = 0; p < VOCAB_PARTS; p++) {
		strmap_release(&v->part[p].map);
		free(v->part[p].df);
	}
}

/* Once every block is merged: the offsets, the corpus's df (returned), the kept ids in the corpus's numbering. */
static long *vocabulary_finish(struct vocabulary *v, struct kept_features *kept)
{
	v->n = 0;
	for (int p = 0; p < VOCAB_PARTS; p++) {
		v->offset[p] = v->n;
		v->n += v->part[p].n;
	}
	long *df = xmalloc((v->n + 1) * sizeof(long));
	for (int p = 0; p < VOCAB_PARTS; p++)
		if (v->part[p].n) /* an empty part's df may be NULL (a corpus of a few words) */
			memcpy(df + v->offset[p], v->part[p].df, v->part[p].n * sizeof(long));
	for (size_t i = 0; i < kept->n; i++) {
		int id = kept->ids[i];
		kept->ids[i] = (int)v->offset[id % VOCAB_PARTS] + id / VOCAB_PARTS;
	}
	return df;
}

/* The rows' vectors: each row of the TF-IDF matrix times the projection, unit length. */
struct row_vectors {
	const struct csr *a;
	const struct embedder *e;
	float *out;
};

static void vectors_rows(void *ctx, int worker, size_t begin, size_t end)
{
	(void)worker;
	struct row_vectors *rv = ctx;
	int dim = rv->e->dim;
	for (size_t i = begin; i < end; i++) {
		float *out = rv->out + i * (size_t)dim;
		memset(out, 0, (size_t)dim * sizeof(float));
		for (size_t q = rv->a->row_start[i]; q < rv->a->row_start[i + 1]; q++)
			cblas_saxpy(dim, rv->a->val[q], rv->e->proj + (size_t)rv->a->col[q] * dim, 1,
				    out, 1);
		unit_length(out, dim);
	}
}

#define TRAINED_VECTORS_MAX ((size_t)64 << 20)

struct embedder *embedder_train(const struct embed_doc *docs, size_t n, const struct embedder_params *p,
				float **vectors, struct strbuf *err)
{
	if (vectors)
		*vectors = NULL;
	if (blas_libs_load(err))
		return NULL;
	if (n < 3) {
		strbuf_addf(err, "the corpus has %zu chunks: too few to train the built-in embedder", n);
		return NULL;
	}
	int threads = p->threads > 0 ? p->threads : 1;
	/*
	 * OpenBLAS on one thread: our own threads split the work, and its pool
	 * would spin against them (a run 1.11x faster without it on 2 cores).
	 * Its LAPACK results also depend on how many threads it uses, which is
	 * the number of cores by default: on one, the model is the same on a
	 * machine of 2 cores or 64.
	 */
	openblas_set_num_threads(1);
	struct counter counter = { docs, 0, xcalloc(COUNT_BLOCK, sizeof(struct counts)),
				   xcalloc((size_t)threads, sizeof(struct tokenizer *)) };
	for (int t = 0; t < threads; t++)
		counter.toks[t] = tokenizer_new();
	struct vocabulary vocab;
	vocabulary_init(&vocab);
	/* Pass 1: document frequencies, and each document's features. */
	struct kept_features kept_all = { .max = p->kept_features_max ? p->kept_features_max
								      : KEPT_FEATURES_MAX,
					  .docs = xcalloc(n, sizeof(struct doc_span)) };
	for (size_t base = 0; base < n; base += COUNT_BLOCK) {
		size_t m = n - base < COUNT_BLOCK ? n - base : COUNT_BLOCK;
		count_block(&counter, base, m, threads);
		for (size_t d = 0; d < m; d++) {
			const struct counts *c = &counter.counts[d];
			struct doc_span *f = &kept_all.docs[base + d];
			/* Kept in document order until the first that does not fit: none after it. */
			f->kept = !kept_all.full && kept_all.n + c->map.n <= kept_all.max;
			kept_all.full = !f->kept;
			f->start = kept_all.n;
			if (f->kept) {
				ALLOC_GROW(kept_all.ids, kept_all.n + c->map.n, kept_all.alloc_ids);
				ALLOC_GROW(kept_all.weights, kept_all.n + c->map.n,
					   kept_all.alloc_weights);
				kept_all.n += c->map.n;
				f->n = c->map.n;
			}
		}
		struct vocab_merge vm = { &vocab, counter.counts, m, &kept_all, kept_all.docs + base };
		parallel_for(VOCAB_PARTS, threads, merge_parts, &vm);
		release_block(&counter, m, threads);
	}
	long *df = vocabulary_finish(&vocab, &kept_all);
	size_t nall = vocab.n;
	/* The vocabulary: frequent enough, at most max_features, most frequent first. */
	int *order = xmalloc((nall + 1) * sizeof(int));
	int kept = 0;
	for (size_t i = 0; i < nall; i++)
		if (df[i] >= p->min_df)
			order[kept++] = (int)i;
	qsort_r(order, (size_t)kept, sizeof(int), compare_df, df);
	if (kept > p->max_features)
		kept = p->max_features;
	struct embedder *e = xcalloc(1, sizeof(*e));
	e->nfeatures = kept;
	e->features = xcalloc((size_t)kept + 1, sizeof(char *));
	e->idf = xcalloc((size_t)kept + 1, sizeof(float));
	strmap_init(&e->index);
	long *new_index = xcalloc(nall + 1, sizeof(long)); /* feature id -> index + 1, 0 if dropped */
	for (int k = 0; k < kept; k++)
		new_index[order[k]] = k + 1;
	for (int part = 0; part < VOCAB_PARTS; part++) {
		const struct strmap *map = &vocab.part[part].map;
		for (size_t i = 0; i < map->cap; i++) {
			if (!map->keys[i])
				continue;
			size_t id = vocab.offset[part] + (size_t)map->values[i] - 1;
			if (new_index[id] <= 0)
				continue;
			int k = (int)new_index[id] - 1;
			e->features[k] = xstrdup(map->keys[i]);
			e->idf[k] = (float)(log((double)(n + 1) / (double)(df[id] + 1)) + 1.0);
			*strmap_slot(&e->index, map->keys[i], strlen(map->keys[i])) = k + 1;
		}
	}
	free(order);
	free(df);
	vocabulary_release(&vocab);

	int dim = p->dim;
	if (dim > (int)n - 1)
		dim = (int)n - 1;
	if (dim > kept - 1)
		dim = kept - 1;
	if (dim < 2) {
		strbuf_addstr(err,
			      "the corpus has too few distinct words to train the built-in embedder");
		embedder_free(e);
		counter_release(&counter, threads);
		kept_features_release(&kept_all);
		free(new_index);
		return NULL;
	}
	e->dim = dim;

	/* Pass 2: the TF-IDF matrix, rows of unit length. */
	struct csr a = { n, xcalloc(n + 1, sizeof(size_t)), NULL, NULL };
	size_t nnz = 0, nnz_alloc = 0;
	for (size_t base = 0; base < n; base += COUNT_BLOCK) {
		size_t m = n - base < COUNT_BLOCK ? n - base : COUNT_BLOCK;
		int recount = 0;
		for (size_t d = 0; d < m; d++)
			recount |= !kept_all.docs[base + d].kept;
		if (recount)
			count_block(&counter, base, m, threads);
		for (size_t d = 0; d < m; d++) {
			struct counts *c = &counter.counts[d];
			const struct doc_span *f = &kept_all.docs[base + d];
			size_t row0 = nnz;
			double norm = 0;
			size_t nslots = f->kept ? f->n : c->map.cap;
			for (size_t i = 0; i < nslots; i++) {
				long k = 0;
				float w;
				if (f->kept) {
					k = new_index[kept_all.ids[f->start + i]] - 1;
					w = k < 0 ? 0 : tfidf(e, k, kept_all.weights[f->start + i]);
				} else {
					w = known_weight(e, c, i, &k);
				}
				if (w == 0)
					continue;
				if (nnz + 1 > nnz_alloc) {
					nnz_alloc = nnz_alloc ? nnz_alloc * 2 : 4096;
					a.col = xrealloc(a.col, nnz_alloc * sizeof(int));
					a.val = xrealloc(a.val, nnz_alloc * sizeof(float));
				}
				a.col[nnz] = (int)k;
				a.val[nnz] = w;
				norm += (double)w * w;
				nnz++;
			}
			for (size_t q = row0; q < nnz; q++)
				a.val[q] /= norm > 0 ? (float)sqrt(norm) : 1.0f;
			a.row_start[base + d + 1] = nnz;
			if (recount)
				counts_release(c);
		}
	}
	counter_release(&counter, threads);
	kept_features_release(&kept_all);
	free(new_index);
	struct csr at = csr_transpose(&a, (size_t)kept);

	/* The projection: the top right singular vectors of the TF-IDF matrix. */
	e->proj = xmalloc((size_t)kept * dim * sizeof(float));
	int rc = rsvd_right_vectors(&a, &at, dim, 10, p->seed ? p->seed : 0x9E3779B97F4A7C15ULL, threads,
				    e->proj);
	if (rc) {
		strbuf_addf(err, "the SVD failed (LAPACK error %d)", rc);
	} else if (vectors && n * (size_t)dim * sizeof(float) <= TRAINED_VECTORS_MAX) {
		struct row_vectors rv = { &a, e, xmalloc(n * (size_t)dim * sizeof(float)) };
		parallel_for(n, threads, vectors_rows, &rv);
		*vectors = rv.out;
	}
	csr_release(&a);
	csr_release(&at);
	if (rc) {
		embedder_free(e);
		return NULL;
	}
	/* The version names the content, so the same training gives the same name. */
	struct sha256_ctx *h = sha256_begin();
	sha256_update(h, e->proj, (size_t)kept * dim * sizeof(float));
	char hex[SHA256_HEX_LEN + 1];
	sha256_finish(h, hex);
	snprintf(e->version, sizeof(e->version), "builtin-lsa-%.12s", hex);
	return e;
}

/* --- embedding ----------------------------------------------------------- */

void embedder_embed(const struct embedder *e, struct tokenizer *tok, const char *text, size_t len,
		    enum lang lang, int query, float *out)
{
	struct counts c;
	count_features(tok, text, len, lang, query, &c);
	memset(out, 0, (size_t)e->dim * sizeof(float));
	for (size_t i = 0; i < c.map.cap; i++) {
		long k;
		float w = known_weight(e, &c, i, &k);
		if (w != 0)
			cblas_saxpy(e->dim, w, e->proj + (size_t)k * e->dim, 1, out, 1);
	}
	unit_length(out, e->dim);
	counts_release(&c);
}

float vec_dot(const float *a, const float *b, int n)
{
	float s = 0;
#pragma omp simd reduction(+ : s)
	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/* --- the model file ------------------------------------------------------ */

int embedder_save(const struct embedder *e, const char *path, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	strbuf_addstr(&out, MODEL_MAGIC);
	strbuf_addf(&out, "%s\n%d %d\n", e->version, e->dim, e->nfeatures);
	for (int i = 0; i < e->nfeatures; i++)
		strbuf_addf(&out, "%s\n", e->features[i]);
	strbuf_add(&out, e->idf, (size_t)e->nfeatures * sizeof(float));
	strbuf_add(&out, e->proj, (size_t)e->nfeatures * e->dim * sizeof(float));
	int rc = write_file_atomic(path, out.buf, out.len, err);
	strbuf_release(&out);
	return rc;
}

int embedder_libraries(struct strbuf *err)
{
	return blas_libs_load(err);
}

struct embedder *embedder_load(const char *path, struct strbuf *err)
{
	struct strbuf in = STRBUF_INIT;
	struct embedder *e = NULL;
	if (blas_libs_load(err) || read_file(path, &in, 0, err))
		goto cleanup;
	const char *p = in.buf, *end = in.buf + in.len;
	size_t magic = strlen(MODEL_MAGIC);
	if (in.len < magic || memcmp(p, MODEL_MAGIC, magic))
		goto bad;
	p += magic;
	e = xcalloc(1, sizeof(*e));
	strmap_init(&e->index);
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || nl - p >= (long)sizeof(e->version))
		goto bad;
	memcpy(e->version, p, (size_t)(nl - p));
	p = nl + 1;
	if (sscanf(p, "%d %d", &e->dim, &e->nfeatures) != 2 || e->dim < 1 || e->nfeatures < 1)
		goto bad;
	p = memchr(p, '\n', (size_t)(end - p));
	if (!p++)
		goto bad;
	e->features = xcalloc((size_t)e->nfeatures + 1, sizeof(char *));
	for (int i = 0; i < e->nfeatures; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			goto bad;
		e->features[i] = xstrndup(p, (size_t)(nl - p));
		*strmap_slot(&e->index, p, (size_t)(nl - p)) = i + 1;
		p = nl + 1;
	}
	size_t floats = (size_t)e->nfeatures * (1 + (size_t)e->dim);
	if ((size_t)(end - p) != floats * sizeof(float))
		goto bad;
	e->idf = xmalloc((size_t)e->nfeatures * sizeof(float));
	memcpy(e->idf, p, (size_t)e->nfeatures * sizeof(float));
	p += (size_t)e->nfeatures * sizeof(float);
	e->proj = xmalloc((size_t)e->nfeatures * e->dim * sizeof(float));
	memcpy(e->proj, p, (size_t)e->nfeatures * e->dim * sizeof(float));
	goto cleanup;
bad:
	strbuf_addf(err, "'%s' is not a ragops embedder model (damaged or another version)", path);
	embedder_free(e);
	e = NULL;
cleanup:
	strbuf_release(&in);
	return e;
}

void embedder_free(struct embedder *e)
{
	if (!e)
		return;
	for (int i = 0; e->features && i < e->nfeatures; i++)
		free(e->features[i]);
	free(e->features);
	if (e->index.keys)
		strmap_release(&e->index);
	free(e->idf);
	free(e->proj);
	free(e);
}

int embedder_dim(const struct embedder *e)
{
	return e->dim;
}

int embedder_features(const struct embedder *e)
{
	return e->nfeatures;
}

const char *embedder_version(const struct embedder *e)
{
	return e->version;
}

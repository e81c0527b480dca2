/*
 * Retrieval; see retrieve.h.  The model and the vectors are loaded once
 * per process and reused while the production model stays the same.
 */
#include "retrieval/retrieve.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "learn/embedder.h"
#include "learn/openai_embed.h"
#include "text/highlight.h"
#include "text/tokenize.h"

struct vector_index {
	long long model_id;
	char version[64];
	struct embedder *e;	/* NULL for an endpoint's model */
	int dim;
	long long *ids;
	float *vectors;
	size_t n;
	int refs;		/* under cache_lock */
};

/*
 * The vectors of the production model, shared by every thread that asks
 * (ragops serve answers on several).  A search holds a reference, so a new
 * model can replace the index while older searches finish on the old one.
 */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vector_index *current;

static void index_free(struct vector_index *vi)
{
	if (!vi)
		return;
	embedder_free(vi->e);
	free(vi->ids);
	free(vi->vectors);
	free(vi);
}

static void index_unref(struct vector_index *vi)
{
	if (!vi)
		return;
	pthread_mutex_lock(&cache_lock);
	int last = --vi->refs == 0;
	pthread_mutex_unlock(&cache_lock);
	if (last)
		index_free(vi);
}

/* The current index if it is of model `id`, with a reference taken; else NULL. */
static struct vector_index *index_get(long long id)
{
	struct vector_index *vi = NULL;
	pthread_mutex_lock(&cache_lock);
	if (current && current->model_id == id) {
		vi = current;
		vi->refs++;
	}
	pthread_mutex_unlock(&cache_lock);
	return vi;
}

/* Make `vi` (holding one reference, the caller's) the current index. */
static void index_publish(struct vector_index *vi)
{
	struct vector_index *old;
	pthread_mutex_lock(&cache_lock);
	old = current;
	current = vi;
	vi->refs++;
	pthread_mutex_unlock(&cache_lock);
	index_unref(old);
}

static struct vector_index *index_build(struct store *st, const struct config *cfg,
					const struct model_record *m, struct strbuf *err)
{
	struct vector_index *vi = xcalloc(1, sizeof(*vi));
	vi->refs = 1;
	if (!strcmp(m->name, "openai")) {
		/* The endpoint embeds the questions; its dimension is in the record. */
		json_t *p = json_loads(m->params, 0, NULL);
		vi->dim = (int)json_integer_value(json_object_get(p, "dim"));
		json_decref(p);
	} else {
		char *file = xasprintf("%s/%s", cfg->data_dir, m->path);
		vi->e = embedder_load(file, err);
		free(file);
		vi->dim = vi->e ? embedder_dim(vi->e) : 0;
	}
	if (vi->dim <= 0 ||
	    store_embeddings_load(st, m->id, vi->dim, &vi->ids, &vi->vectors, &vi->n, err)) {
		index_free(vi);
		return NULL;
	}
	vi->model_id = m->id;
	snprintf(vi->version, sizeof(vi->version), "%s", m->version);
	return vi;
}

/* 0 with *out referenced, 1 no model in production, -1 error. */
static int load_vectors(struct store *st, const struct config *cfg, struct vector_index **out,
			struct strbuf *err)
{
	struct model_record m;
	int rc = store_model_production(st, "embedder", &m, err);
	if (rc)
		return rc;
	*out = index_get(m.id);
	if (!*out) {
		/* Two threads may both build it once after a promotion; the last one wins. */
		*out = index_build(st, cfg, &m, err);
		if (*out)
			index_publish(*out);
	}
	model_record_release(&m);
	return *out ? 0 : -1;
}

struct scored {
	long long id;
	float score;
};

static int by_score(const void *a, const void *b)
{
	float x = ((const struct scored *)a)->score, y = ((const struct scored *)b)->score;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* Exact top-k by cosine; -1 when the question cannot be embedded. */
static long dense_top(const struct config *cfg, const struct vector_index *vi, const char *query,
		      unsigned k, struct scored *out, struct strbuf *err)
{
	int dim = vi->dim;
	float *q;
	if (vi->e) {
		q = xcalloc((size_t)dim, sizeof(float));
		struct tokenizer *tok = tokenizer_new();
		embedder_embed(vi->e, tok, query, strlen(query), LANG_UNKNOWN, 1, q);
		tokenizer_free(tok);
	} else if (openai_embed(cfg, &query, 1, &q, &dim, err)) {
		return -1;
	}
	/* Keep the k best in a min-heap: one pass, no sort of every score. */
	size_t n = 0;
	for (size_t i = 0; i < vi->n; i++) {
		float score = vec_dot(q, vi->vectors + i * (size_t)dim, dim);
		if (n == k && score <= out[0].score)
			continue;
		size_t at;
		if (n < k) {
			at = n++;
			while (at > 0 && out[(at - 1) / 2].score > score) {
				out[at] = out[(at - 1) / 2];
				at = (at - 1) / 2;
			}
		} else {
			at = 0;
			for (;;) {
				size_t c = 2 * at + 1;
				if (c >= n)
					break;
				if (c + 1 < n && out[c + 1].score < out[c].score)
					c++;
				if (out[c].score >= score)
					break;
				out[at] = out[c];
				at = c;
			}
		}
		out[at] = (struct scored){ vi->ids[i], score };
	}
	qsort(out, n, sizeof(*out), by_score);
	free(q);
	return (long)n;
}

struct fused {
	long long id;
	double score;
	float cosine;
	int bm25_rank; /* 1-based, 0 when absent */
	size_t bm25_index;
};

static int by_fused(const void *a, const void *b)
{
	double x = ((const struct fused *)a)->score, y = ((const struct fused *)b)->score;
	return x < y ? 1 : x > y ? -1 : 0;
}

static void move_hit(struct search_hit *dst, struct search_hit *src)
{
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

int retrieve(struct store *st, const struct config *cfg, const char *query, const char *mode,
	     unsigned k, struct retrieval *out, struct strbuf *err)
{
	struct search_hit *bm = NULL, *dh = NULL;
	size_t nbm = 0;
	struct fused *f = NULL;
	size_t nf = 0, nids = 0;
	long long *ids = NULL;
	struct tokenizer *tok = NULL;
	struct vector_index *vi = NULL;
	int ret = -1;
	memset(out, 0, sizeof(*out));
	mode = mode ? mode : cfg->retrieve.mode;
	if (strcmp(mode, "bm25") && strcmp(mode, "dense") && strcmp(mode, "hybrid")) {
		strbuf_addf(err, "unknown retriever '%s': use bm25, dense or hybrid", mode);
		return RETRIEVE_BAD_QUERY;
	}
	int want_dense = strcmp(mode, "bm25") != 0, want_bm25 = strcmp(mode, "dense") != 0;
	if (want_dense) {
		int rc = load_vectors(st, cfg, &vi, err);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			if (!strcmp(mode, "dense")) {
				strbuf_addstr(err, "no embedder in production yet: 'ragops run' trains one");
				return RETRIEVE_NOT_READY;
			}
			want_dense = 0;
			mode = "bm25";
		}
	}
	out->mode = mode;
	unsigned cand = cfg->retrieve.candidates > k ? cfg->retrieve.candidates : k;
	double t0 = time_mono();
	if (want_bm25) {
		/* Ranks only: texts and snippets are made for the final hits alone. */
		struct search_opts so = { .query = query, .limit = cand, .ids_only = 1 };
		if (store_search(st, &so, &bm, &nbm, err)) {
			/* A question of stop words alone can still be found by meaning. */
			if (!want_dense)
				return strstr(err->buf, "no searchable") ? RETRIEVE_BAD_QUERY : RETRIEVE_FAILED;
			strbuf_reset(err);
		}
	}
	double t1 = time_mono();
	out->ms_bm25 = (t1 - t0) * 1000;
	struct scored *ds = NULL;
	size_t nds = 0;
	if (want_dense) {
		snprintf(out->embedder, sizeof(out->embedder), "%s", vi->version);
		ds = xcalloc(cand + 1, sizeof(*ds));
		long got = dense_top(cfg, vi, query, cand, ds, err);
		if (got < 0)
			goto cleanup;
		nds = (size_t)got;
	}
	double t2 = time_mono();
	out->ms_dense = (t2 - t1) * 1000;

	/* Reciprocal rank fusion: each list votes 1/(rrf_k + rank). */
	f = xcalloc(nbm + nds + 1, sizeof(*f));
	double rk = cfg->retrieve.rrf_k;
	for (size_t i = 0; i < nbm; i++)
		f[nf++] = (struct fused){ bm[i].chunk_id, 1.0 / (rk + (double)i + 1), -1, (int)i + 1, i };
	for (size_t i = 0; i < nds; i++) {
		size_t j = 0;
		while (j < nf && f[j].id != ds[i].id)
			j++;
		if (j == nf)
			f[nf++] = (struct fused){ ds[i].id, 0, -1, 0, 0 };
		f[j].score += cfg->retrieve.dense_weight / (rk + (double)i + 1);
		f[j].cosine = ds[i].score;
	}
	if (want_bm25 && !want_dense) {
		/* BM25 alone keeps BM25's own order and scores. */
	} else {
		qsort(f, nf, sizeof(*f), by_fused);
	}
	/* Diversity: at most per_document chunks of one document; look further down for the rest. */
	ids = xcalloc(nf + 1, sizeof(long long));
	for (size_t i = 0; i < nf && nids < 4 * (size_t)k; i++)
		ids[nids++] = f[i].id;
	if (store_chunks_get(st, ids, nids, &dh, err))
		goto cleanup;
	tok = tokenizer_new();
	out->hits = xcalloc(nids + 1, sizeof(*out->hits));
	out->dense = xcalloc(nids + 1, sizeof(float));
	for (size_t i = 0; i < nids && out->n < k; i++) {
		int seen = 0;
		for (size_t j = 0; j < out->n; j++)
			seen += out->hits[j].doc_path && dh[i].doc_path &&
				!strcmp(out->hits[j].doc_path, dh[i].doc_path);
		if ((unsigned)seen >= cfg->retrieve.per_document)
			continue;
		struct search_hit *h = &out->hits[out->n];
		move_hit(h, &dh[i]);
		h->score = !want_dense ? f[i].score : !want_bm25 ? f[i].cosine : f[i].score;
		if (f[i].bm25_rank && !want_dense)
			h->score = bm[f[i].bm25_index].score;
		free(h->snippet);
		h->snippet = highlight_snippet(tok, query, h->text ? h->text : "",
					       lang_from_code(h->language), "**", "**", 40);
		out->dense[out->n] = f[i].cosine;
		out->n++;
	}
	out->ms_fuse = (time_mono() - t2) * 1000;
	ret = 0;
cleanup:
	index_unref(vi);
	tokenizer_free(tok);
	free(ids);
	search_hits_free(bm, nbm);
	search_hits_free(dh, dh ? nids : 0);
	free(ds);
	free(f);
	if (ret)
		retrieval_release(out);
	return ret;
}

void retrieval_release(struct retrieval *r)
{
	search_hits_free(r->hits, r->n);
	free(r->dense);
	memset(r, 0, sizeof(*r));
}

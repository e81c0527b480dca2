/*
 * Retrieval; see retrieve.h.  BM25 candidates come from bm25.c, dense ones
 * from vectors.c; here they are fused, capped per document and presented.
 */
#include "retrieval/retrieve.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "retrieval/bm25.h"
#include "retrieval/vectors.h"
#include "text/highlight.h"
#include "text/tokenize.h"

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

int retrieve(struct store *st, const struct config *cfg, const struct release_view *rel,
	     const char *query, const char *mode, unsigned k, struct retrieval *out,
	     struct strbuf *err)
{
	struct search_hit *bm = NULL, *dh = NULL;
	size_t nbm = 0;
	struct fused *f = NULL;
	size_t nf = 0, nids = 0;
	long long *ids = NULL;
	struct tokenizer *tok = NULL;
	const struct vector_index *vi = NULL;
	int ret = -1;
	memset(out, 0, sizeof(*out));
	out->release = rel->id;
	mode = mode ? mode : cfg->retrieve.mode;
	if (strcmp(mode, "bm25") && strcmp(mode, "dense") && strcmp(mode, "hybrid")) {
		strbuf_addf(err, "unknown retriever '%s': use bm25, dense or hybrid", mode);
		return RETRIEVE_BAD_QUERY;
	}
	int want_dense = strcmp(mode, "bm25") != 0, want_bm25 = strcmp(mode, "dense") != 0;
	if (want_dense) {
		vi = release_vectors(rel, st, cfg, err);
		if (vi == (const struct vector_index *)-1)
			return RETRIEVE_FAILED;
	}
	if (want_dense && !vi) {
		if (!strcmp(mode, "dense")) {
			strbuf_addf(err, "release %lld has no vectors%s%s: search it with bm25", rel->id,
				    rel->vectors_problem[0] ? " loaded: " : "", rel->vectors_problem);
			return RETRIEVE_NOT_READY;
		}
		want_dense = 0;
		mode = "bm25";
	}
	out->mode = mode;
	unsigned cand = cfg->retrieve.candidates > k ? cfg->retrieve.candidates : k;
	double t0 = time_mono();
	if (want_bm25) {
		/* Ranks only: texts and snippets are made for the final hits alone. */
		int rc = bm25_top(st, cfg, rel, query, cand, &bm, &nbm, err);
		if (rc) {
			/* A question of stop words alone can still be found by meaning. */
			if (!want_dense)
				return rc;
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
		long got = vectors_top(cfg, vi, query, cand, ds, err);
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
		if (!dh[i].doc_path)
			continue; /* deleted by a run since the index was read */
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

/*
 * Retrieval; see retrieve.h.  BM25 candidates come from bm25.c, dense ones
 * from vectors.c; here they are fused, capped per document and presented.
 */
#include "retrieval/retrieve.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strmap.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "learn/learned.h"
#include "learn/question.h"
#include "learn/ranker.h"
#include "retrieval/bm25.h"
#include "retrieval/vectors.h"
#include "text/highlight.h"
#include "text/tokenize.h"

struct fused {
	long long id;
	double score;
	float cosine;
	int bm25_rank, dense_rank; /* 1-based, 0 when absent */
	size_t bm25_index;
	double rerank; /* the ranker's score */
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

/* Share of the question's stems its heading path holds. */
static double heading_match(struct tokenizer *tok, const struct strmap *asked, size_t nasked,
			    const char *heading)
{
	if (!nasked || !heading || !*heading)
		return 0;
	struct strmap h;
	strmap_init(&h);
	question_stems(tok, heading, &h);
	size_t shared = 0;
	for (size_t i = 0; i < asked->cap; i++)
		shared += asked->keys[i] &&
			  strmap_get(&h, asked->keys[i], strlen(asked->keys[i])) != NULL;
	strmap_release(&h);
	return (double)shared / (double)nasked;
}

/* What the ranker reads of candidate i of the fused list f (its chunk in hits[i]). */
static void candidate_features(const struct fused *f, size_t i, const struct search_hit *bm,
			       const struct search_hit *hit, double heading, const struct ranker *rk,
			       double *x)
{
	double top_bm25 = bm ? bm[0].score : 0, top_fused = f[0].score;
	x[RF_BM25] = f[i].bm25_rank && top_bm25 > 0 ? bm[f[i].bm25_index].score / top_bm25 : 0;
	x[RF_BM25_RR] = f[i].bm25_rank ? 1.0 / f[i].bm25_rank : 0;
	x[RF_DENSE] = f[i].cosine > 0 ? f[i].cosine : 0;
	x[RF_DENSE_RR] = f[i].dense_rank ? 1.0 / f[i].dense_rank : 0;
	x[RF_FUSED] = top_fused > 0 ? f[i].score / top_fused : 0;
	x[RF_FUSED_RR] = 1.0 / (double)(i + 1);
	x[RF_HEADING] = heading;
	x[RF_LOW_OCR] = hit->low_confidence;
	x[RF_DOC_PRIOR] = rk ? ranker_doc_prior(rk, hit->doc_path) : 0;
}

void retrieve_trace_release(struct retrieve_trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->docs[i]);
	free(t->docs);
	free(t->features);
	memset(t, 0, sizeof(*t));
}

/*
 * The fused candidates' features (into trace, for training) and, with a
 * ranker, their new order: the best `depth` are reordered by its score.
 */
static void rerank(const struct release_view *rel, const char *query, struct fused *f,
		   struct search_hit *dh, size_t nids, const struct search_hit *bm,
		   struct tokenizer *tok, struct retrieve_trace *trace, int no_ranker)
{
	const struct ranker *rk = rel->learned && !no_ranker ? rel->learned->ranker : NULL;
	size_t depth = rk ? rk->depth : 0;
	if (trace && trace->depth > depth)
		depth = trace->depth;
	if (depth > nids)
		depth = nids;
	if (!depth)
		return;
	struct strmap asked;
	strmap_init(&asked);
	size_t nasked = question_stems(tok, query, &asked);
	double *x = xcalloc(depth * RANKER_FEATURES, sizeof(double));
	for (size_t i = 0; i < depth; i++) {
		double *xi = x + i * RANKER_FEATURES;
		candidate_features(f, i, bm, &dh[i], heading_match(tok, &asked, nasked, dh[i].heading),
				   rk, xi);
		if (rk)
			f[i].rerank = ranker_score(rk, xi);
	}
	strmap_release(&asked);
	if (trace) {
		trace->n = depth;
		trace->features = x;
		trace->docs = xcalloc(depth + 1, sizeof(char *));
		for (size_t i = 0; i < depth; i++)
			trace->docs[i] = dh[i].doc_path ? xstrdup(dh[i].doc_path) : NULL;
	} else {
		free(x);
	}
	if (!rk)
		return;
	/* The chunks travel with their candidates; ties keep the fused order (n is small). */
	size_t n = rk->depth < depth ? rk->depth : depth;
	size_t *order = xcalloc(n, sizeof(size_t));
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && f[order[j - 1]].rerank < f[i].rerank; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	struct fused *fs = xcalloc(n, sizeof(*fs));
	struct search_hit *hs = xcalloc(n, sizeof(*hs));
	for (size_t i = 0; i < n; i++) {
		fs[i] = f[order[i]];
		hs[i] = dh[order[i]];
	}
	memcpy(f, fs, n * sizeof(*fs));
	memcpy(dh, hs, n * sizeof(*hs));
	free(order);
	free(fs);
	free(hs);
}

/*
 * The query caps, checked before anything reads the query further.  Every
 * BM25 cost grows with the query's words: FTS5 ranks an OR of one phrase
 * per word (duplicates included) and its time grew faster than the query,
 * 0.3 s at 8 KB, 1.2 s at 32 KB, 9.4 s at 128 KB and over 200 s (1.1 GB)
 * at 944 KB on 156 chunks; snippets tokenize the whole query again for
 * every hit (1.8 s of a 944 KB query from the lexicon).  At 2000 bytes
 * and 64 distinct words a query takes milliseconds from the lexicon.
 */
static enum retrieve_result check_query(const struct config *cfg, const char *query, struct strbuf *err)
{
	size_t len = strlen(query), pos = 0, start, end;
	if (len > cfg->retrieve.query_max_bytes) {
		strbuf_addf(
			err,
			"the query is %zu bytes long, over the limit of %u (retrieve.query_max_bytes)",
			len, cfg->retrieve.query_max_bytes);
		return RETRIEVE_TOO_LONG;
	}
	/* Distinct as searched: folded, stop words and overlong words left out. */
	struct strbuf folded = STRBUF_INIT;
	struct strmap seen;
	strmap_init(&seen);
	while (query_next_word(query, len, &pos, &start, &end, &folded) == 0)
		*strmap_slot(&seen, folded.buf, folded.len) = 1;
	size_t terms = seen.n;
	strmap_release(&seen);
	strbuf_release(&folded);
	if (terms > cfg->retrieve.query_max_terms) {
		strbuf_addf(
			err,
			"the query has %zu distinct words, over the limit of %u (retrieve.query_max_terms)",
			terms, cfg->retrieve.query_max_terms);
		return RETRIEVE_TOO_LONG;
	}
	return RETRIEVE_OK;
}

enum retrieve_result retrieve(struct store *st, const struct config *cfg, const struct release_view *rel,
			      const char *query, const char *mode, unsigned k, struct retrieval *out,
			      struct strbuf *err)
{
	return retrieve_traced(st, cfg, rel, query, mode, k, NULL, 0, out, err);
}

enum retrieve_result retrieve_traced(struct store *st, const struct config *cfg,
				     const struct release_view *rel, const char *query, const char *mode,
				     unsigned k, struct retrieve_trace *trace, unsigned without,
				     struct retrieval *out, struct strbuf *err)
{
	struct search_hit *bm = NULL, *dh = NULL;
	size_t nbm = 0;
	struct fused *f = NULL;
	size_t nf = 0, nids = 0;
	long long *ids = NULL;
	struct tokenizer *tok = NULL;
	const struct vector_index *vi = NULL;
	enum retrieve_result ret = RETRIEVE_FAILED;
	memset(out, 0, sizeof(*out));
	out->release = rel->id;
	enum retrieve_result checked = check_query(cfg, query, err);
	if (checked != RETRIEVE_OK)
		return checked;
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
			char why[sizeof(rel->vectors_problem)];
			release_vectors_problem(rel, why, sizeof(why));
			strbuf_addf(err, "release %lld has no vectors%s%s: search it with bm25", rel->id,
				    why[0] ? " loaded: " : "", why);
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
		enum retrieve_result rc = bm25_top(st, cfg, rel, query, cand, without, &bm, &nbm, err);
		if (rc != RETRIEVE_OK) {
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
		f[nf++] = (struct fused){
			bm[i].chunk_id, 1.0 / (rk + (double)i + 1), -1, (int)i + 1, 0, i, 0
		};
	for (size_t i = 0; i < nds; i++) {
		size_t j = 0;
		while (j < nf && f[j].id != ds[i].id)
			j++;
		if (j == nf)
			f[nf++] = (struct fused){ ds[i].id, 0, -1, 0, 0, 0, 0 };
		f[j].score += cfg->retrieve.dense_weight / (rk + (double)i + 1);
		f[j].cosine = ds[i].score;
		f[j].dense_rank = (int)i + 1;
	}
	if (want_bm25 && !want_dense) {
		/* BM25 alone keeps BM25's own order and scores. */
	} else {
		qsort(f, nf, sizeof(*f), by_fused);
	}
	/* Diversity: at most per_document chunks of one document; look further down for the rest. */
	ids = xcalloc(nf + 1, sizeof(long long));
	size_t wanted = 4 * (size_t)k;
	if (rel->learned && rel->learned->ranker && !(without & RETRIEVE_WITHOUT_RANKER) &&
	    rel->learned->ranker->depth > wanted)
		wanted = rel->learned->ranker->depth;
	if (trace && trace->depth > wanted)
		wanted = trace->depth;
	for (size_t i = 0; i < nf && nids < wanted; i++)
		ids[nids++] = f[i].id;
	if (store_chunks_get(st, ids, nids, &dh, err))
		goto cleanup;
	tok = tokenizer_new();
	/* The ranker learned from hybrid candidates: other modes keep their own order. */
	rerank(rel, query, f, dh, nids, nbm ? bm : NULL, tok, trace,
	       (without & RETRIEVE_WITHOUT_RANKER) || !want_bm25 || !want_dense);
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
	ret = RETRIEVE_OK;
cleanup:
	tokenizer_free(tok);
	free(ids);
	search_hits_free(bm, nbm);
	search_hits_free(dh, dh ? nids : 0);
	free(ds);
	free(f);
	if (ret != RETRIEVE_OK)
		retrieval_release(out);
	return ret;
}

void retrieval_release(struct retrieval *r)
{
	search_hits_free(r->hits, r->n);
	free(r->dense);
	memset(r, 0, sizeof(*r));
}

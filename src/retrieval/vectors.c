/*
 * Dense retrieval: the vectors of a release's embedder for its chunks,
 * loaded once per process with the release (retrieval/release.c) and
 * shared by its threads, searched exactly (float32) or by an int8 scan
 * whose candidates are rescored in float32.
 */
#include "retrieval/vectors.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "learn/artefact.h"
#include "learn/openai_embed.h"
#include "retrieval/quantize.h"
#include "text/tokenize.h"

/*
 * With retrieve.vectors: int8 the scan reads each vector as int8 with its
 * own scale (a quarter of the bytes: 25 MB at 100,000 x 256, which a
 * server's last-level cache may hold), keeps RESCORE_FACTOR times the
 * candidates asked for, and rescores those in float32: the ranking and the
 * cosines are the float32 scan's, unless one of the true k best ranks below
 * RESCORE_FACTOR * k by int8.  On 3,200 queries over 100,000 chunks that
 * never happened at 4x (2x: once in the top 50; 1x: 97% of the top 10).
 *
 * The float32 vectors stay in memory for the rescoring: +25% over float32
 * alone (at 100,000 x 256: 167 MiB resident instead of 142).  Reading the
 * candidates from the store instead, the index would be 69 MiB, but SQLite
 * takes ~20 us a vector (a 1 KB blob overflows its page): 5.4 ms a query
 * for 200 candidates, slower than the float32 scan (4.3 ms; int8 with
 * floats in memory: 1.7 ms).
 */

void vectors_free(struct vector_index *vi)
{
	if (!vi)
		return;
	embedder_free(vi->e);
	free(vi->ids);
	free(vi->vectors);
	free(vi->codes);
	free(vi->scales);
	free(vi);
}

/* Index of `id` in the ascending ids[n], or -1. */
static long find_id(const long long *ids, size_t n, long long id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] == id)
			return (long)mid;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Release r's vectors, taking those of `from` (a release loaded before,
 * same model) for the chunks both hold -- a vector is keyed by model and
 * chunk, and neither ever changes -- and reading only the others.  After a
 * 1% change that is 1% of the reads.
 */
static int vectors_reuse(struct store *st, const struct release_record *r,
			 const struct vector_index *from, struct vector_index *vi, struct strbuf *err)
{
	long long *ids = NULL, *missing = NULL;
	size_t n = 0, nmissing = 0, dim = (size_t)vi->dim;
	if (store_release_chunk_ids(st, r->id, &ids, &n, err))
		return -1;
	missing = xcalloc(n + 1, sizeof(long long));
	for (size_t i = 0; i < n; i++)
		if (find_id(from->ids, from->n, ids[i]) < 0)
			missing[nmissing++] = ids[i];
	float *fresh = xcalloc((nmissing + 1) * dim, sizeof(float));
	unsigned char *found = xcalloc(nmissing + 1, 1);
	int rc = store_vectors_get(st, r->embedder_id, vi->dim, missing, nmissing, fresh, found, err);
	/* In ascending ids, as a fresh load has them: equal scores rank alike either way. */
	vi->ids = xcalloc(n + 1, sizeof(long long));
	vi->vectors = xcalloc((n + 1) * dim, sizeof(float));
	for (size_t i = 0, m = 0; !rc && i < n; i++) {
		const float *v = NULL;
		if (m < nmissing && missing[m] == ids[i]) {
			v = found[m] ? fresh + m * dim
				     : NULL; /* none of the right size: counted missing */
			m++;
		} else {
			v = from->vectors + (size_t)find_id(from->ids, from->n, ids[i]) * dim;
		}
		if (!v)
			continue;
		vi->ids[vi->n] = ids[i];
		memcpy(vi->vectors + vi->n * dim, v, dim * sizeof(float));
		vi->n++;
	}
	free(fresh);
	free(found);
	free(missing);
	free(ids);
	return rc;
}

struct vector_index *vectors_load(struct store *st, const struct config *cfg,
				  const struct release_record *r, const struct vector_index *from,
				  int *unusable, struct strbuf *err)
{
	struct vector_index *vi = xcalloc(1, sizeof(*vi));
	*unusable = 0;
	if (!strcmp(r->embedder_name, "openai")) {
		/* The endpoint embeds the questions; its dimension is in the record. */
		json_t *p = json_loads(r->embedder_params ? r->embedder_params : "", 0, NULL);
		vi->dim = (int)json_integer_value(json_object_get(p, "dim"));
		json_decref(p);
		if (vi->dim <= 0)
			strbuf_addf(err, "the embedder %s has no dimension on record",
				    r->embedder_version);
	} else if (embedder_libraries(err)) {
		*unusable = -1; /* for now */
		vectors_free(vi);
		return NULL;
	} else {
		char *file = artefact_local(st, cfg, r->embedder_path, err);
		vi->e = file ? embedder_load(file, err) : NULL;
		free(file);
		vi->dim = vi->e ? embedder_dim(vi->e) : 0;
	}
	*unusable = vi->dim <= 0;
	int reuse = from && from->model_id == r->embedder_id && from->dim == vi->dim;
	if (vi->dim <= 0 || (reuse ? vectors_reuse(st, r, from, vi, err)
				   : store_release_vectors(st, r->id, r->embedder_id, vi->dim, &vi->ids,
							   &vi->vectors, &vi->n, err))) {
		vectors_free(vi);
		return NULL;
	}
	if (!strcmp(cfg->retrieve.vectors, "int8"))
		vectors_quantize(vi);
	vi->model_id = r->embedder_id;
	snprintf(vi->version, sizeof(vi->version), "%s", r->embedder_version);
	return vi;
}

void vectors_quantize(struct vector_index *vi)
{
	/* Exact int32 sums leave the question int8's precision at least up to 133,000 dimensions. */
	if (quantize_i16_limit(vi->dim) < 127)
		return;
	size_t dim = (size_t)vi->dim;
	vi->codes = xmalloc(vi->n * dim + 1);
	vi->scales = xmalloc((vi->n + 1) * sizeof(float));
	for (size_t i = 0; i < vi->n; i++)
		vi->scales[i] = quantize_i8(vi->vectors + i * dim, vi->dim, vi->codes + i * dim);
}

static int by_score(const void *a, const void *b)
{
	float x = ((const struct scored *)a)->score, y = ((const struct scored *)b)->score;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* Offer (id, score) to the min-heap h[*n] of the k best so far. */
static void heap_offer(struct scored *h, size_t *n, size_t k, long long id, float score)
{
	size_t at;
	if (*n == k && (k == 0 || score <= h[0].score))
		return;
	if (*n < k) {
		at = (*n)++;
		while (at > 0 && h[(at - 1) / 2].score > score) {
			h[at] = h[(at - 1) / 2];
			at = (at - 1) / 2;
		}
	} else {
		at = 0;
		for (;;) {
			size_t c = 2 * at + 1;
			if (c >= *n)
				break;
			if (c + 1 < *n && h[c + 1].score < h[c].score)
				c++;
			if (h[c].score >= score)
				break;
			h[at] = h[c];
			at = c;
		}
	}
	h[at] = (struct scored){ id, score };
}

size_t vectors_top_int8(const struct vector_index *vi, const float *q, size_t k, struct scored *out)
{
	size_t dim = (size_t)vi->dim, r = RESCORE_FACTOR * k, n = 0;
	struct scored *cand = xcalloc(r + 1, sizeof(*cand));
	int16_t *q16 = xcalloc(dim + 1, sizeof(*q16));
	/* The question's own scale multiplies every score alike: left out. */
	quantize_i16(q, vi->dim, quantize_i16_limit(vi->dim), q16);
	for (size_t i = 0; i < vi->n; i++) {
		float score = (float)dot_i16_i8(q16, vi->codes + i * dim, vi->dim) * vi->scales[i];
		if (n < r || score > cand[0].score)
			heap_offer(cand, &n, r, (long long)i, score);
	}
	for (size_t j = 0; j < n; j++) {
		size_t row = (size_t)cand[j].id;
		cand[j] = (struct scored){ vi->ids[row], vec_dot(q, vi->vectors + row * dim, vi->dim) };
	}
	qsort(cand, n, sizeof(*cand), by_score);
	n = n < k ? n : k;
	memcpy(out, cand, n * sizeof(*out));
	free(q16);
	free(cand);
	return n;
}

long vectors_top(const struct config *cfg, const struct vector_index *vi, const char *query, unsigned k,
		 struct scored *out, struct strbuf *err)
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
	size_t n = 0;
	/* An index built under retrieve.vectors: float32 has no codes: scanned exactly. */
	if (vi->codes && !strcmp(cfg->retrieve.vectors, "int8")) {
		n = vectors_top_int8(vi, q, k, out);
	} else {
		/* Keep the k best in a min-heap: one pass, no sort of every score. */
		for (size_t i = 0; i < vi->n; i++) {
			float score = vec_dot(q, vi->vectors + i * (size_t)dim, dim);
			if (n < k || score > out[0].score)
				heap_offer(out, &n, k, vi->ids[i], score);
		}
		qsort(out, n, sizeof(*out), by_score);
	}
	free(q);
	return (long)n;
}

/*
 * The chunk vectors of a release's embedder, in memory: exact top-k
 * by cosine (float32), or an int8 scan keeping RESCORE_FACTOR times the
 * candidates, rescored in float32 (retrieve.vectors).
 */
#ifndef RETRIEVAL_VECTORS_H
#define RETRIEVAL_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "learn/embedder.h"
#include "store/store.h"

/* Candidates the int8 scan keeps per result asked for (why 4: see vectors.c). */
#define RESCORE_FACTOR 4

struct vector_index {
	long long model_id;
	char version[64];
	struct embedder *e; /* NULL for an endpoint's model */
	int dim;
	long long *ids;
	float *vectors; /* n * dim */
	int8_t *codes;  /* n * dim, int8 quantised; NULL with retrieve.vectors: float32 */
	float *scales;  /* vector i ~ scales[i] * codes[i * dim ...] */
	size_t n;
};

struct scored {
	long long id;
	float score;
};

/*
 * The vectors of release r's embedder for its chunks; NULL with the reason,
 * and *unusable 1 when the model itself cannot be used (its file missing
 * or damaged, no dimension on record) rather than the store failing, -1
 * when the embedder's libraries cannot be loaded now (embedder_libraries).
 * `from` (NULL or a release loaded before) lends the vectors it shares.
 */
struct vector_index *vectors_load(struct store *st, const struct config *cfg,
				  const struct release_record *r, const struct vector_index *from,
				  int *unusable, struct strbuf *err);
void vectors_free(struct vector_index *vi);

/* Top-k chunks by cosine with the question, best first; -1 when it cannot be embedded. */
long vectors_top(const struct config *cfg, const struct vector_index *vi, const char *query, unsigned k,
		 struct scored *out, struct strbuf *err);

/* Fill vi->codes and vi->scales from vi->vectors (left NULL past the int8 limits). */
void vectors_quantize(struct vector_index *vi);
/* The int8 scan, rescored: the k best of RESCORE_FACTOR * k candidates by exact cosine. */
size_t vectors_top_int8(const struct vector_index *vi, const float *q, size_t k, struct scored *out);

#endif

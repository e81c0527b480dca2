/*
 * The built-in embedder: TF-IDF over word stems and character 4-grams of
 * them (robust to OCR errors), reduced by a randomized truncated SVD
 * (latent semantic analysis) trained on the corpus itself.  Chunks and
 * questions are projected the same way and compared by cosine; words that
 * occur in the same contexts land close together, which is what lets a
 * question find a passage it shares no word with.  Works offline on a
 * fresh machine; the model is a versioned file.
 */
#ifndef LEARN_EMBEDDER_H
#define LEARN_EMBEDDER_H

#include <stddef.h>

#include "core/strbuf.h"
#include "text/stopwords.h"

struct embedder;
struct tokenizer;

struct embed_doc {
	const char *text;
	enum lang lang;
};

struct embedder_params {
	int dim;    /* target dimensions (fewer when the corpus is small) */
	int min_df; /* features in fewer documents are noise */
	int max_features;
	unsigned seed;
	int threads; /* counting and products on this many threads (the model is the same) */
	/* features pass 1 keeps for pass 2 (0: 8 Mi, 64 MiB); past it, counted again (the same model) */
	size_t kept_features_max;
};

/*
 * Train on the documents (chunks).  NULL with the reason when it cannot.
 * With `vectors`, *vectors gets the documents' own vectors too (n x dim,
 * as embedder_embed gives them, to rounding), made from the matrix the
 * training built instead of tokenising every document again; NULL when
 * they would take more than 64 MiB.
 */
struct embedder *embedder_train(const struct embed_doc *docs, size_t n, const struct embedder_params *p,
				float **vectors, struct strbuf *err);
int embedder_save(const struct embedder *e, const char *path, struct strbuf *err);
struct embedder *embedder_load(const char *path, struct strbuf *err);
/*
 * 0 when the libraries the built-in embedder needs load (OpenBLAS and
 * LAPACKE: learn/blas_libs.h); -1 with the reason.  A failure may pass (a
 * memory limit lifted, a package installed): embedder_load tries again.
 */
int embedder_libraries(struct strbuf *err);
void embedder_free(struct embedder *e);

int embedder_dim(const struct embedder *e);
int embedder_features(const struct embedder *e);
/* "builtin-lsa-" + a hash of the model's content: names the vectors it made. */
const char *embedder_version(const struct embedder *e);

/*
 * Unit vector of `text` into out[embedder_dim(e)]; a question (query = 1)
 * gets its words in every language.  All zeros when no feature is known.
 */
void embedder_embed(const struct embedder *e, struct tokenizer *tok, const char *text, size_t len,
		    enum lang lang, int query, float *out);

/* Dot product of two vectors of n floats (cosine for unit vectors). */
float vec_dot(const float *a, const float *b, int n);

#endif

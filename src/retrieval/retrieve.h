/*
 * Retrieval from one release: BM25 over its lexicon, dense search over the
 * chunk vectors of its embedder (exact top-k, in process), or
 * both fused by reciprocal rank (the default), with at most
 * retrieve.per_document chunks of one document so that the sources are
 * diverse.  A release's learned ranker (learn/ranker.h) reorders the
 * best fused candidates before that cap.
 */
#ifndef RETRIEVAL_RETRIEVE_H
#define RETRIEVAL_RETRIEVE_H

#include "core/config.h"
#include "core/strbuf.h"
#include "retrieval/release.h"
#include "store/store.h"

struct retrieval {
	long long release; /* the release searched */
	struct search_hit *hits;
	size_t n;
	const char *mode;  /* what was used: "bm25", "dense", "hybrid" */
	char embedder[64]; /* model version, "" without vectors */
	float *dense;      /* cosine of each hit with the question, -1 when unknown */
	double ms_bm25, ms_dense, ms_fuse;
};

/* Whether a retrieval was made; when not, err says why. */
enum retrieve_result {
	RETRIEVE_OK = 0,
	RETRIEVE_BAD_QUERY = 1, /* unknown mode, no searchable word */
	RETRIEVE_NOT_READY = 2, /* dense asked of a release without an embedder */
	RETRIEVE_TOO_LONG = 3,  /* over retrieve.query_max_bytes or _terms */
	RETRIEVE_FAILED = -1,   /* the store or the embeddings endpoint */
};

/*
 * Retrieve `k` chunks of release `rel` for `query` by `mode` (NULL:
 * retrieve.mode).  Without vectors, hybrid falls back to BM25.  A query
 * longer than retrieve.query_max_bytes, or with more distinct searchable
 * words than retrieve.query_max_terms, is refused before any search
 * (RETRIEVE_TOO_LONG, the limit and its key named in err): the caller's
 * fault, like RETRIEVE_BAD_QUERY, but a limit, not a malformed query.
 */
enum retrieve_result retrieve(struct store *st, const struct config *cfg, const struct release_view *rel,
			      const char *query, const char *mode, unsigned k, struct retrieval *out,
			      struct strbuf *err);
void retrieval_release(struct retrieval *r);

/* What the ranker would read of the fused candidates, for training it. */
struct retrieve_trace {
	size_t depth; /* asked: this many candidates at most */
	size_t n;
	double *features; /* n * RANKER_FEATURES, in fused order */
	char **docs;      /* each candidate's document path */
};
void retrieve_trace_release(struct retrieve_trace *t);

/*
 * Parts of retrieval a caller can leave out: the ranker's own training
 * reads the fused order, an evaluation measures what each part brings.
 */
enum retrieve_without {
	RETRIEVE_WITHOUT_RANKER = 1 << 0,      /* the fused order, as without a ranker */
	RETRIEVE_WITHOUT_EXPANSION = 1 << 1,   /* no word learned from feedback */
	RETRIEVE_WITHOUT_TRANSLATION = 1 << 2, /* no word from the other language */
	RETRIEVE_WITHOUT_SYNONYMS = 1 << 3,    /* no synonym from a thesaurus */
};

/*
 * retrieve, also filling `trace` (when not NULL) with the candidates
 * before the ranker, without the parts `without` names.
 */
enum retrieve_result retrieve_traced(struct store *st, const struct config *cfg,
				     const struct release_view *rel, const char *query, const char *mode,
				     unsigned k, struct retrieve_trace *trace, unsigned without,
				     struct retrieval *out, struct strbuf *err);

#endif

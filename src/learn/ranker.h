/*
 * The learned ranker: a logistic regression over what retrieval knows of
 * each fused candidate (BM25 and dense scores and ranks, the fused score,
 * whether the heading names the question's words, OCR weakness, and the
 * document's record in feedback), trained on feedback's right and wrong
 * sources.  It reorders the best `depth` fused candidates; below them the
 * fused order stays.
 */
#ifndef LEARN_RANKER_H
#define LEARN_RANKER_H

#include <jansson.h>
#include <stddef.h>

#include "core/strbuf.h"
#include "core/strmap.h"

enum ranker_feature {
	RF_BM25,      /* BM25 score over the best candidate's */
	RF_BM25_RR,   /* 1 / BM25 rank, 0 when BM25 did not find it */
	RF_DENSE,     /* cosine with the question, 0 without */
	RF_DENSE_RR,  /* 1 / dense rank */
	RF_FUSED,     /* fused score over the best candidate's */
	RF_FUSED_RR,  /* 1 / fused rank */
	RF_HEADING,   /* share of the question's words in the heading path */
	RF_LOW_OCR,   /* from a weak OCR page */
	RF_DOC_PRIOR, /* the document's feedback: (helpful - unhelpful) / (marks + 2) */
	RANKER_FEATURES
};
extern const char *const ranker_feature_names[RANKER_FEATURES];

struct ranker {
	double w[RANKER_FEATURES], bias;
	double mean[RANKER_FEATURES], sd[RANKER_FEATURES]; /* standardisation */
	unsigned depth;
	struct strmap doc_at; /* document path -> index + 1 into prior */
	double *prior;
	char **docs;
	size_t ndocs;
};

/* The document's feedback record (RF_DOC_PRIOR), 0 when it has none. */
double ranker_doc_prior(const struct ranker *r, const char *doc);
/* Higher is better. */
double ranker_score(const struct ranker *r, const double *x);

/*
 * Fit on n candidates (x: n * RANKER_FEATURES, y: 1 right, 0 wrong), with
 * the documents' priors; NULL with the reason when there is nothing to
 * learn from (no right or no wrong candidate).
 */
struct ranker *ranker_fit(const double *x, const double *y, size_t n, char *const *docs,
			  const double *priors, size_t ndocs, unsigned depth, struct strbuf *err);
void ranker_free(struct ranker *r);

json_t *ranker_to_json(const struct ranker *r);
struct ranker *ranker_from_json(json_t *j, struct strbuf *err);

#endif

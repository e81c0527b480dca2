/*
 * BM25 candidates; see bm25.h.
 */
#include "retrieval/bm25.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "learn/learned.h"
#include "learn/vocabulary.h"
#include "retrieval/lexicon.h"
#include "retrieval/retrieve.h"
#include "retrieval/bridge.h"

/* Expansions per question at most: a few learned, translated or synonym words, not a second question. */
#define MAX_EXPANSIONS 24

static enum retrieve_result from_lexicon(struct store *st, const struct config *cfg,
					 const struct release_view *rel, const char *query, unsigned k,
					 unsigned without, struct search_hit **out, size_t *n,
					 struct strbuf *err)
{
	long long *ids = xcalloc(k + 1, sizeof(long long));
	double *scores = xcalloc(k + 1, sizeof(double));
	struct tokenizer *tok = tokenizer_new();
	struct expansion exp[MAX_EXPANSIONS];
	size_t nexp = rel->learned && !(without & RETRIEVE_WITHOUT_EXPANSION)
			      ? vocabulary_expand(rel->learned->vocab, tok, query, exp,
						  MAX_EXPANSIONS / 2)
			      : 0;
	nexp += bridge_expand(cfg, st, rel, tok, query, !(without & RETRIEVE_WITHOUT_TRANSLATION),
			      !(without & RETRIEVE_WITHOUT_SYNONYMS), exp + nexp, MAX_EXPANSIONS - nexp);
	long got = lexicon_search_expanded(rel->lx, tok, query, exp, nexp, k, ids, scores);
	tokenizer_free(tok);
	if (got < 0) {
		strbuf_addstr(err, QUERY_NO_WORDS);
	} else {
		*out = xcalloc((size_t)got + 1, sizeof(**out));
		for (long i = 0; i < got; i++) {
			(*out)[i].chunk_id = ids[i];
			(*out)[i].score = scores[i];
		}
		*n = (size_t)got;
	}
	free(ids);
	free(scores);
	return got < 0 ? RETRIEVE_BAD_QUERY : RETRIEVE_OK;
}

enum retrieve_result bm25_top(struct store *st, const struct config *cfg, const struct release_view *rel,
			      const char *query, unsigned k, unsigned without, struct search_hit **out,
			      size_t *n, struct strbuf *err)
{
	*out = NULL;
	*n = 0;
	if (rel->lx && !strcmp(cfg->retrieve.bm25_index, "lexicon"))
		return from_lexicon(st, cfg, rel, query, k, without, out, n, err);
	struct search_opts so = { .release_id = rel->id, .query = query, .limit = k, .ids_only = 1 };
	switch (store_search(st, &so, out, n, err)) {
	case STORE_SEARCH_OK:
		return RETRIEVE_OK;
	case STORE_SEARCH_NO_WORDS:
		return RETRIEVE_BAD_QUERY;
	case STORE_SEARCH_FAILED:
		break;
	}
	return RETRIEVE_FAILED;
}

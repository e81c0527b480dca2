/*
 * BM25 candidates for retrieval: from the lexicon in memory when it matches
 * the chunks in the store (retrieve.bm25_index: lexicon), else from the
 * SQLite full-text index.  Both rank alike.
 */
#ifndef RETRIEVAL_BM25_H
#define RETRIEVAL_BM25_H

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

/*
 * The `k` best chunks for `query`: ids and scores only, best first.  0, or
 * a retrieve_failure (RETRIEVE_BAD_QUERY: no searchable word).
 */
int bm25_top(struct store *st, const struct config *cfg, const char *query, unsigned k,
	     struct search_hit **out, size_t *n, struct strbuf *err);

#endif

/*
 * BM25 candidates for retrieval: from the release's lexicon in memory
 * (retrieve.bm25_index: lexicon), else from the SQLite full-text index
 * restricted to the release's chunks.  Both rank alike on a store that
 * holds one release; FTS5's statistics also count the chunks of the other
 * releases kept, so it is the fallback, not the reference.  Words a
 * release learned to add to questions (learn/vocabulary.h) are searched
 * in the lexicon only.
 */
#ifndef RETRIEVAL_BM25_H
#define RETRIEVAL_BM25_H

#include "core/config.h"
#include "core/strbuf.h"
#include "retrieval/release.h"
#include "retrieval/retrieve.h"
#include "store/store.h"

/*
 * The `k` best chunks of release `rel` for `query`: ids and scores only,
 * best first, without the parts `without` (enum retrieve_without) names.
 * RETRIEVE_BAD_QUERY: no searchable word.
 */
enum retrieve_result bm25_top(struct store *st, const struct config *cfg, const struct release_view *rel,
			      const char *query, unsigned k, unsigned without, struct search_hit **out,
			      size_t *n, struct strbuf *err);

#endif

/*
 * BM25 candidates; see bm25.h.
 */
#include "retrieval/bm25.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "retrieval/lexicon.h"
#include "retrieval/retrieve.h"
#include "retrieval/shared.h"

static struct shared_slot lexicons = SHARED_SLOT_INIT;

static void free_lexicon(void *lx)
{
	lexicon_close(lx);
}

/*
 * The production lexicon if it was built from the chunks the store holds
 * now, referenced in *ref; NULL when there is none or it is stale (a run
 * was stopped, a newer one is under way) -- FTS5 answers then.
 */
static struct lexicon *current_lexicon(struct store *st, const struct config *cfg,
				       struct shared_ref **ref)
{
	struct model_record m;
	struct strbuf ignored = STRBUF_INIT;
	long long count, max_id;
	struct lexicon *lx = NULL;
	*ref = NULL;
	if (store_model_production(st, "lexicon", &m, &ignored) == 0) {
		if (!store_chunks_identity(st, &count, &max_id, &ignored)) {
			/* Loaded under this key, it was checked against these chunks then. */
			struct shared_key key = { m.id, { count, max_id } };
			lx = shared_get(&lexicons, key, ref);
			if (!lx && lexicon_fits(m.params, count, max_id)) {
				/* Two threads may both map it once after a run; the last one wins. */
				char *path = xasprintf("%s/%s", cfg->data_dir, m.path);
				lx = lexicon_open(path, &ignored);
				free(path);
				if (lx)
					shared_publish(&lexicons, key, lx, free_lexicon, ref);
			}
		}
		model_record_release(&m);
	}
	strbuf_release(&ignored);
	return lx;
}

static int from_lexicon(struct lexicon *lx, const char *query, unsigned k,
			struct search_hit **out, size_t *n, struct strbuf *err)
{
	long long *ids = xcalloc(k + 1, sizeof(long long));
	double *scores = xcalloc(k + 1, sizeof(double));
	struct tokenizer *tok = tokenizer_new();
	long got = lexicon_search(lx, tok, query, k, ids, scores);
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
	return got < 0 ? RETRIEVE_BAD_QUERY : 0;
}

int bm25_top(struct store *st, const struct config *cfg, const char *query, unsigned k,
	     struct search_hit **out, size_t *n, struct strbuf *err)
{
	*out = NULL;
	*n = 0;
	if (!strcmp(cfg->retrieve.bm25_index, "lexicon")) {
		struct shared_ref *ref;
		struct lexicon *lx = current_lexicon(st, cfg, &ref);
		if (lx) {
			int rc = from_lexicon(lx, query, k, out, n, err);
			shared_release(&lexicons, ref);
			return rc;
		}
	}
	struct search_opts so = { .query = query, .limit = k, .ids_only = 1 };
	int rc = store_search(st, &so, out, n, err);
	return rc == STORE_SEARCH_NO_WORDS ? RETRIEVE_BAD_QUERY : rc ? RETRIEVE_FAILED : 0;
}

/*
 * The pipeline's lexicon stage: once per candidate release, the in-memory
 * BM25 index's file is built from exactly the release's chunks (see
 * retrieval/lexicon.h) and registered in the model registry.  Its name is
 * a hash of its content: a release with the same chunks shares the file.
 */
#ifndef PIPELINE_LEXICON_INDEX_H
#define PIPELINE_LEXICON_INDEX_H

#include <stddef.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

struct lexicon_outcome {
	long long model_id;
	size_t chunks, terms;
	char version[64];
	double seconds;
};

/* parent_lexicon: the model it follows (0: none), for the registry's lineage. */
int lexicon_for_release(struct store *st, const struct config *cfg, long long release,
			long long parent_lexicon, struct lexicon_outcome *out, struct strbuf *err);

#endif

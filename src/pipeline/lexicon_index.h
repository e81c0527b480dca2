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

/*
 * The lexicon is made on a thread of its own while the embedder trains
 * (the two share nothing but the chunks they read), and its file written
 * and registered after: lexicon_start reads the release's chunks and
 * starts making it; lexicon_finish waits for it, writes the file and
 * registers it (parent_lexicon: the model it follows, 0 for none, for the
 * registry's lineage); lexicon_job_free after either.
 */
struct lexicon_job;
struct lexicon_job *lexicon_start(struct store *st, const struct config *cfg, long long release);
int lexicon_finish(struct store *st, struct lexicon_job *job, long long parent_lexicon,
		   struct lexicon_outcome *out, struct strbuf *err);
void lexicon_job_free(struct lexicon_job *job);

#endif

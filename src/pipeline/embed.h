/*
 * The embed stage, once per run after the documents: chunks get vectors
 * from the built-in embedder.  The embedder is (re)trained on the corpus
 * when there is none yet or when more than embed.retrain_ratio of the
 * chunks are new to it; otherwise only the new chunks are embedded.  The
 * model is a versioned file under <data>/models/, registered in the store
 * and put in production together with its vectors.
 */
#ifndef PIPELINE_EMBED_H
#define PIPELINE_EMBED_H

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

struct embed_outcome {
	int trained;		/* a new model was trained */
	size_t embedded;	/* chunks given a vector */
	char version[64];	/* the production model after the stage */
	double seconds;
};

int embed_corpus(struct store *st, const struct config *cfg, struct embed_outcome *out,
		 struct strbuf *err);

#endif

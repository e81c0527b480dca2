/*
 * The embed stage, once per candidate release: its chunks get vectors.
 * The parent release's embedder embeds the chunks new to it, unless more
 * than embed.retrain_ratio of them are new (or there is none yet): then a
 * new one is trained on the release's chunks.  A model is a versioned file
 * under <data>/models/, registered as a candidate; it reaches production
 * with the release that holds it.  With embed.embedder: openai the
 * endpoint's model embeds whatever it has not embedded yet.
 */
#ifndef PIPELINE_EMBED_H
#define PIPELINE_EMBED_H

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

struct embed_outcome {
	int trained;        /* a new model was trained */
	size_t embedded;    /* chunks given a vector */
	long long model_id; /* the release's embedder */
	char version[64];
	double seconds;
};

/* Vectors for every chunk of `release` (chunks: how many it holds), over `parent` (NULL: none). */
int embed_release(struct store *st, const struct config *cfg, long long release, long long chunks,
		  const struct release_record *parent, struct embed_outcome *out, struct strbuf *err);

/*
 * Train a new built-in embedder on release `release`'s chunks and `extra`
 * documents (retraining's question + passage pairs), register it (parent:
 * the model it would replace) and embed every chunk of the release.
 */
int embed_refit(struct store *st, const struct config *cfg, long long release, long long parent,
		const char *const *extra, size_t nextra, struct embed_outcome *out, struct strbuf *err);

#endif

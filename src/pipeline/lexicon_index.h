/*
 * The pipeline's lexicon stage: once per run, after every document is in,
 * the in-memory BM25 index's file is rebuilt when the chunks changed (see
 * retrieval/lexicon.h), registered in the model registry and the previous
 * file removed.
 */
#ifndef PIPELINE_LEXICON_INDEX_H
#define PIPELINE_LEXICON_INDEX_H

#include <stddef.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

struct lexicon_outcome {
	int built;		/* 0: the chunks had not changed */
	size_t chunks, terms;
	char version[64];	/* the lexicon in production after the stage */
	double seconds;
};

int lexicon_refresh(struct store *st, const struct config *cfg, struct lexicon_outcome *out,
		    struct strbuf *err);

#endif

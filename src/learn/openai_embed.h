/*
 * Embeddings from any OpenAI-compatible endpoint (POST <url>/v1/embeddings:
 * Ollama, llama.cpp server, text-embeddings-inference, vLLM) over libcurl:
 * batches, a timeout per request, retries with exponential backoff and
 * jitter on network errors, 429 and 5xx, and one dimension for every
 * vector.  The API key, if any, comes from the environment variable
 * named by embed.api_key_env, never from a file.
 */
#ifndef LEARN_OPENAI_EMBED_H
#define LEARN_OPENAI_EMBED_H

#include <stddef.h>

#include "core/config.h"
#include "core/strbuf.h"

/*
 * Embed n texts; *vectors receives n * *dim floats, unit length (caller
 * frees).  When *dim is non-zero on entry, another dimension is an error.
 */
int openai_embed(const struct config *cfg, const char *const *texts, size_t n, float **vectors, int *dim,
		 struct strbuf *err);

/* "openai:<model>": how the vectors' model is registered. */
char *openai_embedder_name(const struct config *cfg);

#endif

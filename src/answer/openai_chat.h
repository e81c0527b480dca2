/*
 * Grounded answers from any OpenAI-compatible chat endpoint (POST
 * <url>/v1/chat/completions: Ollama, llama.cpp server, vLLM).  The prompt
 * passes the retrieved chunks as numbered <source> blocks no document can
 * close, tells the model they are untrusted data and not instructions,
 * and asks for [n] citations; the reply's citations are checked against
 * the sources given and rewritten as [title, p. N].
 */
#ifndef ANSWER_OPENAI_CHAT_H
#define ANSWER_OPENAI_CHAT_H

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"
#include "text/stopwords.h"

enum chat_outcome { CHAT_ANSWERED, CHAT_DECLINED, CHAT_UNCITED };

/*
 * Ask the endpoint.  0 with *answer set (CHAT_ANSWERED, citations
 * rewritten), CHAT_DECLINED when the model says it does not know, or
 * CHAT_UNCITED when its reply cites no source it was given; -1 with the
 * reason when the endpoint cannot be used.
 */
int openai_chat_answer(const struct config *cfg, const char *question, enum lang lang,
		       const struct search_hit *hits, size_t n, char **answer,
		       enum chat_outcome *outcome, struct strbuf *err);

#endif

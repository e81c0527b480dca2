/*
 * Answering with a curated answer (learn/curated.h): when the release
 * holds one close enough to the question, and the documents it was judged
 * on are still in the release, the answer is the correction, said to be
 * one ("Corrected answer from feedback of 2026-12-04"), citing those
 * documents.
 */
#ifndef ANSWER_CURATED_ANSWER_H
#define ANSWER_CURATED_ANSWER_H

#include "answer/answer.h"
#include "retrieval/release.h"
#include "text/stopwords.h"

/*
 * Look for a curated answer that fits: the closest one, close enough, whose
 * documents the release still holds.  When found, out->text, sources,
 * answerer and curated_* are filled from it (hits: what retrieval found,
 * to cite pages and titles where it found the same documents).
 */
enum lookup curated_answer_try(struct store *st, const struct config *cfg,
			       const struct release_view *rel, const char *question, enum lang lang,
			       const struct search_hit *hits, size_t nhits, struct answer *out,
			       struct strbuf *err);

#endif

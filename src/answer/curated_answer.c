/*
 * Curated answers at question time; see curated_answer.h.
 */
#include "answer/curated_answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"
#include "learn/curated.h"
#include "learn/learned.h"
#include "ops/scrub.h"
#include "retrieval/vectors.h"
#include "text/tokenize.h"

/* A document a correction stands on, with the page retrieval found in it when it did. */
static void cite(struct answer_source *s, const char *doc, const struct search_hit *hits, size_t nhits)
{
	for (size_t i = 0; i < nhits; i++)
		if (hits[i].doc_path && !strcmp(hits[i].doc_path, doc)) {
			answer_source_from_hit(s, &hits[i]);
			break;
		}
	if (!s->doc)
		s->doc = xstrdup(doc);
	s->similarity = -1;
	s->evidence = 1;
}

enum lookup curated_answer_try(struct store *st, const struct config *cfg,
			       const struct release_view *rel, const char *question, enum lang lang,
			       const struct search_hit *hits, size_t nhits, struct answer *out,
			       struct strbuf *err)
{
	struct curated *c = rel->learned ? rel->learned->curated : NULL;
	if (!c || !c->n)
		return LOOKUP_MISSING;
	/* Meaning needs the release's built-in embedder; without one, shared words decide. */
	struct strbuf ignored = STRBUF_INIT;
	const struct vector_index *vi = release_vectors(rel, st, cfg, &ignored);
	strbuf_release(&ignored);
	const struct embedder *e = vi && vi != (const struct vector_index *)-1 ? vi->e : NULL;
	struct tokenizer *tok = tokenizer_new();
	double similarity;
	long best = curated_best(c, e, tok, question, &similarity);
	tokenizer_free(tok);
	if (best < 0 || similarity < c->threshold)
		return LOOKUP_MISSING;
	const struct curated_answer *a = &c->items[best];
	/* A correction stands on its documents: gone from the release, it is not given. */
	for (size_t i = 0; i < a->nsources; i++) {
		enum lookup in = store_release_has_document(st, rel->id, a->sources[i], err);
		if (in != LOOKUP_FOUND)
			return in;
	}
	char day[16] = "?";
	time_t t = (time_t)(a->created_at / 1000);
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	/* A user's correction, shown to others: their e-mail or phone number stays theirs. */
	char *answer = scrub_text(a->answer, NULL);
	out->text = xasprintf(lang == LANG_EN ? "Corrected answer from feedback of %s: %s"
					      : "Réponse corrigée d'après un retour du %s : %s",
			      day, answer);
	free(answer);
	out->answerer = "curated";
	out->curated_feedback = a->feedback_id;
	out->curated_similarity = similarity;
	out->abstained = 0;
	out->sources = xcalloc(a->nsources + 1, sizeof(*out->sources));
	for (size_t i = 0; i < a->nsources; i++)
		cite(&out->sources[out->nsources++], a->sources[i], hits, nhits);
	return LOOKUP_FOUND;
}

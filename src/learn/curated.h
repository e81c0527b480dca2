/*
 * Curated answers: a corrected answer from feedback, given again -- shown
 * as such, with the sources it was judged on -- to a question close
 * enough to the one corrected.  Closeness mixes the questions' shared
 * words (stems, Dice) and their meaning (cosine under the release's
 * embedder); the threshold is calibrated on held-out questions so that a
 * different question is never answered with a correction.
 */
#ifndef LEARN_CURATED_H
#define LEARN_CURATED_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "core/strbuf.h"

struct embedder;
struct tokenizer;

struct curated_answer {
	char *question, *answer;
	char **sources; /* document paths, as ask cites them */
	size_t nsources;
	long long created_at; /* of the feedback, epoch ms */
	long long feedback_id;
};

struct question_sig;

struct curated {
	struct curated_answer *items;
	size_t n, alloc;
	double threshold;
	/* Signatures of the questions, made at the first match under the embedder it is given. */
	pthread_mutex_t lock;
	const struct embedder *signed_with;
	struct question_sig **sigs;
};

struct curated *curated_new(double threshold);
void curated_free(struct curated *c);
/* Copies everything it is given. */
void curated_add(struct curated *c, const char *question, const char *answer, char *const *sources,
		 size_t nsources, long long created_at, long long feedback_id);

/* Closeness of two questions, 0-1 (e NULL: shared words alone). */
double question_similarity(const struct embedder *e, struct tokenizer *tok, const char *a,
			   const char *b);
/* The same with each question read once: its signature, compared many times. */
struct question_sig *question_sign(const struct embedder *e, struct tokenizer *tok, const char *q);
double question_closeness(const struct question_sig *a, const struct question_sig *b);
void question_sig_free(struct question_sig *s);
/* The curated answer closest to `question`: its index, or -1; *similarity the closeness. */
long curated_best(struct curated *c, const struct embedder *e, struct tokenizer *tok,
		  const char *question, double *similarity);

json_t *curated_to_json(const struct curated *c);
struct curated *curated_from_json(json_t *j, struct strbuf *err);

#endif

/*
 * A release as searches see it: its lexicon mapped, its vectors loaded,
 * keyed by the release id (never reused, and a release never changes), so
 * what a process holds is right or absent, never stale.  Every question is
 * answered from one release from start to end.
 *
 * A process keeps the production release loaded and shares it between its
 * threads.  When production moves, the first thread to notice loads the
 * new one while the others go on answering from the old one (single
 * flight); the old one is freed by the last search holding it.  A release
 * asked for by id (the gate's candidate, --release) is kept in a slot of
 * its own, so measuring it never unloads the one that answers.
 */
#ifndef RETRIEVAL_RELEASE_H
#define RETRIEVAL_RELEASE_H

#include <pthread.h>

#include "core/config.h"
#include "core/result.h"
#include "core/strbuf.h"
#include "store/store.h"

struct lexicon;
struct vector_index;
struct learned;

struct release_view {
	long long id;
	long long chunks;
	struct release_record record;
	struct lexicon *lx;        /* NULL: missing or damaged, FTS5 answers instead */
	char embedder[64];         /* its version, "" without */
	char lexicon_problem[160]; /* why lx is NULL */
	/* The vectors, loaded at the first question by meaning: see release_vectors. */
	pthread_mutex_t vectors_lock;
	int vectors_tried;
	struct vector_index *vi;
	char vectors_problem[160]; /* why there are none although the release has an embedder */
	struct learned *learned;   /* what it learned from feedback, NULL when nothing */
};

struct release_hold;

/*
 * The release `id` (0: the one in production), held until release_put
 * when found; LOOKUP_MISSING when there is none (no production yet, or no
 * such id).
 */
enum lookup release_get(struct store *st, const struct config *cfg, long long id,
			const struct release_view **out, struct release_hold **hold, struct strbuf *err);
void release_put(struct release_hold *hold);

/*
 * Drop release `id` from the slot of releases asked for by id, once no
 * search holds it: for a candidate retraining is still giving models to
 * (the one time a release changes after it is first loaded).
 */
void release_forget(long long id);

/*
 * The release's vectors, loaded at the first call (a BM25 search never
 * pays for them): NULL when it has none or its model cannot be used (see
 * vectors_problem), (const struct vector_index *)-1 when the store failed.
 */
const struct vector_index *release_vectors(const struct release_view *v, struct store *st,
					   const struct config *cfg, struct strbuf *err);
/* Why it has none (vectors_problem), copied under the lock the loader writes it with; "" if nothing. */
void release_vectors_problem(const struct release_view *v, char *out, size_t len);

#endif

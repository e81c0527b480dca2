/*
 * What a release learned from feedback, loaded with it: the ranker, the
 * vocabulary, the curated answers and the abstention thresholds, each a
 * small JSON model file under <data>/models/ registered as a model of its
 * kind and attached to the release (store_release_models).  A release
 * without them answers as configured.
 */
#ifndef LEARN_LEARNED_H
#define LEARN_LEARNED_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

struct ranker;
struct vocabulary;
struct curated;

struct learned {
	struct ranker *ranker;
	struct vocabulary *vocab;
	struct curated *curated;
	int has_thresholds;
	double min_evidence, min_similarity;
	char versions[4][64]; /* of each kind it holds, "" when none: see learned_kinds */
};

/* The kinds, in the order of versions[]. */
extern const char *const learned_kinds[4];

/*
 * The models release `id` holds into *out (NULL when it holds none): 0, or
 * -1 when the store failed or a model's file cannot be read (a release
 * must answer with all it was validated with, or not at all).
 */
int learned_load(struct store *st, const struct config *cfg, long long id, struct learned **out,
		 struct strbuf *err);
void learned_free(struct learned *l);

/*
 * Write `body` as the model file of `kind` (<data>/models/<kind>-<hash>.json,
 * named by its content) and register it as a candidate; *model_id and
 * version are set.
 */
int learned_save(struct store *st, const struct config *cfg, const char *kind, json_t *body,
		 long long parent_id, const char *data_hash, json_t *metrics, long long *model_id,
		 char version[64], struct strbuf *err);

#endif

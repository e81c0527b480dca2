/*
 * Releases and models as people and programs see them (`ragops releases`,
 * `ragops models`, the API), and the two actions on production: promote
 * a release through the gate, roll back to the one before.
 */
#ifndef OPS_RELEASES_H
#define OPS_RELEASES_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

/* A release as JSON; with_detail adds changes, checks, settings and its history. */
json_t *release_to_json(struct store *st, const struct release_record *r, int with_detail);
/* `limit` newest releases (0: all) as a JSON array. */
int releases_json(struct store *st, unsigned limit, json_t **out, struct strbuf *err);
/* One release with its detail. */
enum lookup release_detail_json(struct store *st, long long id, json_t **out, struct strbuf *err);
/* Every model and index artefact as a JSON array, with the releases that hold each. */
int models_json(struct store *st, json_t **out, struct strbuf *err);

/* What a promotion did (see core/result.h); err says why it was not made. */
enum promote_result {
	PROMOTE_DONE = 0,
	PROMOTE_NO_SUCH = 1,
	PROMOTE_ALREADY = 2,
	PROMOTE_REFUSED = 3, /* a check failed: production unchanged */
	PROMOTE_MOVED = 4,   /* production moved while the gate checked: unchanged, try again */
	PROMOTE_FAILED = -1,
};

/*
 * Put release `id` in production after the gate's checks against the
 * current production (force: the structural ones only).  `message` says
 * what was checked and what happened.
 */
enum promote_result release_promote(struct store *st, const struct config *cfg, long long id,
				    const struct release_action *a, struct strbuf *message,
				    struct strbuf *err);

/* The Unix user running this process, for the audit trail. */
const char *release_actor_user(void);

#endif

/*
 * prepare_retraining_data in one place; see retrain_dataset.h.
 */
#include "ops/retrain_dataset.h"

#include "ops/retrain_data.h"
#include "ops/retrain_policy.h"
#include "ops/retrain_prepare.h"
#include "retrieval/release.h"

enum dataset_result retrain_dataset_prepare(struct store *st, const struct config *cfg, const char *dir,
					    json_t **manifest, struct strbuf *err)
{
	struct retrain_policy p;
	struct retrain_data d;
	struct release_record prod;
	const struct release_view *v = NULL;
	struct release_hold *hold = NULL;
	enum dataset_result ret = DATASET_FAILED;
	*manifest = NULL;
	switch (store_release_get(st, 0, &prod, err)) {
	case LOOKUP_FOUND:
		break;
	case LOOKUP_MISSING:
		strbuf_addstr(err, "no release in production: run 'ragops run --inbox DIR' first");
		return DATASET_NO_PRODUCTION;
	case LOOKUP_FAILED:
		return DATASET_FAILED;
	}
	long long release = prod.id;
	release_record_release(&prod);
	if (retrain_should(st, cfg, &p, err) || retrain_data_load(st, cfg, release, 0, 0, &d, err))
		return DATASET_FAILED;
	/*
	 * A process that keeps a release loaded (serve, a program on the C
	 * API) goes on answering from it while a newer production loads in
	 * the background: the examples are of `release`, so retrieve from it.
	 */
	enum lookup got = release_get(st, cfg, 0, &v, &hold, err);
	if (got == LOOKUP_FOUND && v->id != release) {
		release_put(hold);
		got = release_get(st, cfg, release, &v, &hold, err);
	}
	if (got != LOOKUP_FOUND || retrain_data_retrieve(st, cfg, v, &d, err))
		goto cleanup;
	json_t *policy = retrain_policy_json(&p);
	ret = retrain_prepare(&d, release, policy, dir, manifest, err) ? DATASET_FAILED
								       : DATASET_WRITTEN;
	json_decref(policy);
cleanup:
	release_put(hold);
	retrain_data_release(&d);
	return ret;
}

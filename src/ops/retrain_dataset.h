/*
 * prepare_retraining_data as one job, the same for every front end
 * (`ragops retrain prepare`, the C API's retraining_prepare_data): the
 * policy's verdict, the feedback turned into examples against the release
 * in production, what that release retrieves for each, and the datasets
 * and manifest written under a folder (see retrain_prepare.h).
 */
#ifndef OPS_RETRAIN_DATASET_H
#define OPS_RETRAIN_DATASET_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

enum dataset_result {
	DATASET_WRITTEN = 0,       /* *manifest is set (the caller's reference) */
	DATASET_NO_PRODUCTION = 1, /* no release in production yet: err says so */
	DATASET_FAILED = -1,
};
/* Write the datasets of the feedback so far under `dir`. */
enum dataset_result retrain_dataset_prepare(struct store *st, const struct config *cfg, const char *dir,
					    json_t **manifest, struct strbuf *err);

#endif

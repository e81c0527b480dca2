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

/*
 * Write the datasets of the feedback so far under `dir`: 0 written and
 * *manifest set (the caller's reference), 1 no release in production yet,
 * -1 failed; err says why in both cases.
 */
int retrain_dataset_prepare(struct store *st, const struct config *cfg, const char *dir,
			    json_t **manifest, struct strbuf *err);

#endif

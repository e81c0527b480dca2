/*
 * prepare_retraining_data: the examples as standard JSONL datasets, in
 * <dir>/train/ and <dir>/validation/ (split by question group), scrubbed
 * of personal data and secrets:
 *   eval.jsonl   questions with the document judged right, in the golden
 *                set format `ragops eval` and validate.golden read;
 *   pairs.jsonl  {"anchor", "positive", "negative"} triplets as
 *                sentence-transformers reads them, the negatives what
 *                ragops ranked above the right passage;
 *   sft.jsonl    {"messages": [system, user with the retrieved context,
 *                assistant = the corrected answer]}, OpenAI's fine-tuning
 *                format;
 * and <dir>/manifest.json: counts, the hash of every file and of the
 * feedback rows used, the policy's figures, the ragops version.  Each
 * file is written whole or not at all.
 */
#ifndef OPS_RETRAIN_PREPARE_H
#define OPS_RETRAIN_PREPARE_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "ops/retrain_data.h"

/* Write the datasets of `d` (loaded and retrieved) under `dir`; *manifest gets the manifest. */
int retrain_prepare(const struct retrain_data *d, long long release, json_t *policy, const char *dir,
		    json_t **manifest, struct strbuf *err);

#endif

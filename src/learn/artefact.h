/*
 * Model files (lexicons, embedders, learned models) shared through the
 * store: on PostgreSQL, where machines share a store but not a data
 * folder, a file written by one is kept in the store when its model is
 * registered, and copied into another's data folder, checked by SHA-256,
 * the first time that one needs it.  On SQLite the data folder is the
 * only copy and both calls reduce to the local path.
 */
#ifndef LEARN_ARTEFACT_H
#define LEARN_ARTEFACT_H

#include "core/config.h"
#include "core/strbuf.h"

struct store;
struct model_record;

/* store_model_register, then the model's file (models/...) kept in the store when it keeps files. */
int artefact_register(struct store *st, const struct config *cfg, struct model_record *m,
		      struct strbuf *err);
/* Keep every registered model's file found under data_dir in the store (store migrate). */
int artefact_keep_all(struct store *st, const char *data_dir, size_t *kept, struct strbuf *err);
/*
 * The local path of the file `relpath` names (relative to the data
 * folder), fetched from the store first when it is missing here and the
 * store keeps it; caller frees.  NULL when it had to be fetched and could
 * not be (err says why).
 */
char *artefact_local(struct store *st, const struct config *cfg, const char *relpath,
		     struct strbuf *err);
/*
 * The local copy of `relpath` found unreadable (damaged on this machine's
 * disk): fetched again from the store, checked by hash, when the store
 * keeps it; its path (caller frees), or NULL (err says why when it tried).
 */
char *artefact_fetch_again(struct store *st, const struct config *cfg, const char *relpath,
			   struct strbuf *err);

#endif

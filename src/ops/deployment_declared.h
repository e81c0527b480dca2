/*
 * Deployments declared in ragops.yaml (the analogue of prefect.yaml):
 *
 *   deployments:
 *     - name: nightly
 *       cron: "0 2 * * *"
 *       timezone: Europe/Paris
 *       missed: once          # skip (default) | once
 *       overlap: skip         # skip (default) | queue
 *       params:
 *         inbox: [/srv/photo-docs, /srv/manuals]
 *         chunk.target_chars: 800
 *
 * are reconciled into the store when `ragops serve` or a `ragops
 * deployment` command starts: a new one is created, a changed one updated
 * (its paused state and schedule progress kept), and one declared before
 * but no longer is reported, never deleted (`ragops deployment delete`
 * does that).  Without a `deployments` key the store is left as it is.
 */
#ifndef OPS_DEPLOYMENT_DECLARED_H
#define OPS_DEPLOYMENT_DECLARED_H

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

/*
 * Reconcile; one line per change in `report` ("created nightly", ...).
 * -1 with the reason (naming file, line and column) when a declaration is
 * wrong or the store fails: then nothing was changed.
 */
int deployments_reconcile(struct store *st, const struct config *cfg, struct strbuf *report,
			  struct strbuf *err);

/* Whether cfg's file declares a deployment of that name (then it is changed there, not by hand). */
int deployment_is_declared(const struct config *cfg, const char *name);

#endif

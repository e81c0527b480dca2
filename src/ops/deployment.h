/*
 * Deployments: a named flow (a pipeline run) with parameters, on a cron
 * schedule in a time zone, as Prefect's deployments are.  This checks and
 * builds them from what a user typed, applies their parameters to a run,
 * and describes them (next run times, last run) for `ragops deployment`
 * and the API.
 */
#ifndef OPS_DEPLOYMENT_H
#define OPS_DEPLOYMENT_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

/* What a user gives to create one; NULL fields take the defaults. */
struct deployment_spec {
	const char *name, *cron, *timezone, *missed, *overlap;
	char *const *params; /* "inbox=DIR" (repeatable) and "key=value" settings */
	size_t nparams;
};

/* Check `spec` and fill `d` (owned strings); -1 with what is wrong. */
int deployment_build(const struct deployment_spec *spec, struct deployment *d, struct strbuf *err);

/*
 * The run's settings and inbox from d's parameters, then `overrides`
 * ("key=value" or "inbox=DIR", as --param takes them; folders given there
 * replace the deployment's): settings go into cfg, folders into a fresh
 * *inbox (free with deployment_inbox_free).  -1 with the reason.
 */
int deployment_apply(const struct deployment *d, char *const *overrides, size_t noverrides,
		     struct config *cfg, char ***inbox, size_t *ninbox, struct strbuf *err);
void deployment_inbox_free(char **inbox, size_t n);

/* Up to n scheduled times after `after_ms`, in ms; how many, or -1 with the reason. */
int deployment_next_runs(const struct deployment *d, long long after_ms, long long *out, int n,
			 struct strbuf *err);

/* "2026-12-07T02:00:00+01:00": `ms` in the deployment's zone. */
void deployment_local_time(const struct deployment *d, long long ms, char *out, size_t len);

/* The JSON of `ragops deployment ls --json` and GET /api/deployments; last may be NULL. */
json_t *deployment_to_json(const struct deployment *d, const struct run_record *last, long long now_ms);

#endif

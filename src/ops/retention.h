/*
 * Retention of the history: run records and their task rows, the query
 * log, and the per-run metrics files, by the windows of the retention.*
 * settings; then the store gives the space back to the file system.  It
 * runs at the end of every run, once a day in `ragops serve`, and by hand
 * (`ragops gc`).  Documents, releases, models and feedback are not
 * history: releases.keep governs the first three, and feedback is the
 * users' own data, kept.
 */
#ifndef OPS_RETENTION_H
#define OPS_RETENTION_H

#include <jansson.h>

#include "core/config.h"
#include "store/store.h"

struct retention_report {
	int dry_run;
	struct history_pruned pruned;
	long long metrics_files;             /* metrics/run-N.json of runs no longer recorded */
	long long bytes_before, bytes_after; /* the store's files on disk */
	long long free_after;                /* free pages left inside them */
	int rewritten;                       /* converted by one VACUUM to shrink itself */
	char rewrite_error[256];             /* why a rewrite asked for failed ("" when none) */
};

/*
 * Apply (or, dry_run, count) the policy.  With `rewrite`, a store made
 * before it could shrink itself is rewritten once (see store_compact).
 */
int retention_apply(struct store *st, const struct config *cfg, int dry_run, int rewrite,
		    struct retention_report *out, struct strbuf *err);
/* The automatic pass (end of a run, serve daily): apply, log what went or why not. */
int retention_housekeeping(struct store *st, const struct config *cfg, long long run_id,
			   struct strbuf *err);
json_t *retention_report_json(const struct retention_report *r);
/* "removed 3 runs, 5012 task rows, 40 questions' text and 3 metrics files" (or "nothing to remove"). */
void retention_describe(const struct retention_report *r, char *out, size_t len);

#endif

/*
 * Retention of the history; see retention.h.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "core/strutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "ops/retention.h"

/* The policy of cfg's retention.* settings as of now_ms; -1 on a bad setting. */
static int retention_policy(const struct config *cfg, long long now_ms, struct history_policy *out,
			    struct strbuf *err)
{
	long long runs = parse_window_ms(cfg->retention.runs);
	long long queries = parse_window_ms(cfg->retention.queries);
	if (runs < 0 || queries < 0) {
		strbuf_addf(err, "retention.runs '%s' or retention.queries '%s' is not a duration",
			    cfg->retention.runs, cfg->retention.queries);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	/* A window of 0 is "off": no cut-off at all, not "everything before now". */
	out->runs_before = runs ? now_ms - runs : 0;
	out->queries_before = queries ? now_ms - queries : 0;
	out->cached_task_runs = cfg->retention.cached_tasks;
	return 0;
}

/* "run-12.json" -> 12; 0 for any other name (a temporary file, say). */
static long long metrics_file_run(const char *name)
{
	long long id = 0;
	int end = 0;
	if (sscanf(name, "run-%lld.json%n", &id, &end) != 1 || name[end] || id <= 0)
		return 0;
	return id;
}

static int cmp_id(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/*
 * metrics/run-N.json files older than the runs' window whose run the
 * store no longer records (or, in a dry run, would not); -1 when the
 * store fails.  A newer file is kept though its run is unknown: the store
 * may have been restored from an older backup.
 */
static long long sweep_metrics_files(struct store *st, const struct config *cfg,
				     const struct history_policy *policy,
				     const struct history_pruned *pruned, int dry_run,
				     struct strbuf *err)
{
	if (!policy->runs_before)
		return 0;
	char *dir = xasprintf("%s/metrics", cfg->data_dir);
	DIR *d = opendir(dir);
	long long removed = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		long long id = metrics_file_run(e->d_name);
		if (!id)
			continue;
		struct run_record run;
		enum lookup found = store_run_get(st, id, &run, err);
		if (found == LOOKUP_FAILED) {
			removed = -1;
			break;
		}
		if (found == LOOKUP_FOUND) {
			run_record_release(&run);
			if (!pruned->dry_run_ids ||
			    !bsearch(&id, pruned->dry_run_ids, pruned->runs, sizeof(id), cmp_id))
				continue;
		}
		char *path = xasprintf("%s/%s", dir, e->d_name);
		struct stat sb;
		int old = !stat(path, &sb) && (long long)sb.st_mtime * 1000 < policy->runs_before;
		if (old && (dry_run || unlink(path) == 0))
			removed++;
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return removed;
}

/*
 * Whether the automatic pass hands the space it freed back to the file
 * system.  Not for a few pages: rows a re-run found unchanged are added
 * and swept each run, and the next run's rows reuse their pages, where a
 * checkpoint to give them back (and a sync) would cost more than the run.
 * When runs went, or a quarter of the store is free, it does.
 */
static int worth_giving_back(struct store *st, const struct history_pruned *p)
{
	if (p->runs)
		return 1;
	long long disk = store_disk_bytes(st);
	return disk > 0 && store_free_bytes(st) * 4 >= disk;
}

static int apply(struct store *st, const struct config *cfg, int dry_run, int rewrite,
		 int always_give_back, struct retention_report *out, struct strbuf *err)
{
	struct history_policy policy;
	memset(out, 0, sizeof(*out));
	out->dry_run = dry_run;
	if (retention_policy(cfg, time_now_ms(), &policy, err))
		return -1;
	policy.dry_run = dry_run;
	out->bytes_before = store_disk_bytes(st);
	if (store_history_prune(st, &policy, &out->pruned, err))
		return -1;
	/*
	 * Only when runs went: looking each file's run up at the end of every
	 * run would grow with the history.  One left by a sweep cut short
	 * goes with the next.
	 */
	if (out->pruned.runs)
		out->metrics_files = sweep_metrics_files(st, cfg, &policy, &out->pruned, dry_run, err);
	free(out->pruned.dry_run_ids); /* the counts stay */
	out->pruned.dry_run_ids = NULL;
	if (out->metrics_files < 0)
		return -1;
	if (!dry_run) {
		int convert = rewrite && !store_shrinks_itself(st);
		struct strbuf why = STRBUF_INIT;
		/* A rewrite that fails (its temporary copy found no room) leaves the store as it was. */
		if (convert && store_compact(st, 1, &why)) {
			snprintf(out->rewrite_error, sizeof(out->rewrite_error), "%s", why.buf);
			convert = 0;
		}
		strbuf_release(&why);
		out->rewritten = convert;
		/* Nothing removed, nothing to give back: no checkpoint for nothing (a server's pass). */
		const struct history_pruned *p = &out->pruned;
		int removed = p->runs || p->tasks || p->queries;
		int give_back = removed && (always_give_back || worth_giving_back(st, p));
		if (!convert && (give_back || rewrite) && store_compact(st, 0, err))
			return -1;
	}
	out->bytes_after = store_disk_bytes(st);
	out->free_after = store_free_bytes(st);
	return 0;
}

int retention_apply(struct store *st, const struct config *cfg, int dry_run, int rewrite,
		    struct retention_report *out, struct strbuf *err)
{
	return apply(st, cfg, dry_run, rewrite, 1, out, err);
}

json_t *retention_report_json(const struct retention_report *r)
{
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "dry_run", r->dry_run, "runs",
			 (json_int_t)r->pruned.runs, "tasks", (json_int_t)r->pruned.tasks, "queries",
			 (json_int_t)r->pruned.queries, "metrics_files", (json_int_t)r->metrics_files,
			 "bytes_before", (json_int_t)r->bytes_before, "bytes_after",
			 (json_int_t)r->bytes_after, "free_bytes", (json_int_t)r->free_after,
			 "rewritten", r->rewritten);
}

void retention_describe(const struct retention_report *r, char *out, size_t len)
{
	const struct history_pruned *p = &r->pruned;
	if (!p->runs && !p->tasks && !p->queries && !r->metrics_files) {
		snprintf(out, len, "nothing to remove");
		return;
	}
	snprintf(out, len, "%s %lld runs, %lld task rows, %lld questions' text and %lld metrics files",
		 r->dry_run ? "would remove" : "removed", p->runs, p->tasks, p->queries,
		 r->metrics_files);
}

int retention_housekeeping(struct store *st, const struct config *cfg, long long run_id,
			   struct strbuf *err)
{
	struct retention_report r;
	if (apply(st, cfg, 0, 0, 0, &r, err)) {
		log_event(LOG_WARNING, run_id, NULL, "history", "%s", err->buf);
		return -1;
	}
	if (r.pruned.runs || r.pruned.tasks || r.pruned.queries || r.metrics_files) {
		char what[256];
		retention_describe(&r, what, sizeof(what));
		log_event(LOG_INFO, run_id, NULL, "history", "%s (retention.*)", what);
	}
	return 0;
}

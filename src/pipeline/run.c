/*
 * The pipeline flow; see run.h.  Each document is processed in memory and
 * saved in one transaction with its task records, so a run killed at any
 * point leaves every document either as it was or fully updated; the next
 * run finds the rest by hash and finishes the job.
 */
#define _GNU_SOURCE /* qsort_r */
#include "pipeline/run.h"
#include "pipeline/flow.h"
#include "pipeline/publish.h"

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/json.h"
#include "core/log.h"
#include "core/parallel.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "pipeline/collect.h"
#include "pipeline/extract.h"
#include "pipeline/heartbeat.h"
#include "pipeline/prepare_ahead.h"
#include "pipeline/queue.h"
#include "pipeline/retry.h"
#include "store/work_queue.h"
#include "ops/retention.h"


/* --- matching what is on disk with what the store knows ------------------ */

struct known {
	struct doc_record *docs;
	size_t n;
	unsigned char *seen;
	size_t *by_path; /* indexes sorted by root, relpath */
};

static int cmp_path(const void *a, const void *b, void *ctx)
{
	const struct known *k = ctx;
	const struct doc_record *x = &k->docs[*(const size_t *)a];
	const struct doc_record *y = &k->docs[*(const size_t *)b];
	int c = strcmp(x->root, y->root);
	return c ? c : strcmp(x->relpath, y->relpath);
}

static void known_index(struct known *k)
{
	k->by_path = xmalloc((k->n + 1) * sizeof(size_t));
	for (size_t i = 0; i < k->n; i++)
		k->by_path[i] = i;
	qsort_r(k->by_path, k->n, sizeof(size_t), cmp_path, k);
	k->seen = xcalloc(k->n + 1, 1);
}

static struct doc_record *known_find(struct known *k, const char *root, const char *relpath)
{
	size_t lo = 0, hi = k->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct doc_record *d = &k->docs[k->by_path[mid]];
		int c = strcmp(d->root, root);
		if (!c)
			c = strcmp(d->relpath, relpath);
		if (!c)
			return d;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int name_is_utf8(const char *name)
{
	size_t len = strlen(name), n;
	for (size_t i = 0; i < len; i += n)
		if (!(n = utf8_sequence(name + i, len - i)))
			return 0;
	return 1;
}

/* Same content, same settings, indexed: nothing to do. */
static int is_current(const struct doc_record *d, stage_keys keys, const char *sha)
{
	return d->seen_sha256 && !strcmp(d->seen_sha256, sha) && d->cache_key &&
	       !strcmp(d->cache_key, keys[STAGE_INDEX]) &&
	       (d->status == DOC_INDEXED || d->status == DOC_NEEDS_OCR);
}

/*
 * A new path whose content the store holds under a path that is gone: a
 * rename or a move.  Found among documents not seen this run.
 */
static struct doc_record *find_moved(struct known *k, const struct scan *scan, stage_keys keys,
				     const char *sha)
{
	for (size_t i = 0; i < k->n; i++) {
		struct doc_record *d = &k->docs[i];
		if (k->seen[i] || !is_current(d, keys, sha))
			continue;
		/* Still on disk at its old path?  Then this is a copy, not a move. */
		int present = 0;
		for (size_t j = 0; j < scan->n && !present; j++)
			present = !strcmp(scan->files[j].root, d->root) &&
				  !strcmp(scan->files[j].relpath, d->relpath);
		if (!present)
			return d;
	}
	return NULL;
}

/*
 * Documents waiting for OCR together: enough pages to keep every worker
 * busy between the batch's start and end (each end idles a worker for up
 * to a page: 16 pages per worker measured 0.565 of the one-thread time on
 * 22 sample pages, 4 pages 0.589), few enough documents to bound memory.
 * OCR results are cached as they come, so a crash loses no OCR either way.
 */
struct batch {
	struct doc_job **jobs;
	size_t n, alloc;
	int pages;
	struct prepare_ahead *preparing; /* paused while OCR forks its workers */
};

/*
 * Fault injection for the crash tests: RAGOPS_CRASH_AFTER_DOCUMENTS=N kills
 * the process (SIGKILL, like kill -9) right after the N-th saved document,
 * so that a test can stop a run at an exact point.
 */
static void crash_point(void)
{
	static long left = -2;
	if (left == -2) {
		const char *v = getenv("RAGOPS_CRASH_AFTER_DOCUMENTS");
		left = v ? strtol(v, NULL, 10) : -1;
	}
	if (left > 0 && --left == 0)
		raise(SIGKILL);
}

int pipeline_is_stage(const char *name)
{
	for (int i = 0; i < NSTAGES; i++)
		if (!strcmp(name, stage_names[i]))
			return 1;
	return 0;
}

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t past_documents; /* building the release: too late to cancel */

void pipeline_request_stop(void)
{
	stop_requested = 1;
}

int pipeline_stop_too_late(void)
{
	return past_documents != 0;
}

int pipeline_stop_requested(void)
{
	return stop_requested != 0;
}

static void batch_flush(struct flow *fl, struct batch *b)
{
	if (b->pages) {
		/* Reading pages takes long: the saves waiting in a group are written first. */
		flow_save_group_commit(fl);
		/*
		 * OCR may start workers; linked into another program (libragops)
		 * they are forks, and no thread may then be inside a library (an
		 * allocator's lock).  The ragops binary starts them as new processes.
		 */
		prepare_ahead_pause(b->preparing);
		process_ocr(fl, b->jobs, b->n);
		prepare_ahead_resume(b->preparing);
	}
	for (size_t i = 0; i < b->n; i++) {
		size_t pages = process_pages(b->jobs[i]);
		process_finish(fl, b->jobs[i]);
		progress_document_done(fl->progress, pages);
		crash_point();
	}
	b->n = 0;
	b->pages = 0;
}

/*
 * Documents that want OCR wait in a batch, so that the pages of several
 * share the OCR workers; the others behind them wait too (documents are
 * saved in the order they were found).  A document with nothing to wait
 * for is finished at once: holding it back would leave the preparing
 * threads idle while the batch is written.
 */
static void batch_add(struct flow *fl, struct batch *b, struct doc_job *job)
{
	ALLOC_GROW(b->jobs, b->n + 1, b->alloc);
	b->jobs[b->n++] = job;
	b->pages += process_ocr_pages(fl, job);
	if (!b->pages || b->pages >= 16 * ocr_thread_count(fl->cfg) || b->n >= 32)
		batch_flush(fl, b);
}

/* The new and changed files, with their records (NULL: not in the store yet). */
struct todo {
	struct doc_record **records;
	struct prepared *files;
	size_t n, alloc_records, alloc_files;
};

static void todo_add(struct todo *t, struct doc_record *d, const struct found_file *f)
{
	ALLOC_GROW(t->records, t->n + 1, t->alloc_records);
	ALLOC_GROW(t->files, t->n + 1, t->alloc_files);
	t->records[t->n] = d;
	t->files[t->n] = (struct prepared){ .f = f };
	t->n++;
}

void flow_process_files(struct flow *fl, struct doc_record **records, struct prepared *files, size_t n,
			int nthreads)
{
	struct prepare_ahead *pa = NULL;
	if (n) {
		if (fl->parsers)
			parser_pool_start(fl->parsers);
		pa = prepare_ahead_start(fl->cfg, fl->parsers, nthreads, files, n);
	}
	struct batch batch = { .preparing = pa };
	for (size_t i = 0; i < n; i++) {
		if (stop_requested) {
			/* The rest is the next run's: not counted as this one's new or changed. */
			fl->not_done = n - i;
			for (size_t j = i; j < n; j++) {
				if (!records[j] || records[j]->status == DOC_DELETED)
					fl->stats.docs_new--;
				else
					fl->stats.docs_changed--;
			}
			break; /* the files prepared ahead are let go */
		}
		/* The writer would wait: what it saved meanwhile is committed first (save.c). */
		if (!prepare_ahead_ready(pa, i))
			flow_save_group_commit(fl);
		struct doc_job *job = process_begin(fl, records[i], prepare_ahead_take(pa, i));
		if (job && fl->ocr_elsewhere && process_ocr_pages(fl, job))
			process_hand_over(fl, job);
		else if (job)
			batch_add(fl, &batch, job);
		else
			progress_document_done(fl->progress, 0);
	}
	batch_flush(fl, &batch);
	flow_save_group_commit(fl);
	free(batch.jobs);
	prepare_ahead_finish(pa);
}

static int root_scanned(const struct scan *scan, const char *root)
{
	for (size_t i = 0; i < scan->nroots; i++)
		if (!strcmp(scan->roots[i], root))
			return scan->root_complete[i];
	return 0;
}

int data_folder_lock(const struct config *cfg, struct strbuf *err)
{
	char *path = xasprintf("%s/run.lock", cfg->data_dir);
	int fd = lock_file(path, err);
	free(path);
	return fd;
}

/* Record the run failed with the reason in err; a failure to record it is added after a "; ". */
static void fail_run(struct store *st, long long run_id, const struct run_stats *stats,
		     struct strbuf *err)
{
	char *why = xstrdup(err->buf);
	struct strbuf more = STRBUF_INIT;
	if (store_run_finish(st, run_id, "failed", stats, why, &more))
		strbuf_addf(err, "; %s", more.buf);
	strbuf_release(&more);
	free(why);
}

/*
 * A stop was asked for: the documents done are saved, the rest (and files
 * gone from the inbox, and the release) wait for the next run.
 */
static int cancel_run(struct flow *fl, struct run_outcome *out, double t_start, struct strbuf *err)
{
	char why[256];
	snprintf(why, sizeof(why),
		 "stopped by a signal: %zu new or changed documents left, and nothing published; "
		 "the next run does the rest",
		 fl->not_done);
	out->state = "cancelled";
	out->release_verdict = "unchanged";
	snprintf(out->release_message, sizeof(out->release_message),
		 "nothing published (the run was stopped)");
	out->stats = fl->stats;
	out->seconds = time_mono() - t_start;
	log_event(LOG_WARNING, fl->run_id, NULL, NULL, "run cancelled: %s", why);
	return store_run_finish(fl->st, fl->run_id, "cancelled", &fl->stats, why, err);
}

/*
 * The release stage, tried again while its failure may pass (retry.h), as
 * the next run would do it: a candidate the attempt left whole is
 * validated again, one it left half-built is set aside for a new one.
 */
static int publish_with_retries(struct flow *fl, struct publish_outcome *pub, struct strbuf *err)
{
	struct retry_policy policy;
	retry_policy_from_config(fl->cfg, RETRY_RELEASE, &policy);
	for (unsigned attempt = 1;; attempt++) {
		long long started = time_now_ms();
		double t0 = time_mono();
		write_failure_clear();
		store_error_clear(fl->st);
		int rc = publish_release(fl, pub, err);
		/* The store busy or full, or a model or lexicon file that found the disk full. */
		int transient = store_error_is_transient(fl->st) || write_failure_is_transient();
		if (!rc || attempt >= policy.attempts || !transient)
			return rc;
		long long wait = retry_delay_ms(&policy, attempt + 1, (double)rand() / RAND_MAX);
		double took = time_mono() - t0;
		log_event(LOG_WARNING, fl->run_id, NULL, "publish",
			  "attempt %u failed (%s): trying again in %.1f s", attempt, err->buf,
			  wait / 1000.0);
		int stopped = retry_wait(wait);
		/* Recorded after the wait: a full disk would have refused the row too. */
		flow_corpus_task(fl, "publish", TASK_RETRYING, started, took, err->buf);
		if (stopped)
			return rc;
		strbuf_reset(err);
	}
}

/* The history the retention settings let go (ops/retention.h): a failure is only a warning. */
static void prune_history(struct flow *fl)
{
	struct strbuf err = STRBUF_INIT;
	long long started = time_now_ms();
	double t0 = time_mono();
	int rc = retention_housekeeping(fl->st, fl->cfg, fl->run_id, &err);
	flow_corpus_task(fl, "history", rc ? TASK_FAILED : TASK_COMPLETED, started, time_mono() - t0,
			 rc ? err.buf : NULL);
	strbuf_release(&err);
}

int pipeline_run(struct store *st, const struct config *cfg, const struct run_options *opts,
		 struct run_outcome *out, struct strbuf *err)
{
	struct flow fl = { .st = st, .cfg = cfg };
	struct scan scan = { 0 };
	struct known known = { 0 };
	double t_start = time_mono();
	int ret = -1;

	memset(out, 0, sizeof(*out));
	/* One run at a time per data folder: two would race on the same documents. */
	int lock = data_folder_lock(cfg, err);
	if (lock < 0)
		return -1;
	/* Nor two on one shared store (PostgreSQL), from other data folders or machines. */
	if (store_runs_lock(st, err)) {
		unlock_file(lock);
		return -1;
	}
	int reaped = heartbeat_reap(st, cfg, err);
	if (reaped > 0)
		log_event(LOG_WARNING, 0, NULL, NULL,
			  "%d earlier run(s) stopped before the end; this run finishes their work",
			  reaped);

	/* The run's parameters: the whole configuration with the inbox used. */
	char *config_json = config_to_json(cfg);
	json_t *params = json_loads(config_json, 0, NULL);
	free(config_json);
	json_t *inbox = json_array();
	for (size_t i = 0; i < opts->ninbox; i++)
		json_array_append_new(inbox, json_str(opts->inbox[i]));
	json_object_set_new(params, "inbox", inbox);
	if (opts->no_cache)
		json_object_set_new(params, "no_cache", json_true());
	if (opts->refresh)
		json_object_set_new(params, "refresh", json_string(opts->refresh));
	/*
	 * A stage done again means the document again (its stages run as one,
	 * from extraction on); only OCR keeps results of its own, by page.
	 */
	int reprocess = opts->no_cache || opts->refresh;
	fl.refresh_ocr = opts->no_cache || (opts->refresh && !strcmp(opts->refresh, "ocr"));
	char *params_text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(params);
	struct run_origin origin = { opts->trigger, opts->deployment, opts->scheduled_for };
	fl.run_id = store_run_begin(st, &origin, params_text, err);
	free(params_text);
	if (fl.run_id < 0) {
		store_runs_unlock(st);
		unlock_file(lock);
		return -1;
	}
	out->run_id = fl.run_id;
	struct heartbeat *hb = heartbeat_start(cfg, fl.run_id);
	log_event(LOG_INFO, fl.run_id, NULL, NULL, "run started (%s)", opts->trigger);

	long long unindexed = 0;
	if (store_fts_index_missing(st, &unindexed, err)) {
		fail_run(st, fl.run_id, &fl.stats, err);
		log_event(LOG_ERROR, fl.run_id, NULL, "index", "%s", err->buf);
		goto cleanup;
	}
	if (unindexed)
		log_event(LOG_WARNING, fl.run_id, NULL, "index",
			  "%lld chunks were not in the full-text index (saved by an older ragops, "
			  "still running when the store moved to schema 15): indexed now",
			  unindexed);
	if (collect_scan(opts->inbox, opts->ninbox, cfg->data_dir, cfg, &scan, err) ||
	    store_docs_load(st, &known.docs, &known.n, err)) {
		fail_run(st, fl.run_id, &fl.stats, err);
		log_event(LOG_ERROR, fl.run_id, NULL, "collect", "%s", err->buf);
		goto cleanup;
	}
	fl.stage_seconds[NSTAGES] = scan.seconds;
	known_index(&known);
	int nthreads = parallel_threads(cfg->ingest.threads);
	if (!strcmp(cfg->ingest.isolate, "true"))
		fl.parsers = parser_pool_new(cfg, nthreads);
	fl.progress = progress_new(scan.n);

	/* What each file needs is decided first, in order; then the new and changed ones are prepared. */
	struct todo todo = { 0 };
	for (size_t i = 0; i < scan.n; i++) {
		struct found_file *f = &scan.files[i];
		struct doc_record *d = known_find(&known, f->root, f->relpath);
		fl.stats.docs_seen++;
		if (d)
			known.seen[d - known.docs] = 1;
		if (!f->refused && store_keeps_artefacts(st) && !name_is_utf8(f->relpath)) {
			/* Nothing of it can be recorded: the store would refuse its name too. */
			static const char why[] =
				"its name is not valid UTF-8 (an old Latin-1 name, say), which a "
				"PostgreSQL store cannot hold: rename the file";
			log_event(LOG_ERROR, fl.run_id, f->relpath, "collect", "%s", why);
			flow_add_failure(&fl, f->relpath, "collect", why);
			fl.stats.docs_failed++;
			fl.stats.docs_new += !d;
			progress_document_done(fl.progress, 0);
			continue;
		}
		if (f->refused) {
			struct doc_record fresh = { 0 };
			struct doc_record *target = d ? d : &fresh;
			struct task_record t = flow_task(&fl, f->relpath, STAGE_EXTRACT, TASK_FAILED,
							 time_now_ms(), 0, f->refused, NULL);
			t.stage = "collect";
			if (!d)
				fl.stats.docs_new++;
			flow_doc_from_file(target, f, "unknown");
			flow_save_failed(&fl, target, f, "collect", f->refused, &t, 1);
			doc_record_release(&fresh);
			progress_document_done(fl.progress, 0);
			continue;
		}
		stage_keys keys;
		flow_cache_keys(&fl, f->sha256, keys);
		if (d && !reprocess && is_current(d, keys, f->sha256)) {
			fl.stats.docs_unchanged++;
			flow_record_cached(&fl, f);
			progress_document_done(fl.progress, 0);
			continue;
		}
		if (!d) {
			struct doc_record *moved = find_moved(&known, &scan, keys, f->sha256);
			if (moved &&
			    !store_doc_move(st, moved->id, f->root, f->relpath, f->mtime, err)) {
				known.seen[moved - known.docs] = 1;
				log_event(LOG_INFO, fl.run_id, f->relpath, "collect",
					  "renamed from '%s'", moved->relpath);
				fl.stats.docs_renamed++;
				flow_record_cached(&fl, f);
				progress_document_done(fl.progress, 0);
				continue;
			}
			strbuf_reset(err);
		}
		if (!d || d->status == DOC_DELETED)
			fl.stats.docs_new++;
		else
			fl.stats.docs_changed++;
		todo_add(&todo, d, f);
	}
	if (store_keeps_artefacts(st)) {
		/* A shared store: the documents go to the queue, for every worker (and this run). */
		if (queue_run_documents(&fl, todo.records, todo.files, todo.n, err)) {
			fail_run(st, fl.run_id, &fl.stats, err);
			log_event(LOG_ERROR, fl.run_id, NULL, "collect", "%s", err->buf);
			free(todo.records);
			free(todo.files);
			goto cleanup;
		}
	} else {
		flow_process_files(&fl, todo.records, todo.files, todo.n, nthreads);
	}
	free(todo.records);
	free(todo.files);
	if (fl.ncached && store_tasks_add(st, fl.cached, fl.ncached, err)) {
		log_event(LOG_ERROR, fl.run_id, NULL, NULL, "%s", err->buf);
		strbuf_reset(err);
	}
	if (stop_requested) {
		ret = cancel_run(&fl, out, t_start, err);
		goto cleanup;
	}

	/* Files gone from a fully scanned inbox: their chunks go. */
	for (size_t i = 0; i < known.n; i++) {
		struct doc_record *d = &known.docs[i];
		if (known.seen[i] || d->status == DOC_DELETED || !root_scanned(&scan, d->root))
			continue;
		if (store_doc_delete(st, d->id, err)) {
			log_event(LOG_ERROR, fl.run_id, d->relpath, "collect", "%s", err->buf);
			strbuf_reset(err);
			continue;
		}
		struct task_record t = flow_task(&fl, d->relpath, STAGE_INDEX, TASK_COMPLETED,
						 time_now_ms(), 0, NULL, NULL);
		t.doc_id = d->id;
		t.stage = "delete";
		store_tasks_add(st, &t, 1, err);
		log_event(LOG_INFO, fl.run_id, d->relpath, "collect",
			  "removed from the inbox: "
			  "its chunks are deleted");
		fl.stats.docs_deleted++;
	}

	/* validate and publish: the documents as they are now become a release, or not */
	struct publish_outcome pub;
	past_documents = 1; /* a stop asked for from here on lets the release be finished */
	int published = publish_with_retries(&fl, &pub, err);
	progress_free(fl.progress); /* it showed the embedding and the lexicon too */
	fl.progress = NULL;
	if (published) {
		log_event(LOG_ERROR, fl.run_id, NULL, "publish", "%s", err->buf);
		fail_run(st, fl.run_id, &fl.stats, err);
		goto cleanup;
	}
	out->release = pub.release;
	out->production = pub.production;
	out->release_verdict = pub.verdict == PUBLISH_PROMOTED   ? "promoted"
			       : pub.verdict == PUBLISH_REFUSED  ? "refused"
			       : pub.verdict == PUBLISH_DEFERRED ? "deferred"
								 : "unchanged";
	snprintf(out->release_message, sizeof(out->release_message), "%s", pub.message);
	fl.publish_seconds = pub.seconds;

	fl.stats.ocr_pages = fl.ocr_stats.pages;
	fl.stats.ocr_failed = fl.ocr_stats.failed;
	fl.stats.ocr_flagged = fl.ocr_stats.flagged;
	fl.stats.ocr_confidence = fl.ocr_stats.confidence_pages
					  ? fl.ocr_stats.confidence_sum / fl.ocr_stats.confidence_pages
					  : 0;
	out->stats = fl.stats;
	/* A page that failed OCR is lost text: the user has to look, as for a failed document. */
	out->state = pub.verdict == PUBLISH_REFUSED                ? "refused"
		     : fl.stats.docs_failed || fl.stats.ocr_failed ? "completed_with_failures"
								   : "completed";
	out->seconds = time_mono() - t_start;
	if (store_run_finish(st, fl.run_id, out->state, &fl.stats,
			     pub.verdict == PUBLISH_REFUSED ? pub.message : NULL, err))
		goto cleanup;
	prune_history(&fl); /* after the run's end is recorded: a kill here loses nothing */
	char *metrics_dir = xasprintf("%s/metrics", cfg->data_dir);
	mkdir_p(metrics_dir);
	remove_stale_temporaries(metrics_dir); /* a run killed while writing its metrics */
	out->metrics_path = xasprintf("%s/run-%lld.json", metrics_dir, fl.run_id);
	free(metrics_dir);
	write_run_metrics(&fl, opts, out, out->metrics_path);
	log_event(LOG_INFO, fl.run_id, NULL, NULL, "run %s in %.3f s", out->state, out->seconds);
	ret = 0;
cleanup:
	past_documents = 0;
	if (store_keeps_artefacts(st)) {
		/* The queue is the run's while it runs (and those of runs crashed before it). */
		struct strbuf ignored = STRBUF_INIT;
		store_work_forget(st, fl.run_id, &ignored);
		strbuf_release(&ignored);
	}
	heartbeat_stop(&hb);
	store_runs_unlock(st);
	unlock_file(lock);
	flow_release(&fl);
	scan_release(&scan);
	doc_records_free(known.docs, known.n);
	free(known.by_path);
	free(known.seen);
	return ret;
}

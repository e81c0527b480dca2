/*
 * The index stage's save of one document (doc_job.h): its new version,
 * pages, chunks and task rows all written or none, so that a crash leaves
 * the old version or the new one, never a mix.
 *
 * Consecutive saves share a transaction, the group (store_group_begin):
 * each after the first is a savepoint of it, and one commit writes them
 * all, when the writer would otherwise wait (flow_save_group_commit) or
 * the group is large or old enough.  A commit per document was about half
 * the writer's time on a first ingest of many small documents, and the
 * writer is the one part of a run that no core can share.  Only plain
 * successes wait in a group: a save that fails there, and every failure
 * record, first commits the group and then goes alone, with its retries.
 * A group whose commit fails has written nothing, and its documents are
 * saved again one by one.
 */
#include <stdlib.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/chunk.h"
#include "pipeline/doc_job.h"
#include "pipeline/retry.h"
#include "store/work_queue.h"

/*
 * A group is committed after this many documents or this long: the write
 * lock it holds keeps other writers (feedback through `serve`) waiting.
 */
#define GROUP_DOCUMENTS 64
#define GROUP_SECONDS   0.25

/* The fields of a record that describe the indexed version. */
static void free_version_fields(struct doc_record *r)
{
	free(r->sha256);
	free(r->language);
	free(r->title);
	free(r->encoding);
	free(r->cache_key);
	free(r->error);
}

/* One attempt at writing `s`: alone, or as a savepoint of the open group. */
static int save_once(struct flow *fl, struct doc_save *s, struct strbuf *err)
{
	struct doc_job *job = s->job;
	return store_doc_save(fl->st, &s->next, job->doc.pages, job->doc.npages, s->recs, s->nchunks, 1,
			      job->tasks, job->ntasks, job->f->claim, err);
}

/* Save `s` in the store's group, opening one when none is. */
static int save_in_group(struct flow *fl, struct doc_save *s, struct strbuf *err)
{
	if (fl->ngroup &&
	    (fl->ngroup >= GROUP_DOCUMENTS || time_mono() - fl->group_started > GROUP_SECONDS))
		flow_save_group_commit(fl);
	if (!store_group_open(fl->st)) {
		if (store_group_begin(fl->st, err))
			return -1;
		fl->group_started = time_mono();
	}
	s->id_before = s->next.id;
	return save_once(fl, s, err);
}

enum saved { SAVE_FAILED = -1, SAVE_WRITTEN, SAVE_IN_GROUP };

/*
 * Save the document's new version, trying again while the failure may
 * pass (retry.h); each failed attempt leaves a "retrying" task row.  Once
 * a document has used up its attempts, the others of the run get one
 * each: a disk that stays full is not waited for document after document.
 * The first attempt joins the group unless `alone`; a failure there (its
 * savepoint undone) commits the group before the next attempt, alone.
 */
static enum saved save_with_retries(struct flow *fl, struct doc_save *s, int alone, struct strbuf *err)
{
	struct retry_policy policy;
	retry_policy_from_config(fl->cfg, RETRY_DOCUMENT, &policy);
	struct doc_job *job = s->job;
	struct task_record *index_task = &job->tasks[job->ntasks - 1];
	for (unsigned attempt = 1;; attempt++) {
		long long started = time_now_ms();
		double t0 = time_mono();
		index_task->attempts = (int)attempt;
		store_error_clear(fl->st);
		int grouped = attempt == 1 && !alone;
		int rc = grouped ? save_in_group(fl, s, err) : save_once(fl, s, err);
		fl->stage_seconds[STAGE_INDEX] += time_mono() - t0;
		if (!rc)
			return grouped ? SAVE_IN_GROUP : SAVE_WRITTEN;
		/* Read before the group's commit below, which is another statement. */
		s->claim_lost = store_claim_lost(fl->st);
		int transient = store_error_is_transient(fl->st);
		if (grouped)
			flow_save_group_commit(fl);
		if (!transient)
			return SAVE_FAILED;
		if (attempt >= policy.attempts || fl->retries_spent) {
			fl->retries_spent = 1;
			return SAVE_FAILED;
		}
		long long wait = retry_delay_ms(&policy, attempt + 1, (double)rand() / RAND_MAX);
		struct task_record t = flow_task(fl, job->f->relpath, STAGE_INDEX, TASK_RETRYING,
						 started, (time_mono() - t0) * 1000, err->buf,
						 job->keys);
		t.attempts = (int)attempt;
		t.doc_id = s->next.id > 0 ? s->next.id : 0;
		log_event(LOG_WARNING, fl->run_id, job->f->relpath, "index",
			  "attempt %u failed (%s): trying again in %.1f s", attempt, err->buf,
			  wait / 1000.0);
		int stopped = retry_wait(wait);
		/* Recorded after the wait: a full disk or a held lock would have refused the row too. */
		struct strbuf ignored = STRBUF_INIT;
		store_tasks_add(fl->st, &t, 1, &ignored);
		strbuf_release(&ignored);
		if (stopped)
			return SAVE_FAILED; /* a stop was asked for: the next run tries again */
		strbuf_reset(err);
	}
}

/* Settle a save's outcome once what it wrote is committed, or not (`err`); frees what `s` holds. */
static void settle(struct flow *fl, struct doc_save *s, enum saved outcome, const char *err)
{
	struct doc_job *job = s->job;
	struct doc_record *d = job->d;
	const struct found_file *f = job->f;
	size_t npages = job->doc.npages;
	free(s->recs);
	if (outcome == SAVE_FAILED && s->claim_lost) {
		/* Another worker took the document over: its result stands, this one goes. */
		log_event(LOG_WARNING, fl->run_id, f->relpath, "index", "%s", err);
		free_version_fields(&s->next);
		chunks_free(s->chunks, s->nchunks);
		job_free(job);
		return;
	}
	if (outcome == SAVE_FAILED) {
		/* The transaction rolled back: the old version stands, and so does `d`. */
		free_version_fields(&s->next);
		job->ntasks--;
		chunks_free(s->chunks, s->nchunks);
		job_fail(fl, job, "index", err);
		return;
	}
	free_version_fields(d);
	*d = s->next; /* the fields they share (path, type, seen hash) stay d's */
	fl->stats.pages += (long long)npages;
	fl->stats.pages_needing_ocr += s->waiting;
	fl->stats.chunks += (long long)s->nchunks;
	fl->stats.chars += s->chars;
	log_event(LOG_INFO, fl->run_id, f->relpath, "index", "%s, %s: %zu pages, %zu chunks%s",
		  doc_type_name(job->type), d->language, npages, s->nchunks,
		  s->headers_removed ? ", running headers removed" : "");
	if (s->waiting)
		log_event(LOG_WARNING, fl->run_id, f->relpath, "extract",
			  "%d of %zu pages have no usable text layer and need OCR (ocr.mode=%s)",
			  s->waiting, npages, fl->cfg->ocr.mode);
	chunks_free(s->chunks, s->nchunks);
	job_free(job);
}

/* Save `s` with its retries, and settle it unless it waits in the group. */
static void save_and_settle(struct flow *fl, struct doc_save *s, int alone)
{
	struct strbuf err = STRBUF_INIT;
	enum saved outcome = save_with_retries(fl, s, alone, &err);
	if (outcome != SAVE_IN_GROUP)
		settle(fl, s, outcome, err.buf);
	else {
		ALLOC_GROW(fl->group, fl->ngroup + 1, fl->group_alloc);
		fl->group[fl->ngroup++] = *s;
	}
	strbuf_release(&err);
}

void flow_save_group_commit(struct flow *fl)
{
	if (!store_group_open(fl->st))
		return;
	struct doc_save *saves = fl->group;
	size_t n = fl->ngroup;
	fl->group = NULL;
	fl->ngroup = fl->group_alloc = 0;
	flow_crash_point("commit");
	struct strbuf err = STRBUF_INIT;
	double t0 = time_mono();
	int rc = store_group_commit(fl->st, &err);
	fl->stage_seconds[STAGE_INDEX] += time_mono() - t0;
	if (rc && n)
		log_event(LOG_WARNING, fl->run_id, NULL, "index",
			  "the %s of %zu document%s could not be committed together (%s): "
			  "saved again alone",
			  n == 1 ? "save" : "saves", n, n == 1 ? "" : "s", err.buf);
	for (size_t i = 0; i < n; i++) {
		if (!rc) {
			settle(fl, &saves[i], SAVE_WRITTEN, NULL);
			continue;
		}
		/* The record's id came from a save the rollback undid. */
		saves[i].next.id = saves[i].id_before;
		save_and_settle(fl, &saves[i], 1);
	}
	free(saves);
	strbuf_release(&err);
}

void save_document(struct flow *fl, const struct doc_save *saving)
{
	struct doc_save s = *saving;
	fl->stage_seconds[STAGE_INDEX] += time_mono() - s.t0; /* the checks before saving */
	/* A test that stops the process before a save must not find other saves held open. */
	if (flow_crash_point_armed("save"))
		flow_save_group_commit(fl);
	flow_crash_point("save");
	save_and_settle(fl, &s, 0);
}

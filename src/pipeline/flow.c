/*
 * Run state helpers shared by the pipeline's files; see flow.h.
 */
#include "pipeline/flow.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/extract.h"
#include "store/work_queue.h"

const char *const stage_names[NSTAGES] = { "extract", "ocr", "clean", "chunk", "index" };
static const char *const stage_config[NSTAGES] = { "extract.", "ocr.", "clean.", "chunk.", "index." };

void flow_cache_keys(struct flow *fl, const char *sha, stage_keys keys)
{
	/* The settings' part is the same for every document: formatted once (floats made it 5% of a re-run). */
	if (!fl->key_settings) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "|%s|collect.max_pages=%u|", PIPELINE_STAGE_VERSIONS,
			    fl->cfg->collect.max_pages);
		for (int s = 0; s < NSTAGES; s++) {
			config_section_fingerprint(fl->cfg, stage_config[s], &sb);
			fl->key_settings_end[s] = sb.len;
		}
		fl->key_settings = strbuf_detach(&sb, NULL);
	}
	size_t len = strlen(sha);
	struct strbuf sb = STRBUF_INIT;
	strbuf_add(&sb, sha, len);
	strbuf_add(&sb, fl->key_settings, fl->key_settings_end[NSTAGES - 1]);
	for (int s = 0; s < NSTAGES; s++)
		sha256_hex(sb.buf, len + fl->key_settings_end[s], keys[s]);
	strbuf_release(&sb);
}

struct task_record flow_task(struct flow *fl, const char *doc_path, enum stage s, enum task_state state,
			     long long started, double ms, const char *error, stage_keys keys)
{
	struct task_record t = { 0 };
	t.run_id = fl->run_id;
	t.doc_path = doc_path;
	t.stage = stage_names[s];
	t.state = state;
	t.attempts = state == TASK_CACHED ? 0 : 1;
	t.started_at = started;
	t.duration_ms = ms;
	t.cache_key = keys ? keys[s] : NULL;
	t.error = error;
	return t;
}

void flow_doc_from_file(struct doc_record *d, const struct found_file *f, const char *type)
{
	free(d->root);
	free(d->relpath);
	free(d->seen_sha256);
	free(d->type);
	d->root = xstrdup(f->root);
	d->relpath = xstrdup(f->relpath);
	d->seen_sha256 = xstrdup(f->refused ? "" : f->sha256);
	d->type = xstrdup(type);
	d->size = f->size;
	d->mtime = f->mtime;
}

void flow_add_failure(struct flow *fl, const char *doc, const char *stage, const char *error)
{
	ALLOC_GROW(fl->failures, fl->nfailures + 1, fl->failures_alloc);
	struct failure *f = &fl->failures[fl->nfailures++];
	f->doc = xstrdup(doc);
	f->stage = xstrdup(stage);
	f->error = xstrdup(error);
}

void flow_save_failed(struct flow *fl, struct doc_record *d, const struct found_file *f,
		      const char *stage, const char *error, struct task_record *tasks, size_t ntasks)
{
	struct strbuf err = STRBUF_INIT;
	flow_save_group_commit(fl); /* a failure record is never held in a group */
	free(d->error);
	d->error = xasprintf("%s: %s", stage, error);
	d->status = DOC_FAILED;
	if (store_doc_save(fl->st, d, NULL, 0, NULL, 0, 0, tasks, ntasks, f->claim, &err) &&
	    store_claim_lost(fl->st)) {
		/* Another worker has the document now: its outcome is the one that counts. */
		log_event(LOG_WARNING, fl->run_id, f->relpath, stage, "%s (it had failed: %s)", err.buf,
			  error);
		strbuf_release(&err);
		return;
	}
	log_event(LOG_ERROR, fl->run_id, f->relpath, stage, "%s", error);
	flow_add_failure(fl, f->relpath, stage, error);
	fl->stats.docs_failed++;
	if (err.len)
		log_event(LOG_ERROR, fl->run_id, f->relpath, "index", "cannot record the failure: %s",
			  err.buf);
	strbuf_release(&err);
}

void flow_record_cached(struct flow *fl, const struct found_file *f)
{
	stage_keys keys;
	flow_cache_keys(fl, f->sha256, keys);
	long long now = time_now_ms(); /* one time for all: the store keeps them as one row */
	for (int s = 0; s < NSTAGES; s++) {
		ALLOC_GROW(fl->cached, fl->ncached + 1, fl->cached_alloc);
		struct task_record t = flow_task(fl, NULL, (enum stage)s, TASK_CACHED, now, 0, NULL,
						 NULL);
		t.doc_path = xstrdup(f->relpath);
		t.cache_key = xstrdup(keys[s]);
		fl->cached[fl->ncached++] = t;
	}
}

void flow_release(struct flow *fl)
{
	for (size_t i = 0; i < fl->nfailures; i++) {
		free(fl->failures[i].doc);
		free(fl->failures[i].stage);
		free(fl->failures[i].error);
	}
	free(fl->failures);
	for (size_t i = 0; i < fl->ncached; i++) {
		free((char *)fl->cached[i].doc_path);
		free((char *)fl->cached[i].cache_key);
	}
	free(fl->cached);
	for (size_t i = 0; i < fl->nocr_docs; i++)
		free(fl->ocr_docs[i].doc);
	free(fl->ocr_docs);
	free(fl->key_settings);
	parser_pool_free(fl->parsers);
	ocr_stage_free(fl->ocr);
	progress_free(fl->progress);
}

void flow_corpus_task(struct flow *fl, const char *stage, enum task_state state, long long started,
		      double seconds, const char *error)
{
	struct strbuf err = STRBUF_INIT;
	struct task_record t = flow_task(fl, "(corpus)", STAGE_INDEX, state, started, seconds * 1000,
					 error, NULL);
	t.stage = stage;
	if (store_tasks_add(fl->st, &t, 1, &err))
		log_event(LOG_WARNING, fl->run_id, NULL, stage, "cannot record the task: %s", err.buf);
	strbuf_release(&err);
}

/* Whether the comma-separated `list` names `where`. */
static int names(const char *list, const char *where)
{
	size_t n = strlen(where);
	for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strcspn(p, ",") == n && !strncmp(p, where, n))
			return 1;
	}
	return 0;
}

int flow_crash_point_armed(const char *where)
{
	return names(getenv("RAGOPS_CRASH_AT"), where) || names(getenv("RAGOPS_PAUSE_AT"), where) ||
	       names(getenv("RAGOPS_STOP_AT"), where);
}

void flow_crash_point(const char *where)
{
	if (names(getenv("RAGOPS_CRASH_AT"), where))
		raise(SIGKILL);
	/* RAGOPS_PAUSE_AT=where[,where...]: three seconds there, for a test to act meanwhile. */
	if (names(getenv("RAGOPS_PAUSE_AT"), where))
		sleep(3);
	/* RAGOPS_STOP_AT=where: stopped there (SIGSTOP), once, until the test sends SIGCONT. */
	static volatile sig_atomic_t stopped;
	if (!stopped && names(getenv("RAGOPS_STOP_AT"), where)) {
		stopped = 1;
		raise(SIGSTOP);
	}
}

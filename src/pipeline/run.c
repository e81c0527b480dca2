/*
 * The pipeline flow; see run.h.  Each document is processed in memory and
 * saved in one transaction with its task records, so a run killed at any
 * point leaves every document either as it was or fully updated; the next
 * run finds the rest by hash and finishes the job.
 */
#define _GNU_SOURCE /* qsort_r */
#include "pipeline/run.h"

#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/chunk.h"
#include "pipeline/clean.h"
#include "pipeline/collect.h"
#include "pipeline/detect.h"
#include "pipeline/extract.h"
#include "text/tokenize.h"

enum stage { STAGE_EXTRACT, STAGE_CLEAN, STAGE_CHUNK, STAGE_INDEX, NSTAGES };
static const char *const stage_names[NSTAGES] = { "extract", "clean", "chunk", "index" };
static const char *const stage_config[NSTAGES] = { "extract.", "clean.", "chunk.", "index." };

struct failure {
	char *doc, *stage, *error;
};

struct flow {
	struct store *st;
	const struct config *cfg;
	long long run_id;
	struct extractor *ex;
	struct run_stats stats;
	double stage_seconds[NSTAGES + 1]; /* + collect */
	char cache_keys[NSTAGES][SHA256_HEX_LEN + 1];
	struct failure *failures;
	size_t nfailures, failures_alloc;
	struct task_record *cached;	  /* tasks of unchanged documents, saved in one batch */
	size_t ncached, cached_alloc;
};

/*
 * A stage's cache key: the content hash, the stage versions and every
 * setting of the stages up to it.  An unchanged key means unchanged output.
 */
static void compute_cache_keys(struct flow *fl, const char *sha)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s|%s|collect.max_pages=%u|", sha, PIPELINE_STAGE_VERSIONS,
		    fl->cfg->collect.max_pages);
	for (int s = 0; s < NSTAGES; s++) {
		config_section_fingerprint(fl->cfg, stage_config[s], &sb);
		sha256_hex(sb.buf, sb.len, fl->cache_keys[s]);
	}
	strbuf_release(&sb);
}

static void add_failure(struct flow *fl, const char *doc, const char *stage, const char *error)
{
	ALLOC_GROW(fl->failures, fl->nfailures + 1, fl->failures_alloc);
	struct failure *f = &fl->failures[fl->nfailures++];
	f->doc = xstrdup(doc);
	f->stage = xstrdup(stage);
	f->error = xstrdup(error);
}

static struct task_record make_task(struct flow *fl, const char *doc_path, enum stage s,
				    enum task_state state, long long started, double ms,
				    const char *error)
{
	struct task_record t = { 0 };
	t.run_id = fl->run_id;
	t.doc_path = doc_path;
	t.stage = stage_names[s];
	t.state = state;
	t.attempts = state == TASK_CACHED ? 0 : 1;
	t.started_at = started;
	t.duration_ms = ms;
	t.cache_key = fl->cache_keys[s];
	t.error = error;
	return t;
}

/* The document's display path: "<inbox name>/<relpath>" keeps it short and unique. */
static char *display_path(const struct found_file *f)
{
	return xstrdup(f->relpath);
}

static char *default_title(const struct extracted *doc, const char *relpath)
{
	if (doc->title && *doc->title)
		return xstrdup(doc->title);
	for (size_t i = 0; i < doc->nblocks; i++)
		if (doc->blocks[i].kind == BLOCK_HEADING)
			return xstrdup(doc->blocks[i].text);
	char *copy = xstrdup(relpath);
	char *title = xstrdup(basename(copy));
	free(copy);
	return title;
}

/* Fill a record from what is on disk; keeps id and indexed content fields. */
static void doc_from_file(struct doc_record *d, const struct found_file *f, const char *type)
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

static void save_failed(struct flow *fl, struct doc_record *d, const struct found_file *f,
			enum stage s, const char *error, struct task_record *tasks, size_t ntasks)
{
	struct strbuf err = STRBUF_INIT;
	char *shown = display_path(f);
	free(d->error);
	d->error = xasprintf("%s: %s", stage_names[s], error);
	d->status = DOC_FAILED;
	log_event(LOG_ERROR, fl->run_id, shown, stage_names[s], "%s", error);
	add_failure(fl, shown, stage_names[s], error);
	fl->stats.docs_failed++;
	if (store_doc_save(fl->st, d, NULL, 0, NULL, 0, 0, tasks, ntasks, &err))
		log_event(LOG_ERROR, fl->run_id, shown, "index", "cannot record the failure: %s", err.buf);
	strbuf_release(&err);
	free(shown);
}

/* extract -> clean -> chunk -> index for one new or changed document. */
static void process_document(struct flow *fl, struct doc_record *d, const struct found_file *f)
{
	struct task_record tasks[NSTAGES];
	size_t ntasks = 0;
	struct extracted doc = { 0 };
	struct chunk *chunks = NULL;
	size_t nchunks = 0;
	struct strbuf err = STRBUF_INIT;
	char *shown = display_path(f);
	char why[256];
	enum doc_type type = TYPE_BINARY;
	long long started = time_now_ms();
	double t0 = time_mono();

	compute_cache_keys(fl, f->sha256);
	/* extract */
	int rc = detect_file(f->path, &type, why, sizeof(why));
	if (rc)
		strbuf_addstr(&err, why);
	doc_from_file(d, f, doc_type_name(type));
	if (!rc)
		rc = extract_document(fl->ex, f->path, type, &doc, &err);
	double dt = time_mono() - t0;
	fl->stage_seconds[STAGE_EXTRACT] += dt;
	tasks[ntasks++] = make_task(fl, shown, STAGE_EXTRACT, rc ? TASK_FAILED : TASK_COMPLETED,
				    started, dt * 1000, rc ? err.buf : NULL);
	if (rc) {
		save_failed(fl, d, f, STAGE_EXTRACT, err.buf, tasks, ntasks);
		goto cleanup;
	}
	if (doc.repaired)
		log_event(LOG_WARNING, fl->run_id, shown, "extract",
			  "%zu invalid UTF-8 sequences replaced with U+FFFD", doc.repaired);
	if (doc.encoding && !strcmp(doc.encoding, "windows-1252"))
		log_event(LOG_WARNING, fl->run_id, shown, "extract",
			  "not UTF-8: decoded as Windows-1252");

	/* clean */
	started = time_now_ms();
	t0 = time_mono();
	struct clean_stats cs;
	clean_document(&doc, fl->cfg, &cs);
	dt = time_mono() - t0;
	fl->stage_seconds[STAGE_CLEAN] += dt;
	tasks[ntasks++] = make_task(fl, shown, STAGE_CLEAN, TASK_COMPLETED, started, dt * 1000, NULL);

	/* chunk */
	started = time_now_ms();
	t0 = time_mono();
	chunk_document(&doc, fl->cfg, &chunks, &nchunks);
	dt = time_mono() - t0;
	fl->stage_seconds[STAGE_CHUNK] += dt;

	int ocr_pages = 0;
	for (size_t p = 0; p < doc.npages; p++)
		ocr_pages += doc.pages[p].method == PAGE_NEEDS_OCR;
	if (!nchunks && !ocr_pages) {
		const char *msg = "no text found: the document is empty or holds only whitespace";
		tasks[ntasks++] = make_task(fl, shown, STAGE_CHUNK, TASK_FAILED, started, dt * 1000, msg);
		save_failed(fl, d, f, STAGE_CHUNK, msg, tasks, ntasks);
		goto cleanup;
	}
	tasks[ntasks++] = make_task(fl, shown, STAGE_CHUNK, TASK_COMPLETED, started, dt * 1000, NULL);

	/* index: the document, its pages and chunks replace the old ones at once */
	started = time_now_ms();
	t0 = time_mono();
	size_t len;
	char *text = document_text(&doc, &len);
	enum lang lang = lang_detect(text, len);
	free(text);
	struct chunk_record *recs = xcalloc(nchunks + 1, sizeof(*recs));
	long long chars = 0;
	for (size_t i = 0; i < nchunks; i++) {
		recs[i] = (struct chunk_record){ (int)i, chunks[i].page_start, chunks[i].page_end,
						 chunks[i].heading, chunks[i].char_start,
						 chunks[i].char_end, chunks[i].text };
		chars += (long long)strlen(chunks[i].text);
	}
	free(d->sha256);
	free(d->language);
	free(d->title);
	free(d->encoding);
	free(d->cache_key);
	free(d->error);
	d->sha256 = xstrdup(f->sha256);
	d->language = xstrdup(lang_code(lang));
	d->title = default_title(&doc, f->relpath);
	d->encoding = doc.encoding ? xstrdup(doc.encoding) : NULL;
	d->cache_key = xstrdup(fl->cache_keys[STAGE_INDEX]);
	d->error = NULL;
	d->status = nchunks ? DOC_INDEXED : DOC_NEEDS_OCR;
	d->pages = (int)doc.npages;
	d->pages_needing_ocr = ocr_pages;
	d->chunks = (int)nchunks;
	d->chars = chars;
	tasks[ntasks++] = make_task(fl, shown, STAGE_INDEX, TASK_COMPLETED, started, -1, NULL);
	rc = store_doc_save(fl->st, d, doc.pages, doc.npages, recs, nchunks, 1, tasks, ntasks, &err);
	free(recs);
	dt = time_mono() - t0;
	fl->stage_seconds[STAGE_INDEX] += dt;
	if (rc) {
		/* The transaction rolled back: the old version stands. */
		save_failed(fl, d, f, STAGE_INDEX, err.buf, tasks, ntasks - 1);
		goto cleanup;
	}
	fl->stats.pages += (long long)doc.npages;
	fl->stats.pages_needing_ocr += ocr_pages;
	fl->stats.chunks += (long long)nchunks;
	fl->stats.chars += chars;
	log_event(LOG_INFO, fl->run_id, shown, "index", "%s, %s: %zu pages, %zu chunks%s",
		  doc_type_name(type), d->language, doc.npages, nchunks,
		  cs.repeated_removed ? ", running headers removed" : "");
	if (ocr_pages)
		log_event(LOG_WARNING, fl->run_id, shown, "extract",
			  "%d of %zu pages have no usable text layer and need OCR", ocr_pages,
			  doc.npages);
cleanup:
	chunks_free(chunks, nchunks);
	extracted_release(&doc);
	strbuf_release(&err);
	free(shown);
}

static void record_cached(struct flow *fl, const struct found_file *f)
{
	compute_cache_keys(fl, f->sha256);
	for (int s = 0; s < NSTAGES; s++) {
		ALLOC_GROW(fl->cached, fl->ncached + 1, fl->cached_alloc);
		struct task_record t = make_task(fl, NULL, (enum stage)s, TASK_CACHED, time_now_ms(), 0, NULL);
		t.doc_path = display_path(f);
		t.cache_key = xstrdup(fl->cache_keys[s]);
		fl->cached[fl->ncached++] = t;
	}
}

/* --- matching what is on disk with what the store knows ------------------ */

struct known {
	struct doc_record *docs;
	size_t n;
	unsigned char *seen;
	size_t *by_path;	/* indexes sorted by root, relpath */
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

static int is_current(const struct doc_record *d, const struct flow *fl, const char *sha)
{
	return d->seen_sha256 && !strcmp(d->seen_sha256, sha) && d->cache_key &&
	       !strcmp(d->cache_key, fl->cache_keys[STAGE_INDEX]) &&
	       (d->status == DOC_INDEXED || d->status == DOC_NEEDS_OCR);
}

/*
 * A new path whose content the store holds under a path that is gone: a
 * rename or a move.  Found among documents not seen this run.
 */
static struct doc_record *find_moved(struct known *k, const struct scan *scan, struct flow *fl,
				     const char *sha)
{
	for (size_t i = 0; i < k->n; i++) {
		struct doc_record *d = &k->docs[i];
		if (k->seen[i] || !is_current(d, fl, sha))
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

static int root_scanned(const struct scan *scan, const char *root)
{
	for (size_t i = 0; i < scan->nroots; i++)
		if (!strcmp(scan->roots[i], root))
			return scan->root_complete[i];
	return 0;
}

static void write_metrics(struct flow *fl, const struct run_options *opts, const char *state,
			  double seconds, const char *path)
{
	json_t *m = json_object();
	json_object_set_new(m, "run_id", json_integer(fl->run_id));
	json_object_set_new(m, "trigger", json_string(opts->trigger));
	json_object_set_new(m, "state", json_string(state));
	json_object_set_new(m, "duration_s", json_real(seconds));
	json_t *docs = json_object();
	const struct run_stats *s = &fl->stats;
	json_object_set_new(docs, "seen", json_integer(s->docs_seen));
	json_object_set_new(docs, "new", json_integer(s->docs_new));
	json_object_set_new(docs, "changed", json_integer(s->docs_changed));
	json_object_set_new(docs, "unchanged", json_integer(s->docs_unchanged));
	json_object_set_new(docs, "renamed", json_integer(s->docs_renamed));
	json_object_set_new(docs, "deleted", json_integer(s->docs_deleted));
	json_object_set_new(docs, "failed", json_integer(s->docs_failed));
	json_object_set_new(m, "documents", docs);
	json_object_set_new(m, "pages", json_integer(s->pages));
	json_object_set_new(m, "pages_needing_ocr", json_integer(s->pages_needing_ocr));
	json_object_set_new(m, "chunks", json_integer(s->chunks));
	json_object_set_new(m, "characters", json_integer(s->chars));
	json_t *stages = json_object();
	json_object_set_new(stages, "collect", json_real(fl->stage_seconds[NSTAGES]));
	for (int i = 0; i < NSTAGES; i++)
		json_object_set_new(stages, stage_names[i], json_real(fl->stage_seconds[i]));
	json_object_set_new(m, "stage_seconds", stages);
	struct store_totals tot;
	struct strbuf err = STRBUF_INIT;
	if (!store_totals(fl->st, &tot, &err)) {
		json_t *idx = json_object();
		json_object_set_new(idx, "documents", json_integer(tot.documents));
		json_object_set_new(idx, "pages", json_integer(tot.pages));
		json_object_set_new(idx, "pages_needing_ocr", json_integer(tot.pages_needing_ocr));
		json_object_set_new(idx, "chunks", json_integer(tot.chunks));
		json_object_set_new(idx, "failed_documents", json_integer(tot.failed));
		json_object_set_new(m, "index", idx);
	}
	json_t *fails = json_array();
	for (size_t i = 0; i < fl->nfailures; i++) {
		json_t *f = json_object();
		json_object_set_new(f, "document", json_str(fl->failures[i].doc));
		json_object_set_new(f, "stage", json_str(fl->failures[i].stage));
		json_object_set_new(f, "error", json_str(fl->failures[i].error));
		json_array_append_new(fails, f);
	}
	json_object_set_new(m, "failures", fails);
	char *text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	strbuf_reset(&err);
	if (write_file_atomic(path, text, strlen(text), &err))
		log_event(LOG_WARNING, fl->run_id, NULL, NULL, "cannot write metrics: %s", err.buf);
	free(text);
	json_decref(m);
	strbuf_release(&err);
}

static void flow_release(struct flow *fl)
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
	extractor_free(fl->ex);
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
	char *lock_path = xasprintf("%s/run.lock", cfg->data_dir);
	int lock = lock_file(lock_path, err);
	free(lock_path);
	if (lock < 0)
		return -1;
	int reaped = store_runs_reap(st, err);
	if (reaped > 0)
		log_event(LOG_WARNING, 0, NULL, NULL,
			  "%d earlier run(s) stopped before the end; this run finishes their work", reaped);

	/* The run's parameters: the whole configuration with the inbox used. */
	char *config_json = config_to_json(cfg);
	json_t *params = json_loads(config_json, 0, NULL);
	free(config_json);
	json_t *inbox = json_array();
	for (size_t i = 0; i < opts->ninbox; i++)
		json_array_append_new(inbox, json_str(opts->inbox[i]));
	json_object_set_new(params, "inbox", inbox);
	char *params_text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(params);
	fl.run_id = store_run_begin(st, opts->trigger, params_text, err);
	free(params_text);
	if (fl.run_id < 0) {
		unlock_file(lock);
		return -1;
	}
	out->run_id = fl.run_id;
	log_event(LOG_INFO, fl.run_id, NULL, NULL, "run started (%s)", opts->trigger);

	if (collect_scan(opts->inbox, opts->ninbox, cfg->data_dir, cfg, &scan, err) ||
	    store_docs_load(st, &known.docs, &known.n, err)) {
		store_run_finish(st, fl.run_id, "failed", &fl.stats, err->buf, err);
		log_event(LOG_ERROR, fl.run_id, NULL, "collect", "%s", err->buf);
		goto cleanup;
	}
	fl.stage_seconds[NSTAGES] = scan.seconds;
	known_index(&known);
	fl.ex = extractor_new(cfg);

	for (size_t i = 0; i < scan.n; i++) {
		struct found_file *f = &scan.files[i];
		struct doc_record *d = known_find(&known, f->root, f->relpath);
		struct doc_record fresh = { 0 };
		fl.stats.docs_seen++;
		if (d)
			known.seen[d - known.docs] = 1;
		if (f->refused) {
			struct doc_record *target = d ? d : &fresh;
			struct task_record t = make_task(&fl, f->relpath, STAGE_EXTRACT, TASK_FAILED,
							 time_now_ms(), 0, f->refused);
			t.stage = "collect";
			t.cache_key = NULL;
			if (!d)
				fl.stats.docs_new++;
			doc_from_file(target, f, "unknown");
			save_failed(&fl, target, f, STAGE_EXTRACT, f->refused, &t, 1);
			doc_record_release(&fresh);
			continue;
		}
		compute_cache_keys(&fl, f->sha256);
		if (d && is_current(d, &fl, f->sha256)) {
			fl.stats.docs_unchanged++;
			record_cached(&fl, f);
			continue;
		}
		if (!d) {
			struct doc_record *moved = find_moved(&known, &scan, &fl, f->sha256);
			if (moved && !store_doc_move(st, moved->id, f->root, f->relpath, f->mtime, err)) {
				known.seen[moved - known.docs] = 1;
				log_event(LOG_INFO, fl.run_id, f->relpath, "collect", "renamed from '%s'",
					  moved->relpath);
				fl.stats.docs_renamed++;
				record_cached(&fl, f);
				continue;
			}
			strbuf_reset(err);
			fl.stats.docs_new++;
			process_document(&fl, &fresh, f);
			doc_record_release(&fresh);
		} else {
			if (d->status == DOC_DELETED)
				fl.stats.docs_new++;
			else
				fl.stats.docs_changed++;
			process_document(&fl, d, f);
		}
	}
	if (fl.ncached && store_tasks_add(st, fl.cached, fl.ncached, err)) {
		log_event(LOG_ERROR, fl.run_id, NULL, NULL, "%s", err->buf);
		strbuf_reset(err);
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
		struct task_record t = make_task(&fl, d->relpath, STAGE_INDEX, TASK_COMPLETED,
						 time_now_ms(), 0, NULL);
		t.doc_id = d->id;
		t.stage = "delete";
		t.cache_key = NULL;
		store_tasks_add(st, &t, 1, err);
		log_event(LOG_INFO, fl.run_id, d->relpath, "collect", "removed from the inbox: "
			  "its chunks are deleted");
		fl.stats.docs_deleted++;
	}

	out->stats = fl.stats;
	out->state = fl.stats.docs_failed ? "completed_with_failures" : "completed";
	out->seconds = time_mono() - t_start;
	if (store_run_finish(st, fl.run_id, out->state, &fl.stats, NULL, err))
		goto cleanup;
	char *metrics_dir = xasprintf("%s/metrics", cfg->data_dir);
	mkdir_p(metrics_dir);
	out->metrics_path = xasprintf("%s/run-%lld.json", metrics_dir, fl.run_id);
	free(metrics_dir);
	write_metrics(&fl, opts, out->state, out->seconds, out->metrics_path);
	log_event(LOG_INFO, fl.run_id, NULL, NULL, "run %s in %.3f s", out->state, out->seconds);
	ret = 0;
cleanup:
	unlock_file(lock);
	flow_release(&fl);
	scan_release(&scan);
	doc_records_free(known.docs, known.n);
	free(known.by_path);
	free(known.seen);
	return ret;
}

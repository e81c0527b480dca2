/*
 * Queue workers; see queue.h.  A worker claims a few documents at a time
 * (enough to keep its threads busy, few enough that another machine finds
 * work too), puts them through flow_process_files as a one-machine run
 * does, and saves each fenced by its claim.  Its heartbeat renews the
 * leases on a connection of its own, so a long OCR page does not let them
 * run out; a worker whose heartbeat fails claims nothing until it beats.
 */
#include "pipeline/queue.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/beneath.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/parallel.h"
#include "core/timeutil.h"
#include "core/version.h"
#include "core/xalloc.h"
#include "pipeline/flow.h"
#include "pipeline/retry.h"
#include "store/work_queue.h"

int worker_stages_parse(const char *list, struct worker_stages *out, struct strbuf *err)
{
	*out = (struct worker_stages){ 0 };
	char *copy = xstrdup(list), *save = NULL;
	int rc = 0;
	for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (!strcmp(s, "extract"))
			out->extract = 1;
		else if (!strcmp(s, "ocr"))
			out->ocr = 1;
		else {
			strbuf_addf(err, "--stages: unknown stage '%s' (extract, ocr)", s);
			rc = -1;
			break;
		}
	}
	free(copy);
	if (!rc && !out->extract && !out->ocr) {
		strbuf_addstr(err, "--stages: name extract, ocr or both");
		rc = -1;
	}
	return rc;
}

struct queue_worker {
	struct store *st; /* the caller's: claims and saves */
	const struct config *cfg;
	char *id;
	struct worker_stages stages;
	char settings[SHA256_HEX_LEN + 1];
	int nthreads;
	/* the heartbeat, on its own connection */
	struct store *beat_st;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
	int beat_failing;    /* under lock */
	int in_ocr;          /* under lock: it holds OCR slots for a batch (the beat renews them) */
	int slots_held;      /* under lock: how many */
	char *inbox_missing; /* a folder this machine lacks: it claims no more */
	struct flow *flow;   /* the run it works for, kept from batch to batch (run_flow_of) */
};

/* The kept run state (run_flow_of) let go: another run, or the worker stopping. */
static void run_flow_release(struct queue_worker *w)
{
	if (!w->flow)
		return;
	flow_release(w->flow);
	free(w->flow);
	w->flow = NULL;
}

const char *queue_worker_id(const struct queue_worker *w)
{
	return w->id;
}

static long long lease_ms(const struct config *cfg)
{
	return (long long)(cfg->worker.lease_seconds * 1000);
}

static void *beat(void *arg)
{
	struct queue_worker *w = arg;
	struct strbuf err = STRBUF_INIT;
	/* Three beats per lease: one slow beat does not lose it. */
	long long interval = lease_ms(w->cfg) / 3;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		long long until = time_now_ms() + interval;
		struct timespec ts = { (time_t)(until / 1000), (long)(until % 1000) * 1000000L };
		while (!w->stopping && pthread_cond_timedwait(&w->wake, &w->lock, &ts) != ETIMEDOUT)
			;
		if (w->stopping)
			break;
		pthread_mutex_unlock(&w->lock);
		strbuf_reset(&err);
		pthread_mutex_lock(&w->lock);
		int in_ocr = w->in_ocr;
		pthread_mutex_unlock(&w->lock);
		long long renewed = store_worker_beat(w->beat_st, w->id, lease_ms(w->cfg), in_ocr, &err);
		pthread_mutex_lock(&w->lock);
		if (renewed < 0 && !w->beat_failing)
			log_event(LOG_WARNING, 0, NULL, "worker",
				  "heartbeat failed (%s): claiming nothing until it beats again",
				  err.buf);
		else if (renewed >= 0 && w->beat_failing)
			log_event(LOG_INFO, 0, NULL, "worker", "heartbeat back: claiming again");
		w->beat_failing = renewed < 0;
	}
	pthread_mutex_unlock(&w->lock);
	strbuf_release(&err);
	return NULL;
}

int queue_worker_beat_failing(struct queue_worker *w)
{
	pthread_mutex_lock(&w->lock);
	int failing = w->beat_failing;
	pthread_mutex_unlock(&w->lock);
	return failing;
}

/*
 * The settings a document's stages depend on, whatever its content, and
 * the ragops that runs them: claims match on them, so a worker of another
 * version or with other settings takes none of a run's documents.
 */
static void settings_key(const struct config *cfg, char out[SHA256_HEX_LEN + 1])
{
	struct flow fl = { .cfg = cfg };
	stage_keys keys;
	flow_cache_keys(&fl, "work-settings ragops " RAGOPS_VERSION, keys);
	memcpy(out, keys[STAGE_INDEX], SHA256_HEX_LEN + 1);
	free(fl.key_settings);
}

static char *stages_text(const struct worker_stages *s)
{
	return xstrdup(s->extract && s->ocr ? "extract,ocr"
		       : s->ocr             ? "ocr"
		       : s->extract         ? "extract"
					    : "none: waits"); /* a run with worker.in_run false */
}

struct queue_worker *queue_worker_start(struct store *st, const struct config *cfg, const char *name,
					const struct worker_stages *stages, struct strbuf *err)
{
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	struct queue_worker *w = xcalloc(1, sizeof(*w));
	w->st = st;
	w->cfg = cfg;
	w->stages = *stages;
	w->nthreads = parallel_threads(cfg->ingest.threads);
	settings_key(cfg, w->settings);
	/* Unique per process start: a restarted worker is a new owner, its old claims are not its. */
	w->id = xasprintf("%s@%s:%ld:%llx", name ? name : host, host, (long)getpid(),
			  (unsigned long long)time_now_ms());
	char *stage_list = stages_text(stages);
	struct worker_info info = { .id = w->id,
				    .name = name ? name : host,
				    .host = host,
				    .version = RAGOPS_VERSION,
				    .stages = stage_list,
				    .pid = (long long)getpid(),
				    .lease_ms = lease_ms(cfg) };
	/* A transaction left open past the lease (the worker stopped) is the server's to end. */
	int rc = store_set_idle_limit(st, lease_ms(cfg), err) || store_worker_register(st, &info, err);
	free(stage_list);
	if (rc || store_open(&w->beat_st, config_store_location(cfg), err)) {
		free(w->id);
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, beat, w)) {
		strbuf_addstr(err, "cannot start the worker's heartbeat thread");
		store_close(&w->beat_st);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
		free(w->id);
		free(w);
		return NULL;
	}
	return w;
}

void queue_worker_stop(struct queue_worker **pw)
{
	struct queue_worker *w = *pw;
	if (!w)
		return;
	run_flow_release(w);
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	struct strbuf err = STRBUF_INIT;
	if (store_slots_give(w->beat_st, "ocr", w->id, &err) ||
	    store_worker_stopped(w->beat_st, w->id, &err))
		log_event(LOG_WARNING, 0, NULL, "worker", "%s", err.buf);
	strbuf_release(&err);
	store_close(&w->beat_st);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w->inbox_missing);
	free(w->id);
	free(w);
	*pw = NULL;
}

int queue_worker_ocr_slots(struct queue_worker *w, int want)
{
	long long total = w->cfg->worker.ocr_slots;
	if (!total)
		return 0;
	struct strbuf err = STRBUF_INIT;
	long long poll = (long long)(w->cfg->worker.poll_seconds * 1000);
	int said = 0;
	for (;;) {
		strbuf_reset(&err);
		long long got = store_slots_take(w->st, "ocr", total, w->id, lease_ms(w->cfg), want,
						 &err);
		if (got > 0) {
			strbuf_release(&err);
			pthread_mutex_lock(&w->lock);
			w->in_ocr = 1;
			w->slots_held = (int)got;
			pthread_mutex_unlock(&w->lock);
			return (int)got;
		}
		if (!said++)
			log_event(LOG_INFO, 0, NULL, "ocr", "waiting for an OCR slot (%s)",
				  got < 0 ? err.buf : "worker.ocr_slots are all held");
		/* Not cut short by a stop request: the documents held are finished first. */
		struct timespec ts = { (time_t)(poll / 1000), (long)(poll % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int queue_worker_slots_gate(void *ctx, struct strbuf *why)
{
	struct queue_worker *w = ctx;
	pthread_mutex_lock(&w->lock);
	int held = w->slots_held;
	pthread_mutex_unlock(&w->lock);
	/* One query a page (a page takes a second or so): a stop past the lease is seen at once. */
	struct strbuf err = STRBUF_INIT;
	long long now_held = store_slots_held(w->st, "ocr", w->id, &err);
	strbuf_release(&err);
	if (now_held < 0 || now_held >= held)
		return 0; /* the store unreachable: the beat says so, and the fence decides */
	strbuf_addstr(why, "not read: this worker's lease on its OCR slots ran out (it was stopped "
			   "or cut off), so its documents are another worker's now");
	return -1;
}

void queue_worker_ocr_slots_done(struct queue_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->in_ocr = 0; /* the next beat gives back what this could not */
	w->slots_held = 0;
	pthread_mutex_unlock(&w->lock);
	struct strbuf err = STRBUF_INIT;
	if (store_slots_give(w->st, "ocr", w->id, &err))
		log_event(LOG_WARNING, 0, NULL, "ocr",
			  "cannot give the OCR slots back (%s): the heartbeat gives them back", err.buf);
	strbuf_release(&err);
}

/* What the run asked for that changes how pages are read: --no-cache, --refresh ocr. */
static int run_refreshes_ocr(struct store *st, long long run_id)
{
	struct run_record run;
	struct strbuf err = STRBUF_INIT;
	int refresh = 0;
	if (store_run_get(st, run_id, &run, &err) == LOOKUP_FOUND) {
		json_t *params = json_loads(run.params, 0, NULL);
		const char *what = json_string_value(json_object_get(params, "refresh"));
		refresh = json_is_true(json_object_get(params, "no_cache")) ||
			  (what && !strcmp(what, "ocr"));
		json_decref(params);
		run_record_release(&run);
	}
	strbuf_release(&err);
	return refresh;
}

/*
 * The claimed file as this machine sees it: the same bytes the run hashed,
 * stamped from the descriptor hashed.  0 when it is; otherwise `refused`
 * says why (the document fails, the next run takes it again), or -1 when
 * the inbox folder is not on this machine at all (the item goes back).
 */
static int find_claimed(struct work_claim *c, struct found_file *f)
{
	struct strbuf err = STRBUF_INIT;
	struct stat sb;
	memset(f, 0, sizeof(*f));
	if (stat(c->root, &sb) || !S_ISDIR(sb.st_mode))
		return -1;
	f->root = xstrdup(c->root);
	f->relpath = xstrdup(c->relpath);
	f->source = xstrdup(c->source);
	f->path = xasprintf("%s/%s", c->root, c->relpath);
	f->size = c->size;
	f->mtime = c->mtime;
	f->claim = c;
	memcpy(f->sha256, c->sha256, sizeof(f->sha256) - 1);
	int fd = open_file_beneath(c->root, c->source, &f->stamp, &err);
	char sha[SHA256_HEX_LEN + 1];
	long long size = 0;
	if (fd < 0 || sha256_fd(fd, f->path, sha, &size, &err))
		f->refused = xasprintf("cannot read it on this worker: %s", err.buf);
	else if (strcmp(sha, c->sha256))
		f->refused = xstrdup("the file changed after the run listed it: the next run reads it "
				     "again");
	if (fd >= 0)
		close(fd);
	strbuf_release(&err);
	return 0;
}

static void found_file_release(struct found_file *f)
{
	free(f->root);
	free(f->relpath);
	free(f->source);
	free(f->path);
	free(f->refused);
}

static void give_back(struct queue_worker *w, const struct work_claim *c, int needs_ocr)
{
	struct strbuf err = STRBUF_INIT;
	if (store_work_release(w->st, c, needs_ocr, &err) < 0)
		log_event(LOG_WARNING, c->run_id, c->relpath, "worker",
			  "cannot give the document back (%s): another worker takes it when its lease "
			  "runs out",
			  err.buf);
	strbuf_release(&err);
}

/* The claims of one run, through the stages in `fl` (the run's own, or one for this batch). */
static void process_claims(struct queue_worker *w, struct flow *fl, struct work_claim *claims, size_t n)
{
	struct found_file *files = xcalloc(n, sizeof(*files));
	struct doc_record *loaded = xcalloc(n, sizeof(*loaded));
	struct doc_record **records = xcalloc(n, sizeof(*records));
	struct prepared *todo = xcalloc(n, sizeof(*todo));
	struct work_claim *taken = xcalloc(n, sizeof(*taken));
	size_t ntodo = 0;
	struct strbuf err = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		struct work_claim *c = &claims[i];
		if (w->inbox_missing || find_claimed(c, &files[i])) {
			if (!w->inbox_missing) {
				w->inbox_missing = xstrdup(c->root);
				log_event(LOG_ERROR, c->run_id, NULL, "worker",
					  "the inbox folder '%s' is not on this machine: mount it at "
					  "the same path on every worker; this one claims no more",
					  c->root);
			}
			give_back(w, c, c->needs_ocr);
			continue;
		}
		struct doc_record *d = NULL;
		if (c->doc_id) {
			strbuf_reset(&err);
			if (store_doc_load(w->st, c->doc_id, &loaded[i], &err) == LOOKUP_FAILED) {
				log_event(LOG_WARNING, c->run_id, c->relpath, "worker", "%s", err.buf);
				give_back(w, c, c->needs_ocr);
				continue;
			}
			d = loaded[i].id ? &loaded[i] : NULL;
		}
		if (files[i].refused) {
			struct doc_record fresh = { 0 };
			struct doc_record *target = d ? d : &fresh;
			struct task_record t = flow_task(fl, c->relpath, STAGE_EXTRACT, TASK_FAILED,
							 time_now_ms(), 0, files[i].refused, NULL);
			flow_doc_from_file(target, &files[i], "unknown");
			flow_save_failed(fl, target, &files[i], "extract", files[i].refused, &t, 1);
			doc_record_release(&fresh);
			continue;
		}
		records[ntodo] = d;
		taken[ntodo] = *c;
		todo[ntodo++] = (struct prepared){ .f = &files[i] };
	}
	size_t before = fl->not_done;
	fl->not_done = 0;
	flow_process_files(fl, records, todo, ntodo, w->nthreads);
	/* A stop request left the last ones untouched: theirs to take who comes next. */
	for (size_t i = ntodo - fl->not_done; i < ntodo; i++)
		give_back(w, &taken[i], taken[i].needs_ocr);
	fl->not_done += before;
	for (size_t i = 0; i < n; i++) {
		found_file_release(&files[i]);
		doc_record_release(&loaded[i]);
	}
	strbuf_release(&err);
	free(files);
	free(loaded);
	free(records);
	free(todo);
	free(taken);
}

/*
 * A batch is over, and whatever of it is still claimed could not be saved
 * (the store went away meanwhile): it goes back to the queue at once, not
 * when the lease runs out, or is given up after WORK_MAX_ATTEMPTS.
 */
static int give_back_held(struct queue_worker *w, struct strbuf *err)
{
	int n = store_work_release_held(w->st, w->id, err);
	if (n > 0)
		log_event(LOG_WARNING, 0, NULL, "worker",
			  "%d document(s) of the last batch were not saved: given back to the queue "
			  "(or given up after %d attempts)",
			  n, WORK_MAX_ATTEMPTS);
	return n < 0 ? -1 : 0;
}

/*
 * The state in which this worker does a run's documents, kept from batch
 * to batch of the same run: its parser processes and OCR engines start
 * once per run, not once per batch (that cost 2 workers 2.7 times the
 * time of one process on 1,000 documents).
 */
static struct flow *run_flow_of(struct queue_worker *w, long long run_id)
{
	if (w->flow && w->flow->run_id == run_id)
		return w->flow;
	run_flow_release(w);
	struct flow *fl = xcalloc(1, sizeof(*fl));
	*fl = (struct flow){ .st = w->st, .cfg = w->cfg, .run_id = run_id };
	fl->refresh_ocr = run_refreshes_ocr(w->st, run_id);
	fl->ocr_elsewhere = !w->stages.ocr;
	fl->worker = w;
	if (!strcmp(w->cfg->ingest.isolate, "true"))
		fl->parsers = parser_pool_new(w->cfg, w->nthreads);
	w->flow = fl;
	return fl;
}

/* A batch: enough to keep this worker's threads busy, and some left for the others. */
static size_t batch_size(const struct queue_worker *w)
{
	return (size_t)(2 * w->nthreads + 2);
}

long long queue_worker_drain(struct queue_worker *w, long long only_run, struct flow *run_flow,
			     struct strbuf *err)
{
	long long done = 0;
	if (!w->stages.extract && !w->stages.ocr)
		return 0;
	struct work_filter filter = { w->settings, w->stages.extract, w->stages.ocr, only_run };
	while (!pipeline_stop_requested() && !w->inbox_missing && !queue_worker_beat_failing(w)) {
		struct work_claim *claims = NULL;
		size_t n = 0;
		if (give_back_held(w, err) || store_work_claim(w->st, w->id, lease_ms(w->cfg), &filter,
							       batch_size(w), &claims, &n, err))
			return -1;
		if (!n)
			break;
		/* One run's at a time (a run crashed may have left some of its own). */
		size_t same = 1;
		while (same < n && claims[same].run_id == claims[0].run_id)
			same++;
		for (size_t i = same; i < n; i++)
			give_back(w, &claims[i], claims[i].needs_ocr);
		if (run_flow && run_flow->run_id == claims[0].run_id) {
			run_flow->worker = w;
			process_claims(w, run_flow, claims, same);
			run_flow->worker = NULL;
		} else {
			struct flow *fl = run_flow_of(w, claims[0].run_id);
			log_event(LOG_INFO, fl->run_id, NULL, "worker", "claimed %zu document(s)", same);
			process_claims(w, fl, claims, same);
		}
		done += (long long)same;
		work_claims_free(claims, n);
	}
	/* What the last batch could not save (the store was down): for another attempt. */
	if (done > 0 && give_back_held(w, err))
		return -1;
	return done;
}

/*
 * The store unreachable: said once, then once when it is back, and looked
 * for less and less often (up to 10 s) meanwhile, not once per poll.
 */
struct outage {
	int failures;
};

static long long outage_wait(struct outage *o, const struct config *cfg, long long run_id,
			     const char *failure)
{
	long long poll = (long long)(cfg->worker.poll_seconds * 1000);
	if (!failure) {
		if (o->failures)
			log_event(LOG_INFO, run_id, NULL, "worker", "the store answers again");
		o->failures = 0;
		return poll;
	}
	if (!o->failures++)
		log_event(LOG_WARNING, run_id, NULL, "worker",
			  "%s: trying again, less often while it lasts", failure);
	long long wait = poll << (o->failures < 8 ? o->failures : 8);
	return wait < 10000 ? wait : 10000;
}

/* Documents queued for other settings: said once, since this worker takes none of them. 1 when said. */
static int tell_foreign(struct queue_worker *w)
{
	struct strbuf err = STRBUF_INIT;
	long long n = store_work_foreign(w->st, w->settings, &err);
	strbuf_release(&err);
	if (n <= 0)
		return 0;
	log_event(LOG_WARNING, 0, NULL, "worker",
		  "%lld document(s) are queued by a run whose stage settings (extract, ocr, clean, "
		  "chunk) or ragops version differ from this worker's: it takes none of them",
		  n);
	return 1;
}

int queue_worker_serve(struct store *st, const struct config *cfg, const char *name,
		       const struct worker_stages *stages, struct strbuf *err)
{
	/* Every machine runs the same ragops: the store says which migrated it last. */
	char *store_version = store_migrated_by(st, err);
	if (store_version && strcmp(store_version, RAGOPS_VERSION)) {
		strbuf_addf(err,
			    "the store was last migrated by ragops %s, and this is ragops %s: run the "
			    "same ragops on every machine sharing the store",
			    store_version, RAGOPS_VERSION);
		free(store_version);
		return -2;
	}
	free(store_version);
	strbuf_reset(err);
	struct queue_worker *w = queue_worker_start(st, cfg, name, stages, err);
	if (!w)
		return -1;
	log_event(LOG_INFO, 0, NULL, "worker", "worker %s started (%d threads): waiting for work", w->id,
		  w->nthreads);
	struct outage outage = { 0 };
	int rc = 0, told_foreign = 0;
	while (!pipeline_stop_requested()) {
		if (w->inbox_missing) {
			strbuf_addf(err,
				    "the inbox folder '%s' is not on this machine: mount it at the "
				    "same path on every worker",
				    w->inbox_missing);
			rc = -1;
			break;
		}
		strbuf_reset(err);
		store_error_clear(st);
		long long done = queue_worker_drain(w, 0, NULL, err);
		if (done < 0 && !store_error_is_transient(st)) {
			rc = -1; /* not a failure that passes: say it and stop */
			break;
		}
		if (done == 0 && !told_foreign)
			told_foreign = tell_foreign(w);
		if (done > 0)
			told_foreign = 0;
		if (done <= 0 && retry_wait(outage_wait(&outage, cfg, 0, done < 0 ? err->buf : NULL)))
			break;
	}
	log_event(LOG_INFO, 0, NULL, "worker", "worker %s stopped", w->id);
	queue_worker_stop(&w);
	return rc;
}

int queue_run_documents(struct flow *fl, struct doc_record **records, struct prepared *files, size_t n,
			struct strbuf *err)
{
	struct work_new *items = xcalloc(n + 1, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		const struct found_file *f = files[i].f;
		items[i] = (struct work_new){ records[i] ? records[i]->id : 0,
					      f->root,
					      f->relpath,
					      f->source,
					      f->sha256,
					      f->size,
					      f->mtime };
	}
	char settings[SHA256_HEX_LEN + 1];
	settings_key(fl->cfg, settings);
	int rc = store_work_enqueue(fl->st, fl->run_id, settings, items, n, err);
	free(items);
	if (rc || !n)
		return rc;
	log_event(LOG_INFO, fl->run_id, NULL, "collect", "%zu document(s) queued for the workers", n);

	/* worker.in_run false: the run only waits (a coordinator on a small machine). */
	struct worker_stages all = { 1, 1 };
	if (strcmp(fl->cfg->worker.in_run, "true"))
		all = (struct worker_stages){ 0, 0 };
	char *name = xasprintf("run-%lld", fl->run_id);
	struct queue_worker *w = queue_worker_start(fl->st, fl->cfg, name, &all, err);
	free(name);
	if (!w)
		return -1;
	long long docs_failed_here = fl->stats.docs_failed;
	struct work_counts counts = { 0 }, seen = { -1, -1, -1, -1, -1, -1 };
	long long still_since = time_now_ms();
	struct outage outage = { 0 };
	int warned = 0;
	for (;;) {
		store_error_clear(fl->st);
		strbuf_reset(err);
		long long done = queue_worker_drain(w, fl->run_id, fl, err);
		if (done < 0 && !store_error_is_transient(fl->st)) {
			queue_worker_stop(&w);
			return -1;
		}
		int failed = done < 0;
		if (pipeline_stop_requested()) {
			/*
			 * The queued ones wait for the next run, and so do those being
			 * worked on: the run ends, and their fenced saves with it.
			 */
			struct work_counts left = { 0 };
			if (!store_work_counts(fl->st, fl->run_id, &left, err))
				fl->not_done = (size_t)(left.queued + left.claimed);
			strbuf_reset(err);
			if (store_work_cancel(fl->st, fl->run_id, err)) {
				log_event(LOG_WARNING, fl->run_id, NULL, "worker", "%s", err->buf);
				strbuf_reset(err);
			}
			break;
		}
		if (!failed && store_work_counts(fl->st, fl->run_id, &counts, err)) {
			failed = 1;
		} else if (failed) {
			/* the drain's failure is the one said */
		} else if (!counts.queued && !counts.claimed) {
			break;
		} else if (memcmp(&counts, &seen, sizeof(counts))) {
			seen = counts;
			still_since = time_now_ms();
		} else if (!warned && time_now_ms() - still_since > 60000) {
			/* Nothing moved for a minute: say so once, in case no worker is there. */
			log_event(LOG_WARNING, fl->run_id, NULL, "worker",
				  "no document done for a minute: %lld queued (%lld of them waiting for "
				  "a worker that does OCR), %lld claimed; is a `ragops worker` running "
				  "with the run's settings? (`ragops workers`)",
				  counts.queued, counts.waiting_for_ocr, counts.claimed);
			warned = 1;
		}
		if (done <= 0 || failed)
			retry_wait(outage_wait(&outage, fl->cfg, fl->run_id, failed ? err->buf : NULL));
	}
	queue_worker_stop(&w);
	/* The figures of every worker's documents, from what they saved. */
	struct run_stats saved = { 0 };
	struct work_ocr ocr = { 0 };
	if (store_work_run_stats(fl->st, fl->run_id, &saved, &ocr, err))
		return -1;
	long long abandoned = 0;
	char *names = store_work_abandoned(fl->st, fl->run_id, &abandoned, err);
	if (abandoned) {
		char why[160];
		snprintf(why, sizeof(why),
			 "given up after %d attempts: each worker that took it died or could not save "
			 "it; the next run tries again",
			 WORK_MAX_ATTEMPTS);
		log_event(LOG_ERROR, fl->run_id, NULL, "worker", "%lld document(s) %s: %s", abandoned,
			  why, names);
		flow_add_failure(fl, names, "worker", why);
	}
	free(names);
	strbuf_reset(err);
	fl->stats.docs_failed = docs_failed_here + saved.docs_failed + abandoned;
	fl->stats.pages = saved.pages;
	fl->stats.pages_needing_ocr = saved.pages_needing_ocr;
	fl->stats.chunks = saved.chunks;
	fl->stats.chars = saved.chars;
	/* Every worker's pages; the stage's elapsed time is the run's own (its OCR, if any). */
	double wall = fl->ocr_stats.wall_seconds;
	fl->ocr_stats = (struct ocr_stats){ .pages = (int)ocr.pages,
					    .failed = (int)ocr.failed,
					    .flagged = (int)ocr.flagged,
					    .empty = (int)(ocr.pages - ocr.failed - ocr.read_pages),
					    .succeeded = (int)(ocr.read_pages - ocr.flagged),
					    .confidence_pages = (int)ocr.read_pages,
					    .confidence_sum = ocr.confidence_sum,
					    .cached = (int)ocr.cached,
					    .seconds = ocr.seconds,
					    .wall_seconds = wall };
	return 0;
}

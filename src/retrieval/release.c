/*
 * Loaded releases; see release.h.
 */
#include "retrieval/release.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "learn/learned.h"
#include "learn/artefact.h"
#include "retrieval/lexicon.h"
#include "retrieval/vectors.h"
#include "store/store.h"

struct slot {
	pthread_mutex_t lock;
	pthread_cond_t loaded;
	struct release_hold *current;
	long long loading; /* the release a thread is loading, 0 when none */
};

struct release_hold {
	struct slot *slot;
	struct release_view *view;
	int refs; /* under slot->lock; the slot's own pointer counts as one */
};

/*
 * Two slots: one follows production, one holds a release asked for by id
 * (a candidate the gate measures, `--release`), so that measuring another
 * release in `serve` never unloads the one that answers.
 */
static struct slot production_slot = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0 };
static struct slot other_slot = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0 };

static void release_view_free(struct release_view *v)
{
	if (!v)
		return;
	lexicon_close(v->lx);
	vectors_free(v->vi);
	learned_free(v->learned);
	release_record_release(&v->record);
	pthread_mutex_destroy(&v->vectors_lock);
	free(v);
}

/* The lexicon of r, if it indexes exactly r's chunks; else NULL and why. */
static struct lexicon *open_lexicon(struct store *st, const struct config *cfg,
				    const struct release_record *r, struct release_view *v)
{
	struct strbuf err = STRBUF_INIT;
	struct lexicon *lx = NULL;
	long long *ids = NULL;
	size_t n = 0;
	if (!r->lexicon_path) {
		snprintf(v->lexicon_problem, sizeof(v->lexicon_problem), "release %lld has no lexicon",
			 r->id);
		return NULL;
	}
	char *path = artefact_local(st, cfg, r->lexicon_path, &err);
	lx = path ? lexicon_open(path, &err) : NULL;
	free(path);
	if (!lx && store_keeps_artefacts(st)) {
		/* This machine's copy is damaged: the store keeps the good one. */
		struct strbuf why = STRBUF_INIT;
		path = artefact_fetch_again(st, cfg, r->lexicon_path, &why);
		lx = path ? lexicon_open(path, &why) : NULL;
		if (lx)
			log_event(
				LOG_WARNING, 0, NULL, "release",
				"the local copy of %s was unreadable (%s): fetched again from the store",
				r->lexicon_path, err.buf);
		else
			strbuf_addf(&err, "; fetched again from the store: %s", why.buf);
		free(path);
		strbuf_release(&why);
	}
	if (lx && !store_release_chunk_ids(st, r->id, &ids, &n, &err) && !lexicon_matches(lx, ids, n)) {
		strbuf_addf(&err, "the lexicon %s does not index release %lld's chunks",
			    r->lexicon_version, r->id);
		lexicon_close(lx);
		lx = NULL;
	}
	if (!lx)
		snprintf(v->lexicon_problem, sizeof(v->lexicon_problem), "%s", err.buf);
	free(ids);
	strbuf_release(&err);
	return lx;
}

/*
 * The vectors of r, into v (under v->vectors_lock).  A model that cannot be
 * used leaves the release answering by BM25 (health says why); a store
 * that cannot be read is an error, tried again by the next question.
 */
static int load_vectors(struct store *st, const struct config *cfg, struct release_view *v,
			const struct vector_index *from, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	int unusable, ret = 0;
	/* Written once, when loaded: a question may hold the view's vi after the lock. */
	struct vector_index *vi = vectors_load(st, cfg, &v->record, from, &unusable, &why);
	if (vi)
		v->vi = vi;
	if (v->vi || unusable > 0)
		v->vectors_tried = 1;
	if (v->vi)
		v->vectors_problem[0] = '\0'; /* a reason from an earlier try is past */
	if (unusable < 0) {
		/* No library, for now: BM25 this time, the vectors tried again by the next question. */
		if (strncmp(v->vectors_problem, why.buf, sizeof(v->vectors_problem) - 1)) {
			log_event(LOG_WARNING, 0, NULL, "release",
				  "release %lld answers by BM25 alone for now: %s", v->id, why.buf);
			snprintf(v->vectors_problem, sizeof(v->vectors_problem), "%s", why.buf);
		}
	} else if (!v->vi && unusable) {
		snprintf(v->vectors_problem, sizeof(v->vectors_problem), "%s", why.buf);
		log_event(LOG_WARNING, 0, NULL, "release", "release %lld answers by BM25 alone: %s",
			  v->id, why.buf);
	} else if (!v->vi) {
		strbuf_addstr(err, why.buf);
		ret = -1;
	}
	strbuf_release(&why);
	return ret;
}

const struct vector_index *release_vectors(const struct release_view *view, struct store *st,
					   const struct config *cfg, struct strbuf *err)
{
	/* The view is shared and immutable but for this cache, filled once under its lock. */
	struct release_view *v = (struct release_view *)view;
	if (!v->record.embedder_id)
		return NULL;
	pthread_mutex_lock(&v->vectors_lock);
	int rc = v->vectors_tried ? 0 : load_vectors(st, cfg, v, NULL, err);
	const struct vector_index *vi = v->vi;
	pthread_mutex_unlock(&v->vectors_lock);
	return rc ? (const struct vector_index *)-1 : vi;
}

void release_vectors_problem(const struct release_view *view, char *out, size_t len)
{
	struct release_view *v = (struct release_view *)view;
	pthread_mutex_lock(&v->vectors_lock);
	snprintf(out, len, "%s", v->vectors_problem);
	pthread_mutex_unlock(&v->vectors_lock);
}

/*
 * eager: the vectors now (a background load, so that no question waits for
 * them), borrowing those `from` (the release loaded before) shares.
 */
static struct release_view *release_view_load(struct store *st, const struct config *cfg,
					      struct release_record *r, int eager,
					      const struct vector_index *from, struct strbuf *err)
{
	struct release_view *v = xcalloc(1, sizeof(*v));
	pthread_mutex_init(&v->vectors_lock, NULL);
	v->record = *r;
	memset(r, 0, sizeof(*r)); /* the view owns it now */
	v->id = v->record.id;
	v->chunks = v->record.chunks;
	if (v->record.embedder_version)
		snprintf(v->embedder, sizeof(v->embedder), "%s", v->record.embedder_version);
	if (!strcmp(cfg->retrieve.bm25_index, "lexicon"))
		v->lx = open_lexicon(st, cfg, &v->record, v);
	if (learned_load(st, cfg, v->id, &v->learned, err)) {
		release_view_free(v);
		return NULL;
	}
	if (eager && v->record.embedder_id && load_vectors(st, cfg, v, from, err)) {
		release_view_free(v);
		return NULL;
	}
	return v;
}

static struct release_view *load(struct store *st, const struct config *cfg, long long id, int eager,
				 const struct vector_index *from, int *none, struct strbuf *err)
{
	struct release_record r;
	enum lookup got = store_release_get(st, id, &r, err);
	*none = got == LOOKUP_MISSING;
	if (got != LOOKUP_FOUND)
		return NULL;
	struct release_view *v = release_view_load(st, cfg, &r, eager, from, err);
	release_record_release(&r);
	return v;
}

static void put_locked(struct release_hold *h, struct release_view **to_free)
{
	if (h && --h->refs == 0) {
		*to_free = h->view;
		free(h);
	}
}

void release_put(struct release_hold *h)
{
	struct release_view *dead = NULL;
	if (!h)
		return;
	struct slot *slot = h->slot;
	pthread_mutex_lock(&slot->lock);
	put_locked(h, &dead);
	pthread_mutex_unlock(&slot->lock);
	release_view_free(dead); /* outside the lock: unmapping takes time */
}

/* Make `v` the slot's release (the caller holds the lock); *dead gets the one it replaces. */
static struct release_hold *publish_locked(struct slot *slot, struct release_view *v,
					   struct release_view **dead)
{
	struct release_hold *h = xcalloc(1, sizeof(*h));
	h->slot = slot;
	h->view = v;
	h->refs = 1; /* the slot's */
	put_locked(slot->current, dead);
	slot->current = h;
	return h;
}

/*
 * Load release `id` into `slot` with the caller's store, published to
 * waiters; with `hold`, the caller takes a reference at once (before any
 * other switch can replace it).
 */
static struct release_view *load_into(struct slot *slot, struct store *st, const struct config *cfg,
				      long long id, int *none, struct release_hold **hold,
				      struct strbuf *err)
{
	double t0 = time_mono();
	/*
	 * In the background (no hold wanted), the vectors too, so that no
	 * question waits for them, borrowing what the release before holds.
	 */
	struct release_hold *from = NULL;
	const struct vector_index *lent = NULL;
	if (!hold) {
		pthread_mutex_lock(&slot->lock);
		from = slot->current;
		if (from)
			from->refs++; /* kept alive while its vectors are read */
		pthread_mutex_unlock(&slot->lock);
	}
	if (from) {
		/* Only vectors already loaded are lent: once loaded they never change. */
		pthread_mutex_lock(&from->view->vectors_lock);
		lent = from->view->vectors_tried ? from->view->vi : NULL;
		pthread_mutex_unlock(&from->view->vectors_lock);
	}
	struct release_view *v = load(st, cfg, id, !hold, lent, none, err);
	struct release_view *dead = NULL;
	release_put(from);
	pthread_mutex_lock(&slot->lock);
	long long before = slot->current ? slot->current->view->id : 0;
	slot->loading = 0;
	if (v) {
		struct release_hold *h = publish_locked(slot, v, &dead);
		if (hold) {
			h->refs++;
			*hold = h;
		}
	}
	pthread_cond_broadcast(&slot->loaded);
	pthread_mutex_unlock(&slot->lock);
	/* A switch in a long-lived process (serve, a run's gate) is worth a line; a first load is not. */
	if (v && before)
		log_event(LOG_INFO, 0, NULL, "release",
			  "loaded release %lld (%lld chunks) in %.0f ms, "
			  "replacing release %lld",
			  id, v->chunks, (time_mono() - t0) * 1000, before);
	release_view_free(dead);
	return v;
}

struct background_load {
	const struct config *cfg;
	long long id;
};

/*
 * Production moved: the new release loads on a thread of its own, with a
 * store connection of its own, while every request (the one that noticed
 * included) goes on answering from the old release: a switch costs no
 * question a wait.
 */
static void *load_in_background(void *arg)
{
	struct background_load *job = arg;
	struct store *st = NULL;
	struct strbuf err = STRBUF_INIT;
	int none;
	if (store_open(&st, config_store_location(job->cfg), &err) ||
	    !load_into(&production_slot, st, job->cfg, job->id, &none, NULL, &err)) {
		log_event(LOG_WARNING, 0, NULL, "release",
			  "cannot load release %lld: %s (the release "
			  "before keeps answering)",
			  job->id, err.buf);
		if (!st) {
			pthread_mutex_lock(&production_slot.lock);
			production_slot.loading = 0;
			pthread_cond_broadcast(&production_slot.loaded);
			pthread_mutex_unlock(&production_slot.lock);
		}
	}
	store_close(&st);
	strbuf_release(&err);
	free(job);
	return NULL;
}

/* Start loading `id` in the background (the caller holds the lock and set slot->loading). */
static int start_background_load(const struct config *cfg, long long id)
{
	pthread_t t;
	pthread_attr_t attr;
	struct background_load *job = xcalloc(1, sizeof(*job));
	job->cfg = cfg;
	job->id = id;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, load_in_background, job);
	pthread_attr_destroy(&attr);
	if (rc)
		free(job);
	return rc;
}

static enum lookup hold_current(struct slot *slot, const struct release_view **out,
				struct release_hold **hold)
{
	*hold = slot->current;
	(*hold)->refs++;
	*out = (*hold)->view;
	pthread_mutex_unlock(&slot->lock);
	return LOOKUP_FOUND;
}

enum lookup release_get(struct store *st, const struct config *cfg, long long id,
			const struct release_view **out, struct release_hold **hold, struct strbuf *err)
{
	int production = id == 0;
	*out = NULL;
	*hold = NULL;
	if (production) {
		id = store_release_production_id(st, err);
		if (id <= 0)
			return id < 0 ? LOOKUP_FAILED : LOOKUP_MISSING;
	}
	struct slot *slot = production ? &production_slot : &other_slot;
	pthread_mutex_lock(&slot->lock);
	for (;;) {
		struct release_hold *cur = slot->current;
		if (cur && cur->view->id == id)
			return hold_current(slot, out, hold);
		/* Production moved: the release before answers until the new one is loaded. */
		if (production && cur && slot->loading == id)
			return hold_current(slot, out, hold);
		if (production && cur && !slot->loading) {
			slot->loading = id;
			if (start_background_load(cfg, id) == 0)
				return hold_current(slot, out, hold);
			slot->loading = 0; /* no thread: load it here */
		}
		if (!slot->loading)
			break;
		pthread_cond_wait(&slot->loaded, &slot->lock);
	}
	slot->loading = id;
	pthread_mutex_unlock(&slot->lock);

	int none = 0;
	struct release_view *v = load_into(slot, st, cfg, id, &none, hold, err);
	if (!v) {
		if (none)
			strbuf_addf(err, "no release %lld", id);
		return none ? LOOKUP_MISSING : LOOKUP_FAILED;
	}
	*out = v;
	return LOOKUP_FOUND;
}

void release_forget(long long id)
{
	struct release_view *dead = NULL;
	pthread_mutex_lock(&other_slot.lock);
	if (other_slot.current && other_slot.current->view->id == id && !other_slot.loading) {
		put_locked(other_slot.current, &dead);
		other_slot.current = NULL;
	}
	pthread_mutex_unlock(&other_slot.lock);
	release_view_free(dead);
}

/*
 * The store's releases, a part of store.h (which includes it here): a
 * release is a set of document versions with the lexicon and embedder
 * built for them; promotion, rollback, their history, the gate's records,
 * and the collection of what no release holds.
 */
#ifndef STORE_STORE_RELEASES_H
#define STORE_STORE_RELEASES_H

#include "store/store.h"

/*
 * A release is an immutable index version: a set of document versions
 * (and so of chunks), the lexicon and embedder built for them, the
 * settings they were made with, and the gate's figures.  Serving reads the
 * release in production; chunks are shared between releases, never copied.
 */
struct release_record {
	long long id, run_id, parent_id, previous_id; /* 0 when none */
	long long created_at, decided_at;             /* decided_at 0 while a candidate */
	long long documents, chunks;
	long long lexicon_id, embedder_id;           /* 0 when none */
	char *state;                                 /* candidate | production | refused | archived */
	char *settings, *changes, *metrics, *checks; /* JSON */
	char *eval_key; /* what the metrics were measured with (golden sets, settings) */
	char *lexicon_path, *lexicon_version; /* NULL without a lexicon */
	char *embedder_name, *embedder_version, *embedder_path, *embedder_params;
};
void release_record_release(struct release_record *r);
void release_records_free(struct release_record *r, size_t n);

/* Release `id`, or the production one for 0. */
enum lookup store_release_get(struct store *st, long long id, struct release_record *out,
			      struct strbuf *err);
/* The newest release, whatever its state. */
enum lookup store_release_latest(struct store *st, struct release_record *out, struct strbuf *err);
/* Newest first; limit 0: all. */
int store_releases_list(struct store *st, unsigned limit, struct release_record **out, size_t *n,
			struct strbuf *err);
/* The production release's id, 0 when none, -1 on error (one index lookup: asked per request). */
long long store_release_production_id(struct store *st, struct strbuf *err);

/* Whether release `id` holds exactly the documents' current versions, into *current. */
int store_release_is_current(struct store *st, long long id, int *current, struct strbuf *err);
/*
 * A candidate holding the documents' current versions, made by `run_id`
 * over `parent_id` (0: none), with what changed against the parent;
 * returns its id or -1.
 */
long long store_release_create(struct store *st, long long run_id, long long parent_id,
			       const char *settings_json, struct strbuf *err);
int store_release_set_models(struct store *st, long long id, long long lexicon_id, long long embedder_id,
			     struct strbuf *err);
/* The gate's figures (JSON object), checks (JSON array) and what they were measured with. */
int store_release_set_verdict(struct store *st, long long id, const char *metrics, const char *checks,
			      const char *eval_key, struct strbuf *err);

/* Who did it and why, for the audit trail. */
struct release_action {
	const char *actor;  /* the Unix user, "api", "gate" */
	const char *reason; /* NULL when none given */
	int forced;         /* the quality gate was skipped */
};
/* What became of a change of production or of a release's state; err says why it was not made. */
enum store_release_change {
	STORE_RELEASE_CHANGED = 0,
	STORE_RELEASE_NO_SUCH = 1, /* no such release; for a rollback, none to go back to */
	STORE_RELEASE_ALREADY = 2, /* promote: it is in production already */
	STORE_RELEASE_MOVED = 3,   /* promote: production is no longer `expected_from` */
	STORE_RELEASE_DECIDED = 4, /* refuse: it is neither a candidate nor refused now */
	STORE_RELEASE_FAILED = -1,
};
/*
 * Put release `id` in production in one transaction: the release there
 * before is archived and remembered as where a rollback returns; the
 * models follow; audited.  With expected_from >= 0, only if production is
 * still that release (0: none), else STORE_RELEASE_MOVED (someone moved
 * it meanwhile).
 */
enum store_release_change store_release_promote(struct store *st, long long id, long long expected_from,
						const struct release_action *a, struct strbuf *err);
/* The gate said no (to a candidate, or again to a refused one); audited. */
enum store_release_change store_release_refuse(struct store *st, long long id,
					       const struct release_action *a, struct strbuf *err);
/* A candidate whose run died and whose documents have changed since: archived. */
int store_release_abandon(struct store *st, long long id, struct strbuf *err);
/*
 * Production goes back to the release it replaced, in one transaction,
 * audited; *from and *to say which.
 */
enum store_release_change store_release_rollback(struct store *st, const struct release_action *a,
						 long long *from, long long *to, struct strbuf *err);

struct release_event {
	long long id, at, from_id, to_id; /* 0 when none */
	char *action;                     /* promote | rollback | refuse */
	char *actor, *reason;
	int forced;
};
/* Events touching release `release_id` (0: all), newest first; limit 0: all. */
int store_release_events(struct store *st, long long release_id, unsigned limit,
			 struct release_event **out, size_t *n, struct strbuf *err);
void release_events_free(struct release_event *e, size_t n);

/* A release's chunks, ascending ids; with `without_model`, only those without its vector. */
int store_release_chunks(struct store *st, long long id, long long without_model,
			 struct chunk_text **out, size_t *n, struct strbuf *err);
/* Whether release `id` holds a document at `relpath` (as ask cites it). */
enum lookup store_release_has_document(struct store *st, long long id, const char *relpath,
				       struct strbuf *err);
/* A digest of the paths of a release's documents as they are now (renames change it). */
int store_release_paths_digest(struct store *st, long long id, char out[65], struct strbuf *err);
/* The ids of a release's chunks, ascending. */
int store_release_chunk_ids(struct store *st, long long id, long long **ids, size_t *n,
			    struct strbuf *err);
/* Vectors of `model_id` for a release's chunks: ids[n] ascending, vectors[n * dim]. */
int store_release_vectors(struct store *st, long long id, long long model_id, int dim, long long **ids,
			  float **vectors, size_t *n, struct strbuf *err);

/* Vectors of `model_id` for given chunks, into vectors[n * dim]; found[i] says which were there. */
int store_vectors_get(struct store *st, long long model_id, int dim, const long long *ids, size_t n,
		      float *vectors, unsigned char *found, struct strbuf *err);

/* What the structural checks count on a release. */
struct release_structure {
	long long chunk_rows;  /* chunks found for its versions */
	long long empty_docs;  /* versions without chunks and without pages awaiting OCR */
	long long fts_missing; /* chunks with no full-text row */
	long long empty_chunks, long_chunks;
	long long ocr_pages, weak_pages;
};
/* (The vectors are counted as they are loaded: see pipeline/validate.c.) */
int store_release_structure(struct store *st, long long id, unsigned max_chars,
			    struct release_structure *out, struct strbuf *err);

struct release_gc {
	long long releases, versions, models; /* removed */
	char **files; /* model files no longer registered, relative to the data folder */
	size_t nfiles;
};
/*
 * Remove archived and refused releases beyond the `keep` newest (never
 * production or the release it replaced), then the document versions,
 * chunks, vectors and models no release or document holds.
 */
int store_releases_gc(struct store *st, unsigned keep, struct release_gc *out, struct strbuf *err);
void release_gc_release(struct release_gc *gc);

#endif

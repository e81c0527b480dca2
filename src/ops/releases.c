/*
 * Releases as JSON, promotion through the gate; see releases.h.
 */
#include "ops/releases.h"

#include "core/xalloc.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json.h"
#include "core/utf8.h"
#include "pipeline/validate.h"

/*
 * Stored JSON (SQLite wrote it; a file name from an old archive may hold
 * bytes that are not UTF-8, which jansson refuses): repaired, then parsed.
 */
static json_t *parsed(const char *text, json_t *fallback)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	if (!j && text) {
		struct strbuf fixed = STRBUF_INIT;
		utf8_repair(text, strlen(text), &fixed);
		j = json_loads(fixed.buf, 0, NULL);
		strbuf_release(&fixed);
	}
	if (j) {
		json_decref(fallback);
		return j;
	}
	return fallback;
}

static json_t *id_or_null(long long id)
{
	return id ? json_integer(id) : json_null();
}

static json_t *events_json(const struct release_event *e, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr,
				      json_pack("{s:I, s:s, s:o, s:I, s:o, s:o, s:o, s:b, s:o}", "id",
						(json_int_t)e[i].id, "action", e[i].action, "at",
						json_time(e[i].at), "at_ms", (json_int_t)e[i].at, "from",
						id_or_null(e[i].from_id), "to", id_or_null(e[i].to_id),
						"by", json_str(e[i].actor), "forced", e[i].forced,
						"reason", json_str(e[i].reason)));
	return arr;
}

json_t *release_to_json(struct store *st, const struct release_record *r, int with_detail)
{
	json_t *j = json_pack(
		"{s:I, s:s, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:I, s:I, s:{s:o, s:o}, s:o}", "id",
		(json_int_t)r->id, "state", r->state, "run_id", id_or_null(r->run_id), "parent_id",
		id_or_null(r->parent_id), "previous_id", id_or_null(r->previous_id), "created_at",
		json_time(r->created_at), "created_at_ms", (json_int_t)r->created_at, "decided_at",
		json_time(r->decided_at), "changes", parsed(r->changes, json_object()), "documents",
		(json_int_t)r->documents, "chunks", (json_int_t)r->chunks, "models", "lexicon",
		json_str(r->lexicon_version), "embedder", json_str(r->embedder_version), "metrics",
		parsed(r->metrics, json_object()));
	if (with_detail) {
		struct release_event *ev = NULL;
		size_t nev = 0;
		struct strbuf err = STRBUF_INIT;
		json_object_set_new(j, "checks", parsed(r->checks, json_array()));
		json_object_set_new(j, "settings", parsed(r->settings, json_object()));
		if (!store_release_events(st, r->id, 0, &ev, &nev, &err))
			json_object_set_new(j, "history", events_json(ev, nev));
		release_events_free(ev, nev);
		strbuf_release(&err);
	}
	return j;
}

int releases_json(struct store *st, unsigned limit, json_t **out, struct strbuf *err)
{
	struct release_record *r = NULL;
	size_t n = 0;
	*out = NULL;
	if (store_releases_list(st, limit, &r, &n, err))
		return -1;
	*out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(*out, release_to_json(st, &r[i], 0));
	release_records_free(r, n);
	return 0;
}

enum lookup release_detail_json(struct store *st, long long id, json_t **out, struct strbuf *err)
{
	struct release_record r;
	*out = NULL;
	enum lookup got = store_release_get(st, id, &r, err);
	if (got != LOOKUP_FOUND)
		return got;
	*out = release_to_json(st, &r, 1);
	release_record_release(&r);
	return LOOKUP_FOUND;
}

/* The ids of the kept releases that hold model `id`. */
/* The releases holding model `id`: as lexicon, embedder or learned model (learned[i] of r[i]). */
static json_t *holders(const struct release_record *r, size_t n, struct release_model **learned,
		       const size_t *nlearned, long long id)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		int holds = r[i].lexicon_id == id || r[i].embedder_id == id;
		for (size_t k = 0; k < nlearned[i] && !holds; k++)
			holds = learned[i][k].model.id == id;
		if (holds)
			json_array_append_new(arr, json_integer(r[i].id));
	}
	return arr;
}

int models_json(struct store *st, json_t **out, struct strbuf *err)
{
	struct model_record *m = NULL;
	struct release_record *r = NULL;
	size_t nm = 0, nr = 0;
	*out = NULL;
	if (store_models_list(st, &m, &nm, err) || store_releases_list(st, 0, &r, &nr, err)) {
		model_records_free(m, nm);
		return -1;
	}
	struct release_model **learned = xcalloc(nr + 1, sizeof(*learned));
	size_t *nlearned = xcalloc(nr + 1, sizeof(size_t));
	int ret = 0;
	for (size_t i = 0; i < nr && !ret; i++)
		ret = store_release_models(st, r[i].id, &learned[i], &nlearned[i], err);
	*out = ret ? NULL : json_array();
	for (size_t i = 0; i < nm && !ret; i++)
		json_array_append_new(
			*out, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
					"id", (json_int_t)m[i].id, "kind", m[i].kind, "name", m[i].name,
					"version", m[i].version, "state", m[i].state, "parent_id",
					id_or_null(m[i].parent_id), "path", json_str(m[i].path),
					"data_hash", json_str(m[i].data_hash), "parameters",
					parsed(m[i].params, json_object()), "metrics",
					parsed(m[i].metrics, json_object()), "created_at",
					json_time(m[i].created_at), "releases",
					holders(r, nr, learned, nlearned, m[i].id)));
	for (size_t i = 0; i < nr; i++)
		release_models_free(learned[i], nlearned[i]);
	free(learned);
	free(nlearned);
	model_records_free(m, nm);
	release_records_free(r, nr);
	return ret;
}

/* What the store's promotion means here (a refusal by the gate is decided before it). */
static enum promote_result promote_result_of(enum store_release_change rc)
{
	switch (rc) {
	case STORE_RELEASE_CHANGED:
		return PROMOTE_DONE;
	case STORE_RELEASE_NO_SUCH:
		return PROMOTE_NO_SUCH;
	case STORE_RELEASE_ALREADY:
		return PROMOTE_ALREADY;
	case STORE_RELEASE_MOVED:
		return PROMOTE_MOVED;
	case STORE_RELEASE_DECIDED: /* a refusal's outcome: not one of a promotion */
	case STORE_RELEASE_FAILED:
		break;
	}
	return PROMOTE_FAILED;
}

enum promote_result release_promote(struct store *st, const struct config *cfg, long long id,
				    const struct release_action *a, struct strbuf *message,
				    struct strbuf *err)
{
	struct release_record cand, prod;
	enum lookup got = store_release_get(st, id, &cand, err);
	if (got != LOOKUP_FOUND) {
		if (got == LOOKUP_MISSING)
			strbuf_addf(err, "no release %lld", id);
		return got == LOOKUP_MISSING ? PROMOTE_NO_SUCH : PROMOTE_FAILED;
	}
	if (!strcmp(cand.state, "production")) {
		strbuf_addf(err, "release %lld is already in production", id);
		release_record_release(&cand);
		return PROMOTE_ALREADY;
	}
	got = store_release_get(st, 0, &prod, err);
	if (got == LOOKUP_FAILED) {
		release_record_release(&cand);
		return PROMOTE_FAILED;
	}
	int has_prod = got == LOOKUP_FOUND;
	struct gate g;
	enum promote_result ret = PROMOTE_FAILED;
	if (gate_run(st, cfg, &cand, has_prod ? &prod : NULL, a->forced, &g, err))
		goto cleanup;
	gate_summary(&g, message);
	if (!g.structural_ok || !g.quality_ok) {
		ret = PROMOTE_REFUSED;
		goto cleanup;
	}
	/* Checked against this production: if another process moved it meanwhile, nothing changes. */
	ret = promote_result_of(store_release_promote(st, id, has_prod ? prod.id : 0, a, err));
cleanup:
	gate_release(&g);
	release_record_release(&cand);
	if (has_prod)
		release_record_release(&prod);
	return ret;
}

const char *release_actor_user(void)
{
	struct passwd *pw = getpwuid(geteuid());
	return pw && pw->pw_name ? pw->pw_name : "unknown";
}

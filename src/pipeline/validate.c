/*
 * The release gate; see validate.h.
 */
#include "pipeline/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer/answer.h"
#include "core/hash.h"
#include "core/xalloc.h"
#include "learn/artefact.h"
#include "learn/embedder.h"
#include "learn/learned.h"
#include "ops/eval.h"
#include "retrieval/lexicon.h"
#include "retrieval/release.h"
#include "retrieval/vectors.h"

static struct gate_check *add_check(struct gate *g, const char *name, int ok, int quality)
{
	ALLOC_GROW(g->checks, g->n + 1, g->alloc);
	struct gate_check *c = &g->checks[g->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->ok = ok;
	c->quality = quality;
	if (!ok) {
		if (quality)
			g->quality_ok = 0;
		else
			g->structural_ok = 0;
	}
	return c;
}

__attribute__((format(printf, 2, 3))) static void detail(struct gate_check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void figure(struct gate_check *c, double value, double threshold)
{
	c->has_value = 1;
	c->value = value;
	c->threshold = threshold;
}

/* The lexicon file opens and indexes exactly the release's chunks. */
static void check_lexicon(struct store *st, const struct config *cfg, const struct release_record *r,
			  struct gate *g)
{
	struct strbuf err = STRBUF_INIT;
	long long *ids = NULL;
	size_t n = 0;
	struct lexicon *lx = NULL;
	if (r->lexicon_path) {
		char *path = artefact_local(st, cfg, r->lexicon_path, &err);
		lx = path ? lexicon_open(path, &err) : NULL;
		free(path);
	} else {
		strbuf_addstr(&err, "no lexicon was built (see the run's lexicon task)");
	}
	int ok = lx && !store_release_chunk_ids(st, r->id, &ids, &n, &err) &&
		 lexicon_matches(lx, ids, n);
	struct gate_check *c = add_check(g, "lexicon", ok, 0);
	if (ok)
		detail(c, "%s indexes the %zu chunks", r->lexicon_version, n);
	else if (lx && !err.len)
		detail(c, "%s indexes %zu chunks, not the release's %zu", r->lexicon_version,
		       lexicon_chunks(lx), n);
	else
		detail(c, "%s", err.buf);
	lexicon_close(lx);
	free(ids);
	strbuf_release(&err);
}

/* The embedder's vector size in bytes, 0 when unknown. */
static int vector_bytes(const struct config *cfg, const struct release_record *r)
{
	if (!r->embedder_id)
		return 0;
	if (r->embedder_params) {
		json_t *p = json_loads(r->embedder_params, 0, NULL);
		int dim = (int)json_integer_value(json_object_get(p, "dim"));
		json_decref(p);
		if (dim > 0)
			return dim * (int)sizeof(float);
	}
	return 0;
}

/* The built-in embedder's file reads (questions are embedded with it); an endpoint's has none. */
static int embedder_loads(struct store *st, const struct config *cfg, const struct release_record *r,
			  struct strbuf *why)
{
	if (!r->embedder_id || !r->embedder_name || !strcmp(r->embedder_name, "openai"))
		return 1;
	char *path = artefact_local(st, cfg, r->embedder_path, why);
	struct embedder *e = path ? embedder_load(path, why) : NULL;
	free(path);
	embedder_free(e);
	return e != NULL;
}

/* The vectors the release's check recorded when it was built ("value"), or -1. */
static long long recorded_vectors(const struct release_record *r)
{
	json_t *checks = json_loads(r->checks ? r->checks : "", 0, NULL), *c;
	long long n = -1;
	size_t i;
	json_array_foreach(checks, i, c)
	{
		const char *name = json_string_value(json_object_get(c, "check"));
		if (name && !strcmp(name, "vectors") && json_is_true(json_object_get(c, "ok")) &&
		    json_is_number(json_object_get(c, "value")))
			n = (long long)json_number_value(json_object_get(c, "value"));
	}
	json_decref(checks);
	return n;
}

/*
 * How many of the release's chunks have a vector of its model's size: read
 * by loading the release as questions will (the gate's golden questions
 * then use the loaded vectors, not a second read).  For a release already
 * checked when it was built, promoted by force, the recorded count stands:
 * chunks and vectors never change (only retention removes them, with the
 * release).
 */
static int count_vectors(struct store *st, const struct config *cfg, const struct release_record *r,
			 int recheck, long long *n, int *dim, struct strbuf *err)
{
	*n = recheck ? recorded_vectors(r) : -1;
	*dim = vector_bytes(cfg, r) / (int)sizeof(float);
	if (*n >= 0)
		return 0;
	const struct release_view *view;
	struct release_hold *hold;
	if (release_get(st, cfg, r->id, &view, &hold, err) != LOOKUP_FOUND)
		return -1;
	int rc = 0;
	const struct vector_index *vi = release_vectors(view, st, cfg, err);
	if (vi == (const struct vector_index *)-1)
		rc = -1;
	else
		*n = vi && vi->dim == *dim ? (long long)vi->n : 0;
	release_put(hold);
	return rc;
}

/* What the release learned from feedback loads as a question would load it. */
static int check_learned(struct store *st, const struct config *cfg, const struct release_record *r,
			 struct gate *g)
{
	struct strbuf why = STRBUF_INIT;
	struct release_model *models = NULL;
	size_t n = 0;
	if (store_release_models(st, r->id, &models, &n, &why)) {
		strbuf_release(&why);
		return -1;
	}
	release_models_free(models, n);
	if (!n)
		return 0;
	struct learned *l = NULL;
	int rc = learned_load(st, cfg, r->id, &l, &why);
	struct gate_check *c = add_check(g, "learned models", rc == 0, 0);
	if (rc)
		detail(c, "%s", why.buf);
	else {
		struct strbuf names = STRBUF_INIT;
		for (int k = 0; k < 4; k++)
			if (l->versions[k][0])
				strbuf_addf(&names, "%s%s", names.len ? ", " : "", l->versions[k]);
		detail(c, "%zu model%s load%s: %s", n, n == 1 ? "" : "s", n == 1 ? "s" : "", names.buf);
		strbuf_release(&names);
	}
	learned_free(l);
	strbuf_release(&why);
	return 0;
}

static int check_structure(struct store *st, const struct config *cfg, const struct release_record *r,
			   const struct release_record *prod, int recheck, struct gate *g,
			   struct strbuf *err)
{
	struct release_structure s;
	long long vectors = 0;
	int dim = 0;
	if (store_release_structure(st, r->id, cfg->validate.max_chunk_chars, &s, err) ||
	    (r->embedder_id && count_vectors(st, cfg, r, recheck, &vectors, &dim, err)))
		return -1;
	/* An empty release where production has documents is an inbox gone, not a library emptied. */
	int emptied = r->documents == 0 && prod && prod->documents > 0;
	struct gate_check *c = add_check(g, "documents", s.empty_docs == 0 && !emptied, 0);
	figure(c, (double)s.empty_docs, 0);
	if (emptied)
		detail(c,
		       "the release holds no document where release %lld holds %lld (an inbox not "
		       "mounted?): 'ragops deploy promote %lld --force' if that is what you want",
		       prod->id, prod->documents, r->id);
	else
		detail(c,
		       s.empty_docs ? "%lld documents have no chunk and no page waiting for OCR"
				    : "%lld documents, each with chunks or pages waiting for OCR",
		       s.empty_docs ? s.empty_docs : r->documents);
	c = add_check(g, "chunks", s.chunk_rows == r->chunks, 0);
	figure(c, (double)s.chunk_rows, (double)r->chunks);
	detail(c, "%lld chunk rows for %lld recorded", s.chunk_rows, r->chunks);
	c = add_check(g, "full-text index", s.fts_missing == 0, 0);
	figure(c, (double)s.fts_missing, 0);
	detail(c, "%lld chunks missing from the full-text index", s.fts_missing);
	check_lexicon(st, cfg, r, g);
	if (check_learned(st, cfg, r, g)) {
		strbuf_addstr(err, "cannot read the release's models");
		return -1;
	}
	/*
	 * Every chunk has its vector, or there are none at all where production
	 * has none either (too few chunks to train on, no endpoint yet): then
	 * answers use BM25 alone, as they did.
	 */
	int prod_vectors = prod && prod->embedder_id;
	struct strbuf why = STRBUF_INIT;
	int loads = embedder_loads(st, cfg, r, &why);
	int vectors_ok = r->embedder_id ? vectors == s.chunk_rows && dim > 0 && loads
					: !prod_vectors || s.chunk_rows == 0;
	c = add_check(g, "vectors", vectors_ok, 0);
	figure(c, (double)vectors, (double)s.chunk_rows);
	if (!loads)
		detail(c, "the embedder does not load: %s", why.buf);
	else if (!r->embedder_id && vectors_ok)
		detail(c, "no vectors, none in production either: answers use BM25 alone");
	else if (!r->embedder_id)
		detail(c, "no vectors, where release %lld has %s's (see the run's embed task)", prod->id,
		       prod->embedder_version);
	else
		detail(c, "%lld of %lld chunks have a %s vector of %d dimensions", vectors, s.chunk_rows,
		       r->embedder_version, dim);
	strbuf_release(&why);
	c = add_check(g, "chunk sizes", !s.empty_chunks && !s.long_chunks, 0);
	detail(c, "%lld empty, %lld over validate.max_chunk_chars (%u)", s.empty_chunks, s.long_chunks,
	       cfg->validate.max_chunk_chars);
	double weak = s.ocr_pages ? (double)s.weak_pages / (double)s.ocr_pages : 0;
	c = add_check(g, "weak OCR pages", weak <= cfg->validate.max_weak_page_share, 0);
	figure(c, weak, cfg->validate.max_weak_page_share);
	detail(c, "%lld of %lld OCR pages weak", s.weak_pages, s.ocr_pages);
	return 0;
}

/* The configured golden sets as one; *skipped when only the default was asked and it is absent. */
static int load_golden(const struct config *cfg, struct golden_set *all, int *skipped,
		       struct strbuf *err)
{
	memset(all, 0, sizeof(*all));
	*skipped = 0;
	if (cfg->validate.golden_nr == 1 && !strcmp(cfg->validate.golden[0], VALIDATE_DEFAULT_GOLDEN) &&
	    access(VALIDATE_DEFAULT_GOLDEN, F_OK)) {
		*skipped = 1;
		return 0;
	}
	for (size_t i = 0; i < cfg->validate.golden_nr; i++)
		if (golden_load_more(cfg->validate.golden[i], all, err))
			return -1;
	return 0;
}

int gate_golden(const struct config *cfg, struct golden_set *all, struct strbuf *err)
{
	int skipped;
	return load_golden(cfg, all, &skipped, err);
}

/*
 * A golden set is about some corpus: when neither release holds any of the
 * documents its questions expect, it is about another one (the sample
 * corpus's questions asked of a user's library), and its unanswerable
 * questions would only measure luck.  Returns how many expected documents
 * were found, -1 on error.
 */
static long corpus_matches(struct store *st, const struct golden_set *set,
			   const struct release_record *cand, const struct release_record *prod,
			   struct strbuf *err)
{
	long found = 0;
	for (size_t i = 0; i < set->n; i++) {
		const char *doc = set->items[i].doc;
		if (!doc)
			continue;
		enum lookup in = store_release_has_document(st, cand->id, doc, err);
		if (in == LOOKUP_MISSING && prod)
			in = store_release_has_document(st, prod->id, doc, err);
		if (in == LOOKUP_FAILED)
			return -1;
		found += in == LOOKUP_FOUND;
	}
	return found;
}

int gate_measure(struct store *st, const struct config *cfg, const struct golden_set *set,
		 long long release, struct gate_figures *f, struct strbuf *err)
{
	return gate_measure_ranks(st, cfg, set, release, f, NULL, err);
}

int gate_measure_ranks(struct store *st, const struct config *cfg, const struct golden_set *set,
		       long long release, struct gate_figures *f, int *ranks, struct strbuf *err)
{
	struct eval_report rep;
	memset(f, 0, sizeof(*f));
	if (ranks)
		memset(ranks, 0, set->n * sizeof(int));
	f->release = release;
	enum ask_result rc = eval_run(st, cfg, set, cfg->retrieve.mode, release, 0, &rep, err);
	if (rc == ASK_NOT_READY) {
		/* An empty release answers nothing: every figure is zero. */
		strbuf_reset(err);
		f->questions = set->n;
		return 0;
	}
	if (rc != ASK_OK)
		return -1;
	f->questions = rep.questions;
	f->answerable = rep.answerable;
	f->unanswerable = rep.unanswerable;
	f->recall1 = rep.recall1;
	f->recall5 = rep.recall5;
	f->mrr = rep.mrr;
	f->abstention = rep.abstain_recall;
	for (size_t i = 0; ranks && i < set->n; i++)
		ranks[i] = rep.outcomes[i].rank;
	eval_report_release(&rep);
	return 0;
}

int gate_key(struct store *st, const struct config *cfg, long long release, char out[72],
	     struct strbuf *err)
{
	struct sha256_ctx *key = sha256_begin();
	for (size_t i = 0; i < cfg->validate.golden_nr; i++) {
		char hex[SHA256_HEX_LEN + 1];
		long long size;
		struct strbuf ignored = STRBUF_INIT;
		if (sha256_file(cfg->validate.golden[i], hex, &size, &ignored))
			snprintf(hex, sizeof(hex), "unreadable");
		strbuf_release(&ignored);
		sha256_update(key, hex, strlen(hex) + 1);
	}
	struct strbuf settings = STRBUF_INIT;
	config_section_fingerprint(cfg, "retrieve.", &settings);
	config_section_fingerprint(cfg, "answer.", &settings);
	config_section_fingerprint(cfg, "validate.", &settings);
	sha256_update(key, settings.buf, settings.len);
	strbuf_release(&settings);
	char paths[SHA256_HEX_LEN + 1];
	int rc = store_release_paths_digest(st, release, paths, err);
	sha256_update(key, paths, sizeof(paths));
	char hex[SHA256_HEX_LEN + 1];
	sha256_finish(key, hex);
	snprintf(out, 72, "%s", hex);
	return rc;
}

/*
 * Production's figures as recorded when it was validated with the same
 * golden sets, settings and document paths (a move changes what a golden
 * question's expected document is called).
 */
static int recorded_figures(struct store *st, const struct config *cfg,
			    const struct release_record *prod, struct gate_figures *f)
{
	char key[72];
	struct strbuf err = STRBUF_INIT;
	int same = !gate_key(st, cfg, prod->id, key, &err) && prod->eval_key &&
		   !strcmp(prod->eval_key, key);
	strbuf_release(&err);
	if (!same)
		return 0;
	json_t *m = json_loads(prod->metrics ? prod->metrics : "", 0, NULL);
	json_t *own = json_object_get(m, "figures");
	int ok = json_is_object(own);
	if (ok) {
		memset(f, 0, sizeof(*f));
		f->release = prod->id;
		f->questions = (size_t)json_integer_value(json_object_get(own, "questions"));
		f->answerable = (size_t)json_integer_value(json_object_get(own, "answerable"));
		f->unanswerable = (size_t)json_integer_value(json_object_get(own, "unanswerable"));
		f->recall1 = json_number_value(json_object_get(own, "recall_at_1"));
		f->recall5 = json_number_value(json_object_get(own, "recall_at_5"));
		f->mrr = json_number_value(json_object_get(own, "mrr"));
		f->abstention = json_number_value(json_object_get(own, "abstention_recall"));
	}
	json_decref(m);
	return ok;
}

void gate_compare(struct gate *g, const struct config *cfg, const char *set,
		  const struct gate_figures *before, const struct gate_figures *after)
{
	char name[32];
	const char *of = set ? set : "";
	const char *space = set ? " " : "";
	snprintf(name, sizeof(name), "%s%srecall@5", of, space);
	struct gate_check *c = add_check(g, name,
					 after->recall5 >=
						 before->recall5 - cfg->validate.max_recall_drop - 1e-9,
					 1);
	figure(c, after->recall5, before->recall5 - cfg->validate.max_recall_drop);
	detail(c, "%.3f → %.3f (max drop %.2f)", before->recall5, after->recall5,
	       cfg->validate.max_recall_drop);
	snprintf(name, sizeof(name), "%s%sMRR", of, space);
	c = add_check(g, name, after->mrr >= before->mrr - cfg->validate.max_mrr_drop - 1e-9, 1);
	figure(c, after->mrr, before->mrr - cfg->validate.max_mrr_drop);
	detail(c, "%.3f → %.3f (max drop %.2f)", before->mrr, after->mrr, cfg->validate.max_mrr_drop);
	if (after->unanswerable) {
		snprintf(name, sizeof(name), "%s%sabstention", of, space);
		c = add_check(g, name, after->abstention >= before->abstention - 1e-9, 1);
		figure(c, after->abstention, before->abstention);
		detail(c, "unanswerable questions declined: %.3f → %.3f (may not fall)",
		       before->abstention, after->abstention);
	}
}

static int check_quality(struct store *st, const struct config *cfg, const struct release_record *cand,
			 const struct release_record *prod, struct gate *g, struct strbuf *err)
{
	struct golden_set set;
	int skipped;
	if (gate_key(st, cfg, cand->id, g->eval_key, err))
		return -1;
	int rc = load_golden(cfg, &set, &skipped, err);
	if (rc) {
		struct gate_check *c = add_check(g, "golden set", 0, 1);
		detail(c, "%s", err->buf);
		strbuf_reset(err);
		return 0;
	}
	if (skipped || !set.n) {
		struct gate_check *c = add_check(g, "golden set", 1, 1);
		detail(c,
		       skipped ? "no golden set (%s is absent): quality not measured"
			       : "the golden sets hold no question: quality not measured",
		       VALIDATE_DEFAULT_GOLDEN);
		snprintf(g->note, sizeof(g->note), "no golden set");
		golden_release(&set);
		return 0;
	}
	int ret = -1;
	long matched = corpus_matches(st, &set, cand, prod, err);
	if (matched < 0)
		goto cleanup;
	if (!matched) {
		struct gate_check *c = add_check(g, "golden set", 1, 1);
		detail(c,
		       "no document the %zu golden questions expect is in this release or "
		       "production: they are about another corpus, quality not measured (set "
		       "validate.golden to questions about these documents)",
		       set.n);
		snprintf(g->note, sizeof(g->note), "the golden set is about another corpus");
		ret = 0;
		goto cleanup;
	}
	if (gate_measure(st, cfg, &set, cand->id, &g->candidate, err))
		goto cleanup;
	g->measured = 1;
	if (prod) {
		if (!recorded_figures(st, cfg, prod, &g->production) &&
		    gate_measure(st, cfg, &set, prod->id, &g->production, err))
			goto cleanup;
		g->compared = 1;
		gate_compare(g, cfg, NULL, &g->production, &g->candidate);
	} else {
		struct gate_check *c = add_check(g, "recall@5",
						 g->candidate.recall5 >=
							 cfg->validate.min_recall_at_5 - 1e-9,
						 1);
		figure(c, g->candidate.recall5, cfg->validate.min_recall_at_5);
		detail(c, "%.3f with no production to compare with (validate.min_recall_at_5 %.2f)",
		       g->candidate.recall5, cfg->validate.min_recall_at_5);
	}
	ret = 0;
cleanup:
	golden_release(&set);
	return ret;
}

int gate_run(struct store *st, const struct config *cfg, const struct release_record *cand,
	     const struct release_record *prod, int skip_quality, struct gate *g, struct strbuf *err)
{
	memset(g, 0, sizeof(*g));
	g->structural_ok = g->quality_ok = 1;
	if (check_structure(st, cfg, cand, prod, skip_quality, g, err))
		return -1;
	if (skip_quality) {
		struct gate_check *c = add_check(g, "quality", 1, 1);
		detail(c, "skipped (--force)");
		g->quality_skipped = 1;
		return 0;
	}
	/* A release that fails a structural check would be measured on broken parts. */
	if (!g->structural_ok)
		return 0;
	return check_quality(st, cfg, cand, prod, g, err);
}

void gate_release(struct gate *g)
{
	free(g->checks);
	memset(g, 0, sizeof(*g));
}

json_t *gate_checks_json(const struct gate *g)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < g->n; i++) {
		const struct gate_check *c = &g->checks[i];
		json_t *o = json_pack("{s:s, s:b, s:s, s:s}", "check", c->name, "ok", c->ok, "kind",
				      c->quality ? "quality" : "structure", "detail", c->detail);
		if (c->has_value) {
			json_object_set_new(o, "value", json_real(c->value));
			json_object_set_new(o, "threshold", json_real(c->threshold));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *gate_figures_json(const struct gate_figures *f)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f}", "release", (json_int_t)f->release,
			 "questions", (json_int_t)f->questions, "answerable", (json_int_t)f->answerable,
			 "unanswerable", (json_int_t)f->unanswerable, "recall_at_1", f->recall1,
			 "recall_at_5", f->recall5, "mrr", f->mrr, "abstention_recall", f->abstention);
}

json_t *gate_metrics_json(const struct gate *g)
{
	json_t *m = json_object();
	if (g->measured) {
		json_object_set_new(m, "figures", gate_figures_json(&g->candidate));
		json_object_set_new(m, "recall_at_5", json_real(g->candidate.recall5));
		json_object_set_new(m, "mrr", json_real(g->candidate.mrr));
	}
	if (g->compared)
		json_object_set_new(m, "production", gate_figures_json(&g->production));
	return m;
}

void gate_summary(const struct gate *g, struct strbuf *out)
{
	int failed = 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct gate_check *c = &g->checks[i];
		if (c->ok)
			continue;
		strbuf_addf(out, "%s%s: %s", failed++ ? "; " : "", c->name, c->detail);
	}
	if (failed)
		return;
	if (g->compared)
		strbuf_addf(out, "recall@5 %.2f → %.2f, MRR %.2f → %.2f", g->production.recall5,
			    g->candidate.recall5, g->production.mrr, g->candidate.mrr);
	else if (g->measured)
		strbuf_addf(out, "recall@5 %.2f, MRR %.2f", g->candidate.recall5, g->candidate.mrr);
	else if (g->quality_skipped)
		strbuf_addstr(out, "structural checks passed; quality gate skipped");
	else
		strbuf_addf(out, "structural checks passed; %s", g->note[0] ? g->note : "no golden set");
}

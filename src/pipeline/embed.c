/*
 * The embed stage; see embed.h.
 */
#include "pipeline/embed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "learn/embedder.h"
#include "learn/openai_embed.h"
#include "text/tokenize.h"

/* What the embedder reads of a chunk: its heading path, then its text. */
static char *chunk_input(const struct chunk_text *c)
{
	return xasprintf("%s\n\n%s", c->heading ? c->heading : "", c->text ? c->text : "");
}

static int embed_chunks(struct store *st, struct embedder *e, struct model_record *new_model,
			long long model_id, struct chunk_text *chunks, size_t n, struct strbuf *err)
{
	int dim = embedder_dim(e);
	long long *ids = xcalloc(n + 1, sizeof(long long));
	float *vectors = xcalloc((n + 1) * (size_t)dim, sizeof(float));
	struct tokenizer *tok = tokenizer_new();
	for (size_t i = 0; i < n; i++) {
		char *input = chunk_input(&chunks[i]);
		ids[i] = chunks[i].id;
		embedder_embed(e, tok, input, strlen(input), lang_from_code(chunks[i].language), 0,
			       vectors + i * (size_t)dim);
		free(input);
	}
	tokenizer_free(tok);
	int rc = store_embeddings_save(st, new_model, model_id, ids, vectors, n, dim, err);
	free(ids);
	free(vectors);
	return rc;
}

/*
 * Train on at most embed.train_chunks chunks, spread evenly over the
 * corpus: the vocabulary and its structure settle long before a large
 * corpus ends, and memory and time stay bounded.
 */
static struct embedder *train(const struct config *cfg, struct chunk_text *chunks, size_t total,
			      struct strbuf *err)
{
	size_t n = total < cfg->embed.train_chunks ? total : cfg->embed.train_chunks;
	struct embed_doc *docs = xcalloc(n + 1, sizeof(*docs));
	char **inputs = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const struct chunk_text *c = &chunks[i * total / n];
		inputs[i] = chunk_input(c);
		docs[i] = (struct embed_doc){ inputs[i], lang_from_code(c->language) };
	}
	struct embedder_params p = { (int)cfg->embed.dim, (int)cfg->embed.min_df,
				     (int)cfg->embed.max_features, 0 };
	struct embedder *e = embedder_train(docs, n, &p, err);
	for (size_t i = 0; i < n; i++)
		free(inputs[i]);
	free(inputs);
	free(docs);
	return e;
}

/*
 * With an OpenAI-compatible endpoint: the model is the endpoint's; every
 * chunk is embedded again when the configured model changes.
 */
static int embed_remote(struct store *st, const struct config *cfg, struct embed_outcome *out,
			struct strbuf *err)
{
	struct model_record prod;
	struct chunk_text *chunks = NULL;
	size_t n = 0;
	char *name = openai_embedder_name(cfg);
	float *vectors = NULL;
	int dim = 0, ret = -1;
	int has = store_model_production(st, "embedder", &prod, err);
	if (has < 0) {
		free(name);
		return -1;
	}
	int same = has == 0 && !strcmp(prod.version, name);
	if (store_chunks_to_embed(st, same ? prod.id : 0, &chunks, &n, err))
		goto cleanup;
	snprintf(out->version, sizeof(out->version), "%s", name);
	if (!n) {
		ret = 0;
		goto cleanup;
	}
	char **inputs = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		inputs[i] = chunk_input(&chunks[i]);
	int rc = openai_embed(cfg, (const char *const *)inputs, n, &vectors, &dim, err);
	for (size_t i = 0; i < n; i++)
		free(inputs[i]);
	free(inputs);
	if (rc)
		goto cleanup;
	long long *ids = xcalloc(n + 1, sizeof(long long));
	for (size_t i = 0; i < n; i++)
		ids[i] = chunks[i].id;
	char *params = xasprintf("{\"dim\":%d}", dim);
	struct model_record m = { .kind = "embedder", .name = "openai", .version = name,
				  .path = cfg->embed.url, .params = params, .metrics = "{}" };
	rc = store_embeddings_save(st, same ? NULL : &m, same ? prod.id : 0, ids, vectors, n, dim, err);
	free(ids);
	free(params);
	if (rc)
		goto cleanup;
	out->trained = !same;
	out->embedded = n;
	ret = 0;
cleanup:
	free(vectors);
	free(name);
	chunk_texts_free(chunks, n);
	if (has == 0)
		model_record_release(&prod);
	return ret;
}

int embed_corpus(struct store *st, const struct config *cfg, struct embed_outcome *out,
		 struct strbuf *err)
{
	if (!strcmp(cfg->embed.embedder, "openai")) {
		double t0 = time_mono();
		memset(out, 0, sizeof(*out));
		int rc = embed_remote(st, cfg, out, err);
		out->seconds = time_mono() - t0;
		return rc;
	}
	double t0 = time_mono();
	struct model_record prod;
	struct chunk_text *missing = NULL, *all = NULL;
	size_t nmissing = 0, nall = 0;
	struct embedder *e = NULL;
	int ret = -1;
	memset(out, 0, sizeof(*out));
	int has = store_model_production(st, "embedder", &prod, err);
	if (has < 0)
		return -1;
	struct store_totals tot;
	if (store_totals(st, &tot, err) ||
	    store_chunks_to_embed(st, has == 0 ? prod.id : 0, &missing, &nmissing, err))
		goto cleanup;
	if (has == 0)
		snprintf(out->version, sizeof(out->version), "%s", prod.version);
	if (!nmissing) {
		ret = 0;
		goto cleanup;
	}
	if (has == 0 && (double)nmissing <= cfg->embed.retrain_ratio * (double)tot.chunks) {
		/* Few new chunks: the current model embeds them. */
		char *file = xasprintf("%s/%s", cfg->data_dir, prod.path);
		e = embedder_load(file, err);
		free(file);
		if (!e || embed_chunks(st, e, NULL, prod.id, missing, nmissing, err))
			goto cleanup;
		out->embedded = nmissing;
		ret = 0;
		goto cleanup;
	}
	if (store_chunks_to_embed(st, 0, &all, &nall, err))
		goto cleanup;
	e = train(cfg, all, nall, err);
	if (!e)
		goto cleanup;
	/* Registered relative to the data folder, so that the folder can move. */
	char *dir = xasprintf("%s/models", cfg->data_dir);
	char *relpath = xasprintf("models/%s.lsa", embedder_version(e));
	char *path = xasprintf("%s/%s", cfg->data_dir, relpath);
	char *params = xasprintf("{\"dim\":%d,\"features\":%d,\"chunks\":%zu,\"min_df\":%u}",
				 embedder_dim(e), embedder_features(e), nall, cfg->embed.min_df);
	struct model_record m = { .kind = "embedder", .name = "builtin", .version = (char *)embedder_version(e),
				  .path = relpath, .params = params, .metrics = "{}" };
	int rc = mkdir_p(dir) || embedder_save(e, path, err) ||
		 embed_chunks(st, e, &m, 0, all, nall, err);
	free(dir);
	free(relpath);
	free(path);
	free(params);
	if (rc) {
		if (!err->len)
			strbuf_addstr(err, "cannot write the model under <data>/models");
		goto cleanup;
	}
	out->trained = 1;
	out->embedded = nall;
	snprintf(out->version, sizeof(out->version), "%s", embedder_version(e));
	ret = 0;
cleanup:
	out->seconds = time_mono() - t0;
	embedder_free(e);
	chunk_texts_free(missing, nmissing);
	chunk_texts_free(all, nall);
	if (has == 0)
		model_record_release(&prod);
	return ret;
}

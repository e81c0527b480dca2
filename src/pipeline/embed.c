/*
 * The embed stage; see embed.h.
 */
#include "pipeline/embed.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/parallel.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "learn/embedder.h"
#include "learn/artefact.h"
#include "learn/openai_embed.h"
#include "pipeline/flow.h"
#include "text/tokenize.h"

/* What the embedder reads of a chunk: its heading path, then its text. */
static char *chunk_input(const struct chunk_text *c)
{
	return xasprintf("%s\n\n%s", c->heading ? c->heading : "", c->text ? c->text : "");
}

/*
 * Chunks embedded and saved per transaction.  Vectors of 256 floats, three
 * to a 4 KB page: 1024 of them are ~1.4 MB of WAL, which
 * store_embeddings_save keeps from piling up while a server reads,
 * and the vectors in memory stay bounded too (all of them were held before
 * the first was saved).  Committed vectors are kept when a later batch
 * fails (a crash, a full disk): they are keyed by model and chunk, and the
 * next run embeds only the chunks still missing.  RAGOPS_EMBED_BATCH sets
 * another size, for the tests.
 */
#define EMBED_BATCH 1024

static size_t embed_batch(void)
{
	const char *v = getenv("RAGOPS_EMBED_BATCH");
	long n = v ? atol(v) : 0;
	return n > 0 ? (size_t)n : EMBED_BATCH;
}

/* Vectors the training made, of chunks in ascending ids (embedder_train). */
struct known_vectors {
	const struct chunk_text *chunks;
	size_t n;
	const float *vectors;
};

/* The vector known for chunk `id`, or NULL. */
static const float *known_vector(const struct known_vectors *k, long long id, int dim)
{
	if (!k->vectors)
		return NULL;
	size_t lo = 0, hi = k->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->chunks[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->n && k->chunks[lo].id == id ? k->vectors + lo * (size_t)dim : NULL;
}

/* A batch of chunks embedded on every thread, each vector in its chunk's place. */
struct embedding {
	const struct embedder *e;
	const struct known_vectors *known;
	const struct chunk_text *chunks; /* the batch's */
	long long *ids;
	float *vectors;
	struct tokenizer **toks; /* one per thread */
};

static void embed_range(void *ctx, int worker, size_t begin, size_t end)
{
	struct embedding *b = ctx;
	int dim = embedder_dim(b->e);
	for (size_t i = begin; i < end; i++) {
		const struct chunk_text *c = &b->chunks[i];
		float *out = b->vectors + i * (size_t)dim;
		const float *known = known_vector(b->known, c->id, dim);
		b->ids[i] = c->id;
		if (known) {
			memcpy(out, known, (size_t)dim * sizeof(float));
			continue;
		}
		char *input = chunk_input(c);
		embedder_embed(b->e, b->toks[worker], input, strlen(input), lang_from_code(c->language),
			       0, out);
		free(input);
	}
}

/*
 * Embed `chunks` with `e` (or take their vectors from `known`) and save
 * them, a batch per transaction (the only writer).
 */
static int embed_chunks(struct store *st, const struct config *cfg, struct embedder *e,
			const struct known_vectors *known, long long model_id, struct chunk_text *chunks,
			size_t n, struct strbuf *err)
{
	static const struct known_vectors none = { 0 };
	int dim = embedder_dim(e);
	int threads = parallel_threads(cfg->ingest.threads);
	size_t batch = embed_batch();
	size_t cap = n < batch ? n : batch;
	struct embedding b = { e,
			       known ? known : &none,
			       NULL,
			       xcalloc(cap + 1, sizeof(long long)),
			       xcalloc((cap + 1) * (size_t)dim, sizeof(float)),
			       xcalloc((size_t)threads, sizeof(struct tokenizer *)) };
	for (int t = 0; t < threads; t++)
		b.toks[t] = tokenizer_new();
	int rc = 0;
	for (size_t start = 0; start < n && !rc; start += batch) {
		size_t m = n - start < batch ? n - start : batch;
		b.chunks = chunks + start;
		parallel_for(m, threads, embed_range, &b);
		rc = store_embeddings_save(st, model_id, b.ids, b.vectors, m, dim, err);
		if (!rc)
			flow_crash_point("embed-batch");
	}
	for (int t = 0; t < threads; t++)
		tokenizer_free(b.toks[t]);
	free(b.toks);
	free(b.ids);
	free(b.vectors);
	return rc;
}

/*
 * Train on at most embed.train_chunks chunks, spread evenly over the
 * corpus: the vocabulary and its structure settle long before a large
 * corpus ends, and memory and time stay bounded.  data_hash gets a hash of
 * what it was trained on.
 */
static struct embedder *train(const struct config *cfg, struct chunk_text *chunks, size_t total,
			      const char *const *extra, size_t nextra,
			      char data_hash[SHA256_HEX_LEN + 1], struct known_vectors *known,
			      struct strbuf *err)
{
	size_t nchunks = total < cfg->embed.train_chunks ? total : cfg->embed.train_chunks;
	size_t n = nchunks + nextra;
	struct embed_doc *docs = xcalloc(n + 1, sizeof(*docs));
	char **inputs = xcalloc(n + 1, sizeof(char *));
	struct sha256_ctx *h = sha256_begin();
	for (size_t i = 0; i < nchunks; i++) {
		const struct chunk_text *c = &chunks[i * total / nchunks];
		inputs[i] = chunk_input(c);
		sha256_update(h, inputs[i], strlen(inputs[i]) + 1);
		docs[i] = (struct embed_doc){ inputs[i], lang_from_code(c->language) };
	}
	/* Extra documents (a question with its right passage) teach which words go together. */
	for (size_t i = 0; i < nextra; i++) {
		inputs[nchunks + i] = xstrdup(extra[i]);
		sha256_update(h, extra[i], strlen(extra[i]) + 1);
		docs[nchunks + i] = (struct embed_doc){ inputs[nchunks + i], LANG_UNKNOWN };
	}
	sha256_finish(h, data_hash);
	struct embedder_params p = { (int)cfg->embed.dim,
				     (int)cfg->embed.min_df,
				     (int)cfg->embed.max_features,
				     0,
				     parallel_threads(cfg->ingest.threads),
				     0 };
	/* Trained on every chunk: the training has their vectors (the first nchunks rows). */
	float *vectors = NULL;
	struct embedder *e = embedder_train(docs, n, &p, nchunks == total ? &vectors : NULL, err);
	*known = (struct known_vectors){ chunks, nchunks, vectors };
	for (size_t i = 0; i < n; i++)
		free(inputs[i]);
	free(inputs);
	free(docs);
	return e;
}

/* The parent's embedder of this name, or 0. */
static long long parent_model(const struct release_record *parent, const char *name)
{
	return parent && parent->embedder_id && parent->embedder_name &&
			       !strcmp(parent->embedder_name, name)
		       ? parent->embedder_id
		       : 0;
}

/*
 * An endpoint's model learns its dimension from its first answer.  A model
 * is immutable once recorded (releases in production read it): an endpoint
 * that now answers in another dimension under the same name is an error,
 * never a change to the model production uses.
 */
static int record_dimension(struct store *st, long long model_id, int dim, struct strbuf *err)
{
	struct model_record m;
	if (store_model_get(st, model_id, &m, err) != LOOKUP_FOUND)
		return -1;
	json_t *p = json_loads(m.params ? m.params : "", 0, NULL);
	int had = (int)json_integer_value(json_object_get(p, "dim"));
	json_decref(p);
	int rc = 0;
	if (had && had != dim) {
		strbuf_addf(err,
			    "the endpoint answers %d-dimension vectors for '%s', which gave %d "
			    "before: name the new model differently (embed.model)",
			    dim, m.version, had);
		rc = -1;
	} else if (!had) {
		char *params = xasprintf("{\"dim\":%d}", dim);
		rc = store_model_set_params(st, model_id, params, err);
		free(params);
	}
	model_record_release(&m);
	return rc;
}

/*
 * Embed with the endpoint and save the vectors, a batch (of requests) per
 * transaction: what was committed stays when a later batch fails, and the
 * next run asks only for the rest.
 */
static int embed_remote_chunks(struct store *st, const struct config *cfg, long long model_id,
			       struct chunk_text *chunks, size_t n, struct strbuf *err)
{
	size_t batch = embed_batch();
	long long *ids = xcalloc((n < batch ? n : batch) + 1, sizeof(long long));
	int dim = 0, rc = 0;
	for (size_t start = 0; start < n && !rc; start += batch) {
		size_t m = n - start < batch ? n - start : batch;
		char **inputs = xcalloc(m + 1, sizeof(char *));
		float *vectors = NULL;
		for (size_t i = 0; i < m; i++) {
			inputs[i] = chunk_input(&chunks[start + i]);
			ids[i] = chunks[start + i].id;
		}
		/* dim is 0 on the first batch only: the later ones must answer in the same one. */
		rc = openai_embed(cfg, (const char *const *)inputs, m, &vectors, &dim, err);
		for (size_t i = 0; i < m; i++)
			free(inputs[i]);
		free(inputs);
		if (!rc && start == 0)
			rc = record_dimension(st, model_id, dim, err);
		if (!rc)
			rc = store_embeddings_save(st, model_id, ids, vectors, m, dim, err);
		if (!rc)
			flow_crash_point("embed-batch");
		free(vectors);
	}
	free(ids);
	return rc;
}

/*
 * With an OpenAI-compatible endpoint: the model is the endpoint's; every
 * chunk is embedded again when the configured model changes.
 */
static int embed_remote(struct store *st, const struct config *cfg, long long release,
			const struct release_record *parent, struct embed_outcome *out,
			struct strbuf *err)
{
	struct chunk_text *chunks = NULL;
	size_t n = 0;
	char *name = openai_embedder_name(cfg);
	int ret = -1;
	long long base = parent_model(parent, "openai");
	int same = base && !strcmp(parent->embedder_version, name);
	snprintf(out->version, sizeof(out->version), "%s", name);
	if (same) {
		out->model_id = base;
	} else {
		/* Registered before its vectors: the same name later finds the vectors it has. */
		struct model_record m = { .kind = "embedder",
					  .name = "openai",
					  .version = name,
					  .path = cfg->embed.url,
					  .params = "{}",
					  .metrics = "{}",
					  .parent_id = base };
		if (store_model_register(st, &m, err))
			goto cleanup;
		out->model_id = m.id;
		out->trained = 1;
	}
	if (store_release_chunks(st, release, out->model_id, &chunks, &n, err) ||
	    embed_remote_chunks(st, cfg, out->model_id, chunks, n, err))
		goto cleanup;
	out->embedded = n;
	ret = 0;
cleanup:
	free(name);
	chunk_texts_free(chunks, n);
	return ret;
}

/* Train a new built-in embedder on the release's chunks (and extra documents) and embed them all. */
static int embed_trained(struct store *st, const struct config *cfg, long long release, long long base,
			 const char *const *extra, size_t nextra, struct embed_outcome *out,
			 struct strbuf *err)
{
	struct chunk_text *all = NULL, *todo = NULL;
	size_t nall = 0, ntodo = 0;
	char data_hash[SHA256_HEX_LEN + 1];
	int ret = -1;
	if (store_release_chunks(st, release, 0, &all, &nall, err))
		return -1;
	struct known_vectors known = { 0 };
	struct embedder *e = train(cfg, all, nall, extra, nextra, data_hash, &known, err);
	if (!e)
		goto cleanup;
	/* Registered relative to the data folder, so that the folder can move. */
	char *dir = xasprintf("%s/models", cfg->data_dir);
	char *relpath = xasprintf("models/%s.lsa", embedder_version(e));
	char *path = xasprintf("%s/%s", cfg->data_dir, relpath);
	char *params = xasprintf("{\"dim\":%d,\"features\":%d,\"chunks\":%zu,\"min_df\":%u,"
				 "\"extra_documents\":%zu}",
				 embedder_dim(e), embedder_features(e), nall, cfg->embed.min_df, nextra);
	struct model_record m = { .kind = "embedder",
				  .name = "builtin",
				  .version = (char *)embedder_version(e),
				  .path = relpath,
				  .params = params,
				  .metrics = "{}",
				  .parent_id = base,
				  .data_hash = data_hash };
	int rc = mkdir_p(dir) || embedder_save(e, path, err) || artefact_register(st, cfg, &m, err);
	free(dir);
	free(relpath);
	free(path);
	free(params);
	if (rc) {
		if (!err->len)
			strbuf_addstr(err, "cannot write the model under <data>/models");
		goto cleanup;
	}
	/*
	 * The same chunks train the same model (its version names its content):
	 * after a run that stopped halfway, only the vectors it lacks are made.
	 */
	if (store_release_chunks(st, release, m.id, &todo, &ntodo, err) ||
	    embed_chunks(st, cfg, e, &known, m.id, todo, ntodo, err))
		goto cleanup;
	out->trained = 1;
	out->embedded = ntodo;
	out->model_id = m.id;
	snprintf(out->version, sizeof(out->version), "%s", embedder_version(e));
	ret = 0;
cleanup:
	embedder_free(e);
	free((float *)known.vectors);
	chunk_texts_free(all, nall);
	chunk_texts_free(todo, ntodo);
	return ret;
}

int embed_release(struct store *st, const struct config *cfg, long long release, long long chunks,
		  const struct release_record *parent, struct embed_outcome *out, struct strbuf *err)
{
	double t0 = time_mono();
	struct chunk_text *missing = NULL;
	size_t nmissing = 0;
	struct embedder *e = NULL;
	int ret = -1;
	memset(out, 0, sizeof(*out));
	flow_crash_point("embed"); /* for the crash and fault-injection tests */
	if (!strcmp(cfg->embed.embedder, "openai")) {
		ret = embed_remote(st, cfg, release, parent, out, err);
		out->seconds = time_mono() - t0;
		return ret;
	}
	long long base = parent_model(parent, "builtin");
	if (base && store_release_chunks(st, release, base, &missing, &nmissing, err))
		goto cleanup;
	if (base && (double)nmissing <= cfg->embed.retrain_ratio * (double)chunks) {
		/* Few new chunks: the parent's model embeds them. */
		out->model_id = base;
		snprintf(out->version, sizeof(out->version), "%s", parent->embedder_version);
		if (nmissing) {
			char *file = artefact_local(st, cfg, parent->embedder_path, err);
			e = file ? embedder_load(file, err) : NULL;
			free(file);
			if (!e || embed_chunks(st, cfg, e, NULL, base, missing, nmissing, err))
				goto cleanup;
		}
		out->embedded = nmissing;
		ret = 0;
		goto cleanup;
	}
	ret = chunks ? embed_trained(st, cfg, release, base, NULL, 0, out, err) : 0;
cleanup:
	out->seconds = time_mono() - t0;
	embedder_free(e);
	chunk_texts_free(missing, nmissing);
	return ret;
}

int embed_refit(struct store *st, const struct config *cfg, long long release, long long parent,
		const char *const *extra, size_t nextra, struct embed_outcome *out, struct strbuf *err)
{
	double t0 = time_mono();
	memset(out, 0, sizeof(*out));
	if (strcmp(cfg->embed.embedder, "builtin")) {
		strbuf_addstr(err,
			      "only the built-in embedder is refit (embed.embedder is an endpoint's)");
		return -1;
	}
	int ret = embed_trained(st, cfg, release, parent, extra, nextra, out, err);
	out->seconds = time_mono() - t0;
	return ret;
}

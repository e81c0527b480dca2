/*
 * The lexicon stage; see lexicon_index.h.
 */
#include "pipeline/lexicon_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "retrieval/lexicon.h"

int lexicon_refresh(struct store *st, const struct config *cfg, struct lexicon_outcome *out,
		    struct strbuf *err)
{
	double t0 = time_mono();
	struct model_record prod;
	struct chunk_text *chunks = NULL;
	long long count, max_id;
	size_t n = 0;
	int ret = -1;
	memset(out, 0, sizeof(*out));
	int has = store_model_production(st, "lexicon", &prod, err);
	if (has < 0 || store_chunks_identity(st, &count, &max_id, err))
		goto cleanup;
	if (has == 0 && lexicon_fits(prod.params, count, max_id)) {
		snprintf(out->version, sizeof(out->version), "%s", prod.version);
		out->chunks = (size_t)count;
		ret = 0;
		goto cleanup;
	}
	if (store_chunks_to_embed(st, 0, &chunks, &n, err))
		goto cleanup;
	struct lexicon_built b;
	char *dir = xasprintf("%s/models", cfg->data_dir);
	int rc = mkdir_p(dir) || lexicon_build(chunks, n, dir, &b, err);
	free(dir);
	if (rc) {
		if (!err->len)
			strbuf_addstr(err, "cannot write the lexicon under <data>/models");
		goto cleanup;
	}
	/* Registered relative to the data folder, so that the folder can move. */
	char *relpath = xasprintf("models/%s", b.file);
	char *params = xasprintf("{\"chunks\":%lld,\"max_chunk_id\":%lld}", count, max_id);
	char *metrics = xasprintf("{\"terms\":%zu,\"postings\":%zu,\"bytes\":%zu}", b.terms,
				  b.postings, b.bytes);
	struct model_record m = { .kind = "lexicon", .name = "bm25", .version = b.version,
				  .path = relpath, .params = params, .metrics = metrics };
	char *old = NULL;
	rc = store_lexicon_register(st, &m, &old, err);
	if (!rc && old && strcmp(old, relpath)) {
		/* Searches that mapped it keep reading it: the file goes when they unmap. */
		char *old_file = xasprintf("%s/%s", cfg->data_dir, old);
		unlink(old_file);
		free(old_file);
	}
	free(old);
	free(relpath);
	free(params);
	free(metrics);
	if (rc)
		goto cleanup;
	out->built = 1;
	out->chunks = n;
	out->terms = b.terms;
	snprintf(out->version, sizeof(out->version), "%s", b.version);
	ret = 0;
cleanup:
	out->seconds = time_mono() - t0;
	chunk_texts_free(chunks, n);
	if (has == 0)
		model_record_release(&prod);
	return ret;
}

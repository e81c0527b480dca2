/*
 * The lexicon stage; see lexicon_index.h.
 */
#include "pipeline/lexicon_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/parallel.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/flow.h"
#include "retrieval/lexicon.h"

int lexicon_for_release(struct store *st, const struct config *cfg, long long release,
			long long parent_lexicon, struct lexicon_outcome *out, struct strbuf *err)
{
	double t0 = time_mono();
	struct chunk_text *chunks = NULL;
	size_t n = 0;
	int ret = -1;
	memset(out, 0, sizeof(*out));
	flow_crash_point("lexicon"); /* for the crash and fault-injection tests */
	if (store_release_chunks(st, release, 0, &chunks, &n, err))
		goto cleanup;
	struct lexicon_built b;
	char *dir = xasprintf("%s/models", cfg->data_dir);
	int rc = mkdir_p(dir) ||
		 lexicon_build(chunks, n, parallel_threads(cfg->ingest.threads), dir, &b, err);
	free(dir);
	if (rc) {
		if (!err->len)
			strbuf_addstr(err, "cannot write the lexicon under <data>/models");
		goto cleanup;
	}
	/* Registered relative to the data folder, so that the folder can move. */
	char *relpath = xasprintf("models/%s", b.file);
	char *params = xasprintf("{\"chunks\":%zu}", n);
	char *metrics = xasprintf("{\"terms\":%zu,\"postings\":%zu,\"bytes\":%zu}", b.terms, b.postings,
				  b.bytes);
	struct model_record m = { .kind = "lexicon",
				  .name = "bm25",
				  .version = b.version,
				  .path = relpath,
				  .params = params,
				  .metrics = metrics,
				  .parent_id = parent_lexicon,
				  .data_hash = b.version + strlen("lexicon-") };
	rc = store_model_register(st, &m, err);
	free(relpath);
	free(params);
	free(metrics);
	if (rc)
		goto cleanup;
	out->model_id = m.id;
	out->chunks = n;
	out->terms = b.terms;
	snprintf(out->version, sizeof(out->version), "%s", b.version);
	ret = 0;
cleanup:
	out->seconds = time_mono() - t0;
	chunk_texts_free(chunks, n);
	return ret;
}

/*
 * The lexicon stage; see lexicon_index.h.
 */
#include "pipeline/lexicon_index.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/parallel.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "learn/artefact.h"
#include "pipeline/flow.h"
#include "retrieval/lexicon.h"

struct lexicon_job {
	const struct config *cfg;
	struct chunk_text *chunks;
	size_t n;
	int read_failed; /* the chunks could not be read: `error` says why */
	struct strbuf error;
	struct lexicon_built built;
	struct strbuf data;
	double seconds; /* making it, on its thread */
	pthread_t thread;
	int started;
};

static void *make_lexicon(void *arg)
{
	struct lexicon_job *job = arg;
	double t0 = time_mono();
	lexicon_make(job->chunks, job->n, parallel_threads(job->cfg->ingest.threads), &job->built,
		     &job->data);
	job->seconds = time_mono() - t0;
	return NULL;
}

struct lexicon_job *lexicon_start(struct store *st, const struct config *cfg, long long release)
{
	struct lexicon_job *job = xcalloc(1, sizeof(*job));
	job->cfg = cfg;
	strbuf_init(&job->error, 0);
	strbuf_init(&job->data, 0);
	if (store_release_chunks(st, release, 0, &job->chunks, &job->n, &job->error)) {
		job->read_failed = 1;
		return job;
	}
	job->started = !pthread_create(&job->thread, NULL, make_lexicon, job);
	return job;
}

/* Wait for the lexicon, or make it here when no thread could. */
static void lexicon_wait(struct lexicon_job *job)
{
	if (job->started) {
		pthread_join(job->thread, NULL);
		job->started = 0;
	} else if (!job->read_failed && !job->data.len) {
		make_lexicon(job);
	}
}

int lexicon_finish(struct store *st, struct lexicon_job *job, long long parent_lexicon,
		   struct lexicon_outcome *out, struct strbuf *err)
{
	int ret = -1;
	memset(out, 0, sizeof(*out));
	lexicon_wait(job);
	double t0 = time_mono();     /* its seconds: making it, then writing and registering it */
	flow_crash_point("lexicon"); /* for the crash and fault-injection tests */
	if (job->read_failed) {
		strbuf_add(err, job->error.buf, job->error.len);
		goto cleanup;
	}
	char *dir = xasprintf("%s/models", job->cfg->data_dir);
	int rc = mkdir_p(dir) || lexicon_write(dir, &job->built, &job->data, err);
	free(dir);
	if (rc) {
		if (!err->len)
			strbuf_addstr(err, "cannot write the lexicon under <data>/models");
		goto cleanup;
	}
	/* Registered relative to the data folder, so that the folder can move. */
	const struct lexicon_built *b = &job->built;
	char *relpath = xasprintf("models/%s", b->file);
	char *params = xasprintf("{\"chunks\":%zu}", job->n);
	char *metrics = xasprintf("{\"terms\":%zu,\"postings\":%zu,\"bytes\":%zu}", b->terms,
				  b->postings, b->bytes);
	struct model_record m = { .kind = "lexicon",
				  .name = "bm25",
				  .version = (char *)b->version,
				  .path = relpath,
				  .params = params,
				  .metrics = metrics,
				  .parent_id = parent_lexicon,
				  .data_hash = (char *)b->version + strlen("lexicon-") };
	rc = artefact_register(st, job->cfg, &m, err);
	free(relpath);
	free(params);
	free(metrics);
	if (rc)
		goto cleanup;
	out->model_id = m.id;
	out->chunks = job->n;
	out->terms = b->terms;
	snprintf(out->version, sizeof(out->version), "%s", b->version);
	ret = 0;
cleanup:
	out->seconds = job->seconds + (time_mono() - t0);
	return ret;
}

void lexicon_job_free(struct lexicon_job *job)
{
	if (!job)
		return;
	if (job->started)
		pthread_join(job->thread, NULL);
	chunk_texts_free(job->chunks, job->n);
	strbuf_release(&job->error);
	strbuf_release(&job->data);
	free(job);
}

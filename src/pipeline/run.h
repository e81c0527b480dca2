/*
 * The pipeline flow: collect -> extract -> clean -> chunk -> index, then
 * embed -> lexicon -> validate -> publish for the candidate release, run
 * incrementally over the inbox folders and recorded like a workflow
 * engine records a flow run: a run row, a task row per document and
 * stage, a structured log, and metrics/run-<id>.json.
 */
#ifndef PIPELINE_RUN_H
#define PIPELINE_RUN_H

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

/* Bump when a stage's output changes for the same input: it invalidates the cache. */
#define PIPELINE_STAGE_VERSIONS "extract=1;clean=1;chunk=1;index=1"

struct run_options {
	const char *trigger; /* "cli", "deployment", "watch", ... */
	char *const *inbox;
	size_t ninbox;
	const char *deployment;  /* the deployment that started it, or NULL */
	long long scheduled_for; /* its scheduled time (epoch ms), 0 when none */
	int no_cache;            /* every document again, every OCR page read again */
	const char *refresh;     /* a stage done again for every document ("ocr": pages read again) */
};

/* Whether `name` is a stage --refresh takes (extract, ocr, clean, chunk, index). */
int pipeline_is_stage(const char *name);

struct run_outcome {
	long long run_id;
	const char *state;    /* "completed", "completed_with_failures", "refused" or "cancelled" */
	long long release;    /* the release built (or the newest, when nothing changed) */
	long long production; /* in production after the run, 0 when none */
	const char *release_verdict; /* "promoted", "refused", "unchanged" */
	char release_message[1024];
	struct run_stats stats;
	double seconds;
	char *metrics_path; /* caller frees */
};

/*
 * Take the data folder's lock (<data>/run.lock): one run or retraining at a
 * time, whatever process starts it.  The descriptor (unlock_file), or -1
 * with who holds it in err.
 */
int data_folder_lock(const struct config *cfg, struct strbuf *err);

/*
 * Ask the run in progress to stop (async-signal-safe: for a SIGINT or
 * SIGTERM handler): while it reads documents, it takes no further one,
 * finishes those in flight, publishes nothing and ends "cancelled"; the
 * next run does the rest.  Once past its documents it finishes (the
 * release is built, checked and published or refused as usual).  A run
 * started after the request stops at once the same way.
 */
void pipeline_request_stop(void);
int pipeline_stop_requested(void);
/*
 * Whether the run in progress is past its documents (building, checking,
 * publishing the release, then retention): a stop asked for now lets it
 * finish (async-signal-safe, for the handler's message).
 */
int pipeline_stop_too_late(void);

/*
 * Run the flow.  Returns 0 when the run finished (some documents may have
 * failed: see outcome->state), -1 when it could not run at all.
 */
int pipeline_run(struct store *st, const struct config *cfg, const struct run_options *opts,
		 struct run_outcome *out, struct strbuf *err);

#endif

/*
 * The C API (include/ragops.h): the original design's FeedbackCollector,
 * RetrainingPipeline and HealthChecker over the same library calls the
 * ragops command makes, with status codes and a message per handle
 * instead of printing and exit codes.
 */
#include "ragops.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer/answer.h"
#include "core/config.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "ops/feedback.h"
#include "ops/health.h"
#include "ops/retrain_dataset.h"
#include "ops/retrain_policy.h"
#include "store/store.h"

struct ragops {
	struct config cfg;
	struct store *store; /* NULL when ragops_open failed */
	struct strbuf err;   /* why the last call failed, "" when it did not */
};

/*
 * Loaded releases are cached per process and keyed by release id alone
 * (retrieval/release.c), and two data folders both have a release 1: so
 * the first folder opened is the process's, for its lifetime.  The
 * pipeline log is process-wide too: open while a handle is.
 */
static pthread_mutex_t process_lock = PTHREAD_MUTEX_INITIALIZER;
static char *process_data_dir; /* realpath of the folder, NULL until one opened */
static int open_handles;

static int fail(ragops *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ragops *r, int status, const char *fmt, ...)
{
	va_list ap;
	strbuf_reset(&r->err);
	va_start(ap, fmt);
	strbuf_vaddf(&r->err, fmt, ap);
	va_end(ap);
	return status;
}

/* Every call on an open handle starts here: clears the last message. */
static int begin(ragops *r)
{
	if (!r)
		return RAGOPS_EINVAL;
	strbuf_reset(&r->err);
	if (!r->store)
		return fail(r, RAGOPS_EINVAL, "the data folder is not open (ragops_open failed)");
	return RAGOPS_OK;
}

/* As the ragops command does (main.c load_config), without -c overrides. */
static int load_config(ragops *r, const char *data_dir, const char *config_file)
{
	const char *file = config_file ? config_file : getenv("RAGOPS_CONFIG");
	if (!file && access("ragops.yaml", F_OK) == 0)
		file = "ragops.yaml";
	if (file && config_load_file(&r->cfg, file, &r->err))
		return RAGOPS_ECONFIG;
	if (config_load_env(&r->cfg, &r->err))
		return RAGOPS_ECONFIG;
	if (data_dir && config_set(&r->cfg, "data_dir", data_dir, "ragops_open", &r->err))
		return RAGOPS_ECONFIG;
	if (config_validate(&r->cfg, &r->err))
		return RAGOPS_ECONFIG;
	return RAGOPS_OK;
}

static int open_folder(ragops *r)
{
	const char *dir = r->cfg.data_dir;
	char *here = realpath(dir, NULL); /* NULL when it does not exist yet */
	int ret = RAGOPS_OK;
	pthread_mutex_lock(&process_lock);
	if (process_data_dir && (!here || strcmp(here, process_data_dir))) {
		ret = fail(r, RAGOPS_EINVAL,
			   "cannot open the data folder '%s': this process works on "
			   "'%s' (one data folder per process)",
			   dir, process_data_dir);
		goto cleanup;
	}
	if (store_open(&r->store, config_store_location(&r->cfg), &r->err)) {
		ret = RAGOPS_EIO;
		goto cleanup;
	}
	if (!process_data_dir)
		process_data_dir = realpath(dir, NULL);
	if (open_handles++ == 0) {
		/* As the command: a log that cannot be written is no reason to fail. */
		char *logs = xasprintf("%s/logs", dir);
		char *file = xasprintf("%s/pipeline.log", logs);
		log_set_rotation(r->cfg.log_max_size, r->cfg.log_keep);
		if (mkdir_p(logs) == 0)
			log_open(file, r->cfg.log_level);
		free(logs);
		free(file);
	}
cleanup:
	pthread_mutex_unlock(&process_lock);
	free(here);
	return ret;
}

int ragops_open(ragops **out, const char *data_dir, const char *config_file)
{
	if (!out)
		return RAGOPS_EINVAL;
	ragops *r = xcalloc(1, sizeof(*r));
	strbuf_init(&r->err, 0);
	config_init(&r->cfg);
	*out = r;
	int ret = load_config(r, data_dir, config_file);
	return ret ? ret : open_folder(r);
}

void ragops_close(ragops *r)
{
	if (!r)
		return;
	if (r->store) {
		store_close(&r->store);
		pthread_mutex_lock(&process_lock);
		if (--open_handles == 0)
			log_close();
		pthread_mutex_unlock(&process_lock);
	}
	config_release(&r->cfg);
	strbuf_release(&r->err);
	free(r);
}

const char *ragops_errmsg(const ragops *r)
{
	return r ? r->err.buf : "no ragops handle (NULL)";
}

void ragops_free(void *p)
{
	free(p);
}

/* *out: `j` as text for the caller, to free with ragops_free; takes the reference. */
static int dump(ragops *r, json_t *j, char **out)
{
	*out = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	return *out ? RAGOPS_OK : fail(r, RAGOPS_EIO, "cannot write the report as JSON");
}

/* A list of n paths as a JSON array: of strings, or of {"document": path}. */
static int paths_json(ragops *r, const char *field, const char *const *paths, size_t n, int as_sources,
		      char **out)
{
	*out = NULL;
	if (!n)
		return RAGOPS_OK;
	if (!paths)
		return fail(r, RAGOPS_EINVAL, "'%s' is NULL but counts %zu paths", field, n);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		/* json_string refuses bad UTF-8; a cited path is only shown, so it is repaired. */
		json_t *p = !paths[i] ? NULL : as_sources ? json_str(paths[i]) : json_string(paths[i]);
		if (!p) {
			json_decref(list);
			return fail(r, RAGOPS_EINVAL, "'%s' item %zu is %s", field, i + 1,
				    paths[i] ? "not valid UTF-8" : "NULL");
		}
		json_array_append_new(list, as_sources ? json_pack("{s:o}", "document", p) : p);
	}
	*out = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	return RAGOPS_OK;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int feedback_collector_save(ragops *r, const ragops_feedback *fb, long long *id)
{
	struct feedback_record f = { 0 };
	const char *field = NULL;
	int ret = begin(r);
	if (ret)
		return ret;
	if (!fb)
		return fail(r, RAGOPS_EINVAL, "no feedback given (NULL)");
	if (fb->query_id < 0)
		return fail(r, RAGOPS_EINVAL, "'query_id' must be positive, or 0 for none, not %lld",
			    fb->query_id);
	f.query_id = fb->query_id;
	f.rating = fb->rating;
	f.question = dup_or_null(fb->question);
	f.answer = dup_or_null(fb->answer);
	f.text = dup_or_null(fb->feedback_text);
	f.corrected = dup_or_null(fb->corrected_answer);
	if ((ret = paths_json(r, "sources", fb->sources, fb->nsources, 1, &f.sources)) ||
	    (ret = paths_json(r, "helpful_sources", fb->helpful_sources, fb->nhelpful_sources, 0,
			      &f.helpful)) ||
	    (ret = paths_json(r, "unhelpful_sources", fb->unhelpful_sources, fb->nunhelpful_sources, 0,
			      &f.unhelpful)))
		goto cleanup;
	switch (feedback_add(r->store, &r->cfg, &f, &field, &r->err)) {
	case FEEDBACK_OK:
		if (id)
			*id = f.id;
		break;
	case FEEDBACK_INVALID:
		ret = field && !strcmp(field, "query_id") ? RAGOPS_ENOTFOUND : RAGOPS_EINVAL;
		break;
	case FEEDBACK_FAILED:
		ret = RAGOPS_EIO;
		break;
	}
cleanup:
	feedback_record_release(&f);
	return ret;
}

int retraining_should_retrain(ragops *r, int *recommended, char **report_json)
{
	struct retrain_policy p;
	if (report_json)
		*report_json = NULL;
	int ret = begin(r);
	if (ret)
		return ret;
	if (!recommended)
		return fail(r, RAGOPS_EINVAL, "'recommended' is NULL");
	if (retrain_should(r->store, &r->cfg, &p, &r->err))
		return RAGOPS_EIO;
	*recommended = p.retrain ? 1 : 0;
	return report_json ? dump(r, retrain_policy_json(&p), report_json) : RAGOPS_OK;
}

int retraining_prepare_data(ragops *r, const char *out_dir, char **manifest_json)
{
	json_t *manifest;
	if (manifest_json)
		*manifest_json = NULL;
	int ret = begin(r);
	if (ret)
		return ret;
	if (!out_dir || !*out_dir)
		return fail(r, RAGOPS_EINVAL, "no folder to prepare the data in");
	switch (retrain_dataset_prepare(r->store, &r->cfg, out_dir, &manifest, &r->err)) {
	case DATASET_WRITTEN:
		break;
	case DATASET_NO_PRODUCTION:
		return RAGOPS_ENOTREADY;
	case DATASET_FAILED:
		return RAGOPS_EIO;
	}
	if (manifest_json)
		return dump(r, manifest, manifest_json);
	json_decref(manifest);
	return RAGOPS_OK;
}

int health_check(ragops *r, int *status, char **report_json)
{
	struct health_report h;
	if (report_json)
		*report_json = NULL;
	int ret = begin(r);
	if (ret)
		return ret;
	if (!status)
		return fail(r, RAGOPS_EINVAL, "'status' is NULL");
	health_run(r->store, &r->cfg, &h);
	*status = h.overall == HEALTH_OK         ? RAGOPS_HEALTH_OK
		  : h.overall == HEALTH_DEGRADED ? RAGOPS_HEALTH_DEGRADED
						 : RAGOPS_HEALTH_DOWN;
	return report_json ? dump(r, health_to_json(&h), report_json) : RAGOPS_OK;
}

int ragops_ask(ragops *r, const char *question, ragops_answer *out)
{
	struct answer a;
	struct ask_options opts = { 0 };
	if (out)
		memset(out, 0, sizeof(*out));
	int ret = begin(r);
	if (ret)
		return ret;
	if (!out)
		return fail(r, RAGOPS_EINVAL, "'out' is NULL");
	if (!question)
		return fail(r, RAGOPS_EINVAL, "no question (NULL)");
	switch (answer_question(r->store, &r->cfg, question, &opts, &a, &r->err)) {
	case ASK_OK:
		break;
	case ASK_BAD_QUESTION:
	case ASK_BAD_RETRIEVER:
		return RAGOPS_EINVAL;
	case ASK_NOT_READY:
		return RAGOPS_ENOTREADY;
	case ASK_FAILED:
		return RAGOPS_EIO;
	}
	out->text = xstrdup(a.text);
	out->abstained = a.abstained != 0;
	out->curated = a.curated_feedback != 0;
	out->release_id = a.release_id;
	out->query_id = a.query_id;
	out->nsources = a.nsources;
	out->sources = a.nsources ? xcalloc(a.nsources, sizeof(*out->sources)) : NULL;
	for (size_t i = 0; i < a.nsources; i++) {
		out->sources[i].doc = xstrdup(a.sources[i].doc);
		out->sources[i].title = dup_or_null(a.sources[i].title);
		out->sources[i].page_start = a.sources[i].page_start;
		out->sources[i].page_end = a.sources[i].page_end;
		out->sources[i].score = a.sources[i].score;
	}
	answer_release(&a);
	return RAGOPS_OK;
}

void ragops_answer_free(ragops_answer *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nsources; i++) {
		free(a->sources[i].doc);
		free(a->sources[i].title);
	}
	free(a->sources);
	free(a->text);
	memset(a, 0, sizeof(*a));
}

/*
 * Candidate release, gate, promotion, retention; see publish.h.
 */
#include "pipeline/publish.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/validate.h"

/* The settings a release's content depends on, recorded with it: another value, another release. */
static char *release_settings(const struct config *cfg)
{
	static const char *const sections[] = { "extract.", "clean.", "chunk.", "ocr.", "embed." };
	char *all = config_to_json(cfg);
	json_t *j = json_loads(all, 0, NULL), *out = json_object();
	free(all);
	const char *key;
	json_t *value;
	json_object_foreach(j, key, value)
	{
		int keep = 0;
		for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
			keep |= starts_with(key, sections[i]);
		if (keep && !config_key_is_operational(key)) /* no new release for these */
			json_object_set(out, key, value);
	}
	char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	json_decref(out);
	return text;
}

/*
 * Build the candidate's vectors and lexicon; each is a task of the run.
 * A part that failed for a reason that may pass (the disk full, the store
 * busy or unreachable) fails the attempt, which is tried again (retry.h);
 * any other failure leaves the part missing, and the gate refuses.
 */
static int build_models(struct flow *fl, const struct release_record *cand,
			const struct release_record *parent, struct strbuf *failure)
{
	struct strbuf err = STRBUF_INIT;
	write_failure_clear();
	store_error_clear(fl->st);
	long long lexicon_started = time_now_ms();
	struct lexicon_job *lexicon = lexicon_start(fl->st, fl->cfg, cand->id);
	long long started = time_now_ms();
	progress_phase(fl->progress, "embedding the chunks");
	int rc = embed_release(fl->st, fl->cfg, cand->id, cand->chunks, parent, &fl->embed, &err);
	flow_corpus_task(fl, "embed", rc ? TASK_FAILED : TASK_COMPLETED, started, fl->embed.seconds,
			 rc ? err.buf : NULL);
	if (rc)
		log_event(LOG_ERROR, fl->run_id, NULL, "embed", "no vectors for release %lld: %s",
			  cand->id, err.buf);
	if (rc)
		strbuf_addstr(failure, err.buf);
	else if (fl->embed.embedded)
		log_event(LOG_INFO, fl->run_id, NULL, "embed", "%s %zu chunks with %s",
			  fl->embed.trained ? "trained on and embedded" : "embedded", fl->embed.embedded,
			  fl->embed.version);
	strbuf_reset(&err);
	progress_phase(fl->progress, "building the lexicon");
	int lrc = lexicon_finish(fl->st, lexicon, parent ? parent->lexicon_id : 0, &fl->lexicon, &err);
	lexicon_job_free(lexicon);
	flow_corpus_task(fl, "lexicon", lrc ? TASK_FAILED : TASK_COMPLETED, lexicon_started,
			 fl->lexicon.seconds, lrc ? err.buf : NULL);
	if (lrc) {
		log_event(LOG_ERROR, fl->run_id, NULL, "lexicon", "no lexicon for release %lld: %s",
			  cand->id, err.buf);
		strbuf_addf(failure, "%s%s", failure->len ? "; " : "", err.buf);
	} else
		log_event(LOG_INFO, fl->run_id, NULL, "lexicon", "%zu chunks, %zu terms: %s",
			  fl->lexicon.chunks, fl->lexicon.terms, fl->lexicon.version);
	strbuf_reset(&err);
	if ((rc || lrc) && (write_failure_is_transient() || store_error_is_transient(fl->st))) {
		strbuf_release(&err);
		return -1;
	}
	strbuf_reset(failure);
	/* A missing part is recorded as missing: the structural checks refuse the release. */
	if (store_release_set_models(fl->st, cand->id, lrc ? 0 : fl->lexicon.model_id,
				     rc ? 0 : fl->embed.model_id, &err))
		log_event(LOG_ERROR, fl->run_id, NULL, "publish", "%s", err.buf);
	strbuf_release(&err);
	return 0;
}

/*
 * Files under models/ that no model row names: written by a run killed
 * before it registered them, or left when a removal failed.  Only ragops's
 * own kinds of file, and only while this run holds the data folder's lock
 * (nothing else writes there then).
 */
static size_t sweep_models(struct flow *fl)
{
	char *dir = xasprintf("%s/models", fl->cfg->data_dir);
	DIR *d = opendir(dir);
	struct strbuf err = STRBUF_INIT;
	size_t removed = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		const char *name = e->d_name;
		if (!ends_with(name, ".bin") && !ends_with(name, ".lsa") && !strstr(name, ".tmp."))
			continue;
		char *rel = xasprintf("models/%s", name);
		if (store_model_file_known(fl->st, rel, &err) == LOOKUP_MISSING) {
			char *path = xasprintf("%s/%s", fl->cfg->data_dir, rel);
			removed += unlink(path) == 0;
			free(path);
		}
		strbuf_reset(&err);
		free(rel);
	}
	if (d)
		closedir(d);
	free(dir);
	strbuf_release(&err);
	return removed;
}

/* Old releases and what only they held; model files removed after the commit. */
static void retention(struct flow *fl)
{
	struct release_gc gc;
	struct strbuf err = STRBUF_INIT;
	long long started = time_now_ms();
	double t0 = time_mono();
	int rc = store_releases_gc(fl->st, fl->cfg->releases.keep, &gc, &err);
	if (!rc) {
		for (size_t i = 0; i < gc.nfiles; i++) {
			/* A server that mapped a lexicon keeps reading it until it lets go. */
			char *path = xasprintf("%s/%s", fl->cfg->data_dir, gc.files[i]);
			unlink(path);
			free(path);
		}
		size_t stray = sweep_models(fl);
		if (gc.releases || gc.versions || gc.models || stray)
			log_event(LOG_INFO, fl->run_id, NULL, "retention",
				  "removed %lld releases, %lld "
				  "document versions and %lld models no kept release holds, %zu stray "
				  "model files",
				  gc.releases, gc.versions, gc.models, stray);
		release_gc_release(&gc);
	} else {
		log_event(LOG_WARNING, fl->run_id, NULL, "retention", "%s", err.buf);
	}
	flow_corpus_task(fl, "retention", rc ? TASK_FAILED : TASK_COMPLETED, started, time_mono() - t0,
			 rc ? err.buf : NULL);
	strbuf_release(&err);
}

/* Gate the candidate and decide; the message says what happened. */
static int decide(struct flow *fl, const struct release_record *cand, const struct release_record *prod,
		  struct publish_outcome *out, struct strbuf *err)
{
	struct gate g;
	long long started = time_now_ms();
	double t0 = time_mono();
	flow_crash_point("validate");
	if (gate_run(fl->st, fl->cfg, cand, prod, 0, &g, err)) {
		flow_corpus_task(fl, "validate", TASK_FAILED, started, time_mono() - t0, err->buf);
		return -1;
	}
	struct strbuf summary = STRBUF_INIT;
	gate_summary(&g, &summary);
	int pass = g.structural_ok && g.quality_ok;
	json_t *metrics = gate_metrics_json(&g), *checks = gate_checks_json(&g);
	char *mtext = json_dumps(metrics, JSON_COMPACT), *ctext = json_dumps(checks, JSON_COMPACT);
	int rc = store_release_set_verdict(fl->st, cand->id, mtext, ctext, g.eval_key, err);
	free(mtext);
	free(ctext);
	json_decref(metrics);
	json_decref(checks);
	flow_corpus_task(fl, "validate", pass ? TASK_COMPLETED : TASK_FAILED, started, time_mono() - t0,
			 pass ? NULL : summary.buf);
	if (rc)
		goto done;

	started = time_now_ms();
	t0 = time_mono();
	flow_crash_point("promote");
	struct release_action action = { .actor = "gate", .reason = summary.buf };
	enum store_release_change change;
	if (pass) {
		/* Only over the production it was measured against (a rollback may have come meanwhile). */
		change = store_release_promote(fl->st, cand->id, prod ? prod->id : 0, &action, err);
		out->verdict = PUBLISH_PROMOTED;
		out->production = cand->id;
		snprintf(out->message, sizeof(out->message), "release %lld promoted (%s)", cand->id,
			 summary.buf);
	} else {
		change = store_release_refuse(fl->st, cand->id, &action, err);
		out->verdict = PUBLISH_REFUSED;
		out->production = prod ? prod->id : 0;
		if (prod)
			snprintf(out->message, sizeof(out->message),
				 "release %lld refused: %s; "
				 "production stays release %lld",
				 cand->id, summary.buf, prod->id);
		else
			snprintf(out->message, sizeof(out->message),
				 "release %lld refused: %s; "
				 "no release is in production yet",
				 cand->id, summary.buf);
	}
	rc = change == STORE_RELEASE_FAILED ? -1 : 0;
	if (change != STORE_RELEASE_CHANGED && change != STORE_RELEASE_FAILED) {
		/* Someone moved production by hand while the gate measured: nothing is decided. */
		long long now = store_release_production_id(fl->st, err);
		out->verdict = PUBLISH_DEFERRED;
		out->production = now > 0 ? now : 0;
		snprintf(out->message, sizeof(out->message),
			 "production was changed by hand during "
			 "validation (release %lld is in production now): release %lld is left %s (%s)",
			 out->production, cand->id,
			 change == STORE_RELEASE_MOVED ? "a candidate, the next "
							 "run validates it again"
						       : "as it was put",
			 summary.buf);
		strbuf_reset(err);
	}
	flow_corpus_task(fl, "publish", rc ? TASK_FAILED : TASK_COMPLETED, started, time_mono() - t0,
			 rc ? err->buf : NULL);
done:
	log_event(rc                                 ? LOG_ERROR
		  : out->verdict == PUBLISH_PROMOTED ? LOG_INFO
						     : LOG_WARNING,
		  fl->run_id, NULL, "validate", "%s", rc ? err->buf : out->message);
	strbuf_release(&summary);
	gate_release(&g);
	return rc ? -1 : 0;
}

/* The release's lexicon and built-in embedder files are there (a deleted file makes it again). */
static int model_files_present(const struct config *cfg, const struct release_record *r)
{
	const char *files[] = { r->lexicon_path, r->embedder_name && strcmp(r->embedder_name, "openai")
							 ? r->embedder_path
							 : NULL };
	for (size_t i = 0; i < 2; i++) {
		if (!files[i])
			continue;
		char *path = xasprintf("%s/%s", cfg->data_dir, files[i]);
		int there = access(path, R_OK) == 0;
		free(path);
		if (!there)
			return 0;
	}
	return 1;
}

/* Nothing changed since the newest release: no new release, production as it is. */
static void unchanged(const struct release_record *latest, const struct release_record *prod,
		      struct publish_outcome *out)
{
	out->verdict = PUBLISH_UNCHANGED;
	out->release = latest->id;
	out->production = prod ? prod->id : 0;
	if (!strcmp(latest->state, "refused") && prod)
		snprintf(out->message, sizeof(out->message),
			 "nothing changed since release %lld was "
			 "refused; production stays release %lld",
			 latest->id, out->production);
	else if (!strcmp(latest->state, "refused"))
		snprintf(out->message, sizeof(out->message),
			 "nothing changed since release %lld was "
			 "refused; no release is in production ('ragops deploy promote %lld --force' "
			 "puts it there)",
			 latest->id, latest->id);
	else if (prod)
		snprintf(out->message, sizeof(out->message),
			 "nothing changed: production stays "
			 "release %lld",
			 prod->id);
	else
		snprintf(out->message, sizeof(out->message), "nothing changed: release %lld is %s",
			 latest->id, latest->state);
}

int publish_release(struct flow *fl, struct publish_outcome *out, struct strbuf *err)
{
	struct release_record prod = { 0 }, latest = { 0 }, cand = { 0 };
	double t0 = time_mono();
	long long cand_id = 0;
	char *settings = NULL;
	int ret = -1;
	memset(out, 0, sizeof(*out));
	enum lookup got_prod = store_release_get(fl->st, 0, &prod, err);
	enum lookup got_latest = got_prod == LOOKUP_FAILED ? LOOKUP_FAILED
							   : store_release_latest(fl->st, &latest, err);
	if (got_latest == LOOKUP_FAILED)
		goto cleanup;
	const struct release_record *production = got_prod == LOOKUP_FOUND ? &prod : NULL;
	settings = release_settings(fl->cfg);
	/*
	 * A retraining decides on its own candidates: one it left (killed
	 * before it decided) is abandoned, never validated again here, and
	 * one it refused stays refused.  The run compares with production.
	 */
	if (got_latest == LOOKUP_FOUND && latest.changes && strstr(latest.changes, "\"retraining\"") &&
	    strcmp(latest.state, "production")) {
		if (!strcmp(latest.state, "candidate") && store_release_abandon(fl->st, latest.id, err))
			goto cleanup;
		release_record_release(&latest);
		got_latest = production ? store_release_get(fl->st, prod.id, &latest, err)
					: LOOKUP_MISSING;
		if (got_latest == LOOKUP_FAILED)
			goto cleanup;
	}
	if (got_latest == LOOKUP_FOUND) {
		int current;
		if (store_release_is_current(fl->st, latest.id, &current, err))
			goto cleanup;
		/*
		 * Made again: a release missing a part (its embedder was unreachable,
		 * or it was migrated from before releases and has no lexicon), or
		 * one made with other settings (another embedder).
		 */
		int complete = latest.lexicon_id && (latest.embedder_id || !latest.chunks) &&
			       model_files_present(fl->cfg, &latest);
		int same = latest.settings && !strcmp(latest.settings, settings);
		int undecided = !strcmp(latest.state, "candidate");
		/* A refusal stands until something it was measured with changes (golden sets, thresholds). */
		if (current && complete && same && !strcmp(latest.state, "refused")) {
			char key[72];
			if (gate_key(fl->st, fl->cfg, latest.id, key, err))
				goto cleanup;
			if (!latest.eval_key || strcmp(key, latest.eval_key)) {
				undecided = 1;
				log_event(LOG_INFO, fl->run_id, NULL, "validate",
					  "release %lld was refused "
					  "with other golden sets or settings: deciding on it again",
					  latest.id);
			}
		}
		if (current && complete && same && !undecided) {
			unchanged(&latest, production, out);
			flow_corpus_task(fl, "publish", TASK_CACHED, time_now_ms(), 0, NULL);
			ret = 0;
			goto cleanup;
		}
		if (undecided && current && same && complete) {
			/* Left by a run that died before the gate decided, or refused under other settings. */
			cand_id = latest.id;
			if (!strcmp(latest.state, "candidate"))
				log_event(LOG_INFO, fl->run_id, NULL, "validate",
					  "release %lld was left "
					  "undecided by a stopped run: validating it again",
					  cand_id);
		} else if (!strcmp(latest.state, "candidate") &&
			   store_release_abandon(fl->st, latest.id, err)) {
			goto cleanup;
		}
	}
	if (!cand_id) {
		long long started = time_now_ms();
		cand_id = store_release_create(fl->st, fl->run_id, production ? production->id : 0,
					       settings, err);
		if (cand_id < 0) {
			flow_corpus_task(fl, "release", TASK_FAILED, started, 0, err->buf);
			goto cleanup;
		}
		flow_corpus_task(fl, "release", TASK_COMPLETED, started, 0, NULL);
	}
	out->release = cand_id;
	if (store_release_get(fl->st, cand_id, &cand, err) != LOOKUP_FOUND)
		goto cleanup;
	if (build_models(fl, &cand, production, err)) {
		release_record_release(&cand);
		goto cleanup;
	}
	release_record_release(&cand);
	if (store_release_get(fl->st, cand_id, &cand, err) != LOOKUP_FOUND ||
	    decide(fl, &cand, production, out, err))
		goto cleanup;
	retention(fl);
	ret = 0;
cleanup:
	out->seconds = time_mono() - t0;
	free(settings);
	release_record_release(&prod);
	release_record_release(&latest);
	release_record_release(&cand);
	return ret;
}

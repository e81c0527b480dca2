/*
 * Deployments: checking, parameters and description (see deployment.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "core/timezone.h"
#include "core/xalloc.h"
#include "ops/cron.h"
#include "ops/deployment.h"
#include "ops/run_report.h"

#define NEXT_RUNS_SHOWN 3

/* Names go on command lines, URLs and file names: keep them plain. */
static int check_name(const char *name, struct strbuf *err)
{
	size_t n = strlen(name);
	int ok = n >= 1 && n <= 64 && isalnum((unsigned char)name[0]);
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)name[i]) || strchr("-_.", name[i]);
	if (!ok)
		strbuf_addf(err,
			    "'%s' is not a deployment name: 1 to 64 letters, digits, '-', '_' or "
			    "'.', starting with a letter or digit",
			    name);
	return ok ? 0 : -1;
}

/* Split "key=value"; -1 with the reason. */
static int split_param(const char *p, char *key, size_t keylen, const char **value, struct strbuf *err)
{
	const char *eq = strchr(p, '=');
	if (!eq || eq == p || (size_t)(eq - p) >= keylen) {
		strbuf_addf(err,
			    "parameter '%s': give it as key=value (inbox=DIR or a setting "
			    "such as chunk.target_chars=800)",
			    p);
		return -1;
	}
	memcpy(key, p, (size_t)(eq - p));
	key[eq - p] = '\0';
	*value = eq + 1;
	return 0;
}

/*
 * Parameters to {"inbox": [...], "settings": {...}}, each setting checked
 * against the configuration's table on a scratch configuration.
 */
static json_t *params_json(char *const *params, size_t n, struct strbuf *err)
{
	json_t *inbox = json_array(), *settings = json_object();
	struct config scratch;
	config_init(&scratch);
	for (size_t i = 0; i < n; i++) {
		char key[128];
		const char *value;
		if (split_param(params[i], key, sizeof(key), &value, err))
			goto fail;
		if (!strcmp(key, "inbox")) {
			if (!*value) {
				strbuf_addstr(err, "parameter 'inbox=': give the folder");
				goto fail;
			}
			json_array_append_new(inbox, json_string(value));
		} else if (!strcmp(key, "data_dir")) {
			strbuf_addstr(err, "parameter 'data_dir': a deployment runs in the data "
					   "folder it is stored in");
			goto fail;
		} else if (config_set(&scratch, key, value, "--param", err)) {
			goto fail;
		} else {
			json_object_set_new(settings, key, json_string(value));
		}
	}
	config_release(&scratch);
	return json_pack("{s:o, s:o}", "inbox", inbox, "settings", settings);
fail:
	config_release(&scratch);
	json_decref(inbox);
	json_decref(settings);
	return NULL;
}

int deployment_build(const struct deployment_spec *spec, struct deployment *d, struct strbuf *err)
{
	const char *zone = spec->timezone ? spec->timezone : "UTC";
	const char *missed = spec->missed ? spec->missed : "skip";
	const char *overlap = spec->overlap ? spec->overlap : "skip";
	struct cron c;
	memset(d, 0, sizeof(*d));
	if (check_name(spec->name, err))
		return -1;
	if (!spec->cron) {
		strbuf_addstr(err, "a deployment needs a schedule: --cron \"0 2 * * *\"");
		return -1;
	}
	if (cron_parse(spec->cron, &c, err))
		return -1;
	if (strcmp(missed, "skip") && strcmp(missed, "once")) {
		strbuf_addf(err, "--missed '%s': skip or once", missed);
		return -1;
	}
	if (strcmp(overlap, "skip") && strcmp(overlap, "queue")) {
		strbuf_addf(err, "--overlap '%s': skip or queue", overlap);
		return -1;
	}
	struct tz *z = tz_open(zone, err);
	if (!z)
		return -1;
	long long next;
	int never = cron_next(&c, z, (long long)time(NULL), &next);
	tz_close(z);
	if (never) {
		strbuf_addf(err, "the schedule '%s' never fires (no such date in the next eight years)",
			    spec->cron);
		return -1;
	}
	json_t *params = params_json(spec->params, spec->nparams, err);
	if (!params)
		return -1;
	d->params = json_dumps(params, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(params);
	d->name = xstrdup(spec->name);
	d->cron = xstrdup(spec->cron);
	d->timezone = xstrdup(zone);
	d->missed = xstrdup(missed);
	d->overlap = xstrdup(overlap);
	return 0;
}

static void add_inbox(char ***inbox, size_t *n, const char *dir)
{
	*inbox = xrealloc(*inbox, (*n + 1) * sizeof(char *));
	(*inbox)[(*n)++] = xstrdup(dir);
}

void deployment_inbox_free(char **inbox, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(inbox[i]);
	free(inbox);
}

int deployment_apply(const struct deployment *d, char *const *overrides, size_t noverrides,
		     struct config *cfg, char ***inbox, size_t *ninbox, struct strbuf *err)
{
	json_error_t jerr;
	json_t *params = json_loads(d->params ? d->params : "{}", 0, &jerr);
	size_t i, over_inbox = 0;
	const char *key;
	json_t *v;
	*inbox = NULL;
	*ninbox = 0;
	if (!params) {
		strbuf_addf(err, "deployment '%s': its parameters are not JSON: %s", d->name, jerr.text);
		return -1;
	}
	json_object_foreach(json_object_get(params, "settings"), key, v)
	{
		if (config_set(cfg, key, json_string_value(v), "deployment parameter", err))
			goto fail;
	}
	for (i = 0; i < noverrides; i++) {
		char k[128];
		const char *value;
		if (split_param(overrides[i], k, sizeof(k), &value, err))
			goto fail;
		if (!strcmp(k, "inbox"))
			over_inbox++;
		else if (config_set(cfg, k, value, "--param", err))
			goto fail;
	}
	/* Folders given with --param replace the deployment's own. */
	if (over_inbox) {
		for (i = 0; i < noverrides; i++)
			if (!strncmp(overrides[i], "inbox=", 6))
				add_inbox(inbox, ninbox, overrides[i] + 6);
	} else {
		json_array_foreach(json_object_get(params, "inbox"), i, v)
		{
			if (json_is_string(v))
				add_inbox(inbox, ninbox, json_string_value(v));
		}
	}
	if (config_validate(cfg, err))
		goto fail;
	json_decref(params);
	return 0;
fail:
	deployment_inbox_free(*inbox, *ninbox);
	*inbox = NULL;
	*ninbox = 0;
	json_decref(params);
	return -1;
}

int deployment_next_runs(const struct deployment *d, long long after_ms, long long *out, int n,
			 struct strbuf *err)
{
	struct cron c;
	if (cron_parse(d->cron, &c, err))
		return -1;
	struct tz *z = tz_open(d->timezone, err);
	if (!z)
		return -1;
	int k = 0;
	long long t = after_ms / 1000, next;
	while (k < n && !cron_next(&c, z, t, &next)) {
		out[k++] = next * 1000;
		t = next;
	}
	tz_close(z);
	return k;
}

void deployment_local_time(const struct deployment *d, long long ms, char *out, size_t len)
{
	struct strbuf err = STRBUF_INIT;
	struct tz *z = tz_open(d->timezone, &err);
	int off = z ? tz_offset(z, ms / 1000) : 0;
	tz_close(z);
	strbuf_release(&err);
	time_t local = (time_t)(ms / 1000 + off);
	struct tm tm;
	char base[32];
	gmtime_r(&local, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	int a = off < 0 ? -off : off;
	snprintf(out, len, "%s%c%02d:%02d", base, off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}

json_t *deployment_to_json(const struct deployment *d, const struct run_record *last, long long now_ms)
{
	long long next[NEXT_RUNS_SHOWN];
	struct strbuf err = STRBUF_INIT;
	int n = deployment_next_runs(d, now_ms, next, NEXT_RUNS_SHOWN, &err);
	json_t *runs = json_array();
	for (int i = 0; i < n; i++) {
		char when[48];
		deployment_local_time(d, next[i], when, sizeof(when));
		json_array_append_new(runs, json_string(when));
	}
	strbuf_release(&err);
	json_t *params = json_loads(d->params ? d->params : "{}", 0, NULL);
	return json_pack("{s:s, s:s, s:s, s:b, s:o, s:s, s:s, s:o, s:b, s:I, s:I, s:o}", "name", d->name,
			 "cron", d->cron, "timezone", d->timezone, "paused", d->paused, "next_runs",
			 runs, "missed", d->missed, "overlap", d->overlap, "parameters",
			 params ? params : json_object(), "declared", d->declared, "created_at_ms",
			 (json_int_t)d->created_at, "updated_at_ms", (json_int_t)d->updated_at,
			 "last_run", last ? run_to_json(last, 0) : json_null());
}

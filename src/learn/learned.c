/*
 * Learned models of a release; see learned.h.
 */
#include "learn/learned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/xalloc.h"
#include "learn/artefact.h"
#include "learn/curated.h"
#include "learn/ranker.h"
#include "learn/vocabulary.h"

const char *const learned_kinds[4] = { "ranker", "vocabulary", "curated", "thresholds" };

/* Model files are small; a larger one is not ours. */
#define MAX_MODEL_BYTES (64u << 20)

static int kind_index(const char *kind)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(kind, learned_kinds[i]))
			return i;
	return -1;
}

static int load_one(struct store *st, const struct config *cfg, struct learned *l,
		    const struct release_model *m, struct strbuf *err)
{
	int k = kind_index(m->kind);
	if (k < 0)
		return 0; /* a kind this ragops does not know: a newer one made it */
	struct strbuf text = STRBUF_INIT, why = STRBUF_INIT;
	char *path = artefact_local(st, cfg, m->model.path, &why);
	json_error_t jerr;
	json_t *j = NULL;
	int ok = 0;
	if (!path || read_file(path, &text, MAX_MODEL_BYTES, &why))
		goto done;
	j = json_loads(text.buf, 0, &jerr);
	if (!j) {
		strbuf_addf(&why, "line %d: %s", jerr.line, jerr.text);
		goto done;
	}
	switch (k) {
	case 0:
		ok = (l->ranker = ranker_from_json(j, &why)) != NULL;
		break;
	case 1:
		ok = (l->vocab = vocabulary_from_json(j, &why)) != NULL;
		break;
	case 2:
		ok = (l->curated = curated_from_json(j, &why)) != NULL;
		break;
	default:
		l->min_evidence = json_number_value(json_object_get(j, "min_evidence"));
		l->min_similarity = json_number_value(json_object_get(j, "min_similarity"));
		ok = l->has_thresholds = json_is_number(json_object_get(j, "min_evidence")) &&
					 json_is_number(json_object_get(j, "min_similarity"));
		if (!ok)
			strbuf_addstr(&why, "thresholds need 'min_evidence' and 'min_similarity'");
	}
	if (ok)
		snprintf(l->versions[k], sizeof(l->versions[k]), "%s", m->model.version);
done:
	if (!ok)
		strbuf_addf(err, "the %s model %s (%s) cannot be used: %s", m->kind, m->model.version,
			    m->model.path, why.buf);
	json_decref(j);
	free(path);
	strbuf_release(&text);
	strbuf_release(&why);
	return ok ? 0 : -1;
}

int learned_load(struct store *st, const struct config *cfg, long long id, struct learned **out,
		 struct strbuf *err)
{
	struct release_model *models = NULL;
	size_t n = 0;
	*out = NULL;
	if (store_release_models(st, id, &models, &n, err))
		return -1;
	if (!n)
		return 0;
	struct learned *l = xcalloc(1, sizeof(*l));
	int ret = 0;
	for (size_t i = 0; i < n && !ret; i++)
		ret = load_one(st, cfg, l, &models[i], err);
	release_models_free(models, n);
	if (ret)
		learned_free(l);
	else
		*out = l;
	return ret;
}

void learned_free(struct learned *l)
{
	if (!l)
		return;
	ranker_free(l->ranker);
	vocabulary_free(l->vocab);
	curated_free(l->curated);
	free(l);
}

int learned_save(struct store *st, const struct config *cfg, const char *kind, json_t *body,
		 long long parent_id, const char *data_hash, json_t *metrics, long long *model_id,
		 char version[64], struct strbuf *err)
{
	char *text = json_dumps(body, JSON_INDENT(1) | JSON_SORT_KEYS);
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(text, strlen(text), hex);
	snprintf(version, 64, "%s-%.12s", kind, hex);
	char *dir = xasprintf("%s/models", cfg->data_dir);
	char *relpath = xasprintf("models/%s.json", version);
	char *path = xasprintf("%s/%s", cfg->data_dir, relpath);
	char *metrics_text = metrics ? json_dumps(metrics, JSON_COMPACT) : xstrdup("{}");
	struct model_record m = { .kind = (char *)kind,
				  .name = "learned",
				  .version = version,
				  .path = relpath,
				  .params = "{}",
				  .metrics = metrics_text,
				  .parent_id = parent_id,
				  .data_hash = (char *)data_hash };
	int rc = 0;
	if (mkdir_p(dir)) {
		strbuf_addf(err, "cannot create %s", dir);
		rc = -1;
	}
	if (!rc)
		rc = write_file_atomic(path, text, strlen(text), err) ||
		     artefact_register(st, cfg, &m, err);
	*model_id = rc ? 0 : m.id;
	free(text);
	free(dir);
	free(relpath);
	free(path);
	free(metrics_text);
	return rc ? -1 : 0;
}

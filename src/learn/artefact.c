/*
 * Model files shared through the store; see artefact.h.
 */
#include "learn/artefact.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/xalloc.h"
#include "store/store.h"

/* Only files under models/ are the data folder's own (an endpoint's model has a URL). */
static int is_model_file(const char *relpath)
{
	return relpath && !strncmp(relpath, "models/", 7) && !strstr(relpath, "..");
}

/* Keep the file data_dir/relpath in the store. */
static int keep(struct store *st, const char *data_dir, const char *relpath, struct strbuf *err)
{
	struct strbuf bytes = STRBUF_INIT;
	char *path = xasprintf("%s/%s", data_dir, relpath);
	char hex[SHA256_HEX_LEN + 1];
	int rc = read_file(path, &bytes, 0, err);
	if (!rc) {
		sha256_hex(bytes.buf, bytes.len, hex);
		rc = store_artefact_put(st, relpath, hex, bytes.buf, bytes.len, err);
	}
	free(path);
	strbuf_release(&bytes);
	return rc;
}

int artefact_register(struct store *st, const struct config *cfg, struct model_record *m,
		      struct strbuf *err)
{
	if (store_model_register(st, m, err))
		return -1;
	if (!store_keeps_artefacts(st) || !is_model_file(m->path))
		return 0;
	return keep(st, cfg->data_dir, m->path, err);
}

int artefact_keep_all(struct store *st, const char *data_dir, size_t *kept, struct strbuf *err)
{
	struct model_record *models = NULL;
	size_t n = 0;
	*kept = 0;
	if (store_models_list(st, &models, &n, err))
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		if (!is_model_file(models[i].path))
			continue;
		rc = keep(st, data_dir, models[i].path, err);
		*kept += !rc;
	}
	model_records_free(models, n);
	return rc;
}

/* Copy the kept file into the data folder, whole and checked, or not at all. */
static int fetch(struct store *st, const char *relpath, const char *path, struct strbuf *err)
{
	struct strbuf bytes = STRBUF_INIT;
	char kept[65], hex[SHA256_HEX_LEN + 1];
	int rc = -1;
	switch (store_artefact_get(st, relpath, kept, &bytes, err)) {
	case LOOKUP_FAILED:
		goto out;
	case LOOKUP_MISSING:
		strbuf_addf(err, "%s is neither in the data folder nor kept in the store", relpath);
		goto out;
	case LOOKUP_FOUND:
		break;
	}
	sha256_hex(bytes.buf, bytes.len, hex);
	if (strcmp(hex, kept)) {
		strbuf_addf(err, "the store's copy of %s is damaged (SHA-256 %.12s, recorded %.12s)",
			    relpath, hex, kept);
		goto out;
	}
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir))
		strbuf_addf(err, "cannot create %s: %s", dir, strerror(errno));
	else
		rc = write_file_atomic(path, bytes.buf, bytes.len, err);
	free(dir);
out:
	strbuf_release(&bytes);
	return rc;
}

char *artefact_local(struct store *st, const struct config *cfg, const char *relpath, struct strbuf *err)
{
	char *path = xasprintf("%s/%s", cfg->data_dir, relpath);
	/* A file's name is its content's version: one here is the one wanted (written atomically). */
	if (!st || !store_keeps_artefacts(st) || !is_model_file(relpath) || access(path, F_OK) == 0)
		return path;
	if (fetch(st, relpath, path, err)) {
		free(path);
		return NULL;
	}
	return path;
}

char *artefact_fetch_again(struct store *st, const struct config *cfg, const char *relpath,
			   struct strbuf *err)
{
	if (!st || !store_keeps_artefacts(st) || !is_model_file(relpath))
		return NULL;
	char *path = xasprintf("%s/%s", cfg->data_dir, relpath);
	/* The store's copy is checked by hash before it replaces this one (atomically). */
	if (fetch(st, relpath, path, err)) {
		free(path);
		return NULL;
	}
	return path;
}

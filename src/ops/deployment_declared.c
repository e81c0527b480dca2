/*
 * Deployments declared in ragops.yaml; see deployment_declared.h.  The
 * file is read again here, as a document tree: the configuration's walker
 * (core/config.c) passes over this key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/xalloc.h"
#include "ops/deployment.h"
#include "ops/deployment_declared.h"

struct declared {
	struct deployment *items;
	size_t n;
};

static void where(const char *file, const yaml_node_t *node, struct strbuf *err)
{
	strbuf_addf(err, "%s:%zu:%zu: ", file, node->start_mark.line + 1, node->start_mark.column + 1);
}

static const char *scalar(const yaml_node_t *node)
{
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

/* "key=value" params from the `params` mapping; inbox may be a list. */
static int read_params(yaml_document_t *doc, const char *file, yaml_node_t *map, char ***params,
		       size_t *n, struct strbuf *err)
{
	if (map->type != YAML_MAPPING_NODE) {
		where(file, map, err);
		strbuf_addstr(
			err,
			"'params' must be a mapping of settings (inbox: DIR, chunk.target_chars: 800)");
		return -1;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key),
			    *v = yaml_document_get_node(doc, p->value);
		const char *key = scalar(k);
		if (v && v->type == YAML_SEQUENCE_NODE && key && !strcmp(key, "inbox")) {
			for (yaml_node_item_t *i = v->data.sequence.items.start;
			     i < v->data.sequence.items.top; i++) {
				const char *dir = scalar(yaml_document_get_node(doc, *i));
				if (!dir) {
					where(file, v, err);
					strbuf_addstr(err,
						      "'inbox' must be a folder or a list of folders");
					return -1;
				}
				*params = xrealloc(*params, (*n + 1) * sizeof(char *));
				(*params)[(*n)++] = xasprintf("inbox=%s", dir);
			}
			continue;
		}
		if (!key || !scalar(v)) {
			where(file, v ? v : map, err);
			strbuf_addf(err, "parameter '%s' must be a single value", key ? key : "?");
			return -1;
		}
		*params = xrealloc(*params, (*n + 1) * sizeof(char *));
		(*params)[(*n)++] = xasprintf("%s=%s", key, scalar(v));
	}
	return 0;
}

static void free_params(char **params, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(params[i]);
	free(params);
}

/* One entry of the list into d (checked as `ragops deployment create` checks). */
static int read_one(yaml_document_t *doc, const char *file, yaml_node_t *entry, struct deployment *d,
		    struct strbuf *err)
{
	struct deployment_spec spec = { 0 };
	char **params = NULL;
	size_t nparams = 0;
	int ret = -1;
	if (entry->type != YAML_MAPPING_NODE) {
		where(file, entry, err);
		strbuf_addstr(
			err,
			"each deployment is a mapping: name, cron, timezone, missed, overlap, params");
		return -1;
	}
	for (yaml_node_pair_t *p = entry->data.mapping.pairs.start; p < entry->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key),
			    *v = yaml_document_get_node(doc, p->value);
		const char *key = scalar(k);
		const char **slot = !key                       ? NULL
				    : !strcmp(key, "name")     ? &spec.name
				    : !strcmp(key, "cron")     ? &spec.cron
				    : !strcmp(key, "timezone") ? &spec.timezone
				    : !strcmp(key, "missed")   ? &spec.missed
				    : !strcmp(key, "overlap")  ? &spec.overlap
							       : NULL;
		if (key && !strcmp(key, "params")) {
			if (read_params(doc, file, v, &params, &nparams, err))
				goto done;
			continue;
		}
		if (!slot) {
			where(file, k, err);
			strbuf_addf(
				err,
				"unknown key '%s' in a deployment (name, cron, timezone, missed, overlap, params)",
				key ? key : "?");
			goto done;
		}
		if (!(*slot = scalar(v))) {
			where(file, v, err);
			strbuf_addf(err, "'%s' must be a single value", key);
			goto done;
		}
	}
	if (!spec.name) {
		where(file, entry, err);
		strbuf_addstr(err, "a deployment needs a name (name: nightly)");
		goto done;
	}
	spec.params = params;
	spec.nparams = nparams;
	struct strbuf why = STRBUF_INIT;
	if (deployment_build(&spec, d, &why)) {
		where(file, entry, err);
		strbuf_addf(err, "deployment %s: %s", spec.name ? spec.name : "(no name)", why.buf);
		strbuf_release(&why);
		goto done;
	}
	strbuf_release(&why);
	d->declared = 1;
	ret = 0;
done:
	free_params(params, nparams);
	return ret;
}

/* The declared list: 1 when the file has the key, 0 when not, -1 on an error. */
static int read_declared(const char *file, struct declared *out, struct strbuf *err)
{
	FILE *fp = fopen(file, "rb");
	if (!fp)
		return 0; /* the configuration loader already said what it thinks of it */
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	int ret = -1;
	if (!yaml_parser_load(&parser, &doc)) {
		strbuf_addf(err, "%s: invalid YAML", file);
		yaml_parser_delete(&parser);
		fclose(fp);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc), *list = NULL;
	if (root && root->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top; p++) {
			const char *key = scalar(yaml_document_get_node(&doc, p->key));
			if (key && !strcmp(key, CONFIG_DEPLOYMENTS_KEY))
				list = yaml_document_get_node(&doc, p->value);
		}
	if (!list) {
		ret = 0;
	} else if (list->type == YAML_SCALAR_NODE && !*scalar(list)) {
		ret = 1; /* "deployments:" with nothing: none declared */
	} else if (list->type != YAML_SEQUENCE_NODE) {
		where(file, list, err);
		strbuf_addstr(err, "'deployments' must be a list (- name: nightly ...)");
	} else {
		ret = 1;
		for (yaml_node_item_t *i = list->data.sequence.items.start;
		     i < list->data.sequence.items.top; i++) {
			struct deployment d;
			if (read_one(&doc, file, yaml_document_get_node(&doc, *i), &d, err)) {
				ret = -1;
				break;
			}
			for (size_t j = 0; j < out->n; j++)
				if (!strcmp(out->items[j].name, d.name)) {
					where(file, yaml_document_get_node(&doc, *i), err);
					strbuf_addf(err, "deployment %s is declared twice", d.name);
					deployment_release(&d);
					ret = -1;
					break;
				}
			if (ret < 0)
				break;
			out->items = xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
			out->items[out->n++] = d;
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
	return ret;
}

static int same(const struct deployment *a, const struct deployment *b)
{
	return !strcmp(a->cron, b->cron) && !strcmp(a->timezone, b->timezone) &&
	       !strcmp(a->params, b->params) && !strcmp(a->missed, b->missed) &&
	       !strcmp(a->overlap, b->overlap) && a->declared == b->declared;
}

int deployments_reconcile(struct store *st, const struct config *cfg, struct strbuf *report,
			  struct strbuf *err)
{
	struct declared want = { 0 };
	struct deployment *have = NULL;
	size_t nhave = 0;
	int ret = -1;
	int found = cfg->file ? read_declared(cfg->file, &want, err) : 0;
	if (found <= 0) {
		ret = found;
		goto done;
	}
	if (store_deployments_list(st, &have, &nhave, err))
		goto done;
	for (size_t i = 0; i < want.n; i++) {
		struct deployment *w = &want.items[i], *h = NULL;
		for (size_t j = 0; j < nhave; j++)
			if (!strcmp(have[j].name, w->name))
				h = &have[j];
		if (h && same(h, w))
			continue;
		if (h) /* a person's pause stands; the schedule's progress is kept by the store */
			w->paused = h->paused;
		if (store_deployment_put(st, w, 1, err) == LOOKUP_FAILED)
			goto done;
		strbuf_addf(report, "%s%s %s", report->len ? "; " : "", h ? "updated" : "created",
			    w->name);
	}
	for (size_t j = 0; j < nhave; j++) {
		if (!have[j].declared)
			continue;
		int still = 0;
		for (size_t i = 0; i < want.n; i++)
			still |= !strcmp(want.items[i].name, have[j].name);
		if (!still)
			strbuf_addf(
				report,
				"%s%s is no longer declared: kept ('ragops deployment delete %s' removes it)",
				report->len ? "; " : "", have[j].name, have[j].name);
	}
	ret = 0;
done:
	deployments_free(want.items, want.n);
	deployments_free(have, nhave);
	return ret < 0 ? -1 : 0;
}

int deployment_is_declared(const struct config *cfg, const char *name)
{
	struct declared list = { 0 };
	struct strbuf ignored = STRBUF_INIT;
	int found = 0;
	if (cfg->file && read_declared(cfg->file, &list, &ignored) > 0)
		for (size_t i = 0; i < list.n; i++)
			found |= !strcmp(list.items[i].name, name);
	deployments_free(list.items, list.n);
	strbuf_release(&ignored);
	return found;
}

/*
 * Table-driven configuration over libyaml's event parser.  We walk the
 * events ourselves rather than map them with libcyaml because the table
 * also drives environment variables, -c overrides and `ragops config`, and
 * because every error, range errors included, must carry a line number.
 * The table of keys is config_fields.c; checks across keys, config_validate.c.
 */
#include "core/config.h"
#include "core/config_fields.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/error.h"
#include "core/strutil.h"
#include "core/wire.h"
#include "core/xalloc.h"


static const struct field *find_field(const char *key)
{
	for (size_t i = 0; i < config_nfields; i++)
		if (!strcmp(config_fields[i].key, key))
			return &config_fields[i];
	return NULL;
}

static int is_section(const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < config_nfields; i++)
		if (!strncmp(config_fields[i].key, key, n) && config_fields[i].key[n] == '.')
			return 1;
	return 0;
}

/* Suggest a key, or a section ("chunks" -> "chunk"), close to a mistyped one. */
static void suggest_key(const char *key, struct strbuf *err)
{
	const char **names = xcalloc(2 * config_nfields + 1, sizeof(*names));
	char **sections = xcalloc(config_nfields, sizeof(*sections));
	size_t n = 0, nsections = 0;
	for (size_t i = 0; i < config_nfields; i++) {
		names[n++] = config_fields[i].key;
		const char *dot = strchr(config_fields[i].key, '.');
		if (dot && !strchr(key, '.'))
			names[n++] = sections[nsections++] = xstrndup(config_fields[i].key,
								      (size_t)(dot -
									       config_fields[i].key));
	}
	names[n] = NULL;
	const char *best = closest_word(key, names);
	if (best)
		strbuf_addf(err, " (did you mean '%s'?)", best);
	for (size_t i = 0; i < nsections; i++)
		free(sections[i]);
	free(sections);
	free(names);
}

/* The items and count of a list field (the inbox, the golden sets). */
static char ***list_items(struct config *cfg, const struct field *f, size_t **nr)
{
	if (f->offset == OFF(validate.golden)) {
		*nr = &cfg->validate.golden_nr;
		return &cfg->validate.golden;
	}
	*nr = &cfg->inbox_nr;
	return &cfg->inbox;
}

static void list_clear(struct config *cfg, const struct field *f)
{
	size_t *nr;
	char ***items = list_items(cfg, f, &nr);
	for (size_t i = 0; i < *nr; i++)
		free((*items)[i]);
	free(*items);
	*items = NULL;
	*nr = 0;
}

static void list_add(struct config *cfg, const struct field *f, const char *item)
{
	size_t *nr;
	char ***items = list_items(cfg, f, &nr);
	*items = xrealloc(*items, (*nr + 1) * sizeof(char *));
	(*items)[(*nr)++] = xstrdup(item);
}

/* Set a scalar field from text; `where` prefixes the error ("file:line:col"). */
static int set_value(struct config *cfg, const struct field *f, const char *value, const char *where,
		     struct strbuf *err)
{
	char *base = (char *)cfg + f->offset;
	switch (f->type) {
	case F_STRING:
	case F_STRING_EMPTY: {
		char **slot = (char **)base;
		if (!*value && f->type == F_STRING) {
			strbuf_addf(err, "%s: '%s' must not be empty", where, f->key);
			return -1;
		}
		free(*slot);
		*slot = xstrdup(value);
		return 0;
	}
	case F_CHOICE: {
		for (const char *const *c = f->choices; *c; c++) {
			if (!strcmp(*c, value)) {
				char **slot = (char **)base;
				free(*slot);
				*slot = xstrdup(value);
				return 0;
			}
		}
		strbuf_addf(err, "%s: '%s' must be one of", where, f->key);
		for (const char *const *c = f->choices; *c; c++)
			strbuf_addf(err, "%s %s", c == f->choices ? "" : ",", *c);
		strbuf_addf(err, "; not '%s'", value);
		return -1;
	}
	case F_UINT: {
		long long v;
		if (parse_ll(value, &v)) {
			strbuf_addf(err, "%s: '%s' must be a whole number, not '%s'", where, f->key,
				    value);
			return -1;
		}
		if (v < f->min || v > f->max) {
			strbuf_addf(err, "%s: '%s' must be between %.0f and %.0f, not %lld", where,
				    f->key, f->min, f->max, v);
			return -1;
		}
		*(unsigned *)base = (unsigned)v;
		return 0;
	}
	case F_SIZE: {
		char *end;
		errno = 0;
		double v = strtod(value, &end);
		double unit = 1;
		switch (*end) {
		case 'k':
		case 'K':
			unit = 1024.0;
			end++;
			break;
		case 'm':
		case 'M':
			unit = 1024.0 * 1024;
			end++;
			break;
		case 'g':
		case 'G':
			unit = 1024.0 * 1024 * 1024;
			end++;
			break;
		default:
			break;
		}
		if (*end == 'B' || *end == 'b')
			end++;
		if (errno || end == value || *end || !isfinite(v) || v * unit < f->min ||
		    v * unit > f->max) {
			strbuf_addf(err, "%s: '%s' must be a size such as 500K, 200M or 2G, not '%s'",
				    where, f->key, value);
			return -1;
		}
		*(unsigned long long *)base = (unsigned long long)(v * unit);
		return 0;
	}
	case F_DOUBLE: {
		char *end;
		errno = 0;
		double v = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(v)) {
			strbuf_addf(err, "%s: '%s' must be a number, not '%s'", where, f->key, value);
			return -1;
		}
		if (v < f->min || v > f->max) {
			strbuf_addf(err, "%s: '%s' must be between %g and %g, not %g", where, f->key,
				    f->min, f->max, v);
			return -1;
		}
		*(double *)base = v;
		return 0;
	}
	case F_LIST:
		/* A scalar given for a list: a colon-separated path list. */
		list_clear(cfg, f);
		for (const char *p = value; *p;) {
			const char *colon = strchr(p, ':');
			size_t n = colon ? (size_t)(colon - p) : strlen(p);
			if (n) {
				char *item = xstrndup(p, n);
				list_add(cfg, f, item);
				free(item);
			}
			p += n + (colon ? 1 : 0);
		}
		return 0;
	}
	return 0;
}

void config_init(struct config *cfg)
{
	struct strbuf err = STRBUF_INIT;
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < config_nfields; i++)
		if (set_value(cfg, &config_fields[i], config_fields[i].def, "default", &err))
			BUG("bad default for '%s': %s", config_fields[i].key, err.buf);
	strbuf_release(&err);
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < config_nfields; i++)
		if (config_fields[i].type == F_LIST)
			list_clear(cfg, &config_fields[i]);
	for (size_t i = 0; i < config_nfields; i++)
		if (config_fields[i].type == F_STRING || config_fields[i].type == F_STRING_EMPTY ||
		    config_fields[i].type == F_CHOICE)
			free(*(char **)((char *)cfg + config_fields[i].offset));
	free(cfg->file);
	memset(cfg, 0, sizeof(*cfg));
}

/* --- YAML ---------------------------------------------------------------- */

struct yaml_walk {
	yaml_parser_t parser;
	const char *path;
	struct config *cfg;
	struct strbuf *err;
};

static void where_at(const struct yaml_walk *w, const yaml_mark_t *m, char *out, size_t n)
{
	snprintf(out, n, "%s:%zu:%zu", w->path, m->line + 1, m->column + 1);
}

static int next_event(struct yaml_walk *w, yaml_event_t *ev)
{
	if (yaml_parser_parse(&w->parser, ev))
		return 0;
	strbuf_addf(w->err, "%s:%zu:%zu: invalid YAML: %s", w->path, w->parser.problem_mark.line + 1,
		    w->parser.problem_mark.column + 1,
		    w->parser.problem ? w->parser.problem : "syntax error");
	return -1;
}

static int walk_mapping(struct yaml_walk *w, const char *prefix);

static int walk_list(struct yaml_walk *w, const struct field *f)
{
	list_clear(w->cfg, f);
	for (;;) {
		yaml_event_t ev;
		if (next_event(w, &ev))
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			char where[512];
			where_at(w, &ev.start_mark, where, sizeof(where));
			strbuf_addf(w->err, "%s: '%s' must be a list of paths", where, f->key);
			yaml_event_delete(&ev);
			return -1;
		}
		list_add(w->cfg, f, (const char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
	}
}

/* Pass over a value read elsewhere (deployments: ops/deployment_declared.c), nested or not. */
static int skip_value(struct yaml_walk *w)
{
	int depth = 0;
	do {
		yaml_event_t ev;
		if (next_event(w, &ev))
			return -1;
		if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		yaml_event_delete(&ev);
	} while (depth > 0);
	return 0;
}

static int walk_value(struct yaml_walk *w, const char *key, const yaml_mark_t *key_mark)
{
	char where[512];
	yaml_event_t ev;
	int ret = -1;
	const struct field *f = find_field(key);

	if (!strcmp(key, CONFIG_DEPLOYMENTS_KEY))
		return skip_value(w);
	where_at(w, key_mark, where, sizeof(where));
	if (!f && !is_section(key)) {
		strbuf_addf(w->err, "%s: unknown key '%s'", where, key);
		suggest_key(key, w->err);
		return -1;
	}
	if (next_event(w, &ev))
		return -1;
	if (ev.type == YAML_MAPPING_START_EVENT && !f) {
		ret = walk_mapping(w, key);
	} else if (ev.type == YAML_SEQUENCE_START_EVENT && f && f->type == F_LIST) {
		ret = walk_list(w, f);
	} else if (ev.type == YAML_SCALAR_EVENT && f) {
		ret = set_value(w->cfg, f, (const char *)ev.data.scalar.value, where, w->err);
	} else if (!f) {
		strbuf_addf(w->err, "%s: '%s' is a section and needs keys under it", where, key);
	} else {
		strbuf_addf(w->err, "%s: '%s' needs a %s", where, key,
			    f->type == F_LIST ? "list" : "single value");
	}
	yaml_event_delete(&ev);
	return ret;
}

static int walk_mapping(struct yaml_walk *w, const char *prefix)
{
	for (;;) {
		yaml_event_t ev;
		if (next_event(w, &ev))
			return -1;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			char where[512];
			where_at(w, &ev.start_mark, where, sizeof(where));
			strbuf_addf(w->err, "%s: expected a key", where);
			yaml_event_delete(&ev);
			return -1;
		}
		char *key = prefix ? xasprintf("%s.%s", prefix, (char *)ev.data.scalar.value)
				   : xstrdup((char *)ev.data.scalar.value);
		yaml_mark_t mark = ev.start_mark;
		yaml_event_delete(&ev);
		int ret = walk_value(w, key, &mark);
		free(key);
		if (ret)
			return -1;
	}
}

int config_load_file(struct config *cfg, const char *path, struct strbuf *err)
{
	struct yaml_walk w = { .path = path, .cfg = cfg, .err = err };
	int ret = -1;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		strbuf_addf(err, "cannot open config '%s': %s", path, strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&w.parser);
	yaml_parser_set_input_file(&w.parser, fp);
	for (int done = 0; !done;) {
		yaml_event_t ev;
		if (next_event(&w, &ev))
			goto cleanup;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_MAPPING_START_EVENT:
			yaml_event_delete(&ev);
			if (walk_mapping(&w, NULL))
				goto cleanup;
			continue;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT: {
			char where[512];
			where_at(&w, &ev.start_mark, where, sizeof(where));
			strbuf_addf(err, "%s: the file must be a mapping of keys", where);
			yaml_event_delete(&ev);
			goto cleanup;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	free(cfg->file);
	cfg->file = xstrdup(path);
	ret = 0;
cleanup:
	yaml_parser_delete(&w.parser);
	fclose(fp);
	return ret;
}

static char *env_name(const char *key)
{
	char *name = xasprintf("RAGOPS_%s", key);
	for (char *p = name; *p; p++)
		*p = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
	return name;
}

int config_load_env(struct config *cfg, struct strbuf *err)
{
	for (size_t i = 0; i < config_nfields; i++) {
		char *name = env_name(config_fields[i].key);
		const char *value = getenv(name);
		int ret = 0;
		if (value) {
			char *where = xasprintf("environment %s", name);
			ret = set_value(cfg, &config_fields[i], value, where, err);
			free(where);
		}
		free(name);
		if (ret)
			return -1;
	}
	return 0;
}

int config_set(struct config *cfg, const char *key, const char *value, const char *origin,
	       struct strbuf *err)
{
	const struct field *f = find_field(key);
	if (!f) {
		strbuf_addf(err, "%s: unknown key '%s'", origin, key);
		suggest_key(key, err);
		return -1;
	}
	return set_value(cfg, f, value, origin, err);
}

static void format_value(const struct config *cfg, const struct field *f, struct strbuf *out)
{
	const char *base = (const char *)cfg + f->offset;
	switch (f->type) {
	case F_STRING:
	case F_STRING_EMPTY:
	case F_CHOICE:
		strbuf_addstr(out, *(char *const *)base);
		break;
	case F_UINT:
		strbuf_addf(out, "%u", *(const unsigned *)base);
		break;
	case F_SIZE:
		strbuf_addf(out, "%llu", *(const unsigned long long *)base);
		break;
	case F_DOUBLE:
		strbuf_addf(out, "%g", *(const double *)base);
		break;
	case F_LIST: {
		size_t *nr;
		char **items = *list_items((struct config *)cfg, f, &nr);
		for (size_t i = 0; i < *nr; i++)
			strbuf_addf(out, "%s%s", i ? ":" : "", items[i]);
		break;
	}
	}
}

/* Values that hold a credential (a webhook's URL carries its token): shown as "(set)". */
static int is_secret(const struct field *f)
{
	return !strcmp(f->key, "notify.slack") || !strcmp(f->key, "notify.webhook") ||
	       !strcmp(f->key, "notify.command");
}

/* A URL with its password (scheme://user:PASSWORD@host) shown as "****". */
static void add_url_masked(struct strbuf *out, const char *url)
{
	const char *authority = strstr(url, "://");
	const char *at = authority ? strchr(authority + 3, '@') : NULL;
	const char *colon = at ? memchr(authority + 3, ':', (size_t)(at - authority - 3)) : NULL;
	if (!colon) {
		strbuf_addstr(out, url);
		return;
	}
	strbuf_add(out, url, (size_t)(colon + 1 - url));
	strbuf_addstr(out, "****");
	strbuf_addstr(out, at);
}

/* format_value, a secret's value replaced. */
static void format_shown(const struct config *cfg, const struct field *f, struct strbuf *out)
{
	if (!strcmp(f->key, "store.url")) {
		add_url_masked(out, cfg->store.url);
		return;
	}
	/* Secrets are strings: only they are read as one. */
	const char *value = is_secret(f) ? *(char *const *)((const char *)cfg + f->offset) : NULL;
	if (value && *value)
		strbuf_addstr(out, "(set)");
	else
		format_value(cfg, f, out);
}

void config_dump(const struct config *cfg, struct strbuf *out)
{
	for (size_t i = 0; i < config_nfields; i++) {
		strbuf_addf(out, "%s = ", config_fields[i].key);
		format_shown(cfg, &config_fields[i], out);
		strbuf_addch(out, '\n');
	}
}

/*
 * Every field in table order, exactly (doubles in hexadecimal): the two
 * ends are the same binary, so no key or version travels.
 */
void config_wire_put(const struct config *cfg, struct strbuf *out)
{
	char num[64];
	wire_put_u32(out, (uint32_t)config_nfields);
	for (size_t i = 0; i < config_nfields; i++) {
		const char *base = (const char *)cfg + config_fields[i].offset;
		switch (config_fields[i].type) {
		case F_STRING:
		case F_STRING_EMPTY:
		case F_CHOICE:
			wire_put_str(out, *(char *const *)base);
			break;
		case F_UINT:
			wire_put_u32(out, *(const unsigned *)base);
			break;
		case F_SIZE:
			snprintf(num, sizeof(num), "%llu", *(const unsigned long long *)base);
			wire_put_str(out, num);
			break;
		case F_DOUBLE:
			snprintf(num, sizeof(num), "%a", *(const double *)base);
			wire_put_str(out, num);
			break;
		case F_LIST: {
			size_t *nr;
			char **items = *list_items((struct config *)cfg, &config_fields[i], &nr);
			wire_put_u32(out, (uint32_t)*nr);
			for (size_t j = 0; j < *nr; j++)
				wire_put_str(out, items[j]);
			break;
		}
		}
	}
}

int config_wire_get(struct config *cfg, const char *data, size_t len, struct strbuf *err)
{
	struct wire_reader r = WIRE_READER(data, len);
	if (wire_get_u32(&r) != config_nfields) {
		strbuf_addstr(err, "the configuration sent is of another build");
		return -1;
	}
	for (size_t i = 0; i < config_nfields && !r.bad; i++) {
		char *base = (char *)cfg + config_fields[i].offset;
		switch (config_fields[i].type) {
		case F_STRING:
		case F_STRING_EMPTY:
		case F_CHOICE: {
			char **slot = (char **)base;
			free(*slot);
			*slot = wire_get_strdup(&r);
			break;
		}
		case F_UINT:
			*(unsigned *)base = wire_get_u32(&r);
			break;
		case F_SIZE:
		case F_DOUBLE: {
			char *num = wire_get_strdup(&r);
			if (num && config_fields[i].type == F_SIZE)
				*(unsigned long long *)base = strtoull(num, NULL, 10);
			else if (num)
				*(double *)base = strtod(num, NULL);
			free(num);
			break;
		}
		case F_LIST: {
			list_clear(cfg, &config_fields[i]);
			uint32_t n = wire_get_u32(&r);
			for (uint32_t j = 0; j < n && !r.bad; j++) {
				char *item = wire_get_strdup(&r);
				if (item)
					list_add(cfg, &config_fields[i], item);
				free(item);
			}
			break;
		}
		}
	}
	if (!wire_done(&r)) {
		strbuf_addstr(err, "the configuration sent is damaged");
		return -1;
	}
	return 0;
}

char *config_to_json(const struct config *cfg)
{
	json_t *obj = json_object();
	struct strbuf v = STRBUF_INIT;
	for (size_t i = 0; i < config_nfields; i++) {
		const char *base = (const char *)cfg + config_fields[i].offset;
		json_t *val;
		if (config_fields[i].type == F_UINT) {
			val = json_integer(*(const unsigned *)base);
		} else if (config_fields[i].type == F_SIZE) {
			val = json_integer((json_int_t) * (const unsigned long long *)base);
		} else if (config_fields[i].type == F_DOUBLE) {
			val = json_real(*(const double *)base);
		} else if (config_fields[i].type == F_LIST) {
			size_t *nr;
			char **items = *list_items((struct config *)cfg, &config_fields[i], &nr);
			val = json_array();
			for (size_t j = 0; j < *nr; j++)
				json_array_append_new(val, json_string(items[j]));
		} else {
			strbuf_reset(&v);
			format_shown(cfg, &config_fields[i], &v);
			val = json_string(v.buf);
		}
		json_object_set_new(obj, config_fields[i].key, val);
	}
	strbuf_release(&v);
	char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	return s;
}

/* How the work is done, not what it makes: a stage's results do not depend on these. */
static const char *const operational_keys[] = {
	"embed.timeout",     "embed.retries", "embed.batch",    "embed.url",
	"embed.api_key_env", "ocr.threads",   "ingest.threads",
};

int config_key_is_operational(const char *key)
{
	for (size_t i = 0; i < sizeof(operational_keys) / sizeof(operational_keys[0]); i++)
		if (!strcmp(key, operational_keys[i]))
			return 1;
	return 0;
}

void config_section_fingerprint(const struct config *cfg, const char *prefix, struct strbuf *out)
{
	for (size_t i = 0; i < config_nfields; i++) {
		if (!starts_with(config_fields[i].key, prefix))
			continue;
		strbuf_addf(out, "%s=", config_fields[i].key);
		/*
		 * An operational key counts at its default, whatever its value:
		 * changing it changes no key, and keys made before it was left
		 * out (with the default) stay the same.
		 */
		if (config_key_is_operational(config_fields[i].key))
			strbuf_addstr(out, config_fields[i].def);
		else
			format_value(cfg, &config_fields[i], out);
		strbuf_addch(out, ';');
	}
}

const char *config_store_location(const struct config *cfg)
{
	return *cfg->store.url ? cfg->store.url : cfg->data_dir;
}

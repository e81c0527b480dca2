/*
 * Table-driven configuration over libyaml's event parser.  We walk the
 * events ourselves rather than map them with libcyaml because the table
 * also drives environment variables, -c overrides and `ragops config`, and
 * because every error, range errors included, must carry a line number.
 */
#include "core/config.h"

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

enum field_type { F_STRING, F_STRING_EMPTY, F_UINT, F_DOUBLE, F_LIST, F_CHOICE, F_SIZE };

struct field {
	const char *key;
	enum field_type type;
	size_t offset;
	const char *def;
	double min, max;
	const char *const *choices; /* F_CHOICE: the allowed words, NULL-terminated */
};

static const char *const levels[] = { "debug", "info", "warning", "error", NULL };
static const char *const ocr_modes[] = { "auto", "force", "skip", NULL };
static const char *const retrievers[] = { "bm25", "dense", "hybrid", NULL };
static const char *const bm25_indexes[] = { "lexicon", "fts5", NULL };
static const char *const vector_types[] = { "int8", "float32", NULL };
static const char *const embedders[] = { "builtin", "openai", NULL };
static const char *const answerers[] = { "extractive", "openai", NULL };
static const char *const booleans[] = { "false", "true", NULL };

#define OFF(member) offsetof(struct config, member)
/* clang-format off */
static const struct field fields[] = {
	{ "data_dir", F_STRING, OFF(data_dir), "./ragops-data", 0, 0, NULL },
	{ "inbox", F_LIST, OFF(inbox), "", 0, 0, NULL },
	{ "collect.max_file_size", F_SIZE, OFF(collect.max_file_size), "200M", 1, 1e12, NULL },
	{ "collect.max_pages", F_UINT, OFF(collect.max_pages), "2000", 1, 1000000, NULL },
	{ "ingest.isolate", F_CHOICE, OFF(ingest.isolate), "true", 0, 0, booleans },
	{ "ingest.threads", F_UINT, OFF(ingest.threads), "0", 0, 256, NULL },
	{ "ingest.parser_timeout", F_DOUBLE, OFF(ingest.parser_timeout), "120", 1, 86400, NULL },
	{ "ingest.parser_memory", F_SIZE, OFF(ingest.parser_memory), "2G", 64 << 20, 1e13, NULL },
	{ "extract.heading_ratio", F_DOUBLE, OFF(extract.heading_ratio), "1.15", 1.0, 5.0, NULL },
	{ "extract.min_page_chars", F_UINT, OFF(extract.min_page_chars), "20", 0, 100000, NULL },
	{ "clean.repeated_line_ratio", F_DOUBLE, OFF(clean.repeated_line_ratio), "0.6", 0.1, 1.0, NULL },
	{ "chunk.target_chars", F_UINT, OFF(chunk.target_chars), "600", 100, 100000, NULL },
	{ "chunk.overlap_chars", F_UINT, OFF(chunk.overlap_chars), "100", 0, 50000, NULL },
	{ "chunk.min_chars", F_UINT, OFF(chunk.min_chars), "200", 0, 100000, NULL },
	{ "search.limit", F_UINT, OFF(search.limit), "10", 1, 1000, NULL },
	{ "embed.embedder", F_CHOICE, OFF(embed.embedder), "builtin", 0, 0, embedders },
	{ "embed.url", F_STRING_EMPTY, OFF(embed.url), "", 0, 0, NULL },
	{ "embed.model", F_STRING_EMPTY, OFF(embed.model), "", 0, 0, NULL },
	{ "embed.api_key_env", F_STRING_EMPTY, OFF(embed.api_key_env), "RAGOPS_API_KEY", 0, 0, NULL },
	{ "embed.batch", F_UINT, OFF(embed.batch), "32", 1, 4096, NULL },
	{ "embed.timeout", F_DOUBLE, OFF(embed.timeout), "30", 0.1, 3600, NULL },
	{ "embed.retries", F_UINT, OFF(embed.retries), "3", 0, 20, NULL },
	{ "embed.dim", F_UINT, OFF(embed.dim), "256", 2, 4096, NULL },
	{ "embed.min_df", F_UINT, OFF(embed.min_df), "2", 1, 1000, NULL },
	{ "embed.max_features", F_UINT, OFF(embed.max_features), "50000", 100, 2000000, NULL },
	{ "embed.train_chunks", F_UINT, OFF(embed.train_chunks), "20000", 10, 10000000, NULL },
	{ "embed.retrain_ratio", F_DOUBLE, OFF(embed.retrain_ratio), "0.2", 0, 1, NULL },
	{ "retrieve.mode", F_CHOICE, OFF(retrieve.mode), "hybrid", 0, 0, retrievers },
	{ "retrieve.candidates", F_UINT, OFF(retrieve.candidates), "50", 5, 1000, NULL },
	{ "retrieve.rrf_k", F_UINT, OFF(retrieve.rrf_k), "60", 1, 1000, NULL },
	{ "retrieve.dense_weight", F_DOUBLE, OFF(retrieve.dense_weight), "1", 0, 10, NULL },
	{ "retrieve.per_document", F_UINT, OFF(retrieve.per_document), "3", 1, 100, NULL },
	{ "retrieve.bm25_index", F_CHOICE, OFF(retrieve.bm25_index), "lexicon", 0, 0, bm25_indexes },
	{ "retrieve.vectors", F_CHOICE, OFF(retrieve.vectors), "int8", 0, 0, vector_types },
	{ "retrieve.query_max_bytes", F_UINT, OFF(retrieve.query_max_bytes), "2000", 16, 1000000, NULL },
	{ "retrieve.query_max_terms", F_UINT, OFF(retrieve.query_max_terms), "64", 1, 100000, NULL },
	{ "answer.answerer", F_CHOICE, OFF(answer.answerer), "extractive", 0, 0, answerers },
	{ "answer.url", F_STRING_EMPTY, OFF(answer.url), "", 0, 0, NULL },
	{ "answer.model", F_STRING_EMPTY, OFF(answer.model), "", 0, 0, NULL },
	{ "answer.api_key_env", F_STRING_EMPTY, OFF(answer.api_key_env), "RAGOPS_API_KEY", 0, 0, NULL },
	{ "answer.timeout", F_DOUBLE, OFF(answer.timeout), "60", 0.1, 3600, NULL },
	{ "answer.retries", F_UINT, OFF(answer.retries), "2", 0, 20, NULL },
	{ "answer.max_tokens", F_UINT, OFF(answer.max_tokens), "400", 16, 100000, NULL },
	{ "answer.sources", F_UINT, OFF(answer.sources), "5", 1, 50, NULL },
	{ "answer.min_evidence", F_DOUBLE, OFF(answer.min_evidence), "0.38", 0, 1, NULL },
	{ "answer.min_similarity", F_DOUBLE, OFF(answer.min_similarity), "0.52", 0, 1, NULL },
	{ "answer.max_sentences", F_UINT, OFF(answer.max_sentences), "4", 1, 20, NULL },
	{ "answer.max_chars", F_UINT, OFF(answer.max_chars), "600", 80, 20000, NULL },
	{ "ocr.mode", F_CHOICE, OFF(ocr.mode), "auto", 0, 0, ocr_modes },
	{ "ocr.languages", F_STRING, OFF(ocr.languages), "fra+eng", 0, 0, NULL },
	{ "ocr.tessdata", F_STRING, OFF(ocr.tessdata), "/usr/share/tesseract-ocr/5/tessdata", 0, 0, NULL },
	{ "ocr.dpi", F_UINT, OFF(ocr.dpi), "300", 70, 1200, NULL },
	{ "ocr.image_dpi", F_UINT, OFF(ocr.image_dpi), "300", 70, 1200, NULL },
	{ "ocr.threads", F_UINT, OFF(ocr.threads), "0", 0, 256, NULL },
	{ "ocr.min_confidence", F_DOUBLE, OFF(ocr.min_confidence), "70", 0, 100, NULL },
	{ "ocr.min_chars", F_UINT, OFF(ocr.min_chars), "20", 0, 100000, NULL },
	{ "ocr.low_word_confidence", F_DOUBLE, OFF(ocr.low_word_confidence), "60", 0, 100, NULL },
	{ "ocr.garbage_line_confidence", F_DOUBLE, OFF(ocr.garbage_line_confidence), "40", 0, 100, NULL },
	{ "ocr.max_megapixels", F_DOUBLE, OFF(ocr.max_megapixels), "250", 0.01, 10000, NULL },
	{ "ocr.max_side", F_UINT, OFF(ocr.max_side), "32767", 16, 1000000, NULL },
	{ "ocr.page_timeout", F_DOUBLE, OFF(ocr.page_timeout), "120", 0.001, 86400, NULL },
	{ "validate.golden", F_LIST, OFF(validate.golden), VALIDATE_DEFAULT_GOLDEN, 0, 0, NULL },
	{ "validate.max_recall_drop", F_DOUBLE, OFF(validate.max_recall_drop), "0.02", 0, 1, NULL },
	{ "validate.max_mrr_drop", F_DOUBLE, OFF(validate.max_mrr_drop), "0.02", 0, 1, NULL },
	{ "validate.min_recall_at_5", F_DOUBLE, OFF(validate.min_recall_at_5), "0", 0, 1, NULL },
	{ "validate.max_weak_page_share", F_DOUBLE, OFF(validate.max_weak_page_share), "0.5", 0, 1, NULL },
	{ "validate.max_chunk_chars", F_UINT, OFF(validate.max_chunk_chars), "20000", 100, 10000000, NULL },
	{ "releases.keep", F_UINT, OFF(releases.keep), "5", 0, 10000, NULL },
	{ "retrain.min_new_feedback", F_UINT, OFF(retrain.min_new_feedback), "20", 1, 1000000, NULL },
	{ "retrain.window", F_STRING, OFF(retrain.window), "30d", 0, 0, NULL },
	{ "retrain.min_ratings", F_UINT, OFF(retrain.min_ratings), "5", 1, 1000000, NULL },
	{ "retrain.min_mean_rating", F_DOUBLE, OFF(retrain.min_mean_rating), "3.5", 1, 5, NULL },
	{ "retrain.max_low_share", F_DOUBLE, OFF(retrain.max_low_share), "0.25", 0, 1, NULL },
	{ "retrain.max_corpus_change", F_DOUBLE, OFF(retrain.max_corpus_change), "0.2", 0, 10, NULL },
	{ "retrain.max_query_drift", F_DOUBLE, OFF(retrain.max_query_drift), "0.3", 0, 1, NULL },
	{ "retrain.max_feedback_drop", F_DOUBLE, OFF(retrain.max_feedback_drop), "0.05", 0, 1, NULL },
	{ "retrain.validation_share", F_DOUBLE, OFF(retrain.validation_share), "0.3", 0.05, 0.9, NULL },
	{ "retrain.ranker_depth", F_UINT, OFF(retrain.ranker_depth), "20", 2, 200, NULL },
	{ "retrain.expansion_weight", F_DOUBLE, OFF(retrain.expansion_weight), "0.5", 0, 2, NULL },
	{ "retrain.auto", F_CHOICE, OFF(retrain.auto_retrain), "false", 0, 0, booleans },
	{ "health.max_run_age", F_STRING, OFF(health.max_run_age), "7d", 0, 0, NULL },
	{ "health.window", F_STRING, OFF(health.window), "7d", 0, 0, NULL },
	{ "health.min_ocr_confidence", F_DOUBLE, OFF(health.min_ocr_confidence), "80", 0, 100, NULL },
	{ "health.min_ocr_success", F_DOUBLE, OFF(health.min_ocr_success), "0.9", 0, 1, NULL },
	{ "health.latency_p95_ms", F_DOUBLE, OFF(health.latency_p95_ms), "1000", 0.001, 1e7, NULL },
	{ "health.min_rating", F_DOUBLE, OFF(health.min_rating), "3", 1, 5, NULL },
	{ "health.min_free_disk", F_SIZE, OFF(health.min_free_disk), "500M", 0, 1e15, NULL },
	{ "serve.host", F_STRING, OFF(serve.host), "127.0.0.1", 0, 0, NULL },
	{ "serve.port", F_UINT, OFF(serve.port), "8750", 0, 65535, NULL },
	{ "serve.threads", F_UINT, OFF(serve.threads), "0", 0, 256, NULL },
	{ "serve.token_env", F_STRING, OFF(serve.token_env), "RAGOPS_SERVE_TOKEN", 0, 0, NULL },
	{ "serve.max_body", F_SIZE, OFF(serve.max_body), "64K", 1024, 1e9, NULL },
	{ "serve.timeout", F_UINT, OFF(serve.timeout), "30", 1, 86400, NULL },
	{ "serve.request_timeout", F_UINT, OFF(serve.request_timeout), "10", 1, 3600, NULL },
	{ "serve.max_connections", F_UINT, OFF(serve.max_connections), "256", 1, 100000, NULL },
	{ "serve.max_client_connections", F_UINT, OFF(serve.max_client_connections), "64", 1, 100000, NULL },
	{ "serve.rate_limit", F_UINT, OFF(serve.rate_limit), "60", 0, 1000000, NULL },
	{ "serve.rate_burst", F_UINT, OFF(serve.rate_burst), "20", 1, 1000000, NULL },
	{ "serve.cors_origin", F_STRING_EMPTY, OFF(serve.cors_origin), "", 0, 0, NULL },
	{ "serve.memory_reserve", F_SIZE, OFF(serve.memory_reserve), "64M", 0, 1LL << 40, NULL },
	{ "flow.max_lateness", F_STRING, OFF(flow.max_lateness), "6h", 0, 0, NULL },
	{ "flow.scheduler", F_CHOICE, OFF(flow.scheduler), "true", 0, 0, booleans },
	{ "flow.heartbeat_timeout", F_STRING, OFF(flow.heartbeat_timeout), "5m", 0, 0, NULL },
	{ "retry.attempts", F_UINT, OFF(retry.attempts), "3", 1, 100, NULL },
	{ "retry.base_delay", F_STRING, OFF(retry.base_delay), "1s", 0, 0, NULL },
	{ "retry.max_delay", F_STRING, OFF(retry.max_delay), "30s", 0, 0, NULL },
	{ "retry.document.attempts", F_UINT, OFF(retry.document.attempts), "0", 0, 100, NULL },
	{ "retry.document.base_delay", F_STRING_EMPTY, OFF(retry.document.base_delay), "", 0, 0, NULL },
	{ "retry.document.max_delay", F_STRING_EMPTY, OFF(retry.document.max_delay), "", 0, 0, NULL },
	{ "retry.release.attempts", F_UINT, OFF(retry.release.attempts), "0", 0, 100, NULL },
	{ "retry.release.base_delay", F_STRING_EMPTY, OFF(retry.release.base_delay), "", 0, 0, NULL },
	{ "retry.release.max_delay", F_STRING_EMPTY, OFF(retry.release.max_delay), "", 0, 0, NULL },
	{ "notify.slack", F_STRING_EMPTY, OFF(notify.slack), "", 0, 0, NULL },
	{ "notify.webhook", F_STRING_EMPTY, OFF(notify.webhook), "", 0, 0, NULL },
	{ "notify.command", F_STRING_EMPTY, OFF(notify.command), "", 0, 0, NULL },
	{ "notify.timeout", F_DOUBLE, OFF(notify.timeout), "10", 0.1, 3600, NULL },
	{ "notify.retries", F_UINT, OFF(notify.retries), "3", 0, 20, NULL },
	{ "watch.debounce", F_STRING, OFF(watch.debounce), "5s", 0, 0, NULL },
	{ "watch.serve", F_CHOICE, OFF(watch.serve), "false", 0, 0, booleans },
	{ "retention.runs", F_STRING, OFF(retention.runs), "180d", 0, 0, NULL },
	{ "retention.cached_tasks", F_UINT, OFF(retention.cached_tasks), "10", 0, 1000000, NULL },
	{ "retention.queries", F_STRING, OFF(retention.queries), "90d", 0, 0, NULL },
	{ "log.level", F_CHOICE, OFF(log_level), "info", 0, 0, levels },
	{ "log.max_size", F_SIZE, OFF(log_max_size), "10M", 0, 1e15, NULL },
	{ "log.keep", F_UINT, OFF(log_keep), "5", 0, 1000, NULL },
};
/* clang-format on */
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const struct field *find_field(const char *key)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].key, key))
			return &fields[i];
	return NULL;
}

static int is_section(const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < NFIELDS; i++)
		if (!strncmp(fields[i].key, key, n) && fields[i].key[n] == '.')
			return 1;
	return 0;
}

/* Suggest a key, or a section ("chunks" -> "chunk"), close to a mistyped one. */
static void suggest_key(const char *key, struct strbuf *err)
{
	const char *names[2 * NFIELDS + 1];
	char *sections[NFIELDS];
	size_t n = 0, nsections = 0;
	for (size_t i = 0; i < NFIELDS; i++) {
		names[n++] = fields[i].key;
		const char *dot = strchr(fields[i].key, '.');
		if (dot && !strchr(key, '.'))
			names[n++] = sections[nsections++] = xstrndup(fields[i].key,
								      (size_t)(dot - fields[i].key));
	}
	names[n] = NULL;
	const char *best = closest_word(key, names);
	if (best)
		strbuf_addf(err, " (did you mean '%s'?)", best);
	for (size_t i = 0; i < nsections; i++)
		free(sections[i]);
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
	for (size_t i = 0; i < NFIELDS; i++)
		if (set_value(cfg, &fields[i], fields[i].def, "default", &err))
			BUG("bad default for '%s': %s", fields[i].key, err.buf);
	strbuf_release(&err);
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].type == F_LIST)
			list_clear(cfg, &fields[i]);
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].type == F_STRING || fields[i].type == F_STRING_EMPTY ||
		    fields[i].type == F_CHOICE)
			free(*(char **)((char *)cfg + fields[i].offset));
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
	for (size_t i = 0; i < NFIELDS; i++) {
		char *name = env_name(fields[i].key);
		const char *value = getenv(name);
		int ret = 0;
		if (value) {
			char *where = xasprintf("environment %s", name);
			ret = set_value(cfg, &fields[i], value, where, err);
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

/* format_value, a secret's value replaced. */
static void format_shown(const struct config *cfg, const struct field *f, struct strbuf *out)
{
	/* Secrets are strings: only they are read as one. */
	const char *value = is_secret(f) ? *(char *const *)((const char *)cfg + f->offset) : NULL;
	if (value && *value)
		strbuf_addstr(out, "(set)");
	else
		format_value(cfg, f, out);
}

void config_dump(const struct config *cfg, struct strbuf *out)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		strbuf_addf(out, "%s = ", fields[i].key);
		format_shown(cfg, &fields[i], out);
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
	wire_put_u32(out, (uint32_t)NFIELDS);
	for (size_t i = 0; i < NFIELDS; i++) {
		const char *base = (const char *)cfg + fields[i].offset;
		switch (fields[i].type) {
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
			char **items = *list_items((struct config *)cfg, &fields[i], &nr);
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
	if (wire_get_u32(&r) != NFIELDS) {
		strbuf_addstr(err, "the configuration sent is of another build");
		return -1;
	}
	for (size_t i = 0; i < NFIELDS && !r.bad; i++) {
		char *base = (char *)cfg + fields[i].offset;
		switch (fields[i].type) {
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
			if (num && fields[i].type == F_SIZE)
				*(unsigned long long *)base = strtoull(num, NULL, 10);
			else if (num)
				*(double *)base = strtod(num, NULL);
			free(num);
			break;
		}
		case F_LIST: {
			list_clear(cfg, &fields[i]);
			uint32_t n = wire_get_u32(&r);
			for (uint32_t j = 0; j < n && !r.bad; j++) {
				char *item = wire_get_strdup(&r);
				if (item)
					list_add(cfg, &fields[i], item);
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
	for (size_t i = 0; i < NFIELDS; i++) {
		const char *base = (const char *)cfg + fields[i].offset;
		json_t *val;
		if (fields[i].type == F_UINT) {
			val = json_integer(*(const unsigned *)base);
		} else if (fields[i].type == F_SIZE) {
			val = json_integer((json_int_t) * (const unsigned long long *)base);
		} else if (fields[i].type == F_DOUBLE) {
			val = json_real(*(const double *)base);
		} else if (fields[i].type == F_LIST) {
			size_t *nr;
			char **items = *list_items((struct config *)cfg, &fields[i], &nr);
			val = json_array();
			for (size_t j = 0; j < *nr; j++)
				json_array_append_new(val, json_string(items[j]));
		} else {
			strbuf_reset(&v);
			format_shown(cfg, &fields[i], &v);
			val = json_string(v.buf);
		}
		json_object_set_new(obj, fields[i].key, val);
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
	for (size_t i = 0; i < NFIELDS; i++) {
		if (!starts_with(fields[i].key, prefix))
			continue;
		strbuf_addf(out, "%s=", fields[i].key);
		/*
		 * An operational key counts at its default, whatever its value:
		 * changing it changes no key, and keys made before it was left
		 * out (with the default) stay the same.
		 */
		if (config_key_is_operational(fields[i].key))
			strbuf_addstr(out, fields[i].def);
		else
			format_value(cfg, &fields[i], out);
		strbuf_addch(out, ';');
	}
}

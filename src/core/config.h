/*
 * Configuration: built-in defaults, then ragops.yaml, then RAGOPS_*
 * environment variables, then command-line overrides (-c key=value and
 * the flags each command maps onto keys).  One table of fields drives all
 * four, so a key is spelled the same everywhere: `chunk.target_chars` in
 * YAML is RAGOPS_CHUNK_TARGET_CHARS in the environment.
 */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stddef.h>

#include "core/strbuf.h"

struct config {
	char *file; /* the YAML file read, or NULL */
	char *data_dir;
	struct {
		char *url; /* a PostgreSQL store (postgresql://...); empty: SQLite under data_dir */
	} store;
	struct {
		double lease_seconds; /* a claimed document's lease, renewed by heartbeat */
		double poll_seconds;  /* an idle worker looks for work this often */
		char *in_run;         /* "true": `ragops run` works on its documents too */
		unsigned ocr_slots;   /* OCR threads at once on all the machines; 0: no limit */
	} worker;
	char **inbox;
	size_t inbox_nr;
	struct {
		unsigned long long max_file_size; /* bytes */
		unsigned max_pages;
	} collect;
	struct {
		char *isolate;         /* "true": parse in worker processes */
		unsigned threads;      /* documents parsed at once; 0: one per core */
		unsigned range_pages;  /* a larger PDF is read in ranges of this many pages */
		double parser_timeout; /* CPU seconds per document (per range of a PDF read in ranges) */
		unsigned long long parser_memory; /* bytes of address space a worker may add */
	} ingest;
	struct {
		double heading_ratio;
		unsigned min_page_chars;
	} extract;
	struct {
		double repeated_line_ratio;
	} clean;
	struct {
		unsigned target_chars;
		unsigned overlap_chars;
		unsigned min_chars;
	} chunk;
	struct {
		unsigned limit;
	} search;
	struct {
		char *embedder;    /* builtin | openai */
		char *url, *model; /* an OpenAI-compatible endpoint */
		char *api_key_env; /* the environment variable holding its key */
		unsigned batch, retries;
		double timeout; /* seconds per request */
		unsigned dim;   /* built-in embedder dimensions */
		unsigned min_df, max_features;
		unsigned train_chunks; /* trained on at most this many, spread over the corpus */
		double retrain_ratio;  /* retrain when this share of chunks is new */
	} embed;
	struct {
		char *mode;               /* bm25 | dense | hybrid */
		unsigned candidates;      /* from each retriever, before fusion */
		unsigned rrf_k;           /* reciprocal rank fusion constant */
		double dense_weight;      /* of the dense ranks in the fusion (BM25's is 1) */
		unsigned per_document;    /* at most this many chunks of one document */
		char *bm25_index;         /* lexicon (in memory) | fts5 (SQLite) */
		char *vectors;            /* int8 (scan, then float32 rescoring) | float32 */
		unsigned query_max_bytes; /* a longer query is refused */
		unsigned query_max_terms; /* ... and one with more distinct searchable words */
		char *dictionary_fr_en; /* FreeDict dictd files (path without extension), "" for none */
		char *dictionary_en_fr;
		double translation_weight; /* of a translated word, a question's own being 1; 0: off */
		char *thesaurus_fr;        /* MyThes file (mythes-fr), "" for none */
		char *thesaurus_en; /* WordNet's folder (wordnet-base), "" for none (the default: see README) */
		double synonym_weight; /* of a synonym the corpus supports; 0: off (the default: see README) */
	} retrieve;
	struct {
		char *answerer;                  /* extractive | openai */
		char *url, *model, *api_key_env; /* an OpenAI-compatible chat endpoint */
		double timeout;
		unsigned retries, max_tokens;
		unsigned sources;      /* chunks retrieved to answer from */
		double min_evidence;   /* share of the question's weight a source must cover */
		double min_similarity; /* ... or the cosine a source must reach */
		unsigned max_sentences;
		unsigned max_chars;
		char *dictionary_fr; /* Hunspell dictionaries (path without .aff/.dic), "" for none */
		char *dictionary_en;
	} answer;
	struct {
		char *mode;      /* auto | force | skip */
		char *languages; /* Tesseract's "fra+eng" */
		char *tessdata;
		unsigned dpi;          /* PDF pages are rendered at this resolution */
		unsigned image_dpi;    /* for images that carry no usable resolution */
		unsigned threads;      /* 0: one per core */
		double min_confidence; /* a page below it is weak: retried, then flagged */
		unsigned min_chars;
		double low_word_confidence;
		double garbage_line_confidence;
		double max_megapixels;
		unsigned max_side;
		double page_timeout; /* seconds */
	} ocr;
	struct {
		char **golden; /* golden sets (JSONL) the gate evaluates */
		size_t golden_nr;
		double max_recall_drop, max_mrr_drop; /* vs production */
		double min_recall_at_5;               /* with no production yet */
		double max_weak_page_share;           /* of the release's OCR pages */
		unsigned max_chunk_chars;             /* a longer chunk is a chunker fault */
	} validate;
	struct {
		unsigned keep; /* archived and refused releases kept */
	} releases;
	struct {
		unsigned min_new_feedback; /* since the last retraining */
		char *window;              /* ratings and questions are judged over it */
		unsigned min_ratings;      /* in the window, for the rating rules to speak */
		double min_mean_rating, max_low_share;
		double max_corpus_change; /* share of chunks new or gone since the embedder's corpus */
		double max_query_drift; /* share of recent questions with no source over the thresholds */
		double max_feedback_drop; /* production's MRR on feedback questions vs its own past */
		double validation_share;  /* of the feedback questions, held out */
		unsigned ranker_depth;    /* fused candidates the ranker reorders */
		double expansion_weight;  /* of learned words against the question's own */
		char *auto_retrain;       /* "true": `ragops run` retrains when the policy says so */
	} retrain;
	struct {
		char *max_run_age; /* "7d": older, the index is stale */
		char *window;      /* latency and ratings over this window */
		double min_ocr_confidence, min_ocr_success;
		double latency_p95_ms; /* the answer latency SLO */
		double min_rating;     /* average over the window */
		unsigned long long min_free_disk;
	} health;
	struct {
		char *host; /* listen address: loopback unless told otherwise */
		unsigned port;
		unsigned threads; /* 0: one per core */
		char *token_env;  /* variable holding the admin bearer token */
		unsigned long long max_body;
		unsigned timeout;         /* seconds a connection may stay idle */
		unsigned request_timeout; /* seconds to send a whole request, trickling or not */
		unsigned max_connections;
		unsigned max_client_connections; /* from one address */
		unsigned rate_limit; /* ask + feedback requests per minute per client; 0: off */
		unsigned rate_burst;
		char *cors_origin;                 /* "" sends no CORS headers */
		unsigned long long memory_reserve; /* bytes held for an allocation that fails; 0: none */
	} serve;
	struct {
		char *max_lateness;      /* "6h": a scheduled run later than this is skipped */
		char *scheduler;         /* "true": `ragops serve` runs the deployments' schedules */
		char *heartbeat_timeout; /* "5m": a running run silent this long is crashed */
	} flow;
	struct {
		unsigned attempts; /* in all, for a failure that may pass (store busy, disk full) */
		char *base_delay;  /* "1s": before the first retry; doubled each time */
		char *max_delay;   /* "30s": the longest wait */
		/* Per step, over the three above: 0 / "" take them. */
		struct retry_override {
			unsigned attempts;
			char *base_delay, *max_delay;
		} document, release; /* a document's save; the release stage */
	} retry;
	struct {
		char *slack;      /* Slack/Mattermost incoming webhook: {"text": ...}; "" none */
		char *webhook;    /* receives the event as JSON; "" none */
		char *command;    /* run by /bin/sh with RAGOPS_EVENT... set; "" none */
		double timeout;   /* seconds per attempt (and for the command) */
		unsigned retries; /* more attempts, with backoff and jitter */
	} notify;
	struct {
		char *debounce; /* "5s": a batch of changes is over when none came for this long */
		char *serve;    /* "true": `ragops serve` watches the inbox and runs on changes */
	} watch;
	struct {
		char *runs;            /* "180d": older run records go, with their task rows; "off" */
		unsigned cached_tasks; /* runs whose "cached" task rows are kept (the newest); 0: all */
		char *queries;         /* "90d": older questions leave the query log; "off" */
	} retention;
	char *log_level;
	unsigned long long log_max_size; /* a log file past this is rotated; 0: never */
	unsigned log_keep;               /* rotated files kept (FILE.1 .. FILE.N) */
};

/* The top-level key declaring deployments, read by ops/deployment_declared.c, not the table. */
#define CONFIG_DEPLOYMENTS_KEY "deployments"

/* The golden set the gate reads when none is configured: skipped when absent. */
#define VALIDATE_DEFAULT_GOLDEN "samples/golden.jsonl"

/* Fill every field with its default. */
void config_init(struct config *cfg);
void config_release(struct config *cfg);

/*
 * Read a YAML file over the current values.  Errors name the file, line,
 * column and key: "ragops.yaml:4:3: unknown key 'chunk.size'".
 */
int config_load_file(struct config *cfg, const char *path, struct strbuf *err);
/* Apply RAGOPS_* variables from the environment. */
int config_load_env(struct config *cfg, struct strbuf *err);
/* Apply one "key=value" override, as given to -c. */
int config_set(struct config *cfg, const char *key, const char *value, const char *origin,
	       struct strbuf *err);
/* Cross-field rules (overlap below target, ...), checked once at the end. */
int config_validate(const struct config *cfg, struct strbuf *err);

/* Where store_open finds the store: store.url when set, else data_dir. */
const char *config_store_location(const struct config *cfg);

/* Print "key = value" lines (for `ragops config`). */
void config_dump(const struct config *cfg, struct strbuf *out);
/* The whole configuration as bytes for a worker process of the same binary, and back. */
void config_wire_put(const struct config *cfg, struct strbuf *out);
int config_wire_get(struct config *cfg, const char *data, size_t len, struct strbuf *err);
/*
 * A JSON object with every key, for run parameters; caller frees.  Here
 * and in config_dump, a value holding a credential (notify.slack,
 * notify.webhook, notify.command) reads "(set)": run parameters are served
 * by a public route.
 */
char *config_to_json(const struct config *cfg);
/* Whether `key` says how work is done (threads, timeouts, an endpoint), not what it makes. */
int config_key_is_operational(const char *key);
/* A stable fingerprint of the keys a stage depends on (prefix "chunk."), operational ones at their defaults. */
void config_section_fingerprint(const struct config *cfg, const char *prefix, struct strbuf *out);

#endif

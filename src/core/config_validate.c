/*
 * Checks across keys and of values the table cannot type (durations,
 * windows); see config_validate in config.h.
 */
#include <string.h>

#include "core/config.h"
#include "core/strutil.h"

int config_validate(const struct config *cfg, struct strbuf *err)
{
	const char *src = cfg->file ? cfg->file : "configuration";
	const char *durations[][2] = { { "health.max_run_age", cfg->health.max_run_age },
				       { "health.window", cfg->health.window },
				       { "retrain.window", cfg->retrain.window },
				       { "flow.max_lateness", cfg->flow.max_lateness },
				       { "watch.debounce", cfg->watch.debounce },
				       { "flow.heartbeat_timeout", cfg->flow.heartbeat_timeout },
				       { "retry.base_delay", cfg->retry.base_delay },
				       { "retry.max_delay", cfg->retry.max_delay } };
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		if (parse_duration_ms(durations[i][1]) < 0) {
			strbuf_addf(err, "%s: '%s' must be a duration such as 30m, 24h or 7d, not '%s'",
				    src, durations[i][0], durations[i][1]);
			return -1;
		}
	}
	if (parse_duration_ms(cfg->flow.heartbeat_timeout) < 1000) {
		strbuf_addf(err, "%s: 'flow.heartbeat_timeout' must be at least 1s, not '%s'", src,
			    cfg->flow.heartbeat_timeout);
		return -1;
	}
	if (parse_duration_ms(cfg->retry.max_delay) < parse_duration_ms(cfg->retry.base_delay)) {
		strbuf_addf(err,
			    "%s: 'retry.max_delay' (%s) must not be shorter than 'retry.base_delay' (%s)",
			    src, cfg->retry.max_delay, cfg->retry.base_delay);
		return -1;
	}
	const char *overrides[][2] = { { "retry.document.base_delay", cfg->retry.document.base_delay },
				       { "retry.document.max_delay", cfg->retry.document.max_delay },
				       { "retry.release.base_delay", cfg->retry.release.base_delay },
				       { "retry.release.max_delay", cfg->retry.release.max_delay } };
	for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
		if (*overrides[i][1] && parse_duration_ms(overrides[i][1]) < 0) {
			strbuf_addf(err,
				    "%s: '%s' must be a duration such as 1s or 30s (or empty), not '%s'",
				    src, overrides[i][0], overrides[i][1]);
			return -1;
		}
	}
	const char *windows[][2] = { { "retention.runs", cfg->retention.runs },
				     { "retention.queries", cfg->retention.queries } };
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		if (parse_window_ms(windows[i][1]) < 0) {
			strbuf_addf(err, "%s: '%s' must be a duration such as 90d, or off, not '%s'",
				    src, windows[i][0], windows[i][1]);
			return -1;
		}
	}
	if (*cfg->store.url && !starts_with(cfg->store.url, "postgresql://") &&
	    !starts_with(cfg->store.url, "postgres://")) {
		strbuf_addf(err,
			    "%s: 'store.url' must be a PostgreSQL URL (postgresql://user@host/db)"
			    " or empty (SQLite under data_dir), not '%s'",
			    src, cfg->store.url);
		return -1;
	}
	if (*cfg->store.url && !strcmp(cfg->retrieve.bm25_index, "fts5")) {
		strbuf_addf(err,
			    "%s: 'retrieve.bm25_index: fts5' needs SQLite's full-text index; a"
			    " PostgreSQL store (store.url) searches with the lexicon",
			    src);
		return -1;
	}
	if (cfg->chunk.overlap_chars * 2 > cfg->chunk.target_chars) {
		strbuf_addf(err,
			    "%s: 'chunk.overlap_chars' (%u) must be at most half of "
			    "'chunk.target_chars' (%u)",
			    src, cfg->chunk.overlap_chars, cfg->chunk.target_chars);
		return -1;
	}
	if (cfg->chunk.min_chars > cfg->chunk.target_chars) {
		strbuf_addf(err, "%s: 'chunk.min_chars' (%u) must not exceed 'chunk.target_chars' (%u)",
			    src, cfg->chunk.min_chars, cfg->chunk.target_chars);
		return -1;
	}
	return 0;
}

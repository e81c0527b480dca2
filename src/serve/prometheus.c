/*
 * GET /metrics: the Prometheus text exposition format (version 0.0.4).
 * Store-wide figures are read from the store at each scrape, so every
 * process that writes it (runs, CLI questions, other servers) is counted;
 * HTTP traffic is this server's own.
 */
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "serve/http_stats.h"
#include "serve/memory_pressure.h"
#include "serve/routes.h"
#include "serve/server_state.h"

struct histogram_spec {
	enum store_series series;
	const char *name, *help;
	double bounds[12];
	size_t nbounds;
};

static const struct histogram_spec histograms[] = {
	{ SERIES_OCR_CONFIDENCE,
	  "ragops_ocr_page_confidence",
	  "Mean word confidence of OCR pages (0-100).",
	  { 10, 20, 30, 40, 50, 60, 70, 80, 90, 95 },
	  10 },
	{ SERIES_QUERY_SECONDS,
	  "ragops_query_duration_seconds",
	  "Time to answer a question.",
	  { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 },
	  11 },
	{ SERIES_ANSWER_CHARS,
	  "ragops_answer_length_chars",
	  "Length of answers in characters.",
	  { 50, 100, 200, 400, 800, 1600, 3200 },
	  7 },
	{ SERIES_ANSWER_SOURCES,
	  "ragops_answer_sources",
	  "Sources cited per answer.",
	  { 0, 1, 2, 3, 4, 5, 10 },
	  7 },
	{ SERIES_RATING,
	  "ragops_feedback_rating",
	  "Ratings given to answers (1-5).",
	  { 1, 2, 3, 4, 5 },
	  5 },
};

struct tally_spec {
	enum store_tally what;
	const char *name, *type, *help, *label;
};

static const struct tally_spec tallies[] = {
	{ TALLY_RUNS_BY_STATE, "ragops_runs_total", "counter", "Pipeline runs, by final state.",
	  "state" },
	{ TALLY_DOCUMENTS_BY_STATUS, "ragops_documents", "gauge", "Documents in the store, by status.",
	  "status" },
	{ TALLY_PAGES_BY_METHOD, "ragops_pages", "gauge",
	  "Pages in the store, by how their text was read.", "method" },
	{ TALLY_GATE_OUTCOMES, "ragops_gate_outcomes_total", "counter",
	  "Candidate releases the gate decided on, by result.", "result" },
	{ TALLY_RELEASE_CHANGES, "ragops_release_changes_total", "counter",
	  "Production changed by hand (deploy promote, rollback), by action.", "action" },
};

/* The gate's figures of a release, one line each. */
static void add_gate_metrics(const struct release_record *r, const char *role, struct strbuf *out)
{
	static const char *const names[] = { "recall_at_1", "recall_at_5", "mrr", "abstention_recall" };
	json_t *m = json_loads(r->metrics ? r->metrics : "", 0, NULL);
	json_t *f = json_object_get(m, "figures");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *v = json_object_get(f, names[i]);
		if (json_is_number(v))
			strbuf_addf(out,
				    "ragops_gate_metric{release=\"%lld\",role=\"%s\",metric=\"%s\"} %g\n",
				    r->id, role, names[i], json_number_value(v));
	}
	json_decref(m);
}

/* The release in production, and the newest one when it is another (a refused candidate). */
static int add_releases(struct store *st, struct strbuf *out, struct strbuf *err)
{
	struct release_record prod, latest;
	enum lookup got_prod = store_release_get(st, 0, &prod, err);
	enum lookup got_latest = got_prod == LOOKUP_FAILED ? LOOKUP_FAILED
							   : store_release_latest(st, &latest, err);
	int has_prod = got_prod == LOOKUP_FOUND, has_latest = got_latest == LOOKUP_FOUND;
	if (got_latest == LOOKUP_FAILED) {
		if (has_prod)
			release_record_release(&prod);
		return -1;
	}
	strbuf_addf(out,
		    "# HELP ragops_release_production_id The release answering questions (0: none).\n"
		    "# TYPE ragops_release_production_id gauge\nragops_release_production_id %lld\n",
		    has_prod ? prod.id : 0);
	strbuf_addf(out,
		    "# HELP ragops_release_production_created_seconds When that release was built.\n"
		    "# TYPE ragops_release_production_created_seconds gauge\n"
		    "ragops_release_production_created_seconds %.3f\n",
		    has_prod ? (double)prod.created_at / 1000.0 : 0);
	strbuf_addf(out,
		    "# HELP ragops_release_production_chunks Chunks of the release answering questions.\n"
		    "# TYPE ragops_release_production_chunks gauge\n"
		    "ragops_release_production_chunks %lld\n",
		    has_prod ? prod.chunks : 0);
	strbuf_addstr(out, "# HELP ragops_gate_metric The gate's golden-set figures of a release.\n"
			   "# TYPE ragops_gate_metric gauge\n");
	if (has_prod)
		add_gate_metrics(&prod, "production", out);
	if (has_latest && (!has_prod || latest.id != prod.id))
		add_gate_metrics(&latest, "newest", out);
	if (has_prod)
		release_record_release(&prod);
	if (has_latest)
		release_record_release(&latest);
	return 0;
}

/*
 * The retraining policy, rule by rule (a rule without a figure yet, as
 * mean_rating under retrain.min_ratings, has no value line), and the
 * retrainings that ended, by outcome.
 */
static int add_retraining(struct server *srv, struct store *st, struct strbuf *out, struct strbuf *err)
{
	static const char *const outcomes[] = { "promoted", "refused", "nothing", "failed" };
	long long counts[4] = { 0 };
	struct retrain_policy p;
	struct retraining_record *list = NULL;
	size_t n = 0;
	if (server_retrain_policy(srv, st, &p, err) || store_retrainings_list(st, 0, 0, &list, &n, err))
		return -1;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < 4; k++)
			counts[k] += list[i].state && !strcmp(list[i].state, outcomes[k]);
	retraining_records_free(list, n);
	strbuf_addf(out,
		    "# HELP ragops_retrain_recommended Whether the retraining policy recommends "
		    "retraining now (1) or not (0).\n# TYPE ragops_retrain_recommended gauge\n"
		    "ragops_retrain_recommended %d\n",
		    p.retrain ? 1 : 0);
	strbuf_addstr(out, "# HELP ragops_retrain_rule_value The figure each rule of the retraining "
			   "policy measured.\n# TYPE ragops_retrain_rule_value gauge\n");
	for (size_t i = 0; i < p.n; i++)
		if (p.rules[i].measured)
			strbuf_addf(out, "ragops_retrain_rule_value{rule=\"%s\"} %g\n", p.rules[i].rule,
				    p.rules[i].value);
	strbuf_addstr(out, "# HELP ragops_retrain_rule_threshold The threshold past which each rule "
			   "fires.\n# TYPE ragops_retrain_rule_threshold gauge\n");
	for (size_t i = 0; i < p.n; i++)
		strbuf_addf(out, "ragops_retrain_rule_threshold{rule=\"%s\"} %g\n", p.rules[i].rule,
			    p.rules[i].threshold);
	strbuf_addstr(out,
		      "# HELP ragops_retrain_rule_triggered Whether each rule fires (1) or not (0).\n"
		      "# TYPE ragops_retrain_rule_triggered gauge\n");
	for (size_t i = 0; i < p.n; i++)
		strbuf_addf(out, "ragops_retrain_rule_triggered{rule=\"%s\"} %d\n", p.rules[i].rule,
			    p.rules[i].triggered ? 1 : 0);
	strbuf_addstr(out, "# HELP ragops_retrainings_total Retrainings that ended, by outcome.\n"
			   "# TYPE ragops_retrainings_total counter\n");
	for (size_t k = 0; k < 4; k++)
		strbuf_addf(out, "ragops_retrainings_total{state=\"%s\"} %lld\n", outcomes[k],
			    counts[k]);
	return 0;
}

/* The histogram of `h`; *count gets how many values it holds. */
static int add_histogram(struct store *st, const struct histogram_spec *h, struct strbuf *out,
			 long long *count, struct strbuf *err)
{
	long long le[12];
	struct store_histogram sh = { .le = le };
	if (store_series_histogram(st, h->series, h->bounds, h->nbounds, &sh, err))
		return -1;
	strbuf_addf(out, "# HELP %s %s\n# TYPE %s histogram\n", h->name, h->help, h->name);
	for (size_t i = 0; i < h->nbounds; i++)
		strbuf_addf(out, "%s_bucket{le=\"%g\"} %lld\n", h->name, h->bounds[i], le[i]);
	strbuf_addf(out, "%s_bucket{le=\"+Inf\"} %lld\n%s_sum %.6f\n%s_count %lld\n", h->name, sh.count,
		    h->name, sh.sum, h->name, sh.count);
	*count = sh.count;
	return 0;
}

static int add_tally(struct store *st, const struct tally_spec *t, struct strbuf *out,
		     struct strbuf *err)
{
	struct store_count *rows;
	size_t n;
	if (store_tally(st, t->what, &rows, &n, err))
		return -1;
	strbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", t->name, t->help, t->name, t->type);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(out, "%s{%s=\"%s\"} %lld\n", t->name, t->label, rows[i].label, rows[i].n);
	free(rows);
	return 0;
}

/* Questions by retriever and outcome: labels come as "hybrid,answered". */
static int add_queries(struct store *st, struct strbuf *out, struct strbuf *err)
{
	struct store_count *rows;
	size_t n;
	if (store_tally(st, TALLY_QUERIES_BY_RETRIEVER, &rows, &n, err))
		return -1;
	strbuf_addstr(out, "# HELP ragops_queries_total Questions answered, by retriever and outcome.\n"
			   "# TYPE ragops_queries_total counter\n");
	for (size_t i = 0; i < n; i++) {
		char *comma = strchr(rows[i].label, ',');
		if (!comma)
			continue;
		*comma = '\0';
		strbuf_addf(out, "ragops_queries_total{retriever=\"%s\",outcome=\"%s\"} %lld\n",
			    rows[i].label, comma + 1, rows[i].n);
	}
	free(rows);
	return 0;
}

/* What the conn_guard saw: connections open, and those it closed, by why. */
static void add_connection_metrics(struct conn_guard *g, struct strbuf *out)
{
	struct conn_guard_stats cs;
	conn_guard_stats(g, &cs);
	strbuf_addf(out,
		    "# HELP ragops_http_connections Connections open now.\n"
		    "# TYPE ragops_http_connections gauge\nragops_http_connections %u\n",
		    cs.open);
	strbuf_addf(out,
		    "# HELP ragops_http_connections_closed_total Connections the server closed "
		    "or refused to protect the others: no whole request within serve.request_timeout "
		    "(deadline), room made for a new client (budget, client_budget), or refused "
		    "while all others were busy (refused).\n"
		    "# TYPE ragops_http_connections_closed_total counter\n"
		    "ragops_http_connections_closed_total{reason=\"deadline\"} %llu\n"
		    "ragops_http_connections_closed_total{reason=\"budget\"} %llu\n"
		    "ragops_http_connections_closed_total{reason=\"client_budget\"} %llu\n"
		    "ragops_http_connections_closed_total{reason=\"refused\"} %llu\n",
		    cs.deadline, cs.budget, cs.client_budget, cs.refused);
}

void api_prometheus(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct store_totals tot;
	strbuf_addf(&out,
		    "# HELP ragops_build_info The running ragops.\n# TYPE ragops_build_info gauge\n"
		    "ragops_build_info{version=\"%s\"} 1\n",
		    RAGOPS_VERSION);
	int bad = store_totals(ctx->store, &tot, &err);
	if (!bad)
		strbuf_addf(&out,
			    "# HELP ragops_chunks Chunks of the documents as last ingested (production "
			    "may lag: ragops_release_production_chunks).\n# TYPE ragops_chunks gauge\n"
			    "ragops_chunks %lld\n",
			    tot.chunks);
	for (size_t i = 0; !bad && i < sizeof(tallies) / sizeof(tallies[0]); i++)
		bad = add_tally(ctx->store, &tallies[i], &out, &err);
	if (!bad)
		bad = add_queries(ctx->store, &out, &err);
	if (!bad)
		bad = add_releases(ctx->store, &out, &err);
	if (!bad)
		bad = add_retraining(ctx->srv, ctx->store, &out, &err);
	long long count, feedback = 0;
	for (size_t i = 0; !bad && i < sizeof(histograms) / sizeof(histograms[0]); i++) {
		bad = add_histogram(ctx->store, &histograms[i], &out, &count, &err);
		if (histograms[i].series == SERIES_RATING)
			feedback = count; /* every feedback record has a rating */
	}
	if (!bad)
		strbuf_addf(&out,
			    "# HELP ragops_feedback_total Feedback records received.\n"
			    "# TYPE ragops_feedback_total counter\nragops_feedback_total %lld\n",
			    feedback);
	if (bad) {
		strbuf_release(&out);
		reply_error(rp, 500, NULL, "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	http_stats_expose(ctx->srv->stats, &out);
	add_connection_metrics(ctx->srv->guard, &out);
	memory_metrics(&out);
	size_t len = out.len;
	reply_text(rp, 200, "text/plain; version=0.0.4; charset=utf-8", strbuf_detach(&out, NULL), len);
	strbuf_release(&err);
}

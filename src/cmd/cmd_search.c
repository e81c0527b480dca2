/*
 * ragops search: BM25-ranked chunks for people and scripts.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/json.h"
#include "core/strutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "retrieval/retrieve.h"
#include "text/highlight.h"
#include "text/tokenize.h"

static const char usage[] =
	"usage: ragops search [--limit N] [--lang fr|en] [--retriever R] [--release ID] [--json] WORDS...\n"
	"       ragops search --queries FILE [--retriever R] [--limit N]\n\n"
	"Search of the release in production, through the same retrieval as 'ragops\n"
	"ask' (at most retrieve.per_document chunks of one document): chunks ranked by\n"
	"BM25 by default, with the document, page,\n"
	"heading path and a snippet with the matching words highlighted.  Accents, case,\n"
	"French elisions (l', d', qu'...) and word endings (Snowball stemming) do not\n"
	"matter: 'balance des blancs' finds 'Balance du blanc'.\n\n"
	"   -n, --limit N   how many results (default: search.limit, 10)\n"
	"   --lang CODE     only chunks of documents in this language (fr, en)\n"
	"   --json          results as JSON (snippet matches between ** **)\n"
	"   --retriever R   bm25 (default: words), dense (meaning) or hybrid (both)\n"
	"   --release ID    search that release instead of the one in production\n"
	"   --queries FILE  one query per line; prints a JSON line per query with its\n"
	"                   latency in this process (for benchmarks)\n\n"
	"A query has at most retrieve.query_max_bytes bytes (2000) and\n"
	"retrieve.query_max_terms distinct words to search for (64).\n\n"
	"Exit codes: 0 success (even with no result), 2 usage error (a query over those\n"
	"limits too), 4 the store failed, 5 no release yet (or no such release, or it\n"
	"is empty).\n";

static void print_pages(const struct search_hit *h, char *out, size_t n)
{
	if (h->page_start == h->page_end)
		snprintf(out, n, "p. %d", h->page_start);
	else
		snprintf(out, n, "p. %d-%d", h->page_start, h->page_end);
}

static void print_human(const char *query, const struct search_hit *hits, size_t n, int styled)
{
	if (!n) {
		printf("no results for '%s'\n", query);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct search_hit *h = &hits[i];
		char pages[32];
		print_pages(h, pages, sizeof(pages));
		struct strbuf name = STRBUF_INIT, heading = STRBUF_INIT;
		strbuf_add_printable(&name, h->doc_path);
		strbuf_add_printable(&heading, h->heading ? h->heading : "");
		printf("%s%zu. %s%s  %s", styled ? "\033[1m" : "", i + 1, name.buf,
		       styled ? "\033[0m" : "", pages);
		if (heading.len)
			printf("  %s", heading.buf);
		strbuf_release(&name);
		strbuf_release(&heading);
		printf("  (%.2f)\n", h->score);
		printf("   %s\n\n", h->snippet ? h->snippet : "");
	}
}

/* Matched words in bold yellow on a terminal, instead of the ** ** of scripts. */
static void restyle_snippets(const char *query, struct search_hit *hits, size_t n)
{
	struct tokenizer *tok = tokenizer_new();
	for (size_t i = 0; i < n; i++) {
		free(hits[i].snippet);
		hits[i].snippet = highlight_snippet(tok, query, hits[i].text ? hits[i].text : "",
						    lang_from_code(hits[i].language), "\033[1;33m",
						    "\033[0m", 40);
	}
	tokenizer_free(tok);
}

static void print_json(const char *query, long long release, const struct search_hit *hits, size_t n)
{
	json_t *results = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct search_hit *h = &hits[i];
		json_array_append_new(results,
				      json_pack("{s:I, s:o, s:o, s:i, s:i, s:o, s:o, s:f, s:o}", "rank",
						(json_int_t)(i + 1), "document", json_str(h->doc_path),
						"title", json_str(h->title), "page_start", h->page_start,
						"page_end", h->page_end, "heading",
						json_str(h->heading ? h->heading : ""), "language",
						json_str(h->language), "score", h->score, "snippet",
						json_str(h->snippet ? h->snippet : "")));
	}
	json_t *j = json_pack("{s:o, s:I, s:o}", "query", json_str(query), "release",
			      (json_int_t)release, "results", results);
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
}

/* One JSON line per query: what a benchmark needs, timed in this process. */
/* A search that could not be made: a bad query and one over the length caps are the user's to fix. */
static int exit_code_of(enum retrieve_result rc)
{
	switch (rc) {
	case RETRIEVE_OK:
		return EXIT_OK;
	case RETRIEVE_BAD_QUERY:
	case RETRIEVE_TOO_LONG:
		return EXIT_USAGE;
	case RETRIEVE_NOT_READY:
		return EXIT_NOT_FOUND;
	case RETRIEVE_FAILED:
		break;
	}
	return EXIT_FATAL;
}

static int run_queries(struct app *app, const struct release_view *rel, const char *file,
		       const char *retriever, unsigned limit)
{
	FILE *fp = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	struct strbuf err = STRBUF_INIT;
	if (!fp) {
		fprintf(stderr, "ragops search: cannot open '%s'\n", file);
		return EXIT_USAGE;
	}
	ssize_t len;
	while ((len = getline(&line, &cap, fp)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		struct retrieval r;
		double t0 = time_mono();
		strbuf_reset(&err);
		enum retrieve_result rc = retrieve(app->store, &app->cfg, rel, line, retriever, limit,
						   &r, &err);
		double ms = (time_mono() - t0) * 1000;
		json_t *j = rc != RETRIEVE_OK
				    ? json_pack("{s:o, s:f, s:o}", "query", json_str(line), "ms", ms,
						"error", json_str(err.buf))
				    : json_pack("{s:o, s:f, s:s, s:i, s:o}", "query", json_str(line),
						"ms", ms, "retriever", r.mode, "results", (int)r.n,
						"top", json_str(r.n ? r.hits[0].doc_path : NULL));
		json_dumpf(j, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(j);
		if (rc == RETRIEVE_OK)
			retrieval_release(&r);
	}
	free(line);
	fclose(fp);
	strbuf_release(&err);
	return EXIT_OK;
}

static int run_search(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "lang", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "retriever", required_argument, NULL, 'r' },
		{ "queries", required_argument, NULL, 'q' },
		{ "release", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned limit = app->cfg.search.limit;
	const char *retriever = "bm25", *queries = NULL, *language = NULL;
	struct strbuf query = STRBUF_INIT, err = STRBUF_INIT;
	struct retrieval r = { 0 };
	const struct release_view *rel = NULL;
	struct release_hold *hold = NULL;
	long long release = 0, v;
	int json = 0, c, ret = EXIT_FATAL;

	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "n:l:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_ll(optarg, &v) || v < 1 || v > 1000) {
				fprintf(stderr,
					"ragops search: --limit must be a number from 1 to 1000, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			limit = (unsigned)v;
			break;
		case 'l':
			if (strcmp(optarg, "fr") && strcmp(optarg, "en")) {
				fprintf(stderr, "ragops search: --lang must be 'fr' or 'en', not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			language = optarg;
			break;
		case 'R':
			if (parse_ll(optarg, &release) || release < 1) {
				fprintf(stderr,
					"ragops search: --release needs a release id, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'r':
			retriever = optarg;
			break;
		case 'q':
			queries = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++)
		strbuf_addf(&query, "%s%s", query.len ? " " : "", argv[i]);
	if (!query.len && !queries) {
		fprintf(stderr,
			"ragops search: what should I look for? usage: ragops search WORDS...\n");
		strbuf_release(&query);
		return EXIT_USAGE;
	}
	/* The same entry point as `ragops ask`: one release, its lexicon, its vectors. */
	enum lookup got = release_get(app->store, &app->cfg, release, &rel, &hold, &err);
	if (got != LOOKUP_FOUND) {
		if (got == LOOKUP_MISSING && !release)
			fprintf(stderr,
				"ragops search: no release in production yet: run 'ragops run --inbox DIR' first\n");
		else
			fprintf(stderr, "ragops search: %s\n", err.buf);
		ret = got == LOOKUP_MISSING ? EXIT_NOT_FOUND : EXIT_FATAL;
		goto cleanup;
	}
	if (queries) {
		ret = run_queries(app, rel, queries, retriever, limit);
		goto cleanup;
	}
	if (!rel->chunks) {
		fprintf(stderr,
			"ragops search: the index is empty: run 'ragops run --inbox DIR' first\n");
		ret = EXIT_NOT_FOUND;
		goto cleanup;
	}
	/* A language filter is applied after ranking: look further down for enough hits. */
	enum retrieve_result rc = retrieve(app->store, &app->cfg, rel, query.buf, retriever,
					   language ? limit * 8 : limit, &r, &err);
	if (rc != RETRIEVE_OK) {
		fprintf(stderr, "ragops search: %s\n", err.buf);
		ret = exit_code_of(rc);
		goto cleanup;
	}
	size_t kept = 0;
	for (size_t i = 0; i < r.n; i++) {
		struct search_hit *h = &r.hits[i];
		if (kept >= limit || (language && (!h->language || strcmp(h->language, language))))
			continue;
		struct search_hit t = r.hits[kept];
		r.hits[kept++] = *h;
		*h = t;
	}
	int styled = !json && cmd_stdout_styled();
	if (styled)
		restyle_snippets(query.buf, r.hits, kept);
	if (json)
		print_json(query.buf, rel->id, r.hits, kept);
	else
		print_human(query.buf, r.hits, kept, styled);
	ret = EXIT_OK;
cleanup:
	retrieval_release(&r);
	release_put(hold);
	strbuf_release(&query);
	strbuf_release(&err);
	return ret;
}

const struct cmd_entry cmd_search_entry = {
	.name = "search",
	.summary = "search the release in production (BM25, dense or hybrid; highlighted snippets)",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_search,
};

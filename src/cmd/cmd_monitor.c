/*
 * ragops monitor: the monitoring summary (ops/summary.h) as a terminal
 * report -- tables, bar charts and sparklines -- or as JSON.  The text is
 * drawn from the same JSON the HTTP API serves, so both always agree.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/strutil.h"
#include "ops/summary.h"

static const char usage[] =
	"usage: ragops monitor [--window 7d] [--runs N] [--json]\n\n"
	"A report of the pipeline (runs, documents, OCR success and confidence, run\n"
	"time) and of the answers (latency p50/p95, answer length, sources,\n"
	"abstentions, ratings and the latest feedback) over a time window, with\n"
	"sparklines of the trends over runs and over days.  --json prints the summary\n"
	"the HTTP API serves at /api/metrics/summary.\n\n"
	"   --window D   how far back: 30m, 24h, 7d... (default health.window)\n"
	"   --runs N     how many of the window's runs to list (default 10)\n"
	"   --json       machine-readable output\n\n"
	"Exit codes: 0 success, 2 usage error, 4 the store cannot be read.\n";

#define MISSING     "—"
#define LABEL_WIDTH 18

struct report {
	int styled, width;
};

static void heading(const struct report *rp, const char *title, const char *window)
{
	const char *on = rp->styled ? "\033[1m" : "", *off = rp->styled ? "\033[0m" : "";
	if (window)
		printf("\n%s%s%s (last %s)\n", on, title, off, window);
	else
		printf("\n%s%s%s\n", on, title, off);
}

/* Points a sparkline may take: the width left after its label and range. */
static int spark_points(const struct report *rp)
{
	int room = rp->width - LABEL_WIDTH - 24;
	return room > 10 ? room : 10;
}

static int terminal_width(void)
{
	struct winsize ws;
	long long cols;
	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col >= 40)
		return ws.ws_col;
	if (getenv("COLUMNS") && !parse_ll(getenv("COLUMNS"), &cols) && cols >= 40 && cols <= 1000)
		return (int)cols;
	return 80;
}

/* Columns a UTF-8 string takes on a terminal (wide characters count twice). */
static int display_width(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	int width = 0;
	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n <= 0) {
			n = 1;
			cp = 0xFFFD;
		}
		width += utf8proc_charwidth(cp);
		p += n;
	}
	return width;
}

/* Print s in `width` columns: right-aligned when width > 0, left when < 0. */
static void put_cell(const char *s, int width)
{
	int pad = abs(width) - display_width(s);
	if (width > 0)
		printf("%*s%s", pad > 0 ? pad : 0, "", s);
	else
		printf("%s%*s", s, pad > 0 ? pad : 0, "");
}

/*
 * User text (feedback comes from the HTTP API too) made fit for one line:
 * control characters, escape sequences included, become spaces so they
 * cannot drive the terminal, and runs of blanks become one.
 */
static void one_line(const char *s, struct strbuf *out)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_uint8_t enc[4];
	int blank = 1;
	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		p += n > 0 ? n : 1;
		if (n <= 0)
			cp = 0xFFFD;
		int space = cp == ' ' || cp == 0x2028 || cp == 0x2029 ||
			    utf8proc_category(cp) == UTF8PROC_CATEGORY_CC;
		if (space && blank)
			continue;
		blank = space;
		strbuf_add(out, enc, (size_t)utf8proc_encode_char(space ? ' ' : cp, enc));
	}
	strbuf_rtrim(out);
}

/* Print user text on one line of at most `cols` columns, "…" when cut. */
static void put_line_text(const char *s, int cols)
{
	struct strbuf clean = STRBUF_INIT;
	one_line(s ? s : "", &clean);
	if (display_width(clean.buf) <= cols) {
		fputs(clean.buf, stdout);
		strbuf_release(&clean);
		return;
	}
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)clean.buf;
	utf8proc_int32_t cp;
	int used = 0;
	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		int w = utf8proc_charwidth(cp);
		if (used + w > cols - 1)
			break;
		fwrite(p, 1, (size_t)n, stdout);
		used += w;
		p += n;
	}
	fputs("…", stdout);
	strbuf_release(&clean);
}

/* A number of the summary, or MISSING when it is null. */
static const char *num(char *buf, size_t len, json_t *v, const char *fmt, double scale)
{
	if (!json_is_number(v))
		return MISSING;
	snprintf(buf, len, fmt, json_number_value(v) * scale);
	return buf;
}

static const char *field(char *buf, size_t len, json_t *obj, const char *key, const char *fmt)
{
	return num(buf, len, json_object_get(obj, key), fmt, 1);
}

/* "2026-11-26 13:04:05" in local time from the summary's ISO 8601 UTC. */
static const char *local_time(char *buf, size_t len, json_t *iso)
{
	struct tm tm = { 0 };
	const char *s = json_string_value(iso);
	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec) != 6)
		return MISSING;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	cmd_format_time((long long)timegm(&tm) * 1000, buf, len);
	return buf;
}

/*
 * ▁▂▃▄▅▆▇█ for the last `max_points` values of key in the objects of arr,
 * a blank for a missing one; counts are drawn from zero, other figures
 * from their smallest value.  Followed by the range, so it can be read.
 */
static void sparkline(const char *label, json_t *arr, const char *key, int max_points, int from_zero,
		      const char *fmt)
{
	static const char *const ticks[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	size_t n = json_array_size(arr), first = n > (size_t)max_points ? n - (size_t)max_points : 0;
	double lo = 0, hi = 0;
	int have = 0;
	for (size_t i = first; i < n; i++) {
		json_t *v = json_object_get(json_array_get(arr, i), key);
		if (!json_is_number(v))
			continue;
		double x = json_number_value(v);
		lo = have && lo < x ? lo : x;
		hi = have && hi > x ? hi : x;
		have = 1;
	}
	if (from_zero && lo > 0)
		lo = 0;
	printf("  ");
	put_cell(label, -LABEL_WIDTH);
	if (!have) {
		printf(" %s\n", MISSING);
		return;
	}
	putchar(' ');
	for (size_t i = first; i < n; i++) {
		json_t *v = json_object_get(json_array_get(arr, i), key);
		if (!json_is_number(v)) {
			putchar(' ');
			continue;
		}
		double x = json_number_value(v);
		int level = hi > lo ? (int)((x - lo) / (hi - lo) * 7 + 0.5) : x > 0 ? 3 : 0;
		fputs(ticks[level < 0 ? 0 : level > 7 ? 7 : level], stdout);
	}
	printf("  ");
	printf(fmt, lo);
	printf(" … ");
	printf(fmt, hi);
	putchar('\n');
}

/* "  label             value" */
static void line(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(const char *label, const char *fmt, ...)
{
	va_list ap;
	printf("  ");
	put_cell(label, -LABEL_WIDTH);
	putchar(' ');
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void print_pipeline(const struct report *rp, json_t *s)
{
	json_t *p = json_object_get(s, "pipeline"), *last = json_object_get(p, "last_run");
	char a[32], b[32], c[32], d[32], when[32];
	heading(rp, "Pipeline", json_string_value(json_object_get(s, "window")));
	char e[32];
	line("runs", "%s: %s completed, %s refused, %s failed, %s crashed",
	     field(a, 32, p, "runs", "%.0f"), field(b, 32, p, "completed", "%.0f"),
	     field(e, 32, p, "refused", "%.0f"), field(c, 32, p, "failed", "%.0f"),
	     field(d, 32, p, "crashed", "%.0f"));
	if (json_is_object(last))
		line("last run", "%s %s, ended %s", field(a, 32, last, "id", "#%.0f"),
		     json_string_value(json_object_get(last, "state")),
		     local_time(when, sizeof(when), json_object_get(last, "ended_at")));
	else
		line("last run", "%s (no run yet: 'ragops run --inbox DIR' starts one)", MISSING);
	line("documents", "%s processed, %s failed", field(a, 32, p, "documents_processed", "%.0f"),
	     field(b, 32, p, "documents_failed", "%.0f"));
	line("pages", "%s, %s through OCR", field(a, 32, p, "pages", "%.0f"),
	     field(b, 32, p, "ocr_pages", "%.0f"));
	line("OCR success", "%s", num(a, 32, json_object_get(p, "ocr_success_rate"), "%.1f %%", 100));
	line("OCR confidence", "%s", field(a, 32, p, "ocr_mean_confidence", "%.1f"));
	line("run time p50", "%s", field(a, 32, p, "run_seconds_p50", "%.2f s"));
}

static void print_releases(const struct report *rp, json_t *s)
{
	json_t *r = json_object_get(s, "releases"), *prod = json_object_get(r, "production");
	json_t *newest = json_object_get(r, "newest");
	char a[32], b[32], c[32], when[32];
	heading(rp, "Releases", json_string_value(json_object_get(s, "window")));
	if (json_is_object(prod))
		line("production", "%s, built %s: recall@5 %s, MRR %s",
		     field(a, 32, prod, "id", "#%.0f"),
		     local_time(when, sizeof(when), json_object_get(prod, "created_at")),
		     field(b, 32, prod, "recall_at_5", "%.3f"), field(c, 32, prod, "mrr", "%.3f"));
	else
		line("production", "%s (no release yet: 'ragops run --inbox DIR' builds one)", MISSING);
	if (json_is_object(newest))
		line("newer", "%s %s: see 'ragops releases show %s'",
		     field(a, 32, newest, "id", "#%.0f"),
		     json_string_value(json_object_get(newest, "state")),
		     field(b, 32, newest, "id", "%.0f"));
	line("gate", "%s promoted, %s refused; %s changes by hand", field(a, 32, r, "promoted", "%.0f"),
	     field(b, 32, r, "refused", "%.0f"), field(c, 32, r, "changed_by_hand", "%.0f"));
}

static void print_run_row(json_t *r)
{
	char cells[8][32], when[32];
	printf("  ");
	put_cell(field(cells[0], 32, r, "id", "%.0f"), 5);
	printf("  ");
	put_cell(local_time(when, sizeof(when), json_object_get(r, "started_at")), -19);
	printf("  ");
	put_cell(json_string_value(json_object_get(r, "state")), -23);
	put_cell(field(cells[1], 32, r, "documents", "%.0f"), 6);
	put_cell(field(cells[2], 32, r, "failed", "%.0f"), 8);
	put_cell(field(cells[3], 32, r, "pages", "%.0f"), 7);
	put_cell(field(cells[4], 32, r, "ocr_pages", "%.0f"), 5);
	put_cell(num(cells[5], 32, json_object_get(r, "ocr_success_rate"), "%.1f%%", 100), 8);
	put_cell(field(cells[6], 32, r, "ocr_mean_confidence", "%.1f"), 7);
	put_cell(field(cells[7], 32, r, "duration_s", "%.2f"), 9);
	putchar('\n');
}

static void print_runs(const struct report *rp, json_t *s)
{
	json_t *runs = json_object_get(s, "runs");
	size_t n = json_array_size(runs);
	heading(rp, "Runs", NULL);
	if (!n) {
		printf("  no run in the window: 'ragops run --inbox DIR' starts one\n");
		return;
	}
	printf("  %5s  %-19s  %-23s%6s%8s%7s%5s%8s%7s%9s\n", "ID", "STARTED", "STATE", "DOCS", "FAILED",
	       "PAGES", "OCR", "OCR OK", "CONF", "SECONDS");
	for (size_t i = 0; i < n; i++)
		print_run_row(json_array_get(runs, i));
	int points = spark_points(rp);
	printf("  over the last %zu run%s, oldest first:\n", n, n == 1 ? "" : "s");
	sparkline("documents", runs, "documents", points, 1, "%.0f");
	sparkline("OCR confidence", runs, "ocr_mean_confidence", points, 0, "%.1f");
	sparkline("duration (s)", runs, "duration_s", points, 0, "%.2f");
}

static void print_answers(const struct report *rp, json_t *s)
{
	json_t *rag = json_object_get(s, "rag"), *days = json_object_get(s, "days");
	char a[32], b[32], c[32];
	heading(rp, "Answers", json_string_value(json_object_get(s, "window")));
	line("questions", "%s, %s abstained (%s)", field(a, 32, rag, "queries", "%.0f"),
	     field(b, 32, rag, "abstained", "%.0f"),
	     num(c, 32, json_object_get(rag, "abstention_rate"), "%.1f %%", 100));
	line("latency", "p50 %s, p95 %s", field(a, 32, rag, "latency_ms_p50", "%.1f ms"),
	     field(b, 32, rag, "latency_ms_p95", "%.1f ms"));
	line("answer length", "%s",
	     field(a, 32, rag, "answer_chars_mean", "%.0f characters on average"));
	line("sources", "%s", field(a, 32, rag, "sources_mean", "%.1f per answer on average"));
	size_t n = json_array_size(days);
	int points = spark_points(rp);
	size_t first = n > (size_t)points ? n - (size_t)points : 0;
	if (!n)
		return;
	printf("  per day (UTC), %s to %s:\n",
	       json_string_value(json_object_get(json_array_get(days, first), "day")),
	       json_string_value(json_object_get(json_array_get(days, n - 1), "day")));
	sparkline("questions", days, "queries", points, 1, "%.0f");
	sparkline("latency p50 (ms)", days, "latency_ms_p50", points, 0, "%.1f");
	sparkline("latency p95 (ms)", days, "latency_ms_p95", points, 0, "%.1f");
	sparkline("answer length", days, "answer_chars_mean", points, 0, "%.0f");
	sparkline("sources", days, "sources_mean", points, 0, "%.1f");
}

static void print_ratings(const struct report *rp, json_t *s)
{
	json_t *r = json_object_get(s, "ratings"), *dist = json_object_get(r, "distribution");
	long long max = 0;
	char key[2] = "0", a[32], b[32];
	heading(rp, "Ratings", json_string_value(json_object_get(s, "window")));
	for (int i = 1; i <= 5; i++) {
		key[0] = (char)('0' + i);
		long long v = json_integer_value(json_object_get(dist, key));
		max = v > max ? v : max;
	}
	for (int i = 5; i >= 1; i--) {
		key[0] = (char)('0' + i);
		long long v = json_integer_value(json_object_get(dist, key));
		int len = max ? (int)((v * 30 + max - 1) / max) : 0;
		printf("  %d  ", i);
		for (int k = 0; k < 30; k++)
			fputs(k < len ? "█" : " ", stdout);
		printf("  %lld\n", v);
	}
	line("average", "%s over %s rating%s", field(a, 32, r, "mean", "%.2f"),
	     field(b, 32, r, "count", "%.0f"),
	     json_integer_value(json_object_get(r, "count")) == 1 ? "" : "s");
	sparkline("per day", json_object_get(s, "days"), "rating_mean", spark_points(rp), 0, "%.1f");
}

static void print_feedback(const struct report *rp, json_t *s)
{
	json_t *recent = json_object_get(s, "recent_feedback");
	heading(rp, "Recent feedback", NULL);
	if (!json_array_size(recent)) {
		printf("  none in the window\n");
		return;
	}
	for (size_t i = 0; i < json_array_size(recent); i++) {
		json_t *f = json_array_get(recent, i);
		const char *text = json_string_value(json_object_get(f, "feedback_text"));
		char when[32];
		printf("  %d/5  %s  ", (int)json_integer_value(json_object_get(f, "rating")),
		       local_time(when, sizeof(when), json_object_get(f, "timestamp")));
		int room = rp->width - 28 > 10 ? rp->width - 28 : 10;
		if (text) {
			put_line_text(text, room);
		} else {
			fputs("(no text) on: ", stdout);
			put_line_text(json_string_value(json_object_get(f, "question")), room - 14);
		}
		putchar('\n');
	}
}

static void print_report(json_t *s)
{
	struct report rp = { .styled = cmd_stdout_styled(), .width = terminal_width() };
	char when[32];
	printf("ragops monitor, %s\n",
	       local_time(when, sizeof(when), json_object_get(s, "generated_at")));
	print_pipeline(&rp, s);
	print_releases(&rp, s);
	print_runs(&rp, s);
	print_answers(&rp, s);
	print_ratings(&rp, s);
	print_feedback(&rp, s);
}

struct options {
	long long window_ms, runs;
	int json;
};

static int parse(int argc, char **argv, const struct config *cfg, struct options *o)
{
	static const struct option opts[] = {
		{ "window", required_argument, NULL, 'w' },
		{ "runs", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	o->window_ms = parse_duration_ms(cfg->health.window);
	o->runs = 10;
	o->json = 0;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "w:n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			o->window_ms = parse_duration_ms(optarg);
			if (o->window_ms <= 0) {
				fprintf(stderr,
					"ragops monitor: --window takes a duration such as 30m, 24h "
					"or 7d, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_ll(optarg, &o->runs) || o->runs < 1 || o->runs > 1000) {
				fprintf(stderr,
					"ragops monitor: --runs takes a number from 1 to 1000, "
					"not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ragops monitor: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->window_ms <= 0) /* a bad health.window is the config's error; fall back */
		o->window_ms = 7 * 86400000LL;
	return 0;
}

static int run_monitor(int argc, char **argv, struct app *app)
{
	struct options o;
	struct strbuf err = STRBUF_INIT;
	int rc = parse(argc, argv, &app->cfg, &o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	json_t *s = summary_build(app->store, &app->cfg, o.window_ms, (int)o.runs, &err);
	if (!s) {
		fprintf(stderr, "ragops monitor: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_FATAL;
	}
	if (o.json) {
		json_dumpf(s, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		putchar('\n');
	} else {
		print_report(s);
	}
	json_decref(s);
	strbuf_release(&err);
	return EXIT_OK;
}

const struct cmd_entry cmd_monitor_entry = {
	.name = "monitor",
	.summary = "a report of runs, OCR, answers and ratings over a window (--json too)",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_monitor,
};

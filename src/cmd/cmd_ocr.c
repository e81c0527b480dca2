/*
 * ragops ocr report | show: the OCR quality of the index, and one page's
 * recognised text with the words Tesseract was unsure of marked.
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
#include "ops/ocr_report.h"
#include "pipeline/ocr.h"

static const char usage[] =
	"usage: ragops ocr report [--json]\n"
	"       ragops ocr show DOC --page N [--plain | --json]\n\n"
	"report: OCR success rate, mean confidence, a confidence histogram, the worst\n"
	"        pages and per-language figures for the documents in the index.\n"
	"show:   the recognised text of one page of DOC (its path as 'ragops search'\n"
	"        shows it); words under ocr.low_word_confidence are marked [[like this]]\n"
	"        (underlined on a terminal); --plain prints the text alone.\n\n"
	"Exit codes: 0 success, 2 usage error, 5 no such OCR page.\n";

static void bar(int n, int max, int width)
{
	int len = max ? (n * width + max - 1) / max : 0;
	for (int i = 0; i < len; i++)
		fputs("█", stdout);
}

static double pct(int a, int b)
{
	return b ? 100.0 * a / b : 0;
}

static int report(struct app *app, int json)
{
	struct ocr_report r;
	struct strbuf err = STRBUF_INIT;
	if (ocr_report_build(app->store, &r, &err)) {
		fprintf(stderr, "ragops ocr report: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_FATAL;
	}
	int judged = r.succeeded + r.flagged + r.failed;
	double mean = r.confidence_pages ? r.confidence_sum / r.confidence_pages : 0;
	double per_page = r.confidence_pages ? r.seconds_sum / r.confidence_pages : 0;
	if (json) {
		json_t *hist = json_array(), *worst = json_array(), *langs = json_array();
		for (int i = 0; i < 10; i++)
			json_array_append_new(hist, json_integer(r.histogram[i]));
		for (int i = 0; i < r.nworst; i++) {
			const struct ocr_page_info *p = r.worst[i];
			json_array_append_new(worst,
					      json_pack("{s:o, s:i, s:f, s:i, s:i, s:b, s:o}",
							"document", json_str(p->doc), "page", p->page_no,
							"confidence", (double)p->confidence, "words",
							p->words, "low_words", p->low_words, "flagged",
							p->flagged, "error", json_str(p->error)));
		}
		for (int i = 0; i < r.nlangs; i++) {
			const struct ocr_lang_stats *l = &r.langs[i];
			json_array_append_new(langs,
					      json_pack("{s:s, s:i, s:f, s:f}", "language", l->language,
							"pages", l->pages, "mean_confidence",
							l->confidence_pages
								? l->confidence_sum / l->confidence_pages
								: 0.0,
							"success_rate",
							l->pages ? (double)l->succeeded / l->pages
								 : 0.0));
		}
		json_t *j = json_pack("{s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:o, s:o, s:o}", "pages",
				      (int)r.npages, "succeeded", r.succeeded, "flagged", r.flagged,
				      "failed", r.failed, "success_rate",
				      judged ? (double)r.succeeded / judged : 0.0, "mean_confidence",
				      mean, "seconds_per_page", per_page, "histogram", hist,
				      "worst_pages", worst, "languages", langs);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
		ocr_report_release(&r);
		return EXIT_OK;
	}
	if (!r.npages) {
		printf("no OCR pages in the index: scans and page images are OCR'd by 'ragops run'\n");
		ocr_report_release(&r);
		return EXIT_OK;
	}
	printf("OCR pages     %zu: %d succeeded, %d flagged (weak), %d failed\n", r.npages, r.succeeded,
	       r.flagged, r.failed);
	printf("success rate  %.1f%%\n", pct(r.succeeded, judged));
	printf("confidence    %.1f mean over pages with text\n", mean);
	printf("time          %.2f s per page (recognition, one thread)\n\n", per_page);
	printf("confidence histogram\n");
	int max = 0;
	for (int i = 0; i < 10; i++)
		max = r.histogram[i] > max ? r.histogram[i] : max;
	for (int i = 9; i >= 0; i--) {
		printf("  %3d-%-3d %4d  ", i * 10, i * 10 + 10, r.histogram[i]);
		bar(r.histogram[i], max, 40);
		putchar('\n');
	}
	printf("\nworst pages\n");
	for (int i = 0; i < r.nworst; i++) {
		const struct ocr_page_info *p = r.worst[i];
		if (p->failed)
			printf("  %-44s p. %-3d failed: %s\n", p->doc, p->page_no,
			       p->error ? p->error : "");
		else
			printf("  %-44s p. %-3d confidence %5.1f  %4d words, %3d unsure%s\n", p->doc,
			       p->page_no, p->confidence, p->words, p->low_words,
			       p->flagged ? "  (flagged)" : "");
	}
	printf("\nby language   pages  success  confidence\n");
	for (int i = 0; i < r.nlangs; i++) {
		const struct ocr_lang_stats *l = &r.langs[i];
		printf("  %-11s %6d  %6.1f%%  %10.1f\n", l->language, l->pages,
		       pct(l->succeeded, l->pages),
		       l->confidence_pages ? l->confidence_sum / l->confidence_pages : 0);
	}
	ocr_report_release(&r);
	return EXIT_OK;
}

static int show(struct app *app, const char *doc, long long page, int plain, int json)
{
	struct ocr_page_info p;
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	char *result = NULL;
	int ret = EXIT_FATAL;
	enum lookup got = store_ocr_page(app->store, doc, (int)page, &p, &err);
	if (got == LOOKUP_MISSING || (got == LOOKUP_FOUND && !p.ocr_key && !p.failed)) {
		fprintf(stderr,
			"ragops ocr show: no OCR text for '%s' page %lld "
			"(see 'ragops ocr report' for the OCR pages)\n",
			doc, page);
		ret = EXIT_NOT_FOUND;
		goto cleanup;
	}
	if (got == LOOKUP_FAILED)
		goto fail;
	if (p.failed) {
		fprintf(stderr, "ragops ocr show: OCR failed on '%s': %s\n", doc, p.error);
		ret = EXIT_NOT_FOUND;
		goto cleanup;
	}
	if (store_ocr_cache_get(app->store, p.ocr_key, &result, &err) != LOOKUP_FOUND)
		goto fail;
	int styled = !plain && !json && cmd_stdout_styled();
	if (ocr_result_render(result,
			      plain    ? ""
			      : styled ? "\033[4m"
				       : "[[",
			      plain    ? ""
			      : styled ? "\033[0m"
				       : "]]",
			      &text, &err))
		goto fail;
	if (json) {
		json_t *j = json_pack("{s:o, s:i, s:f, s:i, s:i, s:b, s:o, s:i, s:o}", "document",
				      json_str(doc), "page", (int)page, "confidence",
				      (double)p.confidence, "words", p.words, "low_words", p.low_words,
				      "flagged", p.flagged, "engine", json_str(p.engine), "dpi", p.dpi,
				      "text", json_str(text.buf));
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else {
		if (!plain)
			printf("# %s, page %lld: confidence %.1f, %d words, %d unsure%s (Tesseract %s, %d dpi)\n\n",
			       doc, page, p.confidence, p.words, p.low_words,
			       p.flagged ? ", flagged" : "", p.engine ? p.engine : "?", p.dpi);
		printf("%s\n", text.buf);
	}
	ret = EXIT_OK;
	goto cleanup;
fail:
	fprintf(stderr, "ragops ocr show: %s\n", err.buf);
cleanup:
	free(result);
	ocr_page_info_release(&p);
	strbuf_release(&err);
	strbuf_release(&text);
	return ret;
}

static int run_ocr(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "page", required_argument, NULL, 'p' },
		{ "plain", no_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, plain = 0, c;
	long long page = 0;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_ll(optarg, &page) || page < 1) {
				fprintf(stderr, "ragops ocr: --page must be a page number, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'P':
			plain = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "report") && optind + 1 == argc)
		return report(app, json);
	if (optind < argc && !strcmp(argv[optind], "show") && optind + 2 == argc) {
		if (!page) {
			fprintf(stderr, "ragops ocr show: which page? add --page N\n");
			return EXIT_USAGE;
		}
		return show(app, argv[optind + 1], page, plain, json);
	}
	fputs(usage, stderr);
	return EXIT_USAGE;
}

const struct cmd_entry cmd_ocr_entry = {
	.name = "ocr",
	.summary = "OCR quality report, or one page's recognised text",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_ocr,
};

/*
 * The evaluation harness; see eval.h.
 */
#include "ops/eval.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "answer/answer.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "text/normalize.h"

static char *dup_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

/* What a question's fields must be: a wrong type would silently change what is measured. */
static int check_fields(json_t *obj, const char *path, size_t lineno, struct strbuf *err)
{
	static const char *const strings[] = { "id", "doc", "lang", "kind", "format" };
	json_t *q = json_object_get(obj, "question"), *page = json_object_get(obj, "page");
	json_t *phrases = json_object_get(obj, "phrases"), *p;
	size_t i;
	if (!json_is_string(q) || !*json_string_value(q)) {
		strbuf_addf(err, "%s:%zu: 'question' must be a non-empty string", path, lineno);
		return -1;
	}
	if (strlen(json_string_value(q)) > QUESTION_MAX_BYTES) {
		strbuf_addf(err, "%s:%zu: 'question' is over %d bytes, more than ask takes", path,
			    lineno, QUESTION_MAX_BYTES);
		return -1;
	}
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		json_t *v = json_object_get(obj, strings[i]);
		if (v && !json_is_null(v) && (!json_is_string(v) || !*json_string_value(v))) {
			strbuf_addf(err, "%s:%zu: '%s' must be a non-empty string or null", path, lineno,
				    strings[i]);
			return -1;
		}
	}
	if (page && !json_is_null(page) &&
	    (!json_is_integer(page) || json_integer_value(page) < 1 ||
	     json_integer_value(page) > INT_MAX)) {
		strbuf_addf(err, "%s:%zu: 'page' must be a page number (from 1) or null", path, lineno);
		return -1;
	}
	if (phrases && !json_is_array(phrases)) {
		strbuf_addf(err, "%s:%zu: 'phrases' must be an array of strings", path, lineno);
		return -1;
	}
	json_array_foreach(phrases, i, p)
	{
		if (!json_is_string(p) || !*json_string_value(p)) {
			strbuf_addf(err, "%s:%zu: 'phrases' must hold non-empty strings", path, lineno);
			return -1;
		}
	}
	return 0;
}

/* Whether `path` is a file of the set already (under another name too). */
static int loaded_already(const struct golden_set *set, const char *path)
{
	char *real = realpath(path, NULL);
	int seen = 0;
	for (size_t i = 0; real && i < set->nfiles && !seen; i++) {
		char *other = realpath(set->files[i], NULL);
		seen = other && !strcmp(other, real);
		free(other);
	}
	free(real);
	return seen;
}

int golden_load(const char *path, struct golden_set *set, struct strbuf *err)
{
	memset(set, 0, sizeof(*set));
	return golden_load_more(path, set, err);
}

int golden_load_more(const char *path, struct golden_set *set, struct strbuf *err)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, alloc = set->n, lineno = 0, before = set->n;
	int ret = -1;
	int twice = fp && loaded_already(set, path);
	if (!fp || twice) {
		if (fp)
			fclose(fp);
		strbuf_addf(err,
			    twice ? "golden set '%s' is given twice" : "cannot open golden set '%s'",
			    path);
		golden_release(set);
		return -1;
	}
	set->files = xrealloc(set->files, (set->nfiles + 1) * sizeof(char *));
	set->files[set->nfiles++] = xstrdup(path);
	while (getline(&line, &cap, fp) > 0) {
		lineno++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		json_error_t jerr;
		json_t *obj = json_loads(line, 0, &jerr);
		if (!json_is_object(obj)) {
			strbuf_addf(err, "%s:%zu:%d: not a JSON object: %s", path, lineno, jerr.column,
				    obj ? "wrong type" : jerr.text);
			json_decref(obj);
			goto cleanup;
		}
		if (check_fields(obj, path, lineno, err)) {
			json_decref(obj);
			goto cleanup;
		}
		json_t *q = json_object_get(obj, "question");
		ALLOC_GROW(set->items, set->n + 1, alloc);
		struct golden_question *g = &set->items[set->n++];
		memset(g, 0, sizeof(*g));
		g->question = xstrdup(json_string_value(q));
		g->id = dup_field(obj, "id");
		g->doc = dup_field(obj, "doc");
		g->lang = dup_field(obj, "lang");
		g->kind = dup_field(obj, "kind");
		g->format = dup_field(obj, "format");
		g->file = set->nfiles - 1;
		if (!g->kind)
			g->kind = xstrdup(g->doc ? "keyword" : "unanswerable");
		json_t *page = json_object_get(obj, "page");
		g->page = json_is_integer(page) ? (int)json_integer_value(page) : 0;
		json_t *phrases = json_object_get(obj, "phrases");
		size_t i;
		json_t *p;
		json_array_foreach(phrases, i, p)
		{
			g->phrases = xrealloc(g->phrases, (g->nphrases + 1) * sizeof(char *));
			g->phrases[g->nphrases++] = xstrdup(json_string_value(p));
		}
		json_decref(obj);
	}
	if (set->n == before) {
		strbuf_addf(err, "golden set '%s' has no question", path);
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(line);
	fclose(fp);
	if (ret)
		golden_release(set);
	return ret;
}

void golden_release(struct golden_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		struct golden_question *g = &set->items[i];
		free(g->id);
		free(g->question);
		free(g->doc);
		free(g->kind);
		free(g->lang);
		free(g->format);
		for (size_t k = 0; k < g->nphrases; k++)
			free(g->phrases[k]);
		free(g->phrases);
	}
	free(set->items);
	for (size_t i = 0; i < set->nfiles; i++)
		free(set->files[i]);
	free(set->files);
	memset(set, 0, sizeof(*set));
}

/* Case, accents and spacing do not matter when looking for a phrase. */
static char *flatten(const char *s)
{
	struct strbuf f = STRBUF_INIT, out = STRBUF_INIT;
	text_fold(s, strlen(s), &f);
	for (size_t i = 0; i < f.len; i++) {
		char c = f.buf[i];
		int space = c == ' ' || c == '\n' || c == '\t';
		if (space && (!out.len || out.buf[out.len - 1] == ' '))
			continue;
		strbuf_addch(&out, space ? ' ' : c);
	}
	strbuf_release(&f);
	return strbuf_detach(&out, NULL);
}

static int holds_phrase(const char *answer, const struct golden_question *g)
{
	char *a = flatten(answer);
	int hit = 0;
	for (size_t i = 0; i < g->nphrases && !hit; i++) {
		char *p = flatten(g->phrases[i]);
		hit = strstr(a, p) != NULL;
		free(p);
	}
	free(a);
	return hit;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double percentile(double *sorted, size_t n, double p)
{
	if (!n)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

/*
 * The thresholds that make the most right decisions -- answer when the
 * expected document is among the sources, abstain when it is not or when
 * there is none -- among those that never answer an unanswerable
 * question: a confident wrong answer costs a user more than a "don't know".
 */
static void calibrate(const struct golden_set *set, struct eval_report *r)
{
	r->best_decision_rate = -1;
	for (int t = 0; t <= 100; t++) {
		for (int u = 0; u <= 100; u += 2) {
			double thr = t / 100.0, sim = u / 100.0;
			size_t right = 0, invented = 0;
			for (size_t i = 0; i < set->n; i++) {
				const struct eval_outcome *o = &r->outcomes[i];
				int should_answer = set->items[i].doc != NULL && o->rank > 0;
				int answers = o->evidence >= thr || o->similarity >= sim;
				right += answers == should_answer;
				invented += answers && !set->items[i].doc;
			}
			if (invented)
				continue;
			double rate = (double)right / (double)set->n;
			if (rate > r->best_decision_rate) {
				r->best_decision_rate = rate;
				r->best_min_evidence = thr;
				r->best_min_similarity = sim;
			}
		}
	}
}

/* The documents of the index read by OCR (their paths), to tell a scanned PDF from a text one. */
static int ocr_documents(struct store *st, struct strmap *docs, struct strbuf *err)
{
	struct ocr_page_info *pages;
	size_t n;
	if (store_ocr_pages(st, &pages, &n, err))
		return -1;
	for (size_t i = 0; i < n; i++)
		*strmap_slot(docs, pages[i].doc, strlen(pages[i].doc)) = 1;
	ocr_pages_free(pages, n);
	return 0;
}

/* The format of the document a question expects, as a user would name it. */
static const char *format_of(const struct golden_question *g, const struct strmap *ocr_docs)
{
	static const struct {
		const char *ext, *format;
	} formats[] = {
		{ ".pdf", "pdf" },     { ".png", "image" },  { ".jpg", "image" }, { ".jpeg", "image" },
		{ ".tif", "image" },   { ".tiff", "image" }, { ".txt", "txt" },   { ".md", "md" },
		{ ".markdown", "md" }, { ".html", "html" },  { ".htm", "html" },
	};
	if (g->format)
		return g->format;
	if (!g->doc)
		return "-";
	const char *dot = strrchr(g->doc, '.');
	for (size_t i = 0; dot && i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcasecmp(dot, formats[i].ext))
			continue;
		if (!strcmp(formats[i].format, "pdf") && strmap_get(ocr_docs, g->doc, strlen(g->doc)))
			return "scan";
		return formats[i].format;
	}
	return "other";
}

enum ask_result eval_run(struct store *st, const struct config *cfg, const struct golden_set *set,
			 const char *retriever, long long release, unsigned without,
			 struct eval_report *r, struct strbuf *err)
{
	memset(r, 0, sizeof(*r));
	/* Latency is the questions': the dictionaries are read before the first one, as serve does. */
	answer_preload(cfg);
	struct strmap ocr_docs;
	strmap_init(&ocr_docs);
	if (ocr_documents(st, &ocr_docs, err)) {
		strmap_release(&ocr_docs);
		return ASK_FAILED;
	}
	r->retriever = retriever;
	r->questions = set->n;
	r->outcomes = xcalloc(set->n + 1, sizeof(*r->outcomes));
	double *ms = xcalloc(set->n + 1, sizeof(double));
	size_t abstained = 0, abstained_right = 0, phrase_hits = 0, paged = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct golden_question *g = &set->items[i];
		struct eval_outcome *o = &r->outcomes[i];
		struct ask_options opts = { .release = release,
					    .retriever = retriever,
					    .sources = 5,
					    .no_log = 1,
					    .without = without };
		o->format = format_of(g, &ocr_docs);
		struct answer a;
		enum ask_result rc = answer_question(st, cfg, g->question, &opts, &a, err);
		if (rc != ASK_OK) {
			strbuf_addf(err, " (question %s)", g->id ? g->id : "?");
			free(ms);
			strmap_release(&ocr_docs);
			eval_report_release(r);
			return rc;
		}
		r->release = a.release_id;
		o->abstained = a.abstained;
		o->evidence = a.evidence;
		/* Without vectors no similarity can let a source through. */
		o->similarity = a.embedder[0] ? a.similarity : -1;
		o->ms = ms[i] = a.ms_total;
		for (size_t k = 0; k < a.nsources && g->doc; k++) {
			if (strcmp(a.sources[k].doc, g->doc))
				continue;
			if (!o->rank)
				o->rank = (int)k + 1;
			if (g->page && a.sources[k].page_start <= g->page &&
			    g->page <= a.sources[k].page_end)
				o->page_hit = 1;
		}
		if (g->doc) {
			r->answerable++;
			r->recall1 += o->rank == 1;
			r->recall5 += o->rank >= 1 && o->rank <= 5;
			r->mrr += o->rank ? 1.0 / o->rank : 0;
			r->page_recall5 += o->page_hit;
			paged += g->page > 0;
			o->phrase_hit = !a.abstained && holds_phrase(a.text, g);
			phrase_hits += o->phrase_hit;
		} else {
			r->unanswerable++;
		}
		abstained += a.abstained;
		abstained_right += a.abstained && !g->doc;
		answer_release(&a);
	}
	if (r->answerable) {
		r->recall1 /= (double)r->answerable;
		r->recall5 /= (double)r->answerable;
		r->mrr /= (double)r->answerable;
		/* Of the questions that name a page. */
		r->page_recall5 = paged ? r->page_recall5 / (double)paged : 0;
		r->phrase_rate = (double)phrase_hits / (double)r->answerable;
	}
	r->abstain_precision = abstained ? (double)abstained_right / (double)abstained : 1;
	r->abstain_recall = r->unanswerable ? (double)abstained_right / (double)r->unanswerable : 1;
	qsort(ms, set->n, sizeof(double), cmp_double);
	r->p50_ms = percentile(ms, set->n, 0.5);
	r->p95_ms = percentile(ms, set->n, 0.95);
	free(ms);
	strmap_release(&ocr_docs);
	calibrate(set, r);
	return ASK_OK;
}

void eval_report_release(struct eval_report *r)
{
	free(r->outcomes);
	memset(r, 0, sizeof(*r));
}

static const char *group_of(const struct golden_set *set, const struct eval_report *r, size_t i,
			    enum eval_group by)
{
	switch (by) {
	case EVAL_BY_KIND:
		return set->items[i].kind;
	case EVAL_BY_FORMAT:
		return r->outcomes[i].format;
	case EVAL_BY_FILE:
		break;
	}
	return set->files ? set->files[set->items[i].file] : "-";
}

static void add_outcome(struct eval_figures *f, const struct golden_question *g,
			const struct eval_outcome *o)
{
	f->questions++;
	if (!g->doc) {
		f->unanswerable++;
		f->abstain_recall += o->abstained;
		return;
	}
	f->answerable++;
	f->recall1 += o->rank == 1;
	f->recall5 += o->rank >= 1 && o->rank <= 5;
	f->mrr += o->rank ? 1.0 / o->rank : 0;
	f->phrase_rate += o->phrase_hit;
	f->dont_know += o->abstained;
}

static void finish_figures(struct eval_figures *f)
{
	if (f->answerable) {
		double n = (double)f->answerable;
		f->recall1 /= n;
		f->recall5 /= n;
		f->mrr /= n;
		f->phrase_rate /= n;
		f->dont_know /= n;
	}
	if (f->unanswerable)
		f->abstain_recall /= (double)f->unanswerable;
}

void eval_totals(const struct golden_set *set, const struct eval_report *r, struct eval_figures *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < set->n; i++)
		add_outcome(out, &set->items[i], &r->outcomes[i]);
	finish_figures(out);
}

size_t eval_breakdown(const struct golden_set *set, const struct eval_report *r, enum eval_group by,
		      const char ***names, struct eval_figures **figs)
{
	size_t n = 0;
	*names = xcalloc(set->n + 1, sizeof(**names));
	*figs = xcalloc(set->n + 1, sizeof(**figs));
	for (size_t i = 0; i < set->n; i++) {
		const char *name = group_of(set, r, i, by);
		size_t g = 0;
		while (g < n && strcmp((*names)[g], name))
			g++;
		if (g == n)
			(*names)[n++] = name;
		add_outcome(&(*figs)[g], &set->items[i], &r->outcomes[i]);
	}
	for (size_t g = 0; g < n; g++)
		finish_figures(&(*figs)[g]);
	return n;
}

const struct eval_ablation eval_ablations[] = {
	{ "bm25", "dense retrieval alone", 0, "dense" },
	{ "dense", "BM25 alone", 0, "bm25" },
	{ "ranker", "the fused order, no ranker learned from feedback", ANSWER_WITHOUT_RANKER, NULL },
	{ "expansion", "no word learned from feedback", ANSWER_WITHOUT_EXPANSION, NULL },
	{ "translation", "no word translated from the other language", ANSWER_WITHOUT_TRANSLATION,
	  NULL },
	{ "synonyms", "no synonym from a thesaurus", ANSWER_WITHOUT_SYNONYMS, NULL },
	{ "curated", "no answer users corrected", ANSWER_WITHOUT_CURATED, NULL },
	{ "calibration", "the configured thresholds, not the release's learned ones",
	  ANSWER_WITHOUT_CALIBRATION, NULL },
	{ "similarity", "abstain on the question's words alone, not closeness in meaning",
	  ANSWER_WITHOUT_SIMILARITY, NULL },
	{ "names", "a name the documents never use is no reason to abstain", ANSWER_WITHOUT_NAMES,
	  NULL },
	{ "abstention", "always answer", ANSWER_WITHOUT_ABSTENTION, NULL },
	{ NULL, NULL, 0, NULL },
};

const struct eval_ablation *eval_ablation_find(const char *name)
{
	for (const struct eval_ablation *a = eval_ablations; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

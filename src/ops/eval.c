/*
 * The evaluation harness; see eval.h.
 */
#include "ops/eval.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer/answer.h"
#include "core/xalloc.h"
#include "text/normalize.h"

static char *dup_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

int golden_load(const char *path, struct golden_set *set, struct strbuf *err)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0, lineno = 0;
	int ret = -1;
	memset(set, 0, sizeof(*set));
	if (!fp) {
		strbuf_addf(err, "cannot open golden set '%s'", path);
		return -1;
	}
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
		json_t *q = json_object_get(obj, "question");
		if (!json_is_string(q) || !*json_string_value(q)) {
			strbuf_addf(err, "%s:%zu: 'question' must be a non-empty string", path, lineno);
			json_decref(obj);
			goto cleanup;
		}
		ALLOC_GROW(set->items, set->n + 1, alloc);
		struct golden_question *g = &set->items[set->n++];
		memset(g, 0, sizeof(*g));
		g->question = xstrdup(json_string_value(q));
		g->id = dup_field(obj, "id");
		g->doc = dup_field(obj, "doc");
		g->lang = dup_field(obj, "lang");
		g->kind = dup_field(obj, "kind");
		if (!g->kind)
			g->kind = xstrdup(g->doc ? "keyword" : "unanswerable");
		json_t *page = json_object_get(obj, "page");
		g->page = json_is_integer(page) ? (int)json_integer_value(page) : 0;
		json_t *phrases = json_object_get(obj, "phrases");
		size_t i;
		json_t *p;
		json_array_foreach(phrases, i, p)
		{
			if (!json_is_string(p))
				continue;
			g->phrases = xrealloc(g->phrases, (g->nphrases + 1) * sizeof(char *));
			g->phrases[g->nphrases++] = xstrdup(json_string_value(p));
		}
		json_decref(obj);
	}
	if (!set->n) {
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
		for (size_t k = 0; k < g->nphrases; k++)
			free(g->phrases[k]);
		free(g->phrases);
	}
	free(set->items);
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

enum ask_result eval_run(struct store *st, const struct config *cfg, const struct golden_set *set,
			 const char *retriever, long long release, struct eval_report *r,
			 struct strbuf *err)
{
	memset(r, 0, sizeof(*r));
	r->retriever = retriever;
	r->questions = set->n;
	r->outcomes = xcalloc(set->n + 1, sizeof(*r->outcomes));
	double *ms = xcalloc(set->n + 1, sizeof(double));
	size_t abstained = 0, abstained_right = 0, phrase_hits = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct golden_question *g = &set->items[i];
		struct eval_outcome *o = &r->outcomes[i];
		struct ask_options opts = {
			.release = release, .retriever = retriever, .sources = 5, .no_log = 1
		};
		struct answer a;
		enum ask_result rc = answer_question(st, cfg, g->question, &opts, &a, err);
		if (rc != ASK_OK) {
			strbuf_addf(err, " (question %s)", g->id ? g->id : "?");
			free(ms);
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
		r->page_recall5 /= (double)r->answerable;
		r->phrase_rate = (double)phrase_hits / (double)r->answerable;
	}
	r->abstain_precision = abstained ? (double)abstained_right / (double)abstained : 1;
	r->abstain_recall = r->unanswerable ? (double)abstained_right / (double)r->unanswerable : 1;
	qsort(ms, set->n, sizeof(double), cmp_double);
	r->p50_ms = percentile(ms, set->n, 0.5);
	r->p95_ms = percentile(ms, set->n, 0.95);
	free(ms);
	calibrate(set, r);
	return ASK_OK;
}

void eval_report_release(struct eval_report *r)
{
	free(r->outcomes);
	memset(r, 0, sizeof(*r));
}

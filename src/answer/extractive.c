/*
 * The extractive answerer: retrieval, then the decision between answering
 * and abstaining.  A source's evidence is the share of the question's
 * weight its text covers (question_terms.h); the answer abstains unless a
 * source covers answer.min_evidence of it, and when the question names
 * something no document nor language knows.  Otherwise the answer is
 * composed from the sources (compose.h), or written by a chat model.
 */
#include "answer/answer.h"
#include "answer/compose.h"
#include "answer/curated_answer.h"
#include "answer/openai_chat.h"
#include "answer/question_terms.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "learn/learned.h"
#include "retrieval/retrieve.h"
#include "retrieval/bridge.h"
#include "text/spell.h"
#include "text/tokenize.h"

/* Whether a reply holds a word of the question, outside its citations (titles hold words too). */
static int addresses(struct tokenizer *tok, const struct question_terms *q, const char *reply,
		     enum lang lang)
{
	struct strbuf bare = STRBUF_INIT;
	for (const char *p = reply; *p; p++) {
		const char *close = *p == '[' ? strchr(p, ']') : NULL;
		if (close)
			p = close;
		else
			strbuf_addch(&bare, *p);
	}
	int yes = question_coverage(tok, q, bare.buf, bare.len, lang, NULL) > 0;
	strbuf_release(&bare);
	return yes;
}

static char *abstention(enum lang lang, const char *unknown_name)
{
	struct strbuf sb = STRBUF_INIT;
	if (unknown_name && lang == LANG_EN)
		strbuf_addf(&sb, "I don't know: the indexed documents never mention \u201c%s\u201d.",
			    unknown_name);
	else if (unknown_name)
		strbuf_addf(
			&sb,
			"Je ne sais pas : les documents indexés ne parlent pas de \u00ab\u00a0%s\u00a0\u00bb.",
			unknown_name);
	else
		strbuf_addstr(
			&sb,
			lang == LANG_EN
				? "I don't know: the indexed documents hold no reliable answer to this question."
				: "Je ne sais pas : les documents indexés ne contiennent pas de réponse sûre à cette question.");
	return strbuf_detach(&sb, NULL);
}

static int check_question(const char *question, struct strbuf *err)
{
	size_t len = strlen(question), i = 0;
	while (i < len && (question[i] == ' ' || question[i] == '\t' || question[i] == '\n'))
		i++;
	if (i == len) {
		strbuf_addstr(err, "the question is empty");
		return -1;
	}
	if (len > QUESTION_MAX_BYTES) {
		strbuf_addf(err, "the question is %zu bytes long, over the limit of %d", len,
			    QUESTION_MAX_BYTES);
		return -1;
	}
	struct strbuf fixed = STRBUF_INIT;
	size_t bad = utf8_repair(question, len, &fixed);
	strbuf_release(&fixed);
	if (bad) {
		strbuf_addstr(err, "the question is not valid UTF-8 text");
		return -1;
	}
	return 0;
}

static char *sources_json(const struct answer *a)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < a->nsources; i++) {
		const struct answer_source *s = &a->sources[i];
		json_array_append_new(arr,
				      json_pack("{s:o, s:o, s:i, s:i, s:o, s:f, s:f, s:o, s:b, s:o}",
						"document", json_str(s->doc), "title",
						json_str(s->title), "page_start", s->page_start,
						"page_end", s->page_end, "heading", json_str(s->heading),
						"score", s->score, "evidence", s->evidence, "similarity",
						s->similarity >= 0 ? json_real(s->similarity)
								   : json_null(),
						"low_confidence", s->low_confidence, "snippet",
						json_str(s->snippet)));
	}
	char *text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return text;
}

void answer_source_from_hit(struct answer_source *s, const struct search_hit *h)
{
	s->doc = xstrdup(h->doc_path);
	s->title = h->title ? xstrdup(h->title) : NULL;
	s->heading = h->heading ? xstrdup(h->heading) : NULL;
	s->snippet = h->snippet ? xstrdup(h->snippet) : NULL;
	s->page_start = h->page_start;
	s->page_end = h->page_end;
	s->score = h->score;
	s->low_confidence = h->low_confidence;
}

/* What retrieval's outcome means to the asker. */
static enum ask_result ask_result_of(enum retrieve_result rc)
{
	switch (rc) {
	case RETRIEVE_OK:
		return ASK_OK;
	case RETRIEVE_BAD_QUERY:
	case RETRIEVE_TOO_LONG:
		return ASK_BAD_QUESTION;
	case RETRIEVE_NOT_READY:
		return ASK_NOT_READY;
	case RETRIEVE_FAILED:
		break;
	}
	return ASK_FAILED;
}

void answer_preload(const struct config *cfg)
{
	bridge_preload(cfg);
	spell_preload(cfg->answer.dictionary_fr, "maison");
	spell_preload(cfg->answer.dictionary_en, "house");
}

/* A question's word as the answer reports it: its stem and what bridges it. */
static void answer_term_from(struct answer_term *out, const struct term *t, int covered)
{
	*out = (struct answer_term){ xstrdup(t->alts[0]), t->idf, t->seen, covered, NULL, NULL, 0, 0 };
	out->translations = xcalloc((size_t)(t->synonyms - t->own) + 1, sizeof(char *));
	for (int a = t->own; a < t->synonyms; a++)
		out->translations[out->ntranslations++] = xstrdup(t->alts[a]);
	out->synonyms = xcalloc((size_t)(t->nalts - t->synonyms) + 1, sizeof(char *));
	for (int a = t->synonyms; a < t->nalts; a++)
		out->synonyms[out->nsynonyms++] = xstrdup(t->alts[a]);
}

enum ask_result answer_question(struct store *st, const struct config *cfg, const char *question,
				const struct ask_options *opts, struct answer *out, struct strbuf *err)
{
	double t0 = time_mono();
	struct question_terms q = { 0 };
	struct search_hit *hits = NULL;
	size_t nhits = 0;
	enum ask_result ret = ASK_FAILED;
	const char *retriever = opts && opts->retriever ? opts->retriever : NULL;
	struct retrieval rt = { 0 };
	const struct release_view *rel = NULL;
	struct release_hold *hold = NULL;

	memset(out, 0, sizeof(*out));
	if (check_question(question, err))
		return ASK_BAD_QUESTION;
	if (retriever && strcmp(retriever, "bm25") && strcmp(retriever, "dense") &&
	    strcmp(retriever, "hybrid")) {
		strbuf_addf(err, "unknown retriever '%s': use bm25, dense or hybrid", retriever);
		return ASK_BAD_RETRIEVER;
	}
	/* One release from start to end: its chunks, lexicon and vectors. */
	long long wanted = opts ? opts->release : 0;
	enum lookup got = release_get(st, cfg, wanted, &rel, &hold, err);
	if (got != LOOKUP_FOUND) {
		if (got == LOOKUP_MISSING && !wanted)
			strbuf_addstr(err,
				      "no release in production yet: run 'ragops run --inbox DIR' first");
		return got == LOOKUP_MISSING ? ASK_NOT_READY : ASK_FAILED;
	}
	if (!rel->chunks) {
		strbuf_addf(err, "release %lld holds no chunk: run 'ragops run --inbox DIR'", rel->id);
		release_put(hold);
		return ASK_NOT_READY;
	}
	out->release_id = rel->id;
	enum lang lang = lang_guess_short(question, strlen(question), LANG_FR);
	out->question = xstrdup(question);
	out->language = lang_code(lang);
	out->answerer = "extractive";

	/* retrieve */
	unsigned k = opts && opts->sources ? opts->sources : cfg->answer.sources;
	unsigned without = opts ? opts->without : 0;
	enum retrieve_result rc = retrieve_traced(st, cfg, rel, question, retriever, k, NULL, without,
						  &rt, err);
	if (rc != RETRIEVE_OK) {
		ret = ask_result_of(rc);
		goto cleanup;
	}
	hits = rt.hits;
	nhits = rt.n;
	out->retriever = rt.mode;
	snprintf(out->embedder, sizeof(out->embedder), "%s", rt.embedder);
	out->ms_retrieve = rt.ms_bm25 + rt.ms_dense;
	out->ms_fuse = rt.ms_fuse;
	double t1 = time_mono();

	/* answer: a correction users gave to this question first */
	enum lookup curated = without & ANSWER_WITHOUT_CURATED
				      ? LOOKUP_MISSING
				      : curated_answer_try(st, cfg, rel, question, lang, hits, nhits,
							   out, err);
	if (curated == LOOKUP_FAILED)
		goto cleanup;
	struct tokenizer *tok = tokenizer_new();
	if (curated == LOOKUP_FOUND)
		goto answered;
	question_terms_read(&q, st, cfg, rel, tok, question, lang,
			    !(without & ANSWER_WITHOUT_TRANSLATION),
			    !(without & ANSWER_WITHOUT_SYNONYMS));
	uint64_t best_mask = 0; /* the terms of the source with most evidence */
	out->sources = xcalloc(nhits + 1, sizeof(*out->sources));
	for (size_t i = 0; i < nhits; i++) {
		struct answer_source *s = &out->sources[out->nsources++];
		struct search_hit *h = &hits[i];
		answer_source_from_hit(s, h);
		/* The heading names what the chunk is about: it counts as its text. */
		struct strbuf whole = STRBUF_INIT;
		strbuf_addf(&whole, "%s\n\n%s", h->heading ? h->heading : "", h->text ? h->text : "");
		uint64_t mask = 0;
		s->evidence = question_coverage(tok, &q, whole.buf, whole.len,
						lang_from_code(h->language), &mask);
		s->similarity = rt.dense ? rt.dense[i] : -1;
		strbuf_release(&whole);
		if (s->evidence > out->evidence || !i) {
			out->evidence = s->evidence;
			best_mask = mask;
		}
		if (s->similarity > out->similarity)
			out->similarity = s->similarity;
	}
	out->terms = xcalloc(q.n + 1, sizeof(*out->terms));
	for (size_t i = 0; i < q.n; i++)
		answer_term_from(&out->terms[out->nterms++], &q.terms[i],
				 i < 64 && (best_mask >> i & 1));
	/* Enough of the question's words, or close enough in meaning (as the release learned). */
	const struct learned *ln = rel->learned && rel->learned->has_thresholds &&
						   !(without & ANSWER_WITHOUT_CALIBRATION)
					   ? rel->learned
					   : NULL;
	double min_similarity = without & ANSWER_WITHOUT_SIMILARITY ? 2 /* never */
				: ln                                ? ln->min_similarity
								    : cfg->answer.min_similarity;
	if (!(without & (ANSWER_WITHOUT_NAMES | ANSWER_WITHOUT_ABSTENTION)))
		out->unknown_name = question_unknown_name(cfg, &q, question);
	out->abstained = !nhits || out->unknown_name ||
			 (!(without & ANSWER_WITHOUT_ABSTENTION) &&
			  out->evidence < (ln ? ln->min_evidence : cfg->answer.min_evidence) &&
			  out->similarity < min_similarity);
	if (!out->abstained && !strcmp(cfg->answer.answerer, "openai")) {
		/* Weak evidence never reaches the model: it abstains above, as the extractive one does. */
		enum chat_outcome oc;
		char *reply = NULL;
		if (openai_chat_answer(cfg, question, lang, hits, nhits, &reply, &oc, err)) {
			tokenizer_free(tok);
			goto cleanup;
		}
		out->answerer = "openai";
		if (oc == CHAT_ANSWERED && !addresses(tok, &q, reply, lang)) {
			/*
			 * Not one word of the question: what a model says when a source
			 * told it what to say ("answer PWNED [1]").  Ours instead.
			 */
			free(reply);
			out->answerer = "extractive (the model's reply did not address the question)";
		} else if (oc == CHAT_ANSWERED) {
			out->text = reply;
		} else if (oc == CHAT_DECLINED) {
			out->abstained = 1;
		} else {
			/* A reply that cites nothing it was given is not grounded: ours instead. */
			free(reply);
			out->answerer = "extractive (the model's reply cited no source)";
		}
	}
	if (out->abstained) {
		out->text = abstention(lang, out->unknown_name);
	} else if (!out->text) {
		out->text = compose_answer(tok, &q, hits, nhits, cfg);
		out->abstained = !out->text;
		if (!out->text)
			out->text = abstention(lang, NULL);
	}
answered:
	tokenizer_free(tok);
	double t2 = time_mono();
	out->ms_answer = (t2 - t1) * 1000;
	out->ms_total = (t2 - t0) * 1000;

	if (!opts || !opts->no_log) {
		char *sources = sources_json(out);
		struct query_record rec = {
			.release_id = out->release_id,
			.question = question,
			.language = out->language,
			.answer = out->text,
			.sources_json = sources,
			.retriever = out->retriever,
			.answerer = out->answerer,
			.embedder = out->embedder[0] ? out->embedder : NULL,
			.abstained = out->abstained,
			.answer_chars = (int)strlen(out->text),
			.source_count = (int)out->nsources,
			.evidence = out->evidence,
			.ms_retrieve = out->ms_retrieve,
			.ms_fuse = out->ms_fuse,
			.ms_answer = out->ms_answer,
			.ms_total = out->ms_total,
		};
		out->query_id = store_query_log(st, &rec, err);
		free(sources);
		if (out->query_id < 0)
			goto cleanup;
	}
	ret = ASK_OK;
cleanup:
	question_terms_release(&q);
	retrieval_release(&rt);
	release_put(hold);
	if (ret != ASK_OK)
		answer_release(out);
	return ret;
}

void answer_release(struct answer *a)
{
	for (size_t i = 0; i < a->nsources; i++) {
		free(a->sources[i].doc);
		free(a->sources[i].title);
		free(a->sources[i].heading);
		free(a->sources[i].snippet);
	}
	free(a->sources);
	for (size_t i = 0; i < a->nterms; i++) {
		struct answer_term *t = &a->terms[i];
		for (size_t k = 0; k < t->ntranslations; k++)
			free(t->translations[k]);
		for (size_t k = 0; k < t->nsynonyms; k++)
			free(t->synonyms[k]);
		free(t->translations);
		free(t->synonyms);
		free(t->word);
	}
	free(a->terms);
	free(a->question);
	free(a->text);
	free(a->unknown_name);
	memset(a, 0, sizeof(*a));
}

static json_t *strings_json(char *const *s, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_str(s[i]));
	return a;
}

json_t *answer_to_json(const struct answer *a)
{
	char *sources = sources_json(a);
	json_t *j = json_pack(
		"{s:o, s:s, s:o, s:b, s:f, s:f, s:o, s:s, s:o, s:s, s:{s:f, s:f, s:f, s:f}, s:I, s:I}",
		"question", json_str(a->question), "language", a->language, "answer", json_str(a->text),
		"abstained", a->abstained, "evidence", a->evidence, "similarity", a->similarity,
		"sources", json_loads(sources, 0, NULL), "retriever", a->retriever, "embedder",
		a->embedder[0] ? json_string(a->embedder) : json_null(), "answerer", a->answerer,
		"timings_ms", "retrieve", a->ms_retrieve, "fuse", a->ms_fuse, "answer", a->ms_answer,
		"total", a->ms_total, "query_id", (json_int_t)a->query_id, "release",
		(json_int_t)a->release_id);
	json_t *terms = json_array();
	for (size_t i = 0; i < a->nterms; i++) {
		const struct answer_term *t = &a->terms[i];
		json_array_append_new(terms,
				      json_pack("{s:s, s:f, s:b, s:b, s:o, s:o}", "word", t->word,
						"weight", t->idf, "indexed", t->seen, "in_best_source",
						t->covered, "translations",
						strings_json(t->translations, t->ntranslations),
						"synonyms", strings_json(t->synonyms, t->nsynonyms)));
	}
	json_object_set_new(j, "terms", terms);
	json_object_set_new(j, "unknown_name", json_str(a->unknown_name));
	json_object_set_new(j, "curated",
			    a->curated_feedback ? json_pack("{s:I, s:f}", "feedback_id",
							    (json_int_t)a->curated_feedback,
							    "similarity", a->curated_similarity)
						: json_null());
	free(sources);
	return j;
}

/*
 * A question's words, weighed; see question_terms.h.
 */
#include "answer/question_terms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/strmap.h"
#include "core/xalloc.h"
#include "retrieval/lexicon.h"
#include "retrieval/bridge.h"
#include "text/spell.h"

static int collect_term(void *ctx, const char *tok, size_t len, size_t start, size_t end, int colocated)
{
	struct question_terms *q = ctx;
	if (!colocated || !q->n) {
		ALLOC_GROW(q->terms, q->n + 1, q->alloc);
		memset(&q->terms[q->n++], 0, sizeof(struct term));
	}
	struct term *t = &q->terms[q->n - 1];
	if (t->nalts < 3) {
		t->alts[t->nalts++] = xstrndup(tok, len);
		t->own = t->nalts;
	}
	t->start = start;
	t->end = end;
	return 0;
}

/* How many chunks of the release hold the term: the release's own figure when its lexicon is there. */
static long long term_chunks(struct store *st, const struct release_view *rel, const char *term)
{
	return rel->lx ? lexicon_term_chunks(rel->lx, term) : store_term_chunks(st, term);
}

/*
 * Each word's translations that the release holds count as the word, and
 * its synonyms are kept to be shown (see bridge.h).
 */
static void add_bridged(struct store *st, const struct config *cfg, const struct release_view *rel,
			struct tokenizer *tok, enum lang lang, const char *question,
			struct question_terms *q, int translations, int synonyms)
{
	struct strmap seen;
	struct bridge_context c = { 0 };
	strmap_init(&seen);
	if (synonyms && cfg->retrieve.synonym_weight > 0)
		bridge_context_read(&c, tok, question);
	for (size_t i = 0; i < q->n; i++)
		for (int a = 0; a < q->terms[i].nalts; a++)
			*strmap_slot(&seen, q->terms[i].alts[a], strlen(q->terms[i].alts[a])) = 1;
	for (size_t i = 0; i < q->n; i++) {
		struct term *t = &q->terms[i];
		if (translations)
			t->nalts += (int)bridge_word(cfg, st, rel, tok, BRIDGE_TRANSLATION, lang, &c,
						     question + t->start, t->end - t->start, &seen,
						     t->alts + t->nalts, TERM_ALTS - (size_t)t->nalts,
						     &t->translated);
		t->synonyms = t->nalts;
		double unused;
		if (synonyms)
			t->nalts += (int)bridge_word(cfg, st, rel, tok, BRIDGE_SYNONYM, lang, &c,
						     question + t->start, t->end - t->start, &seen,
						     t->alts + t->nalts, TERM_ALTS - (size_t)t->nalts,
						     &unused);
	}
	bridge_context_release(&c);
	strmap_release(&seen);
}

static void weigh_terms(struct store *st, const struct release_view *rel, struct question_terms *q)
{
	long long nchunks = rel->chunks;
	double unseen = log((double)(nchunks + 1) / 0.5);
	for (size_t i = 0; i < q->n; i++) {
		struct term *t = &q->terms[i];
		long long best_df = 0;
		for (int a = 0; a < t->own; a++) {
			long long df = term_chunks(st, rel, t->alts[a]);
			if (df > best_df)
				best_df = df;
		}
		/* A word the index never saw weighs most: it is what the question is about. */
		t->idf = best_df ? log((double)(nchunks + 1) / ((double)best_df + 0.5)) : unseen;
		t->seen = best_df > 0;
		if (t->idf < 0.1)
			t->idf = 0.1;
		q->total += t->idf;
	}
}

void question_terms_release(struct question_terms *q)
{
	for (size_t i = 0; i < q->n; i++)
		for (int a = 0; a < q->terms[i].nalts; a++)
			free(q->terms[i].alts[a]);
	free(q->terms);
}

/* The tokens of a piece of text, as the index has them. */
struct token_set {
	char **tokens;
	size_t n, alloc;
};

static int collect_token(void *ctx, const char *tok, size_t len, size_t start, size_t end, int colocated)
{
	struct token_set *ts = ctx;
	ALLOC_GROW(ts->tokens, ts->n + 1, ts->alloc);
	ts->tokens[ts->n++] = xstrndup(tok, len);
	return 0;
}

static void tokens_release(struct token_set *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		free(ts->tokens[i]);
	free(ts->tokens);
	memset(ts, 0, sizeof(*ts));
}

double question_coverage(struct tokenizer *tok, const struct question_terms *q, const char *text,
			 size_t len, enum lang lang, uint64_t *mask)
{
	struct token_set ts = { 0 };
	double covered = 0;
	tokenizer_run(tok, lang, 0, text, len, collect_token, &ts);
	for (size_t i = 0; i < q->n; i++) {
		const struct term *t = &q->terms[i];
		int found = 0, a = 0;
		/*
		 * A page in the other language answers with the word's translations,
		 * weaker proof.  Synonyms are none: as evidence they made samples/golden's
		 * unanswerable questions answered (abstention 1.00 -> 0.83).
		 */
		int alts = lang != LANG_UNKNOWN && lang != q->lang ? t->synonyms : t->own;
		for (; a < alts && !found; a++)
			for (size_t k = 0; k < ts.n && !found; k++)
				found = !strcmp(ts.tokens[k], t->alts[a]);
		if (found) {
			covered += t->idf * (a > t->own ? t->translated : 1);
			if (mask && i < 64)
				*mask |= 1ULL << i;
		}
	}
	tokens_release(&ts);
	return q->total > 0 ? covered / q->total : 0;
}

double question_new_weight(const struct question_terms *q, uint64_t mask, uint64_t covered)
{
	double w = 0;
	for (size_t i = 0; i < q->n && i < 64; i++)
		if ((mask & ~covered) >> i & 1)
			w += q->terms[i].idf;
	return q->total > 0 ? w / q->total : 0;
}

void question_terms_read(struct question_terms *q, struct store *st, const struct config *cfg,
			 const struct release_view *rel, struct tokenizer *tok, const char *question,
			 enum lang lang, int translations, int synonyms)
{
	memset(q, 0, sizeof(*q));
	q->text = question;
	q->lang = lang;
	tokenizer_run(tok, LANG_UNKNOWN, TOKENIZE_QUERY, question, strlen(question), collect_term, q);
	for (size_t i = 0; i < q->n; i++)
		q->terms[i].synonyms = q->terms[i].own;
	if (translations || synonyms)
		add_bridged(st, cfg, rel, tok, lang, question, q, translations, synonyms);
	weigh_terms(st, rel, q);
}

static int has_digit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return 1;
	return 0;
}

/* Bytes that continue a word as written: letters (any non-ASCII byte), digits, ' ’ and -. */
static int in_written_word(const char *q, size_t at)
{
	unsigned char c = (unsigned char)q[at];
	return c >= 0x80 || c == '\'' || c == '-' || (c >= '0' && c <= '9') ||
	       ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/*
 * The first word of the question that neither the documents nor a
 * language know (see text/spell.h): a name the documents never use.  The
 * word is taken whole as written ("Isn't", "prud'homme", not the token
 * "isn"); words with digits (versions, sizes) and short ones are no names.
 * The question's own language must have a dictionary to tell.
 */
char *question_unknown_name(const struct config *cfg, const struct question_terms *q,
			    const char *question)
{
	const char *own = q->lang == LANG_EN ? cfg->answer.dictionary_en : cfg->answer.dictionary_fr;
	const char *other = q->lang == LANG_EN ? cfg->answer.dictionary_fr : cfg->answer.dictionary_en;
	const char *own_probe = q->lang == LANG_EN ? "house" : "maison";
	const char *other_probe = q->lang == LANG_EN ? "maison" : "house";
	size_t qlen = strlen(question);
	for (size_t i = 0; i < q->n; i++) {
		const struct term *t = &q->terms[i];
		size_t start = t->start, end = t->end;
		while (start > 0 && in_written_word(question, start - 1))
			start--;
		while (end < qlen && in_written_word(question, end))
			end++;
		while (end > start && strchr("'-", question[end - 1]))
			end--;
		const char *w = question + start;
		size_t len = end - start;
		if (t->seen || len < 3 || has_digit(w, len))
			continue;
		if (spell_known(own, own_probe, w, len) == 0 &&
		    spell_known(other, other_probe, w, len) != 1)
			return xstrndup(w, len);
	}
	return NULL;
}

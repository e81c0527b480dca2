/*
 * The extractive answerer.  The question's words are weighted by how rare
 * they are in the index (IDF from the FTS5 vocabulary); a source's
 * evidence is the share of that weight its text covers, which is what
 * decides between answering and abstaining (answer.min_evidence,
 * calibrated on the golden questions).  The answer is the few sentences
 * that cover most weight, in document order, each group cited as
 * [title, p. N].
 */
#include "answer/answer.h"
#include "answer/curated_answer.h"
#include "answer/openai_chat.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "learn/learned.h"
#include "pipeline/chunk.h"
#include "retrieval/lexicon.h"
#include "retrieval/retrieve.h"
#include "retrieval/translate.h"
#include "text/spell.h"
#include "text/tokenize.h"

/* Alternatives of a word: its stems in each language, then translations the index holds. */
#define TERM_ALTS 8

/* A word of the question: its alternatives and weight. */
struct term {
	char *alts[TERM_ALTS];
	int nalts, own;    /* the first `own` are the word's stems */
	double translated; /* what it counts for when found by a translation */
	size_t start, end; /* in the question */
	double idf;
	int seen;
};

struct question_terms {
	struct term *terms;
	size_t n, alloc;
	double total;
	size_t last_start;
	enum lang lang; /* the question's */
};

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

/* Each word's translations that the release holds count as the word (see translate.h). */
static void add_translations(struct store *st, const struct config *cfg, const struct release_view *rel,
			     struct tokenizer *tok, enum lang lang, const char *question,
			     struct question_terms *q)
{
	struct strmap seen;
	strmap_init(&seen);
	for (size_t i = 0; i < q->n; i++)
		for (int a = 0; a < q->terms[i].nalts; a++)
			*strmap_slot(&seen, q->terms[i].alts[a], strlen(q->terms[i].alts[a])) = 1;
	for (size_t i = 0; i < q->n; i++) {
		struct term *t = &q->terms[i];
		t->nalts += (int)translate_word(cfg, st, rel, tok, lang, question + t->start,
						t->end - t->start, &seen, t->alts + t->nalts,
						TERM_ALTS - (size_t)t->nalts, &t->translated);
	}
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

static void terms_release(struct question_terms *q)
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

/* Share of the question's weight that `text` covers; *mask gets the terms (first 64). */
static double coverage_mask(struct tokenizer *tok, const struct question_terms *q, const char *text,
			    size_t len, enum lang lang, uint64_t *mask)
{
	struct token_set ts = { 0 };
	double covered = 0;
	tokenizer_run(tok, lang, 0, text, len, collect_token, &ts);
	for (size_t i = 0; i < q->n; i++) {
		int found = 0, a = 0;
		/* A page in the other language answers with the word's translations, weaker proof. */
		int alts = lang != LANG_UNKNOWN && lang != q->lang ? q->terms[i].nalts : q->terms[i].own;
		for (; a < alts && !found; a++)
			for (size_t k = 0; k < ts.n && !found; k++)
				found = !strcmp(ts.tokens[k], q->terms[i].alts[a]);
		if (found) {
			covered += q->terms[i].idf * (a > q->terms[i].own ? q->terms[i].translated : 1);
			if (mask && i < 64)
				*mask |= 1ULL << i;
		}
	}
	tokens_release(&ts);
	return q->total > 0 ? covered / q->total : 0;
}

static double coverage(struct tokenizer *tok, const struct question_terms *q, const char *text,
		       size_t len, enum lang lang)
{
	return coverage_mask(tok, q, text, len, lang, NULL);
}

/* Weight of the terms in `mask` not yet in `covered`, as a share of the question's. */
static double new_weight(const struct question_terms *q, uint64_t mask, uint64_t covered)
{
	double w = 0;
	for (size_t i = 0; i < q->n && i < 64; i++)
		if ((mask & ~covered) >> i & 1)
			w += q->terms[i].idf;
	return q->total > 0 ? w / q->total : 0;
}

struct sentence {
	size_t source;     /* index in the sources */
	size_t start, end; /* in the source's text */
	size_t shown_end;  /* end, or past what it announces ("as follows:") */
	double score;
	uint64_t terms; /* the question's terms it holds */
	int chosen;     /* 0, or its rank among the picks from 1 */
	int absorbed;   /* shown as what an earlier pick announced */
	int row;        /* a table's row: the next one does not carry on with it */
};

/*
 * Take `pick` into the answer: what it announces comes along unless a
 * sentence in it was already taken, and the sentences in it are not
 * taken again.
 */
static size_t take(struct sentence *sn, size_t n, struct sentence *pick, int rank,
		   const struct search_hit *hits)
{
	struct sentence *end = sn + n;
	size_t spent = 1;
	for (struct sentence *s = pick + 1;
	     s < end && s->source == pick->source && s->start < pick->shown_end; s++)
		if (s->chosen)
			pick->shown_end = pick->end;
	for (struct sentence *s = pick + 1;
	     s < end && s->source == pick->source && s->start < pick->shown_end; s++) {
		s->absorbed = 1;
		spent++;
	}
	pick->chosen = rank;
	/* Overlapping chunks share sentences: the same words are not said twice. */
	const char *text = hits[pick->source].text;
	size_t len = pick->end - pick->start;
	for (struct sentence *s = sn; s < end; s++) {
		const char *other = hits[s->source].text;
		if (s != pick && !s->chosen && s->end - s->start == len &&
		    !memcmp(other + s->start, text + pick->start, len))
			s->absorbed = 1;
	}
	return spent;
}

/* Longest block a sentence brings along: a command or two, a short list. */
#define ANNOUNCED_MAX 320

/*
 * A shell prompt opens the block: a command line, whatever the sentence
 * before says.  A line alone ("$", its space cleaned away) prompts the
 * next; a line ending like a sentence is prose that happens to start so.
 */
static int starts_with_prompt(const char *s)
{
	if ((s[0] != '$' && s[0] != '#' && s[0] != '%') || (s[1] != ' ' && s[1] != '\n'))
		return 0;
	const char *nl = strchr(s, '\n');
	size_t len = nl ? (size_t)(nl - s) : strlen(s);
	return len < 200 && !strchr(".!?", s[len ? len - 1 : 0]);
}

/*
 * Where a sentence's text ends as shown.  A sentence announcing what
 * follows ("vous pouvez arrêter le système depuis la ligne de commandes :")
 * is nothing without it, nor is the last sentence of a paragraph followed
 * by a command line ("$ dmesg -n3"); and what follows is no sentence of
 * its own.  The block after it comes along, its whole lines up to
 * ANNOUNCED_MAX bytes.
 */
static size_t announced_end(const char *text, size_t start, size_t end)
{
	size_t e = end, from = end;
	while (e > start && strchr(" \t\n»\"", text[e - 1]))
		e--;
	while (text[from] == ' ')
		from++;
	int last_of_paragraph = text[from] == '\n' && text[from + 1] == '\n';
	while (text[from] == '\n' || text[from] == ' ')
		from++;
	int announces = e > start && text[e - 1] == ':';
	if (!announces && !(last_of_paragraph && starts_with_prompt(text + from)))
		return end;
	/* Its lines, and the command lines of the blocks right after it (one <pre> line each). */
	size_t len = strlen(text), to = from, at = from;
	/* A block that is a prompt alone ("$") goes on with the block after it, whatever it is. */
	for (int go_on = 1; at < len && (go_on || starts_with_prompt(text + at));) {
		go_on = strchr("$#%", text[at]) && (at + 1 == len || text[at + 1] == '\n');
		const char *brk = strstr(text + at, "\n\n");
		size_t block_end = brk ? (size_t)(brk - text) : len, line = at;
		while (line < block_end) {
			const char *nl = memchr(text + line, '\n', block_end - line);
			size_t line_end = nl ? (size_t)(nl - text) : block_end;
			if (line_end - from > ANNOUNCED_MAX)
				return to > from ? to : end;
			to = line_end;
			line = line_end + 1;
		}
		at = block_end;
		while (at < len && text[at] == '\n')
			at++;
	}
	return to > from ? to : end;
}

static int is_heading_line(const char *s, size_t len)
{
	return len < 90 && len > 0 && !strchr(".!?:;…", s[len - 1]);
}

/* Split each source into sentences, skipping heading lines, and score them. */
/* Where sentences are collected, and what they are scored against. */
struct sentence_list {
	struct sentence *items;
	size_t n, alloc;
	struct tokenizer *tok;
	const struct question_terms *q;
	size_t ends[256]; /* sentence_split's scratch */
};

static void add_unit(struct sentence_list *sl, const char *text, size_t start, size_t end, size_t source,
		     enum lang lang, int row)
{
	while (start < end && text[start] == ' ')
		start++;
	if (end <= start + 15)
		return;
	ALLOC_GROW(sl->items, sl->n + 1, sl->alloc);
	struct sentence *sn = &sl->items[sl->n++];
	memset(sn, 0, sizeof(*sn));
	sn->source = source;
	sn->start = start;
	sn->end = end;
	sn->shown_end = announced_end(text, start, end);
	sn->row = row;
	/* Earlier sources are likelier: a small bonus breaks ties. */
	sn->score = coverage_mask(sl->tok, sl->q, text + start, end - start, lang, &sn->terms) +
		    0.05 / (double)(source + 1);
}

static void add_sentences(struct sentence_list *sl, const char *text, size_t start, size_t end,
			  size_t source, enum lang lang)
{
	if (is_heading_line(text + start, end - start))
		return;
	size_t ne = sentence_split(text + start, end - start, sl->ends,
				   sizeof(sl->ends) / sizeof(sl->ends[0]));
	for (size_t e = 0, s = 0; e < ne; s = sl->ends[e++])
		add_unit(sl, text, start + s, start + sl->ends[e], source, lang, 0);
}

static int is_table_row(const char *s, size_t len)
{
	for (size_t i = 0; i + 3 <= len; i++)
		if (!memcmp(s + i, " | ", 3))
			return 1;
	return 0;
}

/*
 * Split each source into sentences, skipping heading lines, and score
 * them.  A table's rows ("fromdos(1) | CR-LF → LF") are sentences of their
 * own: the answer is often one row, and a table has no full stops.
 */
static void score_sentences(struct tokenizer *tok, const struct question_terms *q,
			    struct search_hit *hits, size_t nhits, struct sentence **out, size_t *n)
{
	struct sentence_list *sl = xcalloc(1, sizeof(*sl));
	sl->tok = tok;
	sl->q = q;
	for (size_t h = 0; h < nhits && h < 3; h++) {
		const char *text = hits[h].text ? hits[h].text : "";
		enum lang lang = lang_from_code(hits[h].language);
		size_t len = strlen(text);
		for (size_t p = 0; p < len;) {
			const char *brk = strstr(text + p, "\n\n");
			size_t pend = brk ? (size_t)(brk - text) : len;
			if (!is_table_row(text + p, pend - p)) {
				add_sentences(sl, text, p, pend, h, lang);
			} else {
				for (size_t l = p; l < pend;) {
					const char *nl = memchr(text + l, '\n', pend - l);
					size_t lend = nl ? (size_t)(nl - text) : pend;
					if (is_table_row(text + l, lend - l))
						add_unit(sl, text, l, lend, h, lang, 1);
					else
						add_sentences(sl, text, l, lend, h, lang);
					l = lend + 1;
				}
			}
			p = brk ? pend + 2 : len;
		}
	}
	*out = sl->items;
	*n = sl->n;
	free(sl);
}

static int holds_page(const char *s, size_t len)
{
	for (size_t i = 0; i + 5 <= len; i++)
		if (!memcmp(s + i, ", p. ", 5))
			return 1;
	return 0;
}

/*
 * Text from a document, quoted: a bracket that would read as one of our
 * citations ("[Manuel officiel, p. 3]") is made round; others ("[ ]" of a
 * check-list, "[sic]") stay.
 */
static void add_quoted(struct strbuf *sb, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t j = i + 1;
		while (s[i] == '[' && j < len && s[j] != ']' && s[j] != '[')
			j++;
		if (s[i] == '[' && j < len && s[j] == ']' && holds_page(s + i, j - i)) {
			strbuf_addch(sb, '(');
			strbuf_add(sb, s + i + 1, j - i - 1);
			strbuf_addch(sb, ')');
			i = j;
		} else {
			strbuf_addch(sb, s[i]);
		}
	}
}

void answer_cite_label(struct strbuf *sb, const struct search_hit *h)
{
	const char *label = h->title && *h->title ? h->title : h->doc_path ? h->doc_path : "?";
	for (const char *p = label; *p; p++)
		strbuf_addch(sb, *p == '['                                ? '('
				 : *p == ']'                              ? ')'
				 : *p == '\n' || *p == '\r' || *p == '\t' ? ' '
									  : *p);
}

static char *citation(const struct search_hit *h)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, " [");
	answer_cite_label(&sb, h);
	strbuf_addf(&sb, ", p. %d", h->page_start);
	if (h->page_end != h->page_start)
		strbuf_addf(&sb, "-%d", h->page_end);
	strbuf_addch(&sb, ']');
	return strbuf_detach(&sb, NULL);
}

/* Whether two hits are cited alike: the same document and pages. */
static int same_pages(const struct search_hit *a, const struct search_hit *b)
{
	return a->doc_path && b->doc_path && !strcmp(a->doc_path, b->doc_path) &&
	       a->page_start == b->page_start && a->page_end == b->page_end;
}

/* Append a chosen sentence to the answer, its citation after the run of sentences it ends. */
static void add_sentence(struct strbuf *sb, char **pending, const struct search_hit *hits,
			 const struct sentence *s, const struct config *cfg)
{
	char *cite = citation(&hits[s->source]);
	/* Consecutive sentences from the same pages share one citation. */
	if (*pending && strcmp(*pending, cite))
		strbuf_addstr(sb, *pending);
	free(*pending);
	*pending = cite;
	if (sb->len)
		strbuf_addch(sb, ' ');
	const char *text = hits[s->source].text;
	/* A sentence over the budget alone is cut on a character boundary. */
	size_t len = s->shown_end - s->start;
	size_t keep = len > cfg->answer.max_chars ? utf8_clip(text + s->start, cfg->answer.max_chars)
						  : len;
	size_t from = sb->len;
	add_quoted(sb, text + s->start, keep);
	if (keep < len) {
		/* A bracket the cut left open would run into the citation after it. */
		char *open = NULL;
		for (char *p = sb->buf + from; p < sb->buf + sb->len; p++)
			open = *p == '[' ? p : *p == ']' ? NULL : open;
		if (open)
			*open = '(';
		strbuf_addstr(sb, "…");
	}
}

/*
 * The best sentences, the source of the best one first, citations merged.  Each
 * pick is the sentence that adds most of the question not yet answered
 * (a greedy cover: "flou de bougé" then "éviter"), and the sentence right
 * after a pick, which usually carries on with it.
 */
static char *compose(const struct question_terms *q, struct search_hit *hits, struct sentence *sn,
		     size_t n, const struct config *cfg)
{
	size_t chosen = 0, chars = 0;
	uint64_t covered = 0;
	double best = 0;
	for (size_t i = 0; i < n; i++)
		best = sn[i].score > best ? sn[i].score : best;
	size_t spent = 0; /* sentences shown, those brought along included */
	while (spent < cfg->answer.max_sentences) {
		struct sentence *pick = NULL;
		double pick_gain = 0;
		for (size_t i = 0; i < n; i++) {
			if (sn[i].chosen || sn[i].absorbed || sn[i].score < best * 0.5)
				continue;
			/* New ground first, then the sentence's whole worth to break ties. */
			double gain = new_weight(q, sn[i].terms, covered) + 0.1 * sn[i].score;
			if (!pick || gain > pick_gain) {
				pick = &sn[i];
				pick_gain = gain;
			}
		}
		if (!pick)
			break;
		size_t len = pick->shown_end - pick->start;
		if (chosen && chars + len > cfg->answer.max_chars)
			break;
		spent += take(sn, n, pick, (int)++chosen, hits);
		covered |= pick->terms;
		chars += pick->shown_end - pick->start;
		struct sentence *next = pick + 1;
		if (!pick->row && next < sn + n && next->source == pick->source &&
		    next->start <= pick->end + 2 && !next->chosen && !next->absorbed &&
		    spent < cfg->answer.max_sentences &&
		    chars + (next->shown_end - next->start) <= cfg->answer.max_chars) {
			spent += take(sn, n, next, (int)++chosen, hits);
			covered |= next->terms;
			chars += next->shown_end - next->start;
		}
	}
	/*
	 * The source of the first pick leads (the sentence that answers comes
	 * first), then the others in the order they were picked, each cited
	 * once: chunks of the same pages of a document are one source.
	 * Within a source, sentences keep the text's order.
	 */
	size_t nsources = n ? sn[n - 1].source + 1 : 0;
	size_t *same = xcalloc(nsources + 1, sizeof(size_t));
	int *first_pick = xcalloc(nsources + 1, sizeof(int));
	for (size_t s = 0; s < nsources; s++) {
		same[s] = s;
		for (size_t o = 0; o < s && same[s] == s; o++)
			if (same_pages(&hits[o], &hits[s]))
				same[s] = o;
	}
	for (size_t i = 0; i < n; i++) {
		size_t g = same[sn[i].source];
		if (sn[i].chosen && (!first_pick[g] || sn[i].chosen < first_pick[g]))
			first_pick[g] = sn[i].chosen;
	}
	struct strbuf sb = STRBUF_INIT;
	char *pending = NULL; /* the citation of the sentences written since the last one */
	for (int rank = 1; rank <= (int)chosen; rank++)
		for (size_t i = 0; i < n; i++)
			if (sn[i].chosen && first_pick[same[sn[i].source]] == rank)
				add_sentence(&sb, &pending, hits, &sn[i], cfg);
	free(first_pick);
	free(same);
	if (pending)
		strbuf_addstr(&sb, pending);
	free(pending);
	/* Text carries the paragraph breaks of the page: one line reads better. */
	size_t kept = 0;
	for (size_t i = 0; i < sb.len; i++) {
		char ch = sb.buf[i] == '\n' ? ' ' : sb.buf[i];
		if (ch == ' ' && kept && sb.buf[kept - 1] == ' ' && sb.buf[i] == '\n')
			continue;
		sb.buf[kept++] = ch;
	}
	strbuf_setlen(&sb, kept);
	return strbuf_detach(&sb, NULL);
}

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
	int yes = coverage(tok, q, bare.buf, bare.len, lang) > 0;
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
static char *unknown_name(const struct config *cfg, const struct question_terms *q, const char *question)
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
	translate_preload(cfg);
	spell_preload(cfg->answer.dictionary_fr, "maison");
	spell_preload(cfg->answer.dictionary_en, "house");
}

enum ask_result answer_question(struct store *st, const struct config *cfg, const char *question,
				const struct ask_options *opts, struct answer *out, struct strbuf *err)
{
	double t0 = time_mono();
	struct question_terms q = { 0 };
	struct search_hit *hits = NULL;
	size_t nhits = 0;
	struct sentence *sn = NULL;
	size_t nsn = 0;
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
	tokenizer_run(tok, LANG_UNKNOWN, TOKENIZE_QUERY, question, strlen(question), collect_term, &q);
	q.lang = lang;
	if (!(without & ANSWER_WITHOUT_TRANSLATION))
		add_translations(st, cfg, rel, tok, lang, question, &q);
	weigh_terms(st, rel, &q);
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
		s->evidence = coverage_mask(tok, &q, whole.buf, whole.len, lang_from_code(h->language),
					    &mask);
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
		out->terms[out->nterms++] = (struct answer_term){ xstrdup(q.terms[i].alts[0]),
								  q.terms[i].idf, q.terms[i].seen,
								  i < 64 && (best_mask >> i & 1) };
	/* Enough of the question's words, or close enough in meaning (as the release learned). */
	const struct learned *ln = rel->learned && rel->learned->has_thresholds &&
						   !(without & ANSWER_WITHOUT_CALIBRATION)
					   ? rel->learned
					   : NULL;
	double min_similarity = without & ANSWER_WITHOUT_SIMILARITY ? 2 /* never */
				: ln                                ? ln->min_similarity
								    : cfg->answer.min_similarity;
	if (!(without & (ANSWER_WITHOUT_NAMES | ANSWER_WITHOUT_ABSTENTION)))
		out->unknown_name = unknown_name(cfg, &q, question);
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
		score_sentences(tok, &q, hits, nhits, &sn, &nsn);
		out->text = nsn ? compose(&q, hits, sn, nsn, cfg) : abstention(lang, NULL);
		out->abstained = !nsn;
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
	free(sn);
	terms_release(&q);
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
	for (size_t i = 0; i < a->nterms; i++)
		free(a->terms[i].word);
	free(a->terms);
	free(a->question);
	free(a->text);
	free(a->unknown_name);
	memset(a, 0, sizeof(*a));
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
	for (size_t i = 0; i < a->nterms; i++)
		json_array_append_new(terms,
				      json_pack("{s:s, s:f, s:b, s:b}", "word", a->terms[i].word,
						"weight", a->terms[i].idf, "indexed", a->terms[i].seen,
						"in_best_source", a->terms[i].covered));
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

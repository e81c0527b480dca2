/*
 * Composing the extractive answer; see compose.h.
 */
#include "answer/compose.h"
#include "answer/answer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"
#include "core/xalloc.h"
#include "pipeline/chunk.h"

struct sentence {
	size_t source;     /* index in the sources */
	size_t start, end; /* in the source's text */
	size_t body;       /* start, or past the term line leading it: where its own words start */
	size_t shown_end;  /* end, or past what it announces ("as follows:") */
	double score;
	double values;  /* share of VALUES_COUNTED values shown that the question does not hold */
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
	/*
	 * Overlapping chunks share sentences: the same words are not said twice,
	 * with or without the term line one chunk has before them.
	 */
	const char *text = hits[pick->source].text;
	size_t len = pick->end - pick->body;
	for (struct sentence *s = sn; s < end; s++) {
		const char *other = hits[s->source].text;
		if (s != pick && !s->chosen && s->end - s->body == len &&
		    !memcmp(other + s->body, text + pick->body, len))
			s->absorbed = 1;
	}
	return spent;
}

/* Longest block a sentence brings along: a command or two, a short list. */
#define ANNOUNCED_MAX 320
/* A block shorter than this is a list's term, definition or command, not prose. */
#define SHORT_BLOCK 90

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
	size_t from = end;
	while (text[from] == ' ')
		from++;
	int last_of_paragraph = text[from] == '\n' && text[from + 1] == '\n';
	while (text[from] == '\n' || text[from] == ' ')
		from++;
	int announces = announces_what_follows(text + start, end - start);
	if (!announces && !(last_of_paragraph && starts_with_prompt(text + from)))
		return end;
	/* Its lines, and the command lines of the blocks right after it (one <pre> line each). */
	size_t len = strlen(text), to = from, at = from;
	/*
	 * A block that is a prompt alone ("$") goes on with the block after it,
	 * whatever it is; after an announcement, so do short blocks (a list's
	 * terms, definitions and commands, one paragraph each).
	 */
	for (int go_on = 1; at < len && (go_on || starts_with_prompt(text + at));) {
		const char *brk = strstr(text + at, "\n\n");
		size_t block_end = brk ? (size_t)(brk - text) : len, line = at;
		int short_block = block_end - at < SHORT_BLOCK;
		go_on = strchr("$#%", text[at]) && (at + 1 == len || text[at + 1] == '\n');
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
		/* A list of short blocks goes on while the next one is short too, and no prose. */
		if (announces && short_block && at < len) {
			const char *nb = strstr(text + at, "\n\n");
			size_t next_len = nb ? (size_t)(nb - text) - at : len - at, ends[2];
			go_on |= next_len < SHORT_BLOCK &&
				 sentence_split(text + at, next_len, ends, 2) == 1;
		}
	}
	return to > from ? to : end;
}

static int is_heading_line(const char *s, size_t len)
{
	return len < 90 && len > 0 && !strchr(".!?:;…", s[len - 1]);
}

#define NO_LEAD ((size_t)-1)

/* Split each source into sentences, skipping heading lines, and score them. */
/* Where sentences are collected, and what they are scored against. */
struct sentence_list {
	struct sentence *items;
	size_t n, alloc;
	struct tokenizer *tok;
	const struct question_terms *q;
	size_t ends[256]; /* sentence_split's scratch */
};

/* Values a sentence gets credit for, at most. */
#define VALUES_COUNTED 3
/*
 * What the values a sentence states weigh when the answer picks its
 * sentences, beside the share of the question's weight it covers: a
 * sentence giving the command or the figure asked for leads, rather than
 * one that restates the question.  Only in the first source: a later
 * source's dates and ticket numbers would push the first one's answer out.
 * On the tuning halves of samples/debian-fr and samples/golden, answers
 * holding an expected phrase went from 71 of 154 without it to 75.
 */
#define VALUE_GAIN 0.6

/*
 * Whether text[start, end) (a whitespace-free token, its quotes and
 * punctuation trimmed) is written as a value is: a command, an option, a
 * path, a number, a manual page ("-rX", "/etc/mailname", "2>&1",
 * "fromdos(1)", "1/320"), rather than a word.
 */
static int is_value(const char *s, size_t len)
{
	if (len < 2)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if ((c >= '0' && c <= '9') || strchr("_/=~<>&$|@", c))
			return 1;
		/* "-rX", "--dry-run" are options; "peut-être", "c'est-à-dire" words */
		if (c == '-' && i == 0)
			return 1;
		if ((c == '.' || c == ':') && i > 0 && i + 1 < len)
			return 1;
	}
	return 0;
}

/* Whether `s` (len bytes) occurs in `text`, ASCII case folded. */
static int occurs_in(const char *text, const char *s, size_t len)
{
	for (const char *p = text; *p; p++)
		if (!strncasecmp(p, s, len))
			return 1;
	return 0;
}

/*
 * The values text[start, end) states that the question does not: what an
 * answer gives that the question did not already say.  Up to VALUES_COUNTED,
 * as a share of it.
 */
static double new_values(const char *text, size_t start, size_t end, const char *question)
{
	static const char trim[] = " \t\n«»\"'’,;.:!?()[]{}*";
	size_t found = 0;
	for (size_t i = start; i < end && found < VALUES_COUNTED;) {
		while (i < end && strchr(" \t\n", text[i]))
			i++;
		size_t a = i;
		while (i < end && !strchr(" \t\n", text[i]))
			i++;
		size_t b = i;
		while (a < b && strchr(trim, text[a]))
			a++;
		/* "fromdos(1)" keeps its section, "(-U)" and "toto." lose their brackets and stop */
		while (b > a && strchr(trim, text[b - 1]) &&
		       !(text[b - 1] == ')' && b - a > 3 && text[b - 3] == '(' && text[b - 2] >= '0' &&
			 text[b - 2] <= '9'))
			b--;
		if (is_value(text + a, b - a) && !(question && occurs_in(question, text + a, b - a)))
			found++;
	}
	return (double)found / VALUES_COUNTED;
}

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
	sn->body = start;
	sn->end = end;
	sn->shown_end = announced_end(text, start, end);
	sn->row = row;
	/* Earlier sources are likelier: a small bonus breaks ties. */
	sn->score = question_coverage(sl->tok, sl->q, text + start, end - start, lang, &sn->terms) +
		    0.05 / (double)(source + 1);
	sn->values = new_values(text, start, sn->shown_end, sl->q->text);
}

/*
 * The sentences of text[start, end); the first one starts at `lead` instead
 * when the paragraph is the description of the term line there (NO_LEAD:
 * none).
 */
static void add_sentences(struct sentence_list *sl, const char *text, size_t start, size_t end,
			  size_t source, enum lang lang, size_t lead)
{
	if (is_heading_line(text + start, end - start))
		return;
	size_t ne = sentence_split(text + start, end - start, sl->ends,
				   sizeof(sl->ends) / sizeof(sl->ends[0]));
	for (size_t e = 0, s = 0; e < ne; s = sl->ends[e++]) {
		size_t had = sl->n;
		add_unit(sl, text, e == 0 && lead != NO_LEAD ? lead : start + s, start + sl->ends[e],
			 source, lang, 0);
		if (e == 0 && lead != NO_LEAD && sl->n > had)
			sl->items[had].body = start + s;
	}
}

/*
 * A line that names a term a table describes in the paragraph after it, as
 * an HTML table of two columns reads once its cells are paragraphs
 * ("commande > toto 2>&1", then "rediriger à la fois la sortie standard
 * ..."): short, no sentence, and written as commands, packages and paths
 * are, not as a heading or a caption is (those start with a capital or a
 * section number).
 */
static int is_term_line(const char *s, size_t len)
{
	if (!is_heading_line(s, len) || memchr(s, '\n', len))
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || strchr("/~.-$<", s[0])))
		return 0;
	/* A command, an option, a path in it: not a list item or a line of prose ("vérifier l'espace libre"). */
	return new_values(s, 0, len, NULL) > 0;
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
		size_t len = strlen(text), lead = NO_LEAD;
		for (size_t p = 0; p < len;) {
			const char *brk = strstr(text + p, "\n\n");
			size_t pend = brk ? (size_t)(brk - text) : len;
			size_t term = is_term_line(text + p, pend - p) ? p : NO_LEAD;
			if (!is_table_row(text + p, pend - p)) {
				add_sentences(sl, text, p, pend, h, lang, lead);
			} else {
				for (size_t l = p; l < pend;) {
					const char *nl = memchr(text + l, '\n', pend - l);
					size_t lend = nl ? (size_t)(nl - text) : pend;
					if (is_table_row(text + l, lend - l))
						add_unit(sl, text, l, lend, h, lang, 1);
					else
						add_sentences(sl, text, l, lend, h, lang, NO_LEAD);
					l = lend + 1;
				}
			}
			lead = term;
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
			double gain = question_new_weight(q, sn[i].terms, covered) +
				      (sn[i].source == 0 ? VALUE_GAIN * sn[i].values : 0) +
				      0.1 * sn[i].score;
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

char *compose_answer(struct tokenizer *tok, const struct question_terms *q, struct search_hit *hits,
		     size_t nhits, const struct config *cfg)
{
	struct sentence *sn;
	size_t n;
	score_sentences(tok, q, hits, nhits, &sn, &n);
	char *text = n ? compose(q, hits, sn, n, cfg) : NULL;
	free(sn);
	return text;
}

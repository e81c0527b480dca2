/*
 * Vocabulary learned from feedback; see vocabulary.h.
 */
#include "learn/vocabulary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/strmap.h"
#include "core/xalloc.h"
#include "learn/question.h"
#include "text/tokenize.h"

/* Targets kept per passage, per bridged word; the share of a word's questions a pair needs. */
#define PASSAGE_TARGETS 5
#define WORD_TARGETS    3
#define MIN_CONFIDENCE  0.5
/* Only words in at most this share of the chunks are bridged (users' words, rare terms). */
#define GAP_MAX_DF 0.01

struct target {
	char *word;
	double strength; /* share of the word's questions that wanted it */
};

struct entry {
	char *stem;
	struct target targets[WORD_TARGETS];
	size_t n;
};

struct vocabulary {
	struct entry *entries;
	size_t n, alloc;
	struct strmap index; /* stem -> entry */
	double weight;
};

struct passage_word {
	char *stem, *surface;
	double score;
};

struct passage_words {
	struct passage_word *w;
	size_t n, alloc;
	struct strmap at; /* stem -> index + 1 */
	const char *text;
};

static int add_passage_word(void *ctx, const char *tok, size_t len, size_t start, size_t end,
			    int colocated)
{
	struct passage_words *p = ctx;
	if (colocated)
		return 0;
	long *slot = strmap_slot(&p->at, tok, len);
	if (!*slot) {
		ALLOC_GROW(p->w, p->n + 1, p->alloc);
		p->w[p->n] = (struct passage_word){ xstrndup(tok, len),
						    xstrndup(p->text + start, end - start), 0 };
		*slot = (long)++p->n;
	}
	p->w[*slot - 1].score += 1;
	return 0;
}

/*
 * A word a user could mean: letters only, not a code or a key
 * ("agUDsm1DehJMS"); an acronym ("APT") is fine, a mixed-case run is not.
 */
static int plain_word(const char *w)
{
	size_t len = strlen(w);
	if (len < 3)
		return 0;
	int lower_seen = 0;
	for (const unsigned char *c = (const unsigned char *)w; *c; c++) {
		if (*c >= '0' && *c <= '9')
			return 0;
		if (*c >= 'a' && *c <= 'z')
			lower_seen = 1;
		else if (*c >= 'A' && *c <= 'Z' && lower_seen)
			return 0;
	}
	return 1;
}

static int by_score(const void *a, const void *b)
{
	double x = ((const struct passage_word *)a)->score, y = ((const struct passage_word *)b)->score;
	return x < y   ? 1
	       : x > y ? -1
		       : strcmp(((const struct passage_word *)a)->stem,
				((const struct passage_word *)b)->stem);
}

/* Counting pairs: "stem\x1ftarget" -> count, and each target's surface word. */
struct counts {
	struct strmap questions; /* stem -> questions holding it */
	struct strmap pairs;     /* key -> index into pair arrays */
	char **pair_stem, **pair_surface;
	char **pair_word_stem;
	double *pair_count;
	size_t npairs, alloc;
};

static void count_pair(struct counts *c, const char *gap, const char *target, const char *surface)
{
	struct strbuf key = STRBUF_INIT;
	strbuf_addf(&key, "%s\x1f%s", gap, target);
	long *slot = strmap_slot(&c->pairs, key.buf, key.len);
	if (!*slot) {
		size_t a = c->alloc;
		ALLOC_GROW(c->pair_stem, c->npairs + 1, a);
		a = c->alloc;
		ALLOC_GROW(c->pair_surface, c->npairs + 1, a);
		a = c->alloc;
		ALLOC_GROW(c->pair_word_stem, c->npairs + 1, a);
		ALLOC_GROW(c->pair_count, c->npairs + 1, c->alloc);
		c->pair_stem[c->npairs] = xstrdup(gap);
		c->pair_word_stem[c->npairs] = xstrdup(target);
		c->pair_surface[c->npairs] = xstrdup(surface);
		c->pair_count[c->npairs] = 0;
		*slot = (long)++c->npairs;
	}
	c->pair_count[*slot - 1] += 1;
	strbuf_release(&key);
}

static struct entry *entry_for(struct vocabulary *v, const char *stem)
{
	long *slot = strmap_slot(&v->index, stem, strlen(stem));
	if (!*slot) {
		ALLOC_GROW(v->entries, v->n + 1, v->alloc);
		v->entries[v->n] = (struct entry){ .stem = xstrdup(stem) };
		*slot = (long)++v->n;
	}
	return &v->entries[*slot - 1];
}

/* Keep the strongest targets of an entry, strongest first. */
static void offer(struct entry *e, const char *word, double strength)
{
	size_t at;
	if (e->n < WORD_TARGETS) {
		at = e->n++;
	} else if (e->targets[WORD_TARGETS - 1].strength < strength) {
		at = WORD_TARGETS - 1;
		free(e->targets[at].word);
	} else {
		return;
	}
	e->targets[at] = (struct target){ xstrdup(word), strength };
	for (; at > 0 && e->targets[at].strength > e->targets[at - 1].strength; at--) {
		struct target t = e->targets[at];
		e->targets[at] = e->targets[at - 1];
		e->targets[at - 1] = t;
	}
}

struct vocabulary *vocabulary_learn(const struct vocab_pair *pairs, size_t n,
				    long long (*df)(void *ctx, const char *token), void *df_ctx,
				    long long chunks, double weight)
{
	struct vocabulary *v = xcalloc(1, sizeof(*v));
	strmap_init(&v->index);
	v->weight = weight;
	struct counts c = { 0 };
	strmap_init(&c.questions);
	strmap_init(&c.pairs);
	struct tokenizer *tok = tokenizer_new();
	for (size_t i = 0; i < n; i++) {
		struct strmap q;
		strmap_init(&q);
		question_stems(tok, pairs[i].question, &q);
		struct passage_words p = { .text = pairs[i].passage };
		strmap_init(&p.at);
		tokenizer_run(tok, LANG_FR, 0, p.text, strlen(p.text), add_passage_word, &p);
		/*
		 * The passage's distinctive words the question lacks, by tf-idf;
		 * with a corrected answer, only those the user's answer uses
		 * too (the passage's words about the answer, not its others).
		 */
		struct strmap answer;
		strmap_init(&answer);
		size_t nanswer = pairs[i].answer ? question_stems(tok, pairs[i].answer, &answer) : 0;
		for (size_t w = 0; w < p.n; w++) {
			long long d = df ? df(df_ctx, p.w[w].stem) : 1;
			p.w[w].score *= log((double)(chunks + 1) / (double)(d + 1)) + 1e-3;
			if (strmap_get(&q, p.w[w].stem, strlen(p.w[w].stem)) ||
			    !plain_word(p.w[w].surface) ||
			    (nanswer && !strmap_get(&answer, p.w[w].stem, strlen(p.w[w].stem))))
				p.w[w].score = -1;
		}
		strmap_release(&answer);
		qsort(p.w, p.n, sizeof(*p.w), by_score);
		for (size_t k = 0; k < q.cap; k++) {
			const char *stem = q.keys[k];
			if (!stem)
				continue;
			*strmap_slot(&c.questions, stem, strlen(stem)) += 1;
			if (strmap_get(&p.at, stem, strlen(stem)))
				continue; /* not a gap: the passage has the word */
			/* A word the corpus uses often already finds its pages: bridging it misleads. */
			if (df && (double)df(df_ctx, stem) > GAP_MAX_DF * (double)chunks)
				continue;
			for (size_t t = 0; t < p.n && t < PASSAGE_TARGETS && p.w[t].score > 0; t++)
				count_pair(&c, stem, p.w[t].stem, p.w[t].surface);
		}
		for (size_t w = 0; w < p.n; w++) {
			free(p.w[w].stem);
			free(p.w[w].surface);
		}
		free(p.w);
		strmap_release(&p.at);
		strmap_release(&q);
	}
	for (size_t i = 0; i < c.npairs; i++) {
		const long *asked = strmap_get(&c.questions, c.pair_stem[i], strlen(c.pair_stem[i]));
		double confidence = c.pair_count[i] / (double)(asked ? *asked : 1);
		if (confidence >= MIN_CONFIDENCE)
			offer(entry_for(v, c.pair_stem[i]), c.pair_surface[i], confidence);
		free(c.pair_stem[i]);
		free(c.pair_surface[i]);
		free(c.pair_word_stem[i]);
	}
	free(c.pair_stem);
	free(c.pair_surface);
	free(c.pair_word_stem);
	free(c.pair_count);
	strmap_release(&c.questions);
	strmap_release(&c.pairs);
	tokenizer_free(tok);
	return v;
}

void vocabulary_free(struct vocabulary *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		for (size_t t = 0; t < v->entries[i].n; t++)
			free(v->entries[i].targets[t].word);
		free(v->entries[i].stem);
	}
	free(v->entries);
	strmap_release(&v->index);
	free(v);
}

size_t vocabulary_size(const struct vocabulary *v)
{
	return v ? v->n : 0;
}

void vocabulary_set_weight(struct vocabulary *v, double weight)
{
	v->weight = weight;
}

size_t vocabulary_expand(const struct vocabulary *v, struct tokenizer *tok, const char *query,
			 struct expansion *out, size_t max)
{
	size_t got = 0, pos = 0, start, end, len = strlen(query);
	if (!v || !v->n)
		return 0;
	struct strmap asked;
	strmap_init(&asked);
	question_stems(tok, query, &asked);
	struct strbuf folded = STRBUF_INIT, stem = STRBUF_INIT;
	while (got < max && query_next_word(query, len, &pos, &start, &end, &folded) == 0) {
		if (word_stem(tok, query + start, end - start, &stem))
			continue;
		const long *at = strmap_get(&v->index, stem.buf, stem.len);
		if (!at)
			continue;
		const struct entry *e = &v->entries[*at - 1];
		for (size_t t = 0; t < e->n && got < max; t++) {
			struct strbuf ts = STRBUF_INIT;
			int known = !word_stem(tok, e->targets[t].word, strlen(e->targets[t].word),
					       &ts) &&
				    strmap_get(&asked, ts.buf, ts.len);
			strbuf_release(&ts);
			if (known)
				continue;
			*strmap_slot(&asked, e->targets[t].word, strlen(e->targets[t].word)) = 1;
			out[got++] = (struct expansion){ e->targets[t].word,
							 v->weight * e->targets[t].strength };
		}
	}
	strbuf_release(&folded);
	strbuf_release(&stem);
	strmap_release(&asked);
	return got;
}

json_t *vocabulary_to_json(const struct vocabulary *v)
{
	json_t *words = json_object();
	for (size_t i = 0; i < v->n; i++) {
		json_t *arr = json_array();
		for (size_t t = 0; t < v->entries[i].n; t++)
			json_array_append_new(arr, json_pack("[s, f]", v->entries[i].targets[t].word,
							     v->entries[i].targets[t].strength));
		json_object_set_new(words, v->entries[i].stem, arr);
	}
	return json_pack("{s:f, s:o}", "weight", v->weight, "words", words);
}

struct vocabulary *vocabulary_from_json(json_t *j, struct strbuf *err)
{
	json_t *words = json_object_get(j, "words");
	if (!json_is_object(words) || !json_is_number(json_object_get(j, "weight"))) {
		strbuf_addstr(err, "a vocabulary needs 'weight' (a number) and 'words' (an object)");
		return NULL;
	}
	struct vocabulary *v = xcalloc(1, sizeof(*v));
	strmap_init(&v->index);
	v->weight = json_number_value(json_object_get(j, "weight"));
	const char *stem;
	json_t *arr;
	json_object_foreach(words, stem, arr)
	{
		size_t i;
		json_t *t;
		struct entry *e = entry_for(v, stem);
		json_array_foreach(arr, i, t)
		{
			const char *word = json_string_value(json_array_get(t, 0));
			if (word && e->n < WORD_TARGETS)
				e->targets[e->n++] = (struct target){
					xstrdup(word), json_number_value(json_array_get(t, 1))
				};
		}
	}
	return v;
}

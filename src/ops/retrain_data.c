/*
 * Feedback into examples; see retrain_data.h.
 */
#include "ops/retrain_data.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "learn/curated.h"
#include "learn/question.h"
#include "retrieval/retrieve.h"
#include "text/tokenize.h"

/* A correction shorter than this (in characters) is not an answer ("x", "non"). */
#define MIN_CORRECTION_CHARS 10
/* Passages given as context in the chat-format records. */
#define CONTEXT_PASSAGES 5

struct vote {
	char *doc;
	int plus, minus;
};

struct pending {
	char *key;
	struct vote *votes;
	size_t nvotes, alloc;
	double rating_sum;
};

static void vote(struct pending *p, const char *doc, int sign)
{
	size_t i = 0;
	while (i < p->nvotes && strcmp(p->votes[i].doc, doc))
		i++;
	if (i == p->nvotes) {
		ALLOC_GROW(p->votes, p->nvotes + 1, p->alloc);
		p->votes[p->nvotes++] = (struct vote){ xstrdup(doc), 0, 0 };
	}
	if (sign > 0)
		p->votes[i].plus++;
	else
		p->votes[i].minus++;
}

/* Characters (code points) of a UTF-8 string. */
static size_t chars_of(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The paths of a JSON array of paths, or of sources ({"document": ...}). */
static char **paths_of(const char *json, size_t *n)
{
	json_t *arr = json ? json_loads(json, 0, NULL) : NULL;
	size_t i;
	json_t *v;
	char **out = xcalloc(json_array_size(arr) + 1, sizeof(char *));
	*n = 0;
	json_array_foreach(arr, i, v)
	{
		const char *p = json_is_string(v) ? json_string_value(v)
						  : json_string_value(json_object_get(v, "document"));
		if (!p)
			p = json_string_value(json_object_get(v, "doc"));
		if (p && *p)
			out[(*n)++] = xstrdup(p);
	}
	json_decref(arr);
	return out;
}

static void free_paths(char **p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i]);
	free(p);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The question's stems, sorted and joined: the same question whatever its stop words. */
static char *question_key(struct tokenizer *tok, const char *q)
{
	struct strmap stems;
	strmap_init(&stems);
	question_stems(tok, q, &stems);
	char **keys = xcalloc(stems.n + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < stems.cap; i++)
		if (stems.keys[i])
			keys[n++] = stems.keys[i];
	qsort(keys, n, sizeof(char *), by_string);
	struct strbuf key = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&key, "%s%s", i ? " " : "", keys[i]);
	free(keys);
	strmap_release(&stems);
	return strbuf_detach(&key, NULL);
}

/* The example for `key`, made when new. */
static struct retrain_example *example_for(struct retrain_data *d, struct strmap *at,
					   struct pending **pend, size_t *npend, const char *key,
					   const char *question, size_t *index)
{
	long *slot = strmap_slot(at, key, strlen(key));
	if (!*slot) {
		ALLOC_GROW(d->items, d->n + 1, d->alloc);
		memset(&d->items[d->n], 0, sizeof(d->items[d->n]));
		d->items[d->n].question = xstrdup(question);
		*pend = xrealloc(*pend, (d->n + 1) * sizeof(**pend));
		memset(&(*pend)[d->n], 0, sizeof(**pend));
		(*pend)[d->n].key = xstrdup(key);
		*slot = (long)++d->n;
		*npend = d->n;
	} else {
		d->duplicates++;
	}
	*index = (size_t)*slot - 1;
	return &d->items[*index];
}

/* One feedback row's votes and correction, into its example. */
static void take_row(struct retrain_data *d, struct retrain_example *e, struct pending *p,
		     const struct feedback_record *f)
{
	size_t nh = 0, nu = 0, ns = 0;
	char **helpful = paths_of(f->helpful, &nh), **unhelpful = paths_of(f->unhelpful, &nu);
	char **sources = paths_of(f->sources, &ns);
	for (size_t i = 0; i < nh; i++)
		vote(p, helpful[i], +1);
	for (size_t i = 0; i < nu; i++)
		vote(p, unhelpful[i], -1);
	/* Without marks, the rating judges the source the answer leaned on most. */
	if (!nh && !nu && ns && (f->rating >= 4 || f->rating <= 2))
		vote(p, sources[0], f->rating >= 4 ? +1 : -1);
	if (f->corrected && *f->corrected) {
		if (chars_of(f->corrected) < MIN_CORRECTION_CHARS) {
			d->short_corrections++;
		} else {
			free(e->corrected);
			e->corrected = xstrdup(f->corrected);
			free_paths(e->answer_sources, e->nanswer_sources);
			e->answer_sources = sources;
			e->nanswer_sources = ns;
			sources = NULL;
		}
	}
	p->rating_sum += f->rating;
	e->rows++;
	e->feedback_id = f->id;
	e->created_at = f->created_at;
	free_paths(helpful, nh);
	free_paths(unhelpful, nu);
	free_paths(sources, sources ? ns : 0);
}

static void add_path(char ***list, size_t *n, const char *path)
{
	*list = xrealloc(*list, (*n + 2) * sizeof(char *));
	(*list)[(*n)++] = xstrdup(path);
	(*list)[*n] = NULL;
}

/* Votes into right and wrong documents of the release; 0, or -1 when the store failed. */
static int settle(struct store *st, long long release, struct retrain_data *d, struct retrain_example *e,
		  struct pending *p, struct strbuf *err)
{
	/* Most votes first. */
	for (size_t i = 1; i < p->nvotes; i++)
		for (size_t j = i; j > 0 && p->votes[j].plus - p->votes[j].minus >
						    p->votes[j - 1].plus - p->votes[j - 1].minus;
		     j--) {
			struct vote t = p->votes[j];
			p->votes[j] = p->votes[j - 1];
			p->votes[j - 1] = t;
		}
	for (size_t i = 0; i < p->nvotes; i++) {
		const struct vote *v = &p->votes[i];
		if (v->plus && v->plus == v->minus) {
			d->contradictory++;
			continue;
		}
		enum lookup in = store_release_has_document(st, release, v->doc, err);
		if (in == LOOKUP_FAILED)
			return -1;
		if (in == LOOKUP_MISSING) {
			d->missing_docs++;
			continue;
		}
		if (v->plus > v->minus)
			add_path(&e->right, &e->nright, v->doc);
		else
			add_path(&e->wrong, &e->nwrong, v->doc);
	}
	/* A correction is shown with documents still there. */
	size_t kept = 0;
	for (size_t i = 0; i < e->nanswer_sources; i++) {
		enum lookup in = store_release_has_document(st, release, e->answer_sources[i], err);
		if (in == LOOKUP_FAILED)
			return -1;
		if (in == LOOKUP_FOUND)
			e->answer_sources[kept++] = e->answer_sources[i];
		else
			free(e->answer_sources[i]);
	}
	e->nanswer_sources = kept;
	e->mean_rating = e->rows ? p->rating_sum / (double)e->rows : 0;
	return 0;
}

/* Forget what a retrieval found for the example (before retrieving it again). */
static void clear_retrieved(struct retrain_example *e)
{
	free(e->positive_text);
	free(e->negatives);
	free_paths(e->negative_texts, e->nnegatives);
	free_paths(e->context, e->ncontext);
	retrieve_trace_release(&e->trace);
	e->positive_text = NULL;
	e->negatives = NULL;
	e->negative_texts = e->context = NULL;
	e->positive_chunk = 0;
	e->nnegatives = e->ncontext = 0;
	e->rank = 0;
}

static void example_release(struct retrain_example *e)
{
	free(e->question);
	free_paths(e->right, e->nright);
	free_paths(e->wrong, e->nwrong);
	free(e->corrected);
	free_paths(e->answer_sources, e->nanswer_sources);
	clear_retrieved(e);
	memset(e, 0, sizeof(*e));
}

static size_t find_root(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

/* Close questions are one group; a group goes wholly to one split. */
static void split(struct retrain_data *d, double validation_share)
{
	size_t n = d->n;
	size_t *parent = xcalloc(n + 1, sizeof(size_t));
	struct question_sig **sig = xcalloc(n + 1, sizeof(*sig));
	struct tokenizer *tok = tokenizer_new();
	for (size_t i = 0; i < n; i++) {
		parent[i] = i;
		sig[i] = question_sign(NULL, tok, d->items[i].question);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (question_closeness(sig[i], sig[j]) >= RETRAIN_SAME_QUESTION)
				parent[find_root(parent, j)] = find_root(parent, i);
	for (size_t i = 0; i < n; i++)
		question_sig_free(sig[i]);
	free(sig);
	tokenizer_free(tok);
	unsigned *bucket = xcalloc(n + 1, sizeof(unsigned));
	d->groups = d->train = d->validation = 0;
	for (size_t i = 0; i < n; i++) {
		size_t root = find_root(parent, i);
		d->items[i].group = (int)root;
		if (root == i) {
			d->groups++;
			char hex[SHA256_HEX_LEN + 1];
			sha256_hex(d->items[i].question, strlen(d->items[i].question), hex);
			bucket[i] = (unsigned)strtoul((char[9]){ hex[0], hex[1], hex[2], hex[3], hex[4],
								 hex[5], hex[6], hex[7], 0 },
						      NULL, 16) %
				    1000;
		}
	}
	unsigned cut = (unsigned)(validation_share * 1000);
	/* Both splits get a group when there are two: the cut moves to the nearest group. */
	if (d->groups >= 2) {
		unsigned lo = 1000, hi = 0;
		for (size_t i = 0; i < n; i++)
			if (d->items[i].group == (int)i) {
				lo = bucket[i] < lo ? bucket[i] : lo;
				hi = bucket[i] > hi ? bucket[i] : hi;
			}
		if (lo >= cut)
			cut = lo + 1;
		if (hi < cut)
			cut = hi;
	}
	for (size_t i = 0; i < n; i++) {
		struct retrain_example *e = &d->items[i];
		e->validation = bucket[e->group] < cut;
		if (e->validation)
			d->validation++;
		else
			d->train++;
	}
	free(bucket);
	free(parent);
}

/* Whether two lists of documents share one. */
static int overlaps(char *const *a, size_t na, char *const *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		for (size_t k = 0; k < nb; k++)
			if (!strcmp(a[i], b[k]))
				return 1;
	return 0;
}

/*
 * The control: every example gets the right documents of another one
 * drawn at random (a fixed seed: the same feedback, the same control),
 * never its own -- questions asked in a row are often about neighbouring
 * pages, so a rotation would keep half the labels nearly right.
 */
static void shuffle_labels(struct retrain_data *d)
{
	size_t n = d->n;
	if (n < 2)
		return;
	size_t *perm = xcalloc(n, sizeof(size_t));
	unsigned long long state = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		size_t k = (size_t)((state >> 33) % (i + 1));
		size_t t = perm[i];
		perm[i] = perm[k];
		perm[k] = t;
	}
	/* No example keeps documents it had: swap such a one with its neighbour. */
	for (size_t i = 0; i < n; i++) {
		const struct retrain_example *e = &d->items[i], *f = &d->items[perm[i]];
		if (overlaps(e->right, e->nright, f->right, f->nright)) {
			size_t k = (i + 1) % n;
			size_t t = perm[i];
			perm[i] = perm[k];
			perm[k] = t;
		}
	}
	char ***rights = xcalloc(n, sizeof(char **));
	size_t *counts = xcalloc(n, sizeof(size_t));
	for (size_t i = 0; i < n; i++) {
		rights[i] = d->items[perm[i]].right;
		counts[i] = d->items[perm[i]].nright;
	}
	for (size_t i = 0; i < n; i++) {
		d->items[i].right = rights[i];
		d->items[i].nright = counts[i];
	}
	free(rights);
	free(counts);
	free(perm);
	d->shuffled = 1;
}

int retrain_data_load(struct store *st, const struct config *cfg, long long release, long long upto,
		      int shuffle, struct retrain_data *out, struct strbuf *err)
{
	struct feedback_record *rows = NULL;
	size_t nrows = 0;
	struct feedback_filter all = { 0 };
	struct pending *pend = NULL;
	size_t npend = 0;
	int ret = -1;
	memset(out, 0, sizeof(*out));
	if (store_feedback_list(st, &all, &rows, &nrows, err))
		return -1;
	struct strmap at;
	strmap_init(&at);
	struct tokenizer *tok = tokenizer_new();
	struct sha256_ctx *hash = sha256_begin();
	/* Oldest first: a newer row's correction replaces an older one's. */
	for (size_t r = nrows; r-- > 0;) {
		const struct feedback_record *f = &rows[r];
		if (upto && f->id > upto)
			continue;
		out->rows++;
		if (f->id > out->feedback_upto)
			out->feedback_upto = f->id;
		char stamp[64];
		snprintf(stamp, sizeof(stamp), "%lld:%lld;", f->id, f->created_at);
		sha256_update(hash, stamp, strlen(stamp));
		char *key = question_key(tok, f->question);
		if (!*key) {
			free(key);
			out->unlabelled++;
			continue;
		}
		size_t index;
		struct retrain_example *e = example_for(out, &at, &pend, &npend, key, f->question,
							&index);
		take_row(out, e, &pend[index], f);
		free(key);
	}
	sha256_finish(hash, out->feedback_hash);
	tokenizer_free(tok);
	strmap_release(&at);
	/* Settle the votes; keep what has something to teach. */
	size_t kept = 0;
	for (size_t i = 0; i < out->n; i++) {
		struct retrain_example *e = &out->items[i];
		int rc = settle(st, release, out, e, &pend[i], err);
		if (rc)
			goto cleanup;
		if (!e->nright && !(e->corrected && e->nanswer_sources)) {
			out->unlabelled++;
			example_release(e);
			continue;
		}
		out->items[kept++] = *e;
	}
	out->n = kept;
	if (shuffle)
		shuffle_labels(out);
	split(out, cfg->retrain.validation_share);
	ret = 0;
cleanup:
	for (size_t i = 0; i < npend; i++) {
		for (size_t v = 0; v < pend[i].nvotes; v++)
			free(pend[i].votes[v].doc);
		free(pend[i].votes);
		free(pend[i].key);
	}
	free(pend);
	feedback_records_free(rows, nrows);
	if (ret)
		retrain_data_release(out);
	return ret;
}

void retrain_data_release(struct retrain_data *d)
{
	for (size_t i = 0; i < d->n; i++)
		example_release(&d->items[i]);
	free(d->items);
	memset(d, 0, sizeof(*d));
}

int retrain_in_split(const struct retrain_example *e, enum retrain_split split)
{
	return split == SPLIT_ALL || (split == SPLIT_VALIDATION) == !!e->validation;
}

void retrain_golden(const struct retrain_data *d, enum retrain_split split, struct golden_set *out)
{
	memset(out, 0, sizeof(*out));
	out->items = xcalloc(d->n + 1, sizeof(*out->items));
	for (size_t i = 0; i < d->n; i++) {
		const struct retrain_example *e = &d->items[i];
		if (!e->nright || !retrain_in_split(e, split))
			continue;
		struct golden_question *g = &out->items[out->n++];
		g->id = xasprintf("f%lld", e->feedback_id);
		g->question = xstrdup(e->question);
		g->doc = xstrdup(e->right[0]);
		g->kind = xstrdup("feedback");
		g->lang = xstrdup(
			lang_code(lang_guess_short(e->question, strlen(e->question), LANG_FR)));
	}
}

/* Share of the question's stems a passage holds (with its heading). */
static double overlap(struct tokenizer *tok, const struct strmap *asked, size_t nasked, const char *text)
{
	struct strmap has;
	strmap_init(&has);
	question_stems(tok, text, &has);
	size_t shared = 0;
	for (size_t i = 0; i < asked->cap; i++)
		shared += asked->keys[i] &&
			  strmap_get(&has, asked->keys[i], strlen(asked->keys[i])) != NULL;
	strmap_release(&has);
	return nasked ? (double)shared / (double)nasked : 0;
}

static int is_right(const struct retrain_example *e, const char *doc)
{
	for (size_t i = 0; doc && i < e->nright; i++)
		if (!strcmp(e->right[i], doc))
			return 1;
	return 0;
}

/* The right document's passage closest to the question and its correction. */
static int pick_positive(struct store *st, long long release, struct retrain_example *e,
			 const struct retrieval *rt, struct tokenizer *tok, struct strbuf *err)
{
	for (size_t i = 0; i < rt->n; i++)
		if (is_right(e, rt->hits[i].doc_path)) {
			e->positive_chunk = rt->hits[i].chunk_id;
			e->positive_text = xstrdup(rt->hits[i].text ? rt->hits[i].text : "");
			return 0;
		}
	struct chunk_text *chunks = NULL;
	size_t n = 0;
	if (store_release_doc_chunks(st, release, e->right[0], &chunks, &n, err))
		return -1;
	struct strmap asked;
	strmap_init(&asked);
	char *both = xasprintf("%s %s", e->question, e->corrected ? e->corrected : "");
	size_t nasked = question_stems(tok, both, &asked);
	free(both);
	double best = -1;
	for (size_t i = 0; i < n; i++) {
		char *whole = xasprintf("%s\n%s", chunks[i].heading ? chunks[i].heading : "",
					chunks[i].text);
		double o = overlap(tok, &asked, nasked, whole);
		free(whole);
		if (o > best) {
			best = o;
			free(e->positive_text);
			e->positive_chunk = chunks[i].id;
			e->positive_text = xstrdup(chunks[i].text);
		}
	}
	strmap_release(&asked);
	chunk_texts_free(chunks, n);
	return 0;
}

int retrain_data_retrieve(struct store *st, const struct config *cfg, const struct release_view *rel,
			  struct retrain_data *d, struct strbuf *err)
{
	struct tokenizer *tok = tokenizer_new();
	int ret = 0;
	for (size_t i = 0; i < d->n && !ret; i++) {
		struct retrain_example *e = &d->items[i];
		struct retrieval rt;
		clear_retrieved(e);
		e->trace.depth = cfg->retrain.ranker_depth;
		enum retrieve_result rc = retrieve_traced(st, cfg, rel, e->question, NULL, 10, &e->trace,
							  RETRIEVE_WITHOUT_RANKER, &rt, err);
		if (rc == RETRIEVE_BAD_QUERY || rc == RETRIEVE_TOO_LONG || rc == RETRIEVE_NOT_READY) {
			strbuf_reset(err);
			continue; /* nothing to search for: it still teaches the curated answers */
		}
		if (rc == RETRIEVE_FAILED) {
			ret = -1;
			break;
		}
		size_t first_right = rt.n;
		for (size_t h = 0; h < rt.n && first_right == rt.n; h++)
			if (is_right(e, rt.hits[h].doc_path))
				first_right = h;
		e->rank = first_right < rt.n ? (int)first_right + 1 : 0;
		if (e->nright)
			ret = pick_positive(st, rel->id, e, &rt, tok, err);
		/* Hard negatives: what was ranked above the right passage (or just below it). */
		e->negatives = xcalloc(rt.n + 1, sizeof(long long));
		e->negative_texts = xcalloc(rt.n + 1, sizeof(char *));
		for (size_t h = 0; h < rt.n && e->nright; h++) {
			if (is_right(e, rt.hits[h].doc_path) || (h > first_right && e->nnegatives >= 2))
				continue;
			if (h > first_right + 2)
				break;
			e->negatives[e->nnegatives] = rt.hits[h].chunk_id;
			e->negative_texts[e->nnegatives++] = xstrdup(rt.hits[h].text ? rt.hits[h].text
										     : "");
		}
		e->context = xcalloc(CONTEXT_PASSAGES + 2, sizeof(char *));
		if (e->positive_text)
			e->context[e->ncontext++] = xstrdup(e->positive_text);
		for (size_t h = 0; h < rt.n && e->ncontext < CONTEXT_PASSAGES; h++)
			if (rt.hits[h].chunk_id != e->positive_chunk && rt.hits[h].text)
				e->context[e->ncontext++] = xstrdup(rt.hits[h].text);
		retrieval_release(&rt);
	}
	tokenizer_free(tok);
	return ret;
}

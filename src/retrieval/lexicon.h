/*
 * The lexicon: an inverted index of the chunks (term -> chunks and how often
 * it occurs in their text and heading), written as one file by each run and
 * mapped into memory by searches.  It ranks exactly as the FTS5 index does
 * (BM25, k1 1.2, b 0.75, headings weighing twice, one phrase per question
 * word with its stems as alternatives) but scores every matching chunk in a
 * tight loop over arrays instead of a B-tree walk per chunk: on 100,000
 * chunks a question takes about a millisecond instead of ten.
 * Each release has its own, built from exactly its chunks (checked when
 * it is loaded); FTS5 answers only when a release's file is missing or
 * damaged.
 */
#ifndef RETRIEVAL_LEXICON_H
#define RETRIEVAL_LEXICON_H

#include <stddef.h>

#include "core/strbuf.h"
#include "store/store.h"
#include "text/tokenize.h"

struct lexicon;

struct lexicon_built {
	char version[64]; /* "lexicon-" and a hash of the content */
	char file[80];    /* "<version>.bin" */
	size_t terms, postings, bytes;
};

/*
 * Tokenize every chunk (ascending ids) as the index does, on `threads`
 * threads, and make the lexicon file's bytes in *data (the same whatever
 * the number of threads).  Touches no file: a thread may do it while
 * another works on the store.
 */
void lexicon_make(const struct chunk_text *chunks, size_t n, int threads, struct lexicon_built *out,
		  struct strbuf *data);
/* Write made bytes to <dir>/<out->file>, atomically. */
int lexicon_write(const char *dir, const struct lexicon_built *built, const struct strbuf *data,
		  struct strbuf *err);


/* Map a lexicon file; NULL with the reason when it is missing or damaged. */
struct lexicon *lexicon_open(const char *path, struct strbuf *err);
void lexicon_close(struct lexicon *lx);

/* Whether the lexicon indexes exactly these chunks (ids ascending, as built). */
int lexicon_matches(const struct lexicon *lx, const long long *ids, size_t n);
size_t lexicon_chunks(const struct lexicon *lx);
/* How many chunks hold `term` (an indexed token), as the full-text index would say. */
long long lexicon_term_chunks(const struct lexicon *lx, const char *term);
/*
 * How many chunks hold both terms (indexed tokens), counting up to
 * `enough` at most: the smaller list is looked up in the larger, so a
 * rare term costs little against a common one.
 */
long long lexicon_chunks_holding_both(const struct lexicon *lx, const char *a, const char *b,
				      long long enough);

/*
 * The `k` best chunks for `query` by BM25 into ids[] and scores[] (best
 * first, ties by chunk id); returns how many, or -1 when the query has no
 * searchable word.  Threads may search one lexicon at once (each takes its
 * own scratch arrays, kept for the next search).
 */
long lexicon_search(struct lexicon *lx, struct tokenizer *tok, const char *query, unsigned k,
		    long long *ids, double *scores);

/* A word added to a question (a learned expansion) and the weight of its BM25 share. */
struct expansion {
	const char *word;
	double weight;
};
/* lexicon_search with expansions scored as extra words, each times its weight. */
long lexicon_search_expanded(struct lexicon *lx, struct tokenizer *tok, const char *query,
			     const struct expansion *exp, size_t nexp, unsigned k, long long *ids,
			     double *scores);

#endif

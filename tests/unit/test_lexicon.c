/*
 * Unit tests for the lexicon (retrieval/lexicon.h): BM25 scores equal to
 * the formula FTS5 uses (k1 1.2, b 0.75, headings weighing twice), ties
 * broken by chunk id, stop-word questions refused, k honoured, a
 * damaged file refused rather than read, and the chunks two terms share.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "retrieval/lexicon.h"

/* Ten chunks in no language (words are folded, not stemmed): made-up words only. */
static struct chunk_text corpus[] = {
	{ 3, "blorp blorp zint", "", "" }, { 7, "zint qux", "blorp", "" },
	{ 9, "qux qux qux qux", "", "" },  { 12, "wibble", "", "" },
	{ 13, "wibble", "", "" },          { 14, "wibble", "", "" },
	{ 15, "wibble", "", "" },          { 16, "wibble", "", "" },
	{ 17, "wibble", "", "" },          { 18, "wibble", "", "" },
};
#define NCHUNKS (sizeof(corpus) / sizeof(corpus[0]))
#define AVGDL   (3.0 + 3 + 4 + 7 * 1) / NCHUNKS

static char dir[64];
static struct lexicon_built built;

static double bm25(double hits, double tf, double tokens)
{
	double idf = log((NCHUNKS - hits + 0.5) / (hits + 0.5));
	return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * tokens / (AVGDL)));
}

static struct lexicon *open_built(void)
{
	struct strbuf err = STRBUF_INIT;
	char *path = xasprintf("%s/%s", dir, built.file);
	struct lexicon *lx = lexicon_open(path, &err);
	free(path);
	assert_non_null(lx);
	strbuf_release(&err);
	return lx;
}

static int setup(void **state)
{
	struct strbuf err = STRBUF_INIT;
	snprintf(dir, sizeof(dir), "/tmp/ragops-lexicon-XXXXXX");
	assert_non_null(mkdtemp(dir));
	struct strbuf data = STRBUF_INIT;
	lexicon_make(corpus, NCHUNKS, 1, &built, &data);
	assert_int_equal(lexicon_write(dir, &built, &data, &err), 0);
	strbuf_release(&data);
	strbuf_release(&err);
	return 0;
}

static int teardown(void **state)
{
	char *path = xasprintf("%s/%s", dir, built.file);
	unlink(path);
	free(path);
	rmdir(dir);
	return 0;
}

static void test_build_counts(void **state)
{
	assert_int_equal(built.terms, 4); /* blorp zint qux wibble */
	assert_int_equal(built.postings, 2 + 2 + 2 + 7);
	assert_non_null(strstr(built.version, "lexicon-"));
	/* Every chunk is in it: "wibble" finds the seven that hold it, the highest id included. */
	struct lexicon *lx = open_built();
	struct tokenizer *tok = tokenizer_new();
	long long ids[10];
	double scores[10];
	assert_int_equal(lexicon_search(lx, tok, "wibble", 10, ids, scores), 7);
	assert_int_equal(ids[6], 18);
	tokenizer_free(tok);
	lexicon_close(lx);
}

static void test_scores_follow_bm25(void **state)
{
	struct lexicon *lx = open_built();
	struct tokenizer *tok = tokenizer_new();
	long long ids[10];
	double scores[10];
	/* "zint": once in 3 and in 7; "qux": once in 7, four times in 9.  Each word is in 2 chunks. */
	long n = lexicon_search(lx, tok, "zint qux", 10, ids, scores);
	assert_int_equal(n, 3);
	double s3 = bm25(2, 1, 3), s7 = bm25(2, 1, 3) + bm25(2, 1, 3), s9 = bm25(2, 4, 4);
	/* 7 holds both words: first; then 9 (qux four times) and 3. */
	assert_int_equal(ids[0], 7);
	assert_true(fabs(scores[0] - s7) < 1e-12);
	assert_int_equal(ids[1], 9);
	assert_true(fabs(scores[1] - s9) < 1e-12);
	assert_int_equal(ids[2], 3);
	assert_true(fabs(scores[2] - s3) < 1e-12);
	tokenizer_free(tok);
	lexicon_close(lx);
}

static void test_heading_weighs_twice_and_ties_go_by_id(void **state)
{
	struct lexicon *lx = open_built();
	struct tokenizer *tok = tokenizer_new();
	long long ids[10];
	double scores[10];
	/* 3 has blorp twice in its body, 7 once in its heading (weight 2): the same score. */
	long n = lexicon_search(lx, tok, "blorp", 10, ids, scores);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 3);
	assert_int_equal(ids[1], 7);
	assert_true(fabs(scores[0] - bm25(2, 2, 3)) < 1e-12);
	assert_true(scores[0] == scores[1]);
	/* k = 1 keeps the best only; the reused scratch arrays start from zero again. */
	assert_int_equal(lexicon_search(lx, tok, "blorp", 1, ids, scores), 1);
	assert_int_equal(ids[0], 3);
	assert_true(fabs(scores[0] - bm25(2, 2, 3)) < 1e-12);
	tokenizer_free(tok);
	lexicon_close(lx);
}

static void test_stop_words_and_unknown_words(void **state)
{
	struct lexicon *lx = open_built();
	struct tokenizer *tok = tokenizer_new();
	long long ids[10];
	double scores[10];
	assert_int_equal(lexicon_search(lx, tok, "the of le la", 10, ids, scores), -1);
	assert_int_equal(lexicon_search(lx, tok, "!!! ...", 10, ids, scores), -1);
	assert_int_equal(lexicon_search(lx, tok, "nevermentioned", 10, ids, scores), 0);
	tokenizer_free(tok);
	lexicon_close(lx);
}

static void test_damaged_file_refused(void **state)
{
	struct strbuf err = STRBUF_INIT;
	char *path = xasprintf("%s/%s", dir, built.file), *cut = xasprintf("%s/cut.bin", dir);
	FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
	char buf[200];
	size_t got = fread(buf, 1, sizeof(buf), in);
	fwrite(buf, 1, got, out);
	fclose(in);
	fclose(out);
	assert_null(lexicon_open(cut, &err));
	assert_non_null(strstr(err.buf, "damaged"));
	strbuf_reset(&err);
	assert_null(lexicon_open("/nonexistent/lexicon.bin", &err));
	assert_non_null(strstr(err.buf, "cannot read"));
	strbuf_reset(&err);

	/* Same size, magic intact, one posting pointing past the chunks: refused, not followed. */
	in = fopen(path, "rb");
	out = fopen(cut, "wb");
	char whole[8192];
	size_t len = fread(whole, 1, sizeof(whole), in);
	assert_true(len >= 8 && len < sizeof(whole));
	memset(whole + len - 8, 0xff, 4); /* the last posting's chunk index */
	fwrite(whole, 1, len, out);
	fclose(in);
	fclose(out);
	assert_null(lexicon_open(cut, &err));
	assert_non_null(strstr(err.buf, "points outside the file"));
	unlink(cut);
	free(cut);
	free(path);
	strbuf_release(&err);
}

/* A release trusts its lexicon only for exactly its chunks: same count is not enough. */
static void test_matches_its_chunks_only(void **state)
{
	struct lexicon *lx = open_built();
	long long ids[NCHUNKS];
	for (size_t i = 0; i < NCHUNKS; i++)
		ids[i] = corpus[i].id;
	assert_true(lexicon_matches(lx, ids, NCHUNKS));
	assert_int_equal(lexicon_chunks(lx), NCHUNKS);
	ids[NCHUNKS - 1] = 19; /* one chunk replaced by another, the count unchanged */
	assert_false(lexicon_matches(lx, ids, NCHUNKS));
	ids[NCHUNKS - 1] = 18;
	assert_false(lexicon_matches(lx, ids, NCHUNKS - 1));
	lexicon_close(lx);
}

static void test_term_chunks(void **state)
{
	struct lexicon *lx = open_built();
	assert_int_equal(lexicon_term_chunks(lx, "wibble"), 7);
	assert_int_equal(lexicon_term_chunks(lx, "blorp"), 2); /* one in a heading */
	assert_int_equal(lexicon_term_chunks(lx, "absent"), 0);
	lexicon_close(lx);
}

/* Chunks holding two terms, against a count of every chunk, on a corpus where some words are rare. */
static void test_chunks_holding_both(void **state)
{
	enum { N = 3000, WORDS = 12 };
	static const char *words[WORDS] = { "alfa", "bravo", "charlie", "delta",   "echo", "foxtrot",
					    "golf", "hotel", "india",   "juliett", "kilo", "lima" };
	struct chunk_text *chunks = xcalloc(N, sizeof(*chunks));
	static int has[N][WORDS];
	unsigned seed = 7;
	for (size_t i = 0; i < N; i++) {
		struct strbuf text = STRBUF_INIT;
		for (int w = 0; w < WORDS; w++) {
			seed = seed * 1103515245u + 12345u;
			/* word w in about one chunk of 2^w */
			has[i][w] = ((seed >> 8) & ((1u << w) - 1)) == 0;
			if (has[i][w])
				strbuf_addf(&text, "%s ", words[w]);
		}
		strbuf_addstr(&text, "zulu");
		chunks[i] = (struct chunk_text){ (long long)i + 1, strbuf_detach(&text, NULL),
						 (char *)"", (char *)"" };
	}
	struct strbuf data = STRBUF_INIT, err = STRBUF_INIT;
	struct lexicon_built b;
	char *sub = xasprintf("%s/both", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	lexicon_make(chunks, N, 2, &b, &data);
	assert_int_equal(lexicon_write(sub, &b, &data, &err), 0);
	char *path = xasprintf("%s/%s", sub, b.file);
	struct lexicon *lx = lexicon_open(path, &err);
	assert_non_null(lx);
	for (int x = 0; x < WORDS; x++)
		for (int y = 0; y < WORDS; y++) {
			long long want = 0;
			for (size_t i = 0; i < N; i++)
				want += has[i][x] && has[i][y];
			assert_int_equal(lexicon_chunks_holding_both(lx, words[x], words[y], N), want);
			long long enough = want / 2 + 1;
			long long got = lexicon_chunks_holding_both(lx, words[x], words[y], enough);
			assert_true(got == (want < enough ? want : enough));
		}
	assert_int_equal(lexicon_chunks_holding_both(lx, "alfa", "absent", N), 0);
	lexicon_close(lx);
	unlink(path);
	rmdir(sub);
	free(path);
	free(sub);
	for (size_t i = 0; i < N; i++)
		free(chunks[i].text);
	free(chunks);
	strbuf_release(&data);
	strbuf_release(&err);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_counts),
		cmocka_unit_test(test_scores_follow_bm25),
		cmocka_unit_test(test_heading_weighs_twice_and_ties_go_by_id),
		cmocka_unit_test(test_stop_words_and_unknown_words),
		cmocka_unit_test(test_damaged_file_refused),
		cmocka_unit_test(test_matches_its_chunks_only),
		cmocka_unit_test(test_term_chunks),
		cmocka_unit_test(test_chunks_holding_both),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

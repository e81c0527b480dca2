/*
 * Unit tests for the built-in embedder's training (learn/embedder.h): the
 * features pass 1 keeps for pass 2 under a memory budget give the model
 * that counting every document again gives, whatever the budget and
 * wherever in the corpus it runs out (a large document past it, small
 * ones after); the training documents' own vectors are embedder_embed's,
 * to rounding, and of unit length; and a corpus of several counting
 * blocks gives the same model and vectors on 1, 2 and 3 threads.
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

#include "core/strbuf.h"
#include "learn/embedder.h"
#include "text/tokenize.h"

#define NDOCS 90

static const char *const words[] = {
	"lumière", "ombre",    "focale",  "diaphragme", "obturateur", "capteur",    "bruit",
	"grain",   "tirage",   "papier",  "chimie",     "révélateur", "fixateur",   "cadrage",
	"horizon", "portrait", "paysage", "studio",     "flash",      "réflecteur", "exposure",
	"shutter", "aperture", "lens",    "sensor",     "noise",      "print",      "develop",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/*
 * Documents of varied length: every tenth is long (a thousand words), the
 * others a sentence, so a budget runs out on a long one with short ones
 * after it.
 */
static char *docs_text[NDOCS];

static int setup(void **state)
{
	(void)state;
	uint64_t rng = 88172645463325252ULL;
	for (int i = 0; i < NDOCS; i++) {
		struct strbuf sb = STRBUF_INIT;
		int n = i % 10 == 3 ? 1000 : 12;
		for (int w = 0; w < n; w++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			strbuf_addf(&sb, "%s%s%llu ", words[rng % NWORDS], w % 7 ? "" : "x",
				    (unsigned long long)(w % 7 ? 0 : rng % 997));
		}
		docs_text[i] = strbuf_detach(&sb, NULL);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NDOCS; i++)
		free(docs_text[i]);
	return 0;
}

static struct embedder *train(size_t kept_max, float **vectors)
{
	struct embed_doc docs[NDOCS];
	for (int i = 0; i < NDOCS; i++)
		docs[i] = (struct embed_doc){ docs_text[i], i % 2 ? LANG_FR : LANG_EN };
	struct embedder_params p = { 32, 1, 5000, 7, 2, kept_max };
	struct strbuf err = STRBUF_INIT;
	struct embedder *e = embedder_train(docs, NDOCS, &p, vectors, &err);
	assert_non_null(e);
	strbuf_release(&err);
	return e;
}

static void test_budget_keeps_the_model(void **state)
{
	(void)state;
	float *all = NULL;
	struct embedder *reference = train(0, &all);
	assert_non_null(all);
	int dim = embedder_dim(reference);
	/* From nothing kept to all kept, the budget running out at every place between. */
	for (size_t budget = 1; budget < 20000; budget += budget < 1000 ? 97 : 487) {
		float *v = NULL;
		struct embedder *e = train(budget, &v);
		assert_string_equal(embedder_version(e), embedder_version(reference));
		assert_memory_equal(v, all, (size_t)NDOCS * dim * sizeof(float));
		free(v);
		embedder_free(e);
	}
	/* Each training document's vector is embedder_embed's, of unit length. */
	struct tokenizer *tok = tokenizer_new();
	float *one = malloc((size_t)dim * sizeof(float));
	for (int i = 0; i < NDOCS; i++) {
		const float *got = all + (size_t)i * dim;
		embedder_embed(reference, tok, docs_text[i], strlen(docs_text[i]),
			       i % 2 ? LANG_FR : LANG_EN, 0, one);
		double norm = 0, cosine = 0;
		for (int k = 0; k < dim; k++) {
			norm += (double)got[k] * got[k];
			cosine += (double)got[k] * one[k];
		}
		assert_true(fabs(norm - 1) < 1e-4);
		assert_true(cosine > 0.99999);
	}
	free(one);
	tokenizer_free(tok);
	free(all);
	embedder_free(reference);
}

/* More documents than one counting block (512) holds, on 1, 2 and 3 threads. */
static void test_same_model_on_any_threads(void **state)
{
	(void)state;
	enum { NBIG = 5000 };
	struct embed_doc *docs = calloc(NBIG, sizeof(*docs));
	uint64_t rng = 2463534242ULL;
	for (int i = 0; i < NBIG; i++) {
		struct strbuf sb = STRBUF_INIT;
		for (int w = 0; w < 20; w++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			strbuf_addf(&sb, "%s%llu ", words[rng % NWORDS],
				    (unsigned long long)(rng % 3000));
		}
		docs[i] = (struct embed_doc){ strbuf_detach(&sb, NULL), i % 3 ? LANG_FR : LANG_UNKNOWN };
	}
	struct embedder *first = NULL;
	float *first_vectors = NULL;
	for (int threads = 1; threads <= 3; threads++) {
		struct embedder_params p = { 48, 2, 20000, 11, threads, 0 };
		struct strbuf err = STRBUF_INIT;
		float *v = NULL;
		struct embedder *e = embedder_train(docs, NBIG, &p, &v, &err);
		assert_non_null(e);
		assert_non_null(v);
		strbuf_release(&err);
		if (!first) {
			first = e;
			first_vectors = v;
			continue;
		}
		if (strcmp(embedder_version(e), embedder_version(first)))
			fail_msg("%d threads train %s, 1 thread %s", threads, embedder_version(e),
				 embedder_version(first));
		assert_memory_equal(v, first_vectors, (size_t)NBIG * embedder_dim(e) * sizeof(float));
		free(v);
		embedder_free(e);
	}
	free(first_vectors);
	embedder_free(first);
	for (int i = 0; i < NBIG; i++)
		free((char *)docs[i].text);
	free(docs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_keeps_the_model),
		cmocka_unit_test(test_same_model_on_any_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

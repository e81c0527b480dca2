/*
 * What retraining learns from: the feedback turned into examples.  Rows
 * asking the same question (the same stems, whatever the stop words) are
 * one example; its documents judged right and wrong come from the votes
 * of its rows -- a helpful or unhelpful mark, the first source of an
 * answer rated 4 or 5 (right) or 1 or 2 without marks (wrong) -- and a
 * document voted both ways as often is contradictory and left out.
 * Documents no longer in the release are dropped; an example with nothing
 * left to learn from is dropped, and every drop is counted.  Examples
 * whose questions are close are one group, and a group is wholly in the
 * training or the validation split (by a hash of the group: the same
 * feedback always splits the same way).
 */
#ifndef OPS_RETRAIN_DATA_H
#define OPS_RETRAIN_DATA_H

#include "core/config.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "ops/eval.h"
#include "retrieval/release.h"
#include "retrieval/retrieve.h"
#include "store/store.h"

/* Questions this close (shared stems, Dice) ask the same thing: one group. */
#define RETRAIN_SAME_QUESTION 0.6

struct retrain_example {
	char *question;
	char **right, **wrong; /* document paths, best voted first */
	size_t nright, nwrong;
	char *corrected;       /* the newest usable correction, NULL when none */
	char **answer_sources; /* the sources of the answer corrected */
	size_t nanswer_sources;
	long long feedback_id; /* its newest row */
	long long created_at;
	size_t rows;
	double mean_rating;
	int group, validation;
	/* Filled by retrain_data_retrieve: what production finds for it. */
	long long positive_chunk; /* the right document's chunk closest to the question, 0 when none */
	char *positive_text;
	long long *negatives; /* chunks of wrong documents ranked above the first right one */
	char **negative_texts;
	size_t nnegatives;
	char **context; /* the passages an answer would be given, right one first */
	size_t ncontext;
	struct retrieve_trace trace; /* the fused candidates, for the ranker */
	int rank;                    /* of the first right document in production's answer, 0 none */
};

struct retrain_data {
	struct retrain_example *items;
	size_t n, alloc;
	size_t rows;              /* feedback rows read */
	size_t missing_docs;      /* judged documents no longer in the release */
	size_t contradictory;     /* documents voted right and wrong as often */
	size_t unlabelled;        /* examples with no right document and no correction */
	size_t short_corrections; /* corrections too short to be answers */
	size_t duplicates;        /* rows merged into an example asked before */
	size_t groups, train, validation;
	long long feedback_upto;                /* the newest row read */
	char feedback_hash[SHA256_HEX_LEN + 1]; /* of the rows used */
	int shuffled;                           /* the labels were permuted (a control) */
};

/*
 * The examples of every feedback row up to `upto` (0: all) against release
 * `release`'s documents; shuffle: permute the right documents between
 * examples (the control a gate must refuse).
 */
int retrain_data_load(struct store *st, const struct config *cfg, long long release, long long upto,
		      int shuffle, struct retrain_data *out, struct strbuf *err);
/* Retrieve every example from `rel` (positive passage, hard negatives, context, trace). */
int retrain_data_retrieve(struct store *st, const struct config *cfg, const struct release_view *rel,
			  struct retrain_data *d, struct strbuf *err);
void retrain_data_release(struct retrain_data *d);

enum retrain_split { SPLIT_TRAIN, SPLIT_VALIDATION, SPLIT_ALL };
/* The examples with a right document as golden questions (the first right document expected). */
void retrain_golden(const struct retrain_data *d, enum retrain_split split, struct golden_set *out);
int retrain_in_split(const struct retrain_example *e, enum retrain_split split);

#endif

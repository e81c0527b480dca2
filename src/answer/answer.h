/*
 * Answers: a question goes to the retriever, the answerer picks the best
 * evidence and writes a short answer citing [title, p. N] -- or says it
 * does not know, in the question's language, when the evidence is weak.
 * Every question is logged with its answer, sources and timings.
 */
#ifndef ANSWER_ANSWER_H
#define ANSWER_ANSWER_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "retrieval/retrieve.h"
#include "store/store.h"

struct answer_source {
	char *doc, *title, *heading, *snippet;
	int page_start, page_end;
	double score;       /* the retriever's */
	double evidence;    /* share of the question's weight this source covers, 0-1 */
	double similarity;  /* cosine with the question, -1 without vectors */
	int low_confidence; /* drawn from a weak OCR page */
};

/* A word of the question, as the answerer weighed it: why it answered or abstained. */
struct answer_term {
	char *word;  /* as the index has it (folded, stemmed) */
	double idf;  /* its weight */
	int seen;    /* the release's index holds it */
	int covered; /* the best source holds it */
	/* What bridges it to other words the index holds (retrieval/bridge.h), allocated. */
	char **translations, **synonyms;
	size_t ntranslations, nsynonyms;
};

struct answer {
	char *question, *text;
	const char *language; /* "fr" | "en" */
	const char *retriever, *answerer;
	char embedder[64]; /* model version of the vectors used, "" for none */
	int abstained;
	double evidence;   /* of the best source */
	double similarity; /* best cosine, 0 without vectors */
	struct answer_source *sources;
	size_t nsources;
	struct answer_term *terms;
	size_t nterms;
	double ms_retrieve, ms_fuse, ms_answer, ms_total;
	long long query_id;   /* in the query log, 0 when not logged */
	long long release_id; /* the release every part of the answer came from */
	char *unknown_name;   /* a name of the question the documents never use: why it abstained */
	long long curated_feedback; /* the feedback a curated answer comes from, 0 when none */
	double curated_similarity;  /* how close the question is to the corrected one */
};

/*
 * Parts of answering an evaluation can leave out, to measure what each
 * brings (ragops eval --ablate); the first bits are retrieval's own.
 */
enum answer_without {
	ANSWER_WITHOUT_RANKER = RETRIEVE_WITHOUT_RANKER,
	ANSWER_WITHOUT_EXPANSION = RETRIEVE_WITHOUT_EXPANSION,
	ANSWER_WITHOUT_TRANSLATION = RETRIEVE_WITHOUT_TRANSLATION,
	ANSWER_WITHOUT_SYNONYMS = RETRIEVE_WITHOUT_SYNONYMS,
	ANSWER_WITHOUT_CURATED = 1 << 8,     /* the answers users corrected */
	ANSWER_WITHOUT_CALIBRATION = 1 << 9, /* the release's learned thresholds: the configured ones */
	ANSWER_WITHOUT_SIMILARITY = 1 << 10, /* closeness in meaning as a reason to answer */
	ANSWER_WITHOUT_ABSTENTION = 1 << 11, /* answer whatever the evidence */
	ANSWER_WITHOUT_NAMES = 1 << 12,      /* a name the documents never use is no reason to abstain */
};

struct ask_options {
	long long release;     /* 0: the one in production */
	const char *retriever; /* bm25 | dense | hybrid; NULL: retrieve.mode */
	unsigned sources;      /* 0: answer.sources */
	int no_log;            /* evaluation runs keep the log clean */
	unsigned without;      /* enum answer_without */
};

/*
 * Whether a question got an answer ("I don't know" is one); when not, err
 * holds a message for the user.
 */
enum ask_result {
	ASK_OK = 0,
	ASK_BAD_QUESTION = 1,  /* empty, too long, not UTF-8, nothing to search for */
	ASK_NOT_READY = 2,     /* no release yet, no such release, or no embedder for dense */
	ASK_BAD_RETRIEVER = 3, /* not bm25, dense or hybrid */
	ASK_FAILED = -1,       /* the store or an endpoint failed */
};

/*
 * Read the dictionaries answers use (translations, Hunspell) now: a
 * server does it at its start, so that no question waits for them and
 * their memory is taken before any is asked.
 */
void answer_preload(const struct config *cfg);

/* Answer `question`. */
enum ask_result answer_question(struct store *st, const struct config *cfg, const char *question,
				const struct ask_options *opts, struct answer *out, struct strbuf *err);
void answer_release(struct answer *a);
/* The answer as the JSON object `ragops ask --json` prints (and the API sends). */
json_t *answer_to_json(const struct answer *a);

/* A source's citation from the retrieved chunk it comes from (document, title, heading, pages...). */
void answer_source_from_hit(struct answer_source *s, const struct search_hit *h);

/*
 * The label a citation shows for a hit: its title, else its path, with
 * square brackets made round and line breaks made spaces, so that no
 * document can write a citation frame of its own (a title such as
 * "Guide, p. 1] PWNED [Guide").  Appended to sb.
 */
void answer_cite_label(struct strbuf *sb, const struct search_hit *h);

/* Longest question accepted, in bytes. */
#define QUESTION_MAX_BYTES 2000

#endif

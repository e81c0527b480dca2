/*
 * ragops.h -- the C API of ragops: the original design's Python API
 * (FeedbackCollector, RetrainingPipeline, HealthChecker) for programs
 * that link the static library libragops.a.
 *
 * Self-contained: it needs only the C standard library's headers.  Link
 * line: see the "C API" section of README.md, or
 *     cc prog.c $(pkg-config --cflags --libs build/ragops.pc)
 *
 * Conventions:
 * - every function but the destructors returns an enum ragops_status,
 *   RAGOPS_OK (0) on success; after a failure ragops_errmsg() says why,
 *   in one line naming the field, file or folder at fault;
 * - nothing here prints or exits (library warnings -- a damaged model
 *   file worked around -- go to <data>/logs/pipeline.log and stderr, as
 *   the ragops command's do), except that running out of memory ends the
 *   process (exit status 4), as it does the command;
 * - strings and arrays handed to the caller are malloc'd: free a string
 *   with ragops_free() and an answer with ragops_answer_free(); a string
 *   out-parameter is NULL after a failure;
 * - what the caller passes in is only read, never kept;
 * - a handle is for one thread at a time (open one per thread), and one
 *   process works on one data folder: the releases it loads are cached
 *   per process, so ragops_open refuses a second folder (NEEDSWORK: key
 *   the cache by data folder).
 */
#ifndef RAGOPS_H
#define RAGOPS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An open data folder: its store, its configuration, the last error. */
typedef struct ragops ragops;

enum ragops_status {
	RAGOPS_OK = 0,
	RAGOPS_EINVAL,    /* a bad argument: NULL, a rating outside 1-5, a path no document had... */
	RAGOPS_ENOTFOUND, /* what it names does not exist: a query id not in the log */
	RAGOPS_ENOTREADY, /* nothing to answer from yet: no release in production */
	RAGOPS_EIO,       /* the store, a file, a folder or an endpoint failed */
	RAGOPS_ECONFIG,   /* the configuration file or a RAGOPS_* variable is wrong */
};

/*
 * Open (creating and migrating as needed) the data folder `data_dir`;
 * NULL is the configuration's `data_dir` (./ragops-data by default).
 * The configuration is built as the ragops command builds it, so that a
 * program and the command agree on every setting: the built-in
 * defaults, then the YAML file `config_file` -- or, when NULL, the file
 * named by $RAGOPS_CONFIG, else ./ragops.yaml when present -- then the
 * RAGOPS_* environment variables.
 *
 * *out is set even when opening fails, like sqlite3_open, so that
 * ragops_errmsg(*out) can say why: close it in both cases.  Every other call on a handle that did not
 * open fails with RAGOPS_EINVAL.
 */
int ragops_open(ragops **out, const char *data_dir, const char *config_file);
/* Close the handle and free it; NULL is fine. */
void ragops_close(ragops *r);
/*
 * Why the handle's last call failed, "" when it succeeded; never NULL
 * (NULL gives a message too).  Valid until the handle's next call.
 */
const char *ragops_errmsg(const ragops *r);
/* Free a string the API returned; NULL is fine. */
void ragops_free(void *p);

/* --- FeedbackCollector -------------------------------------------------- */

/*
 * UserFeedback, filled by the caller (the store sets the time).  Arrays
 * are a pointer and a count; a NULL string or a zero count means "not
 * given".
 */
typedef struct ragops_feedback {
	/*
	 * The answer judged: the id ragops_ask returned in query_id, or 0 and
	 * the question, answer and sources as given.  With a query id, the
	 * question, answer and sources come from the query log.
	 */
	long long query_id;
	const char *question;
	const char *answer;
	const char *const *sources; /* the answer's documents, as ragops_source.doc */
	size_t nsources;
	int rating;                /* 1 to 5 */
	const char *feedback_text; /* a comment */
	const char *corrected_answer;
	/*
	 * The sources judged helpful and unhelpful: at most 20 distinct paths
	 * each, none in both, each a path some document of the store has had
	 * or the logged answer cited.
	 */
	const char *const *helpful_sources;
	size_t nhelpful_sources;
	const char *const *unhelpful_sources;
	size_t nunhelpful_sources;
} ragops_feedback;

/*
 * FeedbackCollector.save_feedback: check and save `fb` (committed to the
 * store when this returns, and written to <data>/feedback/ as a JSON
 * file); *id (when not NULL) gets its id.  RAGOPS_EINVAL names the field at fault,
 * RAGOPS_ENOTFOUND a query id not in the log.
 */
int feedback_collector_save(ragops *r, const ragops_feedback *fb, long long *id);

/* --- RetrainingPipeline -------------------------------------------------- */

/*
 * RetrainingPipeline.should_retrain: *recommended is 1 when a rule of the
 * retrain.* policy fires (enough new feedback, low ratings, a changed
 * corpus, ...), else 0.  *report_json (when not NULL) gets the policy as
 * `ragops retrain check --json` prints it: {"retrain", "reason",
 * "rules": [{"rule", "value", "threshold", "window", "triggered", ...}]};
 * free it with ragops_free.
 */
int retraining_should_retrain(ragops *r, int *recommended, char **report_json);

/*
 * RetrainingPipeline.prepare_retraining_data: write the feedback as
 * datasets under `out_dir` (created when missing), as `ragops retrain
 * prepare --out DIR` does: train/ and validation/ (split by question)
 * each with eval.jsonl, pairs.jsonl and sft.jsonl, scrubbed of personal
 * data, and manifest.json.  *manifest_json (when not NULL) gets the
 * manifest; free it with ragops_free.  RAGOPS_ENOTREADY when there is no
 * release in production yet.
 */
int retraining_prepare_data(ragops *r, const char *out_dir, char **manifest_json);

/* --- HealthChecker -------------------------------------------------------- */

enum ragops_health { RAGOPS_HEALTH_OK = 0, RAGOPS_HEALTH_DEGRADED = 1, RAGOPS_HEALTH_DOWN = 2 };

/*
 * HealthChecker.check_health: *status gets an enum ragops_health (the
 * exit code of `ragops health`); *report_json (when not NULL) gets every
 * check as `ragops health --json` prints it: {"status", "checks":
 * [{"name", "status", "value", "threshold", "message"}]}; free it with
 * ragops_free.  RAGOPS_OK whenever the checks ran, down or not.
 */
int health_check(ragops *r, int *status, char **report_json);

/* --- Questions ------------------------------------------------------------ */

typedef struct ragops_source {
	char *doc; /* its path under the inbox: what feedback names */
	char *title;
	int page_start, page_end;
	double score; /* the retriever's */
} ragops_source;

typedef struct ragops_answer {
	char *text;     /* cites [title, p. N]; "Je ne sais pas" when abstained */
	bool abstained; /* the evidence was too weak to answer */
	bool curated;   /* a corrected answer from feedback, given back */
	ragops_source *sources;
	size_t nsources;
	long long release_id; /* the release every part of the answer came from */
	long long query_id;   /* in the query log: give it to feedback */
} ragops_answer;

/*
 * Answer `question` (UTF-8) from the release in production, as `ragops
 * ask` does, and log it; abstaining is a success.  *out is the caller's,
 * to free with ragops_answer_free (also after a failure: it is then
 * empty).  RAGOPS_ENOTREADY when there is no release yet, RAGOPS_EINVAL
 * for an empty or too long question.
 */
int ragops_ask(ragops *r, const char *question, ragops_answer *out);
/* Free what an answer holds and empty it; NULL is fine. */
void ragops_answer_free(ragops_answer *a);

#ifdef __cplusplus
}
#endif

#endif

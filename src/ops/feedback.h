/*
 * Feedback on answers (the original design's UserFeedback): a rating 1-5,
 * free text, a corrected answer and the sources judged helpful and
 * unhelpful, tied to the logged question when there is one.  The store is the source of truth; each record is also
 * written as one JSON file under <data>/feedback/ for convenience (a copy
 * a failed write left out, on a full disk say, is written with the next
 * record).
 * The same validation serves the command line and the HTTP API.
 */
#ifndef OPS_FEEDBACK_H
#define OPS_FEEDBACK_H

#include <jansson.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "store/store.h"

#define FEEDBACK_MAX_QUESTION 2000
#define FEEDBACK_MAX_ANSWER   20000
#define FEEDBACK_MAX_TEXT     5000
#define FEEDBACK_MAX_JUDGED   20   /* sources judged helpful, and unhelpful, per record */
#define FEEDBACK_MAX_PATH     1024 /* bytes of one judged source's path */

/*
 * Fill `f` from a JSON object {query_id? | question + answer + sources?,
 * rating, feedback_text?, corrected_answer?, helpful_sources?,
 * unhelpful_sources?} (the last two lists of document paths as ask cites
 * them; feedback_add checks the paths); an unknown field, a wrong
 * type or a bad value is an error naming the field, also set in *field
 * (when not NULL; it points into `obj`).
 */
int feedback_from_json(json_t *obj, struct feedback_record *f, const char **field, struct strbuf *err);
/* Whether a record was saved; when not, err says why. */
enum feedback_result {
	FEEDBACK_OK = 0,
	FEEDBACK_INVALID = 1, /* the record's fault: *field (when not NULL) names the field */
	FEEDBACK_FAILED = -1, /* the store's */
};
/*
 * Check a record (ratings, sizes, UTF-8), resolve query_id from the query
 * log, check the judged sources (at most FEEDBACK_MAX_JUDGED distinct
 * non-empty paths each, duplicates dropped, none in both lists, each a
 * path some document of the store has had or the logged answer cited)
 * and save it (f->id set).
 */
enum feedback_result feedback_add(struct store *st, const struct config *cfg, struct feedback_record *f,
				  const char **field, struct strbuf *err);
/*
 * The record as stored: what the user gave, personal data included (list,
 * add --json, its file, export --raw and GET /api/feedback/export?raw=1).
 */
json_t *feedback_to_json(const struct feedback_record *f);
/*
 * The record as it leaves ragops (feedback export, every reply of the
 * HTTP API but the admin's export?raw=1): the same object with
 * e-mail addresses, phone numbers, IBANs, credentials and API keys in its
 * free text -- question, answer, sources' text, comment, corrected
 * answer -- replaced by [email], [phone]... (ops/scrub.h); *scrubbed
 * (may be NULL) counts the values replaced.
 */
json_t *feedback_export_json(const struct feedback_record *f, size_t *scrubbed);

#include "core/strutil.h" /* parse_duration_ms */

#endif

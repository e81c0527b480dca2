/*
 * Feedback on answers; see feedback.h.
 */
#include "ops/feedback.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "ops/scrub.h"

static int text_field(json_t *v, const char *name, size_t max, char **out, struct strbuf *err)
{
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		strbuf_addf(err, "'%s' must be a string", name);
		return -1;
	}
	if (json_string_length(v) > max) {
		strbuf_addf(err, "'%s' is %zu bytes, over the limit of %zu", name, json_string_length(v),
			    max);
		return -1;
	}
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "true or false";
	default:
		return "null";
	}
}

/* helpful_sources, unhelpful_sources: kept as given; feedback_add checks the paths. */
static int paths_field(json_t *v, const char *name, char **out, struct strbuf *err)
{
	size_t i;
	json_t *item;
	if (json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		strbuf_addf(err, "'%s' must be a list of document paths, not %s", name, json_kind(v));
		return -1;
	}
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item)) {
			strbuf_addf(err, "'%s' must be a list of document paths, and item %zu is %s",
				    name, i + 1, json_kind(item));
			return -1;
		}
	}
	free(*out);
	*out = json_dumps(v, JSON_COMPACT);
	return 0;
}

int feedback_from_json(json_t *obj, struct feedback_record *f, const char **field, struct strbuf *err)
{
	const char *key;
	json_t *v;
	memset(f, 0, sizeof(*f));
	if (!json_is_object(obj)) {
		strbuf_addstr(err, "the feedback must be a JSON object");
		return -1;
	}
	json_object_foreach(obj, key, v)
	{
		int rc = 0;
		if (!strcmp(key, "query_id")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1) {
				strbuf_addstr(err, "'query_id' must be a positive integer");
				rc = -1;
			} else {
				f->query_id = json_integer_value(v);
			}
		} else if (!strcmp(key, "rating")) {
			if (!json_is_integer(v)) {
				strbuf_addstr(err, "'rating' must be a whole number from 1 to 5");
				rc = -1;
			} else {
				f->rating = (int)json_integer_value(v);
			}
		} else if (!strcmp(key, "question")) {
			rc = text_field(v, key, FEEDBACK_MAX_QUESTION, &f->question, err);
		} else if (!strcmp(key, "answer")) {
			rc = text_field(v, key, FEEDBACK_MAX_ANSWER, &f->answer, err);
		} else if (!strcmp(key, "feedback_text")) {
			rc = text_field(v, key, FEEDBACK_MAX_TEXT, &f->text, err);
		} else if (!strcmp(key, "corrected_answer")) {
			rc = text_field(v, key, FEEDBACK_MAX_ANSWER, &f->corrected, err);
		} else if (!strcmp(key, "helpful_sources")) {
			rc = paths_field(v, key, &f->helpful, err);
		} else if (!strcmp(key, "unhelpful_sources")) {
			rc = paths_field(v, key, &f->unhelpful, err);
		} else if (!strcmp(key, "sources")) {
			size_t i;
			json_t *item;
			int strings = json_is_array(v);
			/* Document names, or the source objects /api/ask returned. */
			json_array_foreach(v, i, item)
				strings &= json_is_string(item) || json_is_object(item);
			if (!strings) {
				strbuf_addstr(err,
					      "'sources' must be a list of document names or sources");
				rc = -1;
			} else {
				free(f->sources);
				f->sources = json_dumps(v, JSON_COMPACT);
			}
		} else {
			strbuf_addf(err, "unknown field '%s'", key);
			rc = -1;
		}
		if (rc) {
			if (field)
				*field = key;
			feedback_record_release(f);
			return -1;
		}
	}
	return 0;
}

static int check_utf8(const char *s, const char *name, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	size_t bad = s ? utf8_repair(s, strlen(s), &tmp) : 0;
	strbuf_release(&tmp);
	if (bad)
		strbuf_addf(err, "'%s' is not valid UTF-8", name);
	return bad ? -1 : 0;
}

/* Whether the logged sources (objects with "document", or names) cite `path`. */
static int cited(const json_t *sources, const char *path)
{
	size_t i;
	json_t *s;
	json_array_foreach(sources, i, s)
	{
		const char *doc = json_is_object(s) ? json_string_value(json_object_get(s, "document"))
						    : json_string_value(s);
		if (doc && !strcmp(doc, path))
			return 1;
	}
	return 0;
}

/*
 * One list of judged sources as a JSON array of distinct non-empty paths
 * in the order given, or NULL with the error.
 */
static json_t *path_list(const char *text, const char *name, struct strbuf *err)
{
	json_t *in = json_loads(text, 0, NULL), *out = json_array(), *item;
	size_t i;
	if (!json_is_array(in)) {
		strbuf_addf(err, "'%s' must be a list of document paths", name);
		goto fail;
	}
	json_array_foreach(in, i, item)
	{
		const char *path = json_string_value(item);
		size_t j, len = path ? strlen(path) : 0;
		int dup = 0;
		json_t *seen;
		if (!path) {
			strbuf_addf(err, "'%s' must be a list of document paths, and item %zu is %s",
				    name, i + 1, json_kind(item));
			goto fail;
		}
		if (!len) {
			strbuf_addf(err, "'%s' has an empty path (item %zu)", name, i + 1);
			goto fail;
		}
		if (len > FEEDBACK_MAX_PATH) {
			strbuf_addf(err, "'%s' has a path of %zu bytes (item %zu), over the limit of %d",
				    name, len, i + 1, FEEDBACK_MAX_PATH);
			goto fail;
		}
		json_array_foreach(out, j, seen) dup |= !strcmp(json_string_value(seen), path);
		if (dup)
			continue;
		if (json_array_size(out) == FEEDBACK_MAX_JUDGED) {
			strbuf_addf(err, "'%s' names more than %d documents", name, FEEDBACK_MAX_JUDGED);
			goto fail;
		}
		json_array_append(out, item);
	}
	json_decref(in);
	return out;
fail:
	json_decref(in);
	json_decref(out);
	return NULL;
}

/*
 * Check the sources judged helpful and unhelpful and keep them without
 * duplicates (NULL for an empty list).  A path must be one a document of
 * the store has had, deleted since or not, or one the logged answer cited
 * (a document renamed since): feedback judges real sources, and a typo
 * would otherwise be kept as a judgement of nothing.
 */
static enum feedback_result check_judged(struct store *st, struct feedback_record *f, const char **field,
					 struct strbuf *err)
{
	static const char *const names[] = { "helpful_sources", "unhelpful_sources" };
	char **texts[] = { &f->helpful, &f->unhelpful };
	json_t *lists[2] = { NULL, NULL }, *logged = NULL, *item;
	enum feedback_result ret = FEEDBACK_INVALID;
	size_t j;
	for (int i = 0; i < 2; i++) {
		*field = names[i];
		if (*texts[i] && (check_utf8(*texts[i], names[i], err) ||
				  !(lists[i] = path_list(*texts[i], names[i], err))))
			goto cleanup;
	}
	*field = names[1];
	json_array_foreach(lists[1], j, item)
	{
		if (cited(lists[0], json_string_value(item))) {
			strbuf_addf(err, "'%s' is in both 'helpful_sources' and 'unhelpful_sources'",
				    json_string_value(item));
			goto cleanup;
		}
	}
	if (f->query_id > 0 && f->sources)
		logged = json_loads(f->sources, 0, NULL);
	for (int i = 0; i < 2; i++) {
		*field = names[i];
		json_array_foreach(lists[i], j, item)
		{
			const char *path = json_string_value(item);
			enum lookup known = cited(logged, path)
						    ? LOOKUP_FOUND
						    : store_document_path_known(st, path, err);
			if (known == LOOKUP_FAILED) {
				ret = FEEDBACK_FAILED;
				goto cleanup;
			}
			if (known == LOOKUP_MISSING) {
				strbuf_addf(
					err,
					"'%s' names '%s', which no document in the store has ever had",
					names[i], path);
				goto cleanup;
			}
		}
	}
	for (int i = 0; i < 2; i++) {
		free(*texts[i]);
		*texts[i] = json_array_size(lists[i]) ? json_dumps(lists[i], JSON_COMPACT) : NULL;
	}
	*field = NULL;
	ret = FEEDBACK_OK;
cleanup:
	json_decref(lists[0]);
	json_decref(lists[1]);
	json_decref(logged);
	return ret;
}

/* Records looked at for copies to write again: more than a full disk loses between two records. */
#define COPIES_WINDOW 1000

static char *copy_path(const struct config *cfg, long long id)
{
	return xasprintf("%s/feedback/feedback-%06lld.json", cfg->data_dir, id);
}

/* The record's JSON copy under <data>/feedback/: 0, or -1 with the reason in err. */
static int write_copy(const struct config *cfg, const struct feedback_record *f, struct strbuf *err)
{
	char *dir = xasprintf("%s/feedback", cfg->data_dir);
	char *path = copy_path(cfg, f->id);
	json_t *j = feedback_to_json(f);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int rc = 0;
	if (mkdir_p(dir)) {
		strbuf_addf(err, "cannot create '%s': %s", dir, strerror(errno));
		rc = -1;
	} else {
		rc = write_file_atomic(path, text, strlen(text), err);
	}
	free(text);
	json_decref(j);
	free(path);
	free(dir);
	return rc;
}

/*
 * Copies that a failed write left out (a full disk, a crash between the
 * commit and the file), written again from the store before the record
 * `id`'s own.  Records are numbered without gaps, so a missing copy of the
 * one before is the sign: in the usual case this costs one stat().
 */
static void write_missing_copies(struct store *st, const struct config *cfg, long long id)
{
	char *before = copy_path(cfg, id - 1);
	int missing = id > 1 && access(before, F_OK) != 0;
	free(before);
	if (!missing)
		return;
	/* A copy cut short by a kill may have left its temporary file too. */
	char *dir = xasprintf("%s/feedback", cfg->data_dir);
	remove_stale_temporaries(dir);
	free(dir);
	struct feedback_filter all = { .limit = COPIES_WINDOW };
	struct feedback_record *recs = NULL;
	size_t n = 0, written = 0;
	struct strbuf err = STRBUF_INIT;
	if (store_feedback_list(st, &all, &recs, &n, &err)) {
		log_event(LOG_WARNING, 0, NULL, "feedback",
			  "cannot look for feedback files to write "
			  "again: %s",
			  err.buf);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		if (recs[i].id >= id)
			continue;
		char *path = copy_path(cfg, recs[i].id);
		int there = access(path, F_OK) == 0;
		free(path);
		if (there)
			continue;
		strbuf_reset(&err);
		if (write_copy(cfg, &recs[i], &err)) {
			log_event(LOG_WARNING, 0, NULL, "feedback",
				  "feedback %lld: its JSON copy is "
				  "still missing: %s",
				  recs[i].id, err.buf);
			break;
		}
		written++;
	}
	if (written)
		log_event(LOG_INFO, 0, NULL, "feedback",
			  "wrote the JSON copies of %zu earlier feedback "
			  "records that a failed write had left out",
			  written);
cleanup:
	feedback_records_free(recs, n);
	strbuf_release(&err);
}

/*
 * The convenience copy: the store already holds the record, so a failure
 * is a warning (naming the cause, a full disk say), and the next record
 * writes it again.
 */
static void write_file(struct store *st, const struct config *cfg, const struct feedback_record *f)
{
	struct strbuf err = STRBUF_INIT;
	write_missing_copies(st, cfg, f->id);
	if (write_copy(cfg, f, &err))
		log_event(LOG_WARNING, 0, NULL, "feedback",
			  "feedback %lld is saved, but not its JSON "
			  "copy (written with the next record): %s",
			  f->id, err.buf);
	strbuf_release(&err);
}

enum feedback_result feedback_add(struct store *st, const struct config *cfg, struct feedback_record *f,
				  const char **field, struct strbuf *err)
{
	const char *ignored;
	field = field ? field : &ignored;
	*field = "rating";
	if (f->rating < 1 || f->rating > 5) {
		strbuf_addf(err, "'rating' must be from 1 to 5, not %d", f->rating);
		return FEEDBACK_INVALID;
	}
	*field = "query_id";
	if (f->query_id > 0) {
		char *q = NULL, *a = NULL, *s = NULL;
		switch (store_query_get(st, f->query_id, &q, &a, &s, err)) {
		case LOOKUP_FOUND:
			break;
		case LOOKUP_MISSING:
			strbuf_addf(err, "'query_id' %lld names no logged question", f->query_id);
			return FEEDBACK_INVALID;
		case LOOKUP_FAILED:
			return FEEDBACK_FAILED;
		}
		/* The log knows what was asked and answered; the user's copy is not needed. */
		free(f->question);
		free(f->answer);
		free(f->sources);
		f->question = q;
		f->answer = a;
		f->sources = s;
	}
	*field = !f->question || !*f->question ? "question" : "answer";
	if (!f->question || !*f->question || !f->answer) {
		strbuf_addstr(err, "feedback needs 'query_id', or 'question' and 'answer'");
		return FEEDBACK_INVALID;
	}
	const char *names[] = { "question", "answer", "feedback_text", "corrected_answer", "sources" };
	const char *values[] = { f->question, f->answer, f->text, f->corrected, f->sources };
	const size_t limits[] = { FEEDBACK_MAX_QUESTION, FEEDBACK_MAX_ANSWER, FEEDBACK_MAX_TEXT,
				  FEEDBACK_MAX_ANSWER, SIZE_MAX };
	for (int i = 0; i < 5; i++) {
		*field = names[i];
		if (check_utf8(values[i], names[i], err))
			return FEEDBACK_INVALID;
		if (values[i] && strlen(values[i]) > limits[i]) {
			strbuf_addf(err, "'%s' is %zu bytes, over the limit of %zu", names[i],
				    strlen(values[i]), limits[i]);
			return FEEDBACK_INVALID;
		}
	}
	enum feedback_result judged = check_judged(st, f, field, err);
	if (judged != FEEDBACK_OK)
		return judged;
	if (store_feedback_add(st, f, err))
		return FEEDBACK_FAILED;
	write_file(st, cfg, f);
	return FEEDBACK_OK;
}

/* A stored list of judged sources, or null when none was given (older records too). */
static json_t *judged_json(const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	return j ? j : json_null();
}

json_t *feedback_to_json(const struct feedback_record *f)
{
	char when[40];
	time_iso8601(f->created_at, when, sizeof(when));
	json_t *sources = f->sources ? json_loads(f->sources, 0, NULL) : NULL;
	return json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o}", "id",
			 (json_int_t)f->id, "timestamp", when, "query_id",
			 f->query_id ? json_integer(f->query_id) : json_null(), "question",
			 json_str(f->question), "answer", json_str(f->answer), "sources",
			 sources ? sources : json_array(), "helpful_sources", judged_json(f->helpful),
			 "unhelpful_sources", judged_json(f->unhelpful), "rating", f->rating,
			 "feedback_text", json_str(f->text), "corrected_answer", json_str(f->corrected));
}

/* Scrub every string in `v` but the document paths (a path names a document, it says nothing). */
static void scrub_json(json_t *v, const char *key, size_t *scrubbed)
{
	const char *k;
	json_t *item;
	size_t i;
	if (json_is_string(v) && (!key || strcmp(key, "document"))) {
		char *clean = scrub_text(json_string_value(v), scrubbed);
		json_string_set(v, clean);
		free(clean);
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, item) scrub_json(item, k, scrubbed);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) scrub_json(item, key, scrubbed);
	}
}

json_t *feedback_export_json(const struct feedback_record *f, size_t *scrubbed)
{
	static const char *const text[] = { "question", "answer", "sources", "feedback_text",
					    "corrected_answer" };
	size_t ignored = 0;
	json_t *j = feedback_to_json(f);
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		scrub_json(json_object_get(j, text[i]), !strcmp(text[i], "sources") ? "document" : NULL,
			   scrubbed ? scrubbed : &ignored);
	return j;
}

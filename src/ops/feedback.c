/*
 * Feedback on answers; see feedback.h.
 */
#include "ops/feedback.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "core/xalloc.h"

static int text_field(json_t *v, const char *name, size_t max, char **out, struct strbuf *err)
{
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		strbuf_addf(err, "'%s' must be a string", name);
		return -1;
	}
	if (json_string_length(v) > max) {
		strbuf_addf(err, "'%s' is %zu bytes, over the limit of %zu", name, json_string_length(v), max);
		return -1;
	}
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

int feedback_from_json(json_t *obj, struct feedback_record *f, const char **field,
		       struct strbuf *err)
{
	const char *key;
	json_t *v;
	memset(f, 0, sizeof(*f));
	if (!json_is_object(obj)) {
		strbuf_addstr(err, "the feedback must be a JSON object");
		return -1;
	}
	json_object_foreach(obj, key, v) {
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
		} else if (!strcmp(key, "sources")) {
			size_t i;
			json_t *item;
			int strings = json_is_array(v);
			/* Document names, or the source objects /api/ask returned. */
			json_array_foreach(v, i, item)
				strings &= json_is_string(item) || json_is_object(item);
			if (!strings) {
				strbuf_addstr(err, "'sources' must be a list of document names or sources");
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

static void write_file(const struct config *cfg, const struct feedback_record *f)
{
	char *dir = xasprintf("%s/feedback", cfg->data_dir);
	char *path = xasprintf("%s/feedback-%06lld.json", dir, f->id);
	json_t *j = feedback_to_json(f);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	struct strbuf err = STRBUF_INIT;
	/* A convenience copy: the store already holds the record, so a failure is not fatal. */
	if (mkdir_p(dir) == 0)
		write_file_atomic(path, text, strlen(text), &err);
	strbuf_release(&err);
	free(text);
	json_decref(j);
	free(path);
	free(dir);
}

int feedback_add(struct store *st, const struct config *cfg, struct feedback_record *f,
		 const char **field, struct strbuf *err)
{
	const char *ignored;
	field = field ? field : &ignored;
	*field = "rating";
	if (f->rating < 1 || f->rating > 5) {
		strbuf_addf(err, "'rating' must be from 1 to 5, not %d", f->rating);
		return -1;
	}
	*field = "query_id";
	if (f->query_id > 0) {
		char *q = NULL, *a = NULL, *s = NULL;
		int rc = store_query_get(st, f->query_id, &q, &a, &s, err);
		if (rc == 1)
			strbuf_addf(err, "'query_id' %lld names no logged question", f->query_id);
		if (rc)
			return rc == 1 ? -1 : -2;
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
		return -1;
	}
	const char *names[] = { "question", "answer", "feedback_text", "corrected_answer", "sources" };
	const char *values[] = { f->question, f->answer, f->text, f->corrected, f->sources };
	const size_t limits[] = { FEEDBACK_MAX_QUESTION, FEEDBACK_MAX_ANSWER, FEEDBACK_MAX_TEXT,
				  FEEDBACK_MAX_ANSWER, SIZE_MAX };
	for (int i = 0; i < 5; i++) {
		*field = names[i];
		if (check_utf8(values[i], names[i], err))
			return -1;
		if (values[i] && strlen(values[i]) > limits[i]) {
			strbuf_addf(err, "'%s' is %zu bytes, over the limit of %zu", names[i],
				    strlen(values[i]), limits[i]);
			return -1;
		}
	}
	*field = NULL;
	if (store_feedback_add(st, f, err))
		return -2;
	write_file(cfg, f);
	return 0;
}

json_t *feedback_to_json(const struct feedback_record *f)
{
	char when[40];
	time_iso8601(f->created_at, when, sizeof(when));
	json_t *sources = f->sources ? json_loads(f->sources, 0, NULL) : NULL;
	return json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:i, s:o, s:o}", "id", (json_int_t)f->id,
			 "timestamp", when, "query_id", f->query_id ? json_integer(f->query_id) : json_null(),
			 "question", json_str(f->question), "answer", json_str(f->answer),
			 "sources", sources ? sources : json_array(), "rating", f->rating,
			 "feedback_text", json_str(f->text), "corrected_answer", json_str(f->corrected));
}

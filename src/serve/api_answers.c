/*
 * The API's question routes: ask, and feedback on answers (post, list,
 * export).  Request bodies are JSON objects; an unknown field, a wrong type
 * or a bad value is a 400 that names the field.
 *
 * Feedback leaves the server scrubbed (feedback_export_json): e-mail
 * addresses, phone numbers, keys... become [email], [phone]...  The one
 * way to the text as given is the admin's export with an explicit ?raw=1,
 * as `ragops feedback export --raw` on the command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer/answer.h"
#include "core/hash.h"
#include "core/strutil.h"
#include "core/timeutil.h"
#include "ops/feedback.h"
#include "serve/routes.h"

void api_ask(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	json_t *body = request_object(rq, rp), *v;
	if (!body)
		return;
	struct ask_options ao = { 0 };
	const char *question = NULL, *key;
	json_object_foreach(body, key, v)
	{
		if (!strcmp(key, "question")) {
			if (!json_is_string(v)) {
				reply_error(rp, 400, key, "'question' must be a string");
				goto done;
			}
			question = json_string_value(v);
			if (strlen(question) != json_string_length(v)) {
				reply_error(rp, 400, key, "'question' must not contain NUL characters");
				goto done;
			}
		} else if (!strcmp(key, "retriever")) {
			if (!json_is_string(v)) {
				reply_error(rp, 400, key,
					    "'retriever' must be \"bm25\", \"dense\" or \"hybrid\"");
				goto done;
			}
			ao.retriever = json_string_value(v);
		} else if (!strcmp(key, "k")) {
			json_int_t k = json_integer_value(v);
			if (!json_is_integer(v) || k < 1 || k > 50) {
				reply_error(rp, 400, key, "'k' must be a whole number from 1 to 50");
				goto done;
			}
			ao.sources = (unsigned)k;
		} else {
			reply_error(rp, 400, key, "unknown field '%s' (fields: question, retriever, k)",
				    key);
			goto done;
		}
	}
	if (!question) {
		reply_error(rp, 400, "question", "'question' is missing");
		goto done;
	}
	struct answer a;
	struct strbuf err = STRBUF_INIT;
	switch (answer_question(ctx->store, ctx->cfg, question, &ao, &a, &err)) {
	case ASK_OK:
		reply_json(rp, 200, answer_to_json(&a));
		answer_release(&a);
		break;
	case ASK_BAD_QUESTION:
		reply_error(rp, 400, "question", "%s", err.buf);
		break;
	case ASK_BAD_RETRIEVER:
		reply_error(rp, 400, "retriever", "%s", err.buf);
		break;
	case ASK_NOT_READY:
		reply_error(rp, 503, NULL, "%s", err.buf);
		break;
	case ASK_FAILED:
		/* The store or the answering endpoint: not the client's fault. */
		reply_error(rp, 502, NULL, "%s", err.buf);
		break;
	}
	strbuf_release(&err);
done:
	json_decref(body);
}

/* An Idempotency-Key: 1 to 255 visible ASCII characters (a UUID, say). */
static int key_acceptable(const char *key)
{
	size_t len = strlen(key);
	if (!len || len > 255)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * A request that carries a key its record was saved with: that record
 * again, as it was answered the first time.
 */
static void replay_feedback(struct server_ctx *ctx, long long id, struct reply *rp)
{
	struct feedback_record f;
	struct strbuf err = STRBUF_INIT;
	if (store_feedback_get(ctx->store, id, &f, &err) == LOOKUP_FOUND) {
		reply_header(rp, "Idempotent-Replayed", "true");
		reply_json(rp, 201, feedback_export_json(&f, NULL));
		feedback_record_release(&f);
	} else {
		reply_error(rp, 500, NULL, "cannot read feedback %lld: %s", id, err.buf);
	}
	strbuf_release(&err);
}

void api_feedback_post(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	const char *key = request_header(rq, "Idempotency-Key");
	if (key && !key_acceptable(key)) {
		reply_error(rp, 400, "Idempotency-Key",
			    "an Idempotency-Key is 1 to 255 visible ASCII "
			    "characters (a UUID, say)");
		return;
	}
	json_t *body = request_object(rq, rp);
	if (!body)
		return;
	struct feedback_record f = { 0 };
	struct strbuf err = STRBUF_INIT;
	const char *field = NULL;
	char hash[SHA256_HEX_LEN + 1];
	long long prior = 0;
	int in_transaction = 0;
	enum feedback_result rc = feedback_from_json(body, &f, &field, &err) ? FEEDBACK_INVALID
									     : FEEDBACK_OK;
	if (rc == FEEDBACK_OK && key) {
		/* Same key, same bytes: the same request sent again. */
		sha256_hex(rq->body, rq->body_len, hash);
		switch (store_feedback_key_begin(ctx->store, key, hash, &prior, &err)) {
		case STORE_KEY_NEW:
			in_transaction = 1;
			break;
		case STORE_KEY_REPLAY:
			replay_feedback(ctx, prior, rp);
			goto done;
		case STORE_KEY_REUSED:
			reply_error(rp, 422, "Idempotency-Key",
				    "this Idempotency-Key was used for another "
				    "request (feedback %lld): a new record needs a new key",
				    prior);
			goto done;
		case STORE_KEY_FAILED:
			rc = FEEDBACK_FAILED;
			break;
		}
	}
	if (rc == FEEDBACK_OK)
		rc = feedback_add(ctx->store, ctx->cfg, &f, &field, &err);
	/* With a key, the record and its key are committed together, or neither. */
	if (in_transaction &&
	    store_feedback_key_end(ctx->store, key, hash, rc == FEEDBACK_OK ? f.id : 0, &err) &&
	    rc == FEEDBACK_OK)
		rc = FEEDBACK_FAILED;
	switch (rc) {
	case FEEDBACK_OK:
		/*
		 * The row is committed (synchronous=FULL on the server's
		 * connections).  Scrubbed like every reply of a public route:
		 * the poster has the text, and sees what others are shown.
		 */
		reply_json(rp, 201, feedback_export_json(&f, NULL));
		break;
	case FEEDBACK_INVALID:
		reply_error(rp, 400, field, "%s", err.buf);
		break;
	case FEEDBACK_FAILED:
		reply_error(rp, 500, NULL, "the feedback was not saved: %s", err.buf);
		break;
	}
done:
	feedback_record_release(&f);
	strbuf_release(&err);
	json_decref(body);
}

/* Read ?since=&min_rating=&max_rating=&limit= into `f`; 0, or -1 after a 400. */
static int feedback_filter_args(const struct request *rq, struct reply *rp, struct feedback_filter *f,
				unsigned default_limit)
{
	const char *since = request_arg(rq, "since");
	const char *names[] = { "min_rating", "max_rating", "limit" };
	long long v;
	memset(f, 0, sizeof(*f));
	f->limit = default_limit;
	if (since) {
		long long ms = parse_duration_ms(since);
		if (ms <= 0) {
			reply_error(rp, 400, "since",
				    "'since' must be a duration like 30m, 24h or 7d, not '%s'", since);
			return -1;
		}
		f->since_ms = time_now_ms() - ms;
	}
	for (int i = 0; i < 3; i++) {
		const char *arg = request_arg(rq, names[i]);
		if (!arg)
			continue;
		long long max = i < 2 ? 5 : 10000;
		if (parse_ll(arg, &v) || v < 1 || v > max) {
			reply_error(rp, 400, names[i], "'%s' must be a whole number from 1 to %lld",
				    names[i], max);
			return -1;
		}
		if (i == 0)
			f->min_rating = (int)v;
		else if (i == 1)
			f->max_rating = (int)v;
		else
			f->limit = (unsigned)v;
	}
	return 0;
}

void api_feedback_list(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	struct feedback_filter filter;
	struct feedback_record *items = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	/* A public route: scrubbed always, so asking for more is an error, not a silent no. */
	if (request_arg(rq, "raw")) {
		reply_error(rp, 400, "raw",
			    "GET /api/feedback is scrubbed always; the text as given is "
			    "GET /api/feedback/export?raw=1 (admin)");
		return;
	}
	if (feedback_filter_args(rq, rp, &filter, 100))
		return;
	if (store_feedback_list(ctx->store, &filter, &items, &n, &err)) {
		reply_error(rp, 500, NULL, "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, feedback_export_json(&items[i], NULL));
	reply_json(rp, 200, json_pack("{s:o}", "items", arr));
	feedback_records_free(items, n);
}

void api_feedback_export(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	const char *format = request_arg(rq, "format"), *raw = request_arg(rq, "raw");
	struct feedback_filter filter;
	struct feedback_record *items = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	format = format ? format : "jsonl";
	if (strcmp(format, "jsonl") && strcmp(format, "json")) {
		reply_error(rp, 400, "format", "'format' must be jsonl or json, not '%s'", format);
		return;
	}
	if (raw && strcmp(raw, "1") && strcmp(raw, "0")) {
		reply_error(rp, 400, "raw",
			    "'raw' must be 1 (the text as given) or 0 (scrubbed), not '%s'", raw);
		return;
	}
	int as_given = raw && !strcmp(raw, "1");
	if (feedback_filter_args(rq, rp, &filter, 0))
		return;
	if (store_feedback_list(ctx->store, &filter, &items, &n, &err)) {
		reply_error(rp, 500, NULL, "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	int lines = !strcmp(format, "jsonl");
	strbuf_addstr(&out, lines ? "" : "[");
	for (size_t i = 0; i < n; i++) {
		json_t *j = as_given ? feedback_to_json(&items[i])
				     : feedback_export_json(&items[i], NULL);
		char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
		strbuf_addf(&out, "%s%s%s", !lines && i ? "," : "", text, lines ? "\n" : "");
		free(text);
	}
	strbuf_addstr(&out, lines ? "" : "]\n");
	feedback_records_free(items, n);
	reply_header(rp, "Content-Disposition", "attachment; filename=\"ragops-feedback.%s\"", format);
	size_t len = out.len;
	reply_text(rp, 200, lines ? "application/x-ndjson" : "application/json",
		   strbuf_detach(&out, NULL), len);
}

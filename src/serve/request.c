/*
 * The request and reply values of server.h: fields looked up by name,
 * replies made of text, JSON or an error (see server.h).  Nothing here
 * knows the connection.
 */
#include "serve/server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/strbuf.h"
#include "core/utf8.h"
#include "core/xalloc.h"

/* The first field named `name` (any case, as libmicrohttpd looks them up). */
static const char *field_value(const struct request_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(f[i].name, name))
			return f[i].value;
	return NULL;
}

const char *request_arg(const struct request *rq, const char *name)
{
	return field_value(rq->args, rq->nargs, name);
}

const char *request_header(const struct request *rq, const char *name)
{
	return field_value(rq->headers, rq->nheaders, name);
}

void reply_header(struct reply *rp, const char *name, const char *fmt, ...)
{
	if (rp->nheaders == REPLY_MAX_HEADERS)
		return;
	va_list ap;
	va_start(ap, fmt);
	rp->headers[rp->nheaders].name = name;
	vsnprintf(rp->headers[rp->nheaders].value, sizeof(rp->headers[0].value), fmt, ap);
	va_end(ap);
	rp->nheaders++;
}

void reply_text(struct reply *rp, int status, const char *content_type, char *text, size_t len)
{
	free(rp->body);
	rp->status = status;
	rp->content_type = content_type;
	rp->body = text;
	rp->len = len;
}

/*
 * How deep `text` nests arrays and objects, counting no deeper than
 * `limit` + 1: jansson recurses once per level (up to 2048), this does not.
 */
static int json_depth(const char *text, size_t len, int limit)
{
	int depth = 0, deepest = 0, in_string = 0;
	for (size_t i = 0; i < len && deepest <= limit; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > deepest)
				deepest = depth;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return deepest;
}

json_t *request_object(const struct request *rq, struct reply *rp)
{
	json_error_t je;
	if (!rq->body_len) {
		reply_error(rp, 400, NULL, "the request needs a JSON object as its body");
		return NULL;
	}
	if (json_depth(rq->body, rq->body_len, REQUEST_JSON_MAX_DEPTH) > REQUEST_JSON_MAX_DEPTH) {
		reply_error(rp, 400, NULL, "the JSON body nests deeper than %d levels",
			    REQUEST_JSON_MAX_DEPTH);
		return NULL;
	}
	json_t *j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		reply_error(rp, 400, NULL, "invalid JSON at line %d, column %d: %s", je.line, je.column,
			    je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		reply_error(rp, 400, NULL, "the body must be a JSON object, not %s",
			    json_is_array(j) ? "an array" : "a single value");
		json_decref(j);
		return NULL;
	}
	return j;
}

void reply_json(struct reply *rp, int status, json_t *j)
{
	/* Ten digits: 0.1, not 0.10000000000000001. */
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(j);
	if (!text) {
		reply_text(rp, 500, "application/json",
			   xstrdup("{\"error\":\"cannot encode the reply\"}"), 35);
		return;
	}
	reply_text(rp, status, "application/json", text, strlen(text));
}

void reply_error(struct reply *rp, int status, const char *field, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT, clean = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	/*
	 * Messages quote what the client sent (a path, a Host header, cut at a
	 * byte count): JSON needs valid UTF-8, or the error itself would fail.
	 */
	utf8_repair(msg.buf, msg.len, &clean);
	json_t *j = json_pack("{s:s%}", "error", clean.buf, clean.len);
	if (field)
		json_object_set_new(j, "field", json_string(field));
	strbuf_release(&msg);
	strbuf_release(&clean);
	reply_json(rp, status, j);
}

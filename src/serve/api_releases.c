/*
 * The API's release routes: the list, one release, promote (admin) and
 * rollback (admin).  Promotion goes through the same gate as the CLI's,
 * recorded as done by "api".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/releases.h"
#include "serve/routes.h"

void api_releases(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	const char *arg = request_arg(rq, "limit");
	char *end = NULL;
	long limit = arg ? strtol(arg, &end, 10) : 50;
	if (arg && (!*arg || *end || limit < 1 || limit > 1000)) {
		reply_error(rp, 400, "limit", "'limit' must be a whole number from 1 to 1000");
		return;
	}
	json_t *arr;
	struct strbuf err = STRBUF_INIT;
	if (releases_json(ctx->store, (unsigned)limit, &arr, &err))
		reply_error(rp, 500, NULL, "%s", err.buf);
	else
		reply_json(rp, 200,
			   json_pack("{s:o, s:I}", "items", arr, "production",
				     (json_int_t)store_release_production_id(ctx->store, &err)));
	strbuf_release(&err);
}

void api_release(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	json_t *r;
	struct strbuf err = STRBUF_INIT;
	switch (release_detail_json(ctx->store, rq->path_id, &r, &err)) {
	case LOOKUP_FOUND:
		reply_json(rp, 200, r);
		break;
	case LOOKUP_MISSING:
		reply_error(rp, 404, NULL, "no release %lld", rq->path_id);
		break;
	case LOOKUP_FAILED:
		reply_error(rp, 500, NULL, "%s", err.buf);
		break;
	}
	strbuf_release(&err);
}

/* {"reason": "...", "force": true} -- both optional; 0, or -1 after a 400. */
static int action_body(const struct request *rq, struct reply *rp, int allow_force,
		       struct release_action *a, json_t **body)
{
	json_t *v;
	const char *key;
	*body = NULL;
	if (!rq->body_len)
		return 0;
	*body = request_object(rq, rp);
	if (!*body)
		return -1;
	json_object_foreach(*body, key, v)
	{
		if (!strcmp(key, "reason") && (json_is_string(v) || json_is_null(v))) {
			a->reason = json_string_value(v);
		} else if (allow_force && !strcmp(key, "force") && json_is_boolean(v)) {
			a->forced = json_is_true(v);
		} else {
			if (!strcmp(key, "reason"))
				reply_error(rp, 400, key, "'reason' must be a string");
			else if (allow_force && !strcmp(key, "force"))
				reply_error(rp, 400, key, "'force' must be true or false");
			else
				reply_error(rp, 400, key, "unknown field '%s' (fields: reason%s)", key,
					    allow_force ? ", force" : "");
			json_decref(*body);
			*body = NULL;
			return -1;
		}
	}
	return 0;
}

void api_release_promote(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	struct release_action a = { .actor = "api" };
	json_t *body;
	if (action_body(rq, rp, 1, &a, &body))
		return;
	struct strbuf msg = STRBUF_INIT, err = STRBUF_INIT;
	long long from = store_release_production_id(ctx->store, &err);
	enum promote_result rc = release_promote(ctx->store, ctx->cfg, rq->path_id, &a, &msg, &err);
	switch (rc) {
	case PROMOTE_DONE:
		reply_json(rp, 200,
			   json_pack("{s:b, s:I, s:o, s:b, s:s}", "promoted", 1, "release",
				     (json_int_t)rq->path_id, "previous",
				     from > 0 ? json_integer(from) : json_null(), "forced", a.forced,
				     "message", msg.buf));
		break;
	case PROMOTE_REFUSED:
		reply_error(rp, 409, NULL, "release %lld refused: %s; production unchanged", rq->path_id,
			    msg.buf);
		break;
	case PROMOTE_ALREADY:
	case PROMOTE_MOVED:
		reply_error(rp, 409, NULL, "%s", err.buf);
		break;
	case PROMOTE_NO_SUCH:
		reply_error(rp, 404, NULL, "no release %lld", rq->path_id);
		break;
	case PROMOTE_FAILED:
		reply_error(rp, 500, NULL, "%s", err.buf);
		break;
	}
	strbuf_release(&msg);
	strbuf_release(&err);
	json_decref(body);
}

void api_rollback(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	struct release_action a = { .actor = "api" };
	json_t *body;
	if (action_body(rq, rp, 0, &a, &body))
		return;
	struct strbuf err = STRBUF_INIT;
	long long from, to;
	switch (store_release_rollback(ctx->store, &a, &from, &to, &err)) {
	case STORE_RELEASE_CHANGED:
		reply_json(rp, 200,
			   json_pack("{s:I, s:I}", "from", (json_int_t)from, "to", (json_int_t)to));
		break;
	case STORE_RELEASE_NO_SUCH: /* nothing to roll back to */
	case STORE_RELEASE_ALREADY:
	case STORE_RELEASE_MOVED:
	case STORE_RELEASE_DECIDED:
		reply_error(rp, 409, NULL, "%s", err.buf);
		break;
	case STORE_RELEASE_FAILED:
		reply_error(rp, 500, NULL, "%s", err.buf);
		break;
	}
	strbuf_release(&err);
	json_decref(body);
}

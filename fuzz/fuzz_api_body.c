/*
 * Fuzz target: the JSON bodies of the HTTP API, through the handlers
 * themselves (no socket: a struct request carries the body).  The first
 * byte picks the route, the rest is the body:
 *   0  POST /api/ask                 api_ask
 *   1  POST /api/feedback            request_object + feedback_from_json
 *   2  POST /api/releases/1/promote  api_release_promote
 *   3  POST /api/rollback            api_rollback
 *   4  json_str on raw bytes (a file name from an old archive)
 * The store is an empty one in a temporary folder, so ask answers "not
 * ready" and promote "no such release" once the body has passed; what is
 * checked is that every reply is a status the client caused (400, or the
 * empty store's answer, never a 5xx) with a JSON body.
 *
 * Not reached: api_feedback_post itself, because a valid body saves a row
 * and a file per input (its validation before saving, feedback_add, is
 * therefore not fuzzed); handlers reading the query string
 * (request_arg needs a libmicrohttpd connection).
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/xalloc.h"
#include "fuzz.h"
#include "ops/feedback.h"
#include "serve/routes.h"
#include "serve/server.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char data_dir[] = "/tmp/ragops-fuzz-api-XXXXXX";
static struct store *store;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_data_dir(void)
{
	store_close(&store);
	nftw(data_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct store *empty_store(void)
{
	if (store)
		return store;
	struct strbuf err = STRBUF_INIT;
	if (!mkdtemp(data_dir) || store_open(&store, data_dir, &err)) {
		fprintf(stderr, "fuzz: cannot open a store in '%s': %s\n", data_dir, err.buf);
		abort();
	}
	strbuf_release(&err);
	atexit(remove_data_dir);
	return store;
}

/* The reply is one of `allowed` (0-terminated) and carries a JSON object. */
static void check_reply(const struct reply *rp, const int *allowed)
{
	int ok = 0;
	for (const int *s = allowed; *s; s++)
		ok |= rp->status == *s;
	FUZZ_CHECK(ok, "unexpected status %d: %.*s", rp->status, (int)rp->len, rp->body ? rp->body : "");
	json_t *j = rp->body ? json_loadb(rp->body, rp->len, 0, NULL) : NULL;
	FUZZ_CHECK(json_is_object(j), "the reply is not a JSON object: %.*s", (int)rp->len,
		   rp->body ? rp->body : "(none)");
	json_decref(j);
}

static void feedback(const struct request *rq, struct reply *rp)
{
	json_t *body = request_object(rq, rp);
	if (!body)
		return;
	struct feedback_record f = { 0 };
	struct strbuf err = STRBUF_INIT;
	const char *field = NULL;
	if (feedback_from_json(body, &f, &field, &err)) {
		FUZZ_CHECK(err.len && field, "a refused feedback names no field or cause");
		reply_error(rp, 400, field, "%s", err.buf);
	} else {
		reply_json(rp, 201, feedback_to_json(&f));
	}
	feedback_record_release(&f);
	strbuf_release(&err);
	json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	/* The server hands handlers a NUL-terminated body. */
	char *body = xmalloc(size);
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	struct request rq = {
		.method = "POST", .client = "127.0.0.1", .body = body, .body_len = size - 1, .path_id = 1
	};
	struct reply rp = { 0 };
	struct server_ctx ctx = { .cfg = fuzz_config(), .store = empty_store() };

	switch (data[0] % 5) {
	case 0:
		rq.path = "/api/ask";
		api_ask(&ctx, &rq, &rp);
		check_reply(&rp, (const int[]){ 400, 503, 0 });
		break;
	case 1:
		rq.path = "/api/feedback";
		feedback(&rq, &rp);
		check_reply(&rp, (const int[]){ 400, 201, 0 });
		break;
	case 2:
		rq.path = "/api/releases/1/promote";
		api_release_promote(&ctx, &rq, &rp);
		check_reply(&rp, (const int[]){ 400, 404, 0 });
		break;
	case 3:
		rq.path = "/api/rollback";
		api_rollback(&ctx, &rq, &rp);
		check_reply(&rp, (const int[]){ 400, 409, 0 });
		break;
	case 4: {
		json_t *j = json_str(body);
		FUZZ_CHECK(json_is_string(j), "json_str gave no string");
		json_decref(j);
		break;
	}
	}
	free(rp.body);
	free(body);
	return 0;
}

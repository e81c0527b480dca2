/*
 * Unit tests for the server's request handling without a socket
 * (serve/server.h): requests are built as structs and answered by
 * server_handle on a server opened over a fresh store, as the h2o tests
 * call handlers through a loopback connection.  The route table decides
 * who may call every route; every admin route refuses a missing or wrong
 * token; the host check; a path or header that is not UTF-8; bodies too
 * large or nested too deep; the Idempotency-Key of POST /api/feedback,
 * from one client and from two at once; feedback leaving scrubbed; the
 * server short of memory (its reserve spent, SQLite out of memory), with
 * faults from RAGOPS_FAULTS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/config.h"
#include "core/fault.h"
#include "core/mem_reserve.h"
#include "serve/routes.h"
#include "serve/server.h"
#include "serve/server_state.h"
#include "serve/store_pool.h"

#define TOKEN     "unit-test-token-0123456789"
#define TOKEN_ENV "RAGOPS_TEST_SERVE_TOKEN"

struct fixture {
	char dir[64];
	struct config cfg;
	struct server srv;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct strbuf err = STRBUF_INIT;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ragops-test-serve-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	config_init(&f->cfg);
	if (config_set(&f->cfg, "data_dir", f->dir, "test", &err) ||
	    config_set(&f->cfg, "serve.token_env", TOKEN_ENV, "test", &err) ||
	    config_set(&f->cfg, "serve.rate_limit", "0", "test", &err)) {
		fprintf(stderr, "config: %s\n", err.buf);
		return -1;
	}
	setenv(TOKEN_ENV, TOKEN, 1);
	if (server_open(&f->srv, &f->cfg, NULL, &err)) {
		fprintf(stderr, "server_open: %s\n", err.buf);
		return -1;
	}
	f->srv.loopback = 1;
	strbuf_release(&err);
	*state = f;
	return 0;
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		char path[512];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			remove_tree(path);
		else
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	server_close(&f->srv);
	config_release(&f->cfg);
	remove_tree(f->dir);
	free(f);
	return 0;
}

/* A request as the server would build it; at most 4 headers. */
struct test_request {
	struct request rq;
	struct request_field headers[4];
};

static void request_init(struct test_request *t, const char *method, const char *path, const char *body)
{
	memset(t, 0, sizeof(*t));
	t->rq.method = method;
	t->rq.path = path;
	t->rq.client = "127.0.0.1";
	t->rq.body = body ? body : "";
	t->rq.body_len = body ? strlen(body) : 0;
	t->rq.headers = t->headers;
	t->headers[t->rq.nheaders++] = (struct request_field){ "Host", "127.0.0.1:8750" };
	if (body)
		t->headers[t->rq.nheaders++] = (struct request_field){ "Content-Type",
								       "application/json" };
}

static void request_add_header(struct test_request *t, const char *name, const char *value)
{
	assert_true(t->rq.nheaders < 4);
	t->headers[t->rq.nheaders++] = (struct request_field){ name, value };
}

/* Answer `t`; the reply's body, parsed (it must be JSON), in *json when not NULL. */
static int handle(struct fixture *f, struct test_request *t, struct reply *rp, json_t **json)
{
	memset(rp, 0, sizeof(*rp));
	server_handle(&f->srv, &t->rq, rp);
	if (json) {
		json_error_t je;
		*json = json_loadb(rp->body, rp->len, 0, &je);
		if (!*json)
			fail_msg("reply %d is not JSON (%s): %.*s", rp->status, je.text, (int)rp->len,
				 rp->body);
	}
	return rp->status;
}

static const char *reply_header_value(const struct reply *rp, const char *name)
{
	for (int i = 0; i < rp->nheaders; i++)
		if (!strcasecmp(rp->headers[i].name, name))
			return rp->headers[i].value;
	return NULL;
}

/* --- the route table ------------------------------------------------------ */

/*
 * Every route says who may call it: the admin token, or anyone.  A route
 * added without saying fails here (and is treated as admin by the server).
 */
static void test_every_route_decides_who_calls_it(void **state)
{
	for (int i = 0; i < nroutes; i++) {
		unsigned who = routes[i].flags & (ROUTE_ADMIN | ROUTE_PUBLIC);
		if (who != ROUTE_ADMIN && who != ROUTE_PUBLIC)
			fail_msg("route %s %s says neither ROUTE_ADMIN nor ROUTE_PUBLIC (or both)",
				 routes[i].method, routes[i].pattern);
	}
}

/*
 * The routes anyone may write through are these two, reviewed: asking
 * (it logs the question) and rating an answer.  Any other write needs the
 * token unless this list is changed on purpose.
 */
static void test_public_writes_are_the_reviewed_ones(void **state)
{
	static const char *const reviewed[] = { "/api/ask", "/api/feedback" };
	for (int i = 0; i < nroutes; i++) {
		if (!strcmp(routes[i].method, "GET") || (routes[i].flags & ROUTE_ADMIN))
			continue;
		int ok = 0;
		for (size_t k = 0; k < sizeof(reviewed) / sizeof(reviewed[0]); k++)
			ok |= !strcmp(routes[i].pattern, reviewed[k]);
		if (!ok)
			fail_msg("%s %s writes without the admin token: make it ROUTE_ADMIN, or add it to "
				 "the reviewed public writes",
				 routes[i].method, routes[i].pattern);
	}
}

/* "/api/runs/{id}" -> "/api/runs/1", "/api/deployments/{name}/run" -> ".../nightly/run" */
static void concrete_path(const char *pattern, char *out, size_t len)
{
	const char *id = strstr(pattern, "{id}"), *name = strstr(pattern, "{name}");
	if (id)
		snprintf(out, len, "%.*s1%s", (int)(id - pattern), pattern, id + 4);
	else if (name)
		snprintf(out, len, "%.*snightly%s", (int)(name - pattern), pattern, name + 6);
	else
		snprintf(out, len, "%s", pattern);
}

/* Every admin route of the table, without the token and with wrong ones: 401, the handler never runs. */
static void test_admin_routes_refuse_missing_and_wrong_tokens(void **state)
{
	struct fixture *f = *state;
	static const char *const wrong[] = {
		NULL,
		"Bearer wrong",
		"Bearer " TOKEN "x",
		"Bearer "
		"unit-test-token-012345678",
		"Basic " TOKEN,
		"bearer " TOKEN,
		"Bearer",
		"",
	};
	int admin = 0;
	for (int i = 0; i < nroutes; i++) {
		if ((routes[i].flags & (ROUTE_ADMIN | ROUTE_PUBLIC)) == ROUTE_PUBLIC)
			continue;
		admin++;
		char path[128];
		concrete_path(routes[i].pattern, path, sizeof(path));
		for (size_t k = 0; k < sizeof(wrong) / sizeof(wrong[0]); k++) {
			struct test_request t;
			struct reply rp;
			json_t *j;
			request_init(&t, routes[i].method, path,
				     strcmp(routes[i].method, "GET") ? "{}" : NULL);
			if (wrong[k])
				request_add_header(&t, "Authorization", wrong[k]);
			if (handle(f, &t, &rp, &j) != 401)
				fail_msg("%s %s with Authorization '%s': %d, wanted 401",
					 routes[i].method, path, wrong[k] ? wrong[k] : "(none)",
					 rp.status);
			assert_non_null(reply_header_value(&rp, "WWW-Authenticate"));
			json_decref(j);
			free(rp.body);
		}
	}
	assert_true(admin >= 5); /* export, runs, promote, rollback, retrain */
}

/* With no token configured, admin routes are off: 403 whatever is sent. */
static void test_admin_routes_off_without_a_token(void **state)
{
	struct fixture *f = *state;
	struct server off;
	struct strbuf err = STRBUF_INIT;
	unsetenv(TOKEN_ENV);
	assert_int_equal(server_open(&off, &f->cfg, NULL, &err), 0);
	setenv(TOKEN_ENV, TOKEN, 1);
	off.loopback = 1;
	for (int i = 0; i < nroutes; i++) {
		if (!(routes[i].flags & ROUTE_ADMIN))
			continue;
		char path[128];
		struct test_request t;
		struct reply rp = { 0 };
		concrete_path(routes[i].pattern, path, sizeof(path));
		request_init(&t, routes[i].method, path, NULL);
		request_add_header(&t, "Authorization", "Bearer " TOKEN);
		server_handle(&off, &t.rq, &rp);
		if (rp.status != 403)
			fail_msg("%s %s with admin routes off: %d, wanted 403", routes[i].method, path,
				 rp.status);
		free(rp.body);
	}
	server_close(&off);
	strbuf_release(&err);
}

/* The right token passes the check (what the handler then says is its business). */
static void test_admin_route_with_the_token(void **state)
{
	struct fixture *f = *state;
	struct test_request t;
	struct reply rp;
	request_init(&t, "GET", "/api/feedback/export", NULL);
	request_add_header(&t, "Authorization", "Bearer " TOKEN);
	assert_int_equal(handle(f, &t, &rp, NULL), 200);
	free(rp.body);
}

/* --- checks every request passes ----------------------------------------- */

static void test_host_check(void **state)
{
	struct fixture *f = *state;
	struct test_request t;
	struct reply rp;
	json_t *j;
	/* HTTP/1.0 may send no Host: on loopback that is not a request for localhost. */
	request_init(&t, "GET", "/api/runs", NULL);
	t.rq.nheaders = 0;
	assert_int_equal(handle(f, &t, &rp, &j), 403);
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "no Host header"));
	json_decref(j);
	free(rp.body);
	request_init(&t, "GET", "/api/runs", NULL);
	t.headers[0].value = "rebound.example";
	assert_int_equal(handle(f, &t, &rp, NULL), 403);
	free(rp.body);
	for (int i = 0; i < 3; i++) {
		static const char *const fine[] = { "localhost", "LOCALHOST:8750", "[::1]:8750" };
		request_init(&t, "GET", "/api/runs", NULL);
		t.headers[0].value = fine[i];
		assert_int_equal(handle(f, &t, &rp, NULL), 200);
		free(rp.body);
	}
	/* Not on loopback, the host is not checked (a proxy in front names it). */
	f->srv.loopback = 0;
	request_init(&t, "GET", "/api/runs", NULL);
	t.rq.nheaders = 0;
	assert_int_equal(handle(f, &t, &rp, NULL), 200);
	free(rp.body);
	f->srv.loopback = 1;
}

/* A path or header that is not UTF-8 is quoted in the error all the same: 404/403, not 500. */
static void test_errors_quote_bytes_that_are_not_utf8(void **state)
{
	struct fixture *f = *state;
	struct test_request t;
	struct reply rp;
	json_t *j;
	/* GET /%c0%ae%c0%ae/etc/passwd, as libmicrohttpd decodes it */
	request_init(&t, "GET", "/\xc0\xae\xc0\xae/etc/passwd", NULL);
	assert_int_equal(handle(f, &t, &rp, &j), 404);
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "/etc/passwd"));
	json_decref(j);
	free(rp.body);
	request_init(&t, "GET", "/api/\xff", NULL);
	assert_int_equal(handle(f, &t, &rp, &j), 404);
	json_decref(j);
	free(rp.body);
	/* 59 ASCII bytes, then a character of two: the message cuts the Host at 60 bytes. */
	request_init(&t, "GET", "/api/runs", NULL);
	t.headers[0]
		.value = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9.example";
	assert_int_equal(handle(f, &t, &rp, &j), 403);
	json_decref(j);
	free(rp.body);
}

static void test_body_too_large(void **state)
{
	struct fixture *f = *state;
	struct test_request t;
	struct reply rp;
	request_init(&t, "POST", "/api/ask", "{\"question\": \"ISO ?\"}");
	t.rq.too_large = 1;
	assert_int_equal(handle(f, &t, &rp, NULL), 413);
	free(rp.body);
}

static char *nested(const char *head, int depth, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s = malloc(hl + 2 * (size_t)depth + tl + 1);
	memcpy(s, head, hl);
	memset(s + hl, '[', (size_t)depth);
	memset(s + hl + depth, ']', (size_t)depth);
	memcpy(s + hl + 2 * depth, tail, tl + 1);
	return s;
}

/* Deep JSON is refused before it is parsed; brackets inside strings do not count. */
static void test_json_depth(void **state)
{
	struct fixture *f = *state;
	struct test_request t;
	struct reply rp;
	json_t *j;
	char *deep = nested("", 100000, "");
	request_init(&t, "POST", "/api/ask", deep);
	assert_int_equal(handle(f, &t, &rp, &j), 400);
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "deeper than 32"));
	json_decref(j);
	free(rp.body);
	free(deep);

	/* 31 arrays inside the object: 32 levels, accepted (the field is then refused by name). */
	char *ok = nested("{\"k\": ", REQUEST_JSON_MAX_DEPTH - 1, "}");
	request_init(&t, "POST", "/api/ask", ok);
	memset(&rp, 0, sizeof(rp));
	json_t *obj = request_object(&t.rq, &rp);
	assert_non_null(obj);
	json_decref(obj);
	free(ok);
	char *over = nested("{\"k\": ", REQUEST_JSON_MAX_DEPTH, "}");
	request_init(&t, "POST", "/api/ask", over);
	memset(&rp, 0, sizeof(rp));
	assert_null(request_object(&t.rq, &rp));
	assert_int_equal(rp.status, 400);
	free(rp.body);
	free(over);

	char text[400];
	snprintf(text, sizeof(text), "{\"question\": \"%s \\\" %s\"}",
		 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		 "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{");
	request_init(&t, "POST", "/api/ask", text);
	memset(&rp, 0, sizeof(rp));
	obj = request_object(&t.rq, &rp);
	assert_non_null(obj);
	json_decref(obj);
}

static void test_request_fields(void **state)
{
	struct request_field h[] = { { "Content-Type", "a" }, { "content-type", "b" }, { "X", NULL } };
	struct request_field a[] = { { "limit", "5" }, { "flag", NULL } };
	struct request rq = { .headers = h, .nheaders = 3, .args = a, .nargs = 2 };
	assert_string_equal(request_header(&rq, "CONTENT-TYPE"), "a");
	assert_null(request_header(&rq, "X"));
	assert_null(request_header(&rq, "Y"));
	assert_string_equal(request_arg(&rq, "limit"), "5");
	assert_null(request_arg(&rq, "flag"));
	assert_null(request_arg(&rq, "offset"));
}

static void test_healthz(void **state)
{
	struct fixture *f = *state;
	struct test_request t;
	struct reply rp;
	json_t *j;
	request_init(&t, "GET", "/healthz", NULL);
	assert_int_equal(handle(f, &t, &rp, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "alive");
	json_decref(j);
	free(rp.body);
}

/* Each public route on an empty store, called as a client would: status and JSON. */
static void test_routes_on_an_empty_store(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *method, *path, *body;
		int status;
	} cases[] = {
		{ "GET", "/api/runs", NULL, 200 },
		{ "GET", "/api/runs?limit=0", NULL, 400 },
		{ "GET", "/api/runs/7", NULL, 404 },
		{ "GET", "/api/runs/0", NULL, 404 },
		{ "GET", "/api/documents", NULL, 200 },
		{ "GET", "/api/feedback", NULL, 200 },
		{ "GET", "/api/feedback?min_rating=9", NULL, 400 },
		{ "GET", "/api/releases", NULL, 200 },
		{ "GET", "/api/releases/3", NULL, 404 },
		{ "GET", "/api/metrics/summary", NULL, 200 },
		{ "GET", "/api/metrics/summary?window=soon", NULL, 400 },
		{ "GET", "/api/retrain", NULL, 200 },
		{ "GET", "/api/retrain/5", NULL, 404 },
		{ "GET", "/readyz", NULL, 503 },
		{ "GET", "/health", NULL, 503 },
		{ "HEAD", "/healthz", NULL, 200 },
		{ "POST", "/api/ask", "{\"question\": \"ISO ?\"}", 503 },
		{ "POST", "/api/ask", "{\"question\": 3}", 400 },
		{ "POST", "/api/ask", "[1]", 400 },
		{ "POST", "/api/ask", "{\"question\": \"ISO\"", 400 },
		{ "POST", "/api/feedback", "{\"rating\": 3}", 400 },
		{ "DELETE", "/api/runs", NULL, 405 },
		{ "GET", "/api/ask", NULL, 405 },
		{ "GET", "/api/nowhere", NULL, 404 },
		{ "POST", "/index.html", NULL, 405 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct test_request t;
		struct reply rp;
		json_t *j = NULL;
		char path[64];
		const char *q = strchr(cases[i].path, '?');
		struct request_field arg;
		snprintf(path, sizeof(path), "%.*s",
			 (int)(q ? q - cases[i].path : (long)strlen(cases[i].path)), cases[i].path);
		request_init(&t, cases[i].method, path, cases[i].body);
		if (q) {
			/* "?name=value", as libmicrohttpd splits it */
			static char name[32], value[32];
			sscanf(q + 1, "%31[^=]=%31s", name, value);
			arg = (struct request_field){ name, value };
			t.rq.args = &arg;
			t.rq.nargs = 1;
		}
		int status = handle(f, &t, &rp, &j);
		if (status != cases[i].status)
			fail_msg("%s %s: %d, wanted %d: %.*s", cases[i].method, cases[i].path, status,
				 cases[i].status, (int)rp.len, rp.body);
		if (status == 405)
			assert_non_null(reply_header_value(&rp, "Allow"));
		json_decref(j);
		free(rp.body);
	}
}

/* --- Idempotency-Key on POST /api/feedback ------------------------------- */

static size_t feedback_rows(struct fixture *f)
{
	struct feedback_filter all = { 0 };
	struct feedback_record *items = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;
	struct store *st = store_pool_get(f->srv.pool);
	assert_int_equal(store_feedback_list(st, &all, &items, &n, &err), 0);
	store_pool_put(f->srv.pool, st);
	feedback_records_free(items, n);
	strbuf_release(&err);
	return n;
}

static int post_feedback(struct fixture *f, const char *key, const char *body, struct reply *rp)
{
	struct test_request t;
	request_init(&t, "POST", "/api/feedback", body);
	if (key)
		request_add_header(&t, "Idempotency-Key", key);
	return handle(f, &t, rp, NULL);
}

#define FB1 "{\"question\": \"Qu'est-ce que l'ISO ?\", \"answer\": \"La sensibilité.\", \"rating\": 4}"
#define FB2 "{\"question\": \"Qu'est-ce que l'ISO ?\", \"answer\": \"La sensibilité.\", \"rating\": 2}"

static void test_idempotency_key(void **state)
{
	struct fixture *f = *state;
	struct reply first, again, other;
	assert_int_equal(post_feedback(f, "3f2c9e1a-key-1", FB1, &first), 201);
	assert_null(reply_header_value(&first, "Idempotent-Replayed"));
	assert_int_equal(post_feedback(f, "3f2c9e1a-key-1", FB1, &again), 201);
	/* The same reply, byte for byte, and no second row. */
	assert_int_equal(again.len, first.len);
	assert_memory_equal(again.body, first.body, first.len);
	assert_string_equal(reply_header_value(&again, "Idempotent-Replayed"), "true");
	assert_int_equal(feedback_rows(f), 1);
	/* The same key for another body: 422, nothing saved. */
	assert_int_equal(post_feedback(f, "3f2c9e1a-key-1", FB2, &other), 422);
	assert_non_null(strstr(other.body, "Idempotency-Key"));
	assert_int_equal(feedback_rows(f), 1);
	free(first.body);
	free(again.body);
	free(other.body);

	/* Without a key, each post is a record. */
	assert_int_equal(post_feedback(f, NULL, FB1, &first), 201);
	assert_int_equal(post_feedback(f, NULL, FB1, &again), 201);
	assert_int_equal(feedback_rows(f), 3);
	free(first.body);
	free(again.body);

	/* A refused body does not use its key up: the corrected one is saved with it. */
	assert_int_equal(post_feedback(f, "key-2",
				       "{\"question\": \"Q ?\", \"answer\": \"A\", \"rating\": 9}",
				       &first),
			 400);
	assert_int_equal(post_feedback(f, "key-2", FB2, &again), 201);
	assert_int_equal(feedback_rows(f), 4);
	free(first.body);
	free(again.body);

	/* Keys that are not 1-255 visible ASCII characters. */
	char long_key[300];
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	assert_int_equal(post_feedback(f, long_key, FB1, &first), 400);
	assert_int_equal(post_feedback(f, "two words", FB1, &again), 400);
	assert_int_equal(post_feedback(f, "", FB1, &other), 400);
	assert_int_equal(feedback_rows(f), 4);
	free(first.body);
	free(again.body);
	free(other.body);
}

/* GET `path` with one query argument (`arg`=`value`, none when arg is NULL), as the admin or not. */
static int get_with_arg(struct fixture *f, const char *path, const char *arg, const char *value,
			int admin, struct reply *rp)
{
	struct test_request t;
	struct request_field args[1] = { { arg, value } };
	request_init(&t, "GET", path, NULL);
	if (arg) {
		t.rq.args = args;
		t.rq.nargs = 1;
	}
	if (admin)
		request_add_header(&t, "Authorization", "Bearer " TOKEN);
	return handle(f, &t, rp, NULL);
}

#define FB_PII                                                                        \
	"{\"question\": \"Mon mail : anne.canary@example.org\", \"answer\": \"A.\", " \
	"\"rating\": 2, \"feedback_text\": \"appelez le 06 12 34 56 78\"}"

/* Whether the reply `rp` to `what` holds the planted values (raw) or only what replaced them. */
static void check_scrubbed(const char *what, const struct reply *rp, int raw)
{
	static const char *const pii[] = { "anne.canary", "example.org", "12 34 56 78" };
	char *body = strndup(rp->body ? rp->body : "", rp->len);
	for (size_t k = 0; k < sizeof(pii) / sizeof(pii[0]); k++)
		if (!strstr(body, pii[k]) != !raw)
			fail_msg("%s: '%s' %s: %s", what, pii[k], raw ? "missing" : "leaked", body);
	if (!raw && !strstr(body, "[email]") && rp->status < 300)
		fail_msg("%s: no [email] in %s", what, body);
	free(body);
}

/*
 * Feedback leaves the server scrubbed: the reply to the post, the public
 * list and summary; the admin's export too, unless it asks for ?raw=1.
 */
static void test_feedback_leaves_scrubbed(void **state)
{
	struct fixture *f = *state;
	struct reply rp;
	assert_int_equal(post_feedback(f, NULL, FB_PII, &rp), 201);
	check_scrubbed("POST /api/feedback", &rp, 0);
	free(rp.body);
	struct {
		const char *path, *arg, *value;
		int admin, status, raw;
	} calls[] = {
		{ "/api/feedback", NULL, NULL, 0, 200, 0 },
		{ "/api/feedback", NULL, NULL, 1, 200, 0 },
		{ "/api/feedback", "raw", "1", 0, 400, 0 },
		{ "/api/feedback", "raw", "1", 1, 400, 0 },
		{ "/api/metrics/summary", "window", "30d", 0, 200, 0 },
		{ "/api/feedback/export", NULL, NULL, 1, 200, 0 },
		{ "/api/feedback/export", "raw", "0", 1, 200, 0 },
		{ "/api/feedback/export", "raw", "yes", 1, 400, 0 },
		{ "/api/feedback/export", "raw", "1", 0, 401, 0 },
		{ "/api/feedback/export", "raw", "1", 1, 200, 1 },
	};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		char what[128];
		snprintf(what, sizeof(what), "GET %s?%s=%s %s", calls[i].path, calls[i].arg,
			 calls[i].value, calls[i].admin ? "as the admin" : "without the token");
		int status = get_with_arg(f, calls[i].path, calls[i].arg, calls[i].value, calls[i].admin,
					  &rp);
		if (status != calls[i].status)
			fail_msg("%s: %d, wanted %d", what, status, calls[i].status);
		check_scrubbed(what, &rp, calls[i].raw);
		free(rp.body);
	}
}

struct racer {
	struct fixture *f;
	pthread_barrier_t *go;
	struct reply rp;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct test_request t;
	request_init(&t, "POST", "/api/feedback", FB1);
	request_add_header(&t, "Idempotency-Key", "raced-key");
	pthread_barrier_wait(r->go);
	server_handle(&r->f->srv, &t.rq, &r->rp);
	return NULL;
}

/* Four clients send the same keyed record at once: one row, four times the same reply. */
static void test_idempotency_key_raced(void **state)
{
	struct fixture *f = *state;
	enum { N = 4 };
	pthread_t th[N];
	struct racer r[N];
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, N);
	for (int i = 0; i < N; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].f = f;
		r[i].go = &go;
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	int replayed = 0;
	for (int i = 0; i < N; i++) {
		assert_int_equal(r[i].rp.status, 201);
		assert_int_equal(r[i].rp.len, r[0].rp.len);
		assert_memory_equal(r[i].rp.body, r[0].rp.body, r[0].rp.len);
		replayed += reply_header_value(&r[i].rp, "Idempotent-Replayed") != NULL;
	}
	assert_int_equal(replayed, N - 1);
	assert_int_equal(feedback_rows(f), 1);
	for (int i = 0; i < N; i++)
		free(r[i].rp.body);
}

/* --- short of memory ------------------------------------------------------ */

static char fault_dir[64], fault_control[128];

static void set_fault(const char *text)
{
	FILE *fp = fopen(fault_control, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	fault_refresh();
}

#define FEEDBACK_BODY "{\"question\":\"Le bruit ?\",\"answer\":\"Il monte.\",\"rating\":4}"

/* 503, Retry-After, an error naming memory. */
static void assert_out_of_memory(struct fixture *f, struct test_request *t, const char *what)
{
	struct reply rp;
	json_t *j;
	if (handle(f, t, &rp, &j) != 503)
		fail_msg("%s: %d, not 503: %.*s", what, rp.status, (int)rp.len, rp.body);
	assert_non_null(reply_header_value(&rp, "Retry-After"));
	const char *e = json_string_value(json_object_get(j, "error"));
	if (!e || !strstr(e, "out of memory"))
		fail_msg("%s: the error does not name memory: %s", what, e ? e : "(none)");
	json_decref(j);
	free(rp.body);
}

static void test_short_of_memory(void **state)
{
	struct fixture *f = *state;
	struct test_request t;
	struct reply rp;
	json_t *j;
	assert_int_equal(mem_reserve_init(1 << 20), 0);
	mem_reserve_release(777);
	set_fault("malloc 1000000000"); /* memory does not come back (and nothing fails) */

	/* Every route that does real work refuses a request that came short of memory. */
	int shed = 0;
	for (int i = 0; i < nroutes; i++) {
		char path[64], what[128];
		if (!(routes[i].flags & ROUTE_SHED))
			continue;
		concrete_path(routes[i].pattern, path, sizeof(path));
		request_init(&t, routes[i].method, path, strcmp(routes[i].method, "GET") ? "{}" : NULL);
		request_add_header(&t, "Authorization", "Bearer " TOKEN);
		t.rq.short_of_memory = 1;
		snprintf(what, sizeof(what), "%s %s", routes[i].method, path);
		assert_out_of_memory(f, &t, what);
		shed++;
	}
	assert_true(shed >= 5);
	request_init(&t, "GET", "/readyz", NULL);
	t.rq.short_of_memory = 1;
	assert_out_of_memory(f, &t, "/readyz");

	/* A request already in flight when memory ran short completes. */
	request_init(&t, "POST", "/api/feedback", FEEDBACK_BODY);
	assert_int_equal(handle(f, &t, &rp, NULL), 201);
	free(rp.body);
	/* Reads, liveness and health are answered; health says why it is degraded. */
	request_init(&t, "GET", "/api/feedback", NULL);
	t.rq.short_of_memory = 1;
	assert_int_equal(handle(f, &t, &rp, NULL), 200);
	free(rp.body);
	request_init(&t, "GET", "/healthz", NULL);
	t.rq.short_of_memory = 1;
	assert_int_equal(handle(f, &t, &rp, NULL), 200);
	free(rp.body);
	request_init(&t, "GET", "/health", NULL);
	t.rq.short_of_memory = 1;
	handle(f, &t, &rp, &j);
	json_t *c, *memory = NULL;
	size_t k;
	json_array_foreach(json_object_get(j, "checks"), k,
			   c) if (!strcmp(json_string_value(json_object_get(c, "name")), "memory"))
		memory = c;
	assert_non_null(memory);
	assert_string_equal(json_string_value(json_object_get(memory, "status")), "degraded");
	assert_string_not_equal(json_string_value(json_object_get(j, "status")), "ok");
	json_decref(j);
	free(rp.body);
	assert_true(mem_reserve_spent());

	/* Memory back: the request that finds it maps the reserve again and goes on. */
	set_fault("none");
	request_init(&t, "POST", "/api/feedback", FEEDBACK_BODY);
	t.rq.short_of_memory = 1;
	assert_int_equal(handle(f, &t, &rp, NULL), 201);
	free(rp.body);
	assert_false(mem_reserve_spent());

	/* SQLite out of memory in a handler: 503 "out of memory", whatever the handler said. */
	set_fault("sqlite-nomem-from 1");
	request_init(&t, "GET", "/api/feedback", NULL);
	assert_out_of_memory(f, &t, "GET /api/feedback, SQLite out of memory");
	request_init(&t, "POST", "/api/feedback", FEEDBACK_BODY);
	request_add_header(&t, "Idempotency-Key", "k-nomem");
	assert_out_of_memory(f, &t, "POST /api/feedback, SQLite out of memory");
	set_fault("none");
	/* Nothing of it saved, the connections as good as before. */
	request_init(&t, "GET", "/api/feedback", NULL);
	assert_int_equal(handle(f, &t, &rp, &j), 200);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
	json_decref(j);
	free(rp.body);
	request_init(&t, "POST", "/api/feedback", FEEDBACK_BODY);
	request_add_header(&t, "Idempotency-Key", "k-nomem");
	assert_int_equal(handle(f, &t, &rp, NULL), 201);
	free(rp.body);
	mem_reserve_end();
}

int main(void)
{
	snprintf(fault_dir, sizeof(fault_dir), "/tmp/ragops-test-serve-faults-XXXXXX");
	if (!mkdtemp(fault_dir))
		return 1;
	snprintf(fault_control, sizeof(fault_control), "%s/faults", fault_dir);
	setenv("RAGOPS_FAULTS", fault_control, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_decides_who_calls_it),
		cmocka_unit_test(test_public_writes_are_the_reviewed_ones),
		cmocka_unit_test(test_request_fields),
		cmocka_unit_test_setup_teardown(test_admin_routes_refuse_missing_and_wrong_tokens, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_admin_routes_off_without_a_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_route_with_the_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_quote_bytes_that_are_not_utf8, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_body_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes_on_an_empty_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency_key_raced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feedback_leaves_scrubbed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_of_memory, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(fault_control);
	rmdir(fault_dir);
	return rc;
}

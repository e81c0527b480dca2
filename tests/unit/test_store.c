/*
 * Unit tests for the store (store/store.h) on a fresh SQLite file in a
 * temporary folder, and those that are not about SQLite's own parts again
 * on a fresh PostgreSQL schema (RAGOPS_TEST_PG_URL, which tests/run.sh
 * sets; a failure when unset): schema, documents with pages and chunks, full-text
 * search (stemming, accent folding, language filter, snippets), content
 * replacement and deletion, integrity checks, runs, tasks, reaping a
 * run whose process died, lists that fail half-way on a damaged file, and
 * the histograms /metrics reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "store/pg_conn.h"
#include "store/store.h"

struct fixture {
	char dir[64];
	const char *location; /* dir, or the PostgreSQL database's URL */
	struct store *st;
	struct strbuf err;
};

/* The PostgreSQL group's own database, made by its group setup. */
static char *pg_url, *pg_name;

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/ragops-test-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	strbuf_init(&f->err, 0);
	f->location = f->dir;
	if (store_open(&f->st, f->location, &f->err)) {
		fprintf(stderr, "store_open: %s\n", f->err.buf);
		return -1;
	}
	*state = f;
	return 0;
}

/* Run one statement as the tests' role; 0 when it passed. */
static int pg_run(const char *url, const char *sql)
{
	struct pg_conn *c = NULL;
	struct strbuf err = STRBUF_INIT;
	int rc = pg_connect(&c, url, &err) || pg_exec(c, sql, &err);
	if (rc)
		fprintf(stderr, "%s: %s\n", sql, err.buf);
	pg_disconnect(&c);
	strbuf_release(&err);
	return rc ? -1 : 0;
}

static int group_setup_pg(void **state)
{
	const char *base = getenv("RAGOPS_TEST_PG_URL");
	if (!base || !*base) {
		fprintf(stderr, "RAGOPS_TEST_PG_URL is not set: run through tests/run.sh, which"
				" starts a PostgreSQL cluster (scripts/pg-cluster.sh)\n");
		return -1;
	}
	const char *slash = strrchr(base, '/');
	pg_name = xasprintf("test_store_%ld", (long)getpid());
	pg_url = xasprintf("%.*s/%s", (int)(slash - base), base, pg_name);
	char *create = xasprintf("CREATE DATABASE %s", pg_name);
	int rc = pg_run(base, create);
	free(create);
	return rc;
}

static int group_teardown_pg(void **state)
{
	const char *base = getenv("RAGOPS_TEST_PG_URL");
	char *drop = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_name);
	int rc = base ? pg_run(base, drop) : 0;
	free(drop);
	free(pg_url);
	free(pg_name);
	return rc;
}

/* A fresh store on PostgreSQL: the schema emptied, then migrated by store_open. */
static int setup_pg(void **state)
{
	if (pg_run(pg_url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
		return -1;
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/ragops-test-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	strbuf_init(&f->err, 0);
	f->location = pg_url;
	if (store_open(&f->st, f->location, &f->err)) {
		fprintf(stderr, "store_open: %s\n", f->err.buf);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(&f->st);
	DIR *d = opendir(f->dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		char path[512];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	strbuf_release(&f->err);
	free(f);
	return 0;
}

static void assert_store_ok(struct store *st)
{
	struct strbuf report = STRBUF_INIT;
	int rc = store_check(st, &report);
	if (rc)
		print_error("store_check: %s\n", report.buf);
	strbuf_release(&report);
	assert_int_equal(rc, 0);
}

/* Save a one-page document whose chunks are `texts`; returns its id. */
static long long save_doc(struct fixture *f, long long id, const char *relpath, const char *language,
			  const char *const *texts, size_t n)
{
	struct doc_record d = { 0 };
	struct page_record page = { .page_no = 1, .method = PAGE_TEXT };
	struct chunk_record chunks[8];
	size_t off = 0;
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(texts[i]);
		chunks[i] = (struct chunk_record){ .seq = (int)i,
						   .page_start = 1,
						   .page_end = 1,
						   .heading = "Cours \xE2\x80\xBA Nuit",
						   .char_start = off,
						   .char_end = off + len,
						   .text = texts[i] };
		off += len + 2;
		page.chars += (int)len;
	}
	d.id = id;
	d.root = "/home/anne/Cours";
	d.relpath = (char *)relpath;
	d.sha256 = d.seen_sha256 = "00ff";
	d.type = "text";
	d.language = (char *)language;
	d.title = "Photographie de nuit";
	d.encoding = "utf-8";
	d.status = DOC_INDEXED;
	d.size = 1234;
	d.mtime = 1700000000;
	d.pages = 1;
	d.chunks = (int)n;
	d.chars = page.chars;
	assert_int_equal(store_doc_save(f->st, &d, &page, 1, chunks, n, 1, NULL, 0, NULL, &f->err), 0);
	assert_true(d.id > 0);
	return d.id;
}

/* Search (in one release, or every chunk kept for 0); the number of hits, left in *hits. */
static size_t search_in(struct fixture *f, long long release, const char *query, const char *language,
			struct search_hit **hits)
{
	struct search_opts opts = { .release_id = release,
				    .query = query,
				    .limit = 10,
				    .mark_open = "[",
				    .mark_close = "]",
				    .language = language };
	size_t n;
	if (store_search(f->st, &opts, hits, &n, &f->err) != STORE_SEARCH_OK)
		print_error("store_search: %s\n", f->err.buf);
	assert_int_equal(f->err.len, 0);
	return n;
}

static size_t search(struct fixture *f, const char *query, const char *language,
		     struct search_hit **hits)
{
	return search_in(f, 0, query, language, hits);
}

static size_t count_release_hits(struct fixture *f, long long release, const char *query,
				 const char *relpath)
{
	struct search_hit *hits;
	size_t n = search_in(f, release, query, NULL, &hits), found = 0;
	for (size_t i = 0; i < n; i++)
		found += !strcmp(hits[i].doc_path, relpath);
	search_hits_free(hits, n);
	return found;
}

static size_t count_doc_hits(struct fixture *f, const char *query, const char *language,
			     const char *relpath)
{
	struct search_hit *hits;
	size_t n = search(f, query, language, &hits), found = 0;
	for (size_t i = 0; i < n; i++)
		found += !strcmp(hits[i].doc_path, relpath);
	search_hits_free(hits, n);
	return found;
}

static const char *const fr_texts[] = {
	"Les photographies nocturnes demandent un tr\xC3\xA9pied et de la patience.",
	"\xC3\x89"
	"clairage : la lumi\xC3\xA8re des r\xC3\xA9verb\xC3\xA8res suffit souvent.",
};
static const char *const en_texts[] = { "Night photographs need a sturdy tripod." };

static void test_schema_and_doc_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct doc_record *docs;
	size_t n;
	assert_true(store_schema_version(f->st) >= 1);
	long long id = save_doc(f, 0, "nuit.txt", "fr", fr_texts, 2);
	assert_store_ok(f->st);
	assert_int_equal(store_docs_load(f->st, &docs, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(docs[0].id, id);
	assert_string_equal(docs[0].root, "/home/anne/Cours");
	assert_string_equal(docs[0].relpath, "nuit.txt");
	assert_string_equal(docs[0].language, "fr");
	assert_string_equal(docs[0].title, "Photographie de nuit");
	assert_int_equal(docs[0].status, DOC_INDEXED);
	assert_int_equal(docs[0].chunks, 2);
	assert_int_equal(docs[0].pages, 1);
	assert_int_equal(docs[0].size, 1234);
	doc_records_free(docs, n);
}

static void test_search_stems_folds_and_filters(void **state)
{
	struct fixture *f = *state;
	struct search_hit *hits;
	save_doc(f, 0, "nuit.txt", "fr", fr_texts, 2);
	save_doc(f, 0, "night.txt", "en", en_texts, 1);

	size_t n = search(f, "photographie nocturne", NULL, &hits);
	assert_true(n >= 1);
	assert_string_equal(hits[0].doc_path, "nuit.txt");
	assert_string_equal(hits[0].heading, "Cours \xE2\x80\xBA Nuit");
	assert_int_equal(hits[0].page_start, 1);
	assert_non_null(strstr(hits[0].snippet, "[photographies]"));
	assert_non_null(strstr(hits[0].snippet, "[nocturnes]"));
	for (size_t i = 0; i < n; i++) {
		assert_null(strchr(hits[i].snippet, '\x1f'));
		assert_null(strchr(hits[i].heading, '\x1f'));
	}
	search_hits_free(hits, n);

	/* accents and capitals do not matter either way */
	assert_int_equal(count_doc_hits(f, "eclairage reverbere", NULL, "nuit.txt"), 1);
	/* a French query finds the English document too, unless filtered */
	assert_int_equal(count_doc_hits(f, "photographies", NULL, "night.txt"), 1);
	assert_int_equal(count_doc_hits(f, "photographies", "fr", "night.txt"), 0);
	n = search(f, "photographies", "en", &hits);
	assert_int_equal(n, 1);
	assert_string_equal(hits[0].language, "en");
	search_hits_free(hits, n);
	assert_store_ok(f->st);
}

/*
 * A chunk saved with no full-text row, as a ragops of schema 14 (which
 * left indexing to a trigger) still running when the store moved to 15
 * saves one: check says so, search misses it, store_fts_index_missing
 * indexes it (once), and search finds it.
 */
static void test_unindexed_chunks_are_indexed(void **state)
{
	struct fixture *f = *state;
	save_doc(f, 0, "nuit.txt", "fr", fr_texts, 2);
	char path[128];
	snprintf(path, sizeof(path), "%s/ragops.db", f->dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO chunks (doc_id, seq, page_start, page_end, heading,"
				      " char_start, char_end, language, text, low_confidence, version_id)"
				      " SELECT doc_id, 2, 1, 1, '', 0, 30, 'fr',"
				      " 'Le daguerr\xC3\xA9otype argent\xC3\xA9', 0, version_id"
				      " FROM chunks LIMIT 1",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	struct strbuf report = STRBUF_INIT;
	assert_int_not_equal(store_check(f->st, &report), 0);
	assert_non_null(strstr(report.buf, "1 chunks are not in the full-text index"));
	assert_int_equal(count_doc_hits(f, "daguerreotype", NULL, "nuit.txt"), 0);

	long long indexed = -1;
	assert_int_equal(store_fts_index_missing(f->st, &indexed, &f->err), 0);
	assert_int_equal(indexed, 1);
	assert_int_equal(store_fts_index_missing(f->st, &indexed, &f->err), 0);
	assert_int_equal(indexed, 0);
	assert_int_equal(count_doc_hits(f, "daguerreotype", NULL, "nuit.txt"), 1);
	strbuf_reset(&report);
	store_check(f->st, &report);
	assert_null(strstr(report.buf, "full-text"));
	strbuf_release(&report);
}

static void test_stop_word_query_refused(void **state)
{
	struct fixture *f = *state;
	struct search_opts opts = {
		.query = "le la les", .limit = 10, .mark_open = "[", .mark_close = "]"
	};
	struct search_hit *hits = NULL;
	size_t n = 99;
	save_doc(f, 0, "nuit.txt", "fr", fr_texts, 2);
	assert_int_equal(store_search(f->st, &opts, &hits, &n, &f->err), STORE_SEARCH_NO_WORDS);
	assert_true(f->err.len > 0);
	assert_int_equal(n, 0);
	assert_null(hits);
}

/* A new candidate of the documents as they are, promoted; its id. */
static long long release_now(struct fixture *f)
{
	struct release_action gate = { .actor = "test" };
	long long id = store_release_create(f->st, 0, 0, "{}", &f->err);
	assert_true(id > 0);
	assert_int_equal(store_release_promote(f->st, id, -1, &gate, &f->err), STORE_RELEASE_CHANGED);
	return id;
}

/*
 * A document replaced or deleted gets a new version; a release keeps the
 * chunks it was made of until retention lets them go, and a chunk id is
 * never given to another text.
 */
static void test_replace_and_delete(void **state)
{
	struct fixture *f = *state;
	struct doc_record *docs;
	struct release_gc gc;
	long long *ids;
	size_t n;
	static const char *const winter[] = { "Les paysages d'hiver sous la neige." };
	long long id = save_doc(f, 0, "nuit.txt", "fr", fr_texts, 2);
	long long r1 = release_now(f);
	assert_int_equal(count_release_hits(f, r1, "photographie", "nuit.txt"), 1);
	assert_int_equal(store_release_chunk_ids(f->st, r1, &ids, &n, &f->err), 0);
	assert_int_equal(n, 2);
	long long newest_before = ids[1];
	free(ids);

	assert_int_equal(save_doc(f, id, "nuit.txt", "fr", winter, 1), id);
	assert_store_ok(f->st);
	int current = -1;
	assert_int_equal(store_release_is_current(f->st, r1, &current, &f->err), 0);
	assert_int_equal(current, 0);
	/* The release in production does not move until a new one is promoted. */
	assert_int_equal(count_release_hits(f, r1, "photographie", "nuit.txt"), 1);
	assert_int_equal(count_release_hits(f, r1, "paysage neige", "nuit.txt"), 0);
	long long r2 = release_now(f);
	assert_int_equal(store_release_is_current(f->st, r2, &current, &f->err), 0);
	assert_int_equal(current, 1);
	assert_int_equal(count_release_hits(f, r2, "photographie", "nuit.txt"), 0);
	assert_int_equal(count_release_hits(f, r2, "eclairage", "nuit.txt"), 0);
	assert_int_equal(count_release_hits(f, r2, "paysage neige", "nuit.txt"), 1);
	assert_int_equal(store_release_chunk_ids(f->st, r2, &ids, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_true(ids[0] > newest_before);
	free(ids);

	assert_int_equal(store_doc_delete(f->st, id, &f->err), 0);
	assert_store_ok(f->st);
	long long r3 = release_now(f);
	assert_int_equal(count_release_hits(f, r3, "paysage neige", "nuit.txt"), 0);
	assert_int_equal(count_release_hits(f, r2, "paysage neige", "nuit.txt"), 1);
	/* the row stays, marked deleted, so a rename can revive it */
	assert_int_equal(store_docs_load(f->st, &docs, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(docs[0].status, DOC_DELETED);
	assert_int_equal(docs[0].chunks, 0);
	doc_records_free(docs, n);

	/* Keeping none: release 1 goes with its chunks, production and the one it replaced stay. */
	assert_int_equal(store_releases_gc(f->st, 0, &gc, &f->err), 0);
	assert_int_equal(gc.releases, 1);
	assert_int_equal(gc.versions, 1);
	release_gc_release(&gc);
	assert_store_ok(f->st);
	assert_int_equal(count_doc_hits(f, "photographie", NULL, "nuit.txt"), 0);
	assert_int_equal(count_release_hits(f, r2, "paysage neige", "nuit.txt"), 1);
	long long from, to;
	struct release_action user = { .actor = "test" };
	assert_int_equal(store_release_rollback(f->st, &user, &from, &to, &f->err),
			 STORE_RELEASE_CHANGED);
	assert_int_equal(from, r3);
	assert_int_equal(to, r2);
	/* A new chunk after the deletions still gets a new id. */
	save_doc(f, id, "nuit.txt", "fr", fr_texts, 2);
	long long r4 = release_now(f);
	assert_int_equal(store_release_chunk_ids(f->st, r4, &ids, &n, &f->err), 0);
	assert_int_equal(n, 2);
	assert_true(ids[0] > newest_before + 1);
	free(ids);
	assert_store_ok(f->st);
}

static void test_runs_and_tasks(void **state)
{
	struct fixture *f = *state;
	struct run_record run, *runs;
	struct task_list tasks;
	size_t n;
	long long doc = save_doc(f, 0, "nuit.txt", "fr", fr_texts, 2);
	long long first = store_run_begin(f->st, &(struct run_origin){ .trigger = "manual" },
					  "{\"inbox\":[\"/a\"]}", &f->err);
	long long id = store_run_begin(f->st, &(struct run_origin){ .trigger = "watch" }, "{}", &f->err);
	assert_true(first > 0 && id > first);

	assert_int_equal(store_run_get(f->st, id, &run, &f->err), LOOKUP_FOUND);
	assert_string_equal(run.state, "running");
	assert_string_equal(run.trigger, "watch");
	assert_int_equal(run.pid, getpid());
	assert_int_equal(run.ended_at, 0);
	run_record_release(&run);

	struct run_stats stats = { .docs_seen = 3, .docs_new = 2, .docs_failed = 1, .chunks = 7 };
	assert_int_equal(store_run_finish(f->st, id, "completed_with_failures", &stats, "one failed",
					  &f->err),
			 0);
	assert_int_equal(store_run_get(f->st, id, &run, &f->err), LOOKUP_FOUND);
	assert_string_equal(run.state, "completed_with_failures");
	assert_string_equal(run.error, "one failed");
	assert_int_equal(run.stats.docs_seen, 3);
	assert_int_equal(run.stats.docs_failed, 1);
	assert_int_equal(run.stats.chunks, 7);
	assert_true(run.ended_at >= run.started_at && run.started_at > 0);
	run_record_release(&run);
	assert_int_equal(store_run_get(f->st, id + 100, &run, &f->err), LOOKUP_MISSING);

	assert_int_equal(store_runs_list(f->st, 10, &runs, &n, &f->err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(runs[0].id, id); /* newest first */
	assert_int_equal(runs[1].id, first);
	run_records_free(runs, n);

	struct task_record t[2] = {
		{ .run_id = id,
		  .doc_id = doc,
		  .doc_path = "nuit.txt",
		  .stage = "extract",
		  .state = TASK_COMPLETED,
		  .attempts = 1,
		  .started_at = 5,
		  .duration_ms = 12.5,
		  .cache_key = "abc" },
		{ .run_id = id,
		  .doc_path = "bad.pdf",
		  .stage = "extract",
		  .state = TASK_FAILED,
		  .attempts = 2,
		  .started_at = 6,
		  .error = "the PDF is encrypted" },
	};
	assert_int_equal(store_tasks_add(f->st, t, 2, &f->err), 0);
	assert_int_equal(store_tasks_of_run(f->st, id, &tasks, &f->err), 0);
	assert_int_equal(tasks.n, 2);
	assert_int_equal(tasks.items[0].doc_id, doc);
	assert_string_equal(tasks.items[0].stage, "extract");
	assert_int_equal(tasks.items[0].state, TASK_COMPLETED);
	assert_string_equal(tasks.items[0].cache_key, "abc");
	assert_true(tasks.items[0].duration_ms > 12.4 && tasks.items[0].duration_ms < 12.6);
	assert_int_equal(tasks.items[1].doc_id, 0);
	assert_string_equal(tasks.items[1].doc_path, "bad.pdf");
	assert_int_equal(tasks.items[1].state, TASK_FAILED);
	assert_int_equal(tasks.items[1].attempts, 2);
	assert_string_equal(tasks.items[1].error, "the PDF is encrypted");
	assert_null(tasks.items[1].cache_key);
	task_list_release(&tasks);
	assert_store_ok(f->st);
}

/* A document's cached stages are one row in the store, and come back as a record each. */
static void test_cached_stages_share_a_row(void **state)
{
	struct fixture *f = *state;
	long long id = store_run_begin(f->st, &(struct run_origin){ .trigger = "cli" }, "{}", &f->err);
	assert_true(id > 0);
	static const char *const stages[] = { "extract", "ocr", "clean" };
	static const char *const keys[] = { "k1", "k2", "k3" };
	struct task_record t[8];
	size_t n = 0;
	for (int doc = 0; doc < 2; doc++)
		for (int s = 0; s < 3; s++)
			t[n++] = (struct task_record){ .run_id = id,
						       .doc_path = doc ? "b.txt" : "a.txt",
						       .stage = stages[s],
						       .state = TASK_CACHED,
						       .started_at = 7,
						       .cache_key = keys[s] };
	/* not packed: another state, and a cached task without a key */
	t[n++] = (struct task_record){ .run_id = id,
				       .doc_path = "c.pdf",
				       .stage = "extract",
				       .state = TASK_COMPLETED,
				       .attempts = 1,
				       .cache_key = "k9" };
	t[n++] = (struct task_record){
		.run_id = id, .doc_path = "(corpus)", .stage = "publish", .state = TASK_CACHED
	};
	assert_int_equal(store_tasks_add(f->st, t, n, &f->err), 0);

	if (f->location == f->dir) { /* SQLite: look at the rows themselves */
		char path[128], sql[128];
		snprintf(path, sizeof(path), "%s/ragops.db", f->dir);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM tasks WHERE run_id = %lld", id);
		sqlite3 *db = NULL;
		sqlite3_stmt *stmt = NULL;
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(stmt, 0), 4);
		sqlite3_finalize(stmt);
		sqlite3_close(db);
	}

	struct task_list tasks;
	assert_int_equal(store_tasks_of_run(f->st, id, &tasks, &f->err), 0);
	assert_int_equal(tasks.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(tasks.items[i].doc_path, t[i].doc_path);
		assert_string_equal(tasks.items[i].stage, t[i].stage);
		assert_int_equal(tasks.items[i].state, t[i].state);
		if (t[i].cache_key)
			assert_string_equal(tasks.items[i].cache_key, t[i].cache_key);
		else
			assert_null(tasks.items[i].cache_key);
	}
	task_list_release(&tasks);
	assert_store_ok(f->st);
}

static void test_reap_dead_run(void **state)
{
	struct fixture *f = *state;
	struct run_record run;
	long long mine = store_run_begin(f->st, &(struct run_origin){ .trigger = "manual" }, "{}",
					 &f->err);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the child has its own connection and dies in the middle of its run */
		struct store *st = NULL;
		struct strbuf err = STRBUF_INIT;
		int ok = !store_open(&st, f->location, &err) &&
			 store_run_begin(st, &(struct run_origin){ .trigger = "manual" }, "{}", &err) >
				 0;
		store_close(&st);
		strbuf_release(&err);
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	struct runs_reap r = { 0 };
	assert_int_equal(store_runs_reap(f->st, &r, &f->err), 1);
	assert_int_equal(r.ncrashed, 1);
	assert_int_equal(r.crashed[0], mine + 1);
	assert_int_equal(store_run_get(f->st, mine + 1, &run, &f->err), LOOKUP_FOUND);
	assert_int_equal(run.pid, pid);
	assert_string_equal(run.state, "crashed");
	assert_true(run.ended_at > 0);
	run_record_release(&run);
	/* our own run is alive: left alone, and reaping again finds nothing */
	assert_int_equal(store_run_get(f->st, mine, &run, &f->err), LOOKUP_FOUND);
	assert_string_equal(run.state, "running");
	run_record_release(&run);
	assert_int_equal(store_runs_reap(f->st, &r, &f->err), 0);
	/* ... unless it stopped beating: a heartbeat older than the cut-off is a crash, pid or not */
	r.silent_before = time_now_ms() + 1000;
	assert_int_equal(store_runs_reap(f->st, &r, &f->err), 1);
	assert_int_equal(store_run_get(f->st, mine, &run, &f->err), LOOKUP_FOUND);
	assert_string_equal(run.state, "crashed");
	run_record_release(&run);
}

/*
 * Damage the leaf page holding the lowest rowids of `table` (root must be an
 * interior page): a scan by id DESC then reads the other leaves' rows before
 * sqlite3_step fails with SQLITE_CORRUPT.  The store must be closed (its WAL
 * checkpointed into the file) and is reopened by the caller.
 */
static void damage_first_leaf(const char *dir, const char *table)
{
	char path[128];
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	snprintf(path, sizeof(path), "%s/ragops.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT rootpage, (SELECT page_size FROM"
					    " pragma_page_size) FROM sqlite_schema WHERE name = ?",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	long root = sqlite3_column_int(stmt, 0), size = sqlite3_column_int(stmt, 1);
	sqlite3_finalize(stmt);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_true(root > 1 && size >= 512);

	int fd = open(path, O_RDWR);
	unsigned char page[65536];
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, page, (size_t)size, (root - 1) * size), size);
	assert_int_equal(page[0], 0x05); /* an interior table page: the table spans leaves */
	unsigned cell = (unsigned)page[12] << 8 | page[13]; /* cell 0 points to the first leaf */
	assert_true(cell >= 12 && cell + 4 <= (unsigned)size);
	long leaf = (long)page[cell] << 24 | (long)page[cell + 1] << 16 | (long)page[cell + 2] << 8 |
		    page[cell + 3];
	assert_true(leaf > 1 && leaf != root);
	memset(page, 0xff, (size_t)size);
	assert_int_equal(pwrite(fd, page, (size_t)size, (leaf - 1) * size), size);
	close(fd);
}

static void test_list_fails_on_damaged_file(void **state)
{
	struct fixture *f = *state;
	struct feedback_filter all = { 0 };
	struct feedback_record *fs;
	struct run_record *runs;
	size_t n;
	for (int i = 0; i < 200; i++) {
		struct feedback_record fb = { .question = "Quel tr\xC3\xA9pied pour la nuit ?",
					      .answer = "Un tr\xC3\xA9pied lourd et un d\xC3\xA9"
							"clencheur \xC3\xA0 distance.",
					      .rating = 1 + i % 5 };
		assert_int_equal(store_feedback_add(f->st, &fb, &f->err), 0);
		assert_true(store_run_begin(f->st, &(struct run_origin){ .trigger = "manual" },
					    "{\"inbox\":[\"/home/anne/Cours\"]}", &f->err) > 0);
	}
	assert_int_equal(store_feedback_list(f->st, &all, &fs, &n, &f->err), 0);
	assert_int_equal(n, 200);
	feedback_records_free(fs, n);

	store_close(&f->st);
	damage_first_leaf(f->dir, "feedback");
	damage_first_leaf(f->dir, "runs");
	assert_int_equal(store_open(&f->st, f->dir, &f->err), 0);

	/* rows are read before the damaged page: not a shortened list but an error */
	strbuf_reset(&f->err);
	assert_int_equal(store_feedback_list(f->st, &all, &fs, &n, &f->err), -1);
	assert_null(fs);
	assert_int_equal(n, 0);
	assert_non_null(strstr(f->err.buf, "store: cannot read the feedback: "));
	assert_non_null(strstr(f->err.buf, "malformed"));

	strbuf_reset(&f->err);
	assert_int_equal(store_runs_list(f->st, 1000, &runs, &n, &f->err), -1);
	assert_null(runs);
	assert_int_equal(n, 0);
	assert_non_null(strstr(f->err.buf, "store: cannot read the runs: "));
}

/*
 * Histograms for /metrics: cumulative buckets on values that fall on a
 * bound, between bounds and past the last one; a series with fewer bounds
 * than the statement has slots; an empty series.
 */
static void test_series_histogram(void **state)
{
	struct fixture *f = *state;
	static const int ratings[] = { 1, 2, 2, 5, 5, 5, 3 };
	static const double ms[] = { 4, 5, 30, 1200, 20000 };
	for (size_t i = 0; i < sizeof(ratings) / sizeof(ratings[0]); i++) {
		struct feedback_record fb = { .question = "Q ?", .answer = "A.", .rating = ratings[i] };
		assert_int_equal(store_feedback_add(f->st, &fb, &f->err), 0);
	}
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		struct query_record q = { .question = "Q ?",
					  .language = "fr",
					  .answer = "A.",
					  .sources_json = "[]",
					  .retriever = "bm25",
					  .embedder = "-",
					  .answerer = "extractive",
					  .answer_chars = 2,
					  .source_count = (int)i,
					  .ms_total = ms[i] };
		assert_true(store_query_log(f->st, &q, &f->err) > 0);
	}

	long long le[16];
	struct store_histogram h = { .le = le };
	const double rating_bounds[] = { 1, 2, 2.5, 4, 5 };
	assert_int_equal(store_series_histogram(f->st, SERIES_RATING, rating_bounds, 5, &h, &f->err), 0);
	assert_int_equal(h.count, 7);
	assert_true(h.sum == 23.0);
	const long long rating_le[] = { 1, 3, 3, 4, 7 };
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(le[i], rating_le[i]);

	/* ms_total / 1000: 0.004 0.005 0.03 1.2 20 */
	const double second_bounds[] = { 0.005, 0.01, 1, 10 };
	assert_int_equal(store_series_histogram(f->st, SERIES_QUERY_SECONDS, second_bounds, 4, &h,
						&f->err),
			 0);
	assert_int_equal(h.count, 5);
	assert_true(h.sum > 21.238 && h.sum < 21.240);
	const long long second_le[] = { 2, 2, 3, 4 };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(le[i], second_le[i]);

	/* As many bounds as the statement has slots (source_count: 0 1 2 3 4). */
	double sixteen[16];
	for (size_t i = 0; i < 16; i++)
		sixteen[i] = (double)i - 1;
	assert_int_equal(store_series_histogram(f->st, SERIES_ANSWER_SOURCES, sixteen, 16, &h, &f->err),
			 0);
	assert_int_equal(h.count, 5);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(le[i], i < 5 ? (long long)i : 5);

	/* No OCR page yet: nothing counted. */
	le[0] = -1;
	assert_int_equal(store_series_histogram(f->st, SERIES_OCR_CONFIDENCE, rating_bounds, 1, &h,
						&f->err),
			 0);
	assert_int_equal(h.count, 0);
	assert_true(h.sum == 0.0);
	assert_int_equal(le[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_and_doc_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_stems_folds_and_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unindexed_chunks_are_indexed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_word_query_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_and_tasks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached_stages_share_a_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reap_dead_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_fails_on_damaged_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_series_histogram, setup, teardown),
	};
	/* Search (replace_and_delete checks with it) and index repair are FTS5's, damage is to SQLite's file. */
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_and_doc_roundtrip, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_runs_and_tasks, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_cached_stages_share_a_row, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_reap_dead_run, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_series_histogram, setup_pg, teardown),
	};
	int failed = cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
	return failed +
	       cmocka_run_group_tests_name("postgresql", pg_tests, group_setup_pg, group_teardown_pg);
}

/*
 * SQLite backend: BM25 search over the FTS5 index.  The user's words are
 * quoted one by one and OR-ed, so punctuation in a question can never be
 * read as FTS5 query syntax, and BM25 ranks chunks matching more words
 * (and rarer ones) first.  Headings weigh twice the body.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"
#include "text/highlight.h"
#include "text/normalize.h"
#include "text/tokenize.h"

/* Build `"w1" OR "w2" ...` from the non-stop words; 0 words -> -1. */
static int build_match(const char *query, struct strbuf *match)
{
	size_t pos = 0, start, end, len = strlen(query);
	struct strbuf folded = STRBUF_INIT;
	int words = 0;
	while (query_next_word(query, len, &pos, &start, &end, &folded) == 0) {
		strbuf_addstr(match, words++ ? " OR \"" : "\"");
		for (size_t i = start; i < end; i++) {
			if (query[i] == '"')
				strbuf_addch(match, '"');
			strbuf_addch(match, query[i]);
		}
		strbuf_addch(match, '"');
	}
	strbuf_release(&folded);
	return words ? 0 : -1;
}

/*
 * Ranking and presenting are two steps: FTS5 ranks the matches on its own
 * (ORDER BY rank LIMIT, no other column), then details and snippets are
 * made for the top rows only.  One query that also selected snippet() and
 * the chunk text would build them for every match before sorting: 40 ms
 * instead of a few on 100,000 chunks.
 */
enum store_search_result store_search(struct store *st, const struct search_opts *opts,
				      struct search_hit **out, size_t *n, struct strbuf *err)
{
	struct strbuf match = STRBUF_INIT;
	struct sql_stmt *top = NULL, *detail = NULL;
	struct tokenizer *tok = NULL;
	size_t alloc = 0;
	unsigned limit = opts->limit ? opts->limit : 10;
	enum store_search_result ret = STORE_SEARCH_FAILED;
	*out = NULL;
	*n = 0;
	if (st->pg) {
		strbuf_addstr(err, "store: a PostgreSQL store has no full-text index: BM25 reads the"
				   " release's lexicon (retrieve.bm25_index: lexicon)");
		goto cleanup;
	}
	if (build_match(opts->query, &match)) {
		strbuf_addstr(err, QUERY_NO_WORDS);
		ret = STORE_SEARCH_NO_WORDS;
		goto cleanup;
	}
	/*
	 * The index holds the chunks of every release kept; a release's own are
	 * picked out (its ranking statistics still count the others: the
	 * lexicon is the exact path, this is its fallback).
	 */
	if (sql_prepare(st,
			"SELECT rowid, -rank FROM chunks_fts WHERE chunks_fts MATCH ?1"
			" AND (?3 = 0 OR rowid IN (SELECT c.id FROM release_docs rd JOIN chunks c"
			"   ON c.version_id = rd.version_id WHERE rd.release_id = ?3))"
			" ORDER BY rank LIMIT ?2",
			&top, err) ||
	    sql_prepare(st,
			"SELECT c.id, d.relpath, v.title, c.heading, c.language, c.page_start,"
			" c.page_end, c.text, c.low_confidence FROM chunks c"
			" JOIN documents d ON d.id = c.doc_id JOIN doc_versions v ON v.id = c.version_id"
			" WHERE c.id = ?",
			&detail, err))
		goto cleanup;
	sql_bind_text(top, 1, match.buf);
	sql_bind_int64(top, 3, opts->release_id);
	/* A language filter is applied after ranking: look further down for enough rows. */
	sql_bind_int64(top, 2, (int)(opts->language ? limit * 8 : limit));
	tok = tokenizer_new();
	int rc;
	while (*n < limit && (rc = sql_step(top)) == SQL_ROW) {
		if (opts->ids_only && !opts->language) {
			ALLOC_GROW(*out, *n + 1, alloc);
			memset(&(*out)[*n], 0, sizeof(**out));
			(*out)[*n].chunk_id = sql_column_int64(top, 0);
			(*out)[(*n)++].score = sql_column_double(top, 1);
			continue;
		}
		sql_reset(detail);
		sql_bind_int64(detail, 1, sql_column_int64(top, 0));
		if (sql_step(detail) != SQL_ROW)
			continue;
		const char *language = sql_column_text(detail, 4);
		if (opts->language && (!language || strcmp(language, opts->language)))
			continue;
		ALLOC_GROW(*out, *n + 1, alloc);
		struct search_hit *h = &(*out)[(*n)++];
		memset(h, 0, sizeof(*h));
		h->chunk_id = sql_column_int64(detail, 0);
		h->doc_path = sql_column_dup(detail, 1);
		h->title = sql_column_dup(detail, 2);
		h->heading = sql_column_dup(detail, 3);
		h->language = sql_column_dup(detail, 4);
		h->page_start = sql_column_int(detail, 5);
		h->page_end = sql_column_int(detail, 6);
		h->text = sql_column_dup(detail, 7);
		h->low_confidence = sql_column_int(detail, 8);
		h->score = sql_column_double(top, 1);
		h->snippet = highlight_snippet(tok, opts->query, h->text ? h->text : "",
					       lang_from_code(h->language),
					       opts->mark_open ? opts->mark_open : "",
					       opts->mark_close ? opts->mark_close : "", 40);
	}
	ret = STORE_SEARCH_OK;
cleanup:
	tokenizer_free(tok);
	sql_finalize(top);
	sql_finalize(detail);
	strbuf_release(&match);
	if (ret != STORE_SEARCH_OK) {
		search_hits_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return ret;
}

void search_hits_free(struct search_hit *hits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(hits[i].doc_path);
		free(hits[i].title);
		free(hits[i].heading);
		free(hits[i].snippet);
		free(hits[i].language);
		free(hits[i].text);
	}
	free(hits);
}

long long store_term_chunks(struct store *st, const char *term)
{
	struct sql_stmt *stmt = NULL;
	long long n = 0;
	if (st->pg) /* no full-text index: the release's lexicon answers */
		return -1;
	if (sql_prepare_quiet(st, "SELECT doc FROM chunks_vocab WHERE term = ?", &stmt))
		return -1;
	sql_bind_text(stmt, 1, term);
	if (sql_step(stmt) == SQL_ROW)
		n = sql_column_int64(stmt, 0);
	sql_finalize(stmt);
	return n;
}

long long store_query_log(struct store *st, const struct query_record *q, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	long long id = -1;
	if (sql_prepare(st,
			"INSERT INTO queries (asked_at, question, language, answer, abstained,"
			" evidence, sources, retriever, embedder, answerer, index_run, ms_retrieve,"
			" ms_fuse, ms_answer, ms_total, answer_chars, source_count, release_id) VALUES"
			" (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
			"  (SELECT run_id FROM releases WHERE id = ?17),"
			"  ?11, ?12, ?13, ?14, ?15, ?16, nullif(?17, 0))",
			&stmt, err))
		return -1;
	sql_bind_int64(stmt, 1, time_now_ms());
	sql_bind_text(stmt, 2, q->question);
	sql_bind_text(stmt, 3, q->language);
	sql_bind_text(stmt, 4, q->answer);
	sql_bind_int64(stmt, 5, q->abstained);
	sql_bind_double(stmt, 6, q->evidence);
	sql_bind_text(stmt, 7, q->sources_json);
	sql_bind_text(stmt, 8, q->retriever);
	sql_bind_text(stmt, 9, q->embedder);
	sql_bind_text(stmt, 10, q->answerer);
	sql_bind_double(stmt, 11, q->ms_retrieve);
	sql_bind_double(stmt, 12, q->ms_fuse);
	sql_bind_double(stmt, 13, q->ms_answer);
	sql_bind_double(stmt, 14, q->ms_total);
	sql_bind_int64(stmt, 15, q->answer_chars);
	sql_bind_int64(stmt, 16, q->source_count);
	sql_bind_int64(stmt, 17, q->release_id);
	if (sql_step(stmt) == SQL_DONE)
		id = sql_last_insert_id(st);
	else
		sql_fail(st, "cannot log the question", err);
	sql_finalize(stmt);
	return id;
}

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
#include "text/normalize.h"
#include "text/tokenize.h"

/* Build `"w1" OR "w2" ...` from the non-stop words; 0 words -> -1. */
static int build_match(const char *query, struct strbuf *match)
{
	size_t pos = 0, start, end, len = strlen(query);
	struct strbuf folded = STRBUF_INIT;
	int words = 0;
	while (text_next_word(query, len, &pos, &start, &end) == 0) {
		strbuf_reset(&folded);
		text_fold(query + start, end - start, &folded);
		if (stopword_any(folded.buf, folded.len) || end - start > TOKEN_MAX_BYTES)
			continue;
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

/* Remove the \x1f<lang>\x1f markers the index sees from text shown to people. */
static char *strip_markers(char *s)
{
	if (!s)
		return NULL;
	char *w = s;
	for (char *r = s; *r;) {
		if (*r == LANG_MARK) {
			char *close = strchr(r + 1, LANG_MARK);
			if (close && close - r <= 8) {
				r = close + 1;
				continue;
			}
			r++;
			continue;
		}
		/* Line and paragraph breaks read as spaces in a one-line snippet. */
		char c = *r++ == '\n' ? ' ' : r[-1];
		if (c == ' ' && w > s && w[-1] == ' ')
			continue;
		*w++ = c;
	}
	*w = '\0';
	return s;
}

int store_search(struct store *st, const struct search_opts *opts, struct search_hit **out,
		 size_t *n, struct strbuf *err)
{
	struct strbuf match = STRBUF_INIT;
	sqlite3_stmt *stmt = NULL;
	size_t alloc = 0;
	int ret = -1;
	*out = NULL;
	*n = 0;
	if (build_match(opts->query, &match)) {
		strbuf_addstr(err, "the query has no searchable words (only stop words or punctuation)");
		goto cleanup;
	}
	if (sql_prepare(st,
			"SELECT c.id, d.relpath, d.title, c.heading, c.language, c.page_start,"
			" c.page_end, -bm25(chunks_fts, 1.0, 2.0) AS score,"
			" snippet(chunks_fts, 0, ?2, ?3, '…', 32), c.text, c.low_confidence"
			" FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid"
			" JOIN documents d ON d.id = c.doc_id"
			" WHERE chunks_fts MATCH ?1 AND (?5 IS NULL OR c.language = ?5)"
			" ORDER BY bm25(chunks_fts, 1.0, 2.0) LIMIT ?4", &stmt, err))
		goto cleanup;
	sqlite3_bind_text(stmt, 1, match.buf, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, opts->mark_open ? opts->mark_open : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, opts->mark_close ? opts->mark_close : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 4, (int)(opts->limit ? opts->limit : 10));
	sqlite3_bind_text(stmt, 5, opts->language, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ALLOC_GROW(*out, *n + 1, alloc);
		struct search_hit *h = &(*out)[(*n)++];
		h->chunk_id = sqlite3_column_int64(stmt, 0);
		h->doc_path = sql_column_dup(stmt, 1);
		h->title = sql_column_dup(stmt, 2);
		h->heading = strip_markers(sql_column_dup(stmt, 3));
		h->language = sql_column_dup(stmt, 4);
		h->page_start = sqlite3_column_int(stmt, 5);
		h->page_end = sqlite3_column_int(stmt, 6);
		h->score = sqlite3_column_double(stmt, 7);
		h->snippet = strip_markers(sql_column_dup(stmt, 8));
		h->text = sql_column_dup(stmt, 9);
		h->low_confidence = sqlite3_column_int(stmt, 10);
	}
	if (rc != SQLITE_DONE) {
		sql_fail(st, "search failed", err);
		goto cleanup;
	}
	ret = 0;
cleanup:
	sqlite3_finalize(stmt);
	strbuf_release(&match);
	if (ret) {
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
	sqlite3_stmt *stmt = NULL;
	long long n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT doc FROM chunks_vocab WHERE term = ?", -1, &stmt,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(stmt, 1, term, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

long long store_query_log(struct store *st, const struct query_record *q, struct strbuf *err)
{
	sqlite3_stmt *stmt = NULL;
	long long id = -1;
	if (sql_prepare(st, "INSERT INTO queries (asked_at, question, language, answer, abstained,"
			    " evidence, sources, retriever, embedder, answerer, index_run, ms_retrieve,"
			    " ms_fuse, ms_answer, ms_total, answer_chars, source_count) VALUES"
			    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
			    "  (SELECT max(id) FROM runs WHERE state LIKE 'completed%'),"
			    "  ?, ?, ?, ?, ?, ?)", &stmt, err))
		return -1;
	sqlite3_bind_int64(stmt, 1, time_now_ms());
	sqlite3_bind_text(stmt, 2, q->question, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, q->language, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, q->answer, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, q->abstained);
	sqlite3_bind_double(stmt, 6, q->evidence);
	sqlite3_bind_text(stmt, 7, q->sources_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, q->retriever, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 9, q->embedder, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 10, q->answerer, -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 11, q->ms_retrieve);
	sqlite3_bind_double(stmt, 12, q->ms_fuse);
	sqlite3_bind_double(stmt, 13, q->ms_answer);
	sqlite3_bind_double(stmt, 14, q->ms_total);
	sqlite3_bind_int(stmt, 15, q->answer_chars);
	sqlite3_bind_int(stmt, 16, q->source_count);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(st->db);
	else
		sql_fail(st, "cannot log the question", err);
	sqlite3_finalize(stmt);
	return id;
}

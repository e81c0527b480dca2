/*
 * Numbered schema migrations.  Each runs in its own transaction and bumps
 * PRAGMA user_version; never edit a released one, add the next.
 */
#include <stddef.h>
#include <stdio.h>

#include "store/sqlite_internal.h"

static const char *const migrations[] = {
	/* 1: documents, pages, chunks + full-text index, runs, tasks */
	"CREATE TABLE documents ("
	"  id INTEGER PRIMARY KEY,"
	"  root TEXT NOT NULL,"
	"  relpath TEXT NOT NULL,"
	"  sha256 TEXT,"
	"  seen_sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  mtime INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  language TEXT,"
	"  title TEXT,"
	"  encoding TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('indexed','needs_ocr','failed','deleted')),"
	"  error TEXT,"
	"  cache_key TEXT,"
	"  pages INTEGER NOT NULL DEFAULT 0,"
	"  pages_needing_ocr INTEGER NOT NULL DEFAULT 0,"
	"  chunks INTEGER NOT NULL DEFAULT 0,"
	"  chars INTEGER NOT NULL DEFAULT 0,"
	"  first_seen_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (root, relpath)"
	");"
	"CREATE INDEX documents_seen_sha256 ON documents(seen_sha256);"
	"CREATE TABLE pages ("
	"  doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
	"  page_no INTEGER NOT NULL,"
	"  method TEXT NOT NULL CHECK (method IN ('text','needs_ocr','empty')),"
	"  chars INTEGER NOT NULL,"
	"  PRIMARY KEY (doc_id, page_no)"
	") WITHOUT ROWID;"
	"CREATE TABLE chunks ("
	"  id INTEGER PRIMARY KEY,"
	"  doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  page_start INTEGER NOT NULL,"
	"  page_end INTEGER NOT NULL,"
	"  heading TEXT NOT NULL,"
	"  char_start INTEGER NOT NULL,"
	"  char_end INTEGER NOT NULL,"
	"  language TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  UNIQUE (doc_id, seq)"
	");"
	/*
	 * The index reads its text through this view, which prefixes the
	 * chunk's language (\x1f fr \x1f) for the tokenizer to stem by.
	 */
	"CREATE VIEW chunks_fts_source AS"
	"  SELECT id, char(31) || language || char(31) || text AS body,"
	"         char(31) || language || char(31) || heading AS heading FROM chunks;"
	"CREATE VIRTUAL TABLE chunks_fts USING fts5(body, heading,"
	"  content='chunks_fts_source', content_rowid='id', tokenize='ragops');"
	"CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN"
	"  INSERT INTO chunks_fts(rowid, body, heading) VALUES (new.id,"
	"    char(31) || new.language || char(31) || new.text,"
	"    char(31) || new.language || char(31) || new.heading);"
	"END;"
	"CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN"
	"  INSERT INTO chunks_fts(chunks_fts, rowid, body, heading) VALUES ('delete', old.id,"
	"    char(31) || old.language || char(31) || old.text,"
	"    char(31) || old.language || char(31) || old.heading);"
	"END;"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  trigger TEXT NOT NULL,"
	"  params TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('running','completed','completed_with_failures','failed','crashed')),"
	"  pid INTEGER NOT NULL,"
	"  host TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  ended_at INTEGER,"
	"  docs_seen INTEGER NOT NULL DEFAULT 0,"
	"  docs_new INTEGER NOT NULL DEFAULT 0,"
	"  docs_changed INTEGER NOT NULL DEFAULT 0,"
	"  docs_unchanged INTEGER NOT NULL DEFAULT 0,"
	"  docs_renamed INTEGER NOT NULL DEFAULT 0,"
	"  docs_deleted INTEGER NOT NULL DEFAULT 0,"
	"  docs_failed INTEGER NOT NULL DEFAULT 0,"
	"  pages INTEGER NOT NULL DEFAULT 0,"
	"  pages_needing_ocr INTEGER NOT NULL DEFAULT 0,"
	"  chunks INTEGER NOT NULL DEFAULT 0,"
	"  chars INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT"
	");"
	"CREATE TABLE tasks ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  doc_id INTEGER REFERENCES documents(id) ON DELETE SET NULL,"
	"  doc_path TEXT NOT NULL,"
	"  stage TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('pending','running','completed','cached','failed','retrying')),"
	"  attempts INTEGER NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  duration_ms REAL NOT NULL,"
	"  cache_key TEXT,"
	"  error TEXT"
	");"
	"CREATE INDEX tasks_run ON tasks(run_id);"
	"CREATE INDEX tasks_doc ON tasks(doc_id);",

	/* 2: OCR: per-page quality, results cached by page image, weak chunks flagged */
	"CREATE TABLE ocr_cache ("
	"  key TEXT PRIMARY KEY,"
	"  engine TEXT NOT NULL,"
	"  languages TEXT NOT NULL,"
	"  dpi INTEGER NOT NULL,"
	"  confidence REAL NOT NULL,"
	"  words INTEGER NOT NULL,"
	"  low_words INTEGER NOT NULL,"
	"  seconds REAL NOT NULL,"
	"  result TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE TABLE pages_v2 ("
	"  doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
	"  page_no INTEGER NOT NULL,"
	"  method TEXT NOT NULL CHECK (method IN ('text','needs_ocr','empty','ocr','ocr_failed')),"
	"  chars INTEGER NOT NULL,"
	"  ocr_key TEXT,"
	"  confidence REAL,"
	"  words INTEGER,"
	"  low_words INTEGER,"
	"  flagged INTEGER NOT NULL DEFAULT 0,"
	"  seconds REAL,"
	"  error TEXT,"
	"  PRIMARY KEY (doc_id, page_no)"
	") WITHOUT ROWID;"
	"INSERT INTO pages_v2 (doc_id, page_no, method, chars)"
	"  SELECT doc_id, page_no, method, chars FROM pages;"
	"DROP TABLE pages;"
	"ALTER TABLE pages_v2 RENAME TO pages;"
	"CREATE INDEX pages_method ON pages(method);"
	"ALTER TABLE chunks ADD COLUMN low_confidence INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN ocr_pages INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN ocr_failed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN ocr_flagged INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN ocr_confidence REAL NOT NULL DEFAULT 0;",

	/* 3: the query log, and term statistics of the index for answer scoring */
	"CREATE TABLE queries ("
	"  id INTEGER PRIMARY KEY,"
	"  asked_at INTEGER NOT NULL,"
	"  question TEXT NOT NULL,"
	"  language TEXT NOT NULL,"
	"  answer TEXT NOT NULL,"
	"  abstained INTEGER NOT NULL,"
	"  evidence REAL NOT NULL,"
	"  sources TEXT NOT NULL,"
	"  retriever TEXT NOT NULL,"
	"  embedder TEXT,"
	"  answerer TEXT NOT NULL,"
	"  index_run INTEGER,"
	"  ms_retrieve REAL NOT NULL,"
	"  ms_fuse REAL NOT NULL,"
	"  ms_answer REAL NOT NULL,"
	"  ms_total REAL NOT NULL,"
	"  answer_chars INTEGER NOT NULL,"
	"  source_count INTEGER NOT NULL"
	");"
	"CREATE INDEX queries_time ON queries(asked_at);"
	"CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');",

	/* 4: model registry and chunk vectors */
	"CREATE TABLE models ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  version TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  params TEXT NOT NULL,"
	"  metrics TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('candidate','production','archived')),"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (kind, version)"
	");"
	"CREATE TABLE embeddings ("
	"  chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,"
	"  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
	"  vector BLOB NOT NULL,"
	"  PRIMARY KEY (model_id, chunk_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX embeddings_chunk ON embeddings(chunk_id);",

	/* 5: user feedback on answers */
	"CREATE TABLE feedback ("
	"  id INTEGER PRIMARY KEY,"
	"  created_at INTEGER NOT NULL,"
	"  query_id INTEGER REFERENCES queries(id) ON DELETE SET NULL,"
	"  question TEXT NOT NULL,"
	"  answer TEXT NOT NULL,"
	"  sources TEXT NOT NULL,"
	"  rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),"
	"  feedback_text TEXT,"
	"  corrected_answer TEXT"
	");"
	"CREATE INDEX feedback_time ON feedback(created_at);",

	/* 6: the index ranks by BM25 with headings weighing twice the body */
	"INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('rank', 'bm25(1.0, 2.0)');",

	/* 7: a model's vectors change without the model: searches reload them when this moves */
	"ALTER TABLE models ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;",
};

int sqlite_migrate(sqlite3 *db, struct strbuf *err)
{
	sqlite3_stmt *st = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);

	int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
	if (version > latest) {
		strbuf_addf(err, "the store has schema version %d, newer than this ragops (%d): "
			    "upgrade ragops", version, latest);
		return -1;
	}
	for (int v = version; v < latest; v++) {
		char *msg = NULL;
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;", v + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			strbuf_addf(err, "migration %d failed: %s", v + 1, msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

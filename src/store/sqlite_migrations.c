/*
 * Numbered schema migrations.  Each runs in its own transaction and bumps
 * PRAGMA user_version; never edit a released one, add the next.
 */
#include <stddef.h>

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

	/*
	 * 8: releases.  A document's content becomes immutable versions
	 * (doc_versions); chunks belong to a version and are never rewritten,
	 * and their ids never come back (AUTOINCREMENT), so anything keyed by
	 * a chunk id means one text forever.  A release is a set of document
	 * versions plus the models built for it; runs may end "refused".
	 */
	"CREATE TABLE doc_versions ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
	"  sha256 TEXT NOT NULL,"
	"  title TEXT,"
	"  language TEXT,"
	"  pages INTEGER NOT NULL DEFAULT 0,"
	"  pages_needing_ocr INTEGER NOT NULL DEFAULT 0,"
	"  ocr_pages INTEGER NOT NULL DEFAULT 0,"
	"  weak_pages INTEGER NOT NULL DEFAULT 0,"
	"  chunks INTEGER NOT NULL DEFAULT 0,"
	"  chars INTEGER NOT NULL DEFAULT 0,"
	"  run_id INTEGER,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX doc_versions_doc ON doc_versions(doc_id);"
	"INSERT INTO doc_versions (doc_id, sha256, title, language, pages, pages_needing_ocr,"
	"  ocr_pages, weak_pages, chunks, chars, created_at)"
	"  SELECT d.id, coalesce(d.sha256, d.seen_sha256), d.title, d.language, d.pages,"
	"    d.pages_needing_ocr,"
	"    (SELECT count(*) FROM pages p WHERE p.doc_id = d.id AND p.method IN ('ocr','ocr_failed')),"
	"    (SELECT count(*) FROM pages p WHERE p.doc_id = d.id AND p.flagged),"
	"    (SELECT count(*) FROM chunks c WHERE c.doc_id = d.id), d.chars, d.updated_at"
	"  FROM documents d WHERE d.status != 'deleted'"
	"    AND (d.status != 'failed' OR EXISTS (SELECT 1 FROM chunks c WHERE c.doc_id = d.id))"
	"  ORDER BY d.id;"
	"ALTER TABLE documents ADD COLUMN version_id INTEGER REFERENCES doc_versions(id);"
	"UPDATE documents SET version_id = (SELECT v.id FROM doc_versions v WHERE v.doc_id = documents.id);"
	"DROP VIEW chunks_fts_source;"
	"CREATE TABLE chunks_v8 ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
	"  version_id INTEGER NOT NULL REFERENCES doc_versions(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  page_start INTEGER NOT NULL,"
	"  page_end INTEGER NOT NULL,"
	"  heading TEXT NOT NULL,"
	"  char_start INTEGER NOT NULL,"
	"  char_end INTEGER NOT NULL,"
	"  language TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  low_confidence INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (version_id, seq)"
	");"
	/* Every chunk row has its document's version: the index's rows keep their ids. */
	"INSERT INTO chunks_v8 (id, doc_id, version_id, seq, page_start, page_end, heading,"
	"  char_start, char_end, language, text, low_confidence)"
	"  SELECT c.id, c.doc_id, d.version_id, c.seq, c.page_start, c.page_end, c.heading,"
	"    c.char_start, c.char_end, c.language, c.text, c.low_confidence"
	"  FROM chunks c JOIN documents d ON d.id = c.doc_id;"
	"DROP TABLE chunks;"
	"ALTER TABLE chunks_v8 RENAME TO chunks;"
	"CREATE INDEX chunks_doc ON chunks(doc_id);"
	"CREATE VIEW chunks_fts_source AS"
	"  SELECT id, char(31) || language || char(31) || text AS body,"
	"         char(31) || language || char(31) || heading AS heading FROM chunks;"
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
	"CREATE TABLE runs_v8 ("
	"  id INTEGER PRIMARY KEY,"
	"  trigger TEXT NOT NULL,"
	"  params TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('running','completed','completed_with_failures','refused','failed','crashed')),"
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
	"  error TEXT,"
	"  ocr_pages INTEGER NOT NULL DEFAULT 0,"
	"  ocr_failed INTEGER NOT NULL DEFAULT 0,"
	"  ocr_flagged INTEGER NOT NULL DEFAULT 0,"
	"  ocr_confidence REAL NOT NULL DEFAULT 0"
	");"
	"INSERT INTO runs_v8 SELECT id, trigger, params, state, pid, host, started_at, ended_at,"
	"  docs_seen, docs_new, docs_changed, docs_unchanged, docs_renamed, docs_deleted, docs_failed,"
	"  pages, pages_needing_ocr, chunks, chars, error, ocr_pages, ocr_failed, ocr_flagged,"
	"  ocr_confidence FROM runs;"
	"DROP TABLE runs;"
	"ALTER TABLE runs_v8 RENAME TO runs;"
	"CREATE TABLE releases ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
	"  parent_id INTEGER,"   /* production when it was built */
	"  previous_id INTEGER," /* the production it replaced: where rollback goes */
	"  state TEXT NOT NULL CHECK (state IN ('candidate','production','refused','archived')),"
	"  documents INTEGER NOT NULL DEFAULT 0,"
	"  chunks INTEGER NOT NULL DEFAULT 0,"
	"  lexicon_id INTEGER REFERENCES models(id),"
	"  embedder_id INTEGER REFERENCES models(id),"
	"  settings TEXT NOT NULL DEFAULT '{}',"
	"  changes TEXT NOT NULL DEFAULT '{}',"
	"  metrics TEXT NOT NULL DEFAULT '{}',"
	"  checks TEXT NOT NULL DEFAULT '[]',"
	"  eval_key TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  decided_at INTEGER"
	");"
	"CREATE UNIQUE INDEX releases_one_production ON releases(state) WHERE state = 'production';"
	"CREATE TABLE release_docs ("
	"  release_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,"
	"  version_id INTEGER NOT NULL REFERENCES doc_versions(id),"
	"  PRIMARY KEY (release_id, version_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX release_docs_version ON release_docs(version_id);"
	"CREATE TABLE release_events ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  action TEXT NOT NULL CHECK (action IN ('promote','rollback','refuse')),"
	"  from_id INTEGER,"
	"  to_id INTEGER,"
	"  actor TEXT NOT NULL,"
	"  forced INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT"
	");"
	"ALTER TABLE queries ADD COLUMN release_id INTEGER;"
	"ALTER TABLE models ADD COLUMN parent_id INTEGER;"
	"ALTER TABLE models ADD COLUMN data_hash TEXT;"
	/*
	 * The index as it stood becomes release 1, in production.  Its lexicon
	 * may predate its chunks (the bug releases fix), so it has none: BM25
	 * reads the SQLite index until the next run builds a complete release.
	 */
	"INSERT INTO releases (run_id, state, documents, chunks, embedder_id, changes, created_at,"
	"  decided_at)"
	"  SELECT (SELECT max(id) FROM runs WHERE state LIKE 'completed%'), 'production', count(*),"
	"    coalesce(sum(chunks), 0),"
	"    (SELECT id FROM models WHERE kind = 'embedder' AND state = 'production'),"
	"    '{\"migrated\":true}', max(created_at), max(created_at)"
	"  FROM doc_versions HAVING count(*) > 0;"
	"INSERT INTO release_docs (release_id, version_id) SELECT r.id, v.id FROM releases r, doc_versions v;"
	"INSERT INTO release_events (at, action, to_id, actor, reason)"
	"  SELECT created_at, 'promote', id, 'migration', 'the index as it was before releases'"
	"  FROM releases;",

	/*
	 * 9: feedback names the sources it judges (JSON arrays of document
	 * paths, NULL when not said); a release holds the models retraining
	 * makes (ranker, vocabulary, curated answers, thresholds) besides its
	 * lexicon and embedder; every retraining is recorded.
	 */
	"ALTER TABLE feedback ADD COLUMN helpful_sources TEXT;"
	"ALTER TABLE feedback ADD COLUMN unhelpful_sources TEXT;"
	"CREATE TABLE release_models ("
	"  release_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"
	"  model_id INTEGER NOT NULL REFERENCES models(id),"
	"  PRIMARY KEY (release_id, kind)"
	") WITHOUT ROWID;"
	"CREATE INDEX release_models_model ON release_models(model_id);"
	/* Every model a release holds, whichever way it is attached. */
	"CREATE VIEW release_model_ids (release_id, model_id) AS"
	"  SELECT id, lexicon_id FROM releases WHERE lexicon_id IS NOT NULL"
	"  UNION ALL SELECT id, embedder_id FROM releases WHERE embedder_id IS NOT NULL"
	"  UNION ALL SELECT release_id, model_id FROM release_models;"
	"CREATE TABLE retrainings ("
	"  id INTEGER PRIMARY KEY,"
	"  started_at INTEGER NOT NULL,"
	"  ended_at INTEGER,"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('running','promoted','refused','nothing','failed')),"
	"  actor TEXT NOT NULL,"
	"  release_id INTEGER REFERENCES releases(id) ON DELETE SET NULL,"
	"  feedback_upto INTEGER NOT NULL DEFAULT 0,"
	"  feedback_hash TEXT,"
	"  report TEXT NOT NULL DEFAULT '{}'"
	");",

	/*
	 * 10: the Idempotency-Key a feedback record was posted with (POST
	 * /api/feedback), and a hash of the request, so that the same key
	 * again gets the same record; gone with the record.
	 */
	"CREATE TABLE feedback_keys ("
	"  key TEXT PRIMARY KEY,"
	"  request_hash TEXT NOT NULL,"
	"  feedback_id INTEGER NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,"
	"  created_at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX feedback_keys_feedback ON feedback_keys(feedback_id);",

	/*
	 * 11: deployments (named flows on a cron schedule), and runs that know
	 * which deployment and which scheduled time they were for; a scheduled
	 * time can be skipped (late, or the last run still going) and a run
	 * cancelled, states the CHECK must allow, so runs is rebuilt.
	 */
	"CREATE TABLE deployments ("
	"  name TEXT PRIMARY KEY,"
	"  cron TEXT NOT NULL,"
	"  timezone TEXT NOT NULL,"
	"  params TEXT NOT NULL DEFAULT '{}',"
	"  missed TEXT NOT NULL CHECK (missed IN ('skip','once')),"
	"  overlap TEXT NOT NULL CHECK (overlap IN ('skip','queue')),"
	"  paused INTEGER NOT NULL DEFAULT 0,"
	"  declared INTEGER NOT NULL DEFAULT 0," /* from ragops.yaml */
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  handled_through INTEGER NOT NULL" /* scheduled times up to here were run or skipped */
	") WITHOUT ROWID;"
	"CREATE TABLE runs_v11 ("
	"  id INTEGER PRIMARY KEY,"
	"  trigger TEXT NOT NULL,"
	"  params TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('running','completed','completed_with_failures',"
	"    'refused','failed','crashed','cancelled','skipped')),"
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
	"  error TEXT,"
	"  ocr_pages INTEGER NOT NULL DEFAULT 0,"
	"  ocr_failed INTEGER NOT NULL DEFAULT 0,"
	"  ocr_flagged INTEGER NOT NULL DEFAULT 0,"
	"  ocr_confidence REAL NOT NULL DEFAULT 0,"
	"  deployment TEXT,"
	"  scheduled_for INTEGER" /* the schedule's time this run was for (ms) */
	");"
	"INSERT INTO runs_v11 SELECT id, trigger, params, state, pid, host, started_at, ended_at,"
	"  docs_seen, docs_new, docs_changed, docs_unchanged, docs_renamed, docs_deleted, docs_failed,"
	"  pages, pages_needing_ocr, chunks, chars, error, ocr_pages, ocr_failed, ocr_flagged,"
	"  ocr_confidence, NULL, NULL FROM runs;"
	"DROP TABLE runs;"
	"ALTER TABLE runs_v11 RENAME TO runs;"
	"CREATE INDEX runs_deployment ON runs(deployment, id) WHERE deployment IS NOT NULL;",

	/*
	 * 12: a run's heartbeat: a run that stops beating is crashed, even when
	 * its pid lives on (reused, or the process hung on another host).
	 */
	"ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;",

	/* 13: what retention deleted, still counted by the Prometheus counters */
	"CREATE TABLE retired_tallies ("
	"  tally TEXT NOT NULL,"
	"  label TEXT NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (tally, label)"
	") WITHOUT ROWID;",

	/*
	 * 14: vectors in a rowid table.  A WITHOUT ROWID row keeps about 1 KB
	 * in its page, so each 256-float vector (1,024 bytes and its key)
	 * went to an overflow page of its own: 4 KB written, and read, per
	 * vector.  A rowid table keeps it in the leaf.
	 */
	"CREATE TABLE embeddings_rows ("
	"  id INTEGER PRIMARY KEY,"
	"  chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,"
	"  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
	"  vector BLOB NOT NULL,"
	"  UNIQUE (model_id, chunk_id)"
	");"
	"INSERT INTO embeddings_rows (chunk_id, model_id, vector)"
	"  SELECT chunk_id, model_id, vector FROM embeddings ORDER BY model_id, chunk_id;"
	"DROP TABLE embeddings;"
	"ALTER TABLE embeddings_rows RENAME TO embeddings;"
	"CREATE INDEX embeddings_chunk ON embeddings(chunk_id);",

	/*
	 * 15: chunks reach the full-text index from store_doc_save, not from a
	 * trigger.  A statement that fires a trigger opens a statement
	 * savepoint, and FTS5 writes its pending terms to disk at every
	 * savepoint: one index segment per chunk, merged again and again.
	 */
	"DROP TRIGGER chunks_fts_insert;",

	/*
	 * 16: model files kept in the store, for machines sharing a
	 * PostgreSQL store: each copies what it lacks into its own data folder,
	 * checked by hash (pipeline/artefact.c).  A SQLite store's files are in
	 * its data folder: the table stays empty there.
	 */
	"CREATE TABLE artefacts ("
	"  id INTEGER PRIMARY KEY,"
	"  path TEXT NOT NULL UNIQUE," /* as models.path names it: models/<file> */
	"  sha256 TEXT NOT NULL,"
	"  bytes BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL"
	");",

	/*
	 * 17: the work queue of a store shared by several machines
	 * (pipeline/queue.c): a run's new and changed documents as work items
	 * that `ragops worker` processes claim under a lease, and the workers
	 * with their heartbeats.  Times are the database server's, in epoch ms.
	 * A SQLite store has one machine: its run works through its own list.
	 */
	"CREATE TABLE workers ("
	"  id TEXT PRIMARY KEY," /* unique per process start: name@host:pid:start */
	"  name TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  version TEXT NOT NULL,"
	"  stages TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  heartbeat_at INTEGER NOT NULL,"
	"  lease_ms INTEGER NOT NULL," /* its worker.lease_seconds: "lost" is judged by its own */
	"  stopped_at INTEGER"
	");"
	"CREATE TABLE work ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  doc_id INTEGER," /* the store's record when the run enqueued it; NULL: a new document */
	"  root TEXT NOT NULL,"
	"  relpath TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  mtime INTEGER NOT NULL,"
	"  settings TEXT NOT NULL," /* the run's stage settings: only a worker with the same claims it */
	"  needs TEXT NOT NULL DEFAULT 'any' CHECK (needs IN ('any','ocr')),"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued','claimed','done','cancelled')),"
	"  owner TEXT,"
	"  attempt INTEGER NOT NULL DEFAULT 0,"
	"  lease_until INTEGER NOT NULL DEFAULT 0,"
	"  enqueued_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  outcome TEXT,"
	"  ocr_pages INTEGER NOT NULL DEFAULT 0," /* the OCR figures of the document saved */
	"  ocr_failed INTEGER NOT NULL DEFAULT 0,"
	"  ocr_flagged INTEGER NOT NULL DEFAULT 0,"
	"  ocr_read INTEGER NOT NULL DEFAULT 0,"
	"  ocr_confidence_sum REAL NOT NULL DEFAULT 0,"
	"  ocr_cached INTEGER NOT NULL DEFAULT 0,"
	"  ocr_seconds REAL NOT NULL DEFAULT 0,"
	"  UNIQUE (run_id, root, relpath)"
	");"
	"CREATE INDEX work_queued ON work(id) WHERE state = 'queued';"
	"CREATE INDEX work_owner ON work(owner);"
	"CREATE INDEX work_leases ON work(lease_until) WHERE state = 'claimed';"
	"CREATE TABLE slots (" /* cluster-wide limits: a row per slot, held under a lease */
	"  kind TEXT NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  owner TEXT,"
	"  lease_until INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (kind, n)"
	");",
};

/*
 * The statement that records migration N as done, one per migration:
 * PRAGMA takes no bound parameter, and SQL is never printed (t0154).
 * sqlite_migrate checks that each one left the version it names.
 */
#define USER_VERSION(n) "PRAGMA user_version = " #n
static const char *const version_bumps[] = {
	USER_VERSION(1),  USER_VERSION(2),  USER_VERSION(3),  USER_VERSION(4),  USER_VERSION(5),
	USER_VERSION(6),  USER_VERSION(7),  USER_VERSION(8),  USER_VERSION(9),  USER_VERSION(10),
	USER_VERSION(11), USER_VERSION(12), USER_VERSION(13), USER_VERSION(14), USER_VERSION(15),
	USER_VERSION(16), USER_VERSION(17),
};
_Static_assert(sizeof(version_bumps) / sizeof(version_bumps[0]) ==
		       sizeof(migrations) / sizeof(migrations[0]),
	       "a migration added needs its USER_VERSION(n) in version_bumps");

/* Whether a migration left a reference dangling; *msg says which table. */
static int foreign_keys_broken(sqlite3 *db, char **msg)
{
	sqlite3_stmt *st = NULL;
	int broken = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		broken = 1;
		*msg = sqlite3_mprintf("a row of '%s' refers to a missing row of '%s'",
				       sqlite3_column_text(st, 0), sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	return broken;
}

static int schema_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return version;
}

/* Whether version_bumps left another version than `want` (a slip in the table). */
static int version_not_bumped(sqlite3 *db, int want, char **msg)
{
	int got = schema_version(db);
	if (got == want)
		return 0;
	*msg = sqlite3_mprintf("its statement set user_version %d, not %d", got, want);
	return 1;
}

int sqlite_migrate(sqlite3 *db, struct strbuf *err)
{
	int version = schema_version(db);

	int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
	if (version > latest) {
		strbuf_addf(err,
			    "the store has schema version %d, newer than this ragops (%d): "
			    "upgrade ragops",
			    version, latest);
		return -1;
	}
	if (version == latest)
		return 0;
	/*
	 * A migration that rebuilds a table drops the old one, which with
	 * foreign keys on would cascade into the rows that reference it
	 * (SQLite's documented procedure): off during migrations, and every
	 * reference checked before each commit.
	 */
	sqlite3_exec(db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
	int ret = 0;
	for (int v = version; v < latest && !ret; v++) {
		char *msg = NULL;
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
			strbuf_addf(err, "migration %d failed: %s", v + 1, msg ? msg : "?");
			sqlite3_free(msg);
			ret = -1;
			break;
		}
		/* Another process opening the store at the same moment may have done it meanwhile. */
		if (schema_version(db) > v) {
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			continue;
		}
		if (sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    foreign_keys_broken(db, &msg) ||
		    sqlite3_exec(db, version_bumps[v], NULL, NULL, &msg) != SQLITE_OK ||
		    version_not_bumped(db, v + 1, &msg) ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			strbuf_addf(err, "migration %d failed: %s", v + 1, msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			ret = -1;
		}
	}
	sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	return ret;
}

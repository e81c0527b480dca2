#!/usr/bin/env bash
# slow
# The store on PostgreSQL (--store URL), as a user moving off SQLite sees
# it: the same run over the sample corpus leaves the same documents and
# chunks (texts, offsets, pages) as on SQLite, answers and scores the same,
# re-runs incrementally; a schema newer than the binary and bad credentials
# are refused with a clear message that never shows the password.
# store: both (a SQLite run beside a PostgreSQL one, compared)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pg_database "t0221_$$"

lite=$(new_data lite)
pgd=$(new_data pg)
out=$(rg "$lite" run --inbox "$TOP/samples/corpus" 2>&1)
contains "the SQLite run promotes its release" "$out" "promoted"
out=$("$RAGOPS" --data "$pgd" --store "$url" run --inbox "$TOP/samples/corpus" 2>&1)
rc=$?
equals "the PostgreSQL run exits 0" "$rc" "0"
contains "the PostgreSQL run promotes its release" "$out" "promoted"
lacks "no server notice reaches the user" "$out" "NOTICE"
lacks "and no warning" "$out" "warning"
[[ -e "$pgd/ragops.db" ]] && not_ok "no SQLite file in the data folder" || ok "no SQLite file in the data folder"

# The schema: the same tables, columns, keys, constraints and indexes (FTS5 aside).
out=$(bash "$TOP/tests/tools/compare_pg_schema.sh" "$lite/ragops.db" "$url" 2>&1)
rc=$?
[[ $rc -eq 0 ]] && ok "the two stores' schemas match ($(grep -o 'same: [0-9]* facts' <<<"$out"))" ||
	not_ok "the two stores' schemas match" "$out"

# Documents and chunks, row for row: path, sequence, pages, offsets, heading, text.
chunks_sql="SELECT d.relpath, c.seq, c.page_start, c.page_end, c.char_start, c.char_end,
  c.language, c.low_confidence, c.heading, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id
  ORDER BY d.relpath, c.seq"
sqlite3 -separator '|' "$lite/ragops.db" "$chunks_sql" >lite.chunks
pg "$url" -F '|' -c "$chunks_sql" >pg.chunks
lines=$(wc -l <lite.chunks)
[[ $lines -gt 200 ]] && ok "the SQLite store holds the corpus's chunks ($lines lines)" ||
	not_ok "the SQLite store holds the corpus's chunks ($lines lines)"
if cmp -s lite.chunks pg.chunks; then ok "PostgreSQL holds the very chunks SQLite holds"; else
	not_ok "PostgreSQL holds the very chunks SQLite holds" "$(diff lite.chunks pg.chunks | head -20)"; fi
docs_sql="SELECT relpath, type, language, status, pages, chunks, chars, sha256 FROM documents ORDER BY relpath"
sqlite3 -separator '|' "$lite/ragops.db" "$docs_sql" >lite.docs
pg "$url" -F '|' -c "$docs_sql" >pg.docs
if cmp -s lite.docs pg.docs; then ok "and the same documents"; else
	not_ok "and the same documents" "$(diff lite.docs pg.docs | head -20)"; fi

# The same answers and the same scores on the golden questions.
q="Quelle vitesse minimale faut-il avec un 200 mm sur un capteur APS-C ?"
a_lite=$(rg "$lite" ask --json "$q" | jq_py "$(cat)" "j['answer']")
a_pg=$("$RAGOPS" --data "$pgd" --store "$url" ask --json "$q" | jq_py "$(cat)" "j['answer']")
[[ -n "$a_lite" && "$a_lite" == "$a_pg" ]] && ok "a question gets the same answer on both stores" ||
	not_ok "a question gets the same answer on both stores" "sqlite: $a_lite
postgresql: $a_pg"
metrics='" ".join("%s=%.3f" % (k, j["retrievers"][0][k]) for k in ("recall_at_1", "recall_at_5", "mrr"))'
e_lite=$(rg "$lite" eval --golden "$TOP/samples/golden.jsonl" --json 2>/dev/null)
e_pg=$("$RAGOPS" --data "$pgd" --store "$url" eval --golden "$TOP/samples/golden.jsonl" --json 2>/dev/null)
s_lite=$(jq_py "$e_lite" "$metrics" 2>&1)
s_pg=$(jq_py "$e_pg" "$metrics" 2>&1)
[[ "$s_lite" == recall* && "$s_lite" == "$s_pg" ]] && ok "eval scores the golden set the same ($s_pg)" ||
	not_ok "eval scores the golden set the same" "sqlite: $s_lite
postgresql: $s_pg"

# Incremental: nothing changed, nothing redone.
out=$("$RAGOPS" --data "$pgd" --store "$url" run --inbox "$TOP/samples/corpus" --json 2>err.log)
equals "a re-run finds every document unchanged" "$(jq_py "$out" "j['documents']['unchanged'], j['documents']['new']" 2>&1)" "29 0"
lacks "and warns of nothing (its history sweep included)" "$(cat err.log)" "warning"
check "ragops check passes on the PostgreSQL store" "$RAGOPS" --data "$pgd" --store "$url" check
pg "$url" -c "UPDATE documents SET chunks = chunks + 1 WHERE id = (SELECT min(id) FROM documents)"
expect_exit 4 "ragops check finds a document whose count is not its chunks'" \
	"$RAGOPS" --data "$pgd" --store "$url" check
pg "$url" -c "UPDATE documents SET chunks = chunks - 1 WHERE id = (SELECT min(id) FROM documents)"
out=$("$RAGOPS" --data "$pgd" --store "$url" releases 2>&1)
contains "releases lists the promoted release" "$out" "production"

# Lists without a limit (SQLite's LIMIT -1, which PostgreSQL refuses): the
# feedback export, the dashboard's summary, /metrics, the retrain status.
check "feedback is added on the PostgreSQL store" "$RAGOPS" --data "$pgd" --store "$url" \
	feedback add --question "it's a \"test\" ? \$1" --answer "a" --rating 2
out=$("$RAGOPS" --data "$pgd" --store "$url" feedback export 2>&1)
contains "feedback export lists it (no limit)" "$out" 'test\" ? $1'
if RAGOPS_SERVE_TOKEN=t0221-token serve_start "$pgd" --store "$url"; then
	for route in /metrics /api/metrics/summary /api/retrain /api/feedback "/api/runs?limit=1" /readyz; do
		code=$(curl -s -o route.out -w '%{http_code}' "$SERVE_URL$route")
		equals "serve on PostgreSQL: GET $route answers 200 ($(head -c 80 route.out))" "$code" 200
	done
	# One Idempotency-Key sent ten times at once: one record, every answer its replay.
	posts=()
	for i in $(seq 10); do
		curl -s -o "idem$i.out" -w '%{http_code}\n' -H 'Content-Type: application/json' \
			-H 'Idempotency-Key: t0221-same-key' -d '{"question":"q","answer":"a","rating":4}' \
			"$SERVE_URL/api/feedback" >"idem$i.code" &
		posts+=($!)
	done
	wait "${posts[@]}"
	equals "ten POST /api/feedback at once with one Idempotency-Key all answer 201" \
		"$(cat idem*.code | sort | uniq -c | tr -s ' ')" " 10 201"
	equals "with one record" "$(pg "$url" -c "SELECT count(*) FROM feedback WHERE question = 'q'")" 1
	# The run it starts (POST /api/runs) is on its store, not on a SQLite one in the data folder.
	code=$(curl -s -o route.out -w '%{http_code}' -X POST -H 'Authorization: Bearer t0221-token' \
		"$SERVE_URL/api/runs")
	equals "POST /api/runs starts a run ($(head -c 80 route.out))" "$code" 202
	state=
	for _ in $(seq 120); do
		state=$(pg "$url" -c "SELECT state FROM runs WHERE trigger = 'api' ORDER BY id DESC LIMIT 1")
		[[ -n "$state" && "$state" != running ]] && break
		sleep 0.5
	done
	equals "the run serve started is recorded in PostgreSQL, and ends" "$state" completed
	[[ -e "$pgd/ragops.db" ]] && not_ok "and made no SQLite store in the data folder" ||
		ok "and made no SQLite store in the data folder"
	serve_stop
else
	not_ok "serve starts on the PostgreSQL store"
fi

# Deployments: the statements whose parameters PostgreSQL types itself
# (?1 = 0 next to a bigint column) and the upsert's own columns.
rp() { "$RAGOPS" --data "$pgd" --store "$url" "$@"; }
check "deployment create on PostgreSQL" rp deployment create nightly --cron "0 2 * * *"
check "deployment create --replace (a new schedule)" rp deployment create nightly --cron "0 3 * * *" \
	--timezone Europe/Paris --replace
check "deployment pause" rp deployment pause nightly
check "deployment resume" rp deployment resume nightly
out=$(rp deployment show nightly 2>&1)
contains "deployment show reads the new schedule" "$out" '"0 3 * * *" in Europe/Paris'
check "deployment delete" rp deployment delete nightly

# One run at a time on a shared store, whatever the data folder: a run
# from another folder while one holds the store is refused (as a second
# run in one data folder is), not run beside it to fail every document.
pg "$url" -c "SELECT pg_advisory_lock(126943505068148), pg_sleep(4)" >/dev/null &
holder=$!
sleep 1
out=$("$RAGOPS" --data "$scratch/other" --store "$url" run --inbox "$TOP/samples/corpus" 2>&1)
rc=$?
equals "a run from another data folder while one holds the store exits 4" "$rc" 4
contains "and says why" "$out" "another run or retraining holds the store"
wait "$holder"

# First opens of an empty database at once: one migrates, the others wait
# for it (no duplicate key in pg_type, no deadlock on the version table).
race=0
for try in 1 2 3; do
	pg "$RAGOPS_TEST_PG_URL" -c "DROP DATABASE IF EXISTS ${db}_m WITH (FORCE)" -c "CREATE DATABASE ${db}_m" >/dev/null
	opens=()
	for i in $(seq 12); do
		"$RAGOPS" --data "$scratch/m$i" --store "$server/${db}_m" runs >"m$i.out" 2>&1 &
		opens+=($!)
	done
	for job in "${opens[@]}"; do wait "$job" || race=1; done
done
pg "$RAGOPS_TEST_PG_URL" -c "DROP DATABASE IF EXISTS ${db}_m WITH (FORCE)" >/dev/null
[[ $race -eq 0 ]] && ok "twelve first opens of an empty database at once all succeed (3 tries)" ||
	not_ok "twelve first opens of an empty database at once all succeed" "$(cat m*.out | sort | uniq -c)"

# A role that may read but not create (no CREATE on the schema) opens a
# store at this version: opening makes no table when none is missing.
host_port=${server#postgresql://*@}
ro_url="postgresql://ragops_pw:secret-pw@$host_port/$db"
if pg "$ro_url" -c "SELECT 1" >/dev/null 2>&1; then
	pg "$url" -c "GRANT USAGE ON SCHEMA public TO ragops_pw; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ragops_pw" >/dev/null
	out=$("$RAGOPS" --data "$pgd" --store "$ro_url" runs 2>&1)
	rc=$?
	equals "a read-only role opens the store and lists the runs (exit $rc)" "$rc" 0
	lacks "without asking to create anything" "$out" "permission denied for schema"
else
	ok "a read-only role opens the store # SKIP no role ragops_pw with password secret-pw (scripts/pg-cluster.sh makes it)"
fi

# A store migrated by a newer ragops: refused, not written.
pg "$url" -c "UPDATE schema_version SET version = version + 1" >/dev/null
out=$("$RAGOPS" --data "$pgd" --store "$url" runs 2>&1)
rc=$?
[[ $rc -ne 0 ]] && ok "a schema newer than the binary is refused (exit $rc)" ||
	not_ok "a schema newer than the binary is refused" "$out"
contains "and the message says to upgrade ragops" "$out" "upgrade ragops"
pg "$url" -c "UPDATE schema_version SET version = version - 1" >/dev/null

# Bad credentials: a clear failure, the password never shown.
host=${server#postgresql://*@}
out=$("$RAGOPS" --data "$pgd" --store "postgresql://ragops_pw:wrong-secret@$host/ragops" runs 2>&1)
rc=$?
[[ $rc -ne 0 ]] && ok "a wrong password fails (exit $rc)" || not_ok "a wrong password fails" "$out"
contains "and says authentication failed" "$out" "authentication failed"
lacks "without showing the password" "$out" "wrong-secret"
out=$("$RAGOPS" --data "$pgd" --store "postgresql://ragops_pw:wrong-secret@$host/ragops" config 2>&1)
lacks "config masks the password in store.url" "$out" "wrong-secret"
expect_exit 3 "a store.url that is not PostgreSQL's is a configuration error" \
	"$RAGOPS" --data "$pgd" --store "mysql://x@y/z" runs
expect_exit 3 "the FTS5 index cannot be asked of a PostgreSQL store" \
	"$RAGOPS" --data "$pgd" --store "$url" -c retrieve.bm25_index=fts5 search photo

finish

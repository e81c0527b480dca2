#!/usr/bin/env bash
# slow
# Three `ragops worker` processes on one PostgreSQL store ingest the sample
# corpus and the hostile documents of a run that only queues them: one is
# killed (SIGKILL) as it starts OCR, one is stopped (SIGSTOP) before a save
# until its lease has run out and another worker has done its documents,
# then resumed (SIGCONT).  The store ends with exactly the chunks of a
# one-process SQLite run, each document saved once, and the resumed
# worker's late results dropped, not written over the others'.
# store: both (it starts its own workers; the SQLite run is the reference)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pg_database "t0224_$$"
before_exit() {
	for p in ${run_pid:-} ${w1:-} ${w2:-} ${w3:-}; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}

mkdir -p inbox
cp -r "$TOP/tests/fixtures/ocr" inbox/a-scans # first in the queue: the first claims need OCR
cp -r "$TOP/samples/corpus/." inbox/
cp -r "$TOP/tests/fixtures/bad" inbox/bad
settings=(-c collect.max_pages=500 -c ingest.threads=1)
# Two OCR threads for the whole cluster (this machine's cores): the killed worker dies holding them.
queue=(-c worker.lease_seconds=2 -c worker.poll_seconds=0.2 -c worker.ocr_slots=2)

lite=$(new_data lite)
"$RAGOPS" --data "$lite" "${settings[@]}" run --inbox inbox >lite.out 2>&1
equals "the one-process SQLite run completes, with the hostile files failed" "$?" "1"

coordinator=$(new_data coordinator)
"$RAGOPS" --data "$coordinator" --store "$url" "${settings[@]}" "${queue[@]}" -c worker.in_run=false \
	run --inbox inbox >run.out 2>&1 &
run_pid=$!
wait_for 90 queued 50 && ok "the run queues its documents and waits" ||
	not_ok "the run queues its documents and waits (timed out)"

# w1 dies (SIGKILL, as kill -9) at its first OCR, holding its claims.
RAGOPS_CRASH_AT=ocr "$RAGOPS" --data "$(new_data w1)" --store "$url" "${settings[@]}" "${queue[@]}" \
	worker --id w1 >w1.out 2>&1 &
w1=$!
wait "$w1"
equals "worker 1 is killed as it starts OCR" "$?" "137"
held1=$(work "SELECT relpath FROM work WHERE owner LIKE 'w1@%' ORDER BY relpath")
[[ -n "$held1" ]] && ok "it dies holding documents" || not_ok "it dies holding documents"
held=$(work "SELECT count(*) FROM slots WHERE kind = 'ocr' AND owner LIKE 'w1@%'")
[[ $held -ge 1 ]] && ok "and OCR slots of the cluster's two ($held)" ||
	not_ok "and OCR slots of the cluster's two" "$(work 'SELECT * FROM slots')"
w1_lost() {
	out=$("$RAGOPS" --data "$coordinator" --store "$url" "${queue[@]}" workers)
	grep -q '^w1 .* lost ' <<<"$out"
}
wait_for 90 w1_lost && ok "ragops workers shows it lost once its heartbeat is a lease old" ||
	not_ok "ragops workers shows it lost once its heartbeat is a lease old (timed out)"

# w2 stops itself (SIGSTOP) just before its first save.
RAGOPS_STOP_AT=save "$RAGOPS" --data "$(new_data w2)" --store "$url" "${settings[@]}" "${queue[@]}" \
	worker --id w2 >w2.out 2>&1 &
w2=$!
wait_for 90 stopped "$w2" && ok "worker 2 is stopped (SIGSTOP) before a save" ||
	not_ok "worker 2 is stopped (SIGSTOP) before a save (timed out)"
held2=$(work "SELECT relpath FROM work WHERE owner LIKE 'w2@%' AND state = 'claimed' ORDER BY relpath")
[[ -n "$held2" ]] && ok "it is stopped holding claims" || not_ok "it is stopped holding claims"

"$RAGOPS" --data "$(new_data w3)" --store "$url" "${settings[@]}" "${queue[@]}" \
	worker --id w3 >w3.out 2>&1 &
w3=$!
# Worker 3 takes over what the two others held, once their leases have run out.
taken_over() {
	local run
	run=$(work "SELECT state FROM runs WHERE id = 1")
	[[ $run != running ]] && return 0
	[[ $(work "SELECT count(*) FROM work WHERE owner LIKE 'w2@%' AND state = 'claimed'") == 0 ]]
}
wait_for 90 taken_over || not_ok "worker 3 takes over worker 2's documents (timed out)"
rescued=$(work "SELECT count(*) FROM work WHERE owner NOT LIKE 'w1@%' AND attempt >= 2")
[[ $rescued -ge 1 ]] && ok "documents of the dead and the paused worker are done again under a new attempt ($rescued)" ||
	not_ok "documents of the dead and the paused worker are done again under a new attempt" \
		"$(work 'SELECT relpath, owner, attempt, state FROM work ORDER BY id')"
kill -CONT "$w2"
ok "worker 2 resumed (SIGCONT) past its lease"

wait "$run_pid"
equals "the queued run completes with the hostile files failed, as the one-process run" "$?" "1"
run_pid=
sleep 1 # worker 2 finishes what it was doing when it resumed
kill -TERM "$w2" "$w3"
wait "$w2"
equals "worker 2 stops on SIGTERM" "$?" "0"
wait "$w3"
equals "worker 3 stops on SIGTERM" "$?" "0"
w2= w3=

check "worker 2's late save was refused: another worker had the document" \
	grep -q "lost its claim on" "$scratch/w2/logs/pipeline.log"
out=$("$RAGOPS" --data "$coordinator" --store "$url" "${queue[@]}" workers --json)
equals "ragops workers: w2 and w3 stopped, w1 lost" \
	"$(jq_py "$out" '" ".join(sorted(w["name"] + "=" + w["state"] for w in j if w["name"] in ("w1", "w2", "w3")))')" \
	"w1=lost w2=stopped w3=stopped"

# The store holds what one process on SQLite made, each document once.
chunks_sql="SELECT d.relpath, c.seq, c.page_start, c.page_end, c.char_start, c.char_end,
  c.language, c.low_confidence, c.heading, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id
  ORDER BY d.relpath, c.seq"
sqlite3 -separator '|' "$lite/ragops.db" "$chunks_sql" >lite.chunks
pg "$url" -F '|' -c "$chunks_sql" >pg.chunks
lines=$(wc -l <lite.chunks)
[[ $lines -gt 1000 ]] && ok "the reference run holds $lines chunk lines" || not_ok "the reference run holds chunks ($lines)"
if cmp -s lite.chunks pg.chunks; then ok "the workers' store holds the very chunks of the one-process run"; else
	not_ok "the workers' store holds the very chunks of the one-process run" "$(diff lite.chunks pg.chunks | head -20)"; fi
docs_sql="SELECT relpath, type, status, pages, chunks, chars, sha256 FROM documents ORDER BY relpath"
sqlite3 -separator '|' "$lite/ragops.db" "$docs_sql" >lite.docs
pg "$url" -F '|' -c "$docs_sql" >pg.docs
if cmp -s lite.docs pg.docs; then ok "and the same documents, failed ones included"; else
	not_ok "and the same documents, failed ones included" "$(diff lite.docs pg.docs | head -20)"; fi
equals "each document indexed has one version: no result saved twice" \
	"$(work "SELECT count(*) FROM doc_versions")" "$(sqlite3 "$lite/ragops.db" "SELECT count(*) FROM doc_versions")"
equals "each document has one index task in the run" \
	"$(work "SELECT count(*) FROM (SELECT doc_path FROM tasks WHERE run_id = 1 AND stage = 'index'
	  AND state IN ('completed', 'failed') GROUP BY doc_path HAVING count(*) > 1) twice")" "0"
figures='[j["documents"]["seen"], j["documents"]["failed"], j["pages"], j["chunks"], j["characters"],
  j["ocr"]["pages"], j["ocr"]["failed"], j["ocr"]["flagged"], round(j["ocr"]["mean_confidence"], 1)]'
equals "the run's figures are the one-process run's (documents, pages, chunks, OCR pages)" \
	"$(jq_py "$(cat "$coordinator/metrics/run-1.json")" "$figures")" \
	"$(jq_py "$(cat "$lite/metrics/run-1.json")" "$figures")"
equals "the queue is empty once the run is over" "$(work "SELECT count(*) FROM work")" "0"
equals "the OCR slots the killed worker held came free, and the others gave theirs back" \
	"$(work "SELECT count(*) FROM slots WHERE owner IS NOT NULL")" "0"
out=$("$RAGOPS" --data "$coordinator" --store "$url" ask "Quelle vitesse minimale avec un 200 mm ?")
contains "the release built from the workers' documents answers" "$out" "1/200"

# A worker of another ragops than the one that migrated the store is refused.
work "UPDATE schema_version SET ragops_version = '0.0.9'"
out=$("$RAGOPS" --data "$(new_data w4)" --store "$url" worker --id w4 2>&1)
equals "a worker of another ragops version is refused (exit 3)" "$?" "3"
contains "and told why" "$out" "the store was last migrated by ragops 0.0.9, and this is ragops"
out=$("$RAGOPS" --data "$(new_data sqlite-worker)" worker 2>&1)
equals "a worker on a SQLite store is refused (exit 3)" "$?" "3"
contains "and told to share a PostgreSQL store" "$out" "Workers share a PostgreSQL store"

finish

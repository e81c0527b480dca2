#!/usr/bin/env bash
# serial
# Retries (issue 12): a document whose save fails because another process
# holds the store's write lock past the busy timeout is tried again after
# a backoff, and saved; each attempt is a task row ("retrying" with its
# error, then "completed" after 2 attempts), and the run, whose heartbeat
# could not reach the store meanwhile, is not taken for crashed (its
# heartbeat file says it lives).  A corrupt file is a permanent failure:
# one attempt, no retry.
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
mkdir -p "$inbox"
printf 'Le flash annulaire éclaire la proxiphotographie sans ombre portée.\n' >"$inbox/flash.txt"
d=$(new_data retry)
RAGOPS_PAUSE_AT=extract "$RAGOPS" --data "$d" -c retry.base_delay=3s -c flow.heartbeat_timeout=2s \
	run --inbox "$inbox" --json \
	>"$scratch/out.json" 2>"$scratch/err.txt" &
pid=$!
for _ in $(seq 100); do
	[[ $(sql "$d" "SELECT count(*) FROM runs WHERE state = 'running'" 2>/dev/null) == 1 ]] && break
	sleep 0.1
done
# Another writer holds the lock for 14 s: past the store's 10 s busy timeout.
if sqlite_only "another process holding SQLite's write lock"; then
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
c.execute("BEGIN IMMEDIATE"); time.sleep(14); c.execute("ROLLBACK")' "$d/ragops.db"
# Its heartbeat could not reach the store for 14 s (flow.heartbeat_timeout 2 s): it is alive all the same.
equals "a run whose heartbeat the busy store kept out is not taken for crashed" \
	"$(rg "$d" -c flow.heartbeat_timeout=2s runs --json | jq_py "$(cat)" 'j[0]["state"]')" "running"
fi
wait "$pid"
equals "the run completes once the lock is let go" "$?:$(jq_py "$(cat "$scratch/out.json")" 'j["state"]')" \
	"0:completed"
j=$(rg "$d" runs show 1 --json)
if sqlite_only "another process holding SQLite's write lock"; then
equals "the save is recorded twice: a retrying attempt with its error, then completed after 2" \
	"$(jq_py "$j" '[(t["state"], t["attempts"], "locked" in (t["error"] or "")) for t in j["tasks"] if t["document"] == "flash.txt" and t["stage"] == "index"]')" \
	"[('retrying', 1, True), ('completed', 2, False)]"
contains "the log says it will try again" "$(cat "$d/logs/pipeline.log")" "attempt 1 failed"
fi
contains "search finds the document" "$(rg "$d" search proxiphotographie)" "flash.txt"

# The disk fills up while the release is built (its lexicon file is written
# after a 3 s pause here) and room comes back before the retry.
ctl="$scratch/faults"
echo none >"$ctl"
printf 'Le déclencheur souple évite le flou de bougé.\n' >"$inbox/souple.txt"
RAGOPS_FAULTS="$ctl" RAGOPS_PAUSE_AT=lexicon "$RAGOPS" --data "$d" -c retry.base_delay=4s \
	run --inbox "$inbox" --json >"$scratch/out2.json" 2>/dev/null &
pid=$!
for _ in $(seq 100); do [[ $(sql "$d" "SELECT count(*) FROM releases" 2>/dev/null) -ge 2 ]] && break; sleep 0.1; done
echo full >"$ctl"
for _ in $(seq 150); do grep -q '"stage":"publish","msg":"attempt 1 failed' "$d/logs/pipeline.log" && break; sleep 0.1; done
echo none >"$ctl"
wait "$pid"
equals "a release whose files found the disk full is built once room is back" \
	"$?:$(jq_py "$(cat "$scratch/out2.json")" '(j["state"], j["release"]["verdict"])')" "0:('completed', 'promoted')"
j=$(rg "$d" runs show 2 --json)
equals "... the failed attempt recorded, naming the full disk" \
	"$(jq_py "$j" '[("full" in (t["error"] or "")) for t in j["tasks"] if t["stage"] == "publish" and t["state"] == "retrying"]')" \
	"[True]"
contains "search finds the new document" "$(rg "$d" search souple)" "souple.txt"

printf '%%PDF-1.4\ngarbage, not a PDF\n' >"$inbox/casse.pdf"
j=$(rg "$d" run --inbox "$inbox" --json 2>/dev/null)
r=$(rg "$d" runs show 3 --json)
equals "a corrupt file fails once, without a retry" \
	"$(jq_py "$r" '([(t["stage"], t["state"], t["attempts"]) for t in j["tasks"] if t["document"] == "casse.pdf"], sum(t["state"] == "retrying" for t in j["tasks"]))')" \
	"([('extract', 'failed', 1)], 0)"
expect_exit 3 "retry.max_delay shorter than retry.base_delay is refused" \
	rg "$d" -c retry.base_delay=1d -c retry.max_delay=30s runs
finish

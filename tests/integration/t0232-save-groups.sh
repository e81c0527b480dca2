#!/usr/bin/env bash
# The writer saves consecutive documents in one transaction, a group
# (pipeline/save.c).  Killed (kill -9) as the group commits, the run has
# written none of it, and the next run saves every document, with a
# clean run's chunks.  A group whose commit finds the disk full is saved
# again document by document, each with its retries, once room is back;
# one that meets a failing disk leaves its documents failed, not half
# written, and the next run saves them.
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
mkdir -p "$inbox"
# 40 documents: more than one group (a batch holds at most 32).
for i in $(seq 1 10); do
	mkdir -p "$inbox/copy$i"
	cp "$TOP"/samples/corpus/notes/*.txt "$inbox/copy$i/" 2>/dev/null
	printf 'Copie numéro %d des notes, pour le test des groupes.\n' "$i" >"$inbox/copy$i/marque.txt"
done
ndocs=$(find "$inbox" -type f | wc -l)
check "the inbox holds more documents than a group ($ndocs)" test "$ndocs" -gt 32
snapshot() {
	sql "$1" "SELECT d.relpath, c.seq, c.page_start, c.page_end, c.heading, c.char_start, c.char_end, c.text
		  FROM chunks c JOIN documents d ON d.id = c.doc_id ORDER BY d.relpath, c.seq" | sha256sum
}
ref=$(new_data reference)
rg "$ref" run --inbox "$inbox" >/dev/null 2>&1
equals "reference run completes" "$?" "0"
want=$(snapshot "$ref")

# 1. kill -9 at the first group's commit.
d=$(new_data killed)
RAGOPS_CRASH_AT=commit "$RAGOPS" --data "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "the run is killed as its first group commits" "$?" "137"
out=$(rg "$d" check 2>&1) || not_ok "store consistent after the kill" "$out"
equals "none of the group's documents is in the store" \
	"$(sql "$d" "SELECT count(*) FROM documents") $(sql "$d" "SELECT count(*) FROM chunks")" "0 0"
equals "nor any of their index tasks" "$(sql "$d" "SELECT count(*) FROM tasks WHERE stage = 'index'")" "0"
j=$(rg "$d" run --inbox "$inbox" --json 2>/dev/null)
equals "the next run saves every document" "$?:$(jq_py "$j" 'j["documents"]["new"]')" "0:$ndocs"
equals "with the clean run's chunks" "$(snapshot "$d")" "$want"
equals "each document once, with one version" \
	"$(sql "$d" "SELECT count(*), count(DISTINCT relpath) FROM documents") $(sql "$d" "SELECT count(*) FROM doc_versions")" \
	"$ndocs|$ndocs $ndocs"

# 2. The disk is full when a group commits: its documents are saved again
# one by one, and wait (retries) until room is back.
if sqlite_only "the fault-injection VFS (a full disk under SQLite's WAL)"; then
small="$scratch/small"
mkdir -p "$small"
for i in 1 2 3 4 5; do
	# Large enough that the commit grows the WAL past what earlier writes left.
	python3 -c "
import sys
words = ['diaphragme', 'obturateur', 'sensibilité', 'balance', 'exposition', 'profondeur', 'netteté']
print(' '.join(f'{words[(k * $i) % 7]} {k}.' for k in range(4000)))" >"$small/doc-$i.txt"
done
ctl="$scratch/faults"
echo none >"$ctl"
d2=$(new_data full)
RAGOPS_FAULTS="$ctl" RAGOPS_STOP_AT=commit "$RAGOPS" --data "$d2" -c retry.base_delay=2s \
	run --inbox "$small" --json >"$scratch/full.json" 2>"$scratch/full.err" &
pid=$!
wait_for 30 stopped "$pid" || not_ok "the run stops itself at the group's commit"
echo full >"$ctl"
kill -CONT "$pid"
wait_for 30 grep -q "could not be committed together" "$d2/logs/pipeline.log" ||
	not_ok "the failed commit is logged"
sleep 0.5
echo none >"$ctl"
wait "$pid"
equals "the run completes once room is back" "$?:$(jq_py "$(cat "$scratch/full.json")" 'j["state"]')" \
	"0:completed"
log=$(cat "$d2/logs/pipeline.log")
check "the log says the group was saved again alone" \
	grep -Eq "the saves? of [0-9]+ documents? could not be committed together" <<<"$log"
contains "... and that a save alone waits for room" "$log" "attempt 1 failed"
equals "every document is indexed once" \
	"$(sql "$d2" "SELECT count(*), sum(status = 'indexed') FROM documents") $(sql "$d2" "SELECT count(*) FROM doc_versions")" \
	"5|5 5"
equals "each has one completed index task" \
	"$(sql "$d2" "SELECT count(DISTINCT doc_id) FROM tasks WHERE stage = 'index' AND state = 'completed'")" "5"
out=$(rg "$d2" check 2>&1) || not_ok "store consistent after the full disk" "$out"

# 3. A failing disk (EIO) at the commit: the documents fail, none half
# written, and the next run saves them.
d3=$(new_data eio)
echo none >"$ctl"
RAGOPS_FAULTS="$ctl" RAGOPS_STOP_AT=commit "$RAGOPS" --data "$d3" run --inbox "$small" --json \
	>"$scratch/eio.json" 2>"$scratch/eio.err" &
pid=$!
wait_for 30 stopped "$pid" || not_ok "the run stops itself at the group's commit"
echo eio >"$ctl"
kill -CONT "$pid"
wait "$pid"
check "the run does not report success on a failing disk" test "$?" -ne 0
echo none >"$ctl"
out=$(rg "$d3" check 2>&1) || not_ok "store consistent after the failing disk" "$out"
equals "no document was saved half-way" \
	"$(sql "$d3" "SELECT count(*) FROM chunks WHERE doc_id NOT IN (SELECT id FROM documents)") $(sql "$d3" "SELECT count(*) FROM documents WHERE status = 'indexed'")" \
	"0 0"
j=$(rg "$d3" run --inbox "$small" --json 2>/dev/null)
equals "the next run saves all five" "$?:$(sql "$d3" "SELECT sum(status = 'indexed') FROM documents")" "0:5"
fi

# 4. One worker: the writer prepares each file itself, and a parse may take
# long however small the file (a looping parser here, a slow PDF in life).
# The group is committed before it: the write lock is not held meanwhile,
# and another writer (feedback through serve) is not kept waiting.
if sqlite_only "SQLite's write lock"; then
slow="$scratch/slow-inbox"
mkdir -p "$slow"
echo "Le diaphragme règle la quantité de lumière." >"$slow/a.txt"
echo "<html><body><p>Le sténopé est un appareil sans objectif.</p></body></html>" >"$slow/b.html"
d4=$(new_data slow)
RAGOPS_PARSER_FAULT="loop:b.html" "$RAGOPS" --data "$d4" -c validate.golden= -c ingest.threads=1 \
	-c ingest.parser_timeout=5 run --inbox "$slow" >/dev/null 2>&1 &
pid=$!
cpu_ticks() { [[ -r /proc/$1/stat ]] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
looping() { local p; for p in $(pgrep -P $pid); do (( $(cpu_ticks $p) >= 50 )) && return 0; done; return 1; }
wait_for 30 looping || not_ok "the parser loops on b.html"
out=$(sqlite3 "$d4/ragops.db" ".timeout 1000" "BEGIN IMMEDIATE; ROLLBACK;" 2>&1)
equals "while the parser loops, another writer takes the write lock at once" "$out" ""
wait "$pid"
equals "a.txt is saved, b.html failed" "$(sql "$d4" "SELECT relpath, status FROM documents ORDER BY 1" | tr '\n' ' ')" \
	"a.txt|indexed b.html|failed "
fi
finish

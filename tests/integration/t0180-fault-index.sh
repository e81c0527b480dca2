#!/usr/bin/env bash
# A full disk and a failing one during the index stage (issue 13), through
# the SQLite VFS shim that RAGOPS_FAULTS switches (core/fault.h): the
# document fails with the cause named, its transaction rolls back, the
# store stays intact (the failed document used to keep the chunk count of
# the save that failed: 'ragops check' said damaged and exited 4, health
# said down), production keeps answering, and the next run, with room
# again, indexes exactly what a clean run indexes.
# store: sqlite-only (faults injected into SQLite's writes through its VFS shim)
. "$(dirname "$0")/lib.sh"
# Runs here have no golden set: the sample one asks about the whole corpus,
# not these notes, and its few thousandths of recall move with the
# embedder's floating point on another CPU (OpenBLAS picks its kernels by
# CPU), enough for the gate to refuse a release.  This test is about the
# store, not the gate.
ctl="$scratch/faults"
echo none >"$ctl"
export RAGOPS_FAULTS="$ctl"

# treatise FILE: ~300 paragraphs of made-up prose, one chunk each
treatise() {
	python3 - "$1" <<'EOF'
import random, sys
r = random.Random(13)
words = ('lumière ombre focale diaphragme obturateur capteur bruit grain tirage papier chimie '
         'révélateur fixateur cadrage horizon portrait paysage studio flash réflecteur').split()
with open(sys.argv[1], 'w') as f:
    f.write('# Traité de la chambre noire\n\n')
    for i in range(300):
        f.write(' '.join(r.choice(words) for _ in range(70)) + f' (paragraphe {i}).\n\n')
EOF
}
chunks() {
	sql "$1" "SELECT d.relpath, c.seq, c.text FROM chunks c JOIN documents d ON d.version_id = c.version_id
		  ORDER BY d.relpath, c.seq" | sha256sum
}
# run_faulted DATA INBOX FAULT: a run paused before each extraction (3 s),
# the fault switched on during the first pause; its exit status in $rc,
# its stderr in $scratch/err
run_faulted() {
	RAGOPS_PAUSE_AT=extract "$RAGOPS" --data "$1" -c validate.golden= run --inbox "$2" >"$scratch/out" 2>"$scratch/err" &
	local pid=$!
	sleep 1
	echo "$3" >"$ctl"
	wait $pid
	rc=$?
	echo none >"$ctl"
}

inbox="$scratch/inbox"
sample_inbox "$inbox" notes
d=$(new_data index)
rg "$d" -c validate.golden= run --inbox "$inbox" >/dev/null 2>&1
equals "a first run indexes the notes" "$?" "0"
treatise "$inbox/traite.md"

# --- a nearly full disk: 64 KB left, the save needs more -------------------
run_faulted "$d" "$inbox" "space 64K"
check "the run fails (exit $rc)" test "$rc" -ne 0
contains "the document fails with the cause named" "$(cat "$scratch/err")" \
	"traite.md: index: store: database or disk is full"
out=$(rg "$d" check 2>&1)
equals "ragops check: the store is intact (it said damaged: the attempted chunk count was kept)" "$?" "0"
lacks "no document counts chunks it has not" "$out" "damaged"
equals "the failed document counts no chunk" "$(sql "$d" "SELECT status, chunks FROM documents WHERE relpath = 'traite.md'")" "failed|0"
rg "$d" health >/dev/null 2>&1
check "health is not down" test $? -ne 2
contains "production still answers" "$(rg "$d" search bruit 2>&1)" "iso-et-bruit.txt"

rg "$d" -c validate.golden= run --inbox "$inbox" >"$scratch/out" 2>&1
equals "with room again, the next run completes" "$?" "0"
contains "it indexes the document" "$(rg "$d" search paragraphe 2>&1)" "traite.md"
ref=$(new_data reference)
rg "$ref" -c validate.golden= run --inbox "$inbox" >/dev/null 2>&1
equals "exactly the chunks a clean run makes" "$(chunks "$d")" "$(chunks "$ref")"
equals "no duplicate document" "$(sql "$d" "SELECT count(*) - count(DISTINCT relpath) FROM documents")" "0"
equals "every chunk has its vector" \
	"$(sql "$d" "SELECT count(*) FROM chunks c JOIN releases r ON r.state = 'production' JOIN release_docs rd ON rd.release_id = r.id AND rd.version_id = c.version_id LEFT JOIN embeddings e ON e.chunk_id = c.id AND e.model_id = r.embedder_id WHERE e.chunk_id IS NULL")" "0"

# --- an I/O error on a changed document: its old version stands -----------
echo "Le cyanotype donne des tirages bleu de Prusse." >>"$inbox/notes/iso-et-bruit.txt"
run_faulted "$d" "$inbox" eio
check "the run fails (exit $rc)" test "$rc" -ne 0
contains "the cause is named" "$(cat "$scratch/err")" "disk I/O error"
check "ragops check: intact" rg "$d" check
contains "the old version still answers" "$(rg "$d" search bruit 2>&1)" "iso-et-bruit.txt"
lacks "the new text is not half there" "$(rg "$d" search cyanotype 2>&1)" "iso-et-bruit.txt"
rg "$d" -c validate.golden= run --inbox "$inbox" >/dev/null 2>&1
equals "the next run completes" "$?" "0"
contains "and indexes the change" "$(rg "$d" search cyanotype 2>&1)" "iso-et-bruit.txt"
rg "$ref" -c validate.golden= run --inbox "$inbox" >/dev/null 2>&1
equals "exactly the chunks a clean run makes" "$(chunks "$d")" "$(chunks "$ref")"

# --- a disk that fills after a few writes, from the start of a run --------
echo "Le sténopé se passe d'objectif." >"$inbox/notes/stenope.txt"
echo "full-after 3" >"$ctl"
rg "$d" -c validate.golden= run --inbox "$inbox" >"$scratch/out" 2>"$scratch/err"
rc=$?
echo none >"$ctl"
check "a run on a disk that fills fails (exit $rc)" test "$rc" -ne 0
contains "naming the cause" "$(cat "$scratch/err")" "database or disk is full"
check "ragops check: intact" rg "$d" check
rg "$d" -c validate.golden= run --inbox "$inbox" >/dev/null 2>&1
equals "the next run completes" "$?" "0"
contains "the new note is indexed" "$(rg "$d" search sténopé 2>&1)" "stenope.txt"
equals "no run left running" "$(sql "$d" "SELECT count(*) FROM runs WHERE state = 'running'")" "0"

finish

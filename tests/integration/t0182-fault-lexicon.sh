#!/usr/bin/env bash
# A full disk and a failing one while the candidate's lexicon file is
# written (issue 13; faults from RAGOPS_FAULTS, core/fault.h): the error
# names the cause, no partial or temporary file stays under models/, the
# candidate is not published, production answers, the store is intact,
# and the next run builds the lexicon.
. "$(dirname "$0")/lib.sh"
ctl="$scratch/faults"
echo none >"$ctl"
export RAGOPS_FAULTS="$ctl"

inbox="$scratch/inbox"
sample_inbox "$inbox" notes
d=$(new_data lexicon)
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "a first run puts release 1 in production" "$(sql "$d" "SELECT id FROM releases WHERE state = 'production'")" "1"

production() { sql "$d" "SELECT id FROM releases WHERE state = 'production'"; }
# model files no model row names (a temporary or partial file left behind)
strays() {
	local f
	for f in "$d"/models/*; do
		[[ $(sql "$d" "SELECT count(*) FROM models WHERE path = 'models/$(basename "$f")'") -ge 1 ]] ||
			basename "$f"
	done
}
# lexicon_fault FAULT: a run paused before the lexicon, FAULT switched on
# during the pause; exit status in $rc, stderr in $scratch/err
lexicon_fault() {
	local last
	last=$(sql "$d" "SELECT max(id) FROM runs")
	RAGOPS_PAUSE_AT=lexicon "$RAGOPS" --data "$d" run --inbox "$inbox" >"$scratch/out" 2>"$scratch/err" &
	local pid=$!
	# the embed task is recorded just before the pause (3 s)
	for _ in $(seq 300); do
		[[ $(sql "$d" "SELECT count(*) FROM tasks WHERE stage = 'embed' AND run_id > $last") -ge 1 ]] &&
			break
		sleep 0.1
	done
	echo "$1" >"$ctl"
	wait $pid
	rc=$?
	echo none >"$ctl"
}

for fault in full eio "space 20K"; do
	case $fault in
	full) sample_inbox "$inbox" md; cause="disk full (No space left on device)"; word=raw; file=raw-vs-jpeg.md ;;
	eio) sample_inbox "$inbox" web; cause="Input/output error"; word=cobra; file=flash-cobra.html ;;
	*) echo "Le sténopé se passe d'objectif." >"$inbox/stenope.txt"
	   cause="disk full (No space left on device)"; word=sténopé; file=stenope.txt ;;
	esac
	prod=$(production)
	lexicon_fault "$fault"
	check "$fault: the run fails (exit $rc)" test "$rc" -ne 0
	contains "$fault: the lexicon fails, the cause named" "$(cat "$scratch/err")" "lexicon: no lexicon for release"
	contains "$fault: ... $cause" "$(cat "$scratch/err")" "$cause"
	equals "$fault: no partial or temporary file under models/" "$(strays)" ""
	check "$fault: ragops check: intact" rg "$d" check
	equals "$fault: production has not moved" "$(production)" "$prod"
	lacks "$fault: the new document is not served" "$(rg "$d" search --retriever bm25 "$word" 2>&1)" "$file"
	rg "$d" run --inbox "$inbox" >"$scratch/out" 2>&1
	rc=$?
	[[ $rc -eq 0 ]] && ok "$fault: the next run completes" ||
		not_ok "$fault: the next run completes (exit $rc)" "$(cat "$scratch/out")"
	check "$fault: production moved on" test "$(production)" -gt "$prod"
	contains "$fault: BM25 finds the new document" "$(rg "$d" search --retriever bm25 "$word" 2>&1)" "$file"
	check "$fault: the lexicon file of production is there" test -f \
		"$d/$(sql "$d" "SELECT m.path FROM releases r JOIN models m ON m.id = r.lexicon_id WHERE r.state = 'production'")"
done

finish

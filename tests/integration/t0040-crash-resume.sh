#!/usr/bin/env bash
# kill -9 at arbitrary moments: the store stays consistent, and the next run
# finishes the job with exactly the chunks a clean run produces.
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
mkdir -p "$inbox"
# About 250 documents, so that a run lasts long enough to be cut anywhere.
for i in $(seq 1 10); do
	mkdir -p "$inbox/copy$i"
	cp -r "$TOP/samples/corpus/pdf" "$TOP/samples/corpus/notes" "$TOP/samples/corpus/md" \
		"$TOP/samples/corpus/web" "$inbox/copy$i/"
	printf 'Copie numéro %d du corpus, pour le test de reprise.\n' "$i" >"$inbox/copy$i/marque.txt"
done

ref=$(new_data reference)
rg "$ref" run --inbox "$inbox" >/dev/null 2>&1
equals "reference run completes" "$?" "0"
snapshot() {
	sql "$1" "SELECT d.relpath, c.seq, c.page_start, c.page_end, c.heading, c.char_start, c.char_end, c.text
		  FROM chunks c JOIN documents d ON d.id = c.doc_id ORDER BY d.relpath, c.seq" | sha256sum
}
want=$(snapshot "$ref")

d=$(new_data crashed)
# Exact points first: killed (SIGKILL, as kill -9) right after the 1st, 7th
# and 40th document of a run is saved.
for n in 1 7 40; do
	RAGOPS_CRASH_AFTER_DOCUMENTS=$n "$RAGOPS" --data "$d" run --inbox "$inbox" >/dev/null 2>&1
	equals "killed after document $n" "$?" "137"
	out=$(rg "$d" check 2>&1) || not_ok "store consistent after the kill at document $n" "$out"
done
# Then at moments nobody chose: kill -9 after a share of a full run's time.
t0=$(date +%s%N)
rg "$(new_data timing)" run --inbox "$inbox" >/dev/null 2>&1
full_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kills=0
for frac in 3 5 7; do
	# The binary itself, not a shell function around it: kill must reach it.
	"$RAGOPS" --data "$d" run --inbox "$inbox" >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v f="$frac" -v ms="$full_ms" 'BEGIN { printf "%.3f", f * ms / 100000 }')"
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	echo "# killed at ${frac}% of ${full_ms} ms: kills=$kills"
	wait "$pid" 2>/dev/null
	out=$(rg "$d" check 2>&1) || not_ok "store consistent after kill -9 at ${frac}%" "$out"
done
out=$(rg "$d" run --inbox "$inbox" --json 2>/dev/null); rc=$?
equals "the run after the crashes completes" "$rc" "0"
check "it had work left to finish" test "$(jq_py "$out" 'j["documents"]["new"]')" -gt 0
equals "and every chunk has its vector" "$(sql "$d" "SELECT count(*) FROM embeddings")" "$(sql "$d" "SELECT count(*) FROM chunks")"
equals "the resumed store has exactly the reference chunks" "$(snapshot "$d")" "$want"
equals "no duplicate document" "$(sql "$d" "SELECT count(*) - count(DISTINCT relpath) FROM documents")" "0"
check "killed runs are recorded as crashed" \
	test "$(sql "$d" "SELECT count(*) FROM runs WHERE state = 'crashed'")" -ge 1
equals "no run left running" "$(sql "$d" "SELECT count(*) FROM runs WHERE state = 'running'")" "0"
j=$(rg "$d" run --json 2>/dev/null)
equals "then everything is cached" "$(jq_py "$j" 'j["documents"]["new"] + j["documents"]["changed"]')" "0"
finish

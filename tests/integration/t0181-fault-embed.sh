#!/usr/bin/env bash
# A failing disk, a full one and a crash while the candidate release is
# embedded (issue 13): vectors are committed in batches (here of 10,
# RAGOPS_EMBED_BATCH), and whatever stops the embedding halfway leaves the
# release unpublished, production answering, the store intact, and the
# next run resuming: the vectors already committed are kept (the same
# chunks train the same model), only the rest are made.
. "$(dirname "$0")/lib.sh"
ctl="$scratch/faults"
echo none >"$ctl"
export RAGOPS_FAULTS="$ctl" RAGOPS_EMBED_BATCH=10

inbox="$scratch/inbox"
sample_inbox "$inbox" notes
d=$(new_data embed)
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "a first run puts release 1 in production" "$(sql "$d" "SELECT id FROM releases WHERE state = 'production'")" "1"
serve_start "$d" || exit 1

production() { sql "$d" "SELECT id FROM releases WHERE state = 'production'"; }
newest_model() { sql "$d" "SELECT max(id) FROM models WHERE kind = 'embedder'"; }
# wait_vectors ABOVE: until a model newer than ABOVE has 10 vectors (its first batch)
wait_vectors() {
	for _ in $(seq 200); do
		local m
		m=$(newest_model)
		[[ $m -gt $1 && $(sql "$d" "SELECT count(*) FROM embeddings WHERE model_id = $m") -ge 10 ]] &&
			return 0
		sleep 0.1
	done
	return 1
}
# the chunks of the production release without a vector of its embedder
unembedded() {
	sql "$d" "SELECT count(*) FROM releases r JOIN release_docs rd ON rd.release_id = r.id
		  JOIN chunks c ON c.version_id = rd.version_id LEFT JOIN embeddings e
		  ON e.chunk_id = c.id AND e.model_id = r.embedder_id
		  WHERE r.state = 'production' AND e.chunk_id IS NULL"
}
embedded_line() { grep "\"run\":$1,.*\"stage\":\"embed\"" "$d/logs/pipeline.log"; }

# --- an I/O error after the first batch of vectors ------------------------
sample_inbox "$inbox" md web
if sqlite_only "an I/O error in SQLite's writes of the vectors (its VFS)"; then
before=$(newest_model)
RAGOPS_PAUSE_AT=embed-batch "$RAGOPS" --data "$d" run --inbox "$inbox" >"$scratch/out" 2>"$scratch/err" &
pid=$!
wait_vectors "$before" && ok "the first batch of vectors is committed" ||
	not_ok "the first batch of vectors is committed"
echo eio >"$ctl"
wait $pid
rc=$?
check "the run fails (exit $rc)" test "$rc" -ne 0
contains "the embedding fails with the cause named" "$(cat "$scratch/err")" \
	"embed: no vectors for release 2: store: disk I/O error"
equals "the server's liveness probe answers during the fault" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz")" "200"
echo none >"$ctl"
check "ragops check: intact" rg "$d" check
equals "production is still release 1" "$(production)" "1"
lacks "and answers without the half-embedded documents" "$(rg "$d" search raw 2>&1)" "raw-vs-jpeg.md"
total=$(sql "$d" "SELECT count(*) FROM chunks c JOIN documents d ON d.version_id = c.version_id")
rg "$d" run --inbox "$inbox" >"$scratch/out" 2>&1
equals "the next run completes" "$?" "0"
check "production moved on" test "$(production)" -gt 1
line=$(embedded_line 3)
made=$(sed -n 's/.*embedded \([0-9]*\) chunks.*/\1/p' <<<"$line")
check "it resumed: the 10 committed vectors were kept ($made of $total embedded)" test "$made" -eq $((total - 10))
equals "every chunk of production has its vector" "$(unembedded)" "0"
contains "search finds the new documents" "$(rg "$d" search raw 2>&1)" "raw-vs-jpeg.md"
out=$(curl -s -H 'Content-Type: application/json' -d '{"question":"RAW ou JPEG ?"}' "$SERVE_URL/api/ask")
contains "the server answers from the new release" "$out" "raw-vs-jpeg.md"
fi

# --- a full disk before the model file is written -------------------------
sample_inbox "$inbox" pdf
prod=$(production)
last_run=$(sql "$d" "SELECT max(id) FROM runs")
RAGOPS_PAUSE_AT=embed "$RAGOPS" --data "$d" run --inbox "$inbox" >"$scratch/out" 2>"$scratch/err" &
pid=$!
# the pause (3 s) starts once the run has recorded its candidate release
for _ in $(seq 300); do
	[[ $(sql "$d" "SELECT count(*) FROM tasks WHERE stage = 'release' AND run_id > $last_run") -ge 1 ]] &&
		break
	sleep 0.1
done
echo full >"$ctl"
wait $pid
rc=$?
echo none >"$ctl"
check "the run fails (exit $rc)" test "$rc" -ne 0
contains "the model cannot be written: the disk is full" "$(cat "$scratch/err")" "disk full (No space left on device)"
check "ragops check: intact" rg "$d" check
equals "production is still release $prod" "$(production)" "$prod"
equals "the server is up" "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz")" "200"
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "with room again, the next run completes" "$?" "0"
equals "every chunk of production has its vector" "$(unembedded)" "0"
contains "search finds the PDFs" "$(rg "$d" search diaphragme 2>&1)" ".pdf"

# --- kill -9 after the first batch ---------------------------------------
python3 - "$inbox/carnet.md" <<'EOF'
import random, sys
r = random.Random(7)
words = 'chambre noire tirage papier baryté révélateur bain arrêt fixateur lavage séchage'.split()
with open(sys.argv[1], 'w') as f:
    f.write('# Carnet de laboratoire\n\n')
    for i in range(40):
        f.write(' '.join(r.choice(words) for _ in range(70)) + f' (note {i}).\n\n')
EOF
prod=$(production)
before=$(newest_model)
RAGOPS_CRASH_AT=embed-batch rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "killed after the first batch" "$?" "137"
check "ragops check: intact" rg "$d" check
equals "production has not moved" "$(production)" "$prod"
rg "$d" run --inbox "$inbox" >"$scratch/out" 2>&1
rc=$?
[[ $rc -eq 0 ]] && ok "the next run completes" || not_ok "the next run completes (exit $rc)" "$(cat "$scratch/out")"
made=$(sed -n 's/.*embedded \([0-9]*\) chunks.*/\1/p' <<<"$(embedded_line "$(sql "$d" "SELECT max(id) FROM runs")")")
total=$(sql "$d" "SELECT count(*) FROM chunks c JOIN documents d ON d.version_id = c.version_id")
check "and resumes ($made of $total embedded)" test "$made" -lt "$total"
equals "every chunk of production has its vector" "$(unembedded)" "0"
equals "no run left running" "$(sql "$d" "SELECT count(*) FROM runs WHERE state = 'running'")" "0"

serve_stop
equals "the server stops cleanly" "$?" "0"
finish

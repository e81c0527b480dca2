#!/usr/bin/env bash
# The WAL stays bounded while a release is embedded under a server's
# questions (issue 13): every question reads the old release, so a reader
# was nearly always in the WAL when a batch of vectors committed, the WAL
# never started over and took every vector of the run (398 MB for 88,000
# chunks; see store_embeddings_save).  Here 3,000 new chunks in batches of
# 100, under two questions a second: the WAL took all 14 MB of vectors.
# store: sqlite-only (the size of SQLite's WAL file)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1 # no golden set: the gate looks at structure only
export RAGOPS_EMBED_BATCH=100
python3 "$TOP/bench/retrieval_corpus.py" --chunks 3000 "$scratch/a" >/dev/null
python3 "$TOP/bench/retrieval_corpus.py" --chunks 3000 --seed 7 "$scratch/b" >/dev/null
inbox="$scratch/inbox"
mkdir -p "$inbox"
cp -r "$scratch/a/docs/." "$inbox/"
d=$(new_data wal)
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "a first run over 3,000 chunks" "$?" "0"
# A vector of 256 floats is kept in its table's page (migration 14): it
# took an overflow page of 4 KB of its own in the WITHOUT ROWID table.
equals "3,000 vectors of 1,024 bytes, none on an overflow page" \
	"$(sql "$d" "SELECT count(*) >= 3000, min(length(vector)), (SELECT count(*) FROM dbstat
		     WHERE name = 'embeddings' AND pagetype = 'overflow') FROM embeddings")" "1|1024|0"

serve_start "$d" || exit 1
(
	while :; do
		curl -s -o /dev/null -H 'Content-Type: application/json' \
			-d '{"question":"comment régler la lumière du studio ?"}' "$SERVE_URL/api/ask"
		sleep 0.5
	done
) &
asker=$!

rm -rf "${inbox:?}"/*
cp -r "$scratch/b/docs/." "$inbox/"
"$RAGOPS" --data "$d" run --inbox "$inbox" >"$scratch/out" 2>&1 &
pid=$!
peak=0
while kill -0 $pid 2>/dev/null; do
	s=$(stat -c %s "$d/ragops.db-wal" 2>/dev/null || echo 0)
	((s > peak)) && peak=$s
	sleep 0.05
done
wait $pid
rc=$?
kill $asker
wait $asker 2>/dev/null
[[ $rc -eq 0 ]] && ok "the run over 3,000 new chunks completes" ||
	not_ok "the run over 3,000 new chunks completes (exit $rc)" "$(cat "$scratch/out")"
equals "all of them embedded" "$(sql "$d" "SELECT count(*) FROM embeddings e JOIN releases r
	ON r.embedder_id = e.model_id AND r.state = 'production'")" "3000"
mib=$(awk -v b="$peak" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "# WAL peak: $mib MiB"
check "the WAL peaked at $mib MiB, under 8 MiB (it took all 14 MiB of vectors)" \
	test "$peak" -lt $((8 * 1048576))
equals "the server is up" "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz")" "200"
serve_stop
equals "the server stops cleanly" "$?" "0"
finish

#!/usr/bin/env bash
# ragops orchestration benchmark (issue 12).  Usage: bench/orchestration.sh [PATH/TO/ragops]
#
#  1. store growth: BENCH_ORCH_RERUNS (100) unchanged re-runs of
#     BENCH_ORCH_DOCS (1,000) text documents, with retention as shipped
#     (retention.cached_tasks 10) and with it off (cached_tasks 0,
#     retention.runs off), side by side in the same run, one run of each
#     in turn: store size (database + WAL) and task rows after the last.
#     Target: with retention on, the store stops growing with re-runs.
#  2. watch latency: `ragops run --watch` (watch.debounce 1s) on the same
#     inbox; BENCH_ORCH_FILES (10) text files written one at a time, each
#     timed from its write to `ragops search` finding it.  Target: p50 <=
#     debounce + 1 s.
#  3. idle cost: over BENCH_ORCH_IDLE seconds (60), the CPU time of an idle
#     `ragops serve` with 10 deployments (scheduler on) and of an idle
#     `ragops run --watch` on an inbox of 10,000 files, as a share of one
#     core.  Target: <= 0.5% each.
# Results: bench/out/orchestration/ (facts.tsv, growth.tsv, latency.tsv),
# and a table on stdout.
set -Eeuo pipefail
. "$(dirname "$0")/lib.sh"
DOCS=${BENCH_ORCH_DOCS:-1000}
RERUNS=${BENCH_ORCH_RERUNS:-100}
FILES=${BENCH_ORCH_FILES:-10}
IDLE=${BENCH_ORCH_IDLE:-60}
OUT=$ROOT/bench/out/orchestration
rm -rf "$OUT" && mkdir -p "$OUT"
bench_workdir "$OUT"
machine_facts

inbox=$OUT/inbox
mkdir -p "$inbox"
for i in $(seq "$DOCS"); do
	printf 'Fiche %d\n\nLe réglage %d du boîtier règle la mesure de la lumière, mode %d.\n' "$i" "$i" "$i" \
		>"$inbox/fiche-$i.txt"
done
size() {
	local total=0 f
	for f in "$1/ragops.db" "$1/ragops.db-wal"; do [[ -f $f ]] && total=$((total + $(stat -c %s "$f"))); done
	echo "$total"
}
rows() { sqlite3 "$1/ragops.db" "SELECT count(*) FROM tasks"; }

# --- 1. store growth --------------------------------------------------------
say "store growth: $RERUNS unchanged re-runs of $DOCS documents, retention on and off"
on=(-c data_dir="$OUT/on")
off=(-c data_dir="$OUT/off" -c retention.cached_tasks=0 -c retention.runs=off -c retention.queries=off)
"$BIN" "${on[@]}" run --inbox "$inbox" >/dev/null
"$BIN" "${off[@]}" run --inbox "$inbox" >/dev/null
printf 'rerun\ton_bytes\ton_tasks\toff_bytes\toff_tasks\n' >"$OUT/growth.tsv"
for r in $(seq "$RERUNS"); do
	"$BIN" "${on[@]}" run >/dev/null
	"$BIN" "${off[@]}" run >/dev/null
	if ((r % 10 == 0 || r == 1)); then
		printf '%d\t%s\t%s\t%s\t%s\n' "$r" "$(size "$OUT/on")" "$(rows "$OUT/on")" \
			"$(size "$OUT/off")" "$(rows "$OUT/off")" >>"$OUT/growth.tsv"
	fi
done

# --- 2. watch latency -------------------------------------------------------
say "watch latency: $FILES files, watch.debounce 1s"
"$BIN" "${on[@]}" -c watch.debounce=1s run --watch --inbox "$inbox" >"$OUT/watch.log" 2>&1 &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT
sleep 3
printf 'file\tseconds\n' >"$OUT/latency.tsv"
for i in $(seq "$FILES"); do
	word="latence$i$RANDOM"
	t0=$(date +%s.%N)
	printf 'Le mot %s arrive.\n' "$word" >"$inbox/nouveau-$i.txt"
	until "$BIN" "${on[@]}" search "$word" 2>/dev/null | grep -q "nouveau-$i.txt"; do sleep 0.05; done
	printf '%d\t%s\n' "$i" "$(python3 -c "print($(date +%s.%N) - $t0)")" >>"$OUT/latency.tsv"
	sleep 1.5
done
kill -TERM "$watcher"
wait "$watcher" || true

# --- 3. idle cost -----------------------------------------------------------
say "idle cost over $IDLE s: serve with 10 deployments, watch on 10,000 files"
big=$OUT/big
mkdir -p "$big"
for i in $(seq 10000); do printf 'Note %d.\n' "$i" >"$big/note-$i.txt"; done
for i in $(seq 10); do
	"$BIN" "${on[@]}" deployment create "job$i" --cron "$((i * 5)) 3 * * *" --param inbox="$inbox" >/dev/null
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" "${on[@]}" -c serve.port="$port" serve >"$OUT/serve.log" 2>&1 &
server=$!
"$BIN" -c data_dir="$OUT/idle-watch" run --watch --inbox "$big" >"$OUT/idle-watch.log" 2>&1 &
idle_watcher=$!
trap 'kill $server $idle_watcher 2>/dev/null || true' EXIT
# Wait for the watcher's first run (indexing the 10,000 files) to end.
for _ in $(seq 600); do grep -q "watching" "$OUT/idle-watch.log" && break; sleep 0.5; done
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
s0=$(ticks "$server") w0=$(ticks "$idle_watcher") t0=$(date +%s.%N)
sleep "$IDLE"
s1=$(ticks "$server") w1=$(ticks "$idle_watcher") t1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
fact idle_seconds "$(python3 -c "print($t1 - $t0)")"
fact serve_cpu_share "$(python3 -c "print(($s1 - $s0) / $hz / ($t1 - $t0))")"
fact watch_cpu_share "$(python3 -c "print(($w1 - $w0) / $hz / ($t1 - $t0))")"
kill -TERM "$server" "$idle_watcher"
wait "$server" "$idle_watcher" || true
fact docs "$DOCS"
fact reruns "$RERUNS"
python3 "$HERE/orchestration_report.py" "$OUT"

#!/usr/bin/env bash
# ragops HTTP server benchmark.  Usage: bench/serve.sh [PATH/TO/ragops]
#
# On the sample corpus (samples/corpus, ingested once into a fresh data
# folder), `ragops serve -c serve.port=0 -c serve.rate_limit=0` (any free
# port, whose number and thread count are read from its first line; the rate
# limit off, or wrk would mostly measure 429s) is loaded with wrk, 2 threads
# x BENCH_SERVE_CONNECTIONS connections, BENCH_SERVE_SECONDS each, --latency:
#  1. GET /healthz: the HTTP ceiling of the server (no store work);
#  2. POST /api/ask, cycling through the questions of samples/golden.jsonl
#     (bench/serve_ask.lua; after an untimed 2 s warm-up);
#  3. POST /api/feedback as the dashboard posts it: a query_id logged by the
#     ask run, a rating 1-5 and a feedback_text unique to each request
#     (bench/serve_feedback.lua, which counts the replies by status and
#     prints "201s returned: N").
# Requests/s, p50/p99 (wrk's histogram), non-2xx replies and socket errors
# of each; the server's CPU per request (/proc/PID/stat) and wrk's own CPU.
#
# Then the server is stopped (SIGTERM: requests in flight finish), and the
# feedback rows are counted with sqlite3 and matched to the 201 replies by
# their feedback_text (bench/serve_report.py feedback): every 201 must have
# exactly one row (and its feedback/<id>.json file), no row may be doubled,
# and rows without a 201 may only come from the requests wrk left unanswered
# when its time was up (it stops without waiting for them; the server still
# commits them).  The serve log's count of feedback 201s must equal the rows.
# Any other status than 200 (/healthz, /api/ask) or 201 (/api/feedback), a
# connect/read/write socket error, or a server that does not exit 0 on
# SIGTERM is a correctness failure: the script exits 1 (after the report).
#
# The peer, in the same run, once the server is down: what a user does
# without `serve`, one `ragops ask` process per question, BENCH_SERVE_CLI of
# them one after the other over the same golden questions (questions/s, p50,
# p99; bench/serve_report.py cli).  Ratios: /api/ask req/s / CLI questions/s,
# and /api/ask and /api/feedback req/s / /healthz req/s.  The machine may be
# small and shared (wrk and the server share its cores): compare the ratios,
# measured minutes apart, rather than the absolute figures.
#
# Prints a table and writes bench/out/serve.json.  Works in a mktemp -d
# folder, removed on exit; the server's log is <work>/data/logs/serve.log.
#
# Knobs (environment): BENCH_SERVE_SECONDS (10: seconds of each wrk run),
# BENCH_SERVE_CONNECTIONS (16: wrk connections, over 2 threads),
# BENCH_SERVE_CLI (100: `ragops ask` processes timed for the peer),
# BENCH_KEEP=1: keep the work folder (data folder, serve log, wrk outputs).
set -Eeuo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${BENCH_SERVE_SECONDS:-10}
CONNS=${BENCH_SERVE_CONNECTIONS:-16}
CLI_N=${BENCH_SERVE_CLI:-100}
WRK_THREADS=2
WARMUP_S=2
OUT=$HERE/out
PY=/usr/bin/python3
GNU_TIME=/usr/bin/time
REPORT=$HERE/serve_report.py
CORPUS=$ROOT/samples/corpus
GOLDEN=$ROOT/samples/golden.jsonl
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "BENCH_SERVE_SECONDS must be a positive integer"
[[ $CONNS =~ ^[1-9][0-9]*$ ]] && ((CONNS >= WRK_THREADS)) || die "BENCH_SERVE_CONNECTIONS must be an integer >= $WRK_THREADS"
[[ $CLI_N =~ ^[1-9][0-9]*$ ]] || die "BENCH_SERVE_CLI must be a positive integer"

# --- tools ---------------------------------------------------------------
[[ -x $PY ]] || die "$PY is needed (standard library only)"
[[ -x $GNU_TIME ]] || die "/usr/bin/time is needed for wrk's CPU time (Debian: apt-get install -y time)"
command -v wrk >/dev/null || die "'wrk' is missing (Debian: apt-get install -y wrk)"
command -v sqlite3 >/dev/null || die "'sqlite3' is missing (Debian: apt-get install -y sqlite3)"
[[ -d $CORPUS && -f $GOLDEN ]] || die "samples/corpus and samples/golden.jsonl are needed"
HELP=$("$BIN" help 2>&1 || true)
grep -Eq '^[[:space:]]+serve([[:space:]]|$)' <<<"$HELP" \
	|| die "'$BIN help' lists no 'serve' command: this ragops has no HTTP server yet"

# --- work folder; no user configuration may leak in ------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/ragops-serve-bench.XXXXXX")
SERVER_PID=
cleanup() {
	stop_server || true
	cd /
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
while read -r v; do unset "$v"; done < <(compgen -e | grep '^RAGOPS_' || true)
bench_workdir "$W"
D=$W/data
RES=$W/res
mkdir -p "$OUT"
T_START=$(date +%s.%N)
elapsed() { $PY -c "import sys,time; print(round(time.time()-float(sys.argv[1]),1))" "$T_START"; }
fact loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
fact seconds "$DURATION"
CLK_TCK=$(getconf CLK_TCK)
# server_cpu: the server's user+system CPU so far, in clock ticks
server_cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
ticks_to_s() { $PY -c "import sys; print(round((int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3]), 3))" "$1" "$2" "$CLK_TCK"; }

# --- the index ---------------------------------------------------------------
say "ingesting samples/corpus"
rc=0
"$BIN" --data "$D" run --inbox "$CORPUS" --json >"$RES/ingest.json" 2>"$RES/ingest.err" || rc=$?
if ((rc > 1)); then tail -n 20 "$RES/ingest.err" >&2; die "the ingest exited $rc"; fi
read -r DOCS CHUNKS FAILED < <($PY -c 'import json,sys
r=json.load(open(sys.argv[1])); print(r["documents"]["seen"], r["chunks"], r["documents"]["failed"])' "$RES/ingest.json")
((CHUNKS > 0)) || die "the ingest indexed no chunks"
((FAILED == 0)) || say "warning: $FAILED documents failed to ingest (exit $rc): measuring on the rest"
fact documents "$DOCS"; fact chunks "$CHUNKS"; fact documents_failed "$FAILED"
NQ=$($PY "$REPORT" bodies "$GOLDEN" "$W/bodies.jsonl" "$W/questions.txt")
fact questions "$NQ"

# --- the server --------------------------------------------------------------
say "starting ragops serve"
"$BIN" --data "$D" serve -c serve.port=0 -c serve.rate_limit=0 >"$RES/serve.out" 2>"$RES/serve.err" &
SERVER_PID=$!
for ((i = 0; i < 100; i++)); do
	grep -q 'listening on' "$RES/serve.err" && break
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RES/serve.err" >&2; SERVER_PID=; die "ragops serve exited at start"; }
	sleep 0.1
done
LINE=$(grep -m1 'listening on' "$RES/serve.err") || { cat "$RES/serve.err" >&2; die "ragops serve did not say where it listens within 10 s"; }
[[ $LINE =~ listening\ on\ (http://[^ ]+:[0-9]+)/\ \(([0-9]+)\ threads ]] \
	|| die "cannot read the address and threads from: $LINE"
URL=${BASH_REMATCH[1]}
fact server_threads "${BASH_REMATCH[2]}"
$PY "$REPORT" wait "$URL/healthz" 10 "$SERVER_PID" || { cat "$RES/serve.err" >&2; die "GET $URL/healthz did not answer 200 within 10 s"; }
say "ragops serve: $URL, ${BASH_REMATCH[2]} threads"

export SERVE_BENCH_DIR=$HERE SERVE_ASK_BODIES=$W/bodies.jsonl
# run_wrk NAME PATH SECONDS [SCRIPT]: one wrk run -> res/wrk-NAME.{out,json}
run_wrk() {
	local name=$1 path=$2 secs=$3 script=${4:-} c0 c1 rc=0
	local args=(-t "$WRK_THREADS" -c "$CONNS" -d "${secs}s" --timeout 10s --latency)
	[[ -n $script ]] && args+=(-s "$script")
	c0=$(server_cpu)
	"$GNU_TIME" -f '%U %S' -o "$RES/wrk-$name.time" wrk "${args[@]}" "$URL$path" \
		>"$RES/wrk-$name.out" 2>"$RES/wrk-$name.err" || rc=$?
	kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$RES/serve.err" >&2; SERVER_PID=; die "the server died during the $name run"; }
	c1=$(server_cpu)
	if ((rc != 0)) || [[ -s $RES/wrk-$name.err ]]; then
		cat "$RES/wrk-$name.out" "$RES/wrk-$name.err" >&2
		die "wrk ($name) exited $rc or wrote errors"
	fi
	fact "server_cpu_s_$name" "$(ticks_to_s "$c0" "$c1")"
	fact "wrk_cpu_s_$name" "$(awk 'END {print $1 + $2}' "$RES/wrk-$name.time")"
	$PY "$REPORT" wrk "$name" "$RES/wrk-$name.out" "$RES/wrk-$name.json"
}

say "wrk: GET /healthz, ${DURATION} s"
run_wrk healthz /healthz "$DURATION"
say "wrk: POST /api/ask, ${WARMUP_S} s warm-up, then ${DURATION} s"
run_wrk ask-warmup /api/ask "$WARMUP_S" "$HERE/serve_ask.lua"
run_wrk ask /api/ask "$DURATION" "$HERE/serve_ask.lua"

read -r QMIN QMAX < <(sqlite3 -readonly -separator ' ' "$D/ragops.db" 'SELECT min(id), max(id) FROM queries')
[[ $QMIN =~ ^[0-9]+$ && $QMAX =~ ^[0-9]+$ ]] || die "no logged questions after the ask run"
PREFIX=servebench$$x$(date +%s)
[[ $(sqlite3 -readonly "$D/ragops.db" "SELECT count(*) FROM feedback WHERE feedback_text LIKE '$PREFIX-%'") == 0 ]] \
	|| die "feedback rows with the prefix $PREFIX exist before the run"
export SERVE_FB_PREFIX=$PREFIX SERVE_FB_QID_MIN=$QMIN SERVE_FB_QID_MAX=$QMAX SERVE_FB_ACKED=$RES/feedback-acked.txt
say "wrk: POST /api/feedback, ${DURATION} s (query ids $QMIN-$QMAX)"
run_wrk feedback /api/feedback "$DURATION" "$HERE/serve_feedback.lua"
grep -m1 '^201s returned:' "$RES/wrk-feedback.out" >&2 || die "bench/serve_feedback.lua printed no '201s returned'"

fact server_peak_rss_kib "$(awk '/^VmHWM:/{print $2}' "/proc/$SERVER_PID/status")"
say "stopping the server (SIGTERM)"
stop_server
fact server_exit "$SERVER_EXIT"
fact server_stderr_extra "$(grep -Ev 'listening on|admin routes are off|stopping \(terminate\)' "$RES/serve.err" | head -n 5 | tr '\n' '|' || true)"

# --- the feedback rows against the 201s ------------------------------------
ROWS=$(sqlite3 -readonly "$D/ragops.db" "SELECT count(*) FROM feedback WHERE feedback_text LIKE '$PREFIX-%'")
say "feedback rows (sqlite3): $ROWS"
fact feedback_rows_sqlite3 "$ROWS"
$PY "$REPORT" feedback "$D/ragops.db" "$PREFIX" "$RES/feedback-acked.txt" "$D/feedback" \
	"$RES/wrk-feedback.json" "$RES/feedback-check.json"
$PY "$REPORT" log "$D/logs/serve.log" "$RES/serve-log.json"

# --- the peer: one `ragops ask` process per question -------------------------
say "peer: $CLI_N 'ragops ask' processes, one after the other"
$PY "$REPORT" cli "$BIN" "$D" "$W/questions.txt" "$CLI_N" "$RES/cli.json"

# --- report ----------------------------------------------------------------
machine_facts
fact wrk_version "$( (wrk -v 2>&1 || true) | sed -n 1p)"
fact python "$($PY -c 'import sys; print(sys.version.split()[0])')"
fact elapsed_s "$(elapsed)"
$PY "$REPORT" report "$RES" "$OUT/serve.json"

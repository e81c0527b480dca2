#!/usr/bin/env bash
# ragops retraining benchmark.  Usage: bench/retrain.sh [PATH/TO/ragops]
#
# What `ragops retrain run` costs at scale, and what what it learns costs
# each question afterwards, on BENCH_RETRAIN_CHUNKS chunks (100,000):
#
#  0. setup (not compared): the corpus of bench/retrieval_corpus.py (one
#     ~600-byte paragraph per chunk, 100 per Markdown file), a golden set about
#     it (bench/releases_report.py golden: phrases of documents' first
#     paragraphs, plus the unanswerable questions of samples/golden.jsonl),
#     one `ragops run` ingesting it with -c validate.golden=GOLDEN (so that
#     the gate and the retraining's stages measure the golden set too, and
#     the thresholds have unanswerable questions to calibrate against);
#  1. feedback, made the way a user makes it: BENCH_RETRAIN_FEEDBACK (1,000)
#     questions (bench/retrain_report.py questions: phrases copied from a
#     paragraph, and "jargon" questions where an invented user's word stands
#     for a corpus word, each expecting the paragraph's document) asked
#     through `ragops serve` (POST /api/ask) and rated on the answer's query
#     id (POST /api/feedback): 5 with the document marked helpful when it is
#     the first source, 3 with it helpful and the first source unhelpful
#     when it is among the others, else 2, helpful, unhelpful and a corrected
#     answer (the paragraph's sentence).  The server keeps the release loaded:
#     2,000 CLI processes would each load it (seconds at 100,000 chunks);
#  2. one `ragops retrain run --json` under /usr/bin/time (wall, CPU, peak
#     RSS), library defaults (all cores), as a user would run it.  Target:
#     under 60 s on 2 cores.  Its report has a total ("seconds") and stage
#     figures without times: the time line comes from the store (when each
#     model it made was registered; bench/retrain_report.py timeline);
#  3. hybrid latency, release before the retraining (production then) and
#     the candidate it made, with its vocabulary (query expansions) and
#     ranker attached -- when the retraining left either out, it is attached
#     anyway (sqlite3: release_models), and the table says so: `ragops eval
#     --golden LATENCY --compare hybrid --release ID --json` (in-process
#     time per answer; p50/p95) on BENCH_RETRAIN_LATENCY (600) other
#     questions made the same way, and `ragops search --queries` (retrieval
#     alone, after a warm-up query, as bench/retrieval.sh measures), one
#     core (OPENBLAS_NUM_THREADS=1), BENCH_RETRAIN_ROUNDS (5) rounds, the
#     order alternating.  Target: p50 with / without <= 1.3 (median over
#     rounds of the same-round ratio).
#
# Prints a table and writes bench/out/retrain.json.  Works in a mktemp -d
# folder, removed on exit.  The machine may be small and shared: the wall
# seconds of the retraining depend on what else runs (the table gives its
# CPU seconds and the load too); the latency ratio is measured side by side.
#
# Knobs (environment): BENCH_RETRAIN_CHUNKS (100000), BENCH_RETRAIN_FEEDBACK
# (1000), BENCH_RETRAIN_LATENCY (600), BENCH_RETRAIN_ROUNDS (5),
# BENCH_RETRAIN_PERF=1: also `perf record --call-graph dwarf` a second
# retraining, on a copy of the data folder taken before the timed one (not
# timed): its CPU by stage (bench/retrain_report.py perf) joins the table;
# perf.data stays in the work folder (res/retrain.perf.data, with BENCH_KEEP=1),
# BENCH_STRICT=1: exit 1 when a target is missed, BENCH_KEEP=1: keep the
# work folder.
set -Eeuo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHUNKS=${BENCH_RETRAIN_CHUNKS:-100000}
NFEEDBACK=${BENCH_RETRAIN_FEEDBACK:-1000}
NLATENCY=${BENCH_RETRAIN_LATENCY:-600}
ROUNDS=${BENCH_RETRAIN_ROUNDS:-5}
PERF=${BENCH_RETRAIN_PERF:-0}
SEED=20250601
OUT=$HERE/out
PY=/usr/bin/python3
GNU_TIME=/usr/bin/time
REPORT=$HERE/retrain_report.py
SAMPLE_GOLDEN=$ROOT/samples/golden.jsonl
for k in CHUNKS NFEEDBACK NLATENCY ROUNDS; do
	[[ ${!k} =~ ^[1-9][0-9]*$ ]] || die "the knob for $k must be a positive integer, not '${!k}'"
done
((CHUNKS >= 4 * (NFEEDBACK + NLATENCY))) || die "BENCH_RETRAIN_CHUNKS must be at least 4 x (feedback + latency questions)"

# --- tools ---------------------------------------------------------------
[[ -x $PY ]] || die "$PY is needed (standard library only)"
[[ -x $GNU_TIME ]] || die "/usr/bin/time is needed (Debian: apt-get install -y time)"
command -v sqlite3 >/dev/null || die "'sqlite3' is missing (Debian: apt-get install -y sqlite3)"
[[ $PERF != 1 ]] || command -v perf >/dev/null || die "BENCH_RETRAIN_PERF=1 needs 'perf' (Debian: apt-get install -y linux-perf)"
[[ -f $SAMPLE_GOLDEN ]] || die "samples/golden.jsonl is needed"
HELP=$("$BIN" help 2>&1 || true)
grep -Eq '^[[:space:]]+retrain([[:space:]]|$)' <<<"$HELP" \
	|| die "'$BIN help' lists no 'retrain' command: this ragops cannot retrain"

# --- work folder; no user configuration may leak in ------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/ragops-retrain-bench.XXXXXX")
SERVER_PID=
cleanup() {
	stop_server || true
	cd /
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
while read -r v; do unset "$v"; done < <(compgen -e | grep '^RAGOPS_' || true)
# thread counts are set explicitly below, per command
while read -r v; do [[ -n $v ]] && unset "$v"; done < <(compgen -e | grep -E '^(OMP_|GOMP_|OPENBLAS_|MKL_)' || true)
bench_workdir "$W"
RES=$W/res
C=$W/corpus
D=$W/data
Q=$W/questions
mkdir -p "$OUT"
now() { date +%s.%N; }
since() { $PY -c "import sys,time; print(round(time.time()-float(sys.argv[1]),3))" "$1"; }
T_START=$(now)
fact loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
fact seed "$SEED"; fact rounds "$ROUNDS"; fact chunks "$CHUNKS"
ONE_CORE=(env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)

jget() { $PY -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"; }

# --- 0. corpus, golden set, ingest (setup) -----------------------------------
say "generating $CHUNKS chunks of text (bench/retrieval_corpus.py)"
t0=$(now)
$PY "$HERE/retrieval_corpus.py" --chunks "$CHUNKS" --queries 200 --seed "$SEED" "$C" >"$RES/corpus.json" \
	|| die "bench/retrieval_corpus.py failed"
fact generate_s "$(since "$t0")"
fact documents "$(jget "$RES/corpus.json" files)"
GOLDEN=$W/golden.jsonl
$PY "$HERE/releases_report.py" golden "$C/docs" "$SAMPLE_GOLDEN" "$(grep -c . "$SAMPLE_GOLDEN")" "$SEED" "$GOLDEN" >/dev/null
fact golden "generated: $(grep -c '"doc": "' "$GOLDEN") questions about this corpus + $(grep -c '"doc": null' "$GOLDEN") unanswerable from samples/golden.jsonl"
R=("$BIN" --data "$D" -c "validate.golden=$GOLDEN")

say "setup: ragops ingests the corpus"
t0=$(now)
"${R[@]}" run --inbox "$C/docs" --json >"$RES/ingest.json" 2>"$RES/ingest.err" \
	|| { tail -n 20 "$RES/ingest.err" >&2; die "the ingest failed"; }
fact ingest_wall_s "$(since "$t0")"
[[ $(jget "$RES/ingest.json" chunks) == "$CHUNKS" ]] \
	|| die "ragops made $(jget "$RES/ingest.json" chunks) chunks of $CHUNKS paragraphs (chunk.target_chars changed?)"
[[ $(jget "$RES/ingest.json" release.verdict) == promoted ]] || { cat "$RES/ingest.json" >&2; die "the first release was not promoted"; }

say "making $NFEEDBACK feedback questions and $NLATENCY latency questions (bench/retrain_report.py questions)"
t0=$(now)
$PY "$REPORT" questions "$C/docs" "$SEED" "$NFEEDBACK" "$NLATENCY" "$Q" >/dev/null
fact questions_s "$(since "$t0")"
cp "$Q/questions.json" "$RES/questions.json"

# --- 1. feedback through the server -------------------------------------------
say "starting ragops serve; $NFEEDBACK questions asked and rated through its API"
t0=$(now)
"${R[@]}" serve -c serve.port=0 -c serve.rate_limit=0 >"$RES/serve.out" 2>"$RES/serve.err" &
SERVER_PID=$!
for ((i = 0; i < 100; i++)); do
	grep -q 'listening on' "$RES/serve.err" && break
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RES/serve.err" >&2; SERVER_PID=; die "ragops serve exited at start"; }
	sleep 0.1
done
LINE=$(grep -m1 'listening on' "$RES/serve.err") || { cat "$RES/serve.err" >&2; die "ragops serve did not say where it listens within 10 s"; }
[[ $LINE =~ listening\ on\ (http://[^ ]+:[0-9]+)/ ]] || die "cannot read the address from: $LINE"
URL=${BASH_REMATCH[1]}
$PY "$HERE/serve_report.py" wait "$URL/healthz" 10 "$SERVER_PID" || { cat "$RES/serve.err" >&2; die "GET $URL/healthz did not answer 200 within 10 s"; }
fact serve_start_s "$(since "$t0")"
$PY "$REPORT" feedback "$URL" "$Q/feedback.jsonl" "$RES/feedback.json" >/dev/null
stop_server
((SERVER_EXIT == 0)) || say "warning: ragops serve exited $SERVER_EXIT on SIGTERM"
got=$(sqlite3 -readonly "$D/ragops.db" "SELECT count(*) FROM feedback")
[[ $got == "$NFEEDBACK" ]] || die "the store holds $got feedback records, expected $NFEEDBACK"
"${R[@]}" retrain check --json >"$RES/check.json" || true

# --- 2. the retraining ---------------------------------------------------------
if [[ $PERF == 1 ]]; then
	say "copying the data folder for the profiled retraining"
	cp -a "$D" "$W/data-perf"
fi
say "timing ragops retrain run ($NFEEDBACK feedback records, $CHUNKS chunks)"
fact loadavg_retrain "$(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
"$GNU_TIME" -f '%M %U %S %e' -o "$RES/retrain.time" "${R[@]}" retrain run --json \
	>"$RES/retrain.json" 2>"$RES/retrain.err" || rc=$?
# 6: refused by the gate -- the work was done all the same
((rc == 0 || rc == 6)) || { tail -n 20 "$RES/retrain.err" >&2; die "ragops retrain run exited $rc"; }
fact retrain_exit "$rc"
say "retrain run: $(awk '{print $4}' "$RES/retrain.time") s wall, $(jget "$RES/retrain.json" state)"
$PY "$REPORT" timeline "$D/ragops.db" "$(jget "$RES/retrain.json" retraining)" "$RES/timeline.json"

# --- 3. latency before / after ----------------------------------------------------
BEFORE=$(jget "$RES/retrain.json" production_before)
AFTER=$(jget "$RES/retrain.json" release)
[[ $AFTER != None ]] || die "the retraining made no candidate release: $(jget "$RES/retrain.json" reasons)"
fact release_before "$BEFORE"; fact release_after "$AFTER"
# the vocabulary and the ranker it trained but left out: attached to its candidate
attached=
for kind in vocabulary ranker; do
	read -r version kept < <($PY -c 'import json,sys
t=[t for t in json.load(open(sys.argv[1]))["trained"] if t["component"]==sys.argv[2]]
print((t[0]["model"] or "-") if t else "-", (t[0]["kept"] if t else "-"))' "$RES/retrain.json" "$kind")
	[[ $version != - ]] || die "the retraining trained no $kind: $(jget "$RES/retrain.json" reasons)"
	if [[ $kept == False ]]; then
		sqlite3 "$D/ragops.db" "INSERT OR REPLACE INTO release_models (release_id, kind, model_id)
			SELECT $AFTER, kind, id FROM models WHERE kind = '$kind' AND version = '$version'"
		attached+="${attached:+, }$kind $version"
	fi
done
fact attached "$attached"
models_of() { sqlite3 -readonly "$D/ragops.db" "SELECT group_concat(m, ', ') FROM (
	SELECT 'embedder ' || m.version AS m FROM releases r JOIN models m ON m.id = r.embedder_id WHERE r.id = $1
	UNION ALL SELECT 'lexicon ' || m.version FROM releases r JOIN models m ON m.id = r.lexicon_id WHERE r.id = $1
	UNION ALL SELECT rm.kind || ' ' || m.version FROM release_models rm JOIN models m ON m.id = rm.model_id
	WHERE rm.release_id = $1)"; }
fact models_before "$(models_of "$BEFORE")"
fact models_after "$(models_of "$AFTER")"
for kind in vocabulary ranker; do
	[[ $(models_of "$AFTER") == *"$kind "* ]] || die "release $AFTER holds no $kind after attaching it"
done

measure() { # SIDE ROUND
	local rel=$BEFORE
	[[ $1 == after ]] && rel=$AFTER
	"${ONE_CORE[@]}" "$BIN" --data "$D" eval --golden "$Q/latency.jsonl" --compare hybrid --release "$rel" --json \
		>"$RES/eval-$1-$2.json" 2>"$RES/eval-$1-$2.err" || { tail "$RES/eval-$1-$2.err" >&2; die "ragops eval --release $rel failed"; }
	"${ONE_CORE[@]}" "$BIN" --data "$D" search --queries "$Q/latency.txt" --retriever hybrid --limit 10 --release "$rel" \
		>"$RES/search-$1-$2.jsonl" 2>"$RES/search-$1-$2.err" || { tail "$RES/search-$1-$2.err" >&2; die "ragops search --release $rel failed"; }
}
for k in $(seq 1 "$ROUNDS"); do
	say "latency round $k/$ROUNDS: $NLATENCY questions, release $BEFORE and release $AFTER"
	if ((k % 2)); then measure before "$k"; measure after "$k"; else measure after "$k"; measure before "$k"; fi
done

# --- profile (optional) ------------------------------------------------------------
if [[ $PERF == 1 ]]; then
	say "profiling a second retraining on the copy (perf record --call-graph dwarf, not timed)"
	perf record -q -F 99 --call-graph dwarf,16384 -o "$RES/retrain.perf.data" "$BIN" --data "$W/data-perf" \
		-c "validate.golden=$GOLDEN" retrain run --json >"$RES/retrain-perf.json" 2>"$RES/retrain-perf.err" || true
	rm -rf "$W/data-perf"
	perf script -i "$RES/retrain.perf.data" -F pid,tid,ip,sym 2>/dev/null >"$RES/retrain.perf.txt" \
		|| die "perf script failed on $RES/retrain.perf.data"
	$PY "$REPORT" perf "$RES/retrain.perf.txt" 99 "$RES/perf.json" >&2
	rm -f "$RES/retrain.perf.txt"
	fact perf_retrain_s "$(jget "$RES/retrain-perf.json" seconds)"
fi

# --- report -------------------------------------------------------------------------
machine_facts
fact python "$($PY -c 'import sys; print(sys.version.split()[0])')"
fact elapsed_s "$(since "$T_START")"
$PY "$REPORT" report "$RES" "$OUT/retrain.json"

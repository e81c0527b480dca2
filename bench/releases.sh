#!/usr/bin/env bash
# ragops releases benchmark.  Usage: bench/releases.sh [PATH/TO/ragops]
#
# What the release machinery (candidate release, its embedder and lexicon,
# the gate, promotion, retention) costs, against the ragops from before
# releases (the peer: commit 705c1d9, built from git in the work folder),
# side by side in one run, on BENCH_RELEASES_CHUNKS chunks (100,000):
#
#  0. a deterministic corpus (bench/retrieval_corpus.py: one ~600-byte
#     paragraph per chunk, 100 per Markdown file) is ingested once by each
#     binary into its own data folder (setup, not compared);
#  1. incremental run: in each of BENCH_RELEASES_RUNS rounds (3), 1% of the
#     documents (the same ones every round) get 3 paragraphs rewritten (their
#     words shuffled: same sizes, same chunk count, new text; each round
#     starts from the pristine file with its own shuffle, so every round is a
#     real change, never a content some kept version already has; see
#     bench/releases_report.py edit), then both binaries run on the same
#     inbox, one after the other, in alternating order.  Wall seconds of the
#     whole process, CPU and peak RSS (/usr/bin/time), the run's
#     stage_seconds, and for ragops the corpus tasks of its "publish" stage
#     (release, embed, lexicon, validate, promote, retention).  ragops runs
#     with -c validate.golden=GOLDEN so that the gate does its real work:
#     GOLDEN is generated (bench/releases_report.py golden: as many questions
#     as samples/golden.jsonl, phrases of paragraphs the edits never touch,
#     each expecting its document, plus the sample set's unanswerable ones).
#     samples/golden.jsonl itself is about samples/corpus: on this corpus the
#     gate would find none of its documents and skip the golden evaluation
#     (since f5f42a3); BENCH_RELEASES_GOLDEN=samples/golden.jsonl shows that.
#     Target: ragops / peer <= 1.3 (median over rounds of the same-round ratio).
#  2. extra disk for keeping the previous release: the data folder is copied
#     twice after the last round; in copy "drop", production forgets the
#     release it replaced (sqlite3: previous_id = NULL), copy "keep" is left
#     as is; then in both, ragops's own retention runs (store_releases_gc,
#     reached by a run that adds a one-line document from a second inbox and
#     is refused by the gate with -c validate.max_chunk_chars=100, under
#     -c releases.keep=0: every archived or refused release goes, except
#     production's previous one in "keep"), and sqlite3 VACUUM.  Extra =
#     size(keep) - size(drop) (ragops.db + -wal + models/): the document
#     versions, chunks, full-text rows and vectors only the previous release
#     holds, plus its lexicon file.  Target: <= 5% of size(keep).
#  3. `ragops deploy rollback` and `ragops deploy promote ID --force`,
#     alternating between production and the release it replaced,
#     BENCH_RELEASES_SWITCHES (5) times each: wall seconds per process,
#     median; target < 1 s each.  Also `ragops deploy promote ID` without
#     --force (the gate's structure checks and golden evaluation), for
#     information, BENCH_RELEASES_GATE_PROMOTES (3) times (each after a
#     rollback, not counted with the others).
#  4. `ragops serve` (rate limit off) under wrk (2 threads x
#     BENCH_RELEASES_CONNECTIONS, 16; POST /api/ask cycling through the GOLDEN
#     questions, bench/serve_ask.lua) for BENCH_RELEASES_SERVE_SECONDS (10)
#     with no promotion, then as long again while another process rolls back
#     and promotes --force, sleeping 0.5 s between switches; p50/p99 (wrk
#     --latency) of each, the same from inside the server (serve.log's time
#     per request), the server's release loads ("loaded release N ... in T
#     ms"), the releases that answered (the query log), any non-2xx reply or
#     socket error.  A first question, alone, loads production before the
#     warm-up.  Target: p99 during <= 2x p99 outside, and no failed request.
#
# Prints a table and writes bench/out/releases.json.  Works in a mktemp -d
# folder, removed on exit (with the peer's source and build).  The machine
# may be small and shared: compare the ratios, measured within one run.  At
# 100,000 chunks it takes about 5 minutes on 2 cores (~1 min per setup
# ingest) and ~2.5 GB of disk in TMPDIR (two data folders and two copies).
#
# Knobs (environment): BENCH_RELEASES_CHUNKS (100000), BENCH_RELEASES_RUNS
# (3), BENCH_RELEASES_SWITCHES (5), BENCH_RELEASES_GATE_PROMOTES (3),
# BENCH_RELEASES_SERVE_SECONDS (10), BENCH_RELEASES_CONNECTIONS (16),
# BENCH_RELEASES_GOLDEN (a golden set for the gate instead of the generated one),
# BENCH_RELEASES_PEER_REV (705c1d9: the commit built as the peer; skipped,
# with a message, when git does not have it), BENCH_RELEASES_PEER_BIN (a
# ragops binary to use as the peer instead of building one), BENCH_STRICT=1:
# exit 1 when a target is missed, BENCH_KEEP=1: keep the work folder.
set -Eeuo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHUNKS=${BENCH_RELEASES_CHUNKS:-100000}
RUNS=${BENCH_RELEASES_RUNS:-3}
SWITCHES=${BENCH_RELEASES_SWITCHES:-5}
GATE_PROMOTES=${BENCH_RELEASES_GATE_PROMOTES:-3}
DURATION=${BENCH_RELEASES_SERVE_SECONDS:-10}
CONNS=${BENCH_RELEASES_CONNECTIONS:-16}
PEER_REV=${BENCH_RELEASES_PEER_REV:-705c1d9}
PEER_BIN=${BENCH_RELEASES_PEER_BIN:-}
PERCENT=1
SEED=20250601
SWITCH_SLEEP=0.5
WRK_THREADS=2
WARMUP_S=2
OUT=$HERE/out
PY=/usr/bin/python3
GNU_TIME=/usr/bin/time
REPORT=$HERE/releases_report.py
SAMPLE_GOLDEN=$ROOT/samples/golden.jsonl
GOLDEN=${BENCH_RELEASES_GOLDEN:-}
for k in CHUNKS RUNS SWITCHES GATE_PROMOTES DURATION CONNS; do
	[[ ${!k} =~ ^[1-9][0-9]*$ ]] || die "the knob for $k must be a positive integer, not '${!k}'"
done
((CHUNKS >= 1000)) || die "BENCH_RELEASES_CHUNKS must be at least 1000 (10 documents)"
((CONNS >= WRK_THREADS)) || die "BENCH_RELEASES_CONNECTIONS must be >= $WRK_THREADS"

# --- tools ---------------------------------------------------------------
[[ -x $PY ]] || die "$PY is needed (standard library only)"
[[ -x $GNU_TIME ]] || die "/usr/bin/time is needed (Debian: apt-get install -y time)"
command -v wrk >/dev/null || die "'wrk' is missing (Debian: apt-get install -y wrk)"
command -v sqlite3 >/dev/null || die "'sqlite3' is missing (Debian: apt-get install -y sqlite3)"
[[ -f $SAMPLE_GOLDEN ]] || die "samples/golden.jsonl is needed"
if [[ -n $GOLDEN ]]; then
	[[ -f $GOLDEN ]] || die "BENCH_RELEASES_GOLDEN: no file '$GOLDEN'"
	GOLDEN=$(cd "$(dirname "$GOLDEN")" && pwd)/$(basename "$GOLDEN")
fi
HELP=$("$BIN" help 2>&1 || true)
grep -Eq '^[[:space:]]+deploy([[:space:]]|$)' <<<"$HELP" \
	|| die "'$BIN help' lists no 'deploy' command: this ragops has no releases"

# --- work folder; no user configuration may leak in ------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/ragops-releases-bench.XXXXXX")
SERVER_PID=
LOOP_PID=
stop_loop() {
	[[ -n $LOOP_PID ]] || return 0
	local pid=$LOOP_PID
	LOOP_PID=
	touch "$W/switch.stop"
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	stop_loop || true
	stop_server || true
	cd /
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
while read -r v; do unset "$v"; done < <(compgen -e | grep '^RAGOPS_' || true)
bench_workdir "$W"
RES=$W/res
C=$W/corpus
DN=$W/data-new
DO=$W/data-old
mkdir -p "$OUT"
now() { date +%s.%N; }
since() { $PY -c "import sys,time; print(round(time.time()-float(sys.argv[1]),3))" "$1"; }
T_START=$(now)
fact loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
fact runs "$RUNS"; fact seed "$SEED"; fact percent "$PERCENT"

jget() { $PY -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"; }

# timed NAME OUTFILE CMD...: CMD with stdout to OUTFILE; wall seconds ->
# facts (NAME_wall_s, "-" -> "_"), peak RSS KiB and user/sys CPU -> NAME.time;
# its exit status -> $RC (a status above 1 other than those in $OK_RC dies)
OK_RC="0"
timed() {
	local name=$1 out=$2 t0; shift 2
	RC=0
	t0=$(now)
	"$GNU_TIME" -f '%M %U %S' -o "$RES/$name.time" "$@" >"$out" 2>"$RES/$name.err" || RC=$?
	fact "${name//-/_}_wall_s" "$(since "$t0")"
	if [[ " $OK_RC " != *" $RC "* ]]; then
		tail -n 20 "$RES/$name.err" >&2
		die "$name: exited $RC: $*"
	fi
}

# --- the peer: ragops before releases --------------------------------------
PEER=
if [[ -n $PEER_BIN ]]; then
	[[ -x $PEER_BIN && -f $PEER_BIN ]] || die "BENCH_RELEASES_PEER_BIN '$PEER_BIN' is not an executable file"
	cp "$PEER_BIN" "$W/ragops-peer"
	PEER=$W/ragops-peer
	fact peer_commit "$(basename "$PEER_BIN")"
elif git -C "$ROOT" cat-file -e "$PEER_REV^{commit}" 2>/dev/null; then
	say "building the peer: ragops at $PEER_REV (git archive into the work folder)"
	mkdir -p "$W/peer-src"
	git -C "$ROOT" archive "$PEER_REV" | tar -x -C "$W/peer-src"
	t0=$(now)
	# the peer's own defaults: nothing of this make's command line (BUILD, SANITIZE) leaks in
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$W/peer-src" -j"$(nproc)" BUILD=build \
		>"$RES/peer-build.log" 2>&1; then
		tail -n 20 "$RES/peer-build.log" >&2
		die "the peer ($PEER_REV) does not build"
	fi
	fact peer_build_s "$(since "$t0")"
	cp "$W/peer-src/build/ragops" "$W/ragops-peer"
	rm -rf "$W/peer-src"
	PEER=$W/ragops-peer
	fact peer_commit "$(git -C "$ROOT" rev-parse --short "$PEER_REV")"
else
	fact peer_skipped "commit $PEER_REV is not in this git repository (a shallow clone?)"
	say "commit $PEER_REV is not available (shallow clone?): the peer column is skipped"
fi
if [[ -n $PEER ]]; then
	fact peer_version "$("$PEER" version 2>&1 | sed -n 1p)"
	fact peer_sha256 "$(sha256sum <"$PEER" | cut -c1-16)"
fi

# --- corpus and setup ingests (not compared) -------------------------------
say "generating $CHUNKS chunks of text (bench/retrieval_corpus.py)"
t0=$(now)
$PY "$HERE/retrieval_corpus.py" --chunks "$CHUNKS" --queries 200 --seed "$SEED" "$C" >"$RES/corpus.json" \
	|| die "bench/retrieval_corpus.py failed"
fact generate_s "$(since "$t0")"
fact chunks "$CHUNKS"
if [[ -z $GOLDEN ]]; then
	GOLDEN=$W/golden.jsonl
	$PY "$REPORT" golden "$C/docs" "$SAMPLE_GOLDEN" "$(grep -c . "$SAMPLE_GOLDEN")" "$SEED" "$GOLDEN" >/dev/null
	fact golden "generated: $(grep -c '"doc": "' "$GOLDEN") questions about this corpus + $(grep -c '"doc": null' "$GOLDEN") unanswerable from samples/golden.jsonl"
else
	fact golden "$GOLDEN"
fi
# the ragops being measured, always with that golden set
NEW=("$BIN" -c "validate.golden=$GOLDEN")

# check_run NAME EXPECT_NEW EXPECT_CHANGED: the run's JSON in res/NAME.json
check_run() {
	local f=$RES/$1.json
	local st; st=$(jget "$f" state)
	[[ $st == completed || $st == refused ]] || { cat "$f" >&2; die "$1: the run ended '$st'"; }
	[[ $(jget "$f" documents.failed) == 0 ]] || { cat "$f" >&2; die "$1: some documents failed"; }
	[[ $(jget "$f" documents.new) == "$2" && $(jget "$f" documents.changed) == "$3" ]] \
		|| { cat "$f" >&2; die "$1: expected $2 new and $3 changed documents"; }
	cp "$(jget "$f" metrics)" "$RES/$1.metrics.json"
}

say "setup: ragops ingests the corpus"
OK_RC="0" timed new-ingest "$RES/new-ingest.json" "${NEW[@]}" --data "$DN" run --inbox "$C/docs" --json
check_run new-ingest "$(jget "$RES/corpus.json" files)" 0
got=$(jget "$RES/new-ingest.json" chunks)
[[ $got == "$CHUNKS" ]] || die "ragops made $got chunks of $CHUNKS paragraphs (chunk.target_chars changed?)"
[[ $(jget "$RES/new-ingest.json" release.verdict) == promoted ]] || { cat "$RES/new-ingest.json" >&2; die "the first release was not promoted"; }
if [[ -n $PEER ]]; then
	say "setup: the peer ingests the corpus"
	timed old-ingest "$RES/old-ingest.json" "$PEER" --data "$DO" run --inbox "$C/docs" --json
	check_run old-ingest "$(jget "$RES/corpus.json" files)" 0
	got=$(jget "$RES/old-ingest.json" chunks)
	[[ $got == "$CHUNKS" ]] || die "the peer made $got chunks of $CHUNKS paragraphs"
fi

# --- 1. incremental runs ---------------------------------------------------
new_run() {
	# 6: the gate refused the candidate -- the work was done all the same
	OK_RC="0 6" timed "new-run-$1" "$RES/new-run-$1.json" "${NEW[@]}" --data "$DN" run --inbox "$C/docs" --json
	check_run "new-run-$1" 0 "$2"
	"$BIN" --data "$DN" runs show "$(jget "$RES/new-run-$1.json" run_id)" --json >"$RES/new-run-$1.show.json"
	$PY "$REPORT" tasks "$RES/new-run-$1.show.json" "$RES/new-run-$1.tasks.json"
}
old_run() {
	OK_RC="0" timed "old-run-$1" "$RES/old-run-$1.json" "$PEER" --data "$DO" run --inbox "$C/docs" --json
	check_run "old-run-$1" 0 "$2"
}
for k in $(seq 1 "$RUNS"); do
	nchanged=$($PY "$REPORT" edit "$C/docs" "$W/pristine" "$k" "$PERCENT" "$SEED" "$RES/edit-$k.json")
	if [[ -z $PEER ]]; then
		say "round $k/$RUNS: $nchanged documents changed; ragops runs"
		new_run "$k" "$nchanged"
	elif ((k % 2)); then
		say "round $k/$RUNS: $nchanged documents changed; ragops runs, then the peer"
		new_run "$k" "$nchanged"; old_run "$k" "$nchanged"
	else
		say "round $k/$RUNS: $nchanged documents changed; the peer runs, then ragops"
		old_run "$k" "$nchanged"; new_run "$k" "$nchanged"
	fi
	say "round $k: ragops $(awk -F'\t' -v k="new_run_${k}_wall_s" '$1==k{print $2}' "$FACTS") s ($(jget "$RES/new-run-$k.json" release.verdict))${PEER:+, peer $(awk -F'\t' -v k="old_run_${k}_wall_s" '$1==k{print $2}' "$FACTS") s}"
done

# production and the release it replaced, as the runs left them
"$BIN" --data "$DN" releases --json >"$RES/releases.json"
read -r PROD PREV < <($PY -c 'import json,sys
rs=json.load(open(sys.argv[1])); p=[r for r in rs if r["state"]=="production"][0]
print(p["id"], p["previous_id"] or 0)' "$RES/releases.json")
((PREV > 0)) || die "production (release $PROD) replaced no kept release: nothing to roll back to"
fact production_release "$PROD"; fact previous_release "$PREV"

# --- 2. disk: what only the previous release holds ---------------------------
# sizes PREFIX DIR: ragops.db, -wal and the files of models/ -> facts
sizes() {
	fact "$1_db_bytes" "$(stat -c %s "$2/ragops.db")"
	fact "$1_wal_bytes" "$( [[ -f $2/ragops.db-wal ]] && stat -c %s "$2/ragops.db-wal" || echo 0)"
	fact "$1_models_bytes" "$(find "$2/models" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')"
}
sizes live "$DN"
[[ -n $PEER ]] && sizes peer_live "$DO"
mkdir -p "$W/extra-inbox"
echo "Une note d'une ligne, pour déclencher la rétention." >"$W/extra-inbox/note.md"
for copy in keep drop; do
	D=$W/disk-$copy
	say "disk: copy '$copy' of the data folder, retention (releases.keep=0) and VACUUM"
	cp -a "$DN" "$D"
	[[ $copy == drop ]] && sqlite3 "$D/ragops.db" "UPDATE releases SET previous_id = NULL WHERE state = 'production'"
	OK_RC="6" timed "disk-$copy" "$RES/disk-$copy.json" "${NEW[@]}" --data "$D" -c releases.keep=0 \
		-c validate.max_chunk_chars=100 run --inbox "$C/docs" --inbox "$W/extra-inbox" --json
	[[ $(jget "$RES/disk-$copy.json" release.verdict) == refused && $(jget "$RES/disk-$copy.json" documents.new) == 1 ]] \
		|| { cat "$RES/disk-$copy.json" >&2; die "disk: the retention run did not add one document and get refused"; }
	sqlite3 "$D/ragops.db" "VACUUM"
	sizes "$copy" "$D"
	while IFS='|' read -r k v; do fact "${copy}_rows_$k" "$v"; done < <(sqlite3 "$D/ragops.db" "
		SELECT 'releases', count(*) FROM releases UNION ALL
		SELECT 'doc_versions', count(*) FROM doc_versions UNION ALL
		SELECT 'chunks', count(*) FROM chunks UNION ALL
		SELECT 'fts_rows', count(*) FROM chunks_fts_docsize UNION ALL
		SELECT 'vectors', count(*) FROM embeddings UNION ALL
		SELECT 'models', count(*) FROM models")
	kept=$(sqlite3 "$D/ragops.db" "SELECT group_concat(r, ' ') FROM (SELECT id || ':' || state AS r FROM releases ORDER BY id)")
	fact "${copy}_releases" "$kept"
	case $copy in
	keep) [[ $kept == "$PREV:archived $PROD:production" ]] || die "disk: copy 'keep' holds releases '$kept', expected $PREV and $PROD" ;;
	drop) [[ $kept == "$PROD:production" ]] || die "disk: copy 'drop' holds releases '$kept', expected $PROD alone" ;;
	esac
	rm -rf "$D"
done

# --- 3. deploy: rollback and promote ---------------------------------------
# deploy NAME ARGS...: one timed `ragops deploy` -> NAME.times (wall seconds)
deploy() {
	local name=$1 t0 rc=0; shift
	t0=$(now)
	"${NEW[@]}" --data "$DN" deploy "$@" --json >"$RES/deploy.out" 2>"$RES/deploy.err" || rc=$?
	since "$t0" >>"$RES/$name.times"
	((rc == 0)) || { cat "$RES/deploy.out" "$RES/deploy.err" >&2; die "ragops deploy $* exited $rc"; }
}
say "deploy: $SWITCHES x (rollback to $PREV, promote $PROD --force), then $GATE_PROMOTES x (rollback, promote $PROD)"
for ((i = 0; i < SWITCHES; i++)); do
	deploy rollback rollback
	deploy promote_force promote "$PROD" --force
done
for ((i = 0; i < GATE_PROMOTES; i++)); do
	deploy rollback_before_gate rollback
	deploy promote_gate promote "$PROD"
done

# --- 4. serve during promotions ----------------------------------------------
NQ=$($PY "$HERE/serve_report.py" bodies "$GOLDEN" "$W/bodies.jsonl" "$W/questions.txt")
fact golden_questions "$NQ"
say "starting ragops serve"
"$BIN" --data "$DN" serve -c serve.port=0 -c serve.rate_limit=0 >"$RES/serve.out" 2>"$RES/serve.err" &
SERVER_PID=$!
for ((i = 0; i < 100; i++)); do
	grep -q 'listening on' "$RES/serve.err" && break
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RES/serve.err" >&2; SERVER_PID=; die "ragops serve exited at start"; }
	sleep 0.1
done
LINE=$(grep -m1 'listening on' "$RES/serve.err") || { cat "$RES/serve.err" >&2; die "ragops serve did not say where it listens within 10 s"; }
[[ $LINE =~ listening\ on\ (http://[^ ]+:[0-9]+)/\ \(([0-9]+)\ threads ]] || die "cannot read the address from: $LINE"
URL=${BASH_REMATCH[1]}
fact server_threads "${BASH_REMATCH[2]}"
$PY "$HERE/serve_report.py" wait "$URL/healthz" 10 "$SERVER_PID" || { cat "$RES/serve.err" >&2; die "GET $URL/healthz did not answer 200 within 10 s"; }
fact serve_seconds "$DURATION"; fact connections "$CONNS"; fact wrk_threads "$WRK_THREADS"
fact switch_interval_s "$SWITCH_SLEEP"

export SERVE_BENCH_DIR=$HERE SERVE_ASK_BODIES=$W/bodies.jsonl
last_query() { sqlite3 -readonly "$DN/ragops.db" "SELECT coalesce(max(id), 0) FROM queries"; }
# run_wrk NAME: POST /api/ask for DURATION (the warm-up: WARMUP_S) -> res/wrk-NAME.{out,json}
run_wrk() {
	local name=$1 secs=$DURATION rc=0 q0 q1
	[[ $name == warmup ]] && secs=$WARMUP_S
	q0=$(last_query)
	fact "${name}_from" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
	wrk -t "$WRK_THREADS" -c "$CONNS" -d "${secs}s" --timeout 10s --latency -s "$HERE/serve_ask.lua" \
		"$URL/api/ask" >"$RES/wrk-$name.out" 2>"$RES/wrk-$name.err" || rc=$?
	kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$RES/serve.err" >&2; SERVER_PID=; die "the server died during the $name run"; }
	if ((rc != 0)) || [[ -s $RES/wrk-$name.err ]]; then
		cat "$RES/wrk-$name.out" "$RES/wrk-$name.err" >&2
		die "wrk ($name) exited $rc or wrote errors"
	fi
	fact "${name}_to" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
	q1=$(last_query)
	fact "answered_by_$name" "$(sqlite3 -readonly "$DN/ragops.db" "SELECT json_group_object(coalesce(release_id, 'none'), n)
		FROM (SELECT release_id, count(*) AS n FROM queries WHERE id > $q0 AND id <= $q1 GROUP BY release_id)")"
	$PY "$HERE/serve_report.py" wrk "$name" "$RES/wrk-$name.out" "$RES/wrk-$name.json"
}
# switch_loop: roll back and promote --force in turn, SWITCH_SLEEP apart, until
# switch.stop exists; one line per switch in switches.log: action, wall s,
# exit status, user and system CPU s
switch_loop() {
	local i=0 t0 rc args
	while [[ ! -e $W/switch.stop ]]; do
		if ((i % 2 == 0)); then args=(rollback); else args=(promote "$PROD" --force); fi
		t0=$(now)
		rc=0
		"$GNU_TIME" -f '%U %S' -o "$W/switch.time" "${NEW[@]}" --data "$DN" deploy "${args[@]}" \
			>/dev/null 2>>"$RES/switches.err" || rc=$?
		echo "${args[0]} $(since "$t0") $rc $(cat "$W/switch.time")" >>"$RES/switches.log"
		i=$((i + 1))
		sleep "$SWITCH_SLEEP"
	done
}

# one question first, alone: it loads the production release (seconds at
# 100,000 chunks), which would otherwise still be in flight when the
# measured phase starts
t0=$(now)
$PY - "$URL/api/ask" "$W/bodies.jsonl" <<'PYEOF' || die "the first POST /api/ask failed"
import sys, urllib.request
with open(sys.argv[2], "rb") as fp:
    body = fp.readline().strip()
req = urllib.request.Request(sys.argv[1], data=body, headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=300) as r:
    sys.exit(0 if r.status == 200 else 1)
PYEOF
fact first_ask_s "$(since "$t0")"
say "wrk: POST /api/ask, ${WARMUP_S} s warm-up, then ${DURATION} s without promotions"
run_wrk warmup
run_wrk outside
say "wrk: POST /api/ask, ${DURATION} s while another process rolls back and promotes every ${SWITCH_SLEEP} s"
: >"$RES/switches.log"
rm -f "$W/switch.stop"
switch_loop &
LOOP_PID=$!
run_wrk during
stop_loop
# production back where it was (the loop may have stopped after a rollback)
cur=$("$BIN" --data "$DN" releases --json | $PY -c 'import json,sys
print([r["id"] for r in json.load(sys.stdin) if r["state"]=="production"][0])')
[[ $cur == "$PROD" ]] || "${NEW[@]}" --data "$DN" deploy promote "$PROD" --force >/dev/null
fact server_peak_rss_kib "$(awk '/^VmHWM:/{print $2}' "/proc/$SERVER_PID/status")"
stop_server
fact server_exit "$SERVER_EXIT"
# the server's log: each request's time inside the server, and its release
# loads ("loaded release N (C chunks) in T ms", one per switch it saw)
cp "$DN/logs/serve.log" "$RES/serve.log"
((SERVER_EXIT == 0)) || say "warning: ragops serve exited $SERVER_EXIT on SIGTERM"

# --- report ----------------------------------------------------------------
machine_facts
fact wrk_version "$( (wrk -v 2>&1 || true) | sed -n 1p)"
fact python "$($PY -c 'import sys; print(sys.version.split()[0])')"
fact elapsed_s "$(since "$T_START")"
$PY "$REPORT" report "$RES" "$OUT/releases.json"

#!/usr/bin/env bash
# ragops on PostgreSQL against ragops on SQLite.  Usage: bench/pg.sh [PATH/TO/ragops]
#   (make bench-pg)
#
# The same binary, the store selected by --store, side by side in one run,
# on a throwaway PostgreSQL cluster on this machine (scripts/pg-cluster.sh:
# loopback, fsync off -- the cost measured is ragops's round trips and the
# server's work, not a disk's):
#
#  1. first ingest of BENCH_PG_TEXTS (900) generated .txt/.md documents and
#     BENCH_PG_PDFS (100) PDF copies (bench/gen_corpus.py mixed), with 1 and
#     with 2 parser threads, each store fresh for every timed run
#     (hyperfine --prepare), BENCH_PG_RUNS (5) runs: wall seconds, median;
#  2. the re-run over the same unchanged documents;
#  3. `ragops serve` answering POST /api/ask (wrk, 2 threads x 8
#     connections, BENCH_PG_SERVE_SECONDS (10) s, cycling through the
#     questions of samples/golden.jsonl, rate limit off) after an ingest of
#     samples/corpus: requests/s and latency p50/p99.
#
# Not measured here (the work queue is not built yet): task claims with 32
# claimers, and ingest with several `ragops worker` processes.
set -Eeuo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TEXTS=${BENCH_PG_TEXTS:-900}
PDFS=${BENCH_PG_PDFS:-100}
RUNS=${BENCH_PG_RUNS:-5}
SERVE_S=${BENCH_PG_SERVE_SECONDS:-10}
PY=/usr/bin/python3
command -v hyperfine >/dev/null || die "hyperfine is missing: apt-get install -y hyperfine"
command -v wrk >/dev/null || die "wrk is missing: apt-get install -y wrk"

W=$(mktemp -d)
PGDIR=$(mktemp -d /tmp/ragops-bench-pg.XXXXXX) # the server's user must reach it: not under $W
SERVER_PID=
cleanup() {
	stop_server
	"$ROOT/scripts/pg-cluster.sh" stop "$PGDIR" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
bench_workdir "$W"
eval "$("$ROOT/scripts/pg-cluster.sh" start "$PGDIR")"
BASE=${RAGOPS_TEST_PG_URL%/*}
pg() { psql -X -A -t -q -w -v ON_ERROR_STOP=1 "$RAGOPS_TEST_PG_URL" -c "$1" >/dev/null; }

N=$($PY "$HERE/gen_corpus.py" mixed --src "$ROOT/samples/corpus/pdf" --texts "$TEXTS" --pdfs "$PDFS" "$W/mixed")
say "corpus: $N documents"

# ingest NAME THREADS: hyperfine of a first ingest on each backend, fresh each run
ingest() {
	local threads=$1
	pg "DROP DATABASE IF EXISTS b WITH (FORCE)"
	hyperfine -N --runs "$RUNS" --export-json "$W/res/ingest-$threads.json" \
		--prepare "rm -rf $W/d-lite" \
		--command-name sqlite "$BIN --data $W/d-lite -c ingest.threads=$threads run --inbox $W/mixed" \
		--prepare "sh -c 'rm -rf $W/d-pg; psql -X -q -w $RAGOPS_TEST_PG_URL -c \"DROP DATABASE IF EXISTS b WITH (FORCE)\" -c \"CREATE DATABASE b\"'" \
		--command-name postgresql "$BIN --data $W/d-pg --store $BASE/b -c ingest.threads=$threads run --inbox $W/mixed" \
		>&2
}
ingest 1
ingest 2

say "re-run over unchanged documents"
hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$W/res/rerun.json" \
	--command-name sqlite "$BIN --data $W/d-lite run --inbox $W/mixed" \
	--command-name postgresql "$BIN --data $W/d-pg --store $BASE/b run --inbox $W/mixed" >&2

# serve_bench NAME ARGS...: requests/s and latency of /api/ask on one backend
serve_bench() {
	local name=$1 port; shift
	port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$BIN" "$@" serve -c serve.port="$port" -c serve.rate_limit=0 >"$W/serve-$name.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
	SERVE_BENCH_DIR=$HERE SERVE_ASK_BODIES=$W/bodies.jsonl wrk -t2 -c8 -d"${SERVE_S}s" --latency \
		-s "$HERE/serve_ask.lua" "http://127.0.0.1:$port" >"$W/res/wrk-$name.txt" 2>&1
	stop_server
}
$PY -c 'import json, sys
for line in open(sys.argv[1]):
    if line.strip():
        print(json.dumps({"question": json.loads(line)["question"]}))' "$ROOT/samples/golden.jsonl" >"$W/bodies.jsonl"
"$BIN" --data "$W/s-lite" run --inbox "$ROOT/samples/corpus" >/dev/null 2>&1
pg "CREATE DATABASE s"
"$BIN" --data "$W/s-pg" --store "$BASE/s" run --inbox "$ROOT/samples/corpus" >/dev/null 2>&1
serve_bench sqlite --data "$W/s-lite"
serve_bench postgresql --data "$W/s-pg" --store "$BASE/s"

machine_facts
$PY - "$W/res" <<'EOF'
import json, re, sys, os
res = sys.argv[1]
def medians(name):
    j = json.load(open(os.path.join(res, name)))
    return {r["command"]: r["median"] for r in j["results"]}
def wrk(name):
    text = open(os.path.join(res, "wrk-%s.txt" % name)).read()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    lat = {p: re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)" % p, text, re.M) for p in ("50", "99")}
    def ms(m):
        if not m: return float("nan")
        v, u = float(m.group(1)), m.group(2)
        return v / 1000 if u == "us" else v * 1000 if u == "s" else v
    bad = [l for l in text.splitlines() if l.startswith("serve: status") and l.split()[2] != "200"]
    if bad:
        print("%s: answers other than 200: %s" % (name, "; ".join(bad)), file=sys.stderr)
    return float(rps.group(1)) if rps else float("nan"), ms(lat["50"]), ms(lat["99"])
rows = []
for label, f in (("first ingest, 1 thread, s", "ingest-1.json"),
                 ("first ingest, 2 threads, s", "ingest-2.json"),
                 ("re-run, unchanged, s", "rerun.json")):
    m = medians(f)
    rows.append((label, m["sqlite"], m["postgresql"]))
ls, lp = wrk("sqlite"), wrk("postgresql")
rows.append(("serve /api/ask, requests/s", ls[0], lp[0]))
rows.append(("serve /api/ask, p50 ms", ls[1], lp[1]))
rows.append(("serve /api/ask, p99 ms", ls[2], lp[2]))
print("%-30s %12s %12s %10s" % ("", "SQLite", "PostgreSQL", "PG/SQLite"))
for label, a, b in rows:
    print("%-30s %12.3f %12.3f %9.2fx" % (label, a, b, b / a if a else float("nan")))
facts = dict(line.rstrip("\n").split("\t", 1) for line in open(os.path.join(res, "facts.tsv")))
print("\n%s cores, load %s, %s, commit %s" % (facts["nproc"], facts["loadavg_end"], facts["ragops_version"], facts["git_commit"]))
EOF

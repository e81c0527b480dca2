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
#     and on PostgreSQL by 2 `ragops worker` processes of 1 thread each
#     while the run only queues (bench/pg_workers.sh), against SQLite on 2
#     threads;
#  2. the re-run over the same unchanged documents;
#  3. `ragops serve` answering POST /api/ask (wrk, 2 threads x 8
#     connections, BENCH_PG_SERVE_SECONDS (10) s, cycling through the
#     questions of samples/golden.jsonl, rate limit off) after an ingest of
#     samples/corpus: requests/s and latency p50/p99;
#  4. the work queue's coordination cost, PostgreSQL only (bench/claim_bench.c,
#     built by make bench-pg): 1 and BENCH_PG_CLAIMERS (32) processes, each on
#     its own connection, calling store_work_claim (1 item a claim) in a loop:
#     claims/s and claim latency p50/p99, for
#       - an empty queue, BENCH_PG_CLAIM_SECONDS (10) s: idle workers polling;
#       - BENCH_PG_CLAIM_ITEMS (20000) items all claimed already (leases held,
#         none finished), the same seconds: idle workers polling near the end
#         of a big run;
#       - the same number of items queued, drained until a claim comes back
#         empty (a cap of BENCH_PG_CLAIM_CAP (900) s).
#     Each in a database of its own, made for it.
#
# Not measured here: ingest with several `ragops worker` processes.
set -Eeuo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TEXTS=${BENCH_PG_TEXTS:-900}
PDFS=${BENCH_PG_PDFS:-100}
RUNS=${BENCH_PG_RUNS:-5}
SERVE_S=${BENCH_PG_SERVE_SECONDS:-10}
CLAIMERS=${BENCH_PG_CLAIMERS:-32}
CLAIM_S=${BENCH_PG_CLAIM_SECONDS:-10}
CLAIM_ITEMS=${BENCH_PG_CLAIM_ITEMS:-20000}
CLAIM_CAP=${BENCH_PG_CLAIM_CAP:-900}
PY=/usr/bin/python3
command -v hyperfine >/dev/null || die "hyperfine is missing: apt-get install -y hyperfine"
command -v wrk >/dev/null || die "wrk is missing: apt-get install -y wrk"
CLAIM_BENCH=${BENCH_PG_CLAIM_BENCH:-$(dirname "$BIN")/bench/claim_bench}
[[ -x $CLAIM_BENCH ]] || die "'$CLAIM_BENCH' not found: build it with 'make build/bench/claim_bench' (make bench-pg does)"

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

# The same first ingest done by 2 `ragops worker` processes of 1 thread each (the run only queues).
say "first ingest by 2 workers"
pg "DROP DATABASE IF EXISTS b WITH (FORCE)"
hyperfine -N --runs "$RUNS" --export-json "$W/res/ingest-workers.json" \
	--prepare "sh -c 'rm -rf $W/d-wk-*; psql -X -q -w $RAGOPS_TEST_PG_URL -c \"DROP DATABASE IF EXISTS b WITH (FORCE)\" -c \"CREATE DATABASE b\"'" \
	--command-name postgresql "$HERE/pg_workers.sh $BIN $BASE/b $W/mixed $W/d-wk 2" >&2

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

# claims NAME MODE CLAIMERS ITEMS SECONDS: one claim_bench, in a database of its own
claims() {
	local name=$1; shift
	pg "DROP DATABASE IF EXISTS q WITH (FORCE)"
	pg "CREATE DATABASE q"
	say "claims: $name ($*)"
	"$W/claim_bench" "$BASE/q" "$@" >"$W/res/claims-$name.txt"
	cat "$W/res/claims-$name.txt" >&2
}
cp "$CLAIM_BENCH" "$W/claim_bench" # as the binary: a concurrent make may relink it mid-run
for n in 1 "$CLAIMERS"; do
	claims "empty-$n" poll "$n" 0 "$CLAIM_S"
	claims "held-$n" poll "$n" "$CLAIM_ITEMS" "$CLAIM_S"
	claims "drain-$n" drain "$n" "$CLAIM_ITEMS" "$CLAIM_CAP"
done
fact claimers "$CLAIMERS"
fact claim_items "$CLAIM_ITEMS"

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
    if f == "ingest-2.json":  # SQLite on 2 threads against 2 workers of 1 thread each
        rows.append(("first ingest, 2 workers x 1 thread, s", m["sqlite"],
                     medians("ingest-workers.json")["postgresql"]))
ls, lp = wrk("sqlite"), wrk("postgresql")
rows.append(("serve /api/ask, requests/s", ls[0], lp[0]))
rows.append(("serve /api/ask, p50 ms", ls[1], lp[1]))
rows.append(("serve /api/ask, p99 ms", ls[2], lp[2]))
print("%-30s %12s %12s %10s" % ("", "SQLite", "PostgreSQL", "PG/SQLite"))
for label, a, b in rows:
    print("%-30s %12.3f %12.3f %9.2fx" % (label, a, b, b / a if a else float("nan")))
facts = dict(line.rstrip("\n").split("\t", 1) for line in open(os.path.join(res, "facts.tsv")))

def claims(name):
    text = open(os.path.join(res, "claims-%s.txt" % name)).read()
    return {k: v for k, v in (f.split("=", 1) for f in text.split())}
many, items = facts["claimers"], facts["claim_items"]
print("\nwork queue on PostgreSQL, claims of 1 item, by claimers:")
print("%-36s %17s %17s %17s" % ("", "claims/s", "p50 ms", "p99 ms"))
print("%-36s %8s %8s %8s %8s %8s %8s" % ("claimers", "1", many, "1", many, "1", many))
for label, name in (("empty queue, polling", "empty"),
                    ("%s items held, polling" % items, "held"),
                    ("draining %s queued items" % items, "drain")):
    one, lots = claims("%s-1" % name), claims("%s-%s" % (name, many))
    print("%-36s %8.0f %8.0f %8.2f %8.2f %8.2f %8.2f" % (label,
          float(one["claims_per_s"]), float(lots["claims_per_s"]),
          float(one["p50_ms"]), float(lots["p50_ms"]), float(one["p99_ms"]), float(lots["p99_ms"])))
print("\n%s cores, load %s, %s, commit %s" % (facts["nproc"], facts["loadavg_end"], facts["ragops_version"], facts["git_commit"]))
EOF

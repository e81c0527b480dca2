#!/usr/bin/env bash
# Load with nothing lost (issue 13): LOAD_CLIENTS (50) clients ask questions
# and post feedback against `ragops serve` for LOAD_SECONDS (60) while a
# `ragops run` ingests the benchmark corpus into the same data folder.
# Passes when every 201 is a feedback row and no row is doubled, when the
# only errors are 429/503 carrying Retry-After, and when the server's RSS
# stays flat (last quarter's median within 1.5x of the first quarter's).
# Prints the status counts and the RSS curve (one sample a second).
# Usage: bench/load.sh [BUILD/ragops]        (make hardening runs it)
set -Eeuo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLIENTS=${LOAD_CLIENTS:-50}
SECONDS_=${LOAD_SECONDS:-60}
COPIES=${LOAD_COPIES:-30}
PY=/usr/bin/python3

W=$(mktemp -d "${TMPDIR:-/tmp}/ragops-load.XXXXXX")
SERVE_PID= RUN_PID=
cleanup() {
	[[ -n $SERVE_PID ]] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	[[ -n $RUN_PID ]] && kill "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null
	cd /; rm -rf "$W"
}
trap cleanup EXIT
while read -r v; do unset "$v"; done < <(compgen -e | grep '^RAGOPS_' || true)
bench_workdir "$W"

say "a first release from the sample notes, then $COPIES copies of the sample PDFs to ingest under load"
mkdir -p "$W/inbox"
cp -r "$ROOT/samples/corpus/notes" "$ROOT/samples/corpus/md" "$W/inbox/"
"$BIN" --data "$W/data" run --inbox "$W/inbox" >/dev/null 2>&1 || die "the first run failed"
$PY "$HERE/gen_corpus.py" pdfs --src "$ROOT/samples/corpus/pdf" --copies "$COPIES" "$W/inbox/pdfs" >/dev/null

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# No rate limit: the clients are to load the server, not its limiter (429s still count as allowed).
"$BIN" --data "$W/data" serve -c serve.port="$port" -c serve.rate_limit=0 >"$W/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || { cat "$W/serve.log" >&2; die "serve did not start"; }

"$BIN" --data "$W/data" run --inbox "$W/inbox" >"$W/run.log" 2>&1 &
RUN_PID=$!

say "$CLIENTS clients for $SECONDS_ s (a run ingesting meanwhile)"
$PY - "http://127.0.0.1:$port" "$CLIENTS" "$SECONDS_" "$SERVE_PID" >"$W/result.json" <<'PY'
import http.client, json, sys, threading, time, urllib.parse, uuid
from collections import Counter
url, clients, seconds, pid = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
u = urllib.parse.urlparse(url)
codes, bad_errors, created, lock = Counter(), [], [], threading.Lock()
stop = time.monotonic() + seconds
questions = ["Qu'est-ce que l'ISO ?", "Comment sauvegarder ses photos ?", "What is a RAW file?",
             "Pourquoi le ciel est-il trop clair ?", "Quelle vitesse d'obturation choisir ?"]

def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

curve = []
def sampler():
    while time.monotonic() < stop:
        curve.append(rss_kib())
        time.sleep(1)

def client(c):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    i = 0
    while time.monotonic() < stop:
        i += 1
        if i % 2:
            path, body, headers = "/api/ask", {"question": questions[(c + i) % len(questions)]}, {}
        else:
            text = f"load-{c}-{i}-{uuid.uuid4().hex[:8]}"
            path = "/api/feedback"
            body = {"rating": 1 + (c + i) % 5, "feedback_text": text, "question": "Q ?",
                    "answer": "R.", "sources": ["notes/iso-et-bruit.txt"]}
            headers = {"Idempotency-Key": text}
        headers["Content-Type"] = "application/json"
        try:
            conn.request("POST", path, json.dumps(body), headers)
            r = conn.getresponse()
            data = r.read()
        except Exception as e:
            with lock:
                codes[type(e).__name__] += 1
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            continue
        with lock:
            codes[f"{path} {r.status}"] += 1
            if r.status == 201 and path == "/api/feedback":
                created.append((json.loads(data)["id"], body["feedback_text"]))
            elif r.status in (429, 503) and not r.getheader("Retry-After"):
                bad_errors.append(f"{path} {r.status} without Retry-After")
            elif r.status >= 400 and r.status not in (429, 503):
                bad_errors.append(f"{path} {r.status}: {data[:200]!r}")

threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
threads.append(threading.Thread(target=sampler))
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"codes": codes, "bad": bad_errors[:20], "nbad": len(bad_errors),
                  "created": created, "rss_kib": curve}))
PY
wait "$RUN_PID" || true
RUN_PID=
kill "$SERVE_PID"; wait "$SERVE_PID" || true
SERVE_PID=

$PY - "$W/result.json" "$W/data/ragops.db" "$(head -1 "$W/run.log")" <<'PY'
import json, sqlite3, statistics, sys
r = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
rows = dict(db.execute("SELECT feedback_text, count(*) FROM feedback WHERE feedback_text LIKE 'load-%' GROUP BY 1"))
created = {t for _, t in r["created"]}
missing = [t for t in created if t not in rows]
doubled = [t for t, n in rows.items() if n > 1]
curve = r["rss_kib"]
q = max(1, len(curve) // 4)
first, last = statistics.median(curve[:q]), statistics.median(curve[-q:])
print("status counts:", ", ".join(f"{k}: {v}" for k, v in sorted(r["codes"].items())))
print(f"feedback 201s: {len(created)}; rows: {len(rows)}; missing: {len(missing)}; doubled: {len(doubled)}")
print(f"errors other than 429/503 with Retry-After: {r['nbad']}", *r["bad"][:5], sep="\n  ")
print("server RSS (MiB, one sample a second):", " ".join("%.0f" % (k / 1024) for k in curve))
print(f"RSS first quarter median {first/1024:.1f} MiB, last quarter {last/1024:.1f} MiB ({last/first:.2f}x)")
print("the run:", sys.argv[3])
ok = not missing and not doubled and r["nbad"] == 0 and len(created) > 0 and last <= 1.5 * first
print("load: PASS" if ok else "load: FAIL")
sys.exit(0 if ok else 1)
PY

#!/usr/bin/env bash
# 1,000 feedback posts from 50 concurrent clients: each 201 is a row, each
# row was answered 201 once -- nothing lost, nothing doubled.
. "$(dirname "$0")/lib.sh"
d=$(new_data load)
inbox="$scratch/inbox"
sample_inbox "$inbox" notes
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
qid=$(rg "$d" ask --json "Qu'est-ce que l'ISO ?" | python3 -c 'import json,sys; print(json.load(sys.stdin)["query_id"])')
serve_start "$d" -c serve.rate_limit=0 || { not_ok "the server starts"; finish; exit 1; }

result=$(python3 - "$SERVE_URL" "$qid" <<'PY'
import http.client, json, sys, threading, urllib.parse
from collections import Counter
u = urllib.parse.urlparse(sys.argv[1])
qid = int(sys.argv[2])
CLIENTS, EACH = 50, 20
codes, ids, lock = Counter(), [], threading.Lock()
start = threading.Barrier(CLIENTS)

def client(c):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    start.wait()
    for i in range(EACH):
        body = {"rating": 1 + (c + i) % 5, "feedback_text": f"load-{c}-{i}"}
        if i % 2:
            body["query_id"] = qid
        else:
            body.update(question=f"Question {c}-{i} ?", answer="Réponse.", sources=["notes/iso.txt"])
        try:
            conn.request("POST", "/api/feedback", json.dumps(body), {"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            with lock:
                codes[r.status] += 1
                if r.status == 201:
                    ids.append((json.loads(data)["id"], body["feedback_text"]))
        except Exception as e:
            with lock:
                codes[type(e).__name__] += 1
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"codes": {str(k): v for k, v in codes.items()},
                  "ids": len(set(i for i, _ in ids)), "texts": len(set(t for _, t in ids))}))
PY
)
equals "every post was answered 201" "$(jq_py "$result" 'j["codes"]')" "{'201': 1000}"
equals "with 1,000 distinct ids" "$(jq_py "$result" 'j["ids"]')" "1000"
equals "1,000 rows in the store" "$(sql "$d" "SELECT count(*) FROM feedback WHERE feedback_text LIKE 'load-%'")" "1000"
equals "each post exactly once" "$(sql "$d" "SELECT count(DISTINCT feedback_text) FROM feedback WHERE feedback_text LIKE 'load-%'")" "1000"
equals "half linked to the logged question" "$(sql "$d" "SELECT count(*) FROM feedback WHERE query_id = $qid")" "500"
equals "and 1,000 JSON files" "$(grep -l '"load-' "$d"/feedback/*.json | wc -l)" "1000"
serve_stop
finish

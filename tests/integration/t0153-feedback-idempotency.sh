#!/usr/bin/env bash
# POST /api/feedback with an Idempotency-Key, over real HTTP: the same key
# and body again get the same 201 (the same record, byte for byte) and no
# second row, also after a restart; the same key with another body is a
# 422 that saves nothing; 20 clients sending one keyed record at the same
# moment make one row; a refused record does not use its key up; keys that
# are not 1-255 visible ASCII characters are a 400.
. "$(dirname "$0")/lib.sh"
d=$(new_data keys)
serve_start "$d" -c serve.rate_limit=0 || { not_ok "the server starts"; finish; exit 1; }

# post KEY BODY: sets status, body, headers
post() {
	local key=$1 data=$2
	status=$(curl -s -o "$scratch/b" -D "$scratch/h" -w '%{http_code}' -H 'Content-Type: application/json' \
		${key:+-H "Idempotency-Key: $key"} --data-binary "$data" "$SERVE_URL/api/feedback")
	body=$(cat "$scratch/b")
	headers=$(tr -d '\r' <"$scratch/h")
}
rows() { sql "$d" 'SELECT count(*) FROM feedback'; }
one='{"question": "Quelle ouverture pour un portrait ?", "answer": "f/2.8.", "rating": 5}'
two='{"question": "Quelle ouverture pour un portrait ?", "answer": "f/2.8.", "rating": 1}'

post 7d1f0c2e-0001 "$one"
equals "a keyed record is saved (201)" "$status" "201"
first=$body
post 7d1f0c2e-0001 "$one"
equals "the same key and body again: 201" "$status" "201"
equals "the same reply, byte for byte" "$body" "$first"
contains "marked as replayed" "$headers" "Idempotent-Replayed: true"
equals "one row" "$(rows)" "1"
post 7d1f0c2e-0001 "$two"
equals "the same key with another body: 422" "$status" "422"
contains "naming the header" "$body" "Idempotency-Key"
equals "nothing saved" "$(rows)" "1"

post "" "$one"
post "" "$one"
equals "without a key, each post is a record" "$(rows)" "3"

post 7d1f0c2e-0002 '{"question": "Q ?", "answer": "A", "rating": 7}'
equals "a refused record (400)" "$status" "400"
post 7d1f0c2e-0002 "$two"
equals "does not use its key up" "$status" "201"
post 'two words' "$one"
equals "a key with a space is 400" "$status" "400"
post "$(printf 'k%.0s' $(seq 256))" "$one"
equals "a key of 256 characters is 400" "$status" "400"
equals "neither saved anything" "$(rows)" "4"

raced=$(python3 - "$SERVE_URL" <<'PY'
import http.client, json, sys, threading, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
N = 20
go = threading.Barrier(N)
replies, lock = [], threading.Lock()
body = json.dumps({"question": "Vitesse pour figer un sportif ?", "answer": "1/1000 s.", "rating": 4})
def client():
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    go.wait()
    c.request("POST", "/api/feedback", body, {"Content-Type": "application/json",
                                              "Idempotency-Key": "raced-7d1f0c2e"})
    r = c.getresponse()
    with lock:
        replies.append((r.status, r.read()))
threads = [threading.Thread(target=client) for _ in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted({s for s, _ in replies}), len({b for _, b in replies}))
PY
)
equals "20 clients with one key at once: all 201, one reply" "$raced" "[201] 1"
equals "one row for them" "$(sql "$d" "SELECT count(*) FROM feedback WHERE question LIKE 'Vitesse%'")" "1"

serve_stop
serve_start "$d" -c serve.rate_limit=0 || { not_ok "the server starts again"; finish; exit 1; }
post 7d1f0c2e-0001 "$one"
equals "after a restart, the key still gets the same reply" "$status $body" "201 $first"
equals "and still no second row" "$(rows)" "5"
serve_stop
equals "the server stops cleanly" "$?" "0"
finish

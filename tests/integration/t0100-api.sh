#!/usr/bin/env bash
# serial
# ragops serve: every API route over real HTTP on loopback -- success, bad
# JSON, missing fields, wrong types, oversize bodies, tokens, rate limits,
# static files, and a clean stop.
. "$(dirname "$0")/lib.sh"
d=$(new_data api)
inbox="$scratch/inbox"
sample_inbox "$inbox" notes md pdf/vitesse-obturation.pdf
rg "$d" run --inbox "$inbox" >/dev/null 2>&1

# http METHOD PATH [curl args...]: sets status, body, headers
http() {
	local method=$1 path=$2; shift 2
	local out="$scratch/http-body" hdr="$scratch/http-headers"
	status=$(curl -s --path-as-is -X "$method" -o "$out" -D "$hdr" -w '%{http_code}' "$@" "$SERVE_URL$path")
	body=$(cat "$out")
	headers=$(tr -d '\r' <"$hdr")
}
post() { local path=$1 data=$2; shift 2; http POST "$path" -H 'Content-Type: application/json' --data-binary "$data" "$@"; }
field() { jq_py "$body" "$1"; }

export API_TOKEN="s3cret-token-for-tests"
serve_start "$d" -c serve.token_env=API_TOKEN -c serve.rate_limit=0 || { not_ok "the server starts"; finish; exit 1; }
contains "listens on loopback by default" "$(cat "$SERVE_LOG")" "listening on http://127.0.0.1:"

# --- liveness, readiness, health ---
http GET /healthz
equals "GET /healthz is 200" "$status" "200"
equals "and says alive" "$(field 'j["status"]')" "alive"
http GET /readyz
equals "GET /readyz with an index is 200" "$status" "200"
equals "and counts the chunks" "$(field 'j["chunks"] > 0')" "True"
http GET /health
equals "GET /health is 200 when not down" "$status" "200"
equals "with the health checks" "$(field '"store" in [c["name"] for c in j["checks"]]')" "True"

# --- ask ---
post /api/ask '{"question": "Comment éviter le flou de bougé ?"}'
equals "POST /api/ask is 200" "$status" "200"
contains "the answer cites its source" "$(field 'j["sources"][0]["document"]')" "vitesse-obturation.pdf"
equals "with timings and a query id" "$(field 'j["timings_ms"]["total"] > 0 and j["query_id"] > 0')" "True"
qid=$(field 'j["query_id"]')
equals "the question is in the query log" "$(sql "$d" "SELECT question FROM queries WHERE id = $qid")" \
	"Comment éviter le flou de bougé ?"
contains "JSON content type" "$headers" "Content-Type: application/json"
post /api/ask '{"question": "Qu'\''est-ce que la profondeur de champ ?", "retriever": "bm25", "k": 1}'
equals "retriever and k are honoured" "$(field '(j["retriever"], len(j["sources"]))')" "('bm25', 1)"
post /api/ask '{"question": "量子力学とは何ですか"}'
equals "a question in another script is answered (200)" "$status" "200"
equals "by abstaining" "$(field 'j["abstained"]')" "True"

post /api/ask '{"question": "ISO"'
equals "bad JSON is 400" "$status" "400"
contains "saying where" "$(field 'j["error"]')" "invalid JSON at line 1"
post /api/ask '["question"]'
equals "an array body is 400" "$status" "400"
http POST /api/ask
equals "an empty body is 400" "$status" "400"
post /api/ask '{"retriever": "bm25"}'
equals "a missing question is 400 naming it" "$status $(field 'j["field"]')" "400 question"
post /api/ask '{"question": 42}'
equals "a question of the wrong type is 400 naming it" "$status $(field 'j["field"]')" "400 question"
post /api/ask '{"question": "ISO", "k": "3"}'
equals "k of the wrong type is 400 naming it" "$status $(field 'j["field"]')" "400 k"
post /api/ask '{"question": "ISO", "k": 0}'
equals "k out of range is 400" "$status $(field 'j["field"]')" "400 k"
post /api/ask '{"question": "ISO", "retriever": "magic"}'
equals "an unknown retriever is 400 naming it" "$status $(field 'j["field"]')" "400 retriever"
post /api/ask '{"question": "ISO", "colour": "blue"}'
equals "an unknown field is 400 naming it" "$status $(field 'j["field"]')" "400 colour"
post /api/ask '{"question": "   "}'
equals "an empty question is 400" "$status" "400"
contains "saying so" "$(field 'j["error"]')" "the question is empty"
post /api/ask "{\"question\": \"$(printf 'mot %.0s' $(seq 600))\"}"
equals "a question over the limit is 400" "$status" "400"
printf '{"question": "caf\xe9"}' >"$scratch/latin1.json"
http POST /api/ask -H 'Content-Type: application/json' --data-binary @"$scratch/latin1.json"
equals "invalid UTF-8 is 400" "$status" "400"
head -c 70000 /dev/zero | tr '\0' a >"$scratch/big.json"
http POST /api/ask -H 'Content-Type: application/json' --data-binary @"$scratch/big.json"
equals "a body over serve.max_body is 413" "$status" "413"
contains "naming the setting" "$(field 'j["error"]')" "serve.max_body"
early=$(python3 - "$SERVE_URL" <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port), timeout=5)
# 10 GB announced, 100-continue asked: the 413 must come before any body is sent.
s.sendall(b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          b"Content-Length: 10000000000\r\nExpect: 100-continue\r\n\r\n")
print(s.recv(200).split(b" ")[1].decode())
PY
)
equals "an announced oversize body is refused before it is sent" "$early" "413"
chunked=$(python3 - "$SERVE_URL" <<'PY'
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port), timeout=30)
s.sendall(b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n")
chunk = b"a" * 16384
t0 = time.time()
try:
    for _ in range(64):   # 1 MB, never ended: read and dropped until the request deadline
        s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    reply = s.recv(200)
    print(reply.split(b" ")[1].decode() if reply else "closed", round(time.time() - t0))
except socket.timeout:
    print("still reading", round(time.time() - t0))
except OSError:
    print("closed", round(time.time() - t0))
PY
)
check "a chunked body past the limit, never ended, is closed at the request deadline (serve.request_timeout, 10 s): $chunked" \
	python3 -c "import sys; w, t = sys.argv[1].rsplit(' ', 1); sys.exit(not (w in ('413', 'closed') and int(t) <= 13))" "$chunked"
http POST /api/ask --data-binary '{"question": "ISO"}'
equals "a body that does not say it is JSON is 415 (an HTML form cannot post here)" "$status" "415"
post /api/ask '{"question": "ISO"}' -H 'Host: rebound.example:8750'
equals "another host name is refused (DNS rebinding)" "$status" "403"
post /api/ask '{"question": "ISO"}' -H 'Host: localhost'
equals "localhost is fine" "$status" "200"
http GET /api/ask
equals "GET on a POST route is 405" "$status" "405"
contains "with an Allow header" "$headers" "Allow: POST"
http GET /api/nowhere
equals "an unknown API route is 404" "$status" "404"
equals "in JSON" "$(field '"error" in j')" "True"

# --- feedback ---
post /api/feedback "{\"query_id\": $qid, \"rating\": 2, \"feedback_text\": \"Trop court\", \"corrected_answer\": \"Utiliser un trépied.\"}"
equals "POST /api/feedback is 201" "$status" "201"
fid=$(field 'j["id"]')
equals "the row is committed when the 201 arrives" \
	"$(sql "$d" "SELECT rating || '|' || query_id || '|' || corrected_answer FROM feedback WHERE id = $fid")" \
	"2|$qid|Utiliser un trépied."
equals "the question comes from the query log" "$(field 'j["question"]')" "Comment éviter le flou de bougé ?"
check "and a JSON file is written under feedback/" test -n "$(grep -l 'Trop court' "$d"/feedback/*.json)"
post /api/feedback '{"question": "Q ?", "answer": "A.", "sources": ["notes/a.txt"], "rating": 5}'
equals "feedback without a query id is 201" "$status" "201"
post /api/feedback '{"question": "Q ?", "answer": "A.", "rating": 6}'
equals "rating 6 is 400 naming it" "$status $(field 'j["field"]')" "400 rating"
post /api/feedback '{"question": "Q ?", "answer": "A.", "rating": "5"}'
equals "a rating of the wrong type is 400" "$status $(field 'j["field"]')" "400 rating"
post /api/feedback '{"question": "Q ?", "answer": "A.", "sources": [1, 2], "rating": 3}'
equals "sources that are not names are 400" "$status $(field 'j["field"]')" "400 sources"
post /api/feedback '{"question": "Q ?", "answer": "A.", "rating": 3, "mood": "good"}'
equals "an unknown field is 400 naming it" "$status $(field 'j["field"]')" "400 mood"
post /api/feedback '{"rating": 3}'
equals "feedback with no question is 400" "$status" "400"
post /api/feedback '{"query_id": 999999, "rating": 3}'
equals "an unknown query id is 400" "$status $(field 'j["field"]')" "400 query_id"
post /api/feedback '{"rating": 3,'
equals "bad JSON is 400" "$status" "400"
equals "nothing invalid was saved" "$(sql "$d" 'SELECT count(*) FROM feedback')" "2"

http GET /api/feedback
equals "GET /api/feedback lists both, newest first" "$(field '[f["rating"] for f in j["items"]]')" "[5, 2]"
http GET "/api/feedback?max_rating=2"
equals "filtered by rating" "$(field '[f["feedback_text"] for f in j["items"]]')" "['Trop court']"
http GET "/api/feedback?since=1h&limit=1"
equals "since and limit" "$(field 'len(j["items"])')" "1"
http GET "/api/feedback?since=soon"
equals "a bad duration is 400 naming it" "$status $(field 'j["field"]')" "400 since"
http GET "/api/feedback?limit=0"
equals "a bad limit is 400" "$status $(field 'j["field"]')" "400 limit"

http GET /api/feedback/export
equals "export without a token is 401" "$status" "401"
contains "asking for a bearer token" "$headers" "WWW-Authenticate: Bearer"
http GET /api/feedback/export -H "Authorization: Bearer wrong"
equals "export with a wrong token is 401" "$status" "401"
http GET /api/feedback/export -H "Authorization: Bearer $API_TOKEN"
equals "export with the token is 200" "$status" "200"
equals "one JSON line per record" "$(printf '%s\n' "$body" | python3 -c 'import json,sys; print(len([json.loads(l) for l in sys.stdin if l.strip()]))')" "2"
contains "as a download" "$headers" "Content-Disposition: attachment"
http GET "/api/feedback/export?format=json" -H "Authorization: Bearer $API_TOKEN"
equals "or as one JSON array" "$(field 'len(j)')" "2"
http GET "/api/feedback/export?format=xml" -H "Authorization: Bearer $API_TOKEN"
equals "an unknown format is 400" "$status $(field 'j["field"]')" "400 format"

# --- runs, documents, summary ---
http GET /api/runs
equals "GET /api/runs lists the run" "$(field '[r["state"] for r in j["items"]]')" "['completed']"
run_id=$(field 'j["items"][0]["id"]')
http GET "/api/runs/$run_id"
ndocs=$(sql "$d" "SELECT count(*) FROM documents WHERE status <> 'deleted'")
equals "GET /api/runs/ID has its tasks and documents" \
	"$(field 'len(j["tasks"]) > 0 and "parameters" in j and len(j["per_document"])')" "$ndocs"
ntasks=$(field 'len(j["tasks"])')
equals "tasks_total counts them" "$(field 'j["tasks_total"]')" "$ntasks"
http GET "/api/runs/$run_id?state=failed"
equals "tasks filtered by state" "$(field '(len(j["tasks"]), j["tasks_total"])')" "(0, 0)"
http GET "/api/runs/$run_id?limit=2&offset=1"
equals "tasks paged by limit and offset" "$(field '(len(j["tasks"]), j["tasks_total"])')" "(2, $ntasks)"
http GET "/api/runs/$run_id?state=zzz"
equals "an unknown task state is 400" "$status $(field 'j["field"]')" "400 state"
http GET "/api/runs/$run_id?limit=0"
equals "a bad task limit is 400" "$status $(field 'j["field"]')" "400 limit"
http GET /api/runs/999
equals "an unknown run is 404" "$status" "404"
http GET /api/runs/abc
equals "a run id that is not a number is 404" "$status" "404"
http GET "/api/runs?limit=x"
equals "a bad limit is 400" "$status" "400"
http GET /api/documents
equals "GET /api/documents counts them" "$(field 'j["total"]')" "$ndocs"
http GET "/api/documents?limit=2&offset=$((ndocs - 1))"
equals "and pages through them" "$(field 'len(j["items"])')" "1"
http GET "/api/metrics/summary?window=1d"
equals "the summary counts the questions" "$(field 'j["rag"]["queries"]')" "$(sql "$d" 'SELECT count(*) FROM queries')"
equals "and the ratings" "$(field 'j["ratings"]["distribution"]')" "{'1': 0, '2': 1, '3': 0, '4': 0, '5': 1}"
http GET "/api/metrics/summary?window=yesterday"
equals "a bad window is 400" "$status $(field 'j["field"]')" "400 window"

# --- Prometheus ---
http GET /metrics
equals "GET /metrics is 200" "$status" "200"
contains "in the text exposition format" "$headers" "Content-Type: text/plain; version=0.0.4"
bad_lines=$(printf '%s\n' "$body" | grep -v '^#' | grep -Ev '^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$' || true)
equals "every sample line is well formed" "$bad_lines" ""
contains "questions by retriever and outcome" "$body" 'ragops_queries_total{retriever="hybrid",outcome="answered"}'
contains "the feedback count" "$body" "ragops_feedback_total 2"
contains "the rating histogram" "$body" 'ragops_feedback_rating_bucket{le="2"} 1'
contains "OCR-free corpus: no OCR pages" "$body" "ragops_ocr_page_confidence_count 0"
contains "query latency histogram" "$body" "ragops_query_duration_seconds_count"
contains "HTTP requests by route and status" "$body" 'ragops_http_requests_total{route="/api/ask",status="400"}'
contains "runs by state" "$body" 'ragops_runs_total{state="completed"} 1'

# --- the dashboard's files ---
http GET /
equals "GET / is the dashboard" "$status" "200"
contains "as HTML" "$headers" "Content-Type: text/html"
contains "with a content security policy" "$headers" "Content-Security-Policy: default-src 'self'"
etag=$(printf '%s\n' "$headers" | sed -n 's/^ETag: //p')
http GET / -H "If-None-Match: $etag"
equals "a cached page is 304" "$status" "304"
http GET /../../../etc/passwd
equals "no path reaches the filesystem" "$status" "404"
http GET /%2e%2e/%2e%2e/etc/passwd
equals "nor an encoded one" "$status" "404"
http POST / --data-binary x
equals "POST on a page is 405" "$status" "405"
lacks "no CORS header by default" "$headers" "Access-Control-Allow-Origin"

# --- a run while the server is up: the vectors it holds must follow ---
post /api/ask '{"question": "Comment archiver ses photos ?", "retriever": "dense"}'
equals "a dense question before the run" "$status" "200"
printf '\nUne ligne ajoutée pour changer le document.\n' >>"$inbox/md/archivage-des-photos.md"
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "the run kept the embedder (its chunks changed, the model did not)" \
	"$(sql "$d" "SELECT count(*) FROM models WHERE kind = 'embedder'")" "1"
post /api/ask '{"question": "Comment archiver ses photos ?", "retriever": "dense"}'
equals "the same question after it (the server reloads the vectors)" "$status" "200"
contains "answered from the changed documents" "$(field 'j["sources"][0]["document"]')" "md/"
http GET /healthz
equals "and the server is still up" "$status" "200"

# --- starting a run ---
http POST /api/runs
equals "starting a run without a token is 401" "$status" "401"
http POST /api/runs -H "Authorization: Bearer $API_TOKEN" -H 'Content-Type: application/json' --data-binary '{"inbox": "/etc"}'
equals "a run takes no fields" "$status" "400"
# A run from elsewhere (the command line) holds the folder's run.lock: held
# here, so that it lasts (a run over unchanged documents takes a tenth of a second).
exec 9>"$d/run.lock"
flock -w 10 -x 9
http POST /api/runs -H "Authorization: Bearer $API_TOKEN"
equals "a run while another one holds the folder is 409" "$status" "409"
contains "saying so" "$body" "already going"
flock -u 9
exec 9>&-
http POST /api/runs -H "Authorization: Bearer $API_TOKEN"
equals "starting a run with the token is 202" "$status" "202"
for _ in $(seq 100); do
	http GET /api/runs
	[[ $(field '[r["state"] for r in j["items"] if r["trigger"] == "api"]') == "['completed']" ]] && break
	sleep 0.2
done
equals "the run completes, recorded as started by the API" \
	"$(field '[(r["trigger"], r["state"], r["documents"]["unchanged"]) for r in j["items"]][0]')" \
	"('api', 'completed', $ndocs)"

serve_stop
equals "SIGTERM stops the server cleanly" "$?" "0"
contains "requests are logged" "$(cat "$d/logs/serve.log")" '"msg":"/api/ask 200'

# --- a second server: no token, a tight rate limit, CORS, short timeouts ---
serve_start "$d" -c serve.token_env=NO_SUCH_VARIABLE -c serve.rate_limit=60 -c serve.rate_burst=3 \
	-c serve.cors_origin=https://intranet.example -c serve.timeout=1
contains "says admin routes are off" "$(cat "$SERVE_LOG")" "admin routes are off"
http GET /api/feedback/export -H "Authorization: Bearer anything"
equals "export without a configured token is 403" "$status" "403"
codes=""
for i in 1 2 3 4; do
	post /api/ask '{"question": "ISO"}'
	codes="$codes $status"
done
equals "the burst passes, then 429" "$codes" " 200 200 200 429"
contains "with Retry-After" "$headers" "Retry-After: 1"
post /api/feedback '{"question": "Q", "answer": "A", "rating": 4}'
equals "feedback shares the limit" "$status" "429"
http GET /api/runs
equals "reads are not limited" "$status" "200"
contains "the configured CORS origin" "$headers" "Access-Control-Allow-Origin: https://intranet.example"
http OPTIONS /api/ask -H 'Origin: https://intranet.example' -H 'Access-Control-Request-Method: POST'
equals "a CORS preflight is answered" "$status" "204"
contains "with the methods and headers allowed" "$headers" "Access-Control-Allow-Headers: Content-Type, Authorization"
closed=$(python3 - "$SERVE_URL" <<'PY'
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port))
s.sendall(b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
s.settimeout(5)
t = time.time()
try:
    data = s.recv(1000)
except socket.timeout:
    data = b"timeout"
print("closed" if data != b"timeout" and time.time() - t < 4 else "open")
PY
)
equals "a stalled client is cut off after serve.timeout" "$closed" "closed"
serve_stop

# --- an empty store, a bad address, a busy port ---
e=$(new_data empty)
serve_start "$e"
http GET /readyz
equals "an empty index is not ready (503)" "$status" "503"
post /api/ask '{"question": "ISO"}'
equals "asking it is 503" "$status" "503"
http GET /health
equals "its health is down (503)" "$status" "503"
busy_port=${SERVE_URL##*:}
out=$(rg "$e" serve -c serve.port="$busy_port" 2>&1); rc=$?
equals "a busy port exits 4" "$rc" "4"
contains "saying why" "$out" "cannot listen"
serve_stop
out=$(rg "$e" serve -c serve.host=no-such-host.invalid 2>&1); rc=$?
equals "a bad address exits 3" "$rc" "3"
contains "naming serve.host" "$out" "serve.host"
finish

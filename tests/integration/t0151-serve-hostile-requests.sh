#!/usr/bin/env bash
# serial
# ragops serve against hostile requests, over real HTTP on loopback (issue
# 13: defect 9's server parts and must-hold 5's limits):
#  - HTTP/1.0 without a Host header is refused by the loopback host check
#    (it skipped the check);
#  - GET /%c0%ae%c0%ae/etc/passwd, a path that is not UTF-8 once decoded,
#    is a 404 in JSON (it was a 500), as is a Host cut mid-character;
#  - /health made while an endpoint takes 2 s to answer does not hold the
#    other /health requests: they get the last report at once (they waited
#    for the lock the probe was made under);
#  - 10 MB bodies, announced or chunked, and JSON nested 100,000 deep are
#    refused early, and the server's memory stays flat.
. "$(dirname "$0")/lib.sh"
d=$(new_data hostile)
sample_inbox "$scratch/inbox" notes
rg "$d" run --inbox "$scratch/inbox" >/dev/null 2>&1

# A chat endpoint that takes 2 s to answer anything, counting the requests.
stub_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$stub_port" "$scratch/stub-count" <<'PY' &
import http.server, sys, time, threading
count, lock = [0], threading.Lock()
class Slow(http.server.BaseHTTPRequestHandler):
    def answer(self):
        with lock:
            count[0] += 1
            open(sys.argv[2], "w").write(str(count[0]))
        time.sleep(2)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_HEAD = do_GET = do_POST = answer
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slow).serve_forever()
PY
stub_pid=$!
trap 'kill $stub_pid 2>/dev/null; rm -rf "$scratch"' EXIT

# Under AddressSanitizer, freed memory waits in a quarantine (256 MB): kept
# small here, the server's RSS says what it holds.
# The floods below post 60+ bodies to /api/feedback in seconds: the rate
# limit (burst 20) is not what they test, so it is out of their way.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4" \
serve_start "$d" -c serve.max_body=1M -c serve.rate_burst=1000 -c answer.answerer=openai -c answer.model=stub \
	-c answer.url="http://127.0.0.1:$stub_port/v1" || { not_ok "the server starts"; finish; exit 1; }
port=${SERVE_URL##*:}

# raw REQUEST: the status of the reply to bytes sent as they are
raw() {
	python3 - "$port" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
reply = b""
while True:
    data = s.recv(65536)
    if not data:
        break
    reply += data
head, _, body = reply.partition(b"\r\n\r\n")
print(head.split(b" ")[1].decode(), body.decode("utf-8", "replace"))
PY
}

# --- the host check, HTTP/1.0 ---
r=$(raw 'GET /api/runs HTTP/1.0\r\n\r\n')
equals "HTTP/1.0 without a Host header is refused on loopback (403)" "${r%% *}" "403"
contains "saying it names no host" "$r" "no Host header"
r=$(raw 'GET /healthz HTTP/1.0\r\n\r\n')
equals "liveness too" "${r%% *}" "403"
r=$(raw 'GET /api/runs HTTP/1.0\r\nHost: localhost\r\n\r\n')
equals "HTTP/1.0 naming localhost is served" "${r%% *}" "200"

# --- paths and headers that are not UTF-8 ---
status=$(curl -s --path-as-is -o "$scratch/body" -w '%{http_code}' "$SERVE_URL/%c0%ae%c0%ae/etc/passwd")
equals "GET /%c0%ae%c0%ae/etc/passwd is 404" "$status" "404"
equals "in JSON, naming the path" "$(python3 -c 'import json,sys; print("/etc/passwd" in json.load(open(sys.argv[1]))["error"])' "$scratch/body")" "True"
status=$(curl -s --path-as-is -o "$scratch/body" -w '%{http_code}' "$SERVE_URL/api/%ff%fe")
equals "GET /api/%ff%fe is 404" "$status" "404"
r=$(raw 'GET /api/runs HTTP/1.1\r\nHost: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9.example\r\nConnection: close\r\n\r\n')
equals "a Host the error quotes cut mid-character is 403, not 500" "${r%% *}" "403"

# --- /health with an endpoint that takes 2 s ---
t=$(python3 - "$SERVE_URL" <<'PY'
import http.client, sys, threading, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
def get(out):
    t0 = time.monotonic()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("GET", "/health")
    r = c.getresponse()
    r.read()
    out.append((time.monotonic() - t0, r.status, int(r.getheader("Age") or -1)))
first = []
get(first)                      # the first report: made now, with the 2 s probe
time.sleep(5.4)                 # it is stale after 5 s
refresh, others = [], []
a = threading.Thread(target=get, args=(refresh,))
a.start()
time.sleep(0.4)                 # the refresh is probing the endpoint now
bs = [threading.Thread(target=get, args=(others,)) for _ in range(3)]
for b in bs:
    b.start()
for th in [a] + bs:
    th.join()
print("%.2f %.2f %.2f %d %d" % (first[0][0], refresh[0][0], max(o[0] for o in others),
                                min(o[2] for o in others), len({o[1] for o in others + refresh})))
PY
)
read -r first refresh others age statuses <<<"$t"
echo "# /health: first ${first} s, refresh ${refresh} s, others at most ${others} s (age ${age} s)"
equals "the first report waits for the slow endpoint (2 s)" "$(python3 -c "print($first >= 1.9)")" "True"
equals "the refresh too" "$(python3 -c "print($refresh >= 1.5)")" "True"
equals "meanwhile /health answers at once with the last report (under 1 s)" \
	"$(python3 -c "print($others < 1.0)")" "True"
equals "saying its age (Age >= 5)" "$(python3 -c "print($age >= 5)")" "True"
equals "the endpoint was probed once per report" "$(cat "$scratch/stub-count")" "2"

# --- bodies of 10 MB and JSON 100,000 deep, memory flat ---
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVE_PID/status"; }
flood() {
	python3 - "$port" "$1" <<'PY'
import socket, sys
port, kind = int(sys.argv[1]), sys.argv[2]
TEN_MB = 10 * 1024 * 1024
codes = {}
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = "POST /api/feedback HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    reply = b""
    try:
        if kind == "announced":
            # 10 MB announced, not one byte of it sent: the 413 must come first.
            s.sendall((head + "Content-Length: %d\r\n\r\n" % TEN_MB).encode())
            reply = s.recv(200)
        elif kind == "chunked":
            s.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
            chunk = b"a" * 65536
            for _ in range(TEN_MB // len(chunk)):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            s.sendall(b"0\r\n\r\n")
            reply = s.recv(200)
        else:
            body = b"[" * 100000 + b"]" * 100000
            s.sendall((head + "Content-Length: %d\r\n\r\n" % len(body)).encode() + body)
            while not reply.endswith(b"}"):
                data = s.recv(4096)
                if not data:
                    break
                reply += data
    except OSError:
        # Cut off while sending: read what the server said before closing.
        try:
            reply = s.recv(200)
        except OSError:
            reply = b""
    code = reply.split(b" ")[1].decode() if reply.startswith(b"HTTP/") else "closed"
    if kind == "deep" and b"deeper than 32" not in reply:
        code += " (not the depth limit)"
    codes[code] = codes.get(code, 0) + 1
    s.close()
print(" ".join("%s x%d" % kv for kv in sorted(codes.items())))
PY
}
for _ in 1 2 3; do curl -s -o /dev/null -H 'Content-Type: application/json' \
	--data-binary '{"question": "Q ?", "answer": "A", "rating": 4}' "$SERVE_URL/api/feedback"; done
before=$(rss)
equals "10 MB announced: 413 before the body is sent (20 times)" "$(flood announced)" "413 x20"
equals "10 MB chunked: 413 once it is sent, read by the client (20 times; before: the connection reset)" \
	"$(flood chunked)" "413 x20"
r=$(python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"POST /api/feedback HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n" + (b"100000\r\n" + b"a" * 0x100000 + b"\r\n") * 2
          + b"0\r\n\r\n" + b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.count(b"HTTP/1.1 "), b"Connection: close" in data, data.split(b" ")[1].decode())
PY
)
equals "after a 413 the connection closes: a request pipelined behind it is not answered" "$r" "1 True 413"
equals "JSON nested 100,000 deep: 400 from the depth limit (20 times)" "$(flood deep)" "400 x20"
after=$(rss)
echo "# server RSS before ${before} kB, after 40 bodies of 10 MB and 20 of deep JSON ${after} kB"
equals "the server's memory stays flat (under 16 MB more)" "$(( after - before < 16384 ))" "1"
http_code=$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz")
equals "and it still answers" "$http_code" "200"

serve_stop
equals "the server stops cleanly" "$?" "0"
lacks "no sanitizer report" "$(cat "$SERVE_LOG")" "Sanitizer"
kill "$stub_pid" 2>/dev/null
finish

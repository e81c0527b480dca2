#!/usr/bin/env bash
# /healthz is answered ahead of everything: while every thread of the
# server would be busy answering questions through a chat endpoint that
# takes 2 s, liveness probes still come back at once (they waited for a
# thread: libmicrohttpd's threads ran the handlers).  Stopping the server
# with questions in flight answers them all before it exits.
. "$(dirname "$0")/lib.sh"
d=$(new_data busy)
sample_inbox "$scratch/inbox" notes
rg "$d" run --inbox "$scratch/inbox" >/dev/null 2>&1

stub_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$stub_port" "$scratch/stub-count" <<'PY' &
import http.server, sys, threading, time
count, lock = [0], threading.Lock()
class Slow(http.server.BaseHTTPRequestHandler):
    def answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with lock:
            count[0] += 1
            open(sys.argv[2], "w").write(str(count[0]))
        time.sleep(2)
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_HEAD = do_GET = do_POST = answer
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slow).serve_forever()
PY
stub_pid=$!
trap 'kill $stub_pid 2>/dev/null; rm -rf "$scratch"' EXIT

serve_start "$d" -c serve.threads=2 -c serve.rate_limit=0 -c answer.answerer=openai -c answer.model=stub \
	-c answer.retries=0 -c answer.url="http://127.0.0.1:$stub_port/v1" ||
	{ not_ok "the server starts"; finish; exit 1; }

# asks N: N questions at once in the background; their statuses in $scratch/asks
asks() {
	python3 - "$SERVE_URL" "$1" >"$scratch/asks" 2>&1 <<'PY' &
import http.client, json, sys, threading, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
out = []
def ask():
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        c.request("POST", "/api/ask", json.dumps({"question": "Qu'est-ce que l'ISO ?"}),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        out.append(str(r.status))
    except Exception as e:
        out.append(type(e).__name__)
ts = [threading.Thread(target=ask) for _ in range(int(sys.argv[2]))]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(" ".join(sorted(out)))
PY
	asks_pid=$!
}
# waiting N: until the endpoint has been asked N times in all (the handlers wait on it)
waiting() {
	for _ in $(seq 300); do
		[[ $(cat "$scratch/stub-count" 2>/dev/null || echo 0) -ge $1 ]] && return 0
		sleep 0.1
	done
	return 1
}
# probes: 10 /healthz, 0.2 s apart, each on a new connection; prints the slowest (s)
probes() {
	python3 - "$SERVE_URL" <<'PY'
import http.client, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
worst = 0
for _ in range(10):
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        c.request("GET", "/healthz")
        ok = c.getresponse().status == 200
    except Exception:
        ok = False
    worst = max(worst, time.monotonic() - t0 if ok else 99)
    time.sleep(0.2)
print("%.3f" % worst)
PY
}

asks 6
waiting 2 # both threads' questions wait on the endpoint, four more queued
worst=$(probes)
echo "# slowest of 10 /healthz probes while 6 questions wait on a 2 s endpoint (2 threads): $worst s"
equals "/healthz answers within 1 s while every thread's question waits" "$(python3 -c "print($worst < 1.0)")" "True"
wait "$asks_pid"
contains "the questions were answered (the endpoint failed: 502)" "$(cat "$scratch/asks")" "502 502 502 502 502 502"

asks 4
waiting 8 # two wait on the endpoint, two are queued
serve_stop
equals "stopping with questions in flight exits 0" "$?" "0"
wait "$asks_pid"
equals "after answering them all" "$(cat "$scratch/asks")" "502 502 502 502"
lacks "no sanitizer report" "$(cat "$SERVE_LOG")" "Sanitizer"
finish

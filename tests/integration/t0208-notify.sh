#!/usr/bin/env bash
# serial
# Notifications (issue 12), received by a local HTTP listener: a run that
# completes with failures, one cancelled, one found crashed, and health
# turning down in `ragops serve` reach the Slack-style webhook ({"text"}),
# the JSON webhook (with the run's figures) and the command (event in its
# environment); a failing endpoint is retried, a hanging one never holds
# the run up, and the logs name no webhook secret.
. "$(dirname "$0")/lib.sh"
got="$scratch/received.jsonl"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$port" "$got" <<'EOF' &
import json, sys, time, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, out = int(sys.argv[1]), sys.argv[2]
flaky = {"n": 0}
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/hang"):
            time.sleep(60)
            return
        if self.path.startswith("/flaky"):
            with lock:
                flaky["n"] += 1
                first = flaky["n"] == 1
            if first:
                self.send_response(500); self.end_headers(); return
        with lock, open(out, "a") as f:
            f.write(json.dumps({"path": self.path, "body": json.loads(body)}) + "\n")
        self.send_response(204 if self.path.startswith("/hook") else 200)
        self.end_headers()
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
listener=$!
trap 'kill $listener 2>/dev/null; rm -rf "$scratch"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
url="http://127.0.0.1:$port"
cmd_out="$scratch/command.txt"
notify=(-c notify.slack="$url/slack/T000/B000/s3cr3tT0ken" -c notify.webhook="$url/hook/s3cr3tT0ken"
	-c "notify.command=echo \"\$RAGOPS_EVENT \$RAGOPS_RUN_ID\" >>$cmd_out" -c notify.timeout=3)
# received EVENT PATH-PREFIX: the bodies received for that event on that path, as JSON lines
received() { [[ -f $got ]] && grep "\"$2" "$got" | grep -F "$1" || true; }
wait_for() { for _ in $(seq 100); do [[ -n "$(received "$1" "$2")" ]] && return 0; sleep 0.1; done; return 1; }

inbox="$scratch/inbox"
sample_inbox "$inbox" notes
printf '%%PDF-1.4\nnot really a pdf\n' >"$inbox/abime.pdf"
d=$(new_data notify)
rg "$d" "${notify[@]}" run --inbox "$inbox" >/dev/null 2>&1
check "a run with a failed document: the JSON webhook hears of it" wait_for run_completed_with_failures /hook
j=$(received run_completed_with_failures /hook | head -1)
equals "... with the run's figures" \
	"$(jq_py "$j" '(j["body"]["event"], j["body"]["run"]["id"], j["body"]["run"]["documents"]["failed"], j["body"]["run"]["state"])')" \
	"('run_completed_with_failures', 1, 1, 'completed_with_failures')"
check "... and Slack too" wait_for "run 1" /slack
j=$(received "run 1" /slack | head -1)
equals "... a {\"text\"} message naming the run and what failed" \
	"$(jq_py "$j" '(list(j["body"].keys()), "completed_with_failures" in j["body"]["text"], "1 failed" in j["body"]["text"])')" \
	"(['text'], True, True)"
for _ in $(seq 50); do [[ -s $cmd_out ]] && break; sleep 0.1; done
equals "... and the command ran with the event in its environment" "$(cat "$cmd_out")" \
	"run_completed_with_failures 1"
rm "$inbox/abime.pdf"
rg "$d" "${notify[@]}" run --inbox "$inbox" >/dev/null 2>&1
sleep 1
equals "a run that completes is no news" "$(received '"id": 2' /hook)" ""

# Stopped and crashed runs
for i in $(seq 40); do printf 'Lot %d : la lentille numéro %d.\n' "$i" "$i" >"$inbox/lot-$i.txt"; done
RAGOPS_PAUSE_AT=extract "$RAGOPS" --data "$d" "${notify[@]}" run --inbox "$inbox" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [[ $(sql "$d" "SELECT count(*) FROM runs WHERE state = 'running'") == 1 ]] && break; sleep 0.1; done
sleep 0.5
kill -TERM "$pid"
wait "$pid"
check "a cancelled run is news" wait_for run_cancelled /hook
(RAGOPS_CRASH_AT=extracted "$RAGOPS" --data "$d" run --inbox "$inbox" >/dev/null 2>&1) 2>/dev/null
rg "$d" "${notify[@]}" runs >/dev/null
check "a run found crashed is news (here by 'ragops runs')" wait_for run_crashed /hook

# A failing endpoint is retried; a hanging one does not hold the run up.
d2=$(new_data flaky)
rg "$d2" -c notify.webhook="$url/flaky/s3cr3tT0ken" run --inbox "$inbox" >/dev/null 2>&1
rm -f "$inbox/lot-1.txt"
printf '%%PDF-1.4\nbroken\n' >"$inbox/casse.pdf"
rg "$d2" -c notify.webhook="$url/flaky/s3cr3tT0ken" run --inbox "$inbox" >/dev/null 2>&1
check "an endpoint answering 500 once gets the message on the next attempt" \
	wait_for run_completed_with_failures /flaky
for _ in $(seq 50); do grep -q "sent to" "$d2/logs/pipeline.log" && break; sleep 0.1; done
contains "... and the log says where it went, without the secret" "$(grep notify "$d2/logs/pipeline.log")" \
	"sent to http://127.0.0.1:$port/..."
printf 'x' >"$inbox/lot-2.txt"
printf '%%PDF-1.4\nbroken again\n' >"$inbox/casse.pdf"
t0=$(date +%s.%N)
# Its output captured, as a script or cron does: the sender holds none of it.
captured=$(rg "$d2" -c notify.webhook="$url/hang/s3cr3tT0ken" -c notify.timeout=5 -c notify.retries=0 \
	-c "notify.command=echo FROM-THE-COMMAND" run --inbox "$inbox" --json 2>/dev/null)
took=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")
equals "... nor writes into its output" "$(jq_py "$captured" 'j["state"]')" "completed_with_failures"
python3 -c "import sys; sys.exit(0 if $took < 3 else 1)" &&
	ok "a hanging endpoint does not hold the run up ($took s; notify.timeout 5 s)" ||
	not_ok "a hanging endpoint does not hold the run up" "took $took s"
for _ in $(seq 100); do grep -q "failed: " <(grep notify "$d2/logs/pipeline.log") && break; sleep 0.2; done
contains "... its failure is logged once it gives up" "$(grep notify "$d2/logs/pipeline.log")" "to http://127.0.0.1:$port/... failed"
lacks "no log holds the webhook's secret" "$(cat "$d/logs/"* "$d2/logs/"*)" "s3cr3tT0ken"
lacks "nor do the runs' parameters (served by a public route)" "$(rg "$d" runs show 1 --json)" "s3cr3tT0ken"
contains "... which say a target is set" "$(rg "$d" runs show 1 --json)" '"notify.webhook": "(set)"'


# Health turning degraded in serve (short of room on the disk, as far as health.min_free_disk says)
serve_start "$d" "${notify[@]}" -c health.min_free_disk=900000G ||
	{ not_ok "the server starts"; finish; exit 1; }
check "serve tells when health is degraded" wait_for health_degraded /hook
j=$(received health_degraded /hook | head -1)
equals "... naming the failing check" \
	"$(jq_py "$j" '("disk: free space" in j["body"]["text"], j["body"]["health"]["status"])')" "(True, 'degraded')"
serve_stop
finish

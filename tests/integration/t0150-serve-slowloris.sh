#!/usr/bin/env bash
# ragops serve under slow clients (slowloris, issue 13 defect 7), over
# loopback with tests/integration/slowloris.py: sockets that send the start
# of a request and then one byte every 2 s, opened again as soon as the
# server closes them, while /healthz is probed every 0.2 s on a fresh
# connection and honest clients list documents and post feedback.
#   1. 40 slow sockets (within every budget): each is closed at
#      serve.request_timeout although it keeps sending.
#   2. 300 from 127.0.0.1, the honest clients' own address (its budget of
#      serve.max_client_connections once locked them out).
#   3. 300 spread over 127.0.0.2-.6 (over serve.max_connections: the
#      probe once timed out every time).
# In 2 and 3: no probe and no honest request fails, and the probe's p99
# stays under 1 s.  Each attack lasts RAGOPS_SLOWLORIS_SECONDS (10 by
# default; 60 for the figures of docs/reliability.md).
. "$(dirname "$0")/lib.sh"
seconds=${RAGOPS_SLOWLORIS_SECONDS:-10}
d=$(new_data slow)
sample_inbox "$scratch/inbox" notes
rg "$d" run --inbox "$scratch/inbox" >/dev/null 2>&1
serve_start "$d" -c serve.request_timeout=3 || { not_ok "the server starts"; finish; exit 1; }
slow() { timeout $((seconds * 3 + 60)) python3 "$TOP/tests/integration/slowloris.py" "$SERVE_URL" "$@"; }
# report NAME JSON: the figures, on one line, for the log and the report
report() {
	jq_py "$2" '"# %s: probe p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d probes, failures %s); honest p99 %.1f ms (%d, failures %s); attack sockets opened %d, closed by the server %d" % ("'"$1"'", j["probe"]["p50"]*1000, j["probe"]["p99"]*1000, j["probe"]["max"]*1000, j["probe"]["n"], j["probe_failures"], j["honest"]["p99"]*1000, j["honest"]["n"], j["honest_failures"], j["attack"]["sockets_opened"], j["attack"]["closed_by_server"])'
}
# holds NAME JSON: the must-hold of an attack
holds() {
	local name=$1 j=$2
	equals "$name: every /healthz probe answered 200" "$(jq_py "$j" 'j["probe_failures"]')" "{}"
	equals "$name: probes were made all along" "$(jq_py "$j" 'j["probe"]["n"] >= 4 * '"$seconds"'')" "True"
	equals "$name: /healthz p99 under 1 s" "$(jq_py "$j" 'j["probe"]["p99"] < 1.0')" "True"
	equals "$name: every honest request served" "$(jq_py "$j" 'j["honest_failures"]')" "{}"
	equals "$name: the attack was on (300 sockets at least)" "$(jq_py "$j" 'j["attack"]["sockets_opened"] >= 300')" "True"
}

# --- 1. deadlines: a trickling connection is closed at serve.request_timeout ---
j=$(slow --seconds 8 --attackers 40 --attack-from 127.0.0.1 --warmup 0)
report "40 slow sockets" "$j"
equals "trickling connections are closed by the server" \
	"$(jq_py "$j" 'j["attack"]["closed_by_server"] >= 40')" "True"
equals "at serve.request_timeout (3 s), not before, not much after" \
	"$(jq_py "$j" '2.9 <= j["attack"]["lifetime_max"] <= 4.0')" "True"
equals "none outlives it" "$(jq_py "$j" 'j["attack"]["open_at_end_oldest"] is None or j["attack"]["open_at_end_oldest"] <= 4.0')" "True"

# --- 2. 300 from the honest clients' own address ---
j=$(slow --seconds "$seconds" --attack-from 127.0.0.1 --honest-from 127.0.0.1)
report "300 slow sockets from 127.0.0.1" "$j"
holds "300 from 127.0.0.1" "$j"

# --- 3. 300 over five other addresses: past the server's budget ---
j=$(slow --seconds "$seconds" --attack-from 127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6 --honest-from 127.0.0.1)
report "300 slow sockets from 127.0.0.2-.6" "$j"
holds "300 from 127.0.0.2-.6" "$j"

m=$(curl -s "$SERVE_URL/metrics")
contains "/metrics counts connections closed at the deadline" "$m" 'ragops_http_connections_closed_total{reason="deadline"}'
equals "and those pushed out to make room" \
	"$(grep -E '^ragops_http_connections_closed_total\{reason="(budget|client_budget)"\}' <<<"$m" | awk '{s += $2} END {print (s > 0)}')" "1"
serve_stop
equals "the server stops cleanly after the attacks" "$?" "0"
lacks "no sanitizer report" "$(cat "$SERVE_LOG")" "Sanitizer"
finish

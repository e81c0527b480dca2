# Shared by the integration tests: a TAP-like "ok N - what" per check, a
# scratch folder removed at exit, and a store integrity check on every
# data folder a test used.  Source it; call `finish` last.
set -u
: "${RAGOPS:?RAGOPS must point at the ragops binary}"
: "${TOP:?TOP must point at the source tree}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
n=0 bad=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"
	[[ -n "${2:-}" ]] && printf '%s\n' "$2" | sed 's/^/#   /'
	return 0
}
# check "what" command...: passes when the command exits 0
check() {
	local what=$1; shift
	local out
	if out=$("$@" 2>&1); then ok "$what"; else not_ok "$what" "$out"; fi
}
# expect_exit CODE "what" command...
expect_exit() {
	local want=$1 what=$2; shift 2
	local out rc
	out=$("$@" 2>&1); rc=$?
	if [[ $rc -eq $want ]]; then ok "$what"; else not_ok "$what (exit $rc, wanted $want)" "$out"; fi
}
# contains "what" "haystack" "needle"
contains() {
	if [[ "$2" == *"$3"* ]]; then ok "$1"; else not_ok "$1: no '$3' in output" "$2"; fi
}
lacks() {
	if [[ "$2" != *"$3"* ]]; then ok "$1"; else not_ok "$1: unexpected '$3' in output" "$2"; fi
}
equals() {
	if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1: got '$2', wanted '$3'"; fi
}
# new_data NAME: a fresh data folder under the scratch folder; finish checks
# every store found there (called as d=$(new_data x), it runs in a subshell,
# so it cannot keep a list).
new_data() {
	echo "$scratch/$1"
}
# sample_inbox DIR ITEM...: a folder holding copies of samples/corpus/ITEM
# (a file or a folder), for a test's run
sample_inbox() {
	local dir=$1 item; shift
	mkdir -p "$dir"
	for item in "$@"; do cp -r "$TOP/samples/corpus/$item" "$dir/"; done
}
# rg DATA args...: ragops on a data folder
rg() { local d=$1; shift; "$RAGOPS" --data "$d" "$@"; }
# json FILE-OR-STRING EXPR: evaluate a Python expression on parsed JSON `j`
jq_py() { python3 -c "import json,sys; j=json.loads(sys.stdin.read()); print($2)" <<<"$1"; }
sql() { sqlite3 "$1/ragops.db" "$2"; }
# Worker processes ("ragops __worker KIND RUN_PID") whose run is gone: none may be.
orphan_workers() {
	pgrep -af -- "__worker [a-z]+ [0-9]+$" | while read -r pid _ _ _ run; do
		[[ -e /proc/$run ]] || echo "$pid"
	done
}

# serve_start DATA [ragops serve options...]: start `ragops serve` on a free
# loopback port; sets SERVE_URL (no trailing slash), SERVE_PID, SERVE_LOG.
serve_start() {
	local d=$1; shift
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	SERVE_URL="http://127.0.0.1:$port" SERVE_LOG="$scratch/serve-$port.log"
	"$RAGOPS" --data "$d" serve -c serve.port="$port" "$@" >"$SERVE_LOG" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 100); do
		curl -sf -o /dev/null "$SERVE_URL/healthz" && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "ragops serve did not start:" >&2; cat "$SERVE_LOG" >&2
	return 1
}
# serve_stop: SIGTERM, then wait; returns the server's exit status.
serve_stop() {
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
	local rc=$?
	# A crash (a sanitizer report, say) is in the server's log: show it.
	[[ $rc -eq 0 ]] || { echo "ragops serve exited $rc:" >&2; tail -40 "$SERVE_LOG" >&2; }
	return $rc
}

finish() {
	local db d
	for db in "$scratch"/*/ragops.db "$scratch"/*/*/ragops.db; do
		[[ -f "$db" ]] || continue
		d=$(dirname "$db")
		local out
		out=$("$RAGOPS" --data "$d" check 2>&1) && ok "store intact: $(basename "$d")" ||
			not_ok "store intact: $(basename "$d")" "$out"
		out=$(sqlite3 "$d/ragops.db" 'PRAGMA integrity_check' 2>&1)
		equals "sqlite integrity_check: $(basename "$d")" "$out" "ok"
	done
	[[ $bad -eq 0 ]]
}

# Shared by the benchmark scripts: errors, messages, and the ragops binary
# to measure (the script's first argument, default build/ragops) as an
# absolute path in $BIN.  Source it after `set -Eeuo pipefail`.
die() { echo "bench: error: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }
trap 'echo "bench: error: line $LINENO: \"$BASH_COMMAND\" failed (exit $?)" >&2' ERR

HERE=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${1:-$ROOT/build/ragops}
[[ -e "$BIN" ]] || die "ragops binary '$BIN' not found (build it with 'make', or pass its path: $(basename "${BASH_SOURCE[1]}") PATH/TO/ragops)"
[[ -x "$BIN" && -f "$BIN" ]] || die "'$BIN' is not an executable file"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# bench_workdir W: work in W (no ./ragops.yaml there) on a private copy of
# the binary (a concurrent `make` may relink the original mid-run), with
# W/res/facts.tsv started for fact().  Sets BIN_ORIG, BIN, FACTS.
bench_workdir() {
	cd "$1"
	BIN_ORIG=$BIN
	cp "$BIN_ORIG" "$1/ragops"
	BIN=$1/ragops
	mkdir -p "$1/res"
	FACTS=$1/res/facts.tsv
	: >"$FACTS"
}
fact() { printf '%s\t%s\n' "$1" "$2" >>"$FACTS"; }

# machine_facts: what ran the benchmark, for its report: cores, load, CPU,
# the binary measured and the commit it was built from.
machine_facts() {
	fact nproc "$(nproc)"; fact loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
	fact uname "$(uname -srm)"; fact cpu "$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
	fact ragops_version "$("$BIN" version 2>&1 | sed -n 1p)"
	fact ragops_binary "$BIN_ORIG"
	fact ragops_sha256 "$(sha256sum <"$BIN" | cut -c1-16)"
	fact git_commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	fact git_dirty "$([[ -n $(git -C "$ROOT" status --porcelain -- src 2>/dev/null || true) ]] && echo yes || echo no)"
}

# stop_server: SIGTERM to the `ragops serve` in $SERVER_PID, then up to 30 s
# for requests in flight; its exit status -> $SERVER_EXIT (KILLed after 30 s: 137)
stop_server() {
	[[ -n $SERVER_PID ]] || return 0
	local pid=$SERVER_PID i
	SERVER_PID=
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && { say "the server did not stop within 30 s of SIGTERM: killing it"; kill -KILL "$pid" 2>/dev/null || true; }
	SERVER_EXIT=0
	wait "$pid" 2>/dev/null || SERVER_EXIT=$?
}

# Shared by the integration tests: a TAP-like "ok N - what" per check, a
# scratch folder removed at exit, and a store integrity check on every
# data folder a test used.  Source it; call `finish` last.
set -u
: "${RAGOPS:?RAGOPS must point at the ragops binary}"
: "${TOP:?TOP must point at the source tree}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
n=0 bad=0
data_dirs=()

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
# new_data NAME: a fresh data folder, checked for integrity by finish
new_data() {
	local d="$scratch/$1"
	data_dirs+=("$d")
	echo "$d"
}
# rg DATA args...: ragops on a data folder
rg() { local d=$1; shift; "$RAGOPS" --data "$d" "$@"; }
# json FILE-OR-STRING EXPR: evaluate a Python expression on parsed JSON `j`
jq_py() { python3 -c "import json,sys; j=json.loads(sys.stdin.read()); print($2)" <<<"$1"; }
sql() { sqlite3 "$1/ragops.db" "$2"; }

finish() {
	for d in "${data_dirs[@]}"; do
		[[ -f "$d/ragops.db" ]] || continue
		local out
		out=$("$RAGOPS" --data "$d" check 2>&1) && ok "store intact: $(basename "$d")" ||
			not_ok "store intact: $(basename "$d")" "$out"
		out=$(sqlite3 "$d/ragops.db" 'PRAGMA integrity_check' 2>&1)
		equals "sqlite integrity_check: $(basename "$d")" "$out" "ok"
	done
	[[ $bad -eq 0 ]]
}

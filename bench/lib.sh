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

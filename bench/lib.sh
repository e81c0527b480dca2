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

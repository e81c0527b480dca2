#!/usr/bin/env bash
# Every C file of the tree laid out as .clang-format says; prints where not.
# Usage: scripts/check-style.sh [ROOT] (default: this checkout)
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root"
command -v clang-format >/dev/null || { echo "check-style: clang-format is missing (apt-get install clang-format)" >&2; exit 2; }
mapfile -t files < <(find src include tests/unit fuzz examples tools -name '*.[ch]' 2>/dev/null | sort)
[[ ${#files[@]} -gt 0 ]] || { echo "check-style: no C files under $PWD" >&2; exit 2; }
if ! out=$(clang-format --style=file --dry-run --Werror "${files[@]}" 2>&1); then
	grep -o '^[^:]*:[0-9]*' <<<"$out" | sort -u -t: -k1,1 -k2,2n | head -40 >&2
	echo "check-style: the lines above are not laid out as .clang-format says; 'make style' rewrites them" >&2
	exit 1
fi
echo "check-style: ${#files[@]} files laid out as .clang-format says"

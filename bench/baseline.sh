#!/usr/bin/env bash
# bench/baseline.sh COMMIT DIR: ragops as it was at COMMIT, built in a git
# worktree at DIR, for bench/run.sh to time beside today's (BENCH_BASELINE).
# Prints the binary's path; prints nothing (and says why on stderr) when
# the history is not there, as in a tarball.
set -euo pipefail
commit=$1 dir=$2
top=$(cd "$(dirname "$0")/.." && pwd)
if ! git -C "$top" cat-file -e "$commit^{commit}" 2>/dev/null; then
	echo "bench/baseline.sh: commit $commit is not in this clone's history: no baseline" >&2
	exit 0
fi
if [[ ! -x $dir/build/ragops || $(git -C "$dir" rev-parse HEAD 2>/dev/null) != $(git -C "$top" rev-parse "$commit") ]]; then
	rm -rf "$dir"
	git -C "$top" worktree prune
	git -C "$top" worktree add --detach -f "$dir" "$commit" >/dev/null
	make -C "$dir" -j"$(nproc)" build/ragops >"$dir.log" 2>&1 ||
		{ echo "bench/baseline.sh: building $commit failed, see $dir.log" >&2; exit 0; }
fi
realpath "$dir/build/ragops"

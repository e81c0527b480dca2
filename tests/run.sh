#!/usr/bin/env bash
# Runs every test: the cmocka unit tests in BUILD/tests/ and the integration
# scripts tests/integration/t*.sh against BUILD/ragops.  Ends with the line
# "N passed, N failed" and exits non-zero when anything failed.  Unless
# RAGOPS_TEST_PG_URL is set, a throwaway PostgreSQL cluster runs meanwhile.
# Usage: tests/run.sh BUILD [pattern]
set -uo pipefail
build=${1:?usage: tests/run.sh BUILD [pattern]}
pattern=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$top" && cd "$build" && pwd)
export RAGOPS="$build/ragops" TOP="$top"
# Leaks are failures; a sanitizer report stops the program at once.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0
failures=()
log=$(mktemp -d)
pg_dir=
# At exit: the throwaway PostgreSQL cluster, when this run started one, and the logs.
cleanup() {
	[[ -n "$pg_dir" ]] && "$top/scripts/pg-cluster.sh" stop "$pg_dir"
	rm -rf "$log"
}
trap cleanup EXIT

# PostgreSQL for the store's second backend (issue 15): a throwaway cluster
# (scripts/pg-cluster.sh) unless RAGOPS_TEST_PG_URL names a server already.
# Tests read RAGOPS_TEST_PG_URL and RAGOPS_TEST_PG_DIR.
if [[ -z "${RAGOPS_TEST_PG_URL:-}" ]]; then
	pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/ragops-pg.XXXXXX")
	if ! pg_env=$("$top/scripts/pg-cluster.sh" start "$pg_dir"); then
		# pg-cluster.sh said why (for missing server binaries: the apt-get line).
		echo "FAIL the tests' PostgreSQL cluster did not start (scripts/pg-cluster.sh start $pg_dir)"
		echo
		echo "failed: postgresql"
		echo "0 passed, 1 failed"
		exit 1
	fi
	eval "$pg_env"
	export RAGOPS_TEST_PG_URL RAGOPS_TEST_PG_DIR
fi

# record NAME LOG RC PASSED FAILED DETAIL: add up one test program's result
record() {
	local name=$1 out=$2 rc=$3 p=$4 f=$5 detail=$6
	if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi # it crashed before its summary
	passed=$((passed + p)) failed=$((failed + f))
	if [[ $f -ne 0 ]]; then
		failures+=("$name")
		echo "FAIL $name"; sed 's/^/    /' "$out"
	else
		echo "ok   $name ($detail)"
	fi
}

for t in "$build"/tests/test_*; do
	[[ -x "$t" ]] || continue
	name=$(basename "$t")
	[[ -n "$pattern" && "$name" != *$pattern* ]] && continue
	"$t" >"$log/$name" 2>&1
	rc=$?
	# A program may run several groups (test_store: SQLite, then PostgreSQL): each prints its sums.
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/$name" | awk '{s += $1} END {print s + 0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log/$name" | awk '{s += $1} END {print s + 0}')
	record "$name" "$log/$name" "$rc" "${p:-0}" "${f:-0}" "${p:-0} tests"
done

for t in "$top"/tests/integration/t[0-9]*.sh; do
	name=$(basename "$t" .sh)
	[[ -n "$pattern" && "$name" != *$pattern* ]] && continue
	start=$(date +%s)
	bash "$t" >"$log/$name" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log/$name")
	f=$(grep -c '^not ok ' "$log/$name")
	record "$name" "$log/$name" "$rc" "$p" "$f" "$p checks, $(( $(date +%s) - start )) s"
done

echo
[[ ${#failures[@]} -gt 0 ]] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]

#!/usr/bin/env bash
# Runs every test: the cmocka unit tests in BUILD/tests/ and the integration
# scripts tests/integration/t*.sh against BUILD/ragops.  Ends with the line
# "N passed, N failed" and exits non-zero when anything failed.  Unless
# RAGOPS_TEST_PG_URL is set, a throwaway PostgreSQL cluster runs meanwhile.
# Usage: tests/run.sh BUILD [pattern]
#
# Test programs run RAGOPS_TEST_JOBS at a time (default: the CPUs plus one);
# RAGOPS_TEST_JOBS=1 runs them one after another.
#
# RAGOPS_TEST_STORE=postgresql (issue 15; default sqlite): the integration
# tests run with every ragops invocation's store on PostgreSQL: RAGOPS is
# tests/tools/ragops-pg, which gives each data folder a database of its own
# on the cluster and execs BUILD/ragops (RAGOPS_REAL) with --store.  A test
# whose subject is SQLite's own (the ragops.db file, WAL, FTS5, SQLite's
# VFS, an old SQLite store) says so near its top with a line
#   # store: sqlite-only (why)
# and is skipped, with that reason, on PostgreSQL; one that compares the two
# backends itself says "# store: both (why)" and gets the binary, not the
# wrapper.  The unit tests open their stores as they do whatever this says.
set -uo pipefail
build=${1:?usage: tests/run.sh BUILD [pattern]}
pattern=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$top" && cd "$build" && pwd)
export RAGOPS="$build/ragops" TOP="$top"
export RAGOPS_TEST_STORE=${RAGOPS_TEST_STORE:-sqlite}
case $RAGOPS_TEST_STORE in
sqlite) ;;
postgresql)
	export RAGOPS_REAL="$build/ragops" RAGOPS="$top/tests/tools/ragops-pg"
	# An outer setting would choose the store for every invocation instead.
	unset RAGOPS_STORE_URL
	;;
*) echo "tests/run.sh: RAGOPS_TEST_STORE must be sqlite or postgresql, not '$RAGOPS_TEST_STORE'" >&2; exit 2 ;;
esac
# Leaks are failures; a sanitizer report stops the program at once.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0 skipped=0
failures=() skips=()
log=$(mktemp -d)
pg_dir=
# At exit: the databases ragops-pg made on a cluster this run did not start,
# the throwaway PostgreSQL cluster when this run started one, and the logs.
cleanup() {
	if [[ -z "$pg_dir" && -s "$log/pg-state/databases" ]]; then
		while read -r db; do
			psql -X -q -d "$RAGOPS_TEST_PG_URL" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
		done <"$log/pg-state/databases"
	fi
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
if [[ $RAGOPS_TEST_STORE == postgresql ]]; then
	export RAGOPS_TEST_PG_STATE="$log/pg-state"
	mkdir -p "$RAGOPS_TEST_PG_STATE"
	echo "store: PostgreSQL ($RAGOPS_TEST_PG_URL, a database per data folder; unit tests on SQLite)"
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

# Test programs run side by side, RAGOPS_TEST_JOBS at a time (default: one
# more than the CPUs, as many tests wait on a server, a child or a clock),
# each in its own folders; their results are reported in name order as
# soon as each one and those before it are done.
jobs_max=${RAGOPS_TEST_JOBS:-$(($(nproc) + 1))}
# 0 or a negative count spun forever on `wait -n`; "2x" ran everything at once.
if [[ ! $jobs_max =~ ^[1-9][0-9]*$ ]]; then
	echo "tests/run.sh: RAGOPS_TEST_JOBS must be a positive count, not '$jobs_max'" >&2
	exit 2
fi
kinds=() paths=() names=() # unit or integration, the program, its name: in the order reported
for t in "$build"/tests/test_*; do
	[[ -x "$t" ]] || continue
	[[ -n "$pattern" && "$(basename "$t")" != *$pattern* ]] && continue
	kinds+=(unit) paths+=("$t") names+=("$(basename "$t")")
done
for t in "$top"/tests/integration/t[0-9]*.sh; do
	[[ -n "$pattern" && "$(basename "$t" .sh)" != *$pattern* ]] && continue
	kinds+=(integration) paths+=("$t") names+=("$(basename "$t" .sh)")
done

# run_one I: run test program I into $log/NAME, its exit code and seconds beside it
# (NAME.rc last: the test is done once it is there).
run_one() {
	local t=${paths[$1]} name=${names[$1]} start
	if [[ ${kinds[$1]} == unit ]]; then
		start=$(date +%s)
		"$t" >"$log/$name" 2>&1
	else
		# "# store: sqlite-only (why)" or "# store: both (why)" among its first 30 lines
		local marker as
		marker=$(head -n 30 "$t" | grep -m 1 -E '^# store: (sqlite-only|both)')
		if [[ $RAGOPS_TEST_STORE == postgresql && $marker == "# store: sqlite-only"* ]]; then
			sed 's/^# store: sqlite-only *//; s/^(\(.*\))$/\1/' <<<"$marker" >"$log/$name.skip"
			echo 0 >"$log/$name.rc"
			return
		fi
		# A test that puts its stores on both backends itself runs as by default: the binary, not the wrapper.
		as=(RAGOPS="$RAGOPS" RAGOPS_TEST_STORE="$RAGOPS_TEST_STORE")
		[[ $RAGOPS_TEST_STORE == postgresql && $marker == "# store: both"* ]] &&
			as=(RAGOPS="$RAGOPS_REAL" RAGOPS_TEST_STORE=sqlite)
		start=$(date +%s)
		env "${as[@]}" bash "$t" >"$log/$name" 2>&1
	fi
	local rc=$?
	echo $(($(date +%s) - start)) >"$log/$name.secs"
	echo "$rc" >"$log/$name.rc.tmp" && mv "$log/$name.rc.tmp" "$log/$name.rc"
}

# report I: add up finished test program I's result.
report() {
	local name=${names[$1]} p f rc
	if [[ -e "$log/$name.skip" ]]; then
		local why
		why=$(cat "$log/$name.skip")
		skipped=$((skipped + 1)) skips+=("$name")
		echo "skip $name (sqlite-only: ${why:-no reason given})"
		return
	fi
	rc=$(cat "$log/$name.rc")
	if [[ ${kinds[$1]} == unit ]]; then
		# A program may run several groups (test_store: SQLite, then PostgreSQL): each prints its sums.
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/$name" | awk '{s += $1} END {print s + 0}')
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log/$name" | awk '{s += $1} END {print s + 0}')
		record "$name" "$log/$name" "$rc" "${p:-0}" "${f:-0}" "${p:-0} tests"
	else
		p=$(grep -c '^ok ' "$log/$name")
		f=$(grep -c '^not ok ' "$log/$name")
		record "$name" "$log/$name" "$rc" "$p" "$f" "$p checks, $(cat "$log/$name.secs") s"
	fi
}

reported=0
report_ready() {
	while ((reported < ${#paths[@]})) && [[ -e "$log/${names[$reported]}.rc" ]]; do
		report "$reported"
		reported=$((reported + 1))
	done
}
# The long tests (a "# slow" line among their first 30) start first, so
# that none of them is left running alone at the end.  Those that time
# something against a bound a busy neighbour could break (a "# serial"
# line) run last, one at a time, alone.
slow=() others=() serial=()
marked() { [[ ${kinds[$1]} == integration ]] && head -n 30 "${paths[$1]}" | grep -qx "# $2"; }
for i in "${!paths[@]}"; do
	if marked "$i" serial; then
		serial+=("$i")
	elif marked "$i" slow; then
		slow+=("$i")
	else
		others+=("$i")
	fi
done
for i in "${slow[@]}" "${others[@]}"; do
	while (($(jobs -rp | wc -l) >= jobs_max)); do
		wait -n
		report_ready
	done
	run_one "$i" &
done
wait
report_ready
for i in "${serial[@]}"; do
	run_one "$i"
	report_ready
done
# A program whose runner died (killed from outside) left no exit code: it failed, and
# those after it are still reported rather than silently left out of the count.
while ((reported < ${#paths[@]})); do
	name=${names[$reported]}
	if [[ ! -e "$log/$name.rc" ]]; then
		echo 137 >"$log/$name.rc"
		echo 0 >"$log/$name.secs"
		echo "(no result: the process running this test died)" >>"$log/$name"
	fi
	report_ready
done

echo
[[ ${#failures[@]} -gt 0 ]] && echo "failed: ${failures[*]}"
[[ ${#skips[@]} -gt 0 ]] && echo "skipped on $RAGOPS_TEST_STORE: ${skips[*]}"
echo "$passed passed, $failed failed$([[ $skipped -gt 0 ]] && echo ", $skipped tests skipped")"
[[ $failed -eq 0 && $passed -gt 0 ]]

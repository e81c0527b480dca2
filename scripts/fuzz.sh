#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz`, one after the other (one
# fuzzing process at a time: the machine is shared).  For each target:
#   1. every reproducer under fuzz/regressions/<target>/ once: each must pass;
#   2. fuzzing for SECONDS from the committed seeds in fuzz/corpus/<target>/
#      (new inputs go to BUILD/corpus/<target>/, never to the committed
#      seeds); past 60 s in libFuzzer's fork mode with one job, so that a
#      finding does not end the run: every crash, leak, timeout and
#      out-of-memory of the SECONDS is kept under BUILD/artifacts/<target>/;
#   3. each finding replayed once to name it (the check or sanitizer that
#      fired, and the first frame in src/ or fuzz/).
# Prints one line of figures per target, then the findings, and exits
# non-zero when any regression failed or anything was found.
# Usage: scripts/fuzz.sh BUILD SECONDS [target...]   (targets: config, ingest, ...)
set -uo pipefail
usage="usage: scripts/fuzz.sh BUILD SECONDS [target...]"
build=${1:?$usage}
seconds=${2:?$usage}
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

# A finding stops the input at once; leaks are findings.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# options TARGET: the libFuzzer flags of one target.  -max_len bounds the
# input in bytes; -timeout is seconds per input; memory limits are in MB
# (-malloc_limit_mb: the largest single allocation; -rss_limit_mb: the
# process, ASan's own shadow and quarantine included).
options() {
	local common="-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024"
	case $1 in
	config) echo "$common -max_len=16384 -dict=fuzz/dict/config.dict" ;;
	api_body) echo "$common -max_len=16384 -dict=fuzz/dict/json.dict" ;;
	# Deep nesting (issue 13's first two defects) is held by the depth
	# guard in front of gumbo (HTML_MAX_DEPTH): 64 KB nest ~20,000 tags.
	extract_html) echo "$common -max_len=65536 -dict=fuzz/dict/html.dict" ;;
	extract_markdown) echo "$common -max_len=32768 -dict=fuzz/dict/markdown.dict" ;;
	extract_text | clean | chunk) echo "$common -max_len=32768" ;;
	tokenize) echo "$common -max_len=8192" ;;
	# Bytes to chunks with MuPDF inside: 1 GiB at most in one allocation,
	# 20 s per file.
	ingest) echo "-timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=262144 -dict=fuzz/dict/ingest.dict" ;;
	*) echo "$common" ;;
	esac
}

# name_finding BIN OPTS FILE: "cause | first frame of ours" of one finding,
# numbers blanked so that findings group.
name_finding() {
	local out cause frame
	# shellcheck disable=SC2086
	out=$("$1" $2 "$3" 2>&1)
	cause=$(grep -m1 -oE 'invariant broken: .*|Assertion .* failed|runtime error: .*|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-zA-Z -]*' <<<"$out" |
		sed -E 's/[0-9]+/N/g; s/ *$//' | cut -c1-140)
	frame=$( (grep -E '^ *#[0-9]+ 0x[0-9a-f]+ in [^ ]+ .*/src/' <<<"$out"
		grep -E '^ *#[0-9]+ 0x[0-9a-f]+ in [^ ]+ .*/fuzz/' <<<"$out" | grep -v ' in fuzz_fail ') |
		head -1 | sed -E 's@.* in ([^ ]+) .*/((src|fuzz)/[^ :]+):([0-9]+).*@\1 \2:\4@')
	echo "${cause:-unknown (replay $3)} | ${frame:-not in our code}"
}

if [[ $# -eq 0 ]]; then
	set -- $(ls "$build"/fuzz_* 2>/dev/null | sed 's|.*/fuzz_||')
fi
if [[ $# -eq 0 ]]; then
	echo "fuzz.sh: no fuzzer in $build/ (make fuzz first)" >&2
	exit 2
fi

# Past a minute, fork mode (one job at a time) goes on after a finding; it
# restarts its job now and then, which costs a short run much of its time.
fork=
if [[ $seconds -gt 60 ]]; then
	fork="-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
fi

failed=()
report=$(mktemp)
trap 'rm -f "$report"' EXIT
printf '%-17s %8s %10s %8s %6s %6s %6s %9s\n' target seconds runs exec/s cov ft corpus findings
for t in "$@"; do
	bin=$build/fuzz_$t
	if [[ ! -x $bin ]]; then
		echo "fuzz.sh: no fuzzer $bin" >&2
		failed+=("$t")
		continue
	fi
	opts=$(options "$t")
	art=$build/artifacts/$t
	rm -rf "$art"
	mkdir -p "$build/corpus/$t" "$art" "$build/logs"
	log=$build/logs/$t.log

	for r in fuzz/regressions/"$t"/*; do
		[[ -f $r ]] || continue
		# shellcheck disable=SC2086
		if ! "$bin" $opts "$r" >"$build/logs/$t.regression.log" 2>&1; then
			echo "$t: regression $r: $(name_finding "$bin" "$opts" "$r")" >>"$report"
			failed+=("$t")
		fi
	done

	seeds=()
	[[ -d fuzz/corpus/$t ]] && seeds=("fuzz/corpus/$t")
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" $opts $fork -max_total_time="$seconds" -artifact_prefix="$art/" \
		"$build/corpus/$t" "${seeds[@]}" >"$log" 2>&1
	elapsed=$(($(date +%s) - start))

	# The last status line: "#N: cov: C ft: F corp: K exec/s ..." (fork mode) or
	# "#N  DONE  cov: C ft: F corp: K/S ..." (a single process).
	status=$(grep -E '^#[0-9]+' "$log" | tail -1)
	runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$status")
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
	corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$status")
	eps=-
	[[ -n $runs && $elapsed -gt 0 ]] && eps=$((runs / elapsed))
	findings=("$art"/*)
	[[ -e ${findings[0]} ]] || findings=()
	printf '%-17s %8s %10s %8s %6s %6s %6s %9s\n' "$t" "$elapsed" "${runs:--}" "$eps" \
		"${cov:--}" "${ft:--}" "${corp:--}" "${#findings[@]}"
	if [[ ${#findings[@]} -ne 0 ]]; then
		failed+=("$t")
		# One line per distinct finding, with how many inputs hit it and one of them.
		for f in "${findings[@]:0:30}"; do
			echo "$(name_finding "$bin" "$opts" "$f")	$f"
		done | sort -t'	' -k1,1 | awk -F'\t' -v t="$t" '
			$1 != last { if (n) printf "%s: %d× %s (e.g. %s)\n", t, n, last, example; last = $1; n = 0; example = $2 }
			{ n++ }
			END { if (n) printf "%s: %d× %s (e.g. %s)\n", t, n, last, example }' >>"$report"
	fi
done
if [[ -s $report ]]; then
	echo
	cat "$report"
fi
if [[ ${#failed[@]} -ne 0 ]]; then
	echo "fuzz.sh: failed: $(printf '%s\n' "${failed[@]}" | sort -u | tr '\n' ' ')" >&2
	exit 1
fi

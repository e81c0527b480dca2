#!/usr/bin/env bash
# ragops benchmark.  Usage: bench/run.sh [PATH/TO/ragops]   (make bench)
#
#  1. text-PDF ingestion throughput (pages/s) of a fresh `ragops run` over
#     COPIES copies of samples/corpus/pdf/*.pdf, against pdftotext (one
#     process per file), and against itself on one parser worker
#     (ingest.threads=1; the default is one per core) and parsing in its
#     own process; then over the same
#     pages merged into one PDF with `mutool merge`, which takes
#     pdftotext's per-process cost out.
#  2. re-run over 1,000 unchanged documents (900 generated .txt/.md + 100
#     PDF copies) against the floor: sha256sum of the same files.
#  3. peak RSS (/usr/bin/time %M) and per-stage seconds (DATA/metrics) of
#     fresh full ingests.
#
# Prints a table and writes bench/out/results.json.  Inputs are generated
# deterministically in a mktemp -d folder, removed on exit.  Timings are
# medians (hyperfine, or bench/timeit.py when hyperfine is missing); the
# machine may be noisy, so compare the ratios, which are measured together.
#
# Knobs (environment): BENCH_COPIES (30: copies of each sample PDF),
# BENCH_RUNS (10: timed runs per command), BENCH_RSS_RUNS (5),
# BENCH_TEXTS (900) and BENCH_PDFS (100): the re-run set, BENCH_TARGET_S (0.15),
# BENCH_STRICT=1: exit 1 when the re-run misses its target,
# BENCH_BASELINE: another ragops binary (make bench builds the one issue 14
# started from, bench/baseline.sh) whose first ingest of the mixed
# documents is timed beside this one's.
set -Eeuo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COPIES=${BENCH_COPIES:-30}
RUNS=${BENCH_RUNS:-10}
RSS_RUNS=${BENCH_RSS_RUNS:-5}
NTEXTS=${BENCH_TEXTS:-900}
NPDFS=${BENCH_PDFS:-100}
TARGET_S=${BENCH_TARGET_S:-0.15}
SRC_PDF=${BENCH_SRC_PDF:-$ROOT/samples/corpus/pdf}
OUT=$HERE/out
PY=/usr/bin/python3
NDOCS=$((NTEXTS + NPDFS))
BASELINE=${BENCH_BASELINE:+$(realpath "$BENCH_BASELINE")}

# --- tools ---------------------------------------------------------------
[[ -x $PY ]] || die "$PY is needed (standard library only)"
for t in pdftotext pdfinfo sha256sum find xargs; do
	command -v "$t" >/dev/null || die "'$t' is missing (Debian: apt-get install poppler-utils coreutils findutils)"
done
if command -v hyperfine >/dev/null; then TIMER=hyperfine; else
	TIMER=timeit.py
	say "hyperfine not found: timing with bench/timeit.py instead"
fi
HAVE_MUTOOL=0; command -v mutool >/dev/null && HAVE_MUTOOL=1
[[ $HAVE_MUTOOL == 1 ]] || say "mutool not found: skipping the merged-PDF comparison"
GNU_TIME=/usr/bin/time
[[ -x $GNU_TIME ]] || { GNU_TIME=; say "/usr/bin/time not found: peak RSS read from /proc VmHWM"; }
compgen -G "$SRC_PDF/*.pdf" >/dev/null || die "no sample PDFs in $SRC_PDF"

# --- work folder; no user configuration may leak in ------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/ragops-bench.XXXXXX")
cleanup() { cd /; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
while read -r v; do unset "$v"; done < <(compgen -e | grep '^RAGOPS_' || true)
bench_workdir "$W"
mkdir -p "$W/res" "$OUT"
T_START=$(date +%s.%N)

# jget FILE KEY.PATH -> value of a JSON field
jget() { $PY -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }

# bench_cmds NAME PREPARE1 CMD1 [PREPARE2 CMD2]: median timing -> res/NAME.json
bench_cmds() {
	local name=$1; shift
	local prep=() cmds=()
	while (($#)); do prep+=(--prepare "$1"); cmds+=("$2"); shift 2; done
	if [[ $TIMER == hyperfine ]]; then
		hyperfine --style none --warmup 1 --runs "$RUNS" "${prep[@]}" \
			--export-json "$W/res/$name.json" "${cmds[@]}" >/dev/null
	else
		$PY "$HERE/timeit.py" --warmup 1 --runs "$RUNS" "${prep[@]}" \
			--export-json "$W/res/$name.json" "${cmds[@]}"
	fi
}

# ingest_once NAME DATA INBOX: fresh `ragops run --json` under the RSS meter;
# keeps the JSON, the run's metrics and the peak RSS (KiB) in res/.
# ingest_once NAME DATA INBOX [SETTING...]: a fresh ingest with -c SETTING each
# With ON_CORES=LIST set, the run is pinned to those CPUs (taskset).
ingest_once() {
	local name=$1 data=$2 inbox=$3 rc=0
	shift 3
	local settings=() pin=()
	for s in "$@"; do settings+=(-c "$s"); done
	[[ -n ${ON_CORES:-} ]] && pin=(taskset -c "$ON_CORES")
	rm -rf "$data"
	if [[ -n $GNU_TIME ]]; then
		"$GNU_TIME" -f %M -o "$W/res/$name.rss" "${pin[@]}" "${RUN_BIN:-$BIN}" --data "$data" "${settings[@]}" run --inbox "$inbox" --json \
			>"$W/res/$name.out" || rc=$?
	else
		# no GNU time: sample VmHWM of the process until it exits
		"${pin[@]}" "${RUN_BIN:-$BIN}" --data "$data" "${settings[@]}" run --inbox "$inbox" --json >"$W/res/$name.out" &
		local pid=$! hwm=0 v
		while kill -0 "$pid" 2>/dev/null; do
			v=$(awk '/^VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
			[[ -n $v && $v -gt $hwm ]] && hwm=$v
			sleep 0.005
		done
		wait "$pid" || rc=$?
		echo "$hwm" >"$W/res/$name.rss"
	fi
	((rc == 0)) || { cat "$W/res/$name.out" >&2; die "'ragops run --inbox $inbox' exited $rc"; }
	cp "$(jget "$W/res/$name.out" metrics)" "$W/res/$name.metrics.json"
}

# expect FILE KEY VALUE: fail loudly on a wrong count in ragops --json
expect() {
	local got; got=$(jget "$1" "$2")
	[[ "$got" == "$3" ]] || { cat "$1" >&2; die "$(basename "$1"): $2 = $got, expected $3"; }
}

# --- 1. text-PDF ingestion -------------------------------------------------
say "generating the PDF corpus ($COPIES copies of $SRC_PDF/*.pdf)"
NFILES=$($PY "$HERE/gen_corpus.py" pdfs --src "$SRC_PDF" --copies "$COPIES" "$W/pdfs")
find "$W/pdfs" -name '*.pdf' -print0 | sort -z >"$W/pdfs.lst"
PAGES_PDFINFO=$(xargs -0 -n1 pdfinfo <"$W/pdfs.lst" | awk '/^Pages:/{s+=$2} END{print s+0}')
fact pdf_files "$NFILES"; fact pdf_pages_pdfinfo "$PAGES_PDFINFO"

say "checking a full ingest of $NFILES PDFs; peak RSS over $RSS_RUNS fresh ingests"
for k in $(seq 1 "$RSS_RUNS"); do ingest_once "pdf-ingest-$k" "$W/d-pdf" "$W/pdfs"; done
for k in $(seq 1 "$RSS_RUNS"); do ingest_once "pdf-one-$k" "$W/d-pdf" "$W/pdfs" ingest.threads=1; done
J=$W/res/pdf-ingest-1.out
expect "$J" state completed; expect "$J" documents.new "$NFILES"; expect "$J" documents.failed 0
PAGES=$(jget "$J" pages)
[[ $PAGES == "$PAGES_PDFINFO" ]] || die "ragops counted $PAGES pages, pdfinfo $PAGES_PDFINFO"
(( PAGES >= 300 )) || die "the PDF corpus has only $PAGES pages (< 300): raise BENCH_COPIES"
fact pdf_pages "$PAGES"; fact pdf_chunks "$(jget "$J" chunks)"; fact pdf_ocr "$(jget "$J" pages_needing_ocr)"
"$BIN" --data "$W/d-pdf" search exposition >"$W/res/search.out" || die "'ragops search' failed after the PDF ingest"
[[ -s "$W/res/search.out" ]] || die "'ragops search exposition' found nothing after the PDF ingest"

say "timing ragops run vs pdftotext over $NFILES files ($RUNS runs each; and ragops parsing in-process, and on one worker)"
bench_cmds pdf_ingest \
	"rm -rf '$W/d-pdf'" "'$BIN' --data '$W/d-pdf' run --inbox '$W/pdfs'" \
	"true" "xargs -0 -I{} pdftotext -q {} /dev/null <'$W/pdfs.lst'" \
	"rm -rf '$W/d-pdf'" "'$BIN' --data '$W/d-pdf' -c ingest.isolate=false run --inbox '$W/pdfs'" \
	"rm -rf '$W/d-pdf'" "'$BIN' --data '$W/d-pdf' -c ingest.threads=1 run --inbox '$W/pdfs'"

if [[ $HAVE_MUTOOL == 1 ]]; then
	say "merging the corpus into one PDF (mutool merge)"
	mkdir -p "$W/merged"
	xargs -0 mutool merge -o "$W/merged/all.pdf" <"$W/pdfs.lst" >/dev/null
	MPAGES_TOOL=$(mutool info "$W/merged/all.pdf" 2>/dev/null | awk '/^Pages:/ && !n {print $2; n=1}')
	[[ $MPAGES_TOOL == "$PAGES" ]] || die "merged PDF has $MPAGES_TOOL pages (mutool info), expected $PAGES"
	for k in $(seq 1 "$RSS_RUNS"); do ingest_once "merged-ingest-$k" "$W/d-merged" "$W/merged"; done
	for k in $(seq 1 "$RSS_RUNS"); do ingest_once "merged-one-$k" "$W/d-merged" "$W/merged" ingest.threads=1; done
	J=$W/res/merged-ingest-1.out
	expect "$J" documents.new 1; expect "$J" documents.failed 0; expect "$J" pages "$PAGES"
	fact merged_pages "$PAGES"; fact merged_bytes "$(stat -c %s "$W/merged/all.pdf")"
	say "timing ragops run vs pdftotext over the merged PDF (and ragops parsing in-process, and reading it whole)"
	bench_cmds merged_ingest \
		"rm -rf '$W/d-merged'" "'$BIN' --data '$W/d-merged' run --inbox '$W/merged'" \
		"true" "pdftotext -q '$W/merged/all.pdf' /dev/null" \
		"rm -rf '$W/d-merged'" "'$BIN' --data '$W/d-merged' -c ingest.isolate=false run --inbox '$W/merged'" \
		"rm -rf '$W/d-merged'" "'$BIN' --data '$W/d-merged' -c ingest.range_pages=0 run --inbox '$W/merged'"
fi

# --- 2. re-run over unchanged documents -----------------------------------
say "generating $NDOCS documents ($NTEXTS .txt/.md + $NPDFS PDF copies)"
N=$($PY "$HERE/gen_corpus.py" mixed --src "$SRC_PDF" --texts "$NTEXTS" --pdfs "$NPDFS" "$W/mixed")
[[ $N == "$NDOCS" ]] || die "generated $N documents, expected $NDOCS"
NUNIQ=$(find "$W/mixed" -type f -print0 | xargs -0 sha256sum | awk '{print $1}' | sort -u | wc -l)
fact mixed_docs "$NDOCS"; fact mixed_distinct_contents "$NUNIQ"
fact mixed_bytes "$(du -sb "$W/mixed" | cut -f1)"

say "first ingest of the $NDOCS documents (peak RSS over $RSS_RUNS fresh ingests)"
for k in $(seq 1 "$RSS_RUNS"); do ingest_once "mixed-ingest-$k" "$W/d-mixed" "$W/mixed"; done
say "the same on one thread (ingest.threads=1): what every core buys"
for k in $(seq 1 "$RSS_RUNS"); do ingest_once "mixed-one-$k" "$W/d-mixed" "$W/mixed" ingest.threads=1; done
# ingest.threads=1 still runs the writer, the training's lexicon thread and
# the parser worker beside each other: pinned to one CPU, what a second
# core buys the whole run.
if command -v taskset >/dev/null && (($(nproc) > 1)); then
	say "the same pinned to one CPU (taskset -c 0): what the second core buys"
	for k in $(seq 1 "$RSS_RUNS"); do ON_CORES=0 ingest_once "mixed-core-$k" "$W/d-mixed" "$W/mixed"; done
fi
if [[ -n $BASELINE ]]; then
	say "the same with the baseline binary ($BASELINE)"
	for k in $(seq 1 "$RSS_RUNS"); do RUN_BIN=$BASELINE ingest_once "mixed-base-$k" "$W/d-mixed" "$W/mixed"; done
	fact baseline "$(git -C "$(dirname "$BASELINE")/.." rev-parse --short HEAD 2>/dev/null || echo "$BASELINE")"
fi
J=$W/res/mixed-ingest-$RSS_RUNS.out
expect "$J" documents.seen "$NDOCS"; expect "$J" documents.new "$NDOCS"; expect "$J" documents.failed 0
fact mixed_pages "$(jget "$J" pages)"; fact mixed_chunks "$(jget "$J" chunks)"

RERUN="'$BIN' --data '$W/d-mixed' run --inbox '$W/mixed'"
check_rerun() {
	"$BIN" --data "$W/d-mixed" run --inbox "$W/mixed" --json >"$W/res/$1.out" \
		|| { cat "$W/res/$1.out" >&2; die "re-run exited non-zero"; }
	expect "$W/res/$1.out" documents.unchanged "$NDOCS"
	for k in new changed renamed deleted failed; do expect "$W/res/$1.out" "documents.$k" 0; done
	cp "$(jget "$W/res/$1.out" metrics)" "$W/res/$1.metrics.json"
}
check_rerun rerun-before
# The steady state of a store re-run every day: past retention.cached_tasks
# (10) runs, each re-run also sweeps the oldest run's cached rows.
say "re-running 10 times first: each timed re-run then also sweeps the rows of the 11th run before it"
for _ in $(seq 10); do "$BIN" --data "$W/d-mixed" run --inbox "$W/mixed" >/dev/null 2>&1; done
say "timing the re-run over $NDOCS unchanged documents vs sha256sum ($RUNS runs each)"
bench_cmds rerun \
	"true" "$RERUN" \
	"true" "find '$W/mixed' -type f -print0 | xargs -0 sha256sum >/dev/null"
check_rerun rerun-after

# --- report ----------------------------------------------------------------
fact timer "$TIMER"; fact runs "$RUNS"; fact rss_runs "$RSS_RUNS"; fact target_s "$TARGET_S"
fact rss_source "$([[ -n $GNU_TIME ]] && echo '/usr/bin/time %M' || echo '/proc VmHWM sampling')"
fact nproc "$(nproc)"; fact loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
fact uname "$(uname -srm)"; fact ragops_version "$("$BIN" version 2>&1 | sed -n 1p)"
fact ragops_binary "$BIN_ORIG"
fact ragops_sha256 "$(sha256sum <"$BIN" | cut -c1-16)"
fact git_commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
fact git_dirty "$([[ -n $(git -C "$ROOT" status --porcelain -- src 2>/dev/null || true) ]] && echo yes || echo no)"
fact pdftotext_version "$(pdftotext -v 2>&1 | sed -n 1p)"
fact timer_version "$([[ $TIMER == hyperfine ]] && hyperfine --version || echo bench/timeit.py)"
fact mutool_version "$([[ $HAVE_MUTOOL == 1 ]] && mutool -v 2>&1 | sed -n 1p || echo none)"
fact elapsed_s "$($PY -c "import sys,time; print(round(time.time()-float(sys.argv[1]),1))" "$T_START")"
$PY "$HERE/report.py" "$W/res" "$OUT/results.json"

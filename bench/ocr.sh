#!/usr/bin/env bash
# ragops OCR benchmark.  Usage: bench/ocr.sh [PATH/TO/ragops]
#
# OCR of one scanned 10-page PDF (no text layer), fra+eng at 300 dpi:
#  1. seconds per page, on 1 thread and on all cores, of
#       ragops      `ragops run` into a fresh data folder, -c ocr.threads=1 / 0
#                   (whole command: rendering, OCR, indexing, process start);
#       tesseract   the CLI on the same pages rendered once beforehand with
#                   `pdftoppm -r 300 -gray` (stored as 8-bit grey PNG: its own
#                   -png writes RGB, ~20 % slower to OCR), OMP_THREAD_LIMIT=1,
#                   one page at a time / `xargs -P <cores>` pages at a time;
#       ocrmypdf    --jobs 1 / --jobs <cores>, --output-type pdf --optimize 0
#                   --skip-text (it writes a searchable PDF: more work);
#     ragops single-thread and tesseract single-thread run back to back (in
#     alternating order when repeated) and their ratio is taken pair by pair.
#  2. ratios: ragops / tesseract on 1 thread (target < 1.10), all cores /
#     1 thread for each engine (ragops target <= 0.55), and ragops with its
#     pages read in worker processes (ingest.isolate, the default) / in the
#     run's own process (ingest.isolate=false), 1 thread (target <= 1.10).
#  3. character error rate against samples/groundtruth: ragops (`ragops ocr
#     show --plain`), tesseract (its .txt), ocrmypdf (pdftotext -raw of its
#     PDF);
#     raw and normalised (bench/ocr_report.py describes the variants).
#
# Input: tests/fixtures/ocr/scan-10-pages.pdf when it exists (its pages are
# listed in tests/fixtures/make_ocr.sh), else one built here from the pages of
# samples/corpus/scans/*.pdf (8 pages, taken as they are with pdfunite) plus
# the two JPEG page images of samples/corpus/images (wrapped losslessly with
# img2pdf).  Each page is mapped back to its ground truth (make_ocr.sh's list,
# the built list, BENCH_OCR_MAP, or else inferred from the text) and the
# mapping is checked against the OCR text.  Every timed ragops run must
# report ocr.cached = 0 (pages repeated inside the PDF included).
#
# Prints a table and writes bench/out/ocr.json.  Works in a mktemp -d folder,
# removed on exit.  OCR is slow: every configuration runs up to 3 times, as
# the time budget allows.  The machine may be shared: each timed run records
# the CPU seconds other jobs used meanwhile (/proc/stat), and the figures are
# medians of the quiet runs (of all runs, flagged noisy, when none was quiet).
#
# Knobs (environment): BENCH_OCR_RUNS (3: runs of each configuration, at
# most), BENCH_OCR_BUDGET_S (300: no further run is started when it would
# end past this many seconds), BENCH_OCR_INPUT (fixture; samples: build the
# PDF from the samples even when the fixture exists: grey JPEG pages as
# scanned, where the fixture's are bilevel), BENCH_OCR_PDF (another scan),
# BENCH_OCR_MAP ("scans/a.pdf:1,scans/a.pdf:2,..." ground truth of each
# page, relative to samples/groundtruth), BENCH_OCR_LANGS (fra+eng),
# BENCH_OCR_DPI (300), BENCH_OCR_JOBS (nproc), BENCH_OCR_OCRMYPDF (1; 0
# skips ocrmypdf), BENCH_STRICT=1: exit 1 when a target is missed,
# BENCH_KEEP=1: keep the work folder (texts, timings) for inspection.
set -Eeuo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPS=${BENCH_OCR_RUNS:-3}
BUDGET_S=${BENCH_OCR_BUDGET_S:-300}
LANGS=${BENCH_OCR_LANGS:-fra+eng}
DPI=${BENCH_OCR_DPI:-300}
JOBS=${BENCH_OCR_JOBS:-$(nproc)}
WITH_OCRMYPDF=${BENCH_OCR_OCRMYPDF:-1}
INPUT=${BENCH_OCR_INPUT:-fixture}
[[ $INPUT == fixture || $INPUT == samples ]] || die "BENCH_OCR_INPUT must be 'fixture' or 'samples'"
FIXTURE=$ROOT/tests/fixtures/ocr/scan-10-pages.pdf
MAKE_OCR=$ROOT/tests/fixtures/make_ocr.sh
SCANS=$ROOT/samples/corpus/scans
IMAGES=$ROOT/samples/corpus/images
GT=$ROOT/samples/groundtruth
OUT=$HERE/out
PY=/usr/bin/python3
REPORT=$HERE/ocr_report.py
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "BENCH_OCR_RUNS must be a positive integer"
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "BENCH_OCR_JOBS must be a positive integer"

# --- tools ---------------------------------------------------------------
[[ -x $PY ]] || die "$PY is needed (standard library only)"
for t in pdftoppm pdftotext pdfinfo pdfunite tesseract xargs sha256sum; do
	command -v "$t" >/dev/null || die "'$t' is missing (Debian: apt-get install poppler-utils tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng)"
done
for l in ${LANGS//+/ }; do
	tesseract --list-langs 2>/dev/null | grep -qx "$l" || die "tesseract has no '$l' language data (Debian: apt-get install tesseract-ocr-$l)"
done
if [[ $WITH_OCRMYPDF == 1 ]] && ! command -v ocrmypdf >/dev/null; then
	WITH_OCRMYPDF=0; say "ocrmypdf not found (Debian: apt-get install ocrmypdf): skipping it"
fi
HELP=$("$BIN" help 2>&1 || true)
grep -Eq '^[[:space:]]+ocr([[:space:]]|$)' <<<"$HELP" \
	|| die "'$BIN help' lists no 'ocr' command: this ragops has no OCR yet"
$PY "$REPORT" selftest >/dev/null || die "bench/ocr_report.py selftest failed"

# --- work folder; no user configuration may leak in ------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/ragops-ocr-bench.XXXXXX")
cleanup() { cd /; if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $W"; else rm -rf "$W"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
while read -r v; do unset "$v"; done < <(compgen -e | grep '^RAGOPS_' || true)
# OpenMP settings would change libtesseract's threading for some engines only
OMP_CLEARED=$(compgen -e | grep -E '^(OMP_|GOMP_)' | tr '\n' ' ' || true)
while read -r v; do [[ -n $v ]] && unset "$v"; done < <(compgen -e | grep -E '^(OMP_|GOMP_)' || true)
bench_workdir "$W"
mkdir -p "$W/res/time" "$W/res/text" "$W/inbox" "$W/png" "$W/tmp" "$OUT"
T_START=$(date +%s.%N)
elapsed() { $PY -c "import sys,time; print(round(time.time()-float(sys.argv[1]),1))" "$T_START"; }
fact loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# jget FILE KEY.PATH -> value of a JSON field
jget() { $PY -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }

# timed NAME CMD [LOG...]: run CMD (bash -c) under the meter ->
# res/time/NAME.json; on failure show the LOG files and stop
timed() {
	local name=$1 cmd=$2 rc=0
	$PY "$REPORT" time "$W/res/time/$name.json" "$cmd" || rc=$?
	if ((rc != 0)); then
		shift 2
		(($#)) && tail -n 20 "$@" >&2
		die "$name: command exited $rc: $cmd"
	fi
}

# --- the scanned PDF ---------------------------------------------------------
MAP=$W/res/map.tsv
if [[ -n ${BENCH_OCR_PDF:-} ]]; then
	[[ -f $BENCH_OCR_PDF ]] || die "BENCH_OCR_PDF '$BENCH_OCR_PDF' not found"
	SRC_PDF=$(cd "$(dirname "$BENCH_OCR_PDF")" && pwd)/$(basename "$BENCH_OCR_PDF")
	INPUT_SOURCE="BENCH_OCR_PDF"
elif [[ $INPUT == fixture && -f $FIXTURE ]]; then
	SRC_PDF=$FIXTURE
	INPUT_SOURCE="fixture"
	# which sample page each fixture page is: PAGES=(...) of make_ocr.sh, then
	# the pages it appends again (TIFS+=(... page-K.tif ...)); checked below
	if [[ -f $MAKE_OCR ]]; then
		$PY - "$MAKE_OCR" >"$MAP" 2>/dev/null <<-'EOF' || : >"$MAP"
		import re, sys
		s = open(sys.argv[1], encoding="utf-8").read()
		m = re.search(r"^PAGES=\((.*?)^\)", s, re.S | re.M)
		pages = re.findall(r"([\w.-]+):(\d+)", m.group(1)) if m else []
		again = re.search(r"^TIFS\+=\((.*?)\)", s, re.M)
		seq = pages + [pages[int(k) - 1] for k in re.findall(r"page-(\d+)\.tif", again.group(1))] if again else pages
		for n, (doc, p) in enumerate(seq, 1):
		    print("%d\tscans/%s.pdf.page-%s.txt" % (n, doc, p))
		EOF
	fi
else
	[[ $INPUT == samples ]] || say "$FIXTURE not found: building a 10-page scan from samples/corpus"
	command -v img2pdf >/dev/null || die "'img2pdf' is missing (Debian: apt-get install img2pdf)"
	mkdir -p "$W/build"
	scans=("$SCANS"/*.pdf)
	[[ -e ${scans[0]} ]] || die "no scanned PDFs in $SCANS"
	: >"$MAP"
	n=0
	for s in "${scans[@]}"; do
		np=$(pdfinfo "$s" | awk '/^Pages:/{print $2}')
		for p in $(seq 1 "$np"); do n=$((n + 1)); printf '%d\tscans/%s.page-%d.txt\n' "$n" "$(basename "$s")" "$p" >>"$MAP"; done
	done
	# the page images with the scans' degradation (JPEG q72, mottle, grain)
	extra=("$IMAGES/eclairage-portrait.jpg" "$IMAGES/sensor-cleaning.jpg")
	for x in "${extra[@]}"; do
		[[ -f $x ]] || die "$x not found"
		n=$((n + 1)); printf '%d\timages/%s.page-1.txt\n' "$n" "$(basename "$x")" >>"$MAP"
	done
	((n == 10)) || die "samples give $n pages, expected 10 (8 scanned pages + 2 JPEG pages)"
	img2pdf --engine internal --nodate "${extra[@]}" -o "$W/build/images.pdf" 2>/dev/null \
		|| img2pdf "${extra[@]}" -o "$W/build/images.pdf"
	pdfunite "${scans[@]}" "$W/build/images.pdf" "$W/build/scan-10-pages.pdf"
	SRC_PDF=$W/build/scan-10-pages.pdf
	INPUT_SOURCE="built here from samples/corpus: scans/*.pdf (8 pages), images/eclairage-portrait.jpg, images/sensor-cleaning.jpg"
fi
DOC=$(basename "$SRC_PDF")
cp "$SRC_PDF" "$W/inbox/$DOC"
PDF=$W/inbox/$DOC
PAGES=$(pdfinfo "$PDF" | awk '/^Pages:/{print $2}')
[[ $PAGES =~ ^[0-9]+$ ]] && ((PAGES > 0)) || die "pdfinfo cannot read $SRC_PDF"
((PAGES == 10)) || say "warning: $DOC has $PAGES pages, not 10"
TEXT_CHARS=$(pdftotext -q "$PDF" - | tr -d '[:space:]' | wc -c)
((TEXT_CHARS == 0)) || die "$DOC has a text layer ($TEXT_CHARS characters): not a scan"
case $SRC_PDF in "$ROOT"/*) INPUT_LABEL=${SRC_PDF#"$ROOT"/} ;; *) INPUT_LABEL=$SRC_PDF ;; esac
[[ $INPUT_SOURCE == built* ]] && INPUT_LABEL=$DOC
if [[ -n ${BENCH_OCR_MAP:-} ]]; then
	: >"$MAP"; n=0
	IFS=',' read -ra m <<<"$BENCH_OCR_MAP"
	for e in "${m[@]}"; do
		n=$((n + 1)); printf '%d\t%s.page-%s.txt\n' "$n" "${e%:*}" "${e##*:}" >>"$MAP"
	done
	((n == PAGES)) || die "BENCH_OCR_MAP names $n pages, $DOC has $PAGES"
	MAP_SOURCE="BENCH_OCR_MAP"
elif [[ -s $MAP && $(wc -l <"$MAP") != "$PAGES" ]]; then
	say "warning: $MAKE_OCR names $(wc -l <"$MAP") pages, $DOC has $PAGES: inferring each page's source from its text"
	: >"$MAP"; MAP_SOURCE="inferred from tesseract's text"
elif [[ -s $MAP ]]; then
	if [[ $INPUT_SOURCE == fixture ]]; then MAP_SOURCE="tests/fixtures/make_ocr.sh"; else MAP_SOURCE="declared (built here)"; fi
else
	MAP_SOURCE="inferred from tesseract's text"
fi
fact pages "$PAGES"; fact input_label "$INPUT_LABEL"; fact input_source "$INPUT_SOURCE"
fact input_sha256 "$(sha256sum <"$PDF" | cut -c1-16)"

# --- page images for the tesseract CLI, rendered once (not timed against it)
# pdftoppm -gray -png writes RGB PNGs (poppler 22), which cost tesseract ~20 %
# more time than grey ones: render grey PGM, store it as an 8-bit grey PNG
say "rendering $PAGES pages with pdftoppm -r $DPI -gray, as grey PNG ($JOBS at a time)"
timed render-png "seq -f %02g 1 $PAGES | xargs -P $JOBS -I{} sh -c 'pdftoppm -r $DPI -gray -f \$1 -l \$1 -singlefile \"$PDF\" \"$W/tmp/page-\$1\" && $PY \"$REPORT\" pgm2png \"$W/tmp/page-\$1.pgm\" \"$W/png/page-\$1.png\" $DPI && rm -f \"$W/tmp/page-\$1.pgm\"' _ {}"
timed render-pgm "pdftoppm -r $DPI -gray '$PDF' '$W/tmp/p' && rm -f '$W'/tmp/p*"
[[ $(find "$W/png" -name 'page-*.png' | wc -l) == "$PAGES" ]] || die "pdftoppm did not render $PAGES pages"
find "$W/png" -name 'page-*.png' -print0 | sort -z >"$W/png.lst"
# pages whose image is identical to an earlier page's ("9=4": page 9 repeats
# page 4).  ragops caches each page's OCR by image hash as soon as it is done,
# so inside one run it may reuse the earlier page's result: a fresh run may
# report up to that many ocr.cached pages, and no more.
REPEATED=$(xargs -0 sha256sum <"$W/png.lst" | awk '{p=substr($2, length($2)-5, 2)+0; if ($1 in first) out = out (out ? ", " : "") p "=" first[$1]; else first[$1] = p} END {print out ? out : "none"}')
NREPEATED=$(grep -o '=' <<<"$REPEATED" | wc -l || true)
fact repeated_pages "$REPEATED"
# warm the page cache: the language models are read by every engine
for l in ${LANGS//+/ }; do cat "$(tesseract --list-langs 2>&1 | sed -n '1s/.*"\(.*\)".*/\1/p')/$l.traineddata" >/dev/null 2>&1 || true; done
OMP_THREAD_LIMIT=1 tesseract "$W/png/page-01.png" "$W/tmp/warm" -l "$LANGS" 2>/dev/null || die "tesseract -l $LANGS fails on page 1"
# ocrmypdf 14 keeps the languages in a Python set: it asks tesseract for
# fra+eng or eng+fra at random (hash randomisation), and eng+fra reads French
# worse.  Pin PYTHONHASHSEED to a seed that gives the order asked for, and
# check it on page 1 (which also warms ocrmypdf up).
OCRMYPDF_ENV=
if [[ $WITH_OCRMYPDF == 1 ]]; then
	for seed in $(seq 0 99); do
		got=$(PYTHONHASHSEED=$seed $PY -c 'import sys; print("+".join(set(sys.argv[1].split("+"))))' "$LANGS")
		if [[ $got == "$LANGS" ]]; then OCRMYPDF_ENV="PYTHONHASHSEED=$seed"; break; fi
	done
	[[ -n $OCRMYPDF_ENV ]] || say "warning: no PYTHONHASHSEED makes ocrmypdf ask for $LANGS in that order"
	pdfseparate -f 1 -l 1 "$PDF" "$W/tmp/one.pdf"
	got=$(env $OCRMYPDF_ENV TMPDIR="$W/tmp" ocrmypdf -v 1 -l "$LANGS" --jobs 1 --output-type pdf --optimize 0 \
		--skip-text "$W/tmp/one.pdf" "$W/tmp/one-ocr.pdf" 2>&1 | grep -o "'-l', '[^']*'" | head -n 1 || true)
	[[ $got == "'-l', '$LANGS'" ]] || say "warning: ocrmypdf runs tesseract with ${got:-unknown languages}, not -l $LANGS"
	rm -f "$W/tmp/one.pdf" "$W/tmp/one-ocr.pdf"
fi

# --- the engines -----------------------------------------------------------
# run_ragops CFG THREADS K [OPTION...]: fresh data folder, `ragops run`, check the outcome
run_ragops() {
	local cfg=$1 threads=$2 k=$3 d=$W/d-$1-$3 out=$W/res/$1-$3.out
	shift 3
	rm -rf "$d"
	timed "$cfg-$k" "'$BIN' --data '$d' $* -c ocr.threads=$threads -c ocr.languages=$LANGS -c ocr.dpi=$DPI run --inbox '$W/inbox' --json >'$out' 2>'$W/res/$cfg-$k.err'" \
		"$out" "$W/res/$cfg-$k.err"
	local m; m=$(jget "$out" metrics)
	cp "$m" "$W/res/$cfg-$k.metrics.json"
	$PY - "$out" "$W/res/$cfg-$k.metrics.json" "$PAGES" "$NREPEATED" <<-'EOF' || { cat "$out" "$W/res/$cfg-$k.err" >&2; die "$cfg run $k: unexpected outcome"; }
	import json, sys
	run, met, pages, repeated = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3]), int(sys.argv[4])
	errs = []
	if run.get("state") != "completed": errs.append("state %s" % run.get("state"))
	d = run.get("documents", {})
	if d.get("new") != 1 or d.get("failed") != 0: errs.append("documents %s" % d)
	o = met.get("ocr")
	if not isinstance(o, dict): errs.append("no 'ocr' object in the run metrics")
	else:
	    if o.get("pages") != pages: errs.append("ocr.pages %s, expected %d" % (o.get("pages"), pages))
	    if o.get("failed"): errs.append("ocr.failed %s" % o.get("failed"))
	    if (o.get("cached") or 0) > repeated:
	        errs.append("ocr.cached %s in a fresh data folder, and only %d page(s) repeat an earlier one:"
	                    " results come from elsewhere, the timing would not be OCR" % (o.get("cached"), repeated))
	for e in errs: print("bench: error: " + e, file=sys.stderr)
	sys.exit(1 if errs else 0)
	EOF
}
# ragops_text CFG K: the OCR text of every page, as `ragops ocr show` gives it
ragops_text() {
	local cfg=$1 k=$2 d=$W/d-$1-$2 t=$W/res/text/$1 p
	mkdir -p "$t"
	for p in $(seq 1 "$PAGES"); do
		"$BIN" --data "$d" ocr show "$DOC" --page "$p" --plain >"$t/page-$(printf %02d "$p").txt" \
			|| die "'ragops ocr show $DOC --page $p --plain' failed"
	done
}
run_tess_1() {
	local cfg=tesseract-1 k=$1 o=$W/out-tesseract-1-$1
	rm -rf "$o"; mkdir -p "$o"
	# per page seconds too (res/time/tesseract-1-K.pages: name start end), to
	# leave out the repeated pages ragops took from its cache
	timed "$cfg-$k" "while IFS= read -r -d '' f; do t0=\$EPOCHREALTIME; OMP_THREAD_LIMIT=1 tesseract \"\$f\" '$o/'\"\$(basename \"\$f\" .png)\" -l $LANGS 2>>'$W/res/tesseract.err' || exit 1; echo \"\$(basename \"\$f\" .png) \$t0 \$EPOCHREALTIME\" >>'$W/res/time/$cfg-$k.pages'; done <'$W/png.lst'" "$W/res/tesseract.err"
}
run_tess_all() {
	local cfg=tesseract-all k=$1 o=$W/out-tesseract-all-$1
	rm -rf "$o"; mkdir -p "$o"
	timed "$cfg-$k" "xargs -0 -P $JOBS -n 1 sh -c 'OMP_THREAD_LIMIT=1 exec tesseract \"\$1\" \"$o/\$(basename \"\$1\" .png)\" -l $LANGS 2>>\"$W/res/tesseract.err\"' _ <'$W/png.lst'" "$W/res/tesseract.err"
}
OCRMYPDF_MODE=--skip-text
run_ocrmypdf() {
	local cfg=$1 jobs=$2 k=$3 o=$W/out-$1-$3.pdf
	rm -f "$o"
	timed "$cfg-$k" "$OCRMYPDF_ENV TMPDIR='$W/tmp' ocrmypdf -q -l $LANGS --jobs $jobs --output-type pdf --optimize 0 $OCRMYPDF_MODE '$PDF' '$o' 2>>'$W/res/ocrmypdf.err'" "$W/res/ocrmypdf.err"
}
# copy_texts DIR CFG: tesseract's .txt files -> res/text/CFG/page-NN.txt
copy_texts() {
	mkdir -p "$W/res/text/$2"
	for f in "$1"/page-*.txt; do cp "$f" "$W/res/text/$2/"; done
}
# pdf_texts PDF CFG [MODE]: pdftotext of each page -> res/text/CFG/page-NN.txt;
# -raw keeps the text layer's order (tesseract's reading order): the default
# mode re-sorts ocrmypdf's invisible words and cuts some in two
pdf_texts() {
	local p; mkdir -p "$W/res/text/$2"
	for p in $(seq 1 "$PAGES"); do pdftotext -q ${3:--raw} -f "$p" -l "$p" "$1" "$W/res/text/$2/page-$(printf %02d "$p").txt"; done
}

# one repetition of every configuration; ragops 1 thread and tesseract 1
# thread back to back, in alternating order
rep() {
	local k=$1
	if ((k % 2)); then
		say "run $k: ragops, 1 thread";          run_ragops ragops-1 1 "$k"
		say "run $k: tesseract CLI, 1 thread";   run_tess_1 "$k"
	else
		say "run $k: tesseract CLI, 1 thread";   run_tess_1 "$k"
		say "run $k: ragops, 1 thread";          run_ragops ragops-1 1 "$k"
	fi
	# pages read in the run's own process: what isolating them costs
	say "run $k: ragops in-process, 1 thread";   run_ragops ragops-inproc-1 1 "$k" -c ingest.isolate=false
	say "run $k: ragops, all cores";             run_ragops ragops-all 0 "$k"
	say "run $k: tesseract CLI, $JOBS at a time"; run_tess_all "$k"
	if [[ $WITH_OCRMYPDF == 1 ]]; then
		say "run $k: ocrmypdf --jobs 1";          run_ocrmypdf ocrmypdf-1 1 "$k"
		if ((k == 1)); then
			pdf_texts "$W/out-ocrmypdf-1-1.pdf" ocrmypdf-1
			if [[ $(cat "$W"/res/text/ocrmypdf-1/*.txt | tr -d '[:space:]' | wc -c) == 0 ]]; then
				say "ocrmypdf --skip-text added no text: timing again with --force-ocr"
				OCRMYPDF_MODE=--force-ocr
				run_ocrmypdf ocrmypdf-1 1 "$k"
				pdf_texts "$W/out-ocrmypdf-1-1.pdf" ocrmypdf-1
			fi
			pdf_texts "$W/out-ocrmypdf-1-1.pdf" ocrmypdf-1-pdftotext-default -nopgbrk
		fi
		say "run $k: ocrmypdf --jobs $JOBS";     run_ocrmypdf ocrmypdf-all "$JOBS" "$k"
	fi
	if ((k == 1)); then
		ragops_text ragops-1 1; ragops_text ragops-all 1
		copy_texts "$W/out-tesseract-1-1" tesseract-1; copy_texts "$W/out-tesseract-all-1" tesseract-all
		if [[ $WITH_OCRMYPDF == 1 ]]; then pdf_texts "$W/out-ocrmypdf-all-1.pdf" ocrmypdf-all; fi
	fi
	rm -rf "$W/d-ragops-1-$k" "$W/d-ragops-inproc-1-$k" "$W/d-ragops-all-$k" "$W"/out-*-"$k".pdf
}

done_reps=0
for k in $(seq 1 "$REPS"); do
	t0=$(date +%s)
	rep "$k"
	done_reps=$k
	if ((k == 1)); then
		# ground truth of every page: declared or inferred, and checked either way
		if [[ -s $MAP ]]; then
			$PY "$REPORT" match "$W/res/text/tesseract-1" "$GT" "$MAP.checked" --expect "$MAP" \
				|| die "the declared page sources ($MAP_SOURCE) do not match the OCR text"
		else
			$PY "$REPORT" match "$W/res/text/tesseract-1" "$GT" "$MAP" \
				|| say "warning: some pages have no clear ground truth (set BENCH_OCR_MAP)"
		fi
	fi
	t_rep=$(($(date +%s) - t0))
	if ((k < REPS)); then
		e=$(elapsed)
		if $PY -c "import sys; sys.exit(0 if float(sys.argv[1]) + float(sys.argv[2]) > float(sys.argv[3]) else 1)" "$e" "$t_rep" "$BUDGET_S"; then
			say "one more run would end after ${BUDGET_S} s (one run takes ${t_rep} s): stopping at $k"
			break
		fi
	fi
done

# --- report ----------------------------------------------------------------
fact reps "$done_reps"; fact langs "$LANGS"; fact dpi "$DPI"; fact jobs "$JOBS"
fact ocrmypdf_env "${OCRMYPDF_ENV:-none}"; fact map_source "$MAP_SOURCE"; fact ocrmypdf_mode "$([[ $WITH_OCRMYPDF == 1 ]] && echo "$OCRMYPDF_MODE" || echo skipped)"
fact target_ratio 1.10; fact target_parallel 0.55
machine_facts
fact tesseract_version "$(tesseract --version 2>&1 | sed -n 1p)"
fact ocrmypdf_version "$([[ $WITH_OCRMYPDF == 1 ]] && ocrmypdf --version 2>&1 | sed -n 1p || echo none)"
fact poppler_version "$(pdftoppm -v 2>&1 | sed -n 1p)"
fact omp_env_cleared "${OMP_CLEARED:-none}"
fact elapsed_s "$(elapsed)"
$PY "$REPORT" report "$W/res" "$GT" "$OUT/ocr.json"

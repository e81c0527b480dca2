#!/usr/bin/env bash
# OCR runs in worker processes too (issue 13): MuPDF rendering a scanned
# page, Leptonica decoding an image and Tesseract recognising it read bytes
# anyone can drop in the inbox.  A crash, an abort, an out-of-memory or an
# endless loop while loading or recognising a page fails that page (and
# its document when nothing else is left to read) with the reason; the
# other pages are read by a fresh worker and the run goes on.
# RAGOPS_PARSER_FAULT=kind@point:name misbehaves at one point of the work
# ("page": loading the image, "recognise": Tesseract) on chosen files.
. "$(dirname "$0")/lib.sh"
d=$(new_data ocriso)
in="$scratch/in"
sample_inbox "$in" images/fiche-autofocus.png images/fiche-histogramme.png images/sensor-cleaning.jpg \
	images/eclairage-portrait.jpg scans/macro-handout.pdf scans/formats-de-capteurs.pdf

export RAGOPS_PARSER_FAULT="segv@page:fiche-autofocus,abort@recognise:fiche-histogramme,loop@page:sensor-cleaning,oom@page:macro-handout"
# Under ASan an allocation over the ceiling returns NULL (as in a normal build) instead of aborting.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:allocator_may_return_null=1" \
	rg "$d" -c validate.golden= -c ingest.parser_timeout=2 \
	-c ingest.parser_memory=512M -c ocr.threads=2 run --inbox "$in" >"$scratch/out" 2>"$scratch/err"
equals "the run completes with failures: exit 1" "$?" "1"
unset RAGOPS_PARSER_FAULT
tasks=$(rg "$d" runs show 1 --json --state failed)
failed_of() { jq_py "$tasks" "' | '.join(t['stage'] + ': ' + t['error'] for t in j['tasks'] if t['document'].endswith('$1'))"; }
contains "a crash loading a page image fails it" "$(failed_of fiche-autofocus.png)" \
	"ocr: OCR failed on every page: page 1: the parser crashed on this file (SIGSEGV: Segmentation fault)"
contains "an abort in recognition fails it" "$(failed_of fiche-histogramme.png)" \
	"ocr: OCR failed on every page: page 1: the parser crashed on this file (SIGABRT: Aborted)"
contains "an endless loop decoding an image is stopped by the CPU limit" "$(failed_of sensor-cleaning.jpg)" \
	"the parser used more than ingest.parser_timeout (2 s) of CPU and was stopped"
contains "running out of memory rendering a scan fails it" "$(failed_of macro-handout.pdf)" \
	"the parser ran out of memory (over ingest.parser_memory, 512.0 MB)"
equals "exactly these four fail" "$(jq_py "$tasks" 'len(set(t["document"] for t in j["tasks"]))')" "4"
contains "the scan after them is read and indexed" "$(rg "$d" search capteur)" "formats-de-capteurs.pdf"
contains "and the other image" "$(rg "$d" search portrait)" "eclairage-portrait.jpg"
pages=$(sql "$d" "SELECT count(*) FROM pages p JOIN documents d ON d.id = p.doc_id WHERE d.relpath = 'formats-de-capteurs.pdf' AND p.method = 'ocr'")
equals "both pages of that scan were recognised" "$pages" "2"
contains "stderr names the file and the reason" "$(cat "$scratch/err")" \
	"fiche-autofocus.png: ocr: page 1: the parser crashed on this file (SIGSEGV"
check "no core file is left behind" test -z "$(find "$scratch" "$TOP" -maxdepth 2 -name 'core*' -newer "$in/fiche-autofocus.png" -type f)"
equals "no OCR worker outlives the run" "$(orphan_workers | wc -l)" "0"

# The next run, with parsers that behave, reads what failed.
rg "$d" -c validate.golden= run --inbox "$in" >"$scratch/out" 2>"$scratch/err"
rc=$?; [[ $rc -eq 0 ]] && ok "the next run completes: exit 0" || not_ok "the next run completes (exit $rc)" "$(cat "$scratch/out" "$scratch/err")"
contains "it indexes the pages that failed" "$(rg "$d" search autofocus)" "fiche-autofocus.png"
contains "and reports four changed" "$(cat "$scratch/out")" "4 changed"

# In the run's own process (ingest.isolate=false) the same text comes out.
d2=$(new_data inproc)
rg "$d2" -c validate.golden= -c ingest.isolate=false run --inbox "$in" >/dev/null 2>&1
chunks() { sql "$1" "SELECT d.relpath, c.seq, c.page_start, c.char_start, c.char_end, c.heading, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id AND c.version_id = d.version_id ORDER BY 1, 2" | sha256sum; }
equals "isolated and in-process OCR give the same chunks" "$(chunks "$d")" "$(chunks "$d2")"

finish

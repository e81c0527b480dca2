#!/usr/bin/env bash
# A folder of hostile files: each fails alone with a clear reason; the good ones are indexed.
. "$(dirname "$0")/lib.sh"
d=$(new_data bad)
inbox="$TOP/tests/fixtures/bad"

rg "$d" -c collect.max_pages=500 -c collect.max_file_size=100K run --inbox "$inbox" \
	>"$scratch/out" 2>"$scratch/err"
rc=$?
equals "completed with failures: exit 1" "$rc" "1"
err=$(cat "$scratch/err")
tasks=$(rg "$d" runs show 1 --json --state failed)
failed_of() { jq_py "$tasks" "' | '.join(t['stage'] + ': ' + t['error'] for t in j['tasks'] if t['document'] == '$1')"; }
contains "empty PDF" "$(failed_of empty.pdf)" "extract: the file is empty"
contains "empty text" "$(failed_of empty.txt)" "extract: the file is empty"
contains "truncated PDF" "$(failed_of truncated.pdf)" "extract: cannot read the PDF"
contains "corrupt PDF" "$(failed_of corrupt.pdf)" "extract: the PDF is damaged"
contains "encrypted PDF" "$(failed_of encrypted.pdf)" "extract: the PDF is encrypted: a password is required"
contains "too many pages" "$(failed_of many-pages.pdf)" "has 2000 pages, over collect.max_pages (500)"
contains "binary junk named .txt" "$(failed_of junk.txt)" "binary data"
contains "truncated PNG" "$(failed_of truncated.png)" "ocr: OCR failed on every page: page 1: the image data is truncated or corrupt"
contains "a drawing with no text" "$(failed_of no-text-layer.pdf)" "chunk: no text found"
contains "oversized file" "$(failed_of big.txt)" "collect: the file is 300.1 KB, over collect.max_file_size"
contains "whitespace only" "$(failed_of only-whitespace.md)" "chunk: no text found"
equals "exactly these eleven fail" "$(jq_py "$tasks" 'len(set(t["document"] for t in j["tasks"]))')" "11"
contains "failures reach stderr with file and stage" "$err" "encrypted.pdf: extract:"
check "failures reach the log" grep -q '"level":"error","run":1,"doc":"corrupt.pdf","stage":"extract"' "$d/logs/pipeline.log"
m=$(cat "$d/metrics/run-1.json")
equals "metrics list the failures" "$(jq_py "$m" 'len(j["failures"])')" "11"

out=$(rg "$d" search diaphragme)
contains "the good document is indexed" "$out" "ok.txt"
out=$(rg "$d" search révélateur)
contains "Windows-1252 text is decoded" "$out" "latin1.txt"
contains "a warning says so" "$err" "latin1.txt: extract: not UTF-8: decoded as Windows-1252"
out=$(rg "$d" search obturation)
contains "damaged UTF-8 is repaired, not refused" "$out" "broken-utf8.txt"
out=$(sql "$d" "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.relpath = 'broken-utf8.txt' AND c.text LIKE '%' || char(65533) || '%'")
check "invalid bytes became U+FFFD" test "$out" -ge 1
out=$(rg "$d" search sténopé)
contains "a text file named .png is read as text" "$out" "fake.png"
skip=$(new_data skip)
mkdir "$scratch/one" && cp "$inbox/no-text-layer.pdf" "$scratch/one/"
expect_exit 0 "with ocr.mode=skip a page without text layer is not a failure" \
	"$RAGOPS" --data "$skip" -c ocr.mode=skip run --inbox "$scratch/one"
equals "it waits for OCR" "$(sql "$skip" "SELECT status || ' ' || pages_needing_ocr FROM documents")" "needs_ocr 1"
out=$(sql "$d" "SELECT count(*) FROM documents WHERE relpath LIKE '%.tmp' OR relpath LIKE '%~' OR relpath LIKE '.%'")
equals "hidden and temporary files are skipped" "$out" "0"

rg "$d" -c collect.max_pages=500 -c collect.max_file_size=100K run >/dev/null 2>&1
equals "failed documents are retried, still exit 1" "$?" "1"
out=$(sql "$d" "SELECT count(*) FROM documents WHERE status = 'failed'")
equals "still eleven failed documents, no duplicates" "$out" "11"
finish

#!/usr/bin/env bash
# slow
# OCR: scanned PDFs and page images become text close to what was printed;
# quality is recorded and reported; hostile pages fail alone; nothing is
# OCR'd twice.
. "$(dirname "$0")/lib.sh"
d=$(new_data ocr)
inbox="$scratch/inbox"
mkdir -p "$inbox"
cp -r "$TOP/samples/corpus/scans" "$TOP/samples/corpus/images" "$inbox/"
truth="$TOP/samples/groundtruth"
npages=$(find "$truth" -name '*.page-*.txt' | wc -l)

rg "$d" run --inbox "$inbox" --json >"$scratch/run1.json" 2>"$scratch/err"
equals "scans and images ingest cleanly" "$?" "0"
m=$(cat "$d/metrics/run-1.json")
equals "every page is OCR'd" "$(jq_py "$m" 'j["ocr"]["pages"]')" "$npages"
equals "and none is weak or failed" "$(jq_py "$m" 'j["ocr"]["flagged"] + j["ocr"]["failed"]')" "0"
j=$(rg "$d" runs show 1 --json)
equals "runs show: the method of every document" \
	"$(jq_py "$j" 'sorted(set(d["method"] for d in j["per_document"]))')" "['OCR']"
check "runs show: each document's mean confidence" \
	python3 -c "import json,sys; sys.exit(not all(80 < d['mean_confidence'] <= 100 for d in json.loads(sys.argv[1])['per_document']))" "$j"

# Character error rate of every page against the text it was printed from.
worst=0 total=0
for ref in $(cd "$truth" && find . -name '*.page-*.txt' | sort); do
	doc=${ref#./}; doc=${doc%.page-*.txt}; page=${ref##*.page-}; page=${page%.txt}
	rg "$d" ocr show "$doc" --page "$page" --plain >"$scratch/hyp.txt"
	c=$(python3 "$TOP/scripts/cer.py" "$scratch/hyp.txt" "$truth/$ref")
	echo "# CER $doc p.$page: $c"
	total=$(awk -v a="$total" -v b="$c" 'BEGIN { print a + b }')
	worst=$(awk -v a="$worst" -v b="$c" 'BEGIN { print (b > a) ? b : a }')
done
mean=$(awk -v t="$total" -v n="$npages" 'BEGIN { printf "%.4f", t / n }')
echo "# mean CER $mean, worst $worst"
check "mean character error rate under 3% ($mean)" awk -v m="$mean" 'BEGIN { exit !(m < 0.03) }'
check "every page under 5% ($worst)" awk -v m="$worst" 'BEGIN { exit !(m < 0.05) }'

out=$(rg "$d" ocr report)
contains "report: success rate" "$out" "success rate  100.0%"
contains "report: histogram" "$out" "confidence histogram"
contains "report: worst pages" "$out" "worst pages"
contains "report: languages" "$out" "by language"
j=$(rg "$d" ocr report --json)
equals "report --json counts pages" "$(jq_py "$j" 'j["pages"]')" "$npages"
equals "report --json histogram sums to the pages" "$(jq_py "$j" 'sum(j["histogram"])')" "$npages"
out=$(rg "$d" -c ocr.low_word_confidence=99 ocr show scans/macro-handout.pdf --page 1)
contains "show: a header with the page's confidence" "$out" "confidence"
contains "show: unsure words are marked" "$out" "[["
out=$(rg "$d" ocr show scans/macro-handout.pdf --page 1 --plain)
lacks "show --plain: no marks" "$out" "[["
expect_exit 5 "show: a page that was not OCR'd" "$RAGOPS" --data "$d" ocr show scans/macro-handout.pdf --page 9

j=$(rg "$d" -c chunk.target_chars=400 -c chunk.overlap_chars=50 run --json 2>/dev/null)
m=$(cat "$d/metrics/run-2.json")
equals "a new chunk size reprocesses the documents" "$(jq_py "$j" 'j["documents"]["changed"]')" "10"
equals "but every page comes from the OCR cache" "$(jq_py "$m" 'j["ocr"]["cached"]')" "$npages"
equals "so no recognition time is spent" "$(jq_py "$m" 'j["ocr"]["seconds"]')" "0.0"

# Hostile and odd pages.
f=$(new_data fixtures)
fx="$TOP/tests/fixtures/ocr"
mkdir -p "$scratch/fx"
cp "$fx"/*.png "$fx"/*.tif "$fx/bad-ocr-layer.pdf" "$fx/mixed-text-and-scan.pdf" "$scratch/fx/"
rg "$f" run --inbox "$scratch/fx" >/dev/null 2>"$scratch/err"
equals "a page over a limit makes the run complete with failures" "$?" "1"
tasks=$(rg "$f" runs show 1 --json --state failed)
failed_of() { jq_py "$tasks" "' | '.join(t['stage'] + ': ' + t['error'] for t in j['tasks'] if t['document'] == '$1')"; }
contains "huge declared size refused before decoding" "$(failed_of huge-header.png)" "60000 x 60000 pixels, over ocr.max_side"
contains "corrupt TIFF" "$(failed_of corrupt.tif)" "the image data is truncated or corrupt"
contains "blank page: nothing to index" "$(failed_of blank.png)" "no text found"
contains "tiny image: nothing to index" "$(failed_of tiny.png)" "no text found"
recall() {
	rg "$f" ocr show "$1" --page 1 --plain >"$scratch/hyp.txt"
	python3 - "$scratch/hyp.txt" "$2" <<'PY'
import collections, re, sys
words = lambda p: collections.Counter(re.findall(r"\w+", open(p, encoding="utf-8").read().lower()))
hyp, ref = words(sys.argv[1]), words(sys.argv[2])
print(f"{sum((hyp & ref).values()) / sum(ref.values()):.3f}")
PY
}
r=$(recall rotated.png "$fx/rotated.txt")
check "a page turned 90 degrees is read upright (recall $r)" awk -v r="$r" 'BEGIN { exit !(r >= 0.8) }'
r=$(recall upside-down.png "$fx/upside-down.txt")
check "an upside-down page is read upright (recall $r)" awk -v r="$r" 'BEGIN { exit !(r >= 0.8) }'
equals "a garbage invisible text layer is replaced by OCR" \
	"$(sql "$f" "SELECT p.method FROM pages p JOIN documents d ON d.id = p.doc_id WHERE d.relpath = 'bad-ocr-layer.pdf'")" "ocr"
r=$(recall bad-ocr-layer.pdf "$fx/bad-ocr-layer.txt")
check "and its visible text is read (recall $r)" awk -v r="$r" 'BEGIN { exit !(r >= 0.8) }'
equals "text layer and scan in one PDF: page 1 text, page 2 OCR" \
	"$(sql "$f" "SELECT group_concat(method, ',') FROM (SELECT p.method FROM pages p JOIN documents d ON d.id = p.doc_id WHERE d.relpath = 'mixed-text-and-scan.pdf' ORDER BY p.page_no) AS m")" "text,ocr"
contains "the text-layer page is searchable" "$(rg "$f" search posemètre)" "mixed-text-and-scan.pdf"

# Limits and policies, one page each.
one="$scratch/one"
mkdir -p "$one" && cp "$fx/mixed-text-and-scan.pdf" "$one/"
l=$(new_data limits)
rg "$l" -c ocr.max_megapixels=1 run --inbox "$one" >/dev/null 2>"$scratch/err"
equals "a page over ocr.max_megapixels fails: exit 1" "$?" "1"
contains "with the page and the reason" "$(cat "$scratch/err")" "page 2: the page is"
contains "the rest of the document goes on" "$(rg "$l" search posemètre)" "mixed-text-and-scan.pdf"
t=$(new_data timeout)
rg "$t" -c ocr.page_timeout=0.01 -c ocr.threads=1 run --inbox "$one" >/dev/null 2>"$scratch/err"
contains "a page over its time budget fails with the reason" "$(cat "$scratch/err")" "longer than the page budget"
w=$(new_data weak)
j=$(rg "$w" -c ocr.min_confidence=99.9 run --inbox "$one" --json 2>/dev/null)
equals "a release whose OCR pages are mostly weak is refused by the gate" "$(jq_py "$j" 'j["state"]')" "refused"
contains "naming the weak pages" "$(jq_py "$j" 'j["release"]["message"]')" "weak OCR pages: 1 of 1 OCR pages weak"
w=$(new_data weak-allowed)
j=$(rg "$w" -c ocr.min_confidence=99.9 -c validate.max_weak_page_share=1 run --inbox "$one" --json 2>/dev/null)
equals "weak pages are kept, not failures" "$(jq_py "$j" 'j["state"]')" "completed"
equals "their chunks carry the flag" \
	"$(sql "$w" "SELECT count(*) > 0 FROM chunks WHERE low_confidence = 1 AND page_start = 2")" "1"
j=$(rg "$w" runs show 1 --json)
equals "runs show names the weak pages of each document" \
	"$(jq_py "$j" '[(d["document"], d["method"], d["weak_pages"]) for d in j["per_document"]]')" \
	"[('mixed-text-and-scan.pdf', 'text + OCR', '2')]"
contains "and shows them to people" "$(rg "$w" runs show 1)" "weak: 2"
equals "other pages' chunks do not" "$(sql "$w" "SELECT count(*) FROM chunks WHERE low_confidence = 1 AND page_end = 1")" "0"
fo=$(new_data force)
rg "$fo" -c ocr.mode=force run --inbox "$one" >/dev/null 2>&1
equals "ocr.mode=force OCRs text-layer pages too" \
	"$(sql "$fo" "SELECT group_concat(method, ',') FROM (SELECT method FROM pages ORDER BY page_no) AS m")" "ocr,ocr"
finish

#!/usr/bin/env bash
# Cache policies (issue 12): a task's cache key is the input's content
# hash, the stage's settings and the stage's code version, shown in `runs
# show --json`; changing the chunk size re-chunks and re-embeds but does
# not read the scanned page again (OCR keeps its results by page), an OCR
# setting does; --refresh ocr and --no-cache read every page again, and
# are recorded with the run.
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
sample_inbox "$inbox" notes
cp "$TOP/samples/corpus/scans/macro-handout.pdf" "$inbox/"
docs=$(find "$inbox" -type f | wc -l)
d=$(new_data cache)
ocr() { python3 -c "import json; o = json.load(open('$d/metrics/run-$1.json'))['ocr']; print(o['pages'], o['cached'])"; }
# key RUN DOC STAGE: that task's cache key
key() { rg "$d" runs show "$1" --json | jq_py "$(cat)" "[t['cache_key'] for t in j['tasks'] if t['document'] == '$2' and t['stage'] == '$3'][0]"; }

rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "(the scan's page was read by OCR)" "$(ocr 1)" "1 0"
t=$(rg "$d" runs show 1 --json)
equals "runs show --json has the run's timeline: stages in the order they began, each within the run" \
	"$(jq_py "$t" '([s["stage"] for s in j["timeline"]][:1], all(0 <= s["start_ms"] <= s["end_ms"] <= j["duration_s"] * 1000 + 50 for s in j["timeline"]), [s["stage"] for s in j["timeline"]].index("extract") < [s["stage"] for s in j["timeline"]].index("index") < [s["stage"] for s in j["timeline"]].index("publish"))')" \
	"(['extract'], True, True)"
contains "... and runs show draws it" "$(rg "$d" runs show 1)" "timeline ("
j=$(rg "$d" run --json)
equals "unchanged documents are cached" "$(jq_py "$j" 'j["documents"]["unchanged"]')" "$docs"
k1=$(key 1 macro-handout.pdf chunk)
[[ $k1 =~ ^[0-9a-f]{64}$ ]] && ok "runs show --json gives each task its cache key" ||
	not_ok "runs show --json gives each task its cache key" "$k1"
equals "... the same for the cached task of the next run" "$(key 2 macro-handout.pdf chunk)" "$k1"

j=$(rg "$d" -c chunk.target_chars=900 run --json)
equals "a new chunk size: every document done again, a new candidate release" \
	"$(jq_py "$j" '(j["documents"]["changed"], j["release"]["verdict"] in ("promoted", "refused"))')" "($docs, True)"
equals "... but the scanned page is not read again (its OCR result is reused)" "$(ocr 3)" "1 1"
equals "... the extraction key stays (its settings did not change)" \
	"$(key 3 macro-handout.pdf extract)" "$(key 1 macro-handout.pdf extract)"
[[ $(key 3 macro-handout.pdf chunk) != "$k1" ]] && ok "... the chunk key changes" ||
	not_ok "... the chunk key changes"
equals "... and the new chunks are embedded" \
	"$(rg "$d" runs show 3 --json | jq_py "$(cat)" '[t["state"] for t in j["tasks"] if t["stage"] == "embed"]')" \
	"['completed']"

rg "$d" -c chunk.target_chars=900 -c ocr.dpi=200 run >/dev/null 2>&1
equals "an OCR setting (ocr.dpi) reads the page again" "$(ocr 4)" "1 0"
j=$(rg "$d" -c chunk.target_chars=900 -c ocr.dpi=200 run --refresh ocr --json)
equals "--refresh ocr: every document again, the page read again" \
	"$(jq_py "$j" 'j["documents"]["changed"]') $(ocr 5)" "$docs 1 0"
rg "$d" -c chunk.target_chars=900 -c ocr.dpi=200 run --no-cache >/dev/null 2>&1
equals "--no-cache: the same" "$(ocr 6)" "1 0"
equals "... recorded with the run" \
	"$(rg "$d" runs show 6 --json | jq_py "$(cat)" '(j["parameters"].get("no_cache"), j["parameters"].get("refresh"))')" \
	"(True, None)"
j=$(rg "$d" -c chunk.target_chars=900 -c ocr.dpi=200 run --json)
equals "the next run is cached again" "$(jq_py "$j" 'j["documents"]["unchanged"]') $(ocr 7)" "$docs 0 0"
out=$(rg "$d" run --refresh chunks 2>&1)
contains "--refresh with no such stage is refused, naming the stages" "$out" \
	"--refresh takes a stage: extract, ocr, clean, chunk or index, not 'chunks'"
expect_exit 2 "--no-cache and --refresh together are refused" rg "$d" run --no-cache --refresh ocr
finish

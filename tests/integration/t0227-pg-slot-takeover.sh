#!/usr/bin/env bash
# worker.ocr_slots bounds the OCR threads of the whole cluster.  A worker
# stopped (SIGSTOP) just after taking every slot stays stopped past its
# lease; another worker takes the slots and the documents over.  Once the
# first is resumed (SIGCONT) it must not OCR on slots it no longer holds
# (more OCR threads than worker.ocr_slots at once, for results its lost
# claims drop anyway).
# store: both (it starts its own workers)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pg_database "t0227_$$"
before_exit() {
	for p in ${run_pid:-} ${w1:-} ${w2:-}; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}

mkdir -p inbox
cp "$TOP/tests/fixtures/ocr/scan-10-pages.pdf" inbox/a1.pdf
cp "$TOP/tests/fixtures/ocr/mixed-text-and-scan.pdf" inbox/a2.pdf
cp "$TOP/tests/fixtures/ocr/rotated.png" "$TOP/tests/fixtures/ocr/upside-down.png" inbox/
settings=(-c ingest.threads=1 -c ocr.threads=2 -c worker.ocr_slots=2)
queue=(-c worker.lease_seconds=2 -c worker.poll_seconds=0.2)

"$RAGOPS" --data "$scratch/run" --store "$url" "${settings[@]}" "${queue[@]}" -c worker.in_run=false \
	run --inbox inbox >run.out 2>&1 &
run_pid=$!
RAGOPS_STOP_AT=ocr "$RAGOPS" --data "$scratch/w1" --store "$url" "${settings[@]}" "${queue[@]}" \
	worker --id w1 >w1.out 2>&1 &
w1=$!
wait_for 60 stopped "$w1" || not_ok "worker 1 stops (SIGSTOP) as it starts OCR"
equals "worker 1 is stopped holding both OCR slots" \
	"$(work "SELECT count(*) FROM slots WHERE owner LIKE 'w1@%'")" "2"
sleep 3 # past its lease
"$RAGOPS" --data "$scratch/w2" --store "$url" "${settings[@]}" "${queue[@]}" worker --id w2 >w2.out 2>&1 &
w2=$!
w2_slots() { [[ $(work "SELECT count(*) FROM slots WHERE owner LIKE 'w2@%'") == 2 ]]; }
wait_for 60 w2_slots && ok "worker 2 takes both slots over once worker 1's lease ran out" ||
	not_ok "worker 2 takes both slots over" "$(work 'SELECT n, owner FROM slots')"
kill -CONT "$w1"
resumed=$(date +%s)
if wait_for 240 gone "$run_pid"; then
	wait "$run_pid"
	equals "the run completes" "$?" "0"
else
	not_ok "the run completes (hung)"
fi
run_pid=
kill -TERM "$w1" "$w2"
wait "$w1" "$w2"
w1= w2=
# Worker 1 recognising pages after it resumed: OCR threads beyond the cluster's two.
# Pages it recognised in the batch it had begun when it stopped (its first OCR summaries,
# all logged at one time): those less the ones it left unread (failed).  Later batches
# it claims afresh, under slots it takes again, are its to read.
read_by_w1=$(python3 -c '
import json, re, sys
first, n = None, 0
for line in open(sys.argv[1]):
    j = json.loads(line)
    m = re.search(r"(\d+) pages \(.*, (\d+) failed", j["msg"]) if j.get("stage") == "ocr" else None
    if not m:
        continue
    first = first or j["time"]
    n += int(m.group(1)) - int(m.group(2)) if j["time"] == first else 0
print(n)' "$scratch/w1/logs/pipeline.log")
equals "worker 1, resumed without its slots (worker 2 held both), OCRs nothing of its old batch" "$read_by_w1" "0"
check "it says why it reads no more pages" grep -q "lease on its OCR slots ran out" "$scratch/w1/logs/pipeline.log"
equals "no slot is left held" "$(work "SELECT count(*) FROM slots WHERE owner IS NOT NULL")" "0"
finish

#!/usr/bin/env bash
# A document is given up after WORK_MAX_ATTEMPTS (3) attempts "each worker
# that took it died or could not save it".  A scan taken first by an
# `--stages extract` worker is handed over (given back for OCR): that is
# no failed attempt.  Two OCR workers then die on it (SIGKILL as OCR
# starts); the third OCR worker must still get it, and the run complete.
# store: both (it starts its own workers)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pg_database "t0229_$$"
before_exit() {
	for p in ${run_pid:-} ${we:-} ${wo:-}; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}

mkdir -p inbox
cp "$TOP/tests/fixtures/ocr/rotated.png" inbox/
cp "$TOP"/samples/corpus/md/*.md inbox/
settings=(-c ingest.threads=1 -c ocr.threads=1)
queue=(-c worker.lease_seconds=2 -c worker.poll_seconds=0.2)

"$RAGOPS" --data "$scratch/run" --store "$url" "${settings[@]}" "${queue[@]}" -c worker.in_run=false \
	run --inbox inbox >run.out 2>&1 &
run_pid=$!
"$RAGOPS" --data "$scratch/we" --store "$url" "${settings[@]}" "${queue[@]}" worker --id we \
	--stages extract >we.out 2>&1 &
we=$!
handed() { [[ $(work "SELECT count(*) FROM work WHERE needs = 'ocr' AND state = 'queued'" 2>/dev/null) == 1 ]]; }
wait_for 60 handed && ok "the extract worker hands the scan over for OCR" ||
	not_ok "the extract worker hands the scan over for OCR"
for i in 1 2; do
	RAGOPS_CRASH_AT=ocr "$RAGOPS" --data "$scratch/wo$i" --store "$url" "${settings[@]}" "${queue[@]}" \
		worker --id "wo$i" --stages ocr >"wo$i.out" 2>&1
	equals "OCR worker $i is killed as it starts OCR" "$?" "137"
	sleep 2.5 # its lease runs out
done
"$RAGOPS" --data "$scratch/wo" --store "$url" "${settings[@]}" "${queue[@]}" worker --id wo \
	--stages ocr >wo.out 2>&1 &
wo=$!
if wait_for 60 gone "$run_pid"; then
	wait "$run_pid"
	equals "the third OCR worker reads the scan and the run completes" "$?" "0"
else
	not_ok "the run completes (hung)"
fi
run_pid=
check "the scan was not given up after two failed attempts" \
	bash -c "! grep -q 'given up after' '$scratch/run/logs/pipeline.log'"
kill -TERM "$we" "$wo"
wait "$we" "$wo"
we= wo=
finish

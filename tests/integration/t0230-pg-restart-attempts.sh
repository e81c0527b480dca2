#!/usr/bin/env bash
# Workers restarted one after the other (a rolling upgrade: SIGTERM) give
# back the documents of their batch they had not begun: no attempt of
# theirs failed.  After three such restarts one worker dies (SIGKILL) once
# with documents it claimed: one failed attempt, and the next worker must
# do them, not give them up ("given up after 3 attempts").
# store: both (it starts its own workers)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pg_database "t0230_$$"
before_exit() {
	for p in ${run_pid:-} ${t:-} ${last:-}; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
queued() { [[ $(work "SELECT count(*) FROM work" 2>/dev/null) -gt 0 ]]; }

mkdir -p inbox
cp "$TOP"/samples/corpus/md/*.md "$TOP"/samples/corpus/notes/* inbox/
settings=(-c ingest.threads=1)
queue=(-c worker.lease_seconds=2 -c worker.poll_seconds=0.2)

"$RAGOPS" --data "$scratch/run" --store "$url" "${settings[@]}" "${queue[@]}" -c worker.in_run=false \
	run --inbox inbox >run.out 2>&1 &
run_pid=$!
wait_for 30 queued || not_ok "the run queues its documents"
for i in 1 2 3; do
	# Stopped as it extracts its first document, then asked to stop.
	RAGOPS_STOP_AT=extract "$RAGOPS" --data "$scratch/t$i" --store "$url" "${settings[@]}" "${queue[@]}" \
		worker --id "t$i" >"t$i.out" 2>&1 &
	t=$!
	wait_for 30 stopped "$t" || not_ok "worker t$i stops as it extracts"
	kill -TERM "$t"
	kill -CONT "$t"
	wait "$t"
	equals "worker t$i stops on SIGTERM" "$?" "0"
done
t=
given_back=$(work "SELECT count(*) FROM work WHERE state = 'queued' AND attempt = 0")
[[ $given_back -ge 1 ]] && ok "documents given back three times, never begun, wait in the queue with no attempt counted ($given_back)" ||
	not_ok "documents given back three times wait in the queue with no attempt counted" "$(work 'SELECT relpath, state, attempt FROM work')"
RAGOPS_CRASH_AT=extract "$RAGOPS" --data "$scratch/k" --store "$url" "${settings[@]}" "${queue[@]}" \
	worker --id k >k.out 2>&1
equals "worker k dies (SIGKILL) holding its batch" "$?" "137"
sleep 2.5 # its lease runs out
"$RAGOPS" --data "$scratch/last" --store "$url" "${settings[@]}" "${queue[@]}" worker --id last >last.out 2>&1 &
last=$!
if wait_for 60 gone "$run_pid"; then
	wait "$run_pid"
	equals "the run completes: one worker died once, nothing is given up" "$?" "0"
else
	not_ok "the run completes (hung)"
fi
run_pid=
check "no document given up after a single failed attempt" \
	bash -c "! grep -q 'given up after' '$scratch/run/logs/pipeline.log'"
kill -TERM "$last"
wait "$last"
last=
finish

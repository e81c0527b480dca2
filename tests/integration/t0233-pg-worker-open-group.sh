#!/usr/bin/env bash
# A worker stopped (SIGSTOP) with a group of saves open -- fenced, not yet
# committed -- holds its work rows' locks.  The run it worked for is killed
# and a new one started: the server ends the stopped worker's transaction
# once it has been idle for the lease (idle_in_transaction_session_timeout),
# so the new run does not wait for the worker to resume, and the worker,
# resumed, writes nothing for the run that is over.
# store: both (it starts its own workers on PostgreSQL)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pg_database "t0233_$$"
before_exit() {
	for p in ${run_pid:-} ${zombie:-}; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
settings=(-c ingest.threads=1 -c worker.lease_seconds=2 -c worker.poll_seconds=0.2)
mkdir -p inbox
cp "$TOP"/samples/corpus/md/*.md inbox/
"$RAGOPS" --data "$scratch/coord" --store "$url" "${settings[@]}" -c worker.in_run=false \
	run --inbox inbox >run.out 2>&1 &
run_pid=$!
wait_for 30 queued || not_ok "the run queues its documents"
RAGOPS_STOP_AT=commit "$RAGOPS" --data "$scratch/zombie" --store "$url" "${settings[@]}" \
	worker --id zombie >zombie.out 2>&1 &
zombie=$!
wait_for 30 stopped "$zombie" || not_ok "the worker stops itself at its group's commit"
equals "its saves are fenced and not committed: its session is idle in a transaction" \
	"$(work "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'")" "1"
kill -KILL "$run_pid"
wait "$run_pid" 2>/dev/null
"$RAGOPS" --data "$scratch/coord" --store "$url" "${settings[@]}" run --inbox inbox >run2.out 2>&1 &
run_pid=$!
if wait_for 60 eval '! kill -0 $run_pid 2>/dev/null'; then
	wait "$run_pid"
	equals "the new run completes while the worker is still stopped" "$?" "0"
else
	not_ok "the new run completes while the worker is still stopped (hung on its locks)"
fi
run_pid=
check "the zombie is still stopped then" stopped "$zombie"
equals "the server ended the stopped worker's transaction" \
	"$(work "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'")" "0"
kill -CONT "$zombie"
sleep 2
kill -TERM "$zombie" 2>/dev/null
wait "$zombie"
zombie=
equals "the resumed worker wrote nothing for the run that is over" \
	"$(work "SELECT count(*) FROM tasks t JOIN runs r ON r.id = t.run_id WHERE r.state = 'crashed' AND t.stage = 'index'")" "0"
equals "every document is indexed once" \
	"$(work "SELECT count(*), count(DISTINCT relpath), sum(CASE WHEN status = 'indexed' THEN 1 ELSE 0 END) FROM documents")" \
	"$(n=$(ls inbox | wc -l); echo "$n|$n|$n")"
finish

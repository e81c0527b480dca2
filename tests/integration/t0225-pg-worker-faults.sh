#!/usr/bin/env bash
# The PostgreSQL server fails under a run and its worker, on a cluster of
# the test's own (scripts/pg-cluster.sh) since it is restarted and stopped:
#  1. restarted (pg_ctl restart -m fast) while the worker is stopped
#     before a save: worker and run reconnect, nothing is lost;
#  2. stopped for 30 s while the worker saves (a partition): the worker's
#     saves fail meanwhile; once the server is back the documents are done
#     again (not held forever by a worker whose heartbeat renews claims it
#     no longer works on), the run completes with the one-process run's
#     chunks, and the waiting run does not log a line per poll meanwhile.
# store: both (it starts its own cluster; the SQLite run is the reference)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pgdir=$(mktemp -d /tmp/t0225.XXXXXX)
if ! env=$("$TOP/scripts/pg-cluster.sh" start "$pgdir" 2>&1); then
	not_ok "a cluster of the test's own starts" "$env"
	rmdir "$pgdir" 2>/dev/null
	finish
	exit
fi
eval "$env"
RAGOPS_TEST_PG_URL=$RAGOPS_TEST_PG_URL # this test's cluster, not tests/run.sh's
pg_database "t0225"
before_exit() {
	for p in ${run_pid:-} ${w:-}; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	"$TOP/scripts/pg-cluster.sh" stop "$pgdir"
}
# pgctl ARGS...: pg_ctl on this test's cluster, as the user it runs as
pgctl() {
	local bindir user
	bindir=$(pg_config --bindir 2>/dev/null)
	[[ -x "$bindir/pg_ctl" ]] || bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
	user=$(stat -c %U "$pgdir/data")
	if [[ $(id -u) -eq 0 && $user != root ]]; then
		(cd "$pgdir" && setpriv --reuid="$user" --regid="$user" --init-groups \
			"$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w "$@") >/dev/null
	else
		(cd "$pgdir" && "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w "$@") >/dev/null
	fi
}

mkdir -p inbox
cp -r "$TOP/samples/corpus/md" "$TOP/samples/corpus/notes" "$TOP/samples/corpus/web" inbox/
settings=(-c ingest.threads=1 -c collect.max_pages=500)
queue=(-c worker.lease_seconds=2 -c worker.poll_seconds=0.2)
lite=$(new_data lite)
"$RAGOPS_BIN" --data "$lite" "${settings[@]}" run --inbox inbox >lite.out 2>&1
equals "the one-process SQLite run completes" "$?" "0"
chunks_sql="SELECT d.relpath, c.seq, c.page_start, c.page_end, c.char_start, c.char_end,
  c.language, c.low_confidence, c.heading, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id
  ORDER BY d.relpath, c.seq"
sqlite3 -separator '|' "$lite/ragops.db" "$chunks_sql" >lite.chunks

# round NAME ACTION: a run that only waits and one worker stopped before its
# first save; ACTION runs then, and resumes the worker (SIGCONT).
round() {
	local name=$1 action=$2
	"$RAGOPS" --data "$scratch/$name-run" --store "$url" "${settings[@]}" "${queue[@]}" \
		-c worker.in_run=false run --inbox inbox >"$name-run.out" 2>&1 &
	run_pid=$!
	wait_for 30 queued || not_ok "$name: the run queues its documents"
	RAGOPS_STOP_AT=save "$RAGOPS" --data "$scratch/$name-w" --store "$url" "${settings[@]}" "${queue[@]}" \
		worker --id "$name" >"$name-w.out" 2>&1 &
	w=$!
	wait_for 30 stopped "$w" || not_ok "$name: the worker stops itself before a save"
	eval "$action"
	if wait_for "${3:-30}" gone "$run_pid"; then
		wait "$run_pid"
		equals "$name: the run completes" "$?" "0"
	else
		not_ok "$name: the run completes (hung; not done: $(work "SELECT string_agg(relpath || ' ' || state || ' ' || coalesce(owner, '-'), '; ') FROM work WHERE state <> 'done'"))"
		kill -KILL "$run_pid"
		wait "$run_pid" 2>/dev/null
	fi
	run_pid=
	kill -0 "$w" 2>/dev/null && ok "$name: the worker outlived the server's failure" ||
		not_ok "$name: the worker outlived the server's failure" "$(tail -5 "$name-w.out")"
	kill -TERM "$w"
	wait "$w"
	equals "$name: the worker stops on SIGTERM" "$?" "0"
	w=
	pg "$url" -F '|' -c "$chunks_sql" >"$name.chunks"
	if cmp -s lite.chunks "$name.chunks"; then ok "$name: the store holds the one-process run's chunks"; else
		not_ok "$name: the store holds the one-process run's chunks" "$(diff lite.chunks "$name.chunks" | head -10)"; fi
	equals "$name: no index task written twice" \
		"$(work "SELECT count(*) FROM (SELECT run_id, doc_path FROM tasks WHERE stage = 'index'
		  AND state IN ('completed', 'failed') GROUP BY run_id, doc_path HAVING count(*) > 1) twice")" "0"
}

# 1. restart
round restart 'pgctl restart -m fast && kill -CONT "$w"'

# 2. a 30 s outage, the worker saving into it
pg "$RAGOPS_TEST_PG_URL" -c "DROP DATABASE $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
round outage 'pgctl stop -m fast && kill -CONT "$w" && sleep 30 && pgctl start' 40
lines=$(grep -c 'server' "$scratch/outage-run/logs/pipeline.log")
[[ $lines -le 40 ]] && ok "outage: the waiting run logs the outage a few times, not once per poll ($lines lines)" ||
	not_ok "outage: the waiting run logs the outage a few times, not once per poll ($lines lines in 30 s)"

finish

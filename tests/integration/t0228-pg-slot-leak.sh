#!/usr/bin/env bash
# A worker whose store goes away as it finishes OCR cannot give its OCR
# slot back ("they come free when the lease runs out", it says).  The
# server is back before the lease ran out: the worker's heartbeat then
# renews that slot for as long as the worker lives, idle or not, and no
# other worker of the cluster gets it (worker.ocr_slots=1: OCR stops on
# every other machine).  On a cluster of the test's own, since the server
# is stopped.
# store: both (it starts its own cluster)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pgdir=$(mktemp -d /tmp/t0228.XXXXXX)
if ! env=$("$TOP/scripts/pg-cluster.sh" start "$pgdir" 2>&1); then
	not_ok "a cluster of the test's own starts" "$env"
	rmdir "$pgdir" 2>/dev/null
	finish
	exit
fi
eval "$env"
RAGOPS_TEST_PG_URL=$RAGOPS_TEST_PG_URL # this test's cluster, not tests/run.sh's
pg_database "t0228"
before_exit() {
	for p in ${run_pid:-} ${w1:-} ${w2:-}; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	"$TOP/scripts/pg-cluster.sh" stop "$pgdir"
}
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
cp "$TOP/tests/fixtures/ocr/rotated.png" inbox/
settings=(-c ingest.threads=1 -c ocr.threads=1 -c worker.ocr_slots=1)
queue=(-c worker.lease_seconds=15 -c worker.poll_seconds=0.2)

"$RAGOPS" --data "$scratch/run" --store "$url" "${settings[@]}" "${queue[@]}" -c worker.in_run=false \
	run --inbox inbox >run.out 2>&1 &
run_pid=$!
# Stopped holding the slot; once resumed, three seconds before its save.
RAGOPS_STOP_AT=ocr RAGOPS_PAUSE_AT=save "$RAGOPS" --data "$scratch/w1" --store "$url" "${settings[@]}" \
	"${queue[@]}" worker --id w1 >w1.out 2>&1 &
w1=$!
wait_for 60 stopped "$w1" || not_ok "worker 1 stops (SIGSTOP) holding the OCR slot"
pgctl stop -m fast
kill -CONT "$w1"
could_not() { grep -q "cannot give the OCR slots back" "$scratch/w1/logs/pipeline.log"; }
wait_for 60 could_not && ok "worker 1 cannot give the slot back: the server is down" ||
	not_ok "worker 1 cannot give the slot back: the server is down"
pgctl start
if wait_for 60 gone "$run_pid"; then
	wait "$run_pid"
	equals "the run completes (worker 1 saves once the server is back)" "$?" "0"
else
	not_ok "the run completes (hung)"
fi
run_pid=
sleep 8 # two heartbeats (one per 5 s), well under the 15 s lease: given back, not left to run out
holder=$(work "SELECT coalesce(split_part(owner, '@', 1), 'nobody') FROM slots WHERE kind = 'ocr'")
equals "within two heartbeats, before its lease would run out, the idle worker 1 holds no OCR slot" \
	"$holder" "nobody"

# Another worker gets the slot: it OCRs a second run's scan, of other
# settings (ocr.min_chars) that worker 1 does not take.
other=(-c ocr.min_chars=21)
mkdir -p inbox2
cp "$TOP/tests/fixtures/ocr/upside-down.png" inbox2/
"$RAGOPS" --data "$scratch/run2" --store "$url" "${settings[@]}" "${other[@]}" "${queue[@]}" -c worker.in_run=false \
	run --inbox inbox2 >run2.out 2>&1 &
run_pid=$!
"$RAGOPS" --data "$scratch/w2" --store "$url" "${settings[@]}" "${other[@]}" "${queue[@]}" worker --id w2 >w2.out 2>&1 &
w2=$!
if wait_for 40 gone "$run_pid"; then
	wait "$run_pid"
	equals "worker 2 gets the slot and the second run completes" "$?" "0"
else
	not_ok "worker 2 gets the slot and the second run completes (hung: $(grep -c 'waiting for an OCR slot' "$scratch/w2/logs/pipeline.log") 'waiting for an OCR slot')"
	kill -KILL "$run_pid"
	wait "$run_pid" 2>/dev/null
fi
run_pid=
kill -TERM "$w1" "$w2"
wait "$w1" "$w2"
w1= w2=
finish

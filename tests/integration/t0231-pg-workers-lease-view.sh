#!/usr/bin/env bash
# `ragops workers` says a worker is lost when its heartbeat is older than
# a lease: the worker's own lease (it beats every third of it), not that
# of the config of whoever runs `ragops workers`.  A healthy worker of
# worker.lease_seconds=30 (a beat every 10 s), looked at with a config of
# worker.lease_seconds=2, must not be shown lost between two beats; nor
# a dead worker of lease 2 shown running for 30 s by a default config.
# store: both (it starts its own workers)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pg_database "t0231_$$"
before_exit() {
	for p in ${w:-} ${d:-}; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
}
state() { # state VIEWER-LEASE NAME
	"$RAGOPS" --data "$scratch/viewer" --store "$url" -c worker.lease_seconds="$1" workers --json |
		python3 -c "import json,sys; print(' '.join(w['state'] for w in json.load(sys.stdin) if w['name'] == sys.argv[1]))" "$2"
}
"$RAGOPS" --data "$scratch/w" --store "$url" -c worker.lease_seconds=30 worker --id healthy >w.out 2>&1 &
w=$!
"$RAGOPS" --data "$scratch/d" --store "$url" -c worker.lease_seconds=2 worker --id dead >d.out 2>&1 &
d=$!
sleep 2
kill -KILL "$d"
wait "$d" 2>/dev/null
d=
sleep 5 # 7 s since the healthy one started: no beat yet, well within its lease
equals "a healthy worker (lease 30 s, beat 7 s old) is running, whatever the viewer's lease" \
	"$(state 2 healthy)" "running"
equals "a worker killed 5 s ago (lease 2 s) is lost, whatever the viewer's lease" \
	"$(state 30 dead)" "lost"
kill -TERM "$w"
wait "$w"
w=
finish

#!/usr/bin/env bash
# serial
# Stopping a run (issue 12): SIGTERM or Ctrl-C while documents are being
# read ends the run "cancelled" within seconds (exit 7): the documents in
# flight are finished and saved, nothing is published, no worker is left;
# the next run does the rest, and the index is then the one a run that was
# never stopped builds.  A second signal stops at once, like kill -9, and
# the next run completes that too.  A run whose heartbeat stops (its
# process frozen: alive, pid and all) is recorded as crashed.  RAGOPS_PAUSE_AT=extract makes each
# document take three seconds, so that the signal lands mid-run.
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
mkdir -p "$inbox"
for i in $(seq 120); do
	printf 'Lot %d\n\nLa lentille macro numéro %d grossit deux fois.\n' "$i" "$i" >"$inbox/lot-$i.txt"
done
running() { [[ $(sql "$1" "SELECT count(*) FROM runs WHERE state = 'running'" 2>/dev/null) == 1 ]]; }
wait_running() { for _ in $(seq 100); do running "$1" && return 0; sleep 0.1; done; return 1; }
chunks() { rg "$1" releases --json | jq_py "$(cat)" 'j[0]["chunks"]'; }

clean=$(new_data clean)
rg "$clean" run --inbox "$inbox" >/dev/null 2>&1

for sig in TERM INT; do
	d=$(new_data "stopped-$sig")
	# In a session of its own: SIGINT goes to the whole group, workers too, as Ctrl-C does.
	RAGOPS_PAUSE_AT=extract setsid "$RAGOPS" --data "$d" run --inbox "$inbox" >"$scratch/out" 2>&1 &
	pid=$!
	wait_running "$d" && sleep 1
	t0=$(date +%s.%N)
	if [[ $sig == INT ]]; then kill -INT -- -"$pid"; else kill -TERM "$pid"; fi
	wait "$pid"
	rc=$?
	took=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")
	equals "SIG$sig mid-run ($([[ $sig == INT ]] && echo "to the process group, as Ctrl-C" || echo "to the run")): exit 7" "$rc" "7"
	python3 -c "import sys; sys.exit(0 if $took <= 8 else 1)" &&
		ok "... within seconds ($took s, documents take 3 s each here)" ||
		not_ok "... within seconds" "took $took s"
	j=$(rg "$d" runs --json)
	equals "... the run ended cancelled, saying what is left" \
		"$(jq_py "$j" '(j[0]["state"], "documents left" in j[0]["error"], j[0]["documents"]["new"] < 120)')" \
		"('cancelled', True, True)"
	contains "... and the output says so" "$(cat "$scratch/out")" "cancelled by a signal"
	equals "... nothing was published" "$(rg "$d" releases --json)" "[]"
	equals "... no worker process is left" "$(orphan_workers)" ""
	j=$(rg "$d" run --inbox "$inbox" --json 2>/dev/null)
	equals "the next run completes: the rest are new, none twice" \
		"$(jq_py "$j" '(j["state"], j["documents"]["new"] + j["documents"]["unchanged"])')" "('completed', 120)"
	equals "... and the index is a clean run's" "$(chunks "$d")" "$(chunks "$clean")"
	contains "... every document searchable" "$(rg "$d" search "lentille macro numéro 120")" "lot-120.txt"
done

d=$(new_data twice)
RAGOPS_PAUSE_AT=extract "$RAGOPS" --data "$d" run --inbox "$inbox" >/dev/null 2>&1 &
pid=$!
wait_running "$d" && sleep 1
kill -INT "$pid"
sleep 0.3 # two signals at once would be one
kill -INT "$pid"
wait "$pid"
equals "a second Ctrl-C stops at once (killed by SIGINT)" "$?" "130"
j=$(rg "$d" run --inbox "$inbox" --json 2>/dev/null)
equals "the next run completes that too" "$(jq_py "$j" 'j["state"]')" "completed"
equals "... the stopped run is recorded as crashed" \
	"$(rg "$d" runs --json | jq_py "$(cat)" 'j[1]["state"]')" "crashed"
equals "... and the index is a clean run's" "$(chunks "$d")" "$(chunks "$clean")"
# --- too late to cancel ----------------------------------------------------
d=$(new_data late)
RAGOPS_PAUSE_AT=validate "$RAGOPS" --data "$d" run --inbox "$inbox" >"$scratch/out" 2>&1 &
pid=$!
# The candidate release exists: the run is building it (it waits 3 s at validate).
for _ in $(seq 100); do [[ $(sql "$d" "SELECT count(*) FROM releases" 2>/dev/null) -ge 1 ]] && break; sleep 0.1; done
sleep 1
kill -TERM "$pid"
wait "$pid"
equals "SIGTERM once the documents are done: the run finishes its release (exit 0)" "$?" "0"
contains "... and says so rather than promising a cancel" "$(cat "$scratch/out")" \
	"the run is past its documents: it finishes its release first"
equals "... which is in production" "$(rg "$d" releases --json | jq_py "$(cat)" 'j[0]["state"]')" "production"

# --- heartbeat --------------------------------------------------------------
d=$(new_data heartbeat)
hb=(-c flow.heartbeat_timeout=2s)
RAGOPS_PAUSE_AT=extract "$RAGOPS" --data "$d" "${hb[@]}" run --inbox "$inbox" >/dev/null 2>&1 &
pid=$!
wait_running "$d" && sleep 3
equals "a live run past its heartbeat timeout is still running (it beats)" \
	"$(rg "$d" "${hb[@]}" runs --json | jq_py "$(cat)" 'j[0]["state"]')" "running"
kill -STOP "$pid"
sleep 3
j=$(rg "$d" "${hb[@]}" runs --json)
equals "a frozen run (its pid alive) is crashed once its heartbeat is older than the timeout" \
	"$(jq_py "$j" '(j[0]["state"], "heartbeat" in j[0]["error"])')" "('crashed', True)"
kill -0 "$pid" && ok "(its process is still there)" || not_ok "(its process is still there)"
kill -9 "$pid"
kill -CONT "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
j=$(rg "$d" run --inbox "$inbox" --json 2>/dev/null)
equals "the next run completes the work" "$(jq_py "$j" '(j["state"], j["documents"]["new"] + j["documents"]["unchanged"])')" "('completed', 120)"
expect_exit 3 "flow.heartbeat_timeout under a second is refused" rg "$d" -c flow.heartbeat_timeout=0s runs
finish

#!/usr/bin/env bash
# A run killed (SIGKILL) while a worker, stopped (SIGSTOP) before a save,
# holds one of its documents; a new run marks it crashed and queues the
# document again; then the old worker resumes (SIGCONT).  Its late save is
# for a run that is over: it must be refused by the fence, as a lease
# lost is, and must neither make the new run fail and hang (a new document
# saved twice: duplicate key) nor put an older version of a changed
# document over the new run's (the release would serve stale text).
# store: both (it starts its own workers on PostgreSQL)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pg_database "t0226_$$"
before_exit() {
	for p in ${run_pid:-} ${zombie:-}; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
settings=(-c ingest.threads=1 -c worker.lease_seconds=2 -c worker.poll_seconds=0.2)
note() { printf '# Note\n\n%s\n' "$1" >inbox/a-note.md; }
claimed_by() { [[ $(work "SELECT count(*) FROM work WHERE owner LIKE '$1%' AND state = 'claimed'") -gt 0 ]]; }

# zombie_setup: run 1 queues the inbox and is killed (SIGKILL) while the
# worker "zombie" is stopped before the save of the first document.
zombie_setup() {
	"$RAGOPS" --data "$scratch/coord" --store "$url" "${settings[@]}" -c worker.in_run=false \
		run --inbox inbox >>run.out 2>&1 &
	run_pid=$!
	wait_for 30 queued || not_ok "the run queues its documents"
	RAGOPS_STOP_AT=save "$RAGOPS" --data "$scratch/zombie" --store "$url" "${settings[@]}" \
		worker --id zombie >>zombie.out 2>&1 &
	zombie=$!
	wait_for 30 stopped "$zombie" || not_ok "the worker stops itself before a save"
	kill -KILL "$run_pid"
	wait "$run_pid" 2>/dev/null
	run_pid=
}

# 1. New documents: the zombie saves one the new run is about to save.
mkdir -p inbox
cp "$TOP"/samples/corpus/md/*.md inbox/
zombie_setup
held=$(work "SELECT relpath FROM work WHERE owner LIKE 'zombie@%' ORDER BY id LIMIT 1")
[[ -n "$held" ]] && ok "the stopped worker holds documents of the killed run ($held ...)" ||
	not_ok "the stopped worker holds documents of the killed run"
# The new run pauses 3 s before each save: the zombie resumes meanwhile.
RAGOPS_PAUSE_AT=save "$RAGOPS" --data "$scratch/coord" --store "$url" "${settings[@]}" \
	run --inbox inbox >run2.out 2>&1 &
run_pid=$!
wait_for 30 claimed_by run- && kill -CONT "$zombie"
if wait_for 60 eval '! kill -0 $run_pid 2>/dev/null'; then
	wait "$run_pid"
	equals "the new run completes although a worker of the crashed run saved late" "$?" "0"
else
	not_ok "the new run completes although a worker of the crashed run saved late (hung: $(work "SELECT string_agg(relpath || ' ' || state || ' ' || coalesce(owner, ''), '; ') FROM work WHERE state <> 'done'"))"
	kill -KILL "$run_pid"
	wait "$run_pid" 2>/dev/null
fi
run_pid=
lacks "no save fails on a duplicate document" "$(cat run2.out zombie.out)" "duplicate key"
kill -TERM "$zombie"
wait "$zombie"
zombie=

# 2. A changed document: the zombie's older version must not replace the new run's.
rm -rf inbox coord zombie run.out zombie.out
pg "$RAGOPS_TEST_PG_URL" -c "DROP DATABASE $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
mkdir -p inbox
note "Version A: the shutter speed is one second."
for i in 1 2 3; do printf '# Other %s\n\nAn unrelated note, number %s, about tripods.\n' $i $i >"inbox/b$i.md"; done
"$RAGOPS" --data "$scratch/coord" --store "$url" "${settings[@]}" run --inbox inbox >run0.out 2>&1
equals "the first run indexes version A" "$?" "0"
note "Version B: the aperture is f/8."
zombie_setup
equals "the stopped worker holds the changed note" \
	"$(work "SELECT relpath FROM work WHERE owner LIKE 'zombie@%' AND state = 'claimed'")" "a-note.md"
note "Version C: the focal length is 50 mm."
for i in 1 2 3; do echo "Edited." >>"inbox/b$i.md"; done
RAGOPS_PAUSE_AT=save "$RAGOPS" --data "$scratch/coord" --store "$url" "${settings[@]}" \
	run --inbox inbox >run3.out 2>&1 &
run_pid=$!
has_c() { [[ $(work "SELECT count(*) FROM documents WHERE relpath = 'a-note.md' AND sha256 = '$(sha256sum <inbox/a-note.md | cut -d' ' -f1)'") == 1 ]]; }
wait_for 60 has_c && ok "the new run saves version C" || not_ok "the new run saves version C"
kill -CONT "$zombie" # while the run pauses before its next save
wait_for 60 eval '! kill -0 $run_pid 2>/dev/null'
wait "$run_pid"
equals "the new run completes" "$?" "0"
run_pid=
kill -TERM "$zombie"
wait "$zombie"
zombie=
equals "the store holds the file's version (C), not the crashed run's (B)" \
	"$(work "SELECT sha256 FROM documents WHERE relpath = 'a-note.md'")" \
	"$(sha256sum <inbox/a-note.md | cut -d' ' -f1)"
out=$("$RAGOPS" --data "$scratch/coord" --store "$url" ask "What is the aperture in the note?" 2>&1)
lacks "the new run's release does not serve the crashed run's version" "$out" "Version B"

# 3. A document that kills every worker that takes it (SIGKILL at its
# save) is given up after its third attempt: the run ends, naming it.
note "Version D: the shutter speed is 1/250."
"$RAGOPS" --data "$scratch/coord" --store "$url" "${settings[@]}" -c worker.in_run=false \
	run --inbox inbox >poison.out 2>&1 &
run_pid=$!
wait_for 30 queued || not_ok "the run queues the changed note"
for i in 1 2 3; do
	RAGOPS_CRASH_AT=save "$RAGOPS" --data "$scratch/poison-$i" --store "$url" "${settings[@]}" \
		worker --id "poison-$i" >>poison-w.out 2>&1
	[[ $? == 137 ]] || not_ok "worker $i dies at the save" "$(tail -3 poison-w.out)"
	# its lease runs out before the next one claims
	sleep 2.5
done
# A last worker finds the document given up, not claimable.
"$RAGOPS" --data "$scratch/poison-4" --store "$url" "${settings[@]}" worker --id poison-4 \
	>>poison-w.out 2>&1 &
last=$!
if wait_for 30 sh -c "! kill -0 $run_pid 2>/dev/null"; then
	wait "$run_pid"
	equals "the run ends with a failure when a document is given up after 3 attempts" "$?" "1"
else
	not_ok "the run ends once the document is given up (hung)"
fi
run_pid=
kill -TERM "$last"
wait "$last"
contains "the run names the document given up" "$(cat poison.out)" "a-note.md"
contains "and why" "$(cat "$scratch/coord/logs/pipeline.log")" "given up after 3 attempts"
equals "the store keeps the last good version of the note" \
	"$(work "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.relpath = 'a-note.md' AND c.text LIKE '%Version C%'")" "1"

finish

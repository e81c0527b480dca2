#!/usr/bin/env bash
# serial
# Parsers run in worker processes (issue 13): a parser that crashes, aborts,
# runs out of memory or loops fails its own document with that reason; the
# run goes on with the others, and a parser cannot reach the network.
# RAGOPS_PARSER_FAULT makes the worker misbehave on chosen files the way a
# bug in MuPDF or gumbo would.
. "$(dirname "$0")/lib.sh"
d=$(new_data iso)
in="$scratch/in"
sample_inbox "$in" notes md pdf/composition.pdf pdf/colour-spaces.pdf pdf/vitesse-obturation.pdf
echo "<html><body><p>Le sténopé est un appareil sans objectif.</p></body></html>" >"$in/stenope.html"

export RAGOPS_PARSER_FAULT="segv:composition.pdf,abort:street-photography.md,oom:iso-et-bruit.txt,loop:stenope.html,net:colour-spaces.pdf"
# Under ASan an allocation over the ceiling returns NULL (as in a normal build) instead of aborting.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:allocator_may_return_null=1" \
	rg "$d" -c validate.golden= -c ingest.parser_timeout=2 -c ingest.parser_memory=256M run --inbox "$in" \
	>"$scratch/out" 2>"$scratch/err"
equals "the run completes with failures: exit 1" "$?" "1"
unset RAGOPS_PARSER_FAULT
tasks=$(rg "$d" runs show 1 --json --state failed)
failed_of() { jq_py "$tasks" "' | '.join(t['stage'] + ': ' + t['error'] for t in j['tasks'] if t['document'].endswith('$1'))"; }
contains "a segfault fails its document" "$(failed_of composition.pdf)" \
	"extract: the parser crashed on this file (SIGSEGV: Segmentation fault)"
contains "an abort fails its document" "$(failed_of street-photography.md)" \
	"extract: the parser crashed on this file (SIGABRT: Aborted)"
contains "running out of memory fails its document" "$(failed_of iso-et-bruit.txt)" \
	"extract: the parser ran out of memory (over ingest.parser_memory, 256.0 MB)"
contains "an endless loop is stopped by the CPU limit" "$(failed_of stenope.html)" \
	"extract: the parser used more than ingest.parser_timeout (2 s) of CPU and was stopped"
contains "a parser cannot open a network socket" "$(failed_of colour-spaces.pdf)" \
	"extract: socket(): Permission denied"
equals "exactly these five fail" "$(jq_py "$tasks" 'len(set(t["document"] for t in j["tasks"]))')" "5"
contains "the others are indexed after the crashes" "$(rg "$d" search obturation)" "vitesse-obturation.pdf"
contains "including those after the loop" "$(rg "$d" search backup)" "backup-basics.txt"
contains "stderr names the file and the reason" "$(cat "$scratch/err")" \
	"composition.pdf: extract: the parser crashed on this file (SIGSEGV"
check "no core file is left behind" test -z "$(find "$scratch" "$TOP" -maxdepth 2 -name 'core*' -newer "$in/stenope.html" -type f)"

# The next run, with parsers that behave, takes the failed documents again.
rg "$d" -c validate.golden= run --inbox "$in" >"$scratch/out" 2>"$scratch/err"
rc=$?; [[ $rc -eq 0 ]] && ok "the next run completes: exit 0" || not_ok "the next run completes (exit $rc)" "$(cat "$scratch/out" "$scratch/err")"
contains "it indexes what failed" "$(rg "$d" search sténopé)" "stenope.html"
contains "and reports five changed" "$(cat "$scratch/out")" "5 changed"

# A run killed with -9 takes its workers with it: a worker busy on a file
# (a loop here, a slow PDF in life) used to keep going until its CPU limit,
# two minutes by default, and one blocked on a read for ever.
d3=$(new_data killed)
RAGOPS_PARSER_FAULT="loop:stenope.html" "$RAGOPS" --data "$d3" -c validate.golden= -c ingest.parser_timeout=120 \
	run --inbox "$in" >/dev/null 2>&1 &
run=$!
workers=
for _ in $(seq 50); do
	workers=$(pgrep -P $run)
	[[ -n $workers ]] && break
	sleep 0.1
done
check "the run has a parser worker" test -n "$workers"
sleep 1
kill -9 $run
wait $run 2>/dev/null
alive() { for p in $workers; do [[ -e /proc/$p ]] && echo $p; done; }
for _ in $(seq 20); do
	[[ -z $(alive) ]] && break
	sleep 0.1
done
equals "no worker outlives a run killed with -9" "$(alive | wc -l)" "0"
[[ -n $(alive) ]] && kill -9 $(alive)

# A worker killed from outside (the kernel's OOM killer, a person) is not
# "a crash on this file": the reason says who.
d4=$(new_data outside)
RAGOPS_PARSER_FAULT="loop:stenope.html" "$RAGOPS" --data "$d4" -c validate.golden= -c ingest.parser_timeout=120 \
	run --inbox "$in" >/dev/null 2>"$scratch/err4" &
run=$!
# The worker on the looping file is the one that spins most of two seconds on end.
cpu_ticks() { [[ -r /proc/$1/stat ]] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
worker=
for _ in $(seq 60); do
	declare -A before=()
	for p in $(pgrep -P $run); do before[$p]=$(cpu_ticks $p); done
	sleep 2
	for p in "${!before[@]}"; do
		(( $(cpu_ticks $p) - ${before[$p]} >= 120 )) && worker=$p
	done
	[[ -n $worker ]] && break
done
kill -9 $worker
wait $run
contains "a worker killed from outside is said so, not called a crash" "$(cat "$scratch/err4")" \
	"stenope.html: extract: the parser worker was killed (SIGKILL) by something outside ragops"
contains "and the run goes on to the others" "$(rg "$d4" search obturation)" "vitesse-obturation.pdf"

# In the run's own process (ingest.isolate=false) the same chunks come out.
d2=$(new_data inproc)
rg "$d2" -c ingest.isolate=false run --inbox "$in" >/dev/null 2>&1
chunks() { sql "$1" "SELECT d.relpath, c.seq, c.page_start, c.char_start, c.char_end, c.heading, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id ORDER BY 1, 2" | sha256sum; }
equals "isolated and in-process parsing give the same chunks" "$(chunks "$d")" "$(chunks "$d2")"

finish

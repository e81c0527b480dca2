#!/usr/bin/env bash
# slow
# ragops run --watch (issue 12) as a user leaves it running: a file copied
# in, one moved in, a new sub-folder with a file in it, a deleted file,
# each searchable (or gone) a moment after; a folder moved out no longer
# watched; a change that found the data folder busy done when it is free;
# the inbox folder removed and made again watched again; hidden and temporary files and
# the data folder inside the inbox start no run; a burst of files makes one
# run; SIGTERM stops it cleanly, and a second signal during a run stops at
# once without losing the work (the next run completes it).
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
sample_inbox "$inbox" notes
d="$inbox/donnees" # a data folder inside the inbox must not make runs of its own
mkdir -p "$d"
out="$scratch/watch.log"
"$RAGOPS" --data "$d" -c watch.debounce=1s run --watch --inbox "$inbox" >"$out" 2>&1 &
pid=$!
runs() { sql "$d" "SELECT count(*) FROM runs WHERE state != 'running'" 2>/dev/null || echo 0; }
# until SECONDS CONDITION...: poll the condition every 0.2 s; its status at the end
until_true() {
	local limit=$1; shift
	for _ in $(seq $((limit * 5))); do "$@" && return 0; sleep 0.2; done
	"$@"
}
finds() { rg "$d" search "$1" 2>/dev/null | grep -q -- "$2"; }
runs_are() { [[ $(runs) == "$1" ]]; }

check "the first run indexes what is there" until_true 30 runs_are 1
equals "... recorded with trigger 'watch'" "$(rg "$d" runs --json | jq_py "$(cat)" 'j[0]["trigger"]')" "watch"

printf 'Le flash cobra règle sa puissance au quart.\n' >"$scratch/cobra.txt"
cp "$scratch/cobra.txt" "$inbox/cobra.txt"
check "a file copied in is searchable soon after" until_true 15 finds cobra cobra.txt
printf 'La bague zeiss tourne sans jeu.\n' >"$scratch/zeiss.txt"
mv "$scratch/zeiss.txt" "$inbox/zeiss.txt"
check "a file moved in is searchable soon after" until_true 15 finds zeiss zeiss.txt
mkdir -p "$inbox/nouveau/dossier"
printf 'Le pied carbone gitzo pèse un kilo.\n' >"$inbox/nouveau/dossier/gitzo.txt"
check "a file in a new sub-folder is searchable soon after" until_true 15 finds gitzo gitzo.txt
sleep 1.5 # the sub-folder is watched now: a file written later is seen too
printf 'Le posemètre sekonic mesure la lumière incidente.\n' >"$inbox/nouveau/dossier/sekonic.txt"
check "... and so is one written there later" until_true 15 finds sekonic sekonic.txt
rm "$inbox/cobra.txt"
gone() { ! finds cobra cobra.txt; }
gone_gitzo() { ! finds gitzo gitzo.txt; }
check "a deleted file leaves the index soon after" until_true 15 gone

before=$(runs)
printf 'x' >"$inbox/.cache-file"
printf 'x' >"$inbox/brouillon.txt.part"
printf 'x' >"$inbox/notes.txt~"
sleep 3
equals "hidden and temporary files start no run, nor does the data folder's own writing" "$(runs)" "$before"

for i in $(seq 30); do printf 'Fiche rafale %d : le déclencheur fuji numéro %d.\n' "$i" "$i" >"$scratch/r$i.txt"; done
cp "$scratch"/r*.txt "$inbox/"
check "a burst of 30 files is indexed" until_true 20 finds "déclencheur fuji numéro 30" r30.txt
sleep 2
equals "... by one run" "$(runs)" "$((before + 1))"

# A folder moved out of the inbox is no longer watched: writing there starts no run.
mv "$inbox/nouveau" "$scratch/dehors"
check "(the move out is a change: its files leave the index)" until_true 15 gone_gitzo
sleep 2
n_out=$(runs)
printf 'Ailleurs.\n' >"$scratch/dehors/dossier/ailleurs.txt"
sleep 3
equals "a folder moved out of the inbox is no longer watched" "$(runs)" "$n_out"

# Another run holds the data folder when a change lands: the watch's run is tried again.
other="$scratch/other"
mkdir -p "$other"
printf 'Autre.\n' >"$other/autre.txt"
RAGOPS_PAUSE_AT=extract "$RAGOPS" --data "$d" run --inbox "$other" >/dev/null 2>&1 &
blocker=$!
sleep 0.5
printf 'Le déclencheur radio pocketwizard synchronise les flashes.\n' >"$inbox/pocketwizard.txt"
check "a change that found the data folder busy is indexed once it is free" \
	until_true 30 finds pocketwizard pocketwizard.txt
wait "$blocker"
contains "... having said it would try again" "$(cat "$out")" "trying again in 10 s"

kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
	not_ok "SIGTERM stops it within 5 s"
	kill -9 "$pid"
else
	wait "$pid"
	equals "SIGTERM stops it within 5 s, exit 0" "$?" "0"
fi
contains "... saying so" "$(cat "$out")" "stopped watching"
equals "no run is left running" "$(sql "$d" "SELECT count(*) FROM runs WHERE state = 'running'")" "0"

# The inbox folder itself removed, then made again: watched again when it is back.
inbox2="$scratch/inbox2"
mkdir -p "$inbox2"
printf 'Première fiche.\n' >"$inbox2/premiere.txt"
d2=$(new_data root)
"$RAGOPS" --data "$d2" -c watch.debounce=1s run --watch --inbox "$inbox2" >"$scratch/watch2.log" 2>&1 &
pid2=$!
runs2() { sql "$d2" "SELECT count(*) FROM runs WHERE state != 'running'" 2>/dev/null || echo 0; }
until_true 20 test "$(runs2)" -ge 1 >/dev/null
rm -rf "$inbox2"
sleep 3
mkdir -p "$inbox2"
printf 'Le trépied carbone manfrotto revient.\n' >"$inbox2/manfrotto.txt"
finds2() { rg "$d2" search manfrotto 2>/dev/null | grep -q manfrotto.txt; }
check "an inbox folder removed and made again is watched again" until_true 20 finds2
kill -TERM "$pid2"
wait "$pid2"

# ragops serve with watch.serve: the same, the runs started as the server's jobs.
inbox3="$scratch/inbox3"
mkdir -p "$inbox3"
printf 'Une fiche.\n' >"$inbox3/une.txt"
d3=$(new_data served)
rg "$d3" run --inbox "$inbox3" >/dev/null 2>&1
serve_start "$d3" -c watch.serve=true -c watch.debounce=1s || { not_ok "the server starts"; finish; exit 1; }
printf 'La visée reflex montre le cadrage exact de l’objectif hasselblad.\n' >"$scratch/h.txt"
cp "$scratch/h.txt" "$inbox3/hasselblad.txt"
finds3() { rg "$d3" search hasselblad 2>/dev/null | grep -q hasselblad.txt; }
check "ragops serve with watch.serve indexes a file copied into the inbox" until_true 20 finds3
equals "... by a run with trigger 'watch'" "$(rg "$d3" runs --json | jq_py "$(cat)" 'j[0]["trigger"]')" "watch"
check "... its output in logs/runs-started-by-watcher.log" test -s "$d3/logs/runs-started-by-watcher.log"
serve_stop
equals "... and the server stops cleanly" "$?" "0"

# Ctrl-C in the middle of a run: it ends "cancelled", watching stops, and
# the next run completes the work.
for i in $(seq 300); do printf 'Lot %d : la lentille macro numéro %d.\n' "$i" "$i" >"$inbox/lot-$i.txt"; done
RAGOPS_PAUSE_AT=extract "$RAGOPS" --data "$d" -c watch.debounce=1s run --watch --inbox "$inbox" \
	>"$out" 2>&1 &
pid=$!
started() { [[ $(sql "$d" "SELECT count(*) FROM runs WHERE state = 'running'" 2>/dev/null) == 1 ]]; }
until_true 20 started
kill -INT "$pid"
wait "$pid"
equals "Ctrl-C during a run stops watching, exit 0" "$?" "0"
equals "... the run ended cancelled" "$(rg "$d" runs --json | jq_py "$(cat)" 'j[0]["state"]')" "cancelled"
j=$(rg "$d" run --inbox "$inbox" --json 2>/dev/null)
equals "the next run completes the work" "$(jq_py "$j" 'j["state"]')" "completed"
check "every file of the stopped run is searchable" finds "lentille macro numéro 300" lot-300.txt
finish

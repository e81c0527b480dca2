#!/usr/bin/env bash
# make demo: ingest the bundled sample corpus, show the run, search it, and
# show that a second run has nothing to do.  Usage: scripts/demo.sh RAGOPS
set -euo pipefail
ragops=${1:?usage: scripts/demo.sh path/to/ragops}
data=${RAGOPS_DEMO_DATA:-./ragops-data}
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step ragops --data "$data" run --inbox samples/corpus
"$ragops" --data "$data" run --inbox samples/corpus || [[ $? -eq 1 ]]
step ragops --data "$data" search "balance des blancs" --limit 3
"$ragops" --data "$data" search "balance des blancs" --limit 3
step ragops --data "$data" search "comment éviter le flou de bougé" --limit 2
"$ragops" --data "$data" search "comment éviter le flou de bougé" --limit 2
step ragops --data "$data" run "   # again: nothing changed, every document cached"
"$ragops" --data "$data" run
step ragops --data "$data" runs
"$ragops" --data "$data" runs --limit 5
printf '\nThe store, logs and metrics are in %s/.  Next: ragops runs show ID, ragops help.\n' "$data"

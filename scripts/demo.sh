#!/usr/bin/env bash
# make demo: ingest the bundled sample corpus (text, OCR, embeddings) into a
# release the gate promotes, search it, ask it questions, score it on the
# golden questions, and show that a second run has nothing to do.  Usage: scripts/demo.sh RAGOPS
set -euo pipefail
ragops=${1:?usage: scripts/demo.sh path/to/ragops}
data=${RAGOPS_DEMO_DATA:-./ragops-data}
rg() { "$ragops" --data "$data" "$@"; }
step() { printf '\n\033[1m$ ragops %s\033[0m\n' "$*"; }

step run --inbox samples/corpus
rg run --inbox samples/corpus || [[ $? -eq 1 ]]
step search "'balance des blancs'" --limit 2
rg search "balance des blancs" --limit 2
step ask "'Comment éviter le flou de bougé ?'"
rg ask "Comment éviter le flou de bougé ?"
step ask "'Quelle est la recette du révélateur Rodinal ?'"
rg ask "Quelle est la recette du révélateur Rodinal ?"
step ocr report
rg ocr report | head -8
step eval --compare bm25,dense,hybrid
rg eval --compare bm25,dense,hybrid
step run "   # again: nothing changed, every document cached"
rg run
step runs
rg runs --limit 5
step releases "   # each run that changed something built a release; the gate promoted it"
rg releases --limit 5
step monitor
rg monitor | head -15 || true
printf '\nThe store, logs, metrics and models are in %s/.\n' "$data"
printf 'Next: %s --data %s serve   # the dashboard on http://127.0.0.1:8750/\n' "$ragops" "$data"

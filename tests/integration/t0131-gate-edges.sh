#!/usr/bin/env bash
# The gate where users get hurt: a refusal caused by a bad setting is
# lifted once the setting is fixed; moving documents does not make the next
# change refused; an emptied inbox is not promoted; a release whose
# embedder file is gone is refused even by force; a deleted lexicon is
# rebuilt; production moved by hand during the gate is left as the person
# put it.
. "$(dirname "$0")/lib.sh"
d=$(new_data edges)
inbox="$scratch/inbox"
sample_inbox "$inbox" md notes web
prod() { sql "$d" "SELECT id FROM releases WHERE state = 'production'"; }
verdict() { jq_py "$1" '(j["release"]["verdict"], j["release"]["id"])'; }

j=$(rg "$d" -c validate.golden=/nonexistent/golden.jsonl run --inbox "$inbox" --json 2>/dev/null); rc=$?
equals "a golden set that cannot be read refuses the release" "$rc,$(verdict "$j")" "6,('refused', 1)"
contains "saying which file" "$(jq_py "$j" 'j["release"]["message"]')" "/nonexistent/golden.jsonl"
j=$(rg "$d" run --json 2>/dev/null); rc=$?
equals "once the setting is fixed, the next run decides again and promotes it" "$rc,$(verdict "$j"),$(prod)" "0,('promoted', 1),1"

mkdir -p "$inbox/archive" && mv "$inbox/md/raw-vs-jpeg.md" "$inbox/notes/iso-et-bruit.txt" "$inbox/archive/"
j=$(rg "$d" run --json 2>/dev/null)
equals "moving two documents the golden set asks about makes no release" "$(jq_py "$j" '(j["documents"]["renamed"], j["release"]["verdict"])')" "(2, 'unchanged')"
echo "Une phrase de plus sur les reflets." >>"$inbox/md/street-photography.md"
j=$(rg "$d" run --json 2>/dev/null); rc=$?
equals "the next, unrelated change is promoted (production is measured again under the new paths)" "$rc,$(verdict "$j")" "0,('promoted', 2)"

newest() { sql "$d" "SELECT max(id) FROM releases"; }
mv "$inbox" "$scratch/away" && mkdir "$inbox"
j=$(rg "$d" run --json 2>/dev/null); rc=$?
equals "an emptied inbox (a share not mounted) is refused" "$rc,$(verdict "$j"),$(prod)" "6,('refused', 3),2"
contains "saying so" "$(jq_py "$j" 'j["release"]["message"]')" "the release holds no document where release 2 holds"
rmdir "$inbox" && mv "$scratch/away" "$inbox"
j=$(rg "$d" run --json 2>/dev/null); rc=$?
equals "the documents back: a release like production, promoted" "$rc,$(verdict "$j"),$(prod)" "0,('promoted', 4),4"

emb=$(sql "$d" "SELECT m.path FROM releases r JOIN models m ON m.id = r.embedder_id WHERE r.id = 2")
model_away "$d" "$emb" "$scratch/embedder"
out=$(rg "$d" deploy promote 2 --force 2>&1); rc=$?
equals "a release whose embedder file is gone is refused, even by force" "$rc" "6"
contains "naming the file" "$out" "the embedder does not load"
model_back "$d" "$emb" "$scratch/embedder"
lex=$(sql "$d" "SELECT m.path FROM releases r JOIN models m ON m.id = r.lexicon_id WHERE r.state = 'production'")
model_lost "$d" "$lex"
contains "health says production's lexicon is missing" "$(rg "$d" health)" "$(model_missing "cannot read the lexicon")"
if sqlite_only "FTS5 answers when the lexicon is lost; a PostgreSQL store has no full-text index"; then
	contains "searches still answer (FTS5)" "$(rg "$d" search "balance des blancs")" "balance"
fi
j=$(rg "$d" run --json 2>/dev/null)
equals "the next run rebuilds a complete release" "$(verdict "$j")" "('promoted', 5)"
lacks "and health no longer mentions the lexicon" "$(rg "$d" health)" "lexicon"

# A rollback during the gate: the run does not undo it.
echo "Encore une phrase sur la lumière du soir." >>"$inbox/notes/photo-de-paysage.txt"
last_run=$(sql "$d" "SELECT max(id) FROM runs")
RAGOPS_PAUSE_AT=promote "$RAGOPS" --data "$d" run --json >"$scratch/paused.json" 2>/dev/null &
run=$!
# The gate has measured (its task is recorded) and the run waits before promoting.
for _ in $(seq 300); do
	[[ $(sql "$d" "SELECT count(*) FROM tasks WHERE stage = 'validate' AND run_id > $last_run") -ge 1 ]] && break
	sleep 0.1
done
out=$(rg "$d" deploy rollback --reason "during the gate"); rc=$?
equals "a rollback while the gate decides" "$rc,$(prod)" "0,4"
wait "$run"; rc=$?
j=$(cat "$scratch/paused.json")
equals "the run leaves production where the person put it (deferred, exit 0)" "$rc,$(verdict "$j"),$(prod)" "0,('deferred', 6),4"
contains "saying so" "$(jq_py "$j" 'j["release"]["message"]')" "production was changed by hand during validation"
equals "its candidate is still undecided" "$(sql "$d" "SELECT state FROM releases WHERE id = 6")" "candidate"
j=$(rg "$d" run --json 2>/dev/null)
equals "the next run measures it against the production now and promotes it" "$(verdict "$j"),$(prod)" "('promoted', 6),6"
finish

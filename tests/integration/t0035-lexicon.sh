#!/usr/bin/env bash
# The lexicon (the in-memory BM25 index): written by each run that changed
# the chunks, ranking exactly as FTS5 does, and never used once it no longer
# matches the store (a stopped run, a damaged file): FTS5 answers then.
. "$(dirname "$0")/lib.sh"
d=$(new_data lexicon)
inbox="$scratch/inbox"
sample_inbox "$inbox" pdf md notes
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
lexicon() { sql "$d" "SELECT version FROM models WHERE kind = 'lexicon' AND state = 'production'"; }
v1=$(lexicon)
contains "a run registers a lexicon" "$v1" "lexicon-"
check "its file is under models/" test -s "$d/models/$v1.bin"
equals "its lexicon task completed" "$(sql "$d" "SELECT state FROM tasks WHERE stage = 'lexicon' AND run_id = 1")" "completed"

# Same ranking as FTS5: every golden question, top 10 with their scores.
same=$(python3 - "$RAGOPS" "$d" "$TOP/samples/golden.jsonl" <<'PY'
import json, subprocess, sys
binary, data, golden = sys.argv[1:4]
bad = []
for line in open(golden):
    q = json.loads(line)["question"]
    runs = {}
    for ix in ("lexicon", "fts5"):
        r = subprocess.run([binary, "--data", data, "-c", "retrieve.bm25_index=" + ix, "search",
                            "--retriever", "bm25", "--limit", "10", "--json", q], capture_output=True, text=True)
        runs[ix] = [(x["document"], x["heading"], x["page_start"], x["score"])
                    for x in json.loads(r.stdout)["results"]] if r.returncode == 0 else r.stderr
    a, b = runs["lexicon"], runs["fts5"]
    if isinstance(a, str) or isinstance(b, str) or [x[:3] for x in a] != [x[:3] for x in b] \
            or any(abs(x[3] - y[3]) > 1e-9 * abs(y[3]) for x, y in zip(a, b)):
        bad.append(q)
print("same" if not bad else "differ: " + "; ".join(bad))
PY
)
equals "BM25 from the lexicon ranks every golden question as FTS5 does, scores included" "$same" "same"

rg "$d" run >/dev/null 2>&1
equals "nothing changed: the lexicon is kept (cached)" \
	"$(sql "$d" "SELECT state FROM tasks WHERE stage = 'lexicon' AND run_id = 2")|$(lexicon)" "cached|$v1"

# A run killed after saving a new document, before the lexicon stage.
printf 'Le zorglubisme\n\nLe zorglubisme est une technique de tirage inventée pour ce test.\n' \
	>"$inbox/notes/zorglub.txt"
RAGOPS_CRASH_AFTER_DOCUMENTS=1 "$RAGOPS" --data "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "the killed run left the old lexicon in production" "$(lexicon)" "$v1"
out=$(rg "$d" search --retriever bm25 --limit 1 "zorglubisme")
contains "a search still finds the new document (the stale lexicon is not used)" "$out" "zorglub.txt"
contains "health says the lexicon is stale" "$(rg "$d" health)" "the lexicon is older than the chunks"

rg "$d" run --inbox "$inbox" >/dev/null 2>&1
v2=$(lexicon)
lacks "the next run writes a new lexicon" "$v2" "$v1"
check "and removes the old file" test ! -e "$d/models/$v1.bin"
out=$(rg "$d" search --retriever bm25 --limit 1 "zorglubisme")
contains "the new lexicon finds it" "$out" "zorglub.txt"
lacks "health no longer mentions it" "$(rg "$d" health)" "lexicon"

head -c 1000 "$d/models/$v2.bin" >"$scratch/short.bin" && cp "$scratch/short.bin" "$d/models/$v2.bin"
out=$(rg "$d" search --retriever bm25 --limit 1 "zorglubisme" 2>&1); rc=$?
equals "a damaged lexicon file does not break search" "$rc" "0"
contains "FTS5 answers instead" "$out" "zorglub.txt"
finish

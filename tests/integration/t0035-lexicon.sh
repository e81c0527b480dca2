#!/usr/bin/env bash
# The lexicon (the in-memory BM25 index): built for each release from
# exactly its chunks, ranking exactly as FTS5 does (both reached through the
# same retrieval as `ask`), never ranking from text that is gone, and
# replaced by FTS5 on the release's chunks when its file is damaged.
. "$(dirname "$0")/lib.sh"
d=$(new_data lexicon)
inbox="$scratch/inbox"
sample_inbox "$inbox" pdf md notes
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
lexicon() { sql "$d" "SELECT m.version FROM releases r JOIN models m ON m.id = r.lexicon_id WHERE r.state = 'production'"; }
v1=$(lexicon)
contains "a run registers a lexicon" "$v1" "lexicon-"
check "its file is under models/" test -s "$d/models/$v1.bin"
equals "its lexicon task completed" "$(sql "$d" "SELECT state FROM tasks WHERE stage = 'lexicon' AND run_id = 1")" "completed"

# Same ranking as FTS5: every golden question, top 10 with their scores.
if sqlite_only "FTS5 (retrieve.bm25_index: fts5)"; then
same=$(python3 - "$RAGOPS" "$d" "$TOP/samples/golden.jsonl" <<'PY'
import json, subprocess, sys
binary, data, golden = sys.argv[1:4]
bad = []
for line in open(golden):
    q = json.loads(line)["question"]
    runs = {}
    for ix in ("lexicon", "fts5"):
        # BM25 itself: translated words are added on top by the lexicon's search only.
        r = subprocess.run([binary, "--data", data, "-c", "retrieve.bm25_index=" + ix,
                            "-c", "retrieve.translation_weight=0", "search",
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
fi

rg "$d" run >/dev/null 2>&1
equals "nothing changed: no new release, the same lexicon" \
	"$(sql "$d" "SELECT state FROM tasks WHERE stage = 'publish' AND run_id = 2")|$(lexicon)|$(sql "$d" "SELECT count(*) FROM releases")" "cached|$v1|1"

# The bug releases fix: chunk ids come back after a delete in SQLite, so a
# lexicon trusted on (chunk count, highest id) ranked from text that was gone.
# Two files, the last indexed edited with the same number of chunks.
e=$(new_data edit)
mkdir -p "$scratch/two"
printf 'Le posemètre\n\nLe posemètre mesure la lumière incidente sur le sujet.\n' >"$scratch/two/a.txt"
rg "$e" run --inbox "$scratch/two" >/dev/null 2>&1
printf 'Le zorglubisme\n\nLe zorglubisme est une technique de tirage inventée pour ce test.\n' >"$scratch/two/b.txt"
rg "$e" run --inbox "$scratch/two" >/dev/null 2>&1
before=$(sql "$e" "SELECT group_concat(id) FROM (SELECT id FROM chunks ORDER BY id) AS c")
printf 'Le xylographe\n\nLe xylographe est une autre technique de tirage inventée pour ce test.\n' >"$scratch/two/b.txt"
rg "$e" run --inbox "$scratch/two" >/dev/null 2>&1
equals "the edit kept the chunk count" "$(sql "$e" "SELECT chunks FROM documents WHERE relpath = 'b.txt'")" "1"
indexes=(lexicon)
sqlite_only "FTS5 (retrieve.bm25_index: fts5)" && indexes+=(fts5)
for ix in "${indexes[@]}"; do
	out=$(rg "$e" -c retrieve.bm25_index=$ix search --retriever bm25 "zorglubisme")
	lacks "$ix: a word gone from the edited file is not found" "$out" "b.txt"
	out=$(rg "$e" -c retrieve.bm25_index=$ix search --retriever bm25 "xylographe")
	contains "$ix: its new word is" "$out" "b.txt"
done
out=$(rg "$e" ask --retriever bm25 --json "Qu'est-ce que le xylographe ?")
equals "ask (BM25) answers from the new text" "$(jq_py "$out" '[s["document"] for s in j["sources"]][:1]')" "['b.txt']"
lacks "and never from the old one" "$(rg "$e" ask --retriever bm25 "Qu'est-ce que le zorglubisme ?")" "zorglubisme est"
check "the new chunk has an id never used before" python3 -c "import sys; old = set(map(int, sys.argv[1].split(','))); new = int(sys.argv[2]); sys.exit(new in old)" "$before" "$(sql "$e" "SELECT c.id FROM chunks c JOIN documents d ON c.version_id = d.version_id WHERE d.relpath = 'b.txt'")"

# A run killed after saving a new document, before its release: production
# stays whole, lexicon included, and knows nothing of the new document.
printf 'Le zorglubisme\n\nLe zorglubisme est une technique de tirage inventée pour ce test.\n' \
	>"$inbox/notes/zorglub.txt"
RAGOPS_CRASH_AFTER_DOCUMENTS=1 "$RAGOPS" --data "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "the killed run left production and its lexicon as they were" "$(lexicon)|$(sql "$d" "SELECT id FROM releases WHERE state = 'production'")" "$v1|1"
out=$(rg "$d" search --retriever bm25 --limit 1 "zorglubisme")
lacks "production does not show the half-made run's document" "$out" "zorglub.txt"
contains "a known word is still found from the lexicon" "$(rg "$d" search --retriever bm25 --limit 1 "balance des blancs")" "balance-des-blancs.pdf"
lacks "health has nothing to say about the lexicon" "$(rg "$d" health)" "lexicon"

rg "$d" run --inbox "$inbox" >/dev/null 2>&1
v2=$(lexicon)
lacks "the next run builds a release with a new lexicon" "$v2" "$v1"
out=$(rg "$d" search --retriever bm25 --limit 1 "zorglubisme")
contains "which finds it" "$out" "zorglub.txt"
check "the old lexicon stays while its release may be rolled back to" test -e "$d/models/$v1.bin"
printf 'Le xylophage\n\nLe xylophage grignote le bois des vieux cadres.\n' >"$inbox/notes/xylophage.txt"
rg "$d" -c releases.keep=0 run --inbox "$inbox" >/dev/null 2>&1
equals "a third release is in production" "$(sql "$d" "SELECT id FROM releases WHERE state = 'production'")" "3"
check "and goes with its release (releases.keep=0, two releases later)" test ! -e "$d/models/$v1.bin"

v3=$(lexicon)
head -c 1000 "$d/models/$v3.bin" >"$scratch/short.bin" && cp "$scratch/short.bin" "$d/models/$v3.bin"
out=$(rg "$d" search --retriever bm25 --limit 1 "balance des blancs" 2>&1); rc=$?
equals "a damaged lexicon file does not break search" "$rc" "0"
if [[ $RAGOPS_TEST_STORE == postgresql ]]; then
	# The store keeps the file: the damaged copy is fetched again, checked by hash.
	contains "the lexicon fetched again from the store answers" "$out" "balance-des-blancs.pdf"
	check "the damaged copy is said in the log" grep -q "fetched again from the store" "$d/logs/pipeline.log"
	equals "and replaced by the store's" "$(sha256sum <"$d/models/$v3.bin" | cut -c1-64)" \
		"$(sql "$d" "SELECT sha256 FROM artefacts WHERE path = 'models/$v3.bin'")"
else
	contains "FTS5 answers instead, from the release's chunks" "$out" "balance-des-blancs.pdf"
	contains "health says why" "$(rg "$d" health)" "damaged"
fi
finish

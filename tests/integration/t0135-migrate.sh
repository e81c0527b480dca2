#!/usr/bin/env bash
# A store from before releases (tests/fixtures/store-v7) opens, migrates and
# keeps answering: the index it held becomes release 1, in production, whose
# stale lexicon is not trusted; the next run builds a complete release
# without reprocessing any document.
# store: sqlite-only (migrates an old SQLite store, tests/fixtures/store-v7)
. "$(dirname "$0")/lib.sh"
d=$(new_data migrated)
fx="$TOP/tests/fixtures/store-v7"
mkdir -p "$d" && cp -r "$fx/ragops.db" "$fx/models" "$d/" && cp -r "$fx/inbox" "$scratch/"
sqlite3 "$d/ragops.db" "UPDATE documents SET root = '$scratch/inbox'"
equals "the fixture is a schema 7 store" "$(sql "$d" 'PRAGMA user_version')" "7"
vectors() { sqlite3 "$d/ragops.db" "SELECT model_id, chunk_id, hex(vector) FROM embeddings ORDER BY 1, 2" | sha256sum; }
vectors_before=$(vectors)

r=$(rg "$d" releases --json)
equals "the index it held is release 1, in production" \
	"$(jq_py "$r" '[(x["id"], x["state"], x["documents"], x["changes"]) for x in j]')" \
	"[(1, 'production', 4, {'migrated': True})]"
equals "migrated to schema 17" "$(sql "$d" 'PRAGMA user_version')" "17"
# Migration 14 moved the vectors to a rowid table (t0185 checks their pages).
equals "every vector is kept, byte for byte" "$(vectors)" "$vectors_before"
runs_before=$(sql "$d" 'SELECT count(*) FROM runs')
r=$(rg "$d" runs --json)
equals "its runs are all there, started by no deployment" \
	"$(jq_py "$r" '(len(j), sorted(set((x["deployment"], x["scheduled_for_ms"]) for x in j)))')" \
	"($runs_before, [(None, None)])"
check "the store checks clean" rg "$d" check
j=$(rg "$d" ask --retriever bm25 --json "Qu'est-ce que le zorglubisme ?")
lacks "a word gone before the upgrade is not found (its lexicon was stale)" \
	"$(jq_py "$j" '[s["document"] for s in j["sources"]]')" "zz-note.txt"
j=$(rg "$d" ask --retriever bm25 --json "Qu'est-ce que le xylographe ?")
equals "the text it holds is" "$(jq_py "$j" '([s["document"] for s in j["sources"]][:1], j["release"])')" "(['zz-note.txt'], 1)"
contains "and dense search still works, with its vectors" "$(rg "$d" search --retriever dense sauvegarde)" "backup-basics.txt"
h=$(rg "$d" health)
contains "health says release 1 has no lexicon" "$h" "release 1 has no lexicon"

j=$(rg "$d" run --inbox "$scratch/inbox" --json 2>/dev/null)
equals "the next run reprocesses nothing" "$(jq_py "$j" 'j["documents"]["unchanged"]')" "4"
equals "and makes release 2, with a lexicon, promoted" \
	"$(jq_py "$j" '(j["release"]["verdict"], j["release"]["id"])'),$(sql "$d" "SELECT lexicon_id IS NOT NULL FROM releases WHERE id = 2")" "('promoted', 2),1"
j=$(rg "$d" ask --retriever bm25 --json "Qu'est-ce que le zorglubisme ?")
lacks "its lexicon knows the text as it is" "$(jq_py "$j" '[s["document"] for s in j["sources"]]')" "zz-note.txt"
lacks "health no longer mentions the lexicon" "$(rg "$d" health)" "lexicon"
j=$(rg "$d" run --json 2>/dev/null)
equals "a run after that changes nothing" "$(jq_py "$j" 'j["release"]["verdict"]')" "unchanged"

# Migration 15 dropped the trigger that fed the full-text index: a new
# document's chunks reach it from the save itself.
printf 'Le daguerréotype fixe une image unique sur une plaque argentée.\n' >"$scratch/inbox/daguerre.txt"
rg "$d" run --inbox "$scratch/inbox" >/dev/null 2>&1
equals "every chunk is in the full-text index, the new one too" \
	"$(sql "$d" 'SELECT (SELECT count(*) FROM chunks_fts_docsize) = (SELECT count(*) FROM chunks), (SELECT count(*) FROM chunks_fts_docsize)')" \
	"1|$(sql "$d" 'SELECT count(*) FROM chunks')"
j=$(rg "$d" ask --retriever bm25 --json "Qu'est-ce qu'un daguerréotype ?")
equals "and a question finds it" "$(jq_py "$j" '[s["document"] for s in j["sources"]][:1]')" "['daguerre.txt']"
check "the store still checks clean" rg "$d" check
finish

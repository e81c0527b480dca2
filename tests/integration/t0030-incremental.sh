#!/usr/bin/env bash
# Incremental runs: a changed file's chunks are replaced, a renamed file is not
# re-read, a deleted file's chunks go, a settings change reprocesses.
. "$(dirname "$0")/lib.sh"
d=$(new_data inc)
inbox="$scratch/inbox"
mkdir -p "$inbox/sub"
cp "$TOP/samples/corpus/notes/iso-et-bruit.txt" "$inbox/"
cp "$TOP/samples/corpus/md/raw-vs-jpeg.md" "$inbox/sub/"
cp "$TOP/samples/corpus/pdf/composition.pdf" "$inbox/"
printf 'Le sténopé\n\nUne boîte percée d’un trou minuscule : le xylophotographe y voit une chambre noire.\n' >"$inbox/stenope.txt"

j=$(rg "$d" run --inbox "$inbox" --json)
equals "four new documents" "$(jq_py "$j" 'j["documents"]["new"]')" "4"

printf '\nUn paragraphe ajouté sur le zootrope.\n' >>"$inbox/iso-et-bruit.txt"
sed -i 's/xylophotographe/pinholiste/' "$inbox/stenope.txt"
j=$(rg "$d" run --json)
equals "two changed documents" "$(jq_py "$j" 'j["documents"]["changed"]')" "2"
equals "the others unchanged" "$(jq_py "$j" 'j["documents"]["unchanged"]')" "2"
contains "new text is searchable" "$(rg "$d" search zootrope)" "iso-et-bruit.txt"
contains "replaced text is searchable" "$(rg "$d" search pinholiste)" "stenope.txt"
contains "old text is gone" "$(rg "$d" search xylophotographe)" "no results"

touch "$inbox/sub/raw-vs-jpeg.md"
j=$(rg "$d" run --json)
equals "a new date alone is not a change" "$(jq_py "$j" 'j["documents"]["unchanged"]')" "4"

before=$(sql "$d" "SELECT group_concat(id) FROM chunks WHERE doc_id = (SELECT id FROM documents WHERE relpath = 'composition.pdf')")
mkdir "$inbox/moved"
mv "$inbox/composition.pdf" "$inbox/moved/la-composition.pdf"
j=$(rg "$d" run --json)
equals "a move is a rename" "$(jq_py "$j" 'j["documents"]["renamed"]')" "1"
equals "a rename is not new nor deleted" "$(jq_py "$j" 'j["documents"]["new"] + j["documents"]["deleted"]')" "0"
after=$(sql "$d" "SELECT group_concat(id) FROM chunks WHERE doc_id = (SELECT id FROM documents WHERE relpath = 'moved/la-composition.pdf')")
equals "a renamed document keeps its chunks (not re-read)" "$after" "$before"
contains "search shows the new path" "$(rg "$d" search "règle des tiers")" "moved/la-composition.pdf"

rm "$inbox/stenope.txt"
j=$(rg "$d" run --json)
equals "a removed file is deleted" "$(jq_py "$j" 'j["documents"]["deleted"]')" "1"
contains "its chunks are gone" "$(rg "$d" search pinholiste)" "no results"
equals "its row stays, marked deleted" "$(sql "$d" "SELECT status FROM documents WHERE relpath = 'stenope.txt'")" "deleted"

printf 'Le sténopé\n\nUne boîte percée d’un trou minuscule : le pinholiste y voit une chambre noire.\n' >"$inbox/stenope.txt"
j=$(rg "$d" run --json)
equals "a file that comes back is indexed again" "$(jq_py "$j" 'j["documents"]["new"]')" "1"
contains "and found again" "$(rg "$d" search pinholiste)" "stenope.txt"

cp "$inbox/iso-et-bruit.txt" "$inbox/copie-iso.txt"
j=$(rg "$d" run --json)
equals "a copy (old path still there) is a new document" "$(jq_py "$j" 'j["documents"]["new"]')" "1"

j=$(rg "$d" -c chunk.target_chars=400 -c chunk.overlap_chars=50 run --json)
equals "new chunk settings reprocess every document" "$(jq_py "$j" 'j["documents"]["changed"]')" "5"
j=$(rg "$d" -c chunk.target_chars=400 -c chunk.overlap_chars=50 run --json)
equals "and then they are cached again" "$(jq_py "$j" 'j["documents"]["unchanged"]')" "5"
prod="SELECT rd.version_id FROM release_docs rd JOIN releases r ON r.id = rd.release_id WHERE r.state = 'production'"
equals "production holds one version of each document" \
	"$(sql "$d" "SELECT count(*) FROM (SELECT v.doc_id FROM doc_versions v WHERE v.id IN ($prod) GROUP BY v.doc_id HAVING count(*) > 1) AS dup")" "0"
equals "no chunk of a deleted or failed document in production" \
	"$(sql "$d" "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.version_id IN ($prod) AND d.status NOT IN ('indexed')")" "0"
equals "chunk counts agree" "$(sql "$d" "SELECT sum(chunks) FROM documents")" "$(sql "$d" "SELECT count(*) FROM chunks WHERE version_id IN ($prod)")"

# Old archives have file names in Latin-1: they must not vanish from JSON output.
printf 'Le d\xe9clencheur souple \xe9vite le tremblement.\n' >"$inbox/$(printf 'd\xe9clencheur.txt')"
out=$(rg "$d" run 2>&1)
if [[ $RAGOPS_TEST_STORE == postgresql ]]; then
	# PostgreSQL holds text as UTF-8 only: the file is refused, with the reason and what to do.
	contains "a Latin-1 file name is refused on PostgreSQL, saying why" "$out" \
		"its name is not valid UTF-8 (an old Latin-1 name, say), which a PostgreSQL store cannot hold: rename the file"
	mv "$inbox/$(printf 'd\xe9clencheur.txt')" "$inbox/declencheur.txt"
	rg "$d" run >/dev/null 2>&1
	out=$(rg "$d" search --json tremblement)
	equals "renamed, it is a result" "$(jq_py "$out" 'len(j["results"])')" "1"
	mv "$inbox/declencheur.txt" "$inbox/$(printf 'd\xe9clencheur.txt')"
else
	out=$(rg "$d" search --json tremblement)
	equals "a Latin-1 file name is still a result in JSON" "$(jq_py "$out" 'len(j["results"])')" "1"
fi
check "and the log stays valid JSON" python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$d/logs/pipeline.log"

flock "$d/run.lock" sleep 3 &
sleep 0.3
out=$(rg "$d" run 2>&1); rc=$?
equals "a second run while one holds the data folder exits 4" "$rc" "4"
contains "and says why" "$out" "another run holds"
wait
finish

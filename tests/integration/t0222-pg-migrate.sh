#!/usr/bin/env bash
# ragops store migrate: a SQLite store in use (runs, questions, feedback)
# copied into a new PostgreSQL store, verified, and then used there as if
# nothing had moved: the same answers, the same release, new ids after
# the copied ones.  A store already in use is never merged into.
# store: both (a SQLite store migrated into PostgreSQL)
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pg_database "t0222_$$"

d=$(new_data d)
rg "$d" run --inbox "$TOP/samples/corpus" >/dev/null 2>&1
q="Quelle vitesse minimale faut-il avec un 200 mm sur un capteur APS-C ?"
before=$(rg "$d" ask --json "$q")
qid=$(jq_py "$before" "j['query_id']")
check "feedback recorded on SQLite" rg "$d" feedback add --query-id "$qid" --rating 4 \
	--text "l'« inverse » de la focale ? oui" --corrected "1/200 s, ou 1/320 s en APS-C"

expect_exit 2 "migrate without --store is a usage error" rg "$d" store migrate --from "$d"
expect_exit 2 "a folder without a store is refused, not read as an empty one" \
	"$RAGOPS" --data "$d" --store "$url" store migrate --from "$scratch/nothing"
[[ -e "$scratch/nothing" ]] && not_ok "and is not created" || ok "and is not created"

out=$("$RAGOPS" --data "$d" --store "$url" store migrate --from "$d" 2>&1)
rc=$?
equals "migrate exits 0" "$rc" "0"
contains "it says it verified the copy" "$out" "verified them value by value"
contains "it copied the chunks" "$out" "chunks           239 rows"
contains "and kept the model files in the store" "$out" "kept 2 model files in the store"

# What was there is there, row for row.
# (Columns of text and integers: the two print floating point differently; ragops compared those.)
for table in "documents ORDER BY id" "chunks ORDER BY id" "feedback ORDER BY id" \
	"releases ORDER BY id" "release_events ORDER BY id"; do
	name=${table%% *}
	a=$(sqlite3 -separator '|' "$d/ragops.db" "SELECT * FROM $table" | md5sum)
	cols=$(sqlite3 "$d/ragops.db" "SELECT group_concat(name, ', ') FROM pragma_table_info('$name')")
	b=$(pg "$url" -F '|' -c "SELECT $cols FROM $table" | md5sum)
	equals "table $name holds the same rows on PostgreSQL" "$b" "$a"
done
cols="id, asked_at, question, language, answer, abstained, sources, retriever, answerer, answer_chars"
a=$(sqlite3 -separator '|' "$d/ragops.db" "SELECT $cols FROM queries ORDER BY id" | md5sum)
b=$(pg "$url" -F '|' -c "SELECT $cols FROM queries ORDER BY id" | md5sum)
equals "table queries holds the same rows on PostgreSQL" "$b" "$a"

after=$("$RAGOPS" --data "$d" --store "$url" ask --json "$q")
equals "the question gets the same answer from the copy" "$(jq_py "$after" "j['answer']")" \
	"$(jq_py "$before" "j['answer']")"
fresh=$(new_data fresh)
other=$("$RAGOPS" --data "$fresh" --store "$url" ask --json "$q")
equals "a machine with an empty data folder answers the same from the copy" \
	"$(jq_py "$other" "j['answer']")" "$(jq_py "$before" "j['answer']")"
out=$("$RAGOPS" --data "$d" --store "$url" feedback list --json)
contains "the feedback came along" "$out" "1/200 s, ou 1/320 s en APS-C"
out=$("$RAGOPS" --data "$d" --store "$url" run --inbox "$TOP/samples/corpus" --json 2>/dev/null)
equals "a run on the copy is run 2, everything unchanged" \
	"$(jq_py "$out" "j['run_id'], j['documents']['unchanged']")" "2 29"
out=$("$RAGOPS" --data "$d" --store "$url" feedback add --question "q" --answer "a" --rating 2 --json)
equals "new feedback takes the id after the copied one" "$(jq_py "$out" "j['id']")" "2"

out=$("$RAGOPS" --data "$d" --store "$url" store migrate --from "$d" 2>&1)
rc=$?
equals "a second migrate into the store in use is refused (exit 4)" "$rc" "4"
contains "saying the target is not empty" "$out" "not empty"
equals "and nothing was added" "$(pg "$url" -c 'SELECT count(*) FROM runs')" "2"

finish

#!/usr/bin/env bash
# Feedback on answers: linked to the logged question, validated, listed with
# filters, exported as JSONL, and kept as one JSON file each; the sources
# judged helpful and unhelpful, from the command line and the API.
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
mkdir -p "$inbox"
cp -r "$TOP/samples/corpus/notes" "$inbox/"
d=$(new_data fb)
rg "$d" run --inbox "$inbox" >/dev/null 2>&1

j=$(rg "$d" ask --json "Qu'est-ce que l'ISO ?")
qid=$(jq_py "$j" 'j["query_id"]')
out=$(rg "$d" feedback add --query-id "$qid" --rating 2 --text "Trop court" --corrected "L'ISO mesure la sensibilité..." --json)
equals "feedback on a logged question takes its question" "$(jq_py "$out" 'j["question"]')" "Qu'est-ce que l'ISO ?"
equals "and its sources" "$(jq_py "$out" 'j["sources"][0]["document"]')" "notes/iso-et-bruit.txt"
out=$(rg "$d" feedback add --question "Qu'est-ce que l'ISO ?" --answer "L'ISO est…" --source iso.pdf \
	--rating 4 --text "Bonne réponse mais pourrait être plus détaillée" \
	--corrected "L'ISO (International Organization for Standardization) est…")
contains "feedback without a logged question" "$out" "feedback 2 saved (rating 4)"
equals "a JSON file per record" "$(ls "$d/feedback" | tr '\n' ' ')" "feedback-000001.json feedback-000002.json "
equals "the file holds the record" "$(jq_py "$(cat "$d/feedback/feedback-000002.json")" 'j["corrected_answer"]')" \
	"L'ISO (International Organization for Standardization) est…"
expect_exit 2 "a rating of 6 is refused" "$RAGOPS" --data "$d" feedback add --question q --answer a --rating 6
out=$(rg "$d" feedback add --query-id 999 --rating 3 2>&1)
contains "an unknown query id is named" "$out" "'query_id' 999 names no logged question"
out=$(rg "$d" feedback add --rating 3 2>&1)
contains "a question is required" "$out" "needs 'query_id', or 'question' and 'answer'"
expect_exit 2 "a bad --since is refused" "$RAGOPS" --data "$d" feedback list --since yesterday

out=$(rg "$d" feedback list --max-rating 2)
contains "list --max-rating keeps the low ratings" "$out" "Trop court"
lacks "and only them" "$out" "Bonne réponse"
out=$(rg "$d" feedback list --since 1h --json)
equals "list --since 1h --json" "$(jq_py "$out" 'len(j)')" "2"
out=$(rg "$d" feedback export --format jsonl)
equals "export: one JSON object per line" "$(printf '%s\n' "$out" | python3 -c "import json,sys; print(len([json.loads(l) for l in sys.stdin]))")" "2"
equals "with every field of the record" "$(printf '%s\n' "$out" | head -1 | python3 -c "import json,sys; print(sorted(json.loads(sys.stdin.read())))")" \
	"['answer', 'corrected_answer', 'feedback_text', 'helpful_sources', 'id', 'query_id', 'question', 'rating', 'sources', 'timestamp', 'unhelpful_sources']"
equals "a record that judges no source says null" \
	"$(jq_py "$(rg "$d" feedback list --json)" '[(f["helpful_sources"], f["unhelpful_sources"]) for f in j]')" \
	"[(None, None), (None, None)]"

# --- the sources judged helpful and unhelpful ---
iso=notes/iso-et-bruit.txt paysage=notes/photo-de-paysage.txt
out=$(rg "$d" feedback add --query-id "$qid" --rating 3 --helpful "$iso" --helpful "$iso" --unhelpful "$paysage" --json)
equals "add --helpful/--unhelpful keeps them, a duplicate dropped" \
	"$(jq_py "$out" '(j["helpful_sources"], j["unhelpful_sources"])')" "(['$iso'], ['$paysage'])"
fid=$(jq_py "$out" 'j["id"]')
out=$(rg "$d" feedback list --json)
equals "feedback list --json shows them" \
	"$(jq_py "$out" '[(f["helpful_sources"], f["unhelpful_sources"]) for f in j if f["id"] == '"$fid"']')" \
	"[(['$iso'], ['$paysage'])]"
out=$(rg "$d" feedback list --limit 1)
contains "and the table names them" "$out" "helpful:   $iso"
contains "both kinds" "$out" "unhelpful: $paysage"
equals "the record's JSON file holds them" \
	"$(jq_py "$(cat "$d/feedback/feedback-$(printf %06d "$fid").json")" 'j["helpful_sources"]')" "['$iso']"
equals "export carries them" \
	"$(rg "$d" feedback export | head -1 | python3 -c "import json,sys; print(json.loads(sys.stdin.read())['unhelpful_sources'])")" \
	"['$paysage']"
before=$(sql "$d" 'SELECT count(*) FROM feedback')
out=$(rg "$d" feedback add --query-id "$qid" --rating 3 --helpful "$iso" --unhelpful "$iso" 2>&1)
contains "a path both helpful and unhelpful is refused, named" "$out" \
	"'$iso' is in both 'helpful_sources' and 'unhelpful_sources'"
out=$(rg "$d" feedback add --query-id "$qid" --rating 3 --unhelpful notes/nulle-part.txt 2>&1)
contains "a path no document has had is refused, naming the path and the field" "$out" \
	"'unhelpful_sources' names 'notes/nulle-part.txt', which no document in the store has ever had"
expect_exit 2 "with exit 2" "$RAGOPS" --data "$d" feedback add --query-id "$qid" --rating 3 --helpful iso-et-bruit.txt
out=$(rg "$d" feedback add --query-id "$qid" --rating 3 --helpful "" 2>&1)
contains "an empty path is refused" "$out" "'helpful_sources' has an empty path"
out=$(rg "$d" feedback add --query-id "$qid" --rating 3 $(for i in $(seq 21); do printf -- '--helpful n%d ' "$i"; done) 2>&1)
contains "more than 20 paths are refused" "$out" "'helpful_sources' names more than 20 documents"
out=$(rg "$d" feedback add --query-id "$qid" --rating 3 --helpful "$(printf 'a%.0s' $(seq 1025))" 2>&1)
contains "a path over 1024 bytes is refused" "$out" "'helpful_sources' has a path of 1025 bytes"
out=$(rg "$d" feedback add --query-id "$qid" --rating 3 --helpful $'notes/\xe9t\xe9.txt' 2>&1)
contains "a path that is not UTF-8 is refused" "$out" "is not valid UTF-8"
equals "nothing refused was saved" "$(sql "$d" 'SELECT count(*) FROM feedback')" "$before"

# A deleted document was a real source; a renamed one is still the path its answer cited.
rm "$inbox/notes/backup-basics.txt"
mv "$inbox/notes/photo-de-paysage.txt" "$inbox/notes/paysage.txt"
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "(the run saw the deletion and the rename)" \
	"$(sql "$d" "SELECT group_concat(p, ' ') FROM (SELECT relpath || ':' || status AS p FROM documents
		WHERE relpath != '$iso' ORDER BY relpath) AS l")" \
	"notes/backup-basics.txt:deleted notes/paysage.txt:indexed"
out=$(rg "$d" feedback add --question "Sauvegardes ?" --answer "3-2-1" --rating 2 --unhelpful notes/backup-basics.txt --json 2>&1)
equals "a deleted document's path is accepted" "$(jq_py "$out" 'j["unhelpful_sources"]')" "['notes/backup-basics.txt']"
out=$(rg "$d" feedback add --query-id "$qid" --rating 2 --unhelpful "$paysage" --json 2>&1)
equals "a path the logged answer cited is accepted after a rename" "$(jq_py "$out" 'j["unhelpful_sources"]')" "['$paysage']"

# An older record (written before sources could be judged) lists as any other.
sql "$d" "INSERT INTO feedback (created_at, question, answer, sources, rating) VALUES (1, 'Ancienne ?', 'Oui.', '[]', 4)"
out=$(rg "$d" feedback list --json)
equals "an old record lists with null judged sources" \
	"$(jq_py "$out" '[(f["helpful_sources"], f["unhelpful_sources"], f["rating"]) for f in j if f["question"] == "Ancienne ?"]')" \
	"[(None, None, 4)]"
contains "and in the table" "$(rg "$d" feedback list)" "4/5  Ancienne ?"

# --- the same through the API ---
http() {
	local method=$1 path=$2; shift 2
	status=$(curl -s -X "$method" -o "$scratch/http-body" -w '%{http_code}' "$@" "$SERVE_URL$path")
	body=$(cat "$scratch/http-body")
}
post() { http POST /api/feedback -H 'Content-Type: application/json' --data-binary "$1"; }
field() { jq_py "$body" "$1"; }
serve_start "$d" -c serve.rate_limit=0 || { not_ok "the server starts"; finish; exit 1; }
post "{\"query_id\": $qid, \"rating\": 5, \"helpful_sources\": [\"$iso\", \"$iso\"], \"unhelpful_sources\": [\"notes/paysage.txt\"]}"
equals "POST /api/feedback with judged sources is 201" "$status" "201"
equals "and says them back" "$(field '(j["helpful_sources"], j["unhelpful_sources"])')" "(['$iso'], ['notes/paysage.txt'])"
fid=$(field 'j["id"]')
http GET /api/feedback
equals "GET /api/feedback lists them" \
	"$(field '[(f["helpful_sources"], f["unhelpful_sources"]) for f in j["items"] if f["id"] == '"$fid"']')" \
	"[(['$iso'], ['notes/paysage.txt'])]"
equals "and null for the old record" \
	"$(field '[f["helpful_sources"] for f in j["items"] if f["question"] == "Ancienne ?"]')" "[None]"
post '{"question": "Q ?", "answer": "A.", "rating": 4, "helpful_sources": null}'
equals "null is the same as not given" "$status $(field 'j["helpful_sources"]')" "201 None"
before=$(sql "$d" 'SELECT count(*) FROM feedback')
bad() { # bad "what" BODY FIELD MESSAGE: a 400 naming the field
	post "$2"
	equals "$1: 400 naming '$3'" "$status $(field 'j.get("field")')" "400 $3"
	contains "$1: says why" "$(field 'j["error"]')" "$4"
}
bad "not a list" '{"query_id": '"$qid"', "rating": 3, "helpful_sources": "'"$iso"'"}' helpful_sources \
	"'helpful_sources' must be a list of document paths, not a string"
bad "a number in the list" '{"query_id": '"$qid"', "rating": 3, "unhelpful_sources": ["'"$iso"'", 7]}' unhelpful_sources \
	"'unhelpful_sources' must be a list of document paths, and item 2 is a number"
bad "a path in both lists" '{"query_id": '"$qid"', "rating": 3, "helpful_sources": ["'"$iso"'"], "unhelpful_sources": ["'"$iso"'"]}' \
	unhelpful_sources "'$iso' is in both 'helpful_sources' and 'unhelpful_sources'"
bad "an unknown path" '{"question": "Q ?", "answer": "A.", "rating": 3, "helpful_sources": ["notes/inventé.txt"]}' \
	helpful_sources "'helpful_sources' names 'notes/inventé.txt', which no document in the store has ever had"
bad "an empty path" '{"question": "Q ?", "answer": "A.", "rating": 3, "helpful_sources": [""]}' \
	helpful_sources "'helpful_sources' has an empty path"
equals "nothing invalid was saved" "$(sql "$d" 'SELECT count(*) FROM feedback')" "$before"
serve_stop
equals "the server stops cleanly" "$?" "0"
finish

#!/usr/bin/env bash
# Feedback on answers: linked to the logged question, validated, listed with
# filters, exported as JSONL, and kept as one JSON file each.
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
	"['answer', 'corrected_answer', 'feedback_text', 'id', 'query_id', 'question', 'rating', 'sources', 'timestamp']"
finish

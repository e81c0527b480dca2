#!/usr/bin/env bash
# Personal data typed into feedback (issue 13): e-mail addresses, phone
# numbers, an API key, an IBAN, given from the command line and the HTTP
# API, never leave ragops unscrubbed.
#
# What is promised:
#  - scrubbed ([email], [phone], [secret], [iban]): `ragops feedback
#    export`, the retraining datasets (`retrain prepare`), and the curated
#    answers retraining makes of corrections (shown to other users, kept in
#    a release's file under models/);
#  - never written at all: the logs (pipeline.log, the server's, even at
#    log.level=debug) and the metrics files;
#  - kept as given: the user's own record -- the store, the JSON copy of
#    each record under <data>/feedback/ and `feedback list`.
# Not covered here: GET /api/feedback and /api/feedback/export (src/serve
# sends the record as stored; see the report of issue 13).
. "$(dirname "$0")/lib.sh"
in="$scratch/inbox"
sample_inbox "$in" notes
d=$(new_data fb)
rg "$d" run --inbox "$in" >/dev/null 2>&1

canaries=(jean.dupont 'example.org' '12 34 56 78' '12.34.56.78' 'sk-live-' '3000 6000 0112' '30006000011234567890189' 'FR76')
pii="Écrivez à jean.dupont@example.org, appelez le +33 6 12 34 56 78 ou le 06.12.34.56.78 ; clé sk-live-4f9a8b7c6d5e4f3a2b1c0d9e ; IBAN FR76 3000 6000 0112 3456 7890 189"
pii2="Mon IBAN sans espaces : FR7630006000011234567890189, mon mail JEAN.DUPONT@EXAMPLE.ORG"
# leaks FILE-OR-DIR...: "path:canary" for each canary found (any case), one a line
leak_lines() {
	local c
	for c in "${canaries[@]}"; do
		grep -rliF -- "$c" "$@" 2>/dev/null | sed "s|^$scratch/||; s|\$|:$c|"
	done | sort -u
}
leaks() { leak_lines "$@" | paste -sd '|'; }

# --- from the command line: ten questions, each with a source judged right and a correction ---
i=0
for q in "Qu'est-ce que l'ISO ?" "Le bruit numérique vient d'où ?" "Faut-il monter en ISO ?" \
	 "Comment sauvegarder mes photos ?" "Quelle règle 3-2-1 pour les sauvegardes ?" \
	 "Où garder une copie hors site ?" "Quels réglages pour un paysage ?" \
	 "Quelle ouverture en paysage ?" "Faut-il un trépied en montagne ?" "Que mettre dans le sac photo en montagne ?"; do
	j=$(rg "$d" ask --json "$q")
	qid=$(jq_py "$j" 'j["query_id"]') doc=$(jq_py "$j" 'j["sources"][0]["document"]')
	rg "$d" feedback add --query-id "$qid" --rating 2 --helpful "$doc" --text "$pii" \
		--corrected "Réponse corrigée numéro $i, assez longue pour être gardée : $pii" >/dev/null ||
		not_ok "feedback $i is saved"
	i=$((i + 1))
done
rg "$d" feedback add --question "Mon mail jean.dupont@example.org, c'est pour l'ISO ?" --answer "$pii2" \
	--rating 1 --text "$pii2" >/dev/null
equals "(eleven records from the command line)" "$(sql "$d" 'SELECT count(*) FROM feedback')" "11"

# --- from the API, the server logging everything ---
serve_start "$d" -c serve.rate_limit=0 -c log.level=debug || { not_ok "the server starts"; finish; exit 1; }
post() {
	curl -s -o "$scratch/body" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "$1" "$SERVE_URL/api/feedback"
}
body=$(python3 -c 'import json,sys; print(json.dumps({"question": "Joignable au +33 6 12 34 56 78 ?",
	"answer": sys.argv[1], "rating": 3, "feedback_text": sys.argv[1], "corrected_answer": sys.argv[2]}))' "$pii" "$pii2")
equals "POST /api/feedback with personal data is 201" "$(post "$body")" "201"
body=$(python3 -c 'import json,sys; print(json.dumps({"question": "Q ?", "answer": "A.", "rating": 3,
	"helpful_sources": ["jean.dupont@example.org"], "feedback_text": sys.argv[1]}))' "$pii")
equals "a refused one is 400 (its path names no document)" "$(post "$body")" "400"
serve_stop
equals "the server stops cleanly" "$?" "0"

# --- what leaves ragops ---
rg "$d" feedback export >"$scratch/export.jsonl"
rg "$d" feedback export --format json >"$scratch/export.json"
equals "(the export holds the twelve records)" "$(wc -l <"$scratch/export.jsonl")" "12"
rg "$d" retrain prepare --out "$scratch/datasets" >/dev/null
rg "$d" retrain run >"$scratch/retrain.out" 2>&1
curated=$(sql "$d" "SELECT path FROM models WHERE kind = 'curated'")
check "(retraining made curated answers of the corrections)" test -n "$curated" -a -f "$d/$curated"

equals "feedback export (jsonl and json): no personal data" "$(leaks "$scratch/export.jsonl" "$scratch/export.json")" ""
contains "each replaced by what it was" "$(cat "$scratch/export.jsonl")" \
	"Écrivez à [email], appelez le [phone] ou le [phone] ; clé [secret] ; IBAN [iban]"
contains "in the question and answer too" "$(cat "$scratch/export.jsonl")" "Joignable au [phone] ?"
contains "document paths are left alone" "$(cat "$scratch/export.jsonl")" '"document":"notes/'
equals "the retraining datasets: none" "$(leaks "$scratch/datasets")" ""
equals "the curated answers' file: none" "$(leaks "$d/$curated")" ""
equals "the logs (pipeline and the server's, at debug level): none" "$(leaks "$d/logs" "$SERVE_LOG")" ""
equals "the metrics files: none" "$(leaks "$d/metrics")" ""
equals "the retraining's report: none" "$(leaks "$scratch/retrain.out")" ""
equals "no other file of the data folder but the store and the records' copies" \
	"$(leak_lines "$d" | grep -v -e '^fb/ragops.db' -e '^fb/feedback/feedback-' | paste -sd '|')" ""

# --- what stays the user's own record ---
contains "the store keeps what was given" "$(sql "$d" "SELECT feedback_text FROM feedback WHERE id = 1")" "jean.dupont@example.org"
contains "so does the record's copy" "$(cat "$d/feedback/feedback-000001.json")" "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e"
contains "and feedback list" "$(rg "$d" feedback list --json)" "FR76 3000 6000 0112 3456 7890 189"
finish

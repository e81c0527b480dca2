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
#    each record under <data>/feedback/ and `feedback list`;
#  - over HTTP (docs/api.md, "Feedback text"): every route the server
#    lists, public or admin, with the admin token or without, with ?raw=1
#    or without, returns scrubbed text; the one way to the text as given
#    is the admin's explicit GET /api/feedback/export?raw=1, the same bytes
#    as `ragops feedback export --raw`.
. "$(dirname "$0")/lib.sh"
in="$scratch/inbox"
sample_inbox "$in" notes
d=$(new_data fb)
rg "$d" run --inbox "$in" >/dev/null 2>&1

canaries=(jean.dupont 'example.org' '12 34 56 78' '12.34.56.78' 'sk-live-' '3000 6000 0112' '30006000011234567890189' 'FR76'
	  'ghp_T0192gh' 'AKIAT0192AWS' 'T0192bearer')
pii="Écrivez à jean.dupont@example.org, appelez le +33 6 12 34 56 78 ou le 06.12.34.56.78 ; clé sk-live-4f9a8b7c6d5e4f3a2b1c0d9e ; IBAN FR76 3000 6000 0112 3456 7890 189"
pii2="Mon IBAN sans espaces : FR7630006000011234567890189, mon mail JEAN.DUPONT@EXAMPLE.ORG"
tokens="jeton ghp_T0192gh0123456789abcdefABCDEF ; AWS AKIAT0192AWS00001234 ; Authorization: Bearer T0192bearer.0123456789-abcdef"
# leaks FILE-OR-DIR...: "path:canary" for each canary found (any case), one a line
leak_lines() {
	local c
	for c in "${canaries[@]}"; do
		grep -rliF -- "$c" "$@" 2>/dev/null | sed "s|^$scratch/||; s|\$|:$c|"
	done | sort -u
}
printf '%s\n' "${canaries[@]}" >"$scratch/canaries"
# leaks FILE-OR-DIR...: the same on one line (one grep when there is none: ~150 bodies below)
leaks() { ! grep -rqiF -f "$scratch/canaries" -- "$@" 2>/dev/null || leak_lines "$@" | paste -sd '|'; }

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
	"answer": sys.argv[1], "rating": 3, "feedback_text": sys.argv[1], "corrected_answer": sys.argv[2]}))' "$pii" "$pii2 ; $tokens")
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
contains "tokens too" "$(cat "$scratch/export.jsonl")" "jeton [secret] ; AWS [secret] ; Authorization: [secret]"
contains "document paths are left alone" "$(cat "$scratch/export.jsonl")" '"document":"notes/'
equals "the retraining datasets: none" "$(leaks "$scratch/datasets")" ""
equals "the curated answers' file: none" "$(leaks "$d/$curated")" ""
equals "the logs (pipeline and the server's, at debug level): none" "$(leaks "$d/logs" "$SERVE_LOG")" ""
equals "the metrics files: none" "$(leaks "$d/metrics")" ""
equals "the retraining's report: none" "$(leaks "$scratch/retrain.out")" ""
equals "no other file of the data folder but the store and the records' copies" \
	"$(leak_lines "$d" | grep -v -e '^fb/ragops.db' -e '^fb/feedback/feedback-' | paste -sd '|')" ""

# --- every route over HTTP, with the admin token and without ---
export T0192_TOKEN="t0192-admin-token-5c4b3a"
admin=(-H "Authorization: Bearer $T0192_TOKEN")
serve_start "$d" -c serve.rate_limit=0 -c log.level=debug -c serve.token_env=T0192_TOKEN ||
	{ not_ok "the server starts again"; finish; exit 1; }
mkdir -p "$scratch/http"
# fetch FILE PATH [curl args...]: the status; the body in $scratch/http/FILE
fetch() {
	local file=$1 path=$2; shift 2
	curl -s -o "$scratch/http/$file" -w '%{http_code}' "$@" "$SERVE_URL$path"
}

# Planted through POST /api/feedback: its reply, and the reply replayed for the same key.
body=$(python3 -c 'import json,sys; print(json.dumps({"question": "Mon mail est jean.dupont@example.org",
	"answer": "A.", "rating": 2, "feedback_text": sys.argv[1], "corrected_answer": sys.argv[2]}))' "$pii" "$tokens")
post_json=(-H 'Content-Type: application/json' -H 'Idempotency-Key: t0192-canaries' --data-binary "$body")
equals "POST /api/feedback with canaries: 201" "$(fetch post "/api/feedback" "${post_json[@]}")" "201"
equals "POST /api/feedback again with its key: 201" "$(fetch replay "/api/feedback" "${post_json[@]}")" "201"
equals "its reply, and the replay: no personal data" "$(leaks "$scratch/http/post" "$scratch/http/replay")" ""
check "its reply says what was replaced" grep -qF '"feedback_text":"Écrivez à [email], appelez' "$scratch/http/post"
check "the replay is the same bytes" cmp "$scratch/http/post" "$scratch/http/replay"
contains "the store keeps what was posted" "$(sql "$d" "SELECT corrected_answer FROM feedback ORDER BY id DESC LIMIT 1")" \
	"ghp_T0192gh0123456789abcdefABCDEF"
records=$(sql "$d" 'SELECT count(*) FROM feedback')

# Every GET route of the table, each {id} for every record of its kind.
ids_for() {
	case $1 in
	/api/runs/{id}) sql "$d" 'SELECT id FROM runs' ;;
	/api/releases/{id}) sql "$d" 'SELECT id FROM releases' ;;
	/api/retrain/{id}) sql "$d" 'SELECT id FROM retrainings' ;;
	esac
}
routes=$(rg "$d" serve --list-routes | awk '$1 == "GET" {print $2}')
contains "(the table lists the feedback routes)" "$(tr '\n' ' ' <<<"$routes")" "/api/feedback /api/feedback/export "
k=0
while read -r pattern; do
	paths=$pattern
	if [[ $pattern == *'{id}'* ]]; then
		paths=$(ids_for "$pattern" | sed "s|^|${pattern%%\{id\}*}|; s|\$|${pattern#*\{id\}}|")
		[[ -n $paths ]] || { not_ok "GET $pattern: this test knows ids to call it with"; continue; }
	fi
	found=() calls=0
	for path in $paths; do
		for args in "" "?raw=1" "?format=json" "?format=json&raw=1" "?limit=10000&window=90d"; do
			for who in public admin; do
				k=$((k + 1)) calls=$((calls + 1))
				if [[ $who == admin ]]; then st=$(fetch "r$k" "$path$args" "${admin[@]}"); else st=$(fetch "r$k" "$path$args"); fi
				# The one door to the text as given: the admin asking for it.
				[[ $path == /api/feedback/export && $who == admin && $args == *raw=1* ]] && continue
				l=$(leaks "$scratch/http/r$k")
				[[ -z $l ]] || found+=("$who GET $path$args ($st): $l")
			done
		done
	done
	equals "GET $pattern ($calls calls): no personal data" "$(printf '%s\n' "${found[@]}")" ""
done <<<"$routes"

# What the feedback routes hold, scrubbed.
equals "GET /api/feedback: 200" "$(fetch list '/api/feedback?limit=10000')" "200"
equals "it lists every record" "$(jq_py "$(cat "$scratch/http/list")" 'len(j["items"])')" "$records"
check "with the text scrubbed" grep -qF "appelez le [phone] ou le [phone] ; clé [secret] ; IBAN [iban]" "$scratch/http/list"
equals "GET /api/feedback?raw=1 is refused (a public route is scrubbed always)" "$(fetch x '/api/feedback?raw=1')" "400"
equals "even with the admin token" "$(fetch x '/api/feedback?raw=1' "${admin[@]}")" "400"
equals "GET /api/metrics/summary: 200" "$(fetch summary '/api/metrics/summary?window=90d')" "200"
check "its latest feedback is scrubbed" grep -qF '"corrected_answer":"jeton [secret] ; AWS [secret] ; Authorization: [secret]"' \
	"$scratch/http/summary"
equals "GET /api/feedback/export without the token: 401" "$(fetch x '/api/feedback/export?raw=1')" "401"
equals "GET /api/feedback/export with the token: 200" "$(fetch export '/api/feedback/export' "${admin[@]}")" "200"
rg "$d" feedback export >"$scratch/cli-export.jsonl"
check "the same bytes as ragops feedback export" cmp "$scratch/http/export" "$scratch/cli-export.jsonl"
equals "GET /api/feedback/export?raw=1 with the token: 200" "$(fetch raw '/api/feedback/export?raw=1' "${admin[@]}")" "200"
equals "it holds every canary" "$(leak_lines "$scratch/http/raw" | wc -l)" "${#canaries[@]}"
rg "$d" feedback export --raw >"$scratch/cli-raw.jsonl"
check "the same bytes as ragops feedback export --raw" cmp "$scratch/http/raw" "$scratch/cli-raw.jsonl"
equals "?raw=yes is refused" "$(fetch x '/api/feedback/export?raw=yes' "${admin[@]}")" "400"

serve_stop
equals "the server stops cleanly" "$?" "0"
equals "its log (debug level): no personal data" "$(leaks "$SERVE_LOG")" ""

# --- what stays the user's own record ---
contains "the store keeps what was given" "$(sql "$d" "SELECT feedback_text FROM feedback WHERE id = 1")" "jean.dupont@example.org"
contains "so does the record's copy" "$(cat "$d/feedback/feedback-000001.json")" "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e"
contains "and feedback list" "$(rg "$d" feedback list --json)" "FR76 3000 6000 0112 3456 7890 189"
finish

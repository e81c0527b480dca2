#!/usr/bin/env bash
# ragops serve and retraining over real HTTP: GET /api/retrain (the policy,
# the last retraining, whether one is going), POST /api/retrain (admin; a
# `ragops retrain run` process of its own; 409 while a run or a retraining
# holds the data folder, 503 without production), GET /api/retrain/{id},
# a record left running by a dead process, and the retraining metrics.
. "$(dirname "$0")/lib.sh"
d=$(new_data retrain-api)
inbox="$scratch/inbox"
sample_inbox "$inbox" notes md pdf
check "an index of notes, md and pdf" rg "$d" run --inbox "$inbox"

# http METHOD PATH [curl args...]: sets status, body, headers
http() {
	local method=$1 path=$2; shift 2
	local out="$scratch/http-body" hdr="$scratch/http-headers"
	status=$(curl -s --path-as-is -X "$method" -o "$out" -D "$hdr" -w '%{http_code}' "$@" "$SERVE_URL$path")
	body=$(cat "$out")
	headers=$(tr -d '\r' <"$hdr")
}
field() { jq_py "$body" "$1"; }
admin() { http POST /api/retrain -H "Authorization: Bearer $API_TOKEN" "$@"; }
# wait_retraining: poll GET /api/retrain until nothing runs (two minutes at most)
wait_retraining() {
	for _ in $(seq 600); do
		http GET /api/retrain
		[[ $status == 200 && $(field 'j["running"]') == False ]] && return 0
		sleep 0.2
	done
	return 1
}

export API_TOKEN="retrain-token-for-tests"
# The retrainings the server starts inherit its environment: each waits
# three seconds halfway (once recorded, its candidate half built), which
# leaves time to find it going.
RAGOPS_PAUSE_AT=retrain serve_start "$d" -c serve.token_env=API_TOKEN -c serve.rate_limit=0 ||
	{ not_ok "the server starts"; finish; exit 1; }

# --- before any feedback ---
http GET /api/retrain
equals "GET /api/retrain is 200" "$status" "200"
equals "the policy lists its six rules" "$(field '[r["rule"] for r in j["policy"]["rules"]]')" \
	"['new_feedback', 'mean_rating', 'low_rating_share', 'corpus_change', 'query_drift', 'feedback_eval']"
equals "each with its threshold, window, verdict and detail" \
	"$(field 'all(isinstance(r["threshold"], float) and r["window"] and r["triggered"] in (True, False) and r["detail"] for r in j["policy"]["rules"])')" "True"
equals "no feedback: no retraining recommended" "$(field '(j["policy"]["retrain"], j["policy"]["feedback"])')" "(False, 0)"
contains "saying why" "$(field 'j["policy"]["reason"]')" "no feedback yet"
equals "no retraining yet, none running" "$(field '(j["last"], j["running"])')" "(None, False)"

# --- feedback: ten questions rated 2, each with the source judged right ---
while IFS='|' read -r q doc; do
	qid=$(rg "$d" ask --json "$q" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["query_id"])')
	rg "$d" feedback add --query-id "$qid" --rating 2 --helpful "$doc" \
		--corrected "La réponse est dans $doc, avec ses explications." >/dev/null 2>&1 ||
		not_ok "feedback on '$q'"
done <<'EOF'
Comment éviter le flou de bougé ?|pdf/vitesse-obturation.pdf
Qu'est-ce que la profondeur de champ ?|pdf/profondeur-de-champ.pdf
Comment régler la balance des blancs ?|pdf/balance-des-blancs.pdf
Pourquoi monter les ISO fait du bruit ?|notes/iso-et-bruit.txt
Quelle focale pour un portrait ?|pdf/objectifs-et-focales.pdf
Comment sauvegarder mes photos ?|notes/backup-basics.txt
RAW ou JPEG ?|md/raw-vs-jpeg.md
Comment mesurer la lumière ?|pdf/mesure-de-la-lumiere.pdf
Quelle ouverture choisir ?|pdf/ouverture-diaphragme.pdf
Comment composer une photo de paysage ?|notes/photo-de-paysage.txt
EOF
equals "ten feedback records" "$(sql "$d" "SELECT count(*) FROM feedback")" "10"

http GET /api/retrain
equals "the policy sees them at once (new feedback: not the cached verdict)" "$(field 'j["policy"]["feedback"]')" "10"
equals "mean rating 2 under its floor: the rule fires" \
	"$(field '[(r["value"], r["triggered"]) for r in j["policy"]["rules"] if r["rule"] == "mean_rating"][0]')" "(2.0, True)"
equals "retraining is recommended" "$(field 'j["policy"]["retrain"]')" "True"
contains "naming the rules that fired" "$(field 'j["policy"]["reason"]')" "yes: mean_rating"

# --- starting one ---
http POST /api/retrain
equals "POST /api/retrain without a token is 401" "$status" "401"
http POST /api/retrain -H "Authorization: Bearer wrong"
equals "with a wrong token, 401" "$status" "401"
admin -H 'Content-Type: application/json' --data-binary '{"shuffle_labels": true}'
equals "a body with fields is 400" "$status" "400"
equals "nothing was started" "$(sql "$d" "SELECT count(*) FROM retrainings")" "0"

# POST answers once the retraining has recorded itself, and it then pauses
# three seconds (RAGOPS_PAUSE_AT above): the three requests after it come
# while it goes.
admin
started=$status started_body=$body started_headers=$headers
admin
again=$status again_body=$body
http POST /api/runs -H "Authorization: Bearer $API_TOKEN"
run_status=$status
http GET /api/retrain
going=$body
equals "POST /api/retrain with the token is 202" "$started" "202"
equals "started, with the retraining's id" "$(jq_py "$started_body" '(j["status"], j["retraining"])')" "('started', 1)"
contains "Location names it" "$started_headers" "Location: /api/retrain/1"
equals "a second POST while it runs is 409" "$again" "409"
contains "saying why" "$(jq_py "$again_body" 'j["error"]')" "a run or a retraining is already going"
equals "and a run cannot start meanwhile either (409)" "$run_status" "409"
equals "GET /api/retrain says it is running" \
	"$(jq_py "$going" '(j["running"], j["last"]["id"], j["last"]["state"], j["last"]["report"])')" "(True, 1, 'running', None)"
if [[ $started == 202 ]] && wait_retraining; then ok "GET /api/retrain reaches running: false"; else not_ok "the retraining ends" "$body"; fi
equals "the last retraining is the one started" "$(field 'j["last"]["id"]')" "1"
state=$(field 'j["last"]["state"]')
contains "its state is an outcome (promoted, refused or nothing)" " promoted refused nothing " " $state "
equals "started by the API, ended" "$(field '(j["last"]["actor"], j["last"]["ended_at_ms"] >= j["last"]["started_at_ms"] > 0)')" "('api', True)"
equals "its report is JSON with the same state" "$(field 'j["last"]["report"]["state"]')" "$state"
# Ten questions, each with its right source: both splits have some, so it trains and measures.
equals "with reasons, what was trained and the held-out figures" \
	"$(field 'bool(j["last"]["report"]["reasons"]) and len(j["last"]["report"]["trained"]) >= 1 and "mrr" in j["last"]["report"]["before"]["validation"]')" "True"
equals "the store agrees" "$(sql "$d" "SELECT state || ' ' || actor FROM retrainings WHERE id = 1")" "$state api"
equals "it did pause halfway (so the 409s above were not luck)" "$(field 'j["last"]["report"]["seconds"] >= 3')" "True"

http GET /api/retrain/1
equals "GET /api/retrain/1 is 200" "$status" "200"
equals "the same retraining" "$(field '(j["id"], j["state"], j["report"]["retraining"])')" "(1, '$state', 1)"
http GET /api/retrain/99
equals "an unknown retraining is 404" "$status" "404"
http GET /api/retrain/abc
equals "a malformed id is 404" "$status" "404"
http DELETE /api/retrain/1
equals "another method is 405" "$status" "405"
contains "its output is in the API's retraining log" "$(cat "$d/logs/retrainings-started-by-api.log")" "\"retraining\": 1"

# --- metrics ---
http GET /metrics
equals "/metrics is 200" "$status" "200"
contains "whether retraining is recommended" "$body" "ragops_retrain_recommended "
contains "each rule's threshold" "$body" 'ragops_retrain_rule_threshold{rule="new_feedback"} 20'
contains "each rule's figure" "$body" 'ragops_retrain_rule_value{rule="mean_rating"} 2'
equals "each rule fires or not" "$(grep -c '^ragops_retrain_rule_triggered{rule="[a-z_]*"} [01]$' <<<"$body")" "6"
contains "retrainings by outcome" "$body" "ragops_retrainings_total{state=\"$state\"} 1"
contains "every outcome counted, 0 too" "$body" 'ragops_retrainings_total{state="failed"} 0'
equals "the API's own routes, GET and POST together, once each" \
	"$(grep -c '^ragops_http_request_duration_seconds_count{route="/api/retrain"}' <<<"$body")" "1"

# --- a run holds the data folder: 409, deterministically ---
echo "Une dernière phrase sur la lumière du soir." >>"$inbox/notes/photo-de-paysage.txt"
last_run=$(sql "$d" "SELECT max(id) FROM runs")
RAGOPS_PAUSE_AT=promote "$RAGOPS" --data "$d" run --inbox "$inbox" >/dev/null 2>&1 &
run=$!
# The gate has measured (its task is recorded) and the run waits three seconds before promoting.
for _ in $(seq 300); do
	[[ $(sql "$d" "SELECT count(*) FROM tasks WHERE stage = 'validate' AND run_id > $last_run") -ge 1 ]] && break
	sleep 0.1
done
admin
equals "POST /api/retrain while a run holds the data folder is 409" "$status" "409"
contains "saying another holds the lock" "$(field 'j["error"]')" "run.lock"
http GET /api/retrain
equals "a run is not a retraining: running is false" "$(field 'j["running"]')" "False"
wait "$run"
equals "the run ends by itself" "$?" "0"
equals "no retraining was recorded meanwhile" "$(sql "$d" "SELECT count(*) FROM retrainings")" "1"

# --- a record a dead process left running ---
sql "$d" "INSERT INTO retrainings (started_at, state, actor) VALUES (strftime('%s','now') * 1000, 'running', 'killed')"
http GET /api/retrain
equals "a running record nobody holds the lock for is shown interrupted" \
	"$(field '(j["last"]["id"], j["last"]["state"], j["running"])')" "(2, 'interrupted', False)"
http GET /api/retrain/2
equals "GET /api/retrain/2 says so too" "$(field '(j["state"], j["report"])')" "('interrupted', None)"
admin
equals "and does not stop the next retraining (202)" "$status,$(field 'j["retraining"]')" "202,3"
if wait_retraining; then ok "which ends too"; else not_ok "the second retraining ends" "$body"; fi
equals "as the last one, an outcome" "$(field '(j["last"]["id"], j["last"]["state"] in ("promoted", "refused", "nothing"))')" "(3, True)"
http GET /api/retrain/2
equals "which recorded the interrupted one as failed" "$(field 'j["state"]')" "failed"
contains "saying it stopped before it decided" "$(field 'j["report"]["reasons"]')" "stopped before it decided"
http GET /metrics
equals "the metrics count the three retrainings that ended" \
	"$(grep '^ragops_retrainings_total' <<<"$body" | awk '{s += $2} END {print s}')" "3"
contains "the interrupted one as failed" "$body" 'ragops_retrainings_total{state="failed"} 1'

serve_stop
equals "ragops serve stops cleanly on SIGTERM" "$?" "0"
for log in "$SERVE_LOG" "$d/logs/retrainings-started-by-api.log"; do
	grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$log" &&
		not_ok "no sanitizer report in $(basename "$log")" "$(tail -20 "$log")" ||
		ok "no sanitizer report in $(basename "$log")"
done

# --- without a release in production ---
e=$(new_data empty)
check "an empty data folder" rg "$e" feedback list
serve_start "$e" -c serve.token_env=API_TOKEN -c serve.rate_limit=0 ||
	{ not_ok "the server starts on it"; finish; exit 1; }
http GET /api/retrain
equals "GET /api/retrain answers (no feedback, no retraining)" "$status,$(field '(j["policy"]["retrain"], j["last"])')" "200,(False, None)"
admin
equals "POST /api/retrain without production is 503" "$status" "503"
contains "saying what to do" "$(field 'j["error"]')" "ragops run --inbox"
serve_stop
equals "that server stops cleanly too" "$?" "0"
finish

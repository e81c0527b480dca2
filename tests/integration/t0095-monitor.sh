#!/usr/bin/env bash
# ragops monitor: the runs, OCR, answers and ratings of a window, as a text
# report (tables, bar chart, sparklines) and as the JSON the API serves.
. "$(dirname "$0")/lib.sh"

# An empty data folder: every figure that needs rows is null, nothing crashes.
e=$(new_data empty)
j=$(rg "$e" monitor --json); rc=$?
equals "an empty store: exit 0" "$rc" "0"
equals "no runs, no last run" "$(jq_py "$j" '(j["pipeline"]["runs"], j["pipeline"]["last_run"], j["runs"])')" "(0, None, [])"
equals "figures without rows are null, not 0" \
	"$(jq_py "$j" '[j["pipeline"][k] for k in ("ocr_success_rate", "ocr_mean_confidence", "run_seconds_p50")] + [j["rag"][k] for k in ("abstention_rate", "latency_ms_p50", "latency_ms_p95", "answer_chars_mean", "sources_mean")] + [j["ratings"]["mean"]]')" \
	"[None, None, None, None, None, None, None, None, None]"
equals "empty days still listed, with zeros and nulls" \
	"$(jq_py "$j" 'len(j["days"]) >= 7 and all(d["queries"] == 0 and d["latency_ms_p50"] is None and d["rating_mean"] is None for d in j["days"])')" "True"
out=$(rg "$e" monitor); rc=$?
equals "the empty text report: exit 0" "$rc" "0"
contains "a missing value prints a dash" "$out" "OCR success        —"
contains "and says there is no run" "$out" "no run in the window"

# A small index, questions, ratings 1, 4 and 5.
d=$(new_data mon)
inbox="$scratch/inbox"
sample_inbox "$inbox" notes md images/fiche-histogramme.png
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
qid=$(jq_py "$(rg "$d" ask --json "Qu'est-ce que l'ISO ?")" 'j["query_id"]')
rg "$d" ask "Comment lire un histogramme ?" >/dev/null
rg "$d" ask "Quelle est la capitale du Pérou ?" >/dev/null
rg "$d" feedback add --query-id "$qid" --rating 1 --text "Réponse hors sujet" --corrected "L'ISO mesure la sensibilité" >/dev/null
rg "$d" feedback add --question q --answer a --rating 4 --text "Bien, mais un peu court" >/dev/null
rg "$d" feedback add --question q --answer a --rating 5 --text "Parfait, merci" >/dev/null

j=$(rg "$d" monitor --json); rc=$?
equals "--json: exit 0" "$rc" "0"
equals "the JSON names the dashboard reads" \
	"$(jq_py "$j" '(list(j), sorted(j["pipeline"]), sorted(j["runs"][0]), sorted(j["rag"]), sorted(j["days"][0]), sorted(j["ratings"]), sorted(j["recent_feedback"][0]))')" \
	"(['window', 'window_ms', 'generated_at', 'pipeline', 'releases', 'runs', 'rag', 'days', 'ratings', 'recent_feedback'], ['completed', 'crashed', 'documents_failed', 'documents_processed', 'failed', 'last_run', 'ocr_mean_confidence', 'ocr_pages', 'ocr_success_rate', 'pages', 'refused', 'run_seconds_p50', 'runs'], ['documents', 'duration_s', 'failed', 'id', 'ocr_mean_confidence', 'ocr_pages', 'ocr_success_rate', 'pages', 'started_at', 'state'], ['abstained', 'abstention_rate', 'answer_chars_mean', 'latency_ms_p50', 'latency_ms_p95', 'queries', 'sources_mean'], ['answer_chars_mean', 'day', 'feedback', 'latency_ms_p50', 'latency_ms_p95', 'ocr_mean_confidence', 'ocr_pages', 'queries', 'rating_mean', 'sources_mean'], ['count', 'distribution', 'mean'], ['corrected_answer', 'feedback_text', 'id', 'question', 'rating', 'timestamp'])"
equals "releases: production with the gate's figures, the gate's decisions in the window" \
	"$(jq_py "$j" '(j["releases"]["production"]["id"], j["releases"]["production"]["state"], j["releases"]["newest"], j["releases"]["promoted"], j["releases"]["refused"], j["releases"]["changed_by_hand"])')" "(1, 'production', None, 1, 0, 0)"
equals "the default window is health.window" "$(jq_py "$j" '(j["window"], j["window_ms"])')" "('7d', 604800000)"
equals "one run, all 7 documents processed" \
	"$(jq_py "$j" '(j["pipeline"]["runs"], j["pipeline"]["completed"], j["pipeline"]["documents_processed"], j["pipeline"]["documents_failed"])')" "(1, 1, 7, 0)"
equals "the last run" "$(jq_py "$j" '(j["pipeline"]["last_run"]["id"], j["pipeline"]["last_run"]["state"])')" "(1, 'completed')"
equals "the image went through OCR and was read" \
	"$(jq_py "$j" '(j["pipeline"]["ocr_pages"], j["pipeline"]["ocr_success_rate"], j["pipeline"]["ocr_mean_confidence"] > 50)')" "(1, 1.0, True)"
equals "the run's row agrees" \
	"$(jq_py "$j" '(j["runs"][0]["id"], j["runs"][0]["documents"], j["runs"][0]["ocr_pages"], j["runs"][0]["duration_s"] > 0)')" "(1, 7, 1, True)"
equals "three questions, abstentions as logged" \
	"$(jq_py "$j" '(j["rag"]["queries"], j["rag"]["abstained"])')" "(3, $(sql "$d" 'SELECT sum(abstained) FROM queries'))"
ms=$(sql "$d" 'SELECT group_concat(ms_total) FROM (SELECT ms_total FROM queries ORDER BY ms_total) AS q')
equals "latency p50 is the middle question, p95 the slowest of three" \
	"$(jq_py "$j" "[round(j['rag'][k], 6) for k in ('latency_ms_p50', 'latency_ms_p95')] == [round(x, 6) for x in [$ms][1:3]]")" "True"
equals "answer length and sources are the log's means" \
	"$(jq_py "$j" "[round(j['rag'][k], 6) for k in ('answer_chars_mean', 'sources_mean')]")" \
	"$(sql "$d" 'SELECT round(avg(answer_chars), 6), round(avg(source_count), 6) FROM queries' | python3 -c 'import sys; print([float(x) for x in sys.stdin.read().strip().split("|")])')"
equals "ratings: count, distribution and mean exactly" \
	"$(jq_py "$j" '(j["ratings"]["count"], j["ratings"]["distribution"], round(j["ratings"]["mean"], 9))')" \
	"(3, {'1': 1, '2': 0, '3': 0, '4': 1, '5': 1}, 3.333333333)"
equals "recent feedback, newest first, with its text" \
	"$(jq_py "$j" '[(f["rating"], f["feedback_text"]) for f in j["recent_feedback"]]')" \
	"[(5, 'Parfait, merci'), (4, 'Bien, mais un peu court'), (1, 'Réponse hors sujet')]"
equals "with the question and correction of a linked one" \
	"$(jq_py "$j" '(j["recent_feedback"][2]["question"], j["recent_feedback"][2]["corrected_answer"], j["recent_feedback"][0]["corrected_answer"])')" \
	"(\"Qu'est-ce que l'ISO ?\", \"L'ISO mesure la sensibilité\", None)"
equals "days: every UTC day of the window, oldest first, today last" \
	"$(jq_py "$j" '(lambda dt: (lambda g, ds: (ds[0] == str((g - dt.timedelta(days=7)).date()), ds[-1] == str(g.date()), ds == sorted(set(ds)), len(ds) == (g.date() - (g - dt.timedelta(days=7)).date()).days + 1))(dt.datetime.strptime(j["generated_at"][:19], "%Y-%m-%dT%H:%M:%S"), [d["day"] for d in j["days"]]))(__import__("datetime"))')" \
	"(True, True, True, True)"
equals "today holds the questions, the ratings and the OCR" \
	"$(jq_py "$j" '(j["days"][-1]["queries"], j["days"][-1]["feedback"], round(j["days"][-1]["rating_mean"], 6), j["days"][-1]["ocr_pages"], sum(d["queries"] for d in j["days"]))')" \
	"(3, 3, 3.333333, 1, 3)"

out=$(rg "$d" monitor); rc=$?
equals "the text report: exit 0" "$rc" "0"
for section in "Pipeline (last 7d)" "Runs" "Answers (last 7d)" "Ratings (last 7d)" "Recent feedback"; do
	contains "section '$section'" "$out" "$section"
done
contains "documents processed" "$out" "7 processed, 0 failed"
contains "the ratings' average" "$out" "3.33 over 3 ratings"
contains "the feedback text" "$out" "Parfait, merci"
contains "a sparkline of questions per day" "$out" "▁▁▁▁▁▁"
contains "a bar in the ratings chart" "$out" "  5  ██████████████████████████████  1"
lacks "no ANSI styles when stdout is not a terminal" "$out" $'\033'

# A second run, unchanged: two runs, oldest first; --runs keeps the newest.
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
j=$(rg "$d" monitor --json)
equals "two runs, oldest first; the unchanged run processed nothing" \
	"$(jq_py "$j" '([r["id"] for r in j["runs"]], [r["documents"] for r in j["runs"]], j["pipeline"]["documents_processed"])')" "([1, 2], [7, 0], 7)"
equals "--runs 1 lists the newest run only" "$(jq_py "$(rg "$d" monitor --json --runs 1)" '[r["id"] for r in j["runs"]]')" "[2]"
out=$(rg "$d" monitor)
contains "a sparkline of documents over runs" "$out" "█▁"

# Windows.
j=$(rg "$d" monitor --json --window 1d)
equals "--window 1d" "$(jq_py "$j" '(j["window"], j["window_ms"], len(j["days"]) <= 2, j["rag"]["queries"])')" "('1d', 86400000, True, 3)"
out=$(rg "$d" monitor --window 1d)
contains "the report names its window" "$out" "Answers (last 1d)"
sleep 1.1
j=$(rg "$d" monitor --json --window 1s)
equals "a window with nothing in it: zeros and nulls, the last run still named" \
	"$(jq_py "$j" '(j["pipeline"]["runs"], j["rag"]["queries"], j["rag"]["latency_ms_p95"], j["ratings"]["count"], j["recent_feedback"], j["pipeline"]["last_run"]["id"])')" \
	"(0, 0, None, 0, [], 2)"
expect_exit 2 "a bad --window is a usage error" "$RAGOPS" --data "$d" monitor --window x
expect_exit 2 "so is a zero window" "$RAGOPS" --data "$d" monitor --window 0d
expect_exit 2 "and --runs 0" "$RAGOPS" --data "$d" monitor --runs 0
expect_exit 0 "--help" "$RAGOPS" --data "$d" monitor --help

# Feedback text cannot drive the terminal, and is cut to its width.
rg "$d" feedback add --question q --answer a --rating 2 \
	--text $'Trop long\033[31m rouge\n'"$(printf 'mot %.0s' $(seq 60))" >/dev/null
out=$(COLUMNS=60 rg "$d" monitor)
lacks "control characters in feedback are not printed" "$out" $'\033'
line=$(printf '%s\n' "$out" | grep '^  2/5 ')
contains "the text is on one line" "$line" "Trop long [31m rouge mot"
equals "cut to the terminal width" "$(python3 -c 'import sys; print(len(sys.argv[1]) <= 60, sys.argv[1].endswith("…"))' "$line")" "True True"
finish

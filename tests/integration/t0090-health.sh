#!/usr/bin/env bash
# ragops health: 0 ok, 1 degraded, 2 down, naming the check and its threshold.
. "$(dirname "$0")/lib.sh"
d=$(new_data health)
out=$(rg "$d" health); rc=$?
equals "an empty store is down" "$rc" "2"
contains "because there is no index" "$out" "no production index"

inbox="$scratch/inbox"
sample_inbox "$inbox" notes md images/fiche-histogramme.png
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
rg "$d" ask "Qu'est-ce que l'ISO ?" >/dev/null
rg "$d" feedback add --question q --answer a --rating 5 >/dev/null
out=$(rg "$d" health); rc=$?
equals "after a clean run, ok" "$rc" "0"
j=$(rg "$d" health --json)
equals "every check reports a value and a threshold" \
	"$(jq_py "$j" 'all(c["value"] and c["threshold"] for c in j["checks"])')" "True"
equals "the checks" "$(jq_py "$j" '[c["name"] for c in j["checks"]]')" \
	"['store', 'index', 'release', 'last_run', 'ocr_confidence', 'ocr_success', 'latency_p95', 'rating', 'disk']"

out=$(rg "$d" -c health.min_ocr_confidence=99.9 health); rc=$?
equals "OCR under its threshold: degraded" "$rc" "1"
contains "naming the check" "$out" "degraded ocr_confidence"
out=$(rg "$d" -c health.latency_p95_ms=0.001 health); rc=$?
equals "latency over the SLO: degraded" "$rc" "1"
contains "naming the check" "$out" "degraded latency_p95"
rg "$d" feedback add --question q --answer a --rating 1 >/dev/null
rg "$d" feedback add --question q --answer a --rating 1 >/dev/null
out=$(rg "$d" health); rc=$?
equals "ratings falling under the threshold: degraded" "$rc" "1"
contains "naming the check" "$out" "degraded rating"
sleep 1.1
out=$(rg "$d" -c health.max_run_age=1s -c health.min_rating=1 health); rc=$?
equals "an old index: degraded" "$rc" "1"
contains "naming the check" "$out" "older than health.max_run_age"
out=$(rg "$d" -c health.min_rating=1 -c embed.embedder=openai -c embed.url=http://127.0.0.1:9 -c embed.model=x health); rc=$?
equals "an unreachable endpoint: degraded" "$rc" "1"
contains "naming it" "$out" "cannot reach 'http://127.0.0.1:9'"
finish

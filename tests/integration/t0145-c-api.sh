#!/usr/bin/env bash
# The C API (include/ragops.h) as a program uses it: examples/feedback_loop
# asks a question, saves feedback on the answer, asks should_retrain,
# prepares the retraining data and checks health on a real data folder,
# and what it did shows through the ragops command; a folder it cannot
# create is an error naming it.
. "$(dirname "$0")/lib.sh"
example=$(dirname "$RAGOPS_BIN")/examples/feedback_loop

d=$(new_data capi)
out=$(rg "$d" run --inbox "$TOP/samples/corpus" 2>&1)
equals "ragops run fills the data folder" "$?" "0"

prep="$scratch/prepared"
# On PostgreSQL (tests/run.sh), the store ragops-pg gave the folder, as ragops_open reads it.
out=$(RAGOPS_STORE_URL=$(store_url "$d") "$example" "$d" "$prep" 2>&1); rc=$?
if [[ $rc -eq 0 ]]; then ok "the example exits 0"; else not_ok "the example exits 0 (exit $rc)" "$out"; fi
contains "it prints the answer and its release" "$out" "answer (release 1, query 1): "
contains "and its sources" "$out" "source 1: "

# The feedback, as the command lists it.
j=$(rg "$d" feedback list --json)
equals "one feedback record" "$(jq_py "$j" 'len(j)')" "1"
contains "the example names its id" "$out" "feedback $(jq_py "$j" 'j[0]["id"]') saved"
equals "its question" "$(jq_py "$j" 'j[0]["question"]')" "Qu'est-ce que l'ISO ?"
equals "its rating" "$(jq_py "$j" 'j[0]["rating"]')" "4"
equals "its text" "$(jq_py "$j" 'j[0]["feedback_text"]')" "Bonne réponse mais pourrait être plus détaillée"
equals "its correction" "$(jq_py "$j" 'j[0]["corrected_answer"]')" \
	"L'ISO (International Organization for Standardization) est..."
first=$(sed -n 's/^  source 1: \(.*\), p\. [0-9]*$/\1/p' <<<"$out")
equals "its source is the answer's first" "$(jq_py "$j" 'j[0]["sources"][0]["document"]')" "$first"
contains "the answer it judged is the one given" "$out" "$(jq_py "$j" 'j[0]["answer"][:60]')"

# should_retrain: the verdict the command gives (exit 0 recommended, 1 not).
rg "$d" retrain check >/dev/null 2>&1; rc=$?
if [[ $rc -eq 0 ]]; then want="Retraining recommandé !"; else want="pas de retraining"; fi
contains "the should_retrain verdict is printed, as 'ragops retrain check' says" "$out" \
	"should_retrain: $want"

# The prepared data.
for f in manifest.json train/eval.jsonl train/pairs.jsonl train/sft.jsonl \
	validation/eval.jsonl validation/pairs.jsonl validation/sft.jsonl; do
	if [[ -f "$prep/$f" ]]; then ok "prepared $f"; else not_ok "prepared $f: missing" "$(ls -R "$prep" 2>&1)"; fi
done
m=$(cat "$prep/manifest.json" 2>/dev/null)
equals "the manifest counts the feedback row" "$(jq_py "$m" 'j["feedback"]["rows"]')" "1"
equals "the question is one evaluation record" "$(cat "$prep"/*/eval.jsonl | grep -c "l'ISO")" "1"
contains "the correction is the fine-tuning answer" "$(cat "$prep"/*/sft.jsonl)" \
	"International Organization for Standardization"

# Health: the verdict the command gives (exit 0 ok, 1 degraded, 2 down).
rg "$d" health >/dev/null 2>&1; rc=$?
want=(ok degraded down)
contains "the health verdict is printed, as 'ragops health' says" "$out" "health: ${want[$rc]}"

# Errors: printed with what failed, exit 1, no crash.
touch "$scratch/afile"
out=$("$example" "$scratch/afile/data" "$scratch/prep2" 2>&1); rc=$?
equals "a data folder under a file: exit 1" "$rc" "1"
contains "the message names the folder" "$out" \
	"feedback_loop: open: cannot create data folder '$scratch/afile/data'"
lacks "no sanitizer report" "$out" "Sanitizer"
if [[ ! -e "$scratch/prep2" ]]; then ok "nothing prepared"; else not_ok "nothing prepared: $scratch/prep2 exists"; fi

out=$("$example" "$(new_data empty)" "$scratch/prep3" 2>&1); rc=$?
equals "a data folder with no release: exit 1" "$rc" "1"
contains "the message says what to do" "$out" \
	"feedback_loop: ask: no release in production yet: run 'ragops run --inbox DIR' first"

out=$(RAGOPS_STORE_URL=$(store_url "$d") "$example" "$d" "$scratch/afile/prep" 2>&1); rc=$?
equals "a data folder under a file for the prepared data: exit 1" "$rc" "1"
contains "the message names the folder" "$out" \
	"feedback_loop: prepare_retraining_data: cannot create $scratch/afile/prep/train"
lacks "no sanitizer report" "$out" "Sanitizer"

expect_exit 2 "no arguments: usage" "$example"
finish

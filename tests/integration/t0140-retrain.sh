#!/usr/bin/env bash
# slow
# The improvement loop on documents we did not write (the French Référence
# Debian, samples/debian-fr): with no feedback, nothing to do; a user rates
# the training questions (5 with the right source when ragops is right; 2,
# a correction and the right and wrong sources when it is not); then
# `retrain check` says yes, `retrain prepare` writes scrubbed datasets split
# by question, and `retrain run` promotes a candidate whose figures the
# report gives for every stage, held-out questions included; corrected
# questions get their correction, different ones never do; rollback gives
# the previous answers back exactly; labels shuffled, or wrong, are refused
# by the gate; feedback on deleted documents, contradictory ratings and
# one-character corrections are counted and never promote by accident.
. "$(dirname "$0")/lib.sh"
set_dir="$TOP/samples/debian-fr"
corpus="$scratch/corpus"
if ! "$set_dir/make_corpus.sh" "$corpus" >/dev/null 2>"$scratch/corpus.err"; then
	not_ok "the Debian corpus is generated" "$(cat "$scratch/corpus.err")"
	finish
	exit 1
fi
d=$(new_data retrain)
# The gate's golden sets: the questions users rate (the tuning half) and the near misses.
gold=(-c "validate.golden=$set_dir/train.jsonl:$set_dir/unanswerable.jsonl")
r() { rg "$d" "${gold[@]}" "$@"; }
r run --inbox "$corpus" >/dev/null 2>&1

# Held-out sets, halved: the tuning half may be looked at, the reported half is reported.
python3 "$set_dir/halves.py" "$scratch"

# --- no feedback ----------------------------------------------------------------
out=$(r retrain check --json); rc=$?
equals "check with no feedback: exit 1 (not recommended)" "$rc" "1"
contains "and says there is nothing to learn from" "$(jq_py "$out" 'j["reason"]')" "no feedback yet"
equals "every rule is reported with figure, threshold and window" \
	"$(jq_py "$out" 'sorted(r["rule"] for r in j["rules"] if {"value","threshold","window","triggered"} <= set(r))')" \
	"['corpus_change', 'feedback_eval', 'low_rating_share', 'mean_rating', 'new_feedback', 'query_drift']"
expect_exit 5 "run with no feedback: exit 5, nothing to retrain on" r retrain run
equals "and production did not move" "$(rg "$d" releases --json | jq_py "$(cat)" '[x["id"] for x in j if x["state"] == "production"]')" "[1]"

# --- a user rates the training questions ------------------------------------------
check "feedback on the 40 training questions" python3 "$TOP/tests/tools/give_feedback.py" "$RAGOPS" "$d" "$set_dir/train.jsonl"
# Personal data planted in feedback: none of it may leave in a dataset.
canaries=("jeanne.canary@example.org" "06 12 34 56 78" "https://bob:s3cretCanary@git.example.org/x" "sk-canaryKEY0123456789abcdefXYZ" "ghp_CanaryToken0123456789abcdefghij")
q1=$(head -1 "$set_dir/train.jsonl" | jq_py "$(cat)" 'j["question"]')
doc1=$(head -1 "$set_dir/train.jsonl" | jq_py "$(cat)" 'j["doc"]')
check "feedback holding personal data is accepted" rg "$d" feedback add --question "$q1 (écrivez-moi à ${canaries[0]} ou au ${canaries[1]})" \
	--answer "voir ${canaries[2]}" --rating 1 --helpful "$doc1" --text "clé ${canaries[3]}" \
	--corrected "La commande est dans la page, mon jeton ${canaries[4]} ne sert à rien ici."

out=$(r retrain check --json); rc=$?
equals "check after the ratings: exit 0 (recommended)" "$rc" "0"
equals "new feedback and low ratings fire" \
	"$(jq_py "$out" '[r["rule"] for r in j["rules"] if r["triggered"] and r["rule"] in ("new_feedback","low_rating_share")]')" \
	"['new_feedback', 'low_rating_share']"
equals "the new-feedback figure is the count of records" "$(jq_py "$out" '[r["value"] for r in j["rules"] if r["rule"] == "new_feedback"][0]')" "41.0"

# --- prepare ---------------------------------------------------------------------------
ds="$scratch/datasets"
check "retrain prepare writes the datasets" r retrain prepare --out "$ds"
for f in manifest.json train/eval.jsonl train/pairs.jsonl train/sft.jsonl validation/eval.jsonl validation/pairs.jsonl validation/sft.jsonl; do
	[[ -f "$ds/$f" ]] && ok "prepare wrote $f" || not_ok "prepare wrote $f"
done
leaked=""
for c in "${canaries[@]}"; do grep -rqF -- "$c" "$ds" && leaked+="$c "; done
equals "no planted e-mail, phone, credential or key is in any file" "$leaked" ""
contains "what was scrubbed is said instead" "$(cat "$ds"/train/*.jsonl "$ds"/validation/*.jsonl)" "[email]"
equals "the manifest hashes every file it lists" "$(python3 - "$ds" <<'PY'
import hashlib, json, sys
d = sys.argv[1]
m = json.load(open(f"{d}/manifest.json"))
print(all(hashlib.sha256(open(f"{d}/{n}", "rb").read()).hexdigest() == f["sha256"] for n, f in m["files"].items()), len(m["files"]))
PY
)" "True 6"
equals "no question is on both sides of the split" "$(python3 - "$ds" <<'PY'
import json, sys
d = sys.argv[1]
qs = lambda s: {json.loads(l)["question"] for l in open(f"{d}/{s}/eval.jsonl")}
print(len(qs("train") & qs("validation")), len(qs("train")) > 0, len(qs("validation")) > 0)
PY
)" "0 True True"
equals "eval.jsonl is a golden set ragops eval reads" "$(r eval --golden "$ds/train/eval.jsonl" --json >/dev/null 2>&1; echo $?)" "0"
equals "pairs are sentence-transformers triplets, sft records OpenAI chat ones" "$(python3 - "$ds" <<'PY'
import json, sys
d = sys.argv[1]
p = [json.loads(l) for l in open(f"{d}/train/pairs.jsonl")]
s = [json.loads(l) for l in open(f"{d}/train/sft.jsonl")]
print(bool(p) and all(set(x) == {"anchor", "positive", "negative"} for x in p),
      bool(s) and all([m["role"] for m in x["messages"]] == ["system", "user", "assistant"] for x in s))
PY
)" "True True"

# --- the answers before: a rollback must give them back ------------------------------------
answers() {
	python3 - "$RAGOPS" "$d" "$@" <<'PY'
import json, subprocess, sys
ragops, data, *sets = sys.argv[1:]
for path in sets:
    for line in open(path, encoding="utf-8"):
        q = json.loads(line)["question"]
        a = json.loads(subprocess.run([ragops, "--data", data, "ask", "--json", q], capture_output=True, text=True).stdout)
        for k in ("timings_ms", "query_id", "release"):
            a.pop(k, None)
        print(json.dumps(a, ensure_ascii=False, sort_keys=True))
PY
}
answers "$set_dir/train.jsonl" "$scratch/rephrase-report.jsonl" >"$scratch/before"
copy_data "$d" "$scratch/control"	# the same store and feedback, for the control below

# --- run ---------------------------------------------------------------------------------------
out=$(r retrain run --json --report-set "$scratch/rephrase-report.jsonl" --report-set "$scratch/unrelated-report.jsonl"); rc=$?
equals "retrain run promotes (exit 0)" "$rc" "0"
equals "the report says promoted, and which release" "$(jq_py "$out" '(j["state"], j["promoted"], j["release"])')" "('promoted', True, 2)"
equals "production is the new release" "$(rg "$d" releases --json | jq_py "$(cat)" '[x["id"] for x in j if x["state"] == "production"]')" "[2]"
equals "each part is reported, kept or left out, with its figures" \
	"$(jq_py "$out" 'sorted(t["component"] for t in j["trained"] if "kept" in t and "validation_mrr" in t)')" \
	"['curated', 'embedder', 'ranker', 'vocabulary']"
equals "held-out feedback questions do better (MRR)" "$(jq_py "$out" 'j["after"]["validation"]["mrr"] > j["before"]["validation"]["mrr"]')" "True"
equals "the golden sets do better (recall@1)" "$(jq_py "$out" 'j["golden"]["after"]["recall_at_1"] > j["golden"]["before"]["recall_at_1"]')" "True"
# The reported halves, production against the promoted candidate (the first and last stages).
figures='(lambda s: (s[0]["sets"][NAME], s[-1]["sets"][NAME]))(j["stages"])'
reph=${figures//NAME/\"rephrase-report.jsonl\"}
unrel=${figures//NAME/\"unrelated-report.jsonl\"}
equals "held-out rephrasings of rated questions: MRR not lower" "$(jq_py "$out" "(lambda b, a: a['mrr'] >= b['mrr'])(*$reph)")" "True"
# 15 questions: one question is 0.067 of recall@5, above the gate's 0.02, so
# the finest tolerance this half can show is one question.
equals "held-out unrelated questions: at most one question lost from the top 5, MRR within one" \
	"$(jq_py "$out" "(lambda b, a: a['recall_at_5'] >= b['recall_at_5'] - 1 / b['questions'] - 1e-9 and a['mrr'] >= b['mrr'] - 1 / b['questions'])(*$unrel)")" "True"
m=$(rg "$d" models --json)
equals "models lists the learned ones with version, parent, data hash, state and release" \
	"$(jq_py "$m" 'sorted((x["kind"], x["state"], x["data_hash"] is not None, 2 in x["releases"]) for x in j if x["kind"] in ("curated","vocabulary") and x["state"] == "production")')" \
	"[('curated', 'production', True, True), ('vocabulary', 'production', True, True)]"

# Curated answers: a corrected question gets its correction, shown as such; a different one never.
corrected_q=$(python3 - "$set_dir/train.jsonl" "$d" "$RAGOPS" <<'PY'
import json, subprocess, sys
path, data, ragops = sys.argv[1:]
fb = json.loads(subprocess.run([ragops, "--data", data, "feedback", "list", "--json"], capture_output=True, text=True).stdout)
corrected = {f["question"] for f in fb if f.get("corrected_answer") and "@" not in f["question"]}
print(next(q["question"] for q in map(json.loads, open(path)) if q["question"] in corrected))
PY
)
a=$(rg "$d" ask --json "$corrected_q")
equals "a corrected question is answered with its correction" "$(jq_py "$a" '(j["answerer"], j["curated"] is not None)')" "('curated', True)"
contains "said to be one, with its date" "$(jq_py "$a" 'j["answer"]')" "Réponse corrigée d'après un retour du 20"
curated_of_others=$(python3 - "$RAGOPS" "$d" "$set_dir/unrelated.jsonl" "$set_dir/unanswerable.jsonl" "$set_dir/rephrase.jsonl" <<'PY'
import json, subprocess, sys
ragops, data, *sets = sys.argv[1:]
n = 0
for path in sets:
    for line in open(path, encoding="utf-8"):
        a = json.loads(subprocess.run([ragops, "--data", data, "ask", "--json", json.loads(line)["question"]], capture_output=True, text=True).stdout)
        n += a["answerer"] == "curated"
print(n)
PY
)
equals "no unrelated, unanswerable or rephrased question gets a correction" "$curated_of_others" "0"

out=$(r retrain check --json)
contains "the policy now has a past figure to compare with" "$(jq_py "$out" '[r["detail"] for r in j["rules"] if r["rule"] == "feedback_eval"][0]')" "MRR on the"

# --- rollback gives the answers back, exactly ---------------------------------------------------------------
check "deploy rollback" rg "$d" deploy rollback --reason "test"
answers "$set_dir/train.jsonl" "$scratch/rephrase-report.jsonl" >"$scratch/after-rollback"
if cmp -s "$scratch/before" "$scratch/after-rollback"; then ok "the answers after rollback are the answers before"; else
	not_ok "the answers after rollback are the answers before" "$(diff "$scratch/before" "$scratch/after-rollback" | head -5)"; fi

# --- kill -9 during a retraining ----------------------------------------------------------------------------------
k="$scratch/killed"
copy_data "$scratch/control" "$k"
RAGOPS_CRASH_AT=retrain "$RAGOPS" --data "$k" "${gold[@]}" retrain run >/dev/null 2>&1
rg "$k" run --inbox "$corpus" >/dev/null 2>&1
equals "killed mid-retraining, the next run never promotes its half-built candidate" \
	"$(rg "$k" releases --json | jq_py "$(cat)" '[(x["id"], x["state"]) for x in j]')" "[(2, 'archived'), (1, 'production')]"
out=$(rg "$k" "${gold[@]}" retrain run --json 2>/dev/null); rc=$?
equals "and the next retraining records the stopped one as failed, then decides" \
	"$rc $(jq_py "$out" 'j["state"]') $(sql "$k" "SELECT group_concat(state) FROM retrainings")" "0 promoted nothing,failed,promoted"

# --- controls: labels shuffled, labels wrong --------------------------------------------------------------
c="$scratch/control"
out=$(rg "$c" "${gold[@]}" retrain run --json --shuffle-labels); rc=$?
equals "labels shuffled between questions: refused by the gate (exit 6)" "$rc" "6"
equals "the report says why" "$(jq_py "$out" '(j["state"], any("nothing learned" in x or "gate:" in x for x in j["reasons"]))')" "('refused', True)"
equals "production stays" "$(rg "$c" releases --json | jq_py "$(cat)" '[x["id"] for x in j if x["state"] == "production"]')" "[1]"
w=$(new_data wrong)
rg "$w" run --inbox "$corpus" >/dev/null 2>&1
python3 "$TOP/tests/tools/give_feedback.py" "$RAGOPS" "$w" "$set_dir/train.jsonl" --wrong-labels >/dev/null
expect_exit 6 "feedback marking wrong documents helpful: refused" rg "$w" "${gold[@]}" retrain run

# --- bad input ------------------------------------------------------------------------------------------------------
b=$(new_data bad)
bin="$scratch/bad-inbox"
mkdir -p "$bin" && cp -r "$corpus/html" "$bin/" && cp -r "$corpus/md" "$bin/"
rg "$b" run --inbox "$bin" >/dev/null 2>&1
gone=$(cd "$bin" && ls md/*.md | head -1)
kept=$(cd "$bin" && ls html/*.html | head -1)
other=$(cd "$bin" && ls html/*.html | sed -n 2p)
rg "$b" feedback add --question "Que dit la page supprimée ?" --answer "x" --rating 2 --helpful "$gone" --corrected "Elle disait quelque chose d'utile." >/dev/null
rg "$b" feedback add --question "Quelle page dit vrai ?" --answer "x" --rating 5 --helpful "$kept" >/dev/null
rg "$b" feedback add --question "Quelle page dit vrai ?" --answer "x" --rating 1 --unhelpful "$kept" >/dev/null
rg "$b" feedback add --question "Une correction trop courte ?" --answer "x" --rating 1 --corrected "x" >/dev/null
rg "$b" feedback add --question "Une autre question ?" --answer "x" --rating 1 --unhelpful "$other" >/dev/null
rm "$bin/$gone"
rg "$b" run --inbox "$bin" >/dev/null 2>&1
out=$(rg "$b" retrain run --json); rc=$?
equals "only bad feedback: nothing to retrain on (exit 5), no crash" "$rc" "5"
equals "the deleted document, the contradiction, the short correction are counted" \
	"$(jq_py "$out" '(j["data"]["missing_documents"], j["data"]["contradictory"], j["data"]["short_corrections"], j["state"])')" \
	"(1, 1, 1, 'nothing')"
contains "and said" "$(rg "$b" retrain run 2>&1)" "nothing to retrain on"
equals "no release was made, nothing promoted" "$(jq_py "$out" '(j["release"], j["promoted"])')" "(None, False)"
out=$(rg "$b" retrain prepare --out "$scratch/bad-ds" --json); rc=$?
equals "prepare on bad feedback still writes (empty) datasets" "$rc:$(jq_py "$out" 'j["feedback"]["examples"]')" "0:0"
finish

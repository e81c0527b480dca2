#!/usr/bin/env bash
# The improvement loop on the Référence Debian, end to end, with the figures
# the retraining note reports: the corpus is generated, ingested, the 40
# training questions rated as tests/tools/give_feedback.py rates them, then
# `ragops retrain run` measures every stage on the reported halves of the
# held-out rephrasings and unrelated questions.  Prints the ablation table.
# usage: samples/debian-fr/retrain_demo.sh path/to/ragops [--shuffle-labels]
set -euo pipefail
ragops=$(realpath "${1:?usage: retrain_demo.sh path/to/ragops [--shuffle-labels]}")
shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/make_corpus.sh" "$work/corpus" >/dev/null
"$ragops" --data "$work/data" run --inbox "$work/corpus" >/dev/null 2>&1
python3 "$top/tests/tools/give_feedback.py" "$ragops" "$work/data" "$here/train.jsonl"
python3 "$here/halves.py" "$work"
"$ragops" --data "$work/data" -c "validate.golden=$here/train.jsonl:$here/unanswerable.jsonl" \
	retrain run --json "$@" --report-set "$work/rephrase-report.jsonl" \
	--report-set "$work/unrelated-report.jsonl" >"$work/report.json" || true
python3 - "$work/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"retraining: {r['state']}")
for reason in r["reasons"]:
    print(f"  - {reason}")
sets = ["rephrase-report.jsonl", "unrelated-report.jsonl"]
print()
print(f"{'stage (cumulative)':34} {'kept':5} | {'rephrase R@1':>12} {'MRR':>6} | {'unrelated R@5':>13} {'MRR':>6} | {'held-out fb MRR':>15} | {'golden MRR':>10}")
kept = {t["component"]: t["kept"] for t in r["trained"]}
for s in r["stages"]:
    name = s["stage"]
    k = "" if name == "production" else ("yes" if kept.get(name.split()[0], False) else "no")
    a, b = s["sets"][sets[0]], s["sets"][sets[1]]
    g = s["golden"]["mrr"] if s.get("golden") else float("nan")
    print(f"{name:34} {k:5} | {a['recall_at_1']:12.3f} {a['mrr']:6.3f} | {b['recall_at_5']:13.3f} {b['mrr']:6.3f} | {s['validation']['mrr']:15.3f} | {g:10.3f}")
PY

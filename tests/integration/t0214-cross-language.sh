#!/usr/bin/env bash
# Cross-language questions: an English question about French pages (and
# the reverse) finds them through Debian's FreeDict dictionaries, and a
# page in the question's own language is judged on the question's own words.
. "$(dirname "$0")/lib.sh"
if [[ ! -r /usr/share/dictd/freedict-eng-fra.index || ! -r /usr/share/dictd/freedict-fra-eng.index ]]; then
	echo "# the FreeDict dictionaries are missing; as root run: apt-get install -y dict-freedict-eng-fra dict-freedict-fra-eng"
	not_ok "FreeDict dictionaries installed"
	finish
fi
d=$(new_data xlang)
in="$scratch/in"
mkdir -p "$in"
cat >"$in/jardin.txt" <<'T'
Le jardin de l'école

Le jardin est arrosé chaque matin par les élèves de la classe verte. La porte du jardin s'ouvre avec la petite clef rouge cachée sous le pot de fleurs, à gauche de l'entrée.
T
cat >"$in/cuisine.txt" <<'T'
La cuisine

La cuisine est au premier étage. Le four chauffe en dix minutes et la soupe cuit lentement sur le feu le plus doux.
T
cat >"$in/garage.txt" <<'T'
Le garage

La voiture reste au garage pendant l'hiver. Le moteur démarre mieux après une courte attente par temps froid.
T
cat >"$in/bureau.txt" <<'T'
Le bureau

L'ordinateur du bureau s'éteint seul après une heure sans activité, et l'écran se met en veille plus tôt encore.
T
cat >"$in/library.md" <<'T'
# The library

The library lends every book for three weeks; a late return costs a small fine, paid at the front desk.
T
rg "$d" run --inbox "$in" >/dev/null 2>&1
equals "the run indexes the five pages" "$(sql "$d" "SELECT count(*) FROM documents WHERE status != 'deleted'")" "5"

q="Which key opens the garden door?"
j=$(rg "$d" ask --json "$q")
equals "an English question finds the French page through its words' translations" \
	"$(jq_py "$j" 'j["sources"][0]["document"]')" "jardin.txt"
equals "and answers from it" "$(jq_py "$j" 'j["abstained"]')" "False"
contains "with the sentence that holds the translated words" "$(jq_py "$j" 'j["answer"]')" "La porte du jardin"
j0=$(rg "$d" -c retrieve.translation_weight=0 ask --json "$q")
lacks "without the bridge the French page is not found first" "$(jq_py "$j0" '[s["document"] for s in j["sources"][:1]]')" "jardin.txt"
equals "and the answerer does not know" "$(jq_py "$j0" 'j["abstained"]')" "True"
j1=$(rg "$d" -c retrieve.dictionary_en_fr=/nonexistent/dict ask --json "$q" 2>"$scratch/err")
equals "a dictionary that cannot be read bridges nothing" "$(jq_py "$j1" 'j["abstained"]')" "True"
contains "and says why, naming the file" "$(cat "$scratch/err")" "/nonexistent/dict.dict.dz"

q="Combien de semaines peut-on garder un livre emprunté ?"
j=$(rg "$d" ask --json "$q")
equals "a French question finds the English page" "$(jq_py "$j" 'j["sources"][0]["document"]')" "library.md"
contains "and answers from it" "$(jq_py "$j" 'j["answer"]')" "three weeks"

# On a page in the question's own language, translations are no evidence.
q="Quand le moteur de la voiture démarre-t-il mieux ?"
equals "a French question on a French page weighs its own words only" \
	"$(jq_py "$(rg "$d" ask --json "$q")" 'round(j["evidence"], 6)')" \
	"$(jq_py "$(rg "$d" -c retrieve.translation_weight=0 ask --json "$q")" 'round(j["evidence"], 6)')"
j=$(rg "$d" ask --json "Which key opens the garden door?")
equals "ask --json names each word, its weight, and whether the index and the best source hold it" \
	"$(jq_py "$j" '[(t["word"], t["indexed"], t["in_best_source"]) for t in j["terms"]]')" \
	"[('key', False, True), ('open', False, True), ('garden', False, True), ('door', False, True)]"

printf '%s\n' '{"id": "x1", "question": "Which key opens the garden door?", "lang": "en", "doc": "jardin.txt", "phrases": ["clef rouge"], "kind": "cross-language"}' \
	'{"id": "x2", "question": "Combien de semaines peut-on garder un livre emprunté ?", "lang": "fr", "doc": "library.md", "phrases": ["three weeks"], "kind": "cross-language"}' >"$scratch/x.jsonl"
j=$(rg "$d" eval --golden "$scratch/x.jsonl" --ablate translation --json)
equals "eval: cross-language recall@5 with the bridge" "$(jq_py "$j" 'j["retrievers"][0]["by_kind"]["cross-language"]["recall_at_5"]')" "1.0"
check "and ranked lower without it (MRR)" python3 -c 'import json,sys; j=json.loads(sys.argv[1]); sys.exit(not j["ablation"][0]["mrr"] < j["retrievers"][0]["mrr"])' "$j"
finish

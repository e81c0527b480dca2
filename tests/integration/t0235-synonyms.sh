#!/usr/bin/env bash
# Synonyms (off by default, on here at retrieve.synonym_weight 0.3): a
# question's word leads BM25 to the documents' word for it through Debian's
# French thesaurus (mythes-fr), but only in a sense the documents support,
# next to the question's other words; they weigh below the question's own
# words, are shown by ask --json, and eval can leave them out.
. "$(dirname "$0")/lib.sh"
if [[ ! -r /usr/share/mythes/th_fr_FR_v2.dat ]]; then
	echo "# the French thesaurus is missing; as root run: apt-get install -y mythes-fr"
	not_ok "mythes-fr installed"
	finish
fi
d=$(new_data synonyms)
in="$scratch/in"
mkdir -p "$in"
# Two pages about photos: the one that shows them says "visualise", the
# other says "photos" more often.  Eight more pages, none about photos.
printf 'La visionneuse\n\nLa visionneuse visualise les photos en plein écran, une à une.\n' >"$in/visionneuse.txt"
printf 'Le classement\n\nLes photos et encore les photos : le classement range les photos par date.\n' >"$in/classement.txt"
printf 'Le tir\n\nLa cible du tir à l arc est posée au fond du stade, à soixante mètres.\n' >"$in/tir.txt"
for topic in jardin cuisine garage grenier cave salon; do
	printf 'Le %s\n\nLe %s est rangé chaque samedi matin, avant le marché, par toute la famille.\n' "$topic" "$topic" >"$in/$topic.txt"
done
rg "$d" run --inbox "$in" >/dev/null 2>&1
equals "the run indexes the nine pages" "$(sql "$d" "SELECT count(*) FROM documents WHERE status != 'deleted'")" "9"

q="Quelle page affiche les photos ?"
j=$(rg "$d" -c retrieve.synonym_weight=0.3 search --json -n 3 "$q")
equals "a question's word finds the page that uses its synonym" "$(jq_py "$j" 'j["results"][0]["document"]')" "visionneuse.txt"
j0=$(rg "$d" search --json -n 3 "$q")
equals "without synonyms (the default) the page that repeats the other word comes first" "$(jq_py "$j0" 'j["results"][0]["document"]')" "classement.txt"
j=$(rg "$d" -c retrieve.synonym_weight=0.3 ask --json "$q")
contains "ask --json shows the word's synonym" "$(jq_py "$j" '[t["synonyms"] for t in j["terms"] if t["word"] == "affich"]')" "visualis"

# "objectif" is a goal or a target before it is a lens: the corpus has
# "cible" only on a page about archery, far from the question's photos.
j=$(rg "$d" -c retrieve.synonym_weight=0.3 ask --json "Quel objectif pour les photos ?")
lacks "a synonym the documents use in another sense is not searched" "$(jq_py "$j" '[t["synonyms"] for t in j["terms"]]')" "cibl"

j1=$(rg "$d" -c retrieve.synonym_weight=0.3 -c retrieve.thesaurus_fr=/nonexistent/th.dat search --json -n 3 "$q" 2>"$scratch/err")
equals "a thesaurus that cannot be read bridges nothing" "$(jq_py "$j1" 'j["results"][0]["document"]')" "classement.txt"
contains "and says why, naming the file" "$(cat "$scratch/err")" "/nonexistent/th.dat"

printf '%s\n' '{"id": "s1", "question": "Quelle page affiche les photos ?", "lang": "fr", "doc": "visionneuse.txt", "phrases": ["plein écran"], "kind": "paraphrase"}' >"$scratch/s.jsonl"
j=$(rg "$d" -c retrieve.synonym_weight=0.3 eval --golden "$scratch/s.jsonl" --ablate synonyms --json)
equals "eval: recall@1 with synonyms" "$(jq_py "$j" 'j["retrievers"][0]["recall_at_1"]')" "1.0"
equals "and a row without them, where the page ranks lower" "$(jq_py "$j" 'j["ablation"][0]["recall_at_1"]')" "0.0"
finish

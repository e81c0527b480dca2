#!/usr/bin/env bash
# The extractive answer's shape: a sentence announcing a command or an
# example ("depuis la ligne de commandes :") brings it along, and a
# document's page is cited once however many of its chunks answer.
. "$(dirname "$0")/lib.sh"
d=$(new_data shape)
in="$scratch/in"
mkdir -p "$in"
cat >"$in/arret.html" <<'T'
<html><head><title>Arrêter la machine</title></head><body>
<h1>Arrêter la machine</h1>
<p>En mode multi-utilisateur, vous pouvez arrêter le système depuis la ligne de commandes :</p>
<pre># halt</pre>
<p>La procédure d'arrêt écrit sur le disque les données gardées en mémoire avant de couper l'alimentation.</p>
<h2>Redémarrer la machine</h2>
<p>Pour redémarrer le système au lieu de l'arrêter, la commande suivante convient :</p>
<pre># shutdown -r now</pre>
<p>Le redémarrage relit la configuration du chargeur d'amorçage.</p>
</body></html>
T
cat >"$in/imprimante.txt" <<'T'
L'imprimante

L'imprimante du couloir accepte le papier A4 et A3. Son bac se recharge par l'avant, et le toner se commande au secrétariat.
T
rg "$d" -c chunk.target_chars=200 run --inbox "$in" >/dev/null 2>&1
check "the guide is cut into several chunks" test "$(sql "$d" "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.relpath = 'arret.html'")" -gt 1

j=$(rg "$d" ask --json "Comment arrêter le système depuis la ligne de commandes ?")
a=$(jq_py "$j" 'j["answer"]')
equals "it answers" "$(jq_py "$j" 'j["abstained"]')" "False"
contains "with the command the sentence announces" "$a" "vous pouvez arrêter le système depuis la ligne de commandes : # halt"
j=$(rg "$d" ask --json "Comment redémarrer le système, arrêter le système, et recharger le bac de l imprimante ?")
a=$(jq_py "$j" 'j["answer"]')
echo "# $a"
check "several chunks of the guide answer" python3 -c 'import json,sys; s=json.loads(sys.argv[1])["sources"]; sys.exit(not sum(x["document"] == "arret.html" for x in s) > 1)' "$j"
equals "its page is cited once" "$(grep -o '\[[^]]*, p\. 1\]' <<<"$a" | sort | uniq -d)" ""
finish

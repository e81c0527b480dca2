#!/usr/bin/env bash
# The extractive answer's shape: a sentence announcing a command or an
# example ("depuis la ligne de commandes :") brings it along, a document's
# page is cited once however many of its chunks answer, a table's row
# brings the command it describes, and a question about a name the
# documents never use gets a "don't know" naming it.
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

# A prompt alone on its line ("$ " lost its space to cleaning): the command after it comes too.
d2=$(new_data prompt)
mkdir -p "$scratch/in2"
printf 'Lister les fichiers\n\nPour lister tous les fichiers cachés du dossier, tapez ceci :\n\n$\n\nls -la --color\n\nLa sortie montre aussi les droits.\n' >"$scratch/in2/liste.txt"
printf 'Le salon\n\nLe chat dort sur le canapé du salon tout l après-midi.\n' >"$scratch/in2/salon.txt"
rg "$d2" run --inbox "$scratch/in2" >/dev/null 2>&1
contains "a lone prompt brings the command after it" \
	"$(rg "$d2" ask "Comment lister tous les fichiers cachés du dossier ?")" "tapez ceci : \$ ls -la --color"

# A table's rows are sentences of their own: the answer is the row, not the whole table.
cat >"$scratch/in2/outils.md" <<'T'
# Outils de conversion

Les outils suivants convertissent les fichiers texte d'un système à l'autre.

| outil | conversion |
| --- | --- |
| fromdos | fins de ligne CR-LF de Windows vers LF d'Unix |
| iconv | codage des caractères, par exemple Latin-1 vers UTF-8 |
| recode | codage des caractères et fins de ligne, en une fois |
T
rg "$d2" run --inbox "$scratch/in2" >/dev/null 2>&1
a=$(rg "$d2" ask "Quel outil convertit les fins de ligne CR-LF de Windows ?")
contains "a table row answers" "$a" "| fromdos | fins de ligne CR-LF de Windows vers LF d'Unix |"
lacks "without the rows that do not" "$a" "Latin-1"

# A name neither the documents nor French know: nothing here can answer.
q="Comment arrêter la machine virtuelle avec virsh depuis la ligne de commandes ?"
j=$(rg "$d" ask --json "$q")
equals "a question naming a program the documents never mention abstains" "$(jq_py "$j" 'j["abstained"]')" "True"
equals "naming it" "$(jq_py "$j" 'j["unknown_name"]')" "virsh"
contains "in the answer, in French" "$(jq_py "$j" 'j["answer"]')" "$(printf 'ne parlent pas de «\u00a0virsh\u00a0»')"
j=$(rg "$d" ask --json "How do I stop the machine with virsh?")
contains "in English for an English question" "$(jq_py "$j" 'j["answer"]')" "never mention “virsh”"
j=$(rg "$d" -c answer.dictionary_fr= ask --json "$q")
equals "without a French dictionary the name goes unnoticed" "$(jq_py "$j" 'j["unknown_name"]')" "None"
equals "and the evidence decides" "$(jq_py "$j" 'j["abstained"]')" "False"
j=$(rg "$d" -c answer.dictionary_fr=/nonexistent/fr ask --json "$q" 2>"$scratch/err")
equals "a dictionary that cannot be read: the same" "$(jq_py "$j" 'j["unknown_name"]')" "None"
contains "and the log says which file" "$(cat "$scratch/err")" "no dictionary at /nonexistent/fr"
mkdir -p "$scratch/damaged"
printf 'SET UTF-8\n' >"$scratch/damaged/fr.aff"
head -c 3000 /dev/urandom >"$scratch/damaged/fr.dic"
j=$(rg "$d" -c answer.dictionary_fr="$scratch/damaged/fr" ask --json "$q" 2>"$scratch/err")
equals "a damaged dictionary (it knows no ordinary word) is none" "$(jq_py "$j" 'j["unknown_name"]')" "None"
contains "and the log says so" "$(cat "$scratch/err")" "does not know an ordinary word"
# Words are taken whole, and written variants of dictionary words are no names.
for q in "Isn't the machine stopped with shutdown?" "Why doesn’t the machine stop?" "Comment arrêter la machine d'une soeur ?" \
	"Comment arrêter une machine sans electricite ?" "Machine stop head recommendations"; do
	equals "no name in: $q" "$(jq_py "$(rg "$d" ask --json "$q")" 'j["unknown_name"]')" "None"
done
# A two-column HTML table (command, what it does): the row that answers
# brings the command it describes, its first cell.
d2=$(new_data shape-table)
mkdir -p "$scratch/table"
cat >"$scratch/table/redirections.html" <<'T'
<html><head><title>Redirections</title></head><body>
<h1>Redirections de l'interpréteur</h1>
<p>Voici les redirections les plus courantes de l'interpréteur de commandes.</p>
<table><tr><th>commande</th><th>description</th></tr>
<tr><td>commande &gt; toto</td><td>rediriger la sortie standard de la commande vers le fichier toto (l'écraser)</td></tr>
<tr><td>commande &gt; toto 2&gt;&amp;1</td><td>rediriger à la fois la sortie standard et l'erreur standard de la commande vers le fichier toto</td></tr>
<tr><td>commande &lt; toto</td><td>rediriger l'entrée standard de la commande depuis le fichier toto</td></tr>
</table>
</body></html>
T
rg "$d2" run --inbox "$scratch/table" >/dev/null 2>&1
j=$(rg "$d2" ask --json "Comment rediriger à la fois la sortie standard et l'erreur standard vers un fichier ?")
contains "the answer holds the command of the row that answers" "$(jq_py "$j" 'j["answer"]')" "commande > toto 2>&1"
contains "and what the row says it does" "$(jq_py "$j" 'j["answer"]')" "rediriger à la fois"

# A sentence announcing a list of terms, what each is and its command
# brings the list along, the command asked for with it.
d3=$(new_data shape-list)
mkdir -p "$scratch/list"
cat >"$scratch/list/liens.html" <<'T'
<html><head><title>Liens</title></head><body>
<h1>Les liens</h1>
<p>En règle générale, il faudrait s'abstenir de créer des liens physiques ou des liens symboliques compliqués vers un fichier.</p>
<p>Il existe deux méthodes pour associer le fichier « toto » avec un nom de fichier différent « titi » :</p>
<dl><dt>Lien physique</dt><dd><p>Nom dupliqué d'un fichier existant</p><p>« ln toto titi »</p></dd>
<dt>Lien symbolique</dt><dd><p>Fichier spécial pointant vers un autre fichier par son nom</p><p>« ln -s toto titi »</p></dd></dl>
<p>Consultez l'exemple suivant pour les différences dans le résultat de la commande rm.</p>
</body></html>
T
rg "$d3" run --inbox "$scratch/list" >/dev/null 2>&1
j=$(rg "$d3" ask --json "Comment créer un lien symbolique vers un fichier ?")
contains "the answer brings the announced list, with the command asked for" "$(jq_py "$j" 'j["answer"]')" "ln -s toto titi"

# Everyday words the documents happen not to use are no names.
j=$(rg "$d" ask --json "Comment éteindre proprement la machine depuis la ligne de commandes ?")
equals "an unseen French word (éteindre) is not taken for a name" "$(jq_py "$j" '(j["unknown_name"], j["abstained"])')" "(None, False)"
check "although the documents never use it" python3 -c 'import json,sys; t=json.loads(sys.argv[1])["terms"]; sys.exit(not any(x["word"].startswith("eteign") or x["word"].startswith("eteindr") for x in t if not x["indexed"]))' "$j"
finish

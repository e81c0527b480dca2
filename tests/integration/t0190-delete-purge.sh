#!/usr/bin/env bash
# Deleting a document removes its text from the store's files (issue 13).
#
# What is promised, and when:
#  - the run that sees the file gone publishes a release without it: search
#    and ask no longer find it, and that release's lexicon holds none of its
#    words;
#  - the store keeps its text while a kept release holds it: the release it
#    replaced (rollback goes there) and the releases.keep newest archived ones;
#  - when retention drops the last release that held it, its text leaves
#    every file of the data folder: the rows go, the full-text index is
#    merged so no segment keeps its terms, freed pages are zeroed
#    (secure_delete), the WAL is checkpointed and truncated, OCR results of
#    its pages leave the OCR cache, and the old lexicon file is removed;
#  - the document's row stays (feedback may name its path) without its title.
# Not covered: the query log and feedback keep what answers said (the
# history of what users were told); metrics and logs never held any text;
# the built-in embedder trained while the document was there keeps the
# words it learned from it (those in embed.min_df chunks or more: the
# canary here is in one) until it is refit.
# A server stays up through the runs, so the WAL file is not removed at
# exit as it is when the last connection closes.
. "$(dirname "$0")/lib.sh"
canary=ZqxCanary4417
in="$scratch/inbox"
sample_inbox "$in" notes
cp "$TOP/samples/corpus/scans/macro-handout.pdf" "$in/"
cat >"$in/coffre.txt" <<EOF
Fiche confidentielle

Le code du coffre du studio est $canary. Ne le communiquez à personne : le coffre
contient les objectifs de collection et le boîtier moyen format.

Rappel : le code $canary change chaque trimestre.
EOF
# A title is kept apart from the text (the document's row): the page's carries the canary.
cat >"$in/coffre.html" <<EOF
<html><head><title>Coffre $canary</title></head>
<body><p>Le coffre du studio ferme à clef ; la clef reste chez le régisseur.</p></body></html>
EOF
d=$(new_data purge)
keep=(-c releases.keep=0)
# grep_data PATTERN: "file:count" for each file of the data folder holding PATTERN (any case)
grep_data() {
	local f c
	while IFS= read -r -d '' f; do
		c=$(grep -aoi -- "$1" "$f" | wc -l)
		[[ $c -gt 0 ]] && printf '%s:%s ' "${f#"$d"/}" "$c"
	done < <(find "$d" -type f -print0)
	echo
}

rg "$d" "${keep[@]}" run --inbox "$in" >/dev/null 2>&1
serve_start "$d" -c serve.rate_limit=0 || { not_ok "the server starts"; finish; exit 1; }
contains "(the canary is indexed)" "$(rg "$d" search "$canary")" "coffre.txt"
contains "(the scan is indexed from OCR)" "$(rg "$d" search riverside)" "macro-handout.pdf"
[[ -n "$(grep_data "$canary")" ]] && ok "(the canary is in the data folder)" ||
	not_ok "(the canary is in the data folder)"

rm "$in/coffre.txt" "$in/coffre.html" "$in/macro-handout.pdf"
rg "$d" "${keep[@]}" run --inbox "$in" >"$scratch/out" 2>&1
contains "the run sees the deletions" "$(cat "$scratch/out")" "3 deleted"
lacks "search no longer finds the deleted text" "$(rg "$d" search "$canary" 2>&1)" "coffre.txt"
lacks "nor the deleted scan" "$(rg "$d" search riverside 2>&1)" "macro-handout"
lex=$(sql "$d" "SELECT m.path FROM releases r JOIN models m ON m.id = r.lexicon_id WHERE r.state = 'production'")
equals "the new production's lexicon holds none of its words" "$(grep -aci -- "$canary" "$d/$lex")" "0"
equals "the release it replaced still holds it (rollback goes there)" \
	"$(sql "$d" "SELECT count(*) FROM chunks c JOIN release_docs rd ON rd.version_id = c.version_id
		JOIN releases r ON r.id = rd.release_id WHERE r.state = 'archived' AND c.text LIKE '%$canary%'")" "1"

# One more change: retention drops the release that held the deleted files.
echo "Le trépied se règle avant de serrer la rotule." >"$in/trepied.txt"
rg "$d" "${keep[@]}" run --inbox "$in" >"$scratch/out" 2>&1
equals "(no release holds the deleted files any more)" \
	"$(sql "$d" "SELECT count(*) FROM doc_versions v JOIN documents d ON d.id = v.doc_id
		WHERE d.relpath IN ('coffre.txt', 'coffre.html', 'macro-handout.pdf')")" "0"
sqlite_only "SQLite's WAL file" && check "(the server still holds the store open: its WAL file is there)" test -f "$d/ragops.db-wal"
equals "no file of the data folder holds the canary (database, WAL, lexicons, logs, metrics)" \
	"$(grep_data "$canary")" ""
equals "nor the deleted scan's OCR text" "$(grep_data riverside)" ""
equals "the OCR cache has no result for a page no document has" \
	"$(sql "$d" "SELECT count(*) FROM ocr_cache WHERE key NOT IN (SELECT ocr_key FROM pages WHERE ocr_key IS NOT NULL)")" "0"
contains "the server answers from what is left" \
	"$(curl -s -H 'Content-Type: application/json' --data-binary '{"question": "Comment régler le trépied ?"}' \
		"$SERVE_URL/api/ask")" "trepied.txt"
serve_stop
equals "the server stops cleanly" "$?" "0"
equals "nothing after the server's last checkpoint either" "$(grep_data "$canary")" ""
finish

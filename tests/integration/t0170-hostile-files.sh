#!/usr/bin/env bash
# serial
# Hostile inboxes (issue 13): deep HTML, symbolic links that lead out or
# nowhere, a file written while it is being ingested.  Each costs at most
# its own document; the good ones are indexed and deletions still happen.
. "$(dirname "$0")/lib.sh"

# --- HTML nested 200,000 deep: the run went down with SIGSEGV (exit 139) ---
d=$(new_data deep)
in="$scratch/in-deep"
sample_inbox "$in" notes md
python3 - "$in" <<'EOF'
import sys
d = sys.argv[1]
open(d + '/spans.html', 'w').write('<html><body>' + '<span>' * 200000 + 'sentinelle profonde'
                                   + '</span>' * 200000 + '</body></html>')
open(d + '/divs.html', 'w').write('<html><body>' + '<div>' * 100000 + 'puits sans fond'
                                  + '</div>' * 100000 + '</body></html>')
EOF
start=$(date +%s)
rg "$d" run --inbox "$in" >"$scratch/out" 2>"$scratch/err"
rc=$?
[[ $rc -eq 0 ]] && ok "a run over 2.6 MB of nested <span> completes" || not_ok "a run over 2.6 MB of nested <span> completes (exit $rc)" "$(cat "$scratch/err")"
check "and takes seconds, not minutes (100,000 nested <div> took 32 s)" \
	test $(( $(date +%s) - start )) -lt 30
contains "the deep page is indexed, its text kept" "$(rg "$d" search sentinelle)" "spans.html"
contains "so is the other one" "$(rg "$d" search puits)" "divs.html"
contains "the good documents are indexed" "$(rg "$d" search backup)" "backup-basics.txt"
contains "a warning names the file and what was dropped" "$(cat "$scratch/err")" \
	"spans.html: extract: HTML nested 200000 elements deep: 199488 tags deeper than 512 ignored"

# --- text a reader recognises: UTF-16 with its mark, a .md of quotes, marks only ---
d=$(new_data texts)
in="$scratch/in-texts"
sample_inbox "$in" notes
python3 - "$in" <<'EOF'
import sys
d = sys.argv[1] + '/'
open(d + 'unicode-le.txt', 'wb').write('\ufeffLe tirage au platine est très stable.\n'.encode('utf-16-le'))
open(d + 'unicode-be.txt', 'wb').write('\ufeffLe virage au sélénium protège l\'argent.\n'.encode('utf-16-be'))
open(d + 'page-le.html', 'wb').write('\ufeff<html><body><h1>Gomme</h1><p>La gomme bichromatée superpose les couches.</p></body></html>'.encode('utf-16-le'))
open(d + 'citations.md', 'w').write(''.join('> Citation %d : le calotype précède le collodion.\n>\n' % i for i in range(5)))
open(d + 'accents.txt', 'w').write('e' + '\u0301' * 1000000)
# a line added with echo >> leaves an odd byte; UTF-32 starts with UTF-16's mark
open(d + 'ajout.txt', 'wb').write('\ufeffLe cyanotype vire au bleu.\n'.encode('utf-16-le') + b'\n')
open(d + 'large.txt', 'wb').write('\ufeffLe tirage charbon résiste à la lumière.\n'.encode('utf-32-le'))
EOF
printf 'Le calotype est un négatif papier.\n' >"$in/$(printf 'piege\033[2J\nfausse ligne.txt')"
rg "$d" run --inbox "$in" >"$scratch/out" 2>"$scratch/err"
out=$(rg "$d" search calotype négatif)
check "a file name with ESC and a newline is printed without them" \
	python3 -c "import sys; o = sys.argv[1]; sys.exit(not ('piege?[2J?fausse ligne.txt' in o and '\x1b' not in o))" "$out"
contains "UTF-16 with its byte-order mark is read (was: binary data)" "$(rg "$d" search platine)" "unicode-le.txt"
contains "big-endian too" "$(rg "$d" search sélénium)" "unicode-be.txt"
contains "and an HTML page in UTF-16 is a page" "$(rg "$d" search bichromatée)" "page-le.html"
equals "their encoding is recorded" \
	"$(sql "$d" "SELECT group_concat(relpath || '=' || type || '/' || encoding, ' ') FROM (SELECT * FROM documents WHERE relpath LIKE '%-_e.%' ORDER BY relpath) AS l")" \
	"page-le.html=html/utf-16le unicode-be.txt=text/utf-16be unicode-le.txt=text/utf-16le"
contains "a cut last character is repaired, not the file refused" "$(rg "$d" search cyanotype)" "ajout.txt"
contains "UTF-32 is read as UTF-32" "$(rg "$d" search charbon)" "large.txt"
equals "a .md of quotes is Markdown: its text without the '>'" \
	"$(sql "$d" "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.relpath = 'citations.md' AND c.text LIKE '%calotype%' AND c.text NOT LIKE '%>%'")" "1"
contains "text with no word says so (was: empty or only whitespace)" "$(cat "$scratch/err")" \
	"accents.txt: chunk: no words found: the 1000001 characters extracted are symbols, combining marks or lines dropped as noise"

# --- a folder tree nested 1,900 deep: collect went down with SIGSEGV ------
d=$(new_data depth)
in="$scratch/in-depth"
sample_inbox "$in" notes
python3 -c "import os, sys; os.chdir(sys.argv[1]); [(os.mkdir('a'), os.chdir('a')) for _ in range(1900)]" "$in"
echo "Le daguerréotype est une image unique sur cuivre argenté." >"$in/a/a/daguerreotype.txt"
start=$(date +%s)
rg "$d" run --inbox "$in" >"$scratch/out" 2>"$scratch/err"
equals "a run over 1,900 nested folders completes (was: SIGSEGV, exit 139)" "$?" "0"
check "in seconds" test $(( $(date +%s) - start )) -lt 30
contains "a warning says where it stopped" "$(cat "$scratch/err")" "collect: folder nested deeper than 128 levels: not entered"
contains "files above that depth are indexed" "$(rg "$d" search daguerréotype)" "a/a/daguerreotype.txt"

# --- symbolic links: out of the inbox, broken, looping -------------------
d=$(new_data links)
in="$scratch/in-links"
sample_inbox "$in" notes md
mkdir "$scratch/outside"
echo "canari-secret-hors-de-la-boite : ne doit jamais être indexé" >"$scratch/outside/secret.txt"
ln -s "$scratch/outside/secret.txt" "$in/secret.txt"
ln -s notes/iso-et-bruit.txt "$in/alias-iso.txt"
echo "Le cyanotype donne des tirages bleu de Prusse." >"$in/cyanotype.txt"
rg "$d" run --inbox "$in" >"$scratch/out" 2>"$scratch/err"
equals "a link out of the inbox fails alone: exit 1" "$?" "1"
lacks "its target is not searchable" "$(rg "$d" search canari 2>&1)" "secret.txt"
out=$(sql "$d" "SELECT count(*) FROM chunks WHERE text LIKE '%canari-secret%'")
equals "nor anywhere in the store" "$out" "0"
contains "the reason names the link and its target" "$(rg "$d" runs show 1 --json --state failed)" \
	"a symbolic link leading out of the inbox (to $scratch/outside/secret.txt): not followed"
contains "a link inside the inbox is followed" "$(rg "$d" search bruit)" "alias-iso.txt"

ln -s "$in/nowhere.txt" "$in/dangling.txt"
ln -s "$in/loop-b" "$in/loop-a" && ln -s "$in/loop-a" "$in/loop-b"
rm "$in/cyanotype.txt"
contains "cyanotype.txt is indexed before" "$(rg "$d" search cyanotype)" "cyanotype.txt"
rg "$d" run --inbox "$in" >"$scratch/out" 2>"$scratch/err"
contains "a broken link is a warning" "$(cat "$scratch/err")" "dangling.txt: collect: broken symbolic link"
contains "the run still deletes what left the inbox" "$(cat "$scratch/out")" "1 deleted"
lacks "the deleted file is no longer found" "$(rg "$d" search cyanotype 2>&1)" "cyanotype.txt"

# --- a folder swapped for a link out of the inbox while collect walks it ---
# The folder is listed as a folder; by the time it is opened it leads to
# a folder outside whose file has the same name.  Opening each component
# without following links refuses it (before: its files were listed, hashed
# and indexed through the link, for good).
d=$(new_data swap)
in="$scratch/in-swap"
sample_inbox "$in" notes
mkdir "$in/dossier" "$scratch/dehors"
echo "Le sténopé n'a pas d'objectif, seulement un trou d'épingle." >"$in/dossier/note.txt"
echo "canari-dossier-echange : hors de la boîte, jamais indexé" >"$scratch/dehors/note.txt"
RAGOPS_PAUSE_AT=collect-folder rg "$d" run --inbox "$in" >"$scratch/out" 2>"$scratch/err" &
pid=$!
sleep 1
mv "$in/dossier" "$scratch/dossier.vrai" && ln -s "$scratch/dehors" "$in/dossier"
wait $pid
out=$(sql "$d" "SELECT count(*) FROM chunks WHERE text LIKE '%canari-dossier%'")
equals "a folder swapped for a link mid-walk: nothing from outside in the store" "$out" "0"
lacks "nor searchable" "$(rg "$d" search canari 2>&1)" "note.txt"
contains "the folder is a warning naming it and why" "$(cat "$scratch/err")" \
	"dossier: collect: cannot read folder: cannot open '$in/dossier': a symbolic link or a file is in the way"
contains "the rest of the inbox is indexed" "$(rg "$d" search backup)" "backup-basics.txt"

# --- links retargeted and folders swapped around extraction ---------------
# collect hashed the right file; before the parser opens it a link is
# pointed out of the inbox, or a folder swapped for a link and swapped back
# once the parser is done.  The parser reads only the file hashed, opened
# without links: the outside text is never indexed (before: it was, for
# good, as the file's stamp had not changed).
d=$(new_data retarget)
in="$scratch/in-retarget"
mkdir -p "$in/zzz" "$scratch/ailleurs/zzz"
echo "Le platinotype donne des noirs veloutés." >"$in/vrai.txt"
ln -s vrai.txt "$in/lien.txt"
echo "Le ferrotype est une plaque de fer vernie." >"$in/zzz/plaque.txt"
echo "canari-lien-redirige : jamais indexé" >"$scratch/ailleurs/secret.txt"
echo "canari-dossier-rendu : jamais indexé" >"$scratch/ailleurs/zzz/plaque.txt"
RAGOPS_PAUSE_AT=extract,extracted rg "$d" -c ingest.threads=3 run --inbox "$in" >"$scratch/out" 2>"$scratch/err" &
pid=$!
sleep 1 # every document waits before its parser: point the link out, swap the folder
ln -sfn "$scratch/ailleurs/secret.txt" "$in/lien.txt"
mv "$in/zzz" "$scratch/zzz.vrai" && ln -s "$scratch/ailleurs/zzz" "$in/zzz"
sleep 3 # every parser is done: swap the folder back, as if nothing happened
rm "$in/zzz" && mv "$scratch/zzz.vrai" "$in/zzz"
wait $pid
equals "no outside text in the store" \
	"$(sql "$d" "SELECT count(*) FROM chunks WHERE text LIKE '%canari-%'")" "0"
contains "the swapped folder's file fails, and says why" "$(cat "$scratch/err")" \
	"zzz/plaque.txt: extract: the file changed since it was collected: cannot open '$in/zzz/plaque.txt': a symbolic link or a file is in the way"
contains "the retargeted link keeps the text collect hashed" "$(rg "$d" search platinotype)" "lien.txt"

# --- an inbox under a folder the user may search but not list (0711) ----
if [[ $EUID -eq 0 ]] && command -v setpriv >/dev/null; then
	mkdir -p "$scratch/x711/inbox" "$scratch/d711"
	echo "Le ferrotype est une plaque de fer vernie." >"$scratch/x711/inbox/fer.txt"
	chmod 711 "$scratch/x711" && chmod 755 "$scratch" && chown nobody "$scratch/d711"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$RAGOPS" --data "$scratch/d711" \
		run --inbox "$scratch/x711/inbox" >"$scratch/out711" 2>&1
	contains "a folder on the way with search permission only is walked through (as nobody)" \
		"$(cat "$scratch/out711")" "1 new, 0 changed"
fi

# --- a file written while it is read: indexed from the bytes hashed, or not at all ---
d=$(new_data race)
in="$scratch/in-race"
sample_inbox "$in" notes
head -c 1000 /dev/zero | tr '\0' 'a' >"$in/grows.txt"
echo "Le marronnier fleurit au printemps dans la cour de l'école." >"$in/arbre.txt"
cp "$in/arbre.txt" "$scratch/arbre.orig"
RAGOPS_PAUSE_AT=extract rg "$d" -c collect.max_file_size=8K run --inbox "$in" >"$scratch/out" 2>"$scratch/err" &
pid=$!
sleep 1
echo "Le platane perd son écorce en été." >"$in/arbre.txt"
head -c 100000 /dev/zero | tr '\0' 'b' >>"$in/grows.txt"
wait $pid
# back to the bytes collect hashed: a run that trusted the hash would call it unchanged
cp "$scratch/arbre.orig" "$in/arbre.txt"
contains "the first run says the file changed since collect hashed it" "$(cat "$scratch/err")" \
	"arbre.txt: extract: the file changed since it was collected"
contains "a file that grew past the size limit after collect is refused when read" \
	"$(cat "$scratch/err")" "grows.txt: extract: the file changed since it was collected (its size went from 1000 to 101000 bytes)"
rg "$d" run --inbox "$in" >/dev/null 2>&1
contains "the next run indexes the file as it is" "$(rg "$d" search marronnier)" "arbre.txt"
lacks "the text it never settled on is not indexed" "$(rg "$d" search platane 2>&1)" "arbre.txt"

# --- a file swapped for a FIFO after collect: it fails, the run does not hang ---
d=$(new_data fifo)
in="$scratch/in-fifo"
sample_inbox "$in" notes
echo "Le collodion humide se coule sur une plaque de verre." >"$in/collodion.txt"
RAGOPS_PAUSE_AT=extract timeout -s KILL 60 "$RAGOPS" --data "$d" -c validate.golden= run --inbox "$in" \
	>"$scratch/out" 2>"$scratch/err" &
pid=$!
sleep 1
rm "$in/collodion.txt" && mkfifo "$in/collodion.txt"
wait $pid
equals "a file swapped for a FIFO fails its document, the run ends (exit 1; 137 when it hung)" "$?" "1"
contains "naming why" "$(cat "$scratch/err")" "collodion.txt: extract: the file changed since it was collected: '$in/collodion.txt' is not a regular file"
finish

#!/usr/bin/env bash
# A full disk and a failing one while feedback is written (issue 13; faults
# from RAGOPS_FAULTS, core/fault.h), through POST /api/feedback on
# `ragops serve` and through `ragops feedback add`: the request fails with
# the cause named and nothing saved, the server stays up, the store
# intact, and the same feedback sent again once the disk is back is saved
# once.  A record the store took while its JSON copy could not be written
# gets its copy with the next record: every record has its file.
. "$(dirname "$0")/lib.sh"
ctl="$scratch/faults"
echo none >"$ctl"
export RAGOPS_FAULTS="$ctl"

inbox="$scratch/inbox"
sample_inbox "$inbox" notes
d=$(new_data feedback)
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
serve_start "$d" || exit 1

rows() { sql "$d" "SELECT count(*) FROM feedback"; }
# post JSON: POST /api/feedback; the status in $code, the body in $body
post() {
	body=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' -d "$1" "$SERVE_URL/api/feedback")
	code=${body##*$'\n'}
	body=${body%$'\n'*}
}
fb() { printf '{"question":"Qu'"'"'est-ce que l'"'"'ISO ?","answer":"La sensibilité du capteur.","rating":%d,"feedback_text":"%s"}' "$1" "$2"; }
copies() { ls "$d/feedback" 2>/dev/null | tr '\n' ' '; }

post "$(fb 4 premier)"
equals "a first feedback is saved" "$code" "201"

# --- POST /api/feedback on a full disk, then on a failing one -------------
if sqlite_only "the store's writes faulted through SQLite's VFS"; then
for fault in full eio; do
	[[ $fault == full ]] && cause="database or disk is full" || cause="disk I/O error"
	before=$(rows)
	echo "$fault" >"$ctl"
	post "$(fb 2 "$fault")"
	equals "$fault: the feedback is refused" "$code" "500"
	contains "$fault: the cause is named" "$body" "the feedback was not saved: store: cannot save the feedback: $cause"
	equals "$fault: the server is up" "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz")" "200"
	echo none >"$ctl"
	equals "$fault: nothing was saved" "$(rows)" "$before"
	check "$fault: ragops check: intact" rg "$d" check
	post "$(fb 2 "$fault")"
	equals "$fault: sent again, it is saved" "$code" "201"
	equals "$fault: once" "$(sql "$d" "SELECT count(*) FROM feedback WHERE feedback_text = '$fault'")" "1"
done
equals "a JSON copy per record" "$(copies)" "feedback-000001.json feedback-000002.json feedback-000003.json "
fi

# --- the store has room (its WAL is reused), the JSON copy has none -------
for i in 1 2 3; do post "$(fb 5 "remplissage $i")"; done
# Everything into the database: the server's next write starts the WAL over, in the space it has.
[[ $RAGOPS_TEST_STORE == postgresql ]] || sqlite3 "$d/ragops.db" "PRAGMA wal_checkpoint" >/dev/null
echo full >"$ctl"
post "$(fb 3 "sans copie")"
echo none >"$ctl"
equals "the store takes the record" "$code" "201"
id=$(jq_py "$body" 'j["id"]')
check "its copy could not be written" test ! -e "$d/feedback/feedback-$(printf %06d "$id").json"
contains "the server's log says so, naming the cause" "$(cat "$SERVE_LOG")" \
	"feedback $id is saved, but not its JSON copy (written with the next record): cannot write"
contains "... disk full" "$(cat "$SERVE_LOG")" "disk full (No space left on device)"
post "$(fb 4 "suivant")"
equals "the next record is saved" "$code" "201"
check "and the missing copy is written with it" test -f "$d/feedback/feedback-$(printf %06d "$id").json"
equals "the copy holds the record" \
	"$(jq_py "$(cat "$d/feedback/feedback-$(printf %06d "$id").json")" 'j["feedback_text"]')" "sans copie"
equals "every record has its copy" "$(ls "$d/feedback" | wc -l)" "$(rows)"

# --- ragops feedback add -------------------------------------------------
if sqlite_only "the store's writes faulted through SQLite's VFS"; then
before=$(rows)
echo eio >"$ctl"
out=$(rg "$d" feedback add --question "Et le bruit ?" --answer "Il monte avec l'ISO." --rating 3 2>&1)
rc=$?
echo none >"$ctl"
equals "feedback add on a failing disk: exit 4 (it said 2, a usage error)" "$rc" "4"
contains "the cause is named" "$out" "ragops feedback add: store: cannot save the feedback: disk I/O error"
equals "nothing was saved" "$(rows)" "$before"
out=$(rg "$d" feedback add --question "Et le bruit ?" --answer "Il monte avec l'ISO." --rating 3 2>&1)
equals "sent again, it is saved" "$?" "0"
equals "once" "$(sql "$d" "SELECT count(*) FROM feedback WHERE question = 'Et le bruit ?'")" "1"
equals "every record has its copy" "$(ls "$d/feedback" | wc -l)" "$(rows)"
fi

serve_stop
equals "the server stops cleanly" "$?" "0"
finish

#!/usr/bin/env bash
# A real full disk (issue 13): the data folder on a small tmpfs that the
# test fills while a run pauses (RAGOPS_PAUSE_AT), no fault injection.
# During the index stage (the failed document used to keep the chunk count
# of the save that failed: 'ragops check' exited 4), during the embedding,
# and under POST /api/feedback: a clean error naming the full disk, the
# store intact, production answering, the server up, and everything done
# once there is room again.  Mounting needs root: skipped otherwise.
. "$(dirname "$0")/lib.sh"
if [[ $(id -u) -ne 0 ]]; then
	echo "ok 1 - skipped: needs root (mounts a tmpfs)"
	exit 0
fi
mnt="$scratch/disk"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=32m tmpfs "$mnt" 2>"$scratch/mount.err"; then
	echo "ok 1 - skipped: cannot mount a tmpfs: $(cat "$scratch/mount.err")"
	exit 0
fi
trap 'umount -l "$mnt" 2>/dev/null; rm -rf "$scratch"' EXIT

# fill LEAVE: the disk full but LEAVE bytes
fill() {
	local avail
	avail=$(( $(stat -f -c '%a' "$mnt") * $(stat -f -c '%S' "$mnt") ))
	fallocate -l $((avail - $1 > 4096 ? avail - $1 : 4096)) "$mnt/filler" 2>/dev/null ||
		head -c $((avail - $1)) /dev/zero >"$mnt/filler" 2>/dev/null
	return 0
}
room() { rm -f "$mnt/filler"; }
treatise() {
	python3 - "$1" <<'EOF'
import random, sys
r = random.Random(13)
words = ('lumière ombre focale diaphragme obturateur capteur bruit grain tirage papier chimie '
         'révélateur fixateur cadrage horizon portrait paysage studio flash réflecteur').split()
with open(sys.argv[1], 'w') as f:
    f.write('# Traité de la chambre noire\n\n')
    for i in range(300):
        f.write(' '.join(r.choice(words) for _ in range(70)) + f' (paragraphe {i}).\n\n')
EOF
}
production() { sql "$d" "SELECT id FROM releases WHERE state = 'production'"; }

inbox="$scratch/inbox"
sample_inbox "$inbox" notes
d="$mnt/data"
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "a first run on the tmpfs" "$?" "0"

# --- the index stage: 256 KB left when the treatise is saved --------------
if sqlite_only "the store's file on the full disk"; then
treatise "$inbox/traite.md"
RAGOPS_PAUSE_AT=extract "$RAGOPS" --data "$d" run --inbox "$inbox" >"$scratch/out" 2>"$scratch/err" &
pid=$!
sleep 1
fill 262144
wait $pid
rc=$?
room
check "the run fails (exit $rc)" test "$rc" -ne 0
contains "the document fails with the cause named" "$(cat "$scratch/err")" \
	"traite.md: index: store: database or disk is full"
out=$(rg "$d" check 2>&1)
equals "ragops check: intact (it said damaged, exit 4)" "$?" "0"
lacks "no document counts chunks it has not" "$out" "damaged"
out=$(sql "$d" "SELECT status, chunks FROM documents WHERE relpath = 'traite.md'")
[[ $out == "failed|0" ]] && ok "the failed document is recorded, counting no chunk" ||
	not_ok "the failed document is recorded, counting no chunk: got '$out'" "$(cat "$scratch/err")"
rg "$d" health >/dev/null 2>&1
check "health is not down" test $? -ne 2
contains "production still answers" "$(rg "$d" search bruit 2>&1)" "iso-et-bruit.txt"
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "with room again, the next run completes" "$?" "0"
contains "and indexes the treatise" "$(rg "$d" search paragraphe 2>&1)" "traite.md"
fi

# --- the embedding: the disk fills before the model is written ------------
inbox="$scratch/inbox-embed"
sample_inbox "$inbox" notes
d="$mnt/embed"
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
sample_inbox "$inbox" md web
prod=$(production)
last=$(sql "$d" "SELECT max(id) FROM runs")
RAGOPS_PAUSE_AT=embed "$RAGOPS" --data "$d" run --inbox "$inbox" >"$scratch/out" 2>"$scratch/err" &
pid=$!
for _ in $(seq 300); do
	[[ $(sql "$d" "SELECT count(*) FROM tasks WHERE stage = 'release' AND run_id > $last") -ge 1 ]] && break
	sleep 0.1
done
fill 0
wait $pid
rc=$?
room
check "the run fails (exit $rc)" test "$rc" -ne 0
contains "the cause is named" "$(cat "$scratch/err")" "No space left on device"
check "ragops check: intact" rg "$d" check
equals "production has not moved" "$(production)" "$prod"
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "with room again, the next run completes" "$?" "0"
check "production moved on" test "$(production)" -gt "$prod"
contains "search finds the new documents" "$(rg "$d" search raw 2>&1)" "raw-vs-jpeg.md"

# --- POST /api/feedback on a full disk -----------------------------------
serve_start "$d" || exit 1
post() {
	body=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' \
		-d '{"question":"Le bruit ?","answer":"Il monte avec l'"'"'ISO.","rating":4,"feedback_text":"disque plein"}' \
		"$SERVE_URL/api/feedback")
	code=${body##*$'\n'}
	body=${body%$'\n'*}
}
post
equals "a first feedback is saved" "$code" "201"
fill 0
post
# The store may still have room in its WAL: then only the JSON copy fails.
if [[ $code == 500 ]]; then
	contains "refused, the cause named" "$body" "database or disk is full"
	equals "the server is up" "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz")" "200"
	room
	post
	equals "sent again once there is room, it is saved" "$code" "201"
else
	equals "saved in the room the WAL had" "$code" "201"
	contains "its JSON copy could not be written: the log says why" "$(cat "$SERVE_LOG")" "disk full"
	equals "the server is up" "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz")" "200"
	room
fi
post
equals "another one, with room" "$code" "201"
equals "no record lost or doubled" "$(sql "$d" "SELECT count(*) FROM feedback WHERE feedback_text = 'disque plein'")" "3"
equals "every record has its JSON copy" "$(ls "$d/feedback" | wc -l)" "3"
serve_stop
equals "the server stops cleanly" "$?" "0"

finish

#!/usr/bin/env bash
# Memory exhaustion in `ragops serve` (issue 13, must-hold 4), over HTTP on
# loopback: allocations made to fail (RAGOPS_FAULTS, core/fault.h: "malloc
# N" fails the Nth allocation through xmalloc and jansson, "sqlite-nomem N"
# SQLite's Nth, for N = 1, 2, 3, 5, 8... until past the request's last
# allocation; every N with RAGOPS_ALLOC_SWEEP=every) during POST
# /api/feedback, POST /api/ask, GET /api/documents (the API has no search
# route) and an admin write (rollback or promote).  For every N the
# server stays up and /healthz answers; the request in flight completes
# (malloc: its allocation is tried again once the memory reserve is given
# back) or gets 503 naming memory (SQLite's out-of-memory error, rolled
# back); the next requests that do real work get 503 with Retry-After while
# memory has not come back, /health says degraded and /readyz not ready;
# once it is back, the reserve is mapped again and everything is answered.
# No acknowledged feedback is lost, no other one is saved, no half of
# anything is; `ragops check` and integrity_check are clean.  Then what is
# not promised: memory that never comes back ("malloc-from N") ends the
# server with exit 4 and a message, its store intact; and the CLI still
# exits 4 at its first failed allocation.  And one real shortage, without
# injection: an address-space limit set on the running server (prlimit).
. "$(dirname "$0")/lib.sh"
ctl="$scratch/faults"
echo none >"$ctl"
export RAGOPS_FAULTS="$ctl"
export MEM_TOKEN="t0186-admin-token-5c4d3e"

inbox="$scratch/inbox"
sample_inbox "$inbox" notes
d=$(new_data memory)
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
sample_inbox "$inbox" md
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
equals "two releases, the second in production" "$(sql "$d" "SELECT group_concat(id || ':' || state) FROM releases")" \
	"1:archived,2:production"
serve_start "$d" -c serve.token_env=MEM_TOKEN -c serve.rate_limit=0 || { not_ok "the server starts"; finish; exit 1; }

# req METHOD PATH [BODY]: the status in $code, the body in $body, Retry-After in $retry
req() {
	local out
	out=$(curl -s -m 60 -D "$scratch/headers" -w '\n%{http_code}' -X "$1" -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $MEM_TOKEN" ${3:+--data-binary "$3"} "$SERVE_URL$2")
	code=${out##*$'\n'}
	body=${out%$'\n'*}
	retry=$(tr -d '\r' <"$scratch/headers" | sed -n 's/^[Rr]etry-[Aa]fter: *//p')
}
# The last reply is 2xx with a JSON body, or 503 with Retry-After naming memory; else why not.
malformed() {
	if [[ $code == 2?? && $body == "{"* ]]; then return 1; fi
	if [[ $code == 503 && -n $retry && $body == *'"error":"'*memory* ]]; then return 1; fi
	echo "$code (Retry-After '$retry'): ${body:0:300}"
}
up() { kill -0 "$SERVE_PID" 2>/dev/null; }
# Whether /health reports the server short of memory (it does not map the reserve again).
pressure() {
	[[ $(curl -s -m 60 "$SERVE_URL/health") != *'"name":"memory","status":"ok"'* ]]
}

# Every feedback sent, with the reply it got: "tag status" lines.
sent="$scratch/sent"
: >"$sent"
fb_body() {
	printf '{"question":"Qu'"'"'est-ce que l'"'"'ISO ?","answer":"La sensibilité du capteur.","rating":%d,"feedback_text":"%s","corrected_answer":"Réponse corrigée %s"}' \
		"$1" "$2" "$2"
}
post_feedback() { # TAG: POST /api/feedback, with an Idempotency-Key one time in two
	local key=()
	(( ${#1} % 2 )) && key=(-H "Idempotency-Key: key-$1")
	local out
	out=$(curl -s -m 60 -D "$scratch/headers" -w '\n%{http_code}' -H 'Content-Type: application/json' "${key[@]}" \
		--data-binary "$(fb_body $(( ${#1} % 5 + 1 )) "$1")" "$SERVE_URL/api/feedback")
	code=${out##*$'\n'}
	body=${out%$'\n'*}
	retry=$(tr -d '\r' <"$scratch/headers" | sed -n 's/^[Rr]etry-[Aa]fter: *//p')
	echo "$1 $code ${#key[@]}" >>"$sent"
}
ask() { req POST /api/ask '{"question":"Comment réduire le bruit en montant les ISO ?"}'; }
documents() { req GET /api/documents; }
production() { sql "$d" "SELECT id FROM releases WHERE state = 'production'"; }
# The admin write: production goes back to release 1, or forward to 2 again.
admin_write() {
	admin_from=$(production)
	if [[ $admin_from == 2 ]]; then
		req POST /api/deploy/rollback '{"reason":"t0186"}'
	else
		req POST /api/releases/2/promote '{"reason":"t0186","force":true}'
	fi
}
answered=0

# attempt WHAT TAG: one request WHAT (post_feedback, ask, documents,
# admin_write); what is wrong with its reply (not well formed, a write
# that says one thing and did another) goes to $problems.
attempt() {
	case $1 in
	post_feedback) post_feedback "$2" ;;
	ask) ask; [[ $code == 200 ]] && answered=$((answered + 1)) ;;
	*) $1 ;;
	esac
	local why
	why=$(malformed) && problems+=("$2: $why")
	if [[ $1 == admin_write ]]; then
		local now; now=$(production)
		if [[ $code == 200 && $now == "$admin_from" ]]; then
			problems+=("$2: 200 but production stayed $now")
		elif [[ $code != 200 && $now != "$admin_from" ]]; then
			problems+=("$2: $code but production moved $admin_from -> $now")
		fi
	fi
}

# The sizes N of a sweep: 1, 2, 3, 5, 8... (Fibonacci), or with
# RAGOPS_ALLOC_SWEEP=every, every N (long: RAGOPS_ALLOC_WHAT=post_feedback
# sweeps that request alone).
sizes() {
	local a=1 b=2
	while ((a <= $1)); do
		echo "$a"
		if [[ ${RAGOPS_ALLOC_SWEEP:-} == every ]]; then
			a=$((a + 1))
		else
			b=$((a + b)) a=$((b - a))
		fi
	done
}

# sweep FAULT WHAT: the request WHAT under "FAULT N" for each size N until
# N is past the request's allocations.  For each: memory back first (the
# reserve mapped again: /readyz 200); the request; /healthz 200, the
# server up; the same request again, memory not back: 503 naming memory
# when the first one failed an allocation (a read is answered all the
# same: /health says whether one failed).  One check for the sweep, with
# every problem found.
sweep() {
	local fault=$1 what=$2 size problems=() fired=0 past="" t0=$SECONDS
	up || { not_ok "$fault N, $what: the server is not running"; return; }
	for size in $(sizes 100000); do
		echo none >"$ctl"
		req GET /readyz
		[[ $code == 200 ]] || problems+=("N=$size: /readyz with memory back: $code ${body:0:200}")
		echo "$fault $size" >"$ctl"
		attempt "$what" "$fault-$what-$size"
		local first=$code
		[[ $fault == malloc && $code != 2?? ]] &&
			problems+=("N=$size: the request in flight got $code, not 2xx: ${body:0:200}")
		[[ $(curl -s -m 10 -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz") == 200 ]] ||
			problems+=("N=$size: /healthz did not answer 200")
		up || { problems+=("N=$size: the server died: $(tail -3 "$SERVE_LOG")"); break; }
		if [[ $what == documents ]] && ! pressure; then
			[[ $first == 2?? ]] && { past=$size; break; }
		fi
		attempt "$what" "$fault-$what-$size-next"
		if [[ $what == documents ]]; then
			[[ $code == 200 ]] || problems+=("N=$size: a read while short of memory got $code, not 200")
		elif [[ $code != 503 ]]; then
			# Not refused: nothing failed in the first request, N is past it.
			[[ $first == 2?? ]] && { past=$size; break; }
			continue
		fi
		fired=$((fired + 1))
	done
	echo none >"$ctl"
	[[ -n $past ]] || problems+=("the sweep ended at N=$size before passing the request's allocations")
	if [[ ${#problems[@]} -eq 0 ]]; then
		ok "$fault N, $what: $fired sizes failed an allocation, each answered well and the next request $([[ $what == documents ]] && echo answered || echo refused); N=$past was past the request ($((SECONDS - t0)) s)"
	else
		not_ok "$fault N, $what" "$(printf '%s\n' "${problems[@]}")"
	fi
}

# --- what the server says while it is short of memory -----------------------
echo "malloc 1" >"$ctl"
post_feedback "first-pressure"
equals "malloc 1: the request in flight completes" "$code" "201"
req GET /health
equals "/health answers 200 while short of memory" "$code" "200"
equals "... degraded, naming memory" "$(jq_py "$body" '(j["status"], [(c["status"], c["message"][:40]) for c in j["checks"] if c["name"] == "memory"])')" \
	"('degraded', [('degraded', 'the memory reserve is spent: new questio')])"
req GET /readyz
equals "/readyz: not ready (503)" "$code" "503"
contains "... naming memory" "$body" "memory"
req GET /metrics
contains "/metrics: ragops_memory_pressure 1" "$body" $'\nragops_memory_pressure 1\n'
contains "... one release of the reserve" "$body" $'\nragops_memory_reserve_releases_total 1\n'
post_feedback "refused-under-pressure"
equals "new feedback: 503" "$code" "503"
contains "... naming the cause" "$body" "out of memory"
check "... with Retry-After" test -n "$retry"
ask
equals "a question: 503" "$code" "503"
req POST /api/deploy/rollback '{}'
equals "an admin write: 503" "$code" "503"
equals "production unchanged" "$(production)" "2"
req GET /api/feedback
equals "reads go on: GET /api/feedback 200" "$code" "200"
equals "/healthz: 200" "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz")" "200"
contains "the log says the reserve was given back" "$(cat "$d/logs/serve.log")" "memory: an allocation of"
echo none >"$ctl"
post_feedback "after-pressure"
equals "memory back: the next feedback is saved (201)" "$code" "201"
req GET /metrics
contains "the pressure is over" "$body" $'\nragops_memory_pressure 0\n'
contains "the log says so" "$(cat "$d/logs/serve.log")" "memory: the reserve is mapped again"
up || { not_ok "the server is up" "$(tail -3 "$SERVE_LOG")"; serve_stop; finish; exit 1; }

# --- the sweeps ---------------------------------------------------------------
faults=(malloc)
sqlite_only "SQLite's allocator (sqlite-nomem)" && faults+=(sqlite-nomem)
for fault in "${faults[@]}"; do
	for what in ${RAGOPS_ALLOC_WHAT:-post_feedback ask documents admin_write}; do sweep "$fault" "$what"; done
done
echo none >"$ctl"

# --- SQLite out of memory for a while: every store request fails, the server stays up
if sqlite_only "SQLite's allocator (sqlite-nomem-from)"; then
echo "sqlite-nomem-from 1" >"$ctl"
post_feedback "sustained-nomem"
equals "sustained: feedback 503" "$code" "503"
contains "... out of memory" "$body" "out of memory"
req GET /api/feedback
equals "sustained: a read 503" "$code" "503"
contains "... out of memory" "$body" "out of memory"
equals "sustained: /healthz 200" "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz")" "200"
echo none >"$ctl"
for i in 1 2 3 4 5 6 7 8; do post_feedback "after-sustained-$i"; [[ $code == 201 ]] || break; done
equals "memory back: feedback on every pooled connection is saved" "$code" "201"
fi
ask
[[ $code == 200 ]] && answered=$((answered + 1))
equals "... and questions answered" "$code" "200"
req GET /readyz
equals "... and the server ready" "$code" "200"

# --- nothing lost, nothing half-saved ------------------------------------------
serve_stop
equals "the server stops cleanly" "$?" "0"
# --- a real shortage: no injection, an address-space limit -----------------------
# prlimit sets a fresh server's RLIMIT_AS 16 MB below what it has mapped, before
# its first question (which loads the release): every new mapping fails, and
# so does malloc once its heaps are full.  The reserve given back leaves 48 MB
# of room: the server must live on it, refusing new questions, until the
# limit is lifted.  (A sanitizer build maps terabytes of shadow memory and its
# allocator does not return NULL: skipped there.)
releases() { curl -s "$SERVE_URL/metrics" | sed -n 's/^ragops_memory_reserve_releases_total //p'; }
if ldd "$RAGOPS_BIN" | grep -q libasan; then
	ok "a real shortage: skipped (a sanitizer build)"
else
	echo none >"$ctl"
	serve_start "$d" -c serve.token_env=MEM_TOKEN -c serve.rate_limit=0 || not_ok "the server starts again"
	vm=$(awk '/^VmSize:/ {print $2}' "/proc/$SERVE_PID/status")
	prlimit --pid "$SERVE_PID" --as=$(((vm - 16384) * 1024)):
	replies=""
	for i in $(seq 10); do
		ask
		[[ $code == 200 ]] && answered=$((answered + 1))
		replies+="$code/$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz") "
		up || break
	done
	prlimit --pid "$SERVE_PID" --as=unlimited:
	check "a real shortage: the server lives through it ($replies)" up
	equals "... questions answered or refused (503), /healthz 200" \
		"$(tr ' ' '\n' <<<"$replies" | grep -cvE '^(200|503)/200$')" "1" # the empty last line
	contains "... an allocation failed and new questions waited" "$replies" "503/200"
	ask
	[[ $code == 200 ]] && answered=$((answered + 1))
	equals "... the limit lifted, the reserve is mapped again and the next question answered" "$code" "200"
	equals "... given back once" "$(releases)" "1"
	serve_stop
	equals "... the server stops cleanly" "$?" "0"
fi

sql_json "$d" "SELECT feedback_text AS t, question AS q, answer AS a, rating AS r, corrected_answer AS c FROM feedback" >"$scratch/rows.json"
sql_json "$d" "SELECT key AS k FROM feedback_keys" >"$scratch/keys.json"
saved=$(python3 - "$scratch/rows.json" "$sent" "$scratch/keys.json" <<'PY'
import json, sys
rows = {}
for r in json.load(open(sys.argv[1])):
    rows.setdefault(r["t"], []).append((r["q"], r["a"], r["r"], r["c"]))
keys = {r["k"] for r in json.load(open(sys.argv[3]))}
bad = []
acked = 0
for line in open(sys.argv[2]):
    tag, status, keyed = line.split()
    want = ("Qu'est-ce que l'ISO ?", "La sensibilité du capteur.", len(tag) % 5 + 1, "Réponse corrigée " + tag)
    got = rows.get(tag, [])
    if status == "201":
        acked += 1
        if got != [want]:
            bad.append(f"{tag}: acknowledged, stored as {got}")
        if keyed == "1" and "key-" + tag not in keys:
            bad.append(f"{tag}: acknowledged, its Idempotency-Key not saved")
    else:
        if got:
            bad.append(f"{tag}: answered {status}, stored as {got}")
        if "key-" + tag in keys:
            bad.append(f"{tag}: answered {status}, its Idempotency-Key saved")
print(acked, len(open(sys.argv[2]).readlines()), "; ".join(bad))
PY
)
read -r acked total problems <<<"$saved"
undone=$(grep -c '"store connection: ' "$d/logs/serve.log")
equals "every acknowledged feedback is stored whole, no other one at all ($acked of $total; $undone pooled connections had a statement or transaction to undo)" "${problems:-}" ""
equals "a logged question for every answer (and none for a refusal)" \
	"$(sql "$d" "SELECT count(*) FROM queries")" "$answered"

# --- not promised: memory that never comes back ----------------------------------
# The reserve is spent, the allocation tried again fails: the server exits 4
# with a message, wherever in a feedback write (or after it, at the next
# request) that happens; the store stays intact and the feedback is saved
# whole or not at all.
for at in 1 20 60 120 200; do
	echo none >"$ctl"
	serve_start "$d" -c serve.token_env=MEM_TOKEN -c serve.rate_limit=0 || { not_ok "the server starts again"; break; }
	echo "malloc-from $at" >"$ctl"
	post_feedback "never-back-$at"
	# Past the request, the next allocation (any request's) is the server's last.
	for _ in $(seq 200); do up || break; curl -s -m 10 -o /dev/null "$SERVE_URL/healthz"; done
	up && kill -KILL "$SERVE_PID"
	wait "$SERVE_PID"
	rc=$?
	echo none >"$ctl"
	equals "malloc-from $at: the server exits 4 (the feedback got '$code')" "$rc" "4"
	contains "... saying why" "$(cat "$SERVE_LOG")" "fatal: out of memory allocating"
	got=$(sql "$d" "SELECT count(*), coalesce(min(CASE WHEN corrected_answer = 'Réponse corrigée never-back-$at' THEN 1 ELSE 0 END), 1) FROM feedback WHERE feedback_text = 'never-back-$at'")
	[[ $got == "0|1" || $got == "1|1" ]] && ok "... the feedback saved whole or not at all ($got)" ||
		not_ok "... the feedback saved whole or not at all" "$got"
	[[ $code != 201 || $got == "1|1" ]] || not_ok "... acknowledged, it is saved" "$got"
	check "... ragops check: intact" rg "$d" check
done

# --- the CLI: unchanged, the first failed allocation ends it ----------------------
echo "malloc 30" >"$ctl"
out=$(rg "$d" search "bruit ISO" 2>&1)
rc=$?
echo none >"$ctl"
equals "ragops search, malloc 30: exit 4" "$rc" "4"
contains "... saying why" "$out" "fatal: out of memory allocating"
echo "sqlite-nomem 200" >"$ctl"
out=$(rg "$d" feedback add --question "Et le bruit ?" --answer "Il monte." --rating 3 2>&1)
rc=$?
echo none >"$ctl"
[[ $rc -ne 0 && $out == *"out of memory"* || $rc -eq 0 ]] && ok "ragops feedback add, sqlite-nomem 200: saved, or an error naming memory (exit $rc)" ||
	not_ok "ragops feedback add, sqlite-nomem 200" "exit $rc: $out"
finish

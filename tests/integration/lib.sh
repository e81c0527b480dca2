# Shared by the integration tests: a TAP-like "ok N - what" per check, a
# scratch folder removed at exit, and a store integrity check on every
# data folder a test used.  Source it; call `finish` last.
set -u
: "${RAGOPS:?RAGOPS must point at the ragops binary}"
: "${TOP:?TOP must point at the source tree}"
# The binary itself, for the tests that look at the file or its build folder
# (RAGOPS is a wrapper when the store is on PostgreSQL: tests/run.sh).
RAGOPS_BIN=${RAGOPS_REAL:-$RAGOPS}
# sqlite or postgresql: where the store of every invocation is (tests/run.sh)
RAGOPS_TEST_STORE=${RAGOPS_TEST_STORE:-sqlite}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Marks this test's processes: tests run side by side (tests/run.sh).
export RAGOPS_TEST_SCRATCH=$scratch
n=0 bad=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"
	[[ -n "${2:-}" ]] && printf '%s\n' "$2" | sed 's/^/#   /'
	return 0
}
# check "what" command...: passes when the command exits 0
check() {
	local what=$1; shift
	local out
	if out=$("$@" 2>&1); then ok "$what"; else not_ok "$what" "$out"; fi
}
# expect_exit CODE "what" command...
expect_exit() {
	local want=$1 what=$2; shift 2
	local out rc
	out=$("$@" 2>&1); rc=$?
	if [[ $rc -eq $want ]]; then ok "$what"; else not_ok "$what (exit $rc, wanted $want)" "$out"; fi
}
# contains "what" "haystack" "needle"
contains() {
	if [[ "$2" == *"$3"* ]]; then ok "$1"; else not_ok "$1: no '$3' in output" "$2"; fi
}
lacks() {
	if [[ "$2" != *"$3"* ]]; then ok "$1"; else not_ok "$1: unexpected '$3' in output" "$2"; fi
}
equals() {
	if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1: got '$2', wanted '$3'"; fi
}
# new_data NAME: a fresh data folder under the scratch folder; finish checks
# every store found there (called as d=$(new_data x), it runs in a subshell,
# so it cannot keep a list).
new_data() {
	echo "$scratch/$1"
}
# sample_inbox DIR ITEM...: a folder holding copies of samples/corpus/ITEM
# (a file or a folder), for a test's run
sample_inbox() {
	local dir=$1 item; shift
	mkdir -p "$dir"
	for item in "$@"; do cp -r "$TOP/samples/corpus/$item" "$dir/"; done
}
# rg DATA args...: ragops on a data folder
rg() { local d=$1; shift; "$RAGOPS" --data "$d" "$@"; }
# json FILE-OR-STRING EXPR: evaluate a Python expression on parsed JSON `j`
jq_py() { python3 -c "import json,sys; j=json.loads(sys.stdin.read()); print($2)" <<<"$1"; }
# sql DATA QUERY: a query on the data folder's store, as sqlite3 prints it
# ("a|b" rows).  On PostgreSQL: the database tests/tools/ragops-pg gave the
# folder (DATA/.pg-database), with SQLite's group_concat, hex, char and
# strftime('%s','now') (tests/tools/pg-shim.sql) and booleans printed 1/0.
sql() {
	if [[ $RAGOPS_TEST_STORE != postgresql ]]; then
		sqlite3 "$1/ragops.db" "$2"
		return
	fi
	local db _ q out rc
	read -r db _ 2>/dev/null <"$1/.pg-database" || { echo "sql: $1 has no PostgreSQL store (.pg-database)" >&2; return 1; }
	q=$(sed -E 's/\bchar\(/chr(/g' <<<"$2")
	out=$(PGOPTIONS="-c search_path=public,ragops_test_shim" \
		psql -X -q -At -v ON_ERROR_STOP=1 -d "${RAGOPS_TEST_PG_URL%/*}/$db" -c "$q"); rc=$?
	[[ -n "$out" ]] && awk -F'|' -v OFS='|' \
		'{ for (i = 1; i <= NF; i++) { if ($i == "t") $i = 1; else if ($i == "f") $i = 0 } print }' <<<"$out"
	return $rc
}
# sql_json DATA QUERY: the rows as a JSON array of objects keyed by column
# name (name the columns: AS), on either store.
sql_json() {
	local out
	if [[ $RAGOPS_TEST_STORE != postgresql ]]; then
		out=$(sqlite3 -json "$1/ragops.db" "$2") || return
	else
		out=$(sql "$1" "SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM ($2) AS q") || return
	fi
	echo "${out:-[]}"
}
# store_url DATA: the PostgreSQL URL of the data folder's store, empty on SQLite.
store_url() {
	local db _
	[[ $RAGOPS_TEST_STORE == postgresql ]] || return 0
	read -r db _ <"$1/.pg-database" && echo "${RAGOPS_TEST_PG_URL%/*}/$db"
}
# copy_data FROM TO: a copy of a data folder, store included (cp -a).  On
# PostgreSQL its database is copied now (CREATE DATABASE ... TEMPLATE); left
# to ragops-pg, the copy would be made at TO's first use, from FROM as it
# is then.  No process may be connected to FROM's database.
copy_data() {
	cp -a "$1" "$2" || return
	[[ $RAGOPS_TEST_STORE == postgresql ]] || return 0
	local from _ to out
	read -r from _ <"$1/.pg-database" || return
	to="r_$(printf %s "$(realpath -m -- "$2")" | sha256sum | cut -c1-16)_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
	out=$(psql -X -q -v ON_ERROR_STOP=1 -d "$RAGOPS_TEST_PG_URL" -c "CREATE DATABASE \"$to\" TEMPLATE \"$from\"" 2>&1) ||
		{ echo "copy_data: $out" >&2; return 1; }
	[[ -n "${RAGOPS_TEST_PG_STATE:-}" ]] && echo "$to" >>"$RAGOPS_TEST_PG_STATE/databases"
	echo "$to $(realpath -m -- "$2")" >"$2/.pg-database"
}
# model_away DATA RELPATH DEST, model_back DATA RELPATH DEST, model_lost DATA
# RELPATH: a model file (models/...) out of reach, back, lost.  On
# PostgreSQL the store keeps a copy of each (artefacts) that a data folder
# lacking the file fetches: that copy is hidden, shown again, deleted too.
model_away() {
	mv "$1/$2" "$3" || return
	[[ $RAGOPS_TEST_STORE != postgresql ]] ||
		sql "$1" "UPDATE artefacts SET path = path || '.away' WHERE path = '$2'" >/dev/null
}
model_back() {
	mv "$3" "$1/$2" || return
	[[ $RAGOPS_TEST_STORE != postgresql ]] ||
		sql "$1" "UPDATE artefacts SET path = '$2' WHERE path = '$2.away'" >/dev/null
}
model_lost() {
	rm "$1/$2" || return
	[[ $RAGOPS_TEST_STORE != postgresql ]] || sql "$1" "DELETE FROM artefacts WHERE path = '$2'" >/dev/null
}
# A model file model_away or model_lost took, as ragops says it on this store:
# on PostgreSQL it looked in the store too.
model_missing() {
	if [[ $RAGOPS_TEST_STORE == postgresql ]]; then echo "is neither in the data folder nor kept in the store"; else echo "$1"; fi
}
# sqlite_only WHY: whether to run the checks it guards (if sqlite_only ...;
# then ...; fi): on PostgreSQL they check SQLite's own (WHY) and are
# skipped, saying so.  A whole test says "# store: sqlite-only (WHY)" near
# its top instead (tests/run.sh).
sqlite_only() {
	[[ $RAGOPS_TEST_STORE != postgresql ]] && return 0
	echo "# skipped on PostgreSQL: $1"
	return 1
}
# This test's worker processes ("ragops __worker KIND RUN_PID") whose run is gone: none may be.
orphan_workers() {
	pgrep -af -- "__worker [a-z]+ [0-9]+$" | while read -r pid _ _ _ run; do
		tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "RAGOPS_TEST_SCRATCH=$scratch" || continue
		[[ -e /proc/$run ]] || echo "$pid"
	done
}

# serve_start DATA [ragops serve options...]: start `ragops serve` on a free
# loopback port; sets SERVE_URL (no trailing slash), SERVE_PID, SERVE_LOG.
# A port found free can be taken by a neighbouring test before the server
# binds it (tests run side by side): then another port is tried.
serve_start() {
	local d=$1; shift
	local port attempt
	for attempt in 1 2 3; do
		port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		SERVE_URL="http://127.0.0.1:$port" SERVE_LOG="$scratch/serve-$port.log"
		"$RAGOPS" --data "$d" serve -c serve.port="$port" "$@" >"$SERVE_LOG" 2>&1 &
		SERVE_PID=$!
		for _ in $(seq 100); do
			curl -sf -o /dev/null "$SERVE_URL/healthz" && return 0
			kill -0 "$SERVE_PID" 2>/dev/null || break
			sleep 0.1
		done
		grep -q "cannot listen on 127.0.0.1 port $port" "$SERVE_LOG" || break
		wait "$SERVE_PID" 2>/dev/null
	done
	echo "ragops serve did not start:" >&2; cat "$SERVE_LOG" >&2
	return 1
}
# serve_stop: SIGTERM, then wait; returns the server's exit status.
serve_stop() {
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
	local rc=$?
	# A crash (a sanitizer report, say) is in the server's log: show it.
	[[ $rc -eq 0 ]] || { echo "ragops serve exited $rc:" >&2; tail -40 "$SERVE_LOG" >&2; }
	return $rc
}

# pg_database NAME: for a test of the store on PostgreSQL, a database NAME
# of its own on the run's cluster (tests/run.sh starts it), dropped at exit;
# sets db, server (the cluster's URL) and url (the database's).  pg runs
# psql; a test's before_exit, when defined, runs first at exit.  Without
# RAGOPS_TEST_PG_URL the test fails and stops.
pg() { psql -X -A -t -q -w -v ON_ERROR_STOP=1 "$@"; }
pg_database() {
	if [[ -z "${RAGOPS_TEST_PG_URL:-}" ]]; then
		not_ok "RAGOPS_TEST_PG_URL is set (run through tests/run.sh)"
		finish; exit
	fi
	# Nothing from the caller's environment or home: only the URL speaks.
	unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD PGOPTIONS
	export PGPASSFILE="$scratch/no-pgpass" PGCONNECT_TIMEOUT=10
	db=$1 server=${RAGOPS_TEST_PG_URL%/*}
	url="$server/$db"
	pg "$RAGOPS_TEST_PG_URL" -c "CREATE DATABASE $db" >/dev/null
	trap pg_database_drop EXIT
}
# work QUERY: a query on the test's PostgreSQL database (pg_database), unaligned rows
work() { pg "$url" -c "$1"; }
# queued [N]: more than N (0) documents wait in the work queue
queued() { [[ $(work "SELECT count(*) FROM work WHERE state = 'queued'" 2>/dev/null) -gt ${1:-0} ]]; }
# wait_for SECONDS COMMAND...: until the command succeeds, polled 5 times a second; 1 when it never did
wait_for() {
	local tries=$(($1 * 5))
	shift
	for _ in $(seq "$tries"); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}
stopped() { [[ $(ps -o stat= -p "$1" 2>/dev/null) == T* ]]; } # stopped PID: by SIGSTOP
gone() { ! kill -0 "$1" 2>/dev/null; }                       # gone PID: no such process
pg_database_drop() {
	declare -F before_exit >/dev/null && before_exit
	pg "$RAGOPS_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$scratch"
}

finish() {
	local db d
	if [[ $RAGOPS_TEST_STORE == postgresql ]]; then
		for db in "$scratch"/*/.pg-database "$scratch"/*/*/.pg-database; do
			[[ -f "$db" ]] || continue
			d=$(dirname "$db")
			local out
			out=$("$RAGOPS" --data "$d" check 2>&1) && ok "store intact: $(basename "$d")" ||
				not_ok "store intact: $(basename "$d")" "$out"
		done
		[[ $bad -eq 0 ]]
		return
	fi
	for db in "$scratch"/*/ragops.db "$scratch"/*/*/ragops.db; do
		[[ -f "$db" ]] || continue
		d=$(dirname "$db")
		local out
		out=$("$RAGOPS" --data "$d" check 2>&1) && ok "store intact: $(basename "$d")" ||
			not_ok "store intact: $(basename "$d")" "$out"
		out=$(sqlite3 "$d/ragops.db" 'PRAGMA integrity_check' 2>&1)
		equals "sqlite integrity_check: $(basename "$d")" "$out" "ok"
	done
	[[ $bad -eq 0 ]]
}

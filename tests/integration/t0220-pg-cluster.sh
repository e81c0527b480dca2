#!/usr/bin/env bash
# The tests' PostgreSQL (tests/run.sh starts it with scripts/pg-cluster.sh
# unless RAGOPS_TEST_PG_URL is given): what the store's tests rely on.
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

if [[ -z "${RAGOPS_TEST_PG_URL:-}" ]]; then
	not_ok "RAGOPS_TEST_PG_URL is set (run through tests/run.sh)"
	finish; exit
fi
# Nothing from the caller's environment or home: only the URL speaks.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD PGOPTIONS
export PGPASSFILE="$scratch/no-pgpass" PGCONNECT_TIMEOUT=10
url=$RAGOPS_TEST_PG_URL

out=$(pg "$url" -c 'SELECT current_user, current_database()' 2>&1)
equals "psql connects with RAGOPS_TEST_PG_URL as ragops" "$out" "ragops|ragops"
out=$(pg "$url" 2>&1 <<-'EOF'
	CREATE TABLE t0220_probe (id bigint PRIMARY KEY, body text NOT NULL);
	INSERT INTO t0220_probe VALUES (1, 'déjà vu');
	SELECT body FROM t0220_probe;
	DROP TABLE t0220_probe;
	EOF
)
equals "ragops creates a table, writes and reads UTF-8 text in it" "$out" "déjà vu"
out=$(pg "$url" -c "SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user" 2>&1)
equals "ragops is no superuser but may create databases" "$out" "f|t"
out=$(pg "$url" -c 'SHOW server_encoding' 2>&1)
equals "the server's encoding is UTF8" "$out" "UTF8"
check "ragops creates and drops a database of its own" \
	pg "$url" -c 'CREATE DATABASE t0220_scratch' -c 'DROP DATABASE t0220_scratch'

# The password role: scram-sha-256 on loopback, for the wrong-credentials tests.
pw_url=${url/\/\/ragops@/\/\/ragops_pw@}
out=$(PGPASSWORD=wrong-pw pg "$pw_url" -c 'SELECT 1' 2>&1); rc=$?
equals "ragops_pw with a wrong password: psql fails" "$rc" "2"
contains "ragops_pw with a wrong password: the server says why" "$out" \
	'password authentication failed for user "ragops_pw"'
out=$(pg "$pw_url" -c 'SELECT 1' 2>&1); rc=$?
equals "ragops_pw without a password: psql fails" "$rc" "2"
contains "ragops_pw without a password: one is asked for" "$out" "no password supplied"
out=$(PGPASSWORD=secret-pw pg "$pw_url" -c 'SELECT current_user' 2>&1)
equals "ragops_pw with its password is let in" "$out" "ragops_pw"

# Loopback only: the setting, and the sockets the kernel has listening.
out=$(pg "$url" -c 'SHOW listen_addresses' 2>&1)
equals "listen_addresses is 127.0.0.1" "$out" "127.0.0.1"
port=$(pg "$url" -c 'SHOW port' 2>&1)
hexport=$(printf '%04X' "$port")
# /proc/net/tcp{,6}: local address as hex IP:PORT (IPv4 little-endian), state 0A = LISTEN
out=$(awk -v p="$hexport" '$4 == "0A" && substr($2, index($2, ":") + 1) == p { print $2 }' /proc/net/tcp /proc/net/tcp6)
equals "the only socket listening on port $port is 127.0.0.1's (no 0.0.0.0, no IPv6)" "$out" "0100007F:$hexport"

# The throwaway cluster's folder: its unix socket, where the superuser gets in.
if [[ -n "${RAGOPS_TEST_PG_DIR:-}" ]]; then
	check "the unix socket is in RAGOPS_TEST_PG_DIR" test -S "$RAGOPS_TEST_PG_DIR/.s.PGSQL.$port"
	out=$(pg -h "$RAGOPS_TEST_PG_DIR" -p "$port" -U postgres -d ragops -c 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user' 2>&1)
	equals "the superuser postgres connects over that socket" "$out" "t"
fi
finish

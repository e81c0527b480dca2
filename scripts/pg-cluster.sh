#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (issue 15), in a folder of its
# own: data in DIR/data, the unix socket in DIR, the server log DIR/server.log;
# listening on 127.0.0.1 only, on a free port (never 5432: see pick_port),
# fsync off.  Never touches a system cluster.
#
#   scripts/pg-cluster.sh start DIR   DIR absent or empty (e.g. from mktemp -d)
#   scripts/pg-cluster.sh stop DIR    stops the server, removes DIR; a DIR
#                                     already gone is not an error
#
# start prints shell assignments for `eval`:
#   RAGOPS_TEST_PG_URL=postgresql://ragops@127.0.0.1:PORT/ragops
#   RAGOPS_TEST_PG_DIR=DIR
# Roles: ragops (owns database ragops, CREATEDB, not superuser; trust on
# 127.0.0.1), ragops_pw (password 'secret-pw', scram-sha-256 on 127.0.0.1),
# postgres (superuser, unix socket in DIR only).  As root the server runs as
# the `postgres` system user (DIR is chowned to it); otherwise as the caller.
# Since the port is in DIR/data/postgresql.conf, `pg_ctl -D DIR/data start`
# (as that user) brings the same cluster back after a stop of its own.
set -euo pipefail
me=pg-cluster.sh
marker=.ragops-test-cluster
# libpq and pg_ctl read these: none may lead to another cluster.
unset PGDATA PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE \
	PGPASSWORD PGPASSFILE PGOPTIONS PGSSLMODE PGREQUIRESSL PGTARGETSESSIONATTRS

die() { echo "$me: $*" >&2; exit 1; }
usage() { echo "usage: $me start DIR | stop DIR" >&2; exit 2; }

# The server binaries: pg_config's if it has them (libpq-dev's pg_config may
# name a version whose server is not installed), else the newest Debian one.
find_bindir() {
	local d
	if command -v pg_config >/dev/null; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
			echo "$d"; return 0
		fi
	fi
	d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
	if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
		echo "$d"; return 0
	fi
	echo "$me: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found" \
		"(neither in pg_config --bindir nor in /usr/lib/postgresql/*/bin); as root run:" >&2
	echo "  apt-get install -y postgresql" >&2
	return 1
}

# as USER command...: run as USER (root drops to it; anyone else is it already)
as() {
	local user=$1; shift
	if [[ $(id -u) -eq 0 && "$user" != root ]]; then
		setpriv --reuid="$user" --regid="$user" --init-groups env HOME="$dir" "$@"
	else
		"$@"
	fi
}

# A port nobody listens on, from 20000-29999: below Linux's ephemeral range
# (32768-60999, where `serve` test ports and client sockets come from) and far
# from 5432.  A collision between this check and the server's bind is caught
# at start and another port tried.
pick_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 10000))
		# A connection that succeeds means the port is taken.
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	die "no free port found in 20000-29999 after 50 tries"
}

log_tail() {
	local f=$1
	[[ -s "$f" ]] || return 0
	echo "--- last lines of $f:" >&2
	tail -n 25 "$f" >&2
}

start() {
	local bindir user port try
	bindir=$(find_bindir) || exit 1
	if [[ -e "$dir" ]]; then
		[[ -d "$dir" ]] || die "start: $dir is not a folder"
		[[ -z "$(ls -A "$dir")" ]] || die "start: $dir is not empty (give a fresh folder, e.g. from mktemp -d)"
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	[[ "$dir" != *[\'\\]* ]] || die "start: $dir: a quote or backslash in the path would break postgresql.conf"
	# The socket's path must fit in sun_path (107 bytes).
	[[ ${#dir} -le 80 ]] || die "start: $dir is too long a path for the unix socket (at most 80 characters)"

	if [[ $(id -u) -eq 0 ]]; then
		user=postgres
		id -u "$user" >/dev/null 2>&1 ||
			die "start: no '$user' system user (Debian's postgresql-common creates it): apt-get install -y postgresql"
		chown "$user:" "$dir"
	else
		user=$(id -un)
	fi
	chmod 700 "$dir"
	: >"$dir/$marker"
	as "$user" test -w "$dir" ||
		die "start: user $user cannot write to $dir (is a parent folder closed to it? try a folder under /tmp)"

	if ! (cd "$dir" && as "$user" "$bindir/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
		--auth-local=trust --auth-host=reject --no-sync --no-instructions) >"$dir/initdb.log" 2>&1; then
		echo "$me: start: initdb into $dir/data (as $user, $bindir) failed" >&2
		log_tail "$dir/initdb.log"
		exit 1
	fi

	# Only what the tests use: no ::1, no other address; every other
	# connection finds no line and is refused.
	as "$user" tee "$dir/data/pg_hba.conf" >/dev/null <<-'EOF'
	# ragops test cluster (scripts/pg-cluster.sh)
	local all       all                    trust
	host  all       ragops    127.0.0.1/32 trust
	host  all       ragops_pw 127.0.0.1/32 scram-sha-256
	EOF

	for try in 1 2 3 4 5; do
		port=$(pick_port)
		rm -f "$dir/server.log"
		# Settings for a throwaway cluster: nothing needs to survive a crash.
		as "$user" tee "$dir/data/ragops-test.conf" >/dev/null <<-EOF
		# ragops test cluster (scripts/pg-cluster.sh)
		listen_addresses = '127.0.0.1'
		port = $port
		unix_socket_directories = '$dir'
		unix_socket_permissions = 0700
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		wal_level = minimal
		max_wal_senders = 0
		checkpoint_timeout = 1h
		max_wal_size = 1GB
		shared_buffers = 16MB
		max_connections = 100
		huge_pages = off
		jit = off
		password_encryption = 'scram-sha-256'
		logging_collector = off
		log_line_prefix = '%m [%p] %q%u@%d '
		EOF
		grep -q "^include 'ragops-test.conf'" "$dir/data/postgresql.conf" ||
			echo "include 'ragops-test.conf'" | as "$user" tee -a "$dir/data/postgresql.conf" >/dev/null
		if (cd "$dir" && as "$user" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start) \
			>"$dir/pg_ctl.log" 2>&1; then
			break
		fi
		if grep -q 'Address already in use' "$dir/server.log" 2>/dev/null && [[ $try -lt 5 ]]; then
			echo "$me: port $port was taken meanwhile; trying another" >&2
			continue
		fi
		echo "$me: start: the server in $dir/data (as $user, port $port) did not start" >&2
		log_tail "$dir/pg_ctl.log"
		log_tail "$dir/server.log"
		exit 1
	done

	# Roles and database, as the superuser over the cluster's own socket.
	if ! (cd "$dir" && as "$user" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres) \
		>"$dir/setup.log" 2>&1 <<-'EOF'
	CREATE ROLE ragops LOGIN CREATEDB;
	CREATE DATABASE ragops OWNER ragops;
	CREATE ROLE ragops_pw LOGIN PASSWORD 'secret-pw';
	EOF
	then
		echo "$me: start: creating the roles ragops, ragops_pw and the database ragops failed" >&2
		log_tail "$dir/setup.log"
		log_tail "$dir/server.log"
		exit 1
	fi

	printf 'RAGOPS_TEST_PG_URL=%q\n' "postgresql://ragops@127.0.0.1:$port/ragops"
	printf 'RAGOPS_TEST_PG_DIR=%q\n' "$dir"
}

# The postmaster's pid from DIR/data/postmaster.pid when that process is
# still a postgres on this very data folder.
live_pid() {
	local pid
	pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null) || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/data" || return 1
	echo "$pid"
}

stop() {
	local bindir user pid
	[[ -e "$dir" ]] || return 0
	dir=$(cd "$dir" && pwd -P)
	# Only ever remove a folder start made, or an empty one (start gave up
	# before writing to it: no server binaries, say).
	if [[ ! -e "$dir/$marker" ]] && rmdir "$dir" 2>/dev/null; then return 0; fi
	[[ -e "$dir/$marker" ]] || die "stop: $dir was not made by '$me start' (no $marker): not touching it"
	if pid=$(live_pid); then
		user=$(stat -c %U "$dir/data")
		if bindir=$(find_bindir 2>/dev/null) &&
			(cd "$dir" && as "$user" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop) >/dev/null 2>&1; then
			:
		else
			echo "$me: stop: pg_ctl stop failed; killing the server (pid $pid)" >&2
			kill -KILL "$pid" 2>/dev/null || true
			for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -0 "$pid" 2>/dev/null && die "stop: the server (pid $pid) of $dir did not stop"
		fi
	fi
	# A backend still exiting can write a file as the folder goes: try again.
	for _ in 1 2 3; do
		rm -rf "$dir" 2>/dev/null && return 0
		sleep 0.2
	done
	rm -rf "$dir" || die "stop: could not remove $dir"
}

[[ $# -eq 2 && -n "$2" ]] || usage
dir=$2
case $1 in
	start) start ;;
	stop) stop ;;
	*) usage ;;
esac

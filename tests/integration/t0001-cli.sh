#!/usr/bin/env bash
# The command line: help, per-command --help, suggestions, exit codes.
. "$(dirname "$0")/lib.sh"
cd "$scratch"

out=$("$RAGOPS" help)
contains "help lists run" "$out" "run "
contains "help lists search" "$out" "search "
contains "help documents exit codes" "$out" "Exit codes"
expect_exit 2 "no command is a usage error" "$RAGOPS"
out=$("$RAGOPS" serch x 2>&1); rc=$?
equals "mistyped command exits 2" "$rc" "2"
contains "mistyped command suggests the right one" "$out" "search"
out=$("$RAGOPS" run --help)
contains "run --help describes --inbox" "$out" "--inbox"
out=$("$RAGOPS" help runs)
contains "help CMD shows its usage" "$out" "runs show ID"
expect_exit 2 "unknown option is a usage error" "$RAGOPS" run --bogus
expect_exit 2 "search without words is a usage error" "$RAGOPS" --data d search
expect_exit 2 "bad --limit is a usage error" "$RAGOPS" --data d search --limit 0 x
expect_exit 5 "search on an empty index says so" "$RAGOPS" --data d search photo
expect_exit 5 "runs show of an unknown run" "$RAGOPS" --data d runs show 42
expect_exit 2 "run without any inbox is a usage error" "$RAGOPS" --data d run
expect_exit 4 "an inbox that does not exist is fatal" "$RAGOPS" --data d run --inbox /nonexistent/inbox
out=$("$RAGOPS" --version)
contains "--version prints the version" "$out" "ragops "
finish

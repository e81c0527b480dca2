#!/usr/bin/env bash
# make install (issue 12) into a temporary prefix, then what a user of the
# installed copy sees: the binary works, ragops(1) renders and documents
# every command (it is written from the same text as --help), bash
# completion completes commands and options, the systemd units point at
# the installed binary and pass systemd-analyze, and a program builds
# against the installed C API.
. "$(dirname "$0")/lib.sh"
prefix="$scratch/prefix"
build=$(realpath --relative-to="$TOP" "$(dirname "$RAGOPS_BIN")")
san=()
[[ $build == build-san* ]] && san=(SANITIZE=1)
out=$(make -s -C "$TOP" install BUILD="$build" "${san[@]}" PREFIX="$prefix" 2>&1)
check "make install PREFIX=... succeeds" test $? -eq 0 -a -x "$prefix/bin/ragops"
[[ -x "$prefix/bin/ragops" ]] || { not_ok "installed" "$out"; finish; exit 1; }
for f in share/man/man1/ragops.1 share/bash-completion/completions/ragops share/doc/ragops/ragops.example.yaml \
	lib/systemd/system/ragops.service lib/systemd/system/ragops-run.service lib/systemd/system/ragops-run.timer \
	include/ragops.h lib/libragops.a lib/pkgconfig/ragops.pc; do
	[[ -f "$prefix/$f" ]] || missing+="$f "
done
equals "it installs the man page, completion, units, example config and C API" "${missing:-}" ""

ragops="$prefix/bin/ragops"
equals "the installed binary is this version" "$("$ragops" version)" "$("$RAGOPS" version)"
d=$(new_data installed)
sample_inbox "$scratch/inbox" notes
check "the installed binary runs the pipeline" "$ragops" --data "$d" run --inbox "$scratch/inbox"
contains "... and answers from it" "$("$ragops" --data "$d" search "balance des blancs")" ".txt"

page=$(MANWIDTH=100 man --warnings -l "$prefix/share/man/man1/ragops.1" 2>"$scratch/man.err")
equals "man -l renders ragops(1) without a warning" "$(cat "$scratch/man.err")" ""
missing_cmds=""
for c in $("$ragops" help --commands); do
	grep -q "^   $c\$" <<<"$page" || missing_cmds+="$c "
done
equals "... with a section for every command" "$missing_cmds" ""
contains "... holding each command's --help (gc's options, say)" "$page" "--dry-run   count what would go"
contains "... and the exit codes" "$page" "7 run cancelled"

complete_words() {
	PATH="$prefix/bin:$PATH" bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_ragops; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ \
		"$prefix/share/bash-completion/completions/ragops" "$@"
}
equals "bash completion: commands" "$(complete_words ragops dep)" "deploy deployment "
equals "... a command's options, read from its --help" "$(complete_words ragops --data x gc --d)" "--dry-run "

grep -q "^ExecStart=$prefix/bin/ragops " "$prefix/lib/systemd/system/ragops.service" &&
	ok "the service runs the installed binary" || not_ok "the service runs the installed binary"
v=$(systemd-analyze verify "$prefix"/lib/systemd/system/ragops* 2>&1)
equals "systemd-analyze verify finds nothing wrong with the units" "$v" ""
exposure=$(systemd-analyze security --offline=true "$prefix/lib/systemd/system/ragops.service" 2>&1 |
	sed -n 's/.*Overall exposure level for ragops.service: \([0-9.]*\).*/\1/p')
python3 -c "import sys; sys.exit(0 if 0 < float('${exposure:-99}') <= 3.5 else 1)" &&
	ok "ragops.service is hardened (systemd exposure $exposure of 10)" ||
	not_ok "ragops.service is hardened (exposure at most 3.5)" "exposure ${exposure:-?}"

cc -std=c11 -o "$scratch/feedback_loop" "$TOP/examples/feedback_loop.c" \
	$(pkg-config --cflags --libs "$prefix/lib/pkgconfig/ragops.pc") $([[ ${#san[@]} -gt 0 ]] && echo -fsanitize=address,undefined) \
	2>"$scratch/cc.err"
check "a program builds against the installed C API (pkg-config)" test -x "$scratch/feedback_loop"
finish

#!/usr/bin/env bash
# Every C file of the tree is laid out as .clang-format says (make
# check-style), and the check does catch a file that is not.
. "$(dirname "$0")/lib.sh"
check "the tree is laid out as .clang-format says" "$TOP/scripts/check-style.sh" "$TOP"

# The same check on a copy with one function written on one line.
mkdir -p "$scratch/copy"
cp "$TOP/.clang-format" "$scratch/copy/"
cp -r "$TOP/src" "$scratch/copy/"
printf 'int planted(int a){if(a)return 1;return 0;}\n' >>"$scratch/copy/src/core/strbuf.c"
out=$("$TOP/scripts/check-style.sh" "$scratch/copy" 2>&1)
equals "a misformatted file fails the check" "$?" "1"
contains "and is named with its line" "$out" "src/core/strbuf.c:$(wc -l <"$scratch/copy/src/core/strbuf.c")"
finish

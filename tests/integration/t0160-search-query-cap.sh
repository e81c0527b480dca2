#!/usr/bin/env bash
# serial
# A query has a length cap (retrieve.query_max_bytes, retrieve.query_max_terms)
# enforced by retrieval itself, so search, ask and the API refuse alike: a
# 1 MB query is refused at once with a message naming the limit (it ran
# for minutes and gigabytes through FTS5), and a query at the cap is
# answered quickly from either BM25 index.
. "$(dirname "$0")/lib.sh"
d=$(new_data cap)
inbox="$scratch/inbox"
sample_inbox "$inbox" md notes
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
check "a release to search" test "$(sql "$d" "SELECT count(*) FROM releases WHERE state = 'production'")" = 1

# Words that are in the corpus (so every one costs BM25 something), repeated.
words="photographie exposition capteur lumière objectif sauvegarde archive paysage bruit raw"
# repeat_to BYTES: the words over and over, cut after a word, at most BYTES long
repeat_to() {
	local LC_ALL=C line="$words "
	while [[ ${#line} -le $1 ]]; do line="$line$line"; done
	line=${line:0:$1+1}
	line=${line% *}
	printf '%s' "$line"
}
# ms COMMAND...: wall milliseconds of a command; its exit status, stdout and
# stderr in $scratch/ms.rc, ms.out and ms.err
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$scratch/ms.out" 2>"$scratch/ms.err"
	echo $? >"$scratch/ms.rc"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# 1 MB, in ten arguments (one argument can hold 128 KB at most).
repeat_to 100000 >"$scratch/100k"
size=$(($(wc -c <"$scratch/100k") * 10 + 9))
big=()
for _ in 1 2 3 4 5 6 7 8 9 10; do big+=("$(cat "$scratch/100k")"); done
indexes=(lexicon)
sqlite_only "FTS5 (retrieve.bm25_index: fts5)" && indexes+=(fts5)
for ix in "${indexes[@]}"; do
	t=$(ms timeout 60 "$RAGOPS" --data "$d" -c retrieve.bm25_index=$ix search "${big[@]}")
	equals "$ix: a 1 MB query is a usage error (exit 2)" "$(cat "$scratch/ms.rc")" "2"
	contains "$ix: the message names the limit and its key" "$(cat "$scratch/ms.err")" \
		"the query is $size bytes long, over the limit of 2000 (retrieve.query_max_bytes)"
	# Generous: it is refused before any search (a few ms); it used to take 2 s
	# from the lexicon and minutes from FTS5.
	if [[ $t -lt 5000 ]]; then ok "$ix: refused in $t ms (< 5 s)"; else not_ok "$ix: refused in $t ms"; fi
done

# The same line in a --queries file: an error line, quickly.
{ cat "$scratch/100k"; for _ in 1 2 3 4 5 6 7 8 9; do printf ' '; cat "$scratch/100k"; done; echo; } >"$scratch/q1m"
t=$(ms timeout 60 "$RAGOPS" --data "$d" -c retrieve.bm25_index="${indexes[-1]}" search --queries "$scratch/q1m")
equals "--queries: the run goes on (exit 0)" "$(cat "$scratch/ms.rc")" "0"
equals "--queries: the line says why" "$(jq_py "$(cat "$scratch/ms.out")" 'j["error"]')" \
	"the query is $size bytes long, over the limit of 2000 (retrieve.query_max_bytes)"
if [[ $t -lt 5000 ]]; then ok "--queries: refused in $t ms (< 5 s)"; else not_ok "--queries: refused in $t ms"; fi

# ask refuses it too (its own question limit comes first), quickly.
t=$(ms timeout 60 "$RAGOPS" --data "$d" ask "${big[@]}")
equals "ask: a 1 MB question is a usage error (exit 2)" "$(cat "$scratch/ms.rc")" "2"
if [[ $t -lt 5000 ]]; then ok "ask: refused in $t ms (< 5 s)"; else not_ok "ask: refused in $t ms"; fi

# At the cap: 2000 bytes are searched, 2001 refused.
at=$(repeat_to 1990)
at="$at $(printf 'x%.0s' $(seq $((1999 - $(printf '%s' "$at" | wc -c)))))"
equals "the query at the cap is 2000 bytes" "$(printf '%s' "$at" | wc -c)" "2000"
for ix in "${indexes[@]}"; do
	t=$(ms timeout 60 "$RAGOPS" --data "$d" -c retrieve.bm25_index=$ix search --json "$at")
	equals "$ix: a query of 2000 bytes is searched" "$(cat "$scratch/ms.rc")" "0"
	equals "$ix: and finds chunks" "$(jq_py "$(cat "$scratch/ms.out")" 'len(j["results"]) > 0')" "True"
	# Generous bound (some 20 ms here; a loaded test machine must not fail it).
	if [[ $t -lt 10000 ]]; then ok "$ix: in $t ms (< 10 s)"; else not_ok "$ix: in $t ms"; fi
	expect_exit 2 "$ix: 2001 bytes are refused" "$RAGOPS" --data "$d" -c retrieve.bm25_index=$ix search "$at!"
	t=$(ms timeout 60 "$RAGOPS" --data "$d" -c retrieve.bm25_index=$ix search --retriever hybrid "$at")
	equals "$ix: hybrid at the cap too" "$(cat "$scratch/ms.rc")" "0"
	if [[ $t -lt 10000 ]]; then ok "$ix: hybrid in $t ms (< 10 s)"; else not_ok "$ix: hybrid in $t ms"; fi
done

# Distinct words: 64 are searched, 65 refused (stop words, case and accents
# do not count: "Lumière LUMIERE la le" is one word).
distinct() { printf 'terme%d ' $(seq "$1"); }
expect_exit 0 "64 distinct words are searched" "$RAGOPS" --data "$d" search "$(distinct 63) Lumière LUMIERE lumiere la le de"
out=$("$RAGOPS" --data "$d" search "$(distinct 64) lumière" 2>&1)
rc=$?
equals "65 distinct words are a usage error" "$rc" "2"
contains "the message names the limit and its key" "$out" \
	"the query has 65 distinct words, over the limit of 64 (retrieve.query_max_terms)"
out=$("$RAGOPS" --data "$d" search --retriever dense "$(distinct 65)" 2>&1)
contains "dense search has the same cap" "$out" "(retrieve.query_max_terms)"
expect_exit 2 "ask: 65 distinct words are a usage error too (it said exit 4)" \
	"$RAGOPS" --data "$d" ask "$(distinct 65)"

# Both limits are settings.
expect_exit 0 "retrieve.query_max_bytes raises the byte cap" \
	"$RAGOPS" --data "$d" -c retrieve.query_max_bytes=3000 search "$at!"
expect_exit 0 "retrieve.query_max_terms raises the word cap" \
	"$RAGOPS" --data "$d" -c retrieve.query_max_terms=100 search "$(distinct 80) lumière"
out=$("$RAGOPS" --data "$d" -c retrieve.query_max_terms=3 search "capteur bruit exposition lumière" 2>&1)
contains "and lowers it" "$out" "the query has 4 distinct words, over the limit of 3"

finish

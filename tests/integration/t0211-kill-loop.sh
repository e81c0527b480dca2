#!/usr/bin/env bash
# Crash-safe resume of scheduled runs (issue 12): a deployment's run killed
# with kill -9 at a random moment, twenty times over (collecting, reading,
# indexing, embedding, validating, publishing, pruning), then left to
# finish: the store ends as a clean run's: the same documents and chunks
# in production, the same search results, no duplicate, nothing lost, an
# intact store, every killed run recorded as crashed.
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
sample_inbox "$inbox" notes md web
for i in $(seq 1200); do
	printf 'Fiche %d\n\nLe réglage %d du boîtier règle la mesure de la lumière en mode %d.\n' \
		"$i" "$i" "$i" >"$inbox/fiche-$i.txt"
done
docs=$(find "$inbox" -type f | wc -l)
# Each run has work to do: a quarter of the files change before it.
change() {
	local i
	for ((i = $1 % 4 + 1; i <= 1200; i += 4)); do
		printf 'Fiche %d, version %d\n\nLe réglage %d règle la mesure %d.\n' "$i" "$1" "$i" "$1" \
			>"$inbox/fiche-$i.txt"
	done
}

d=$(new_data killed)
rg "$d" deployment create nightly --cron "0 2 * * *" --param inbox="$inbox" >/dev/null
killed=0
# Twenty kills mid-way: a run that ends before its kill (the moment is random) does not count.
for ((i = 1; i <= 40 && killed < 20; i++)); do
	change "$i"
	"$RAGOPS" --data "$d" deployment run nightly >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%02d' $((RANDOM % 80 + 2)))"
	kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid" 2>/dev/null
done
clean=$(new_data clean)
rg "$clean" run --inbox "$inbox" >/dev/null 2>&1
equals "20 deployment runs killed mid-way (in $((i - 1)) tries)" "$killed" "20"
equals "no worker process outlives its run" "$(orphan_workers)" ""
j=$(rg "$d" deployment run nightly --json 2>/dev/null)
equals "the next run completes" "$(jq_py "$j" 'j["state"]')" "completed"
runs=$(rg "$d" runs --limit 100 --json)
equals "every run killed is recorded as crashed, none left running" \
	"$(jq_py "$runs" 'sorted(set(r["state"] for r in j[1:]) - {"completed"}), sum(r["state"] == "running" for r in j)')" \
	"['crashed'] 0"
summary() { rg "$1" releases --json | jq_py "$(cat)" '(j[0]["state"], j[0]["documents"], j[0]["chunks"])'; }
equals "production holds what a clean run's does: every document, every chunk, once" "$(summary "$d")" \
	"$(summary "$clean")"
equals "(that is every file)" "$(rg "$clean" releases --json | jq_py "$(cat)" 'j[0]["documents"]')" "$docs"
# (words every fiche holds would rank them all 0.00, in no particular order: rare ones here)
for q in "77" "1101" "balance des blancs" "sauvegarde des photos"; do
	equals "search '$q' answers as on the clean store" "$(rg "$d" search --retriever bm25 "$q")" \
		"$(rg "$clean" search --retriever bm25 "$q")"
done
j=$(rg "$d" deployment run nightly --json 2>/dev/null)
equals "a run after that finds nothing to do" "$(jq_py "$j" '(j["documents"]["unchanged"], j["release"]["verdict"])')" \
	"($docs, 'unchanged')"
finish

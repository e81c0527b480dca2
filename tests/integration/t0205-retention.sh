#!/usr/bin/env bash
# Retention of the history (issue 12): unchanged re-runs stop growing the
# store, `ragops gc` removes what the windows let go (dry run first, with
# the same figures), keeps what something still needs (the newest run, a
# release's run, a deployment's last run, feedback), returns the space to
# the file system, rewrites once a store made before it could shrink, and
# `ragops serve` lets old questions go by itself.  Windows of a second and
# a sleep stand in for months.
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
sample_inbox "$inbox" notes
for i in $(seq 150); do
	printf 'Fiche %d\n\nLe réglage numéro %d du flash de studio règle la puissance.\n' "$i" "$i" \
		>"$inbox/fiche-$i.txt"
done
docs=$(find "$inbox" -type f | wc -l)
tasks() { sql "$1" "SELECT count(*) FROM tasks"; }

# --- unchanged re-runs ----------------------------------------------------
d=$(new_data history)
keep3=(-c retention.cached_tasks=3)
rg "$d" "${keep3[@]}" run --inbox "$inbox" >/dev/null 2>&1
for i in 1 2 3; do rg "$d" "${keep3[@]}" run --inbox "$inbox" >/dev/null 2>&1; done
after4=$(tasks "$d")
for i in 1 2 3 4; do rg "$d" "${keep3[@]}" run --inbox "$inbox" >/dev/null 2>&1; done
after8=$(tasks "$d")
# A re-run records its own corpus steps (the history pass, say), not a row per document.
grew=$((after8 - after4))
[[ $grew -le 8 ]] && ok "4 unchanged re-runs of $docs documents add $grew task rows (cached_tasks=3)" ||
	not_ok "4 unchanged re-runs of $docs documents add a few task rows at most" "added $grew"
j=$(rg "$d" runs show 8 --json)
equals "the newest run still lists every document as cached" \
	"$(jq_py "$j" 'sum(1 for t in j["tasks"] if t["state"] == "cached") >= '"$docs")" "True"
j=$(rg "$d" runs show 2 --json)
equals "an older one keeps its record and the rows of work it did, not its cached rows" \
	"$(jq_py "$j" '(j["state"], sum(1 for t in j["tasks"] if t["state"] == "cached"))')" \
	"('completed', 0)"
base=$(tasks "$d")
rg "$d" -c retention.cached_tasks=0 run --inbox "$inbox" >/dev/null 2>&1
off=$(($(tasks "$d") - base))
[[ $off -ge $docs ]] && ok "with cached_tasks=0 (off) a re-run adds a row per document ($off)" ||
	not_ok "with cached_tasks=0 (off) a re-run adds a row per document" "added $off"
# A second release, built by a run in the middle (run 10), then more runs keeping their cached rows.
printf 'Fiche 1\n\nLe réglage numéro 1 du flash de studio règle la puissance maximale.\n' >"$inbox/fiche-1.txt"
rg "$d" -c retention.cached_tasks=0 run --inbox "$inbox" >/dev/null 2>&1
equals "(run 10 built release 2)" "$(rg "$d" releases --json | jq_py "$(cat)" 'j[0]["run_id"]')" "10"
for i in 1 2 3 4; do rg "$d" -c retention.cached_tasks=0 run --inbox "$inbox" >/dev/null 2>&1; done

# --- gc by the windows ----------------------------------------------------
ask_out=$(rg "$d" ask "Que règle le réglage numéro 12 du flash ?" 2>&1)
rg "$d" ask "Quelle est la puissance du flash ?" >/dev/null 2>&1
rg "$d" feedback add --rating 2 --question "Quelle est la puissance du flash ?" \
	--answer "je ne sais pas" >/dev/null 2>&1
qid=$(sql "$d" "SELECT max(id) FROM queries")
check "(a question was logged)" test "$qid" -ge 2
fb=$(rg "$d" feedback list --json 2>/dev/null)
sleep 2
short=(-c retention.runs=1s -c retention.queries=1s -c retention.cached_tasks=3)
runs_before=$(sql "$d" "SELECT count(*) FROM runs")
completed_before=$(sql "$d" "SELECT count(*) FROM runs WHERE state = 'completed'")
# A run the store does not know (an older backup of it was restored), its file
# newer than the window (a second here: dated ahead so that gc's own time does not age it).
echo '{}' >"$d/metrics/run-999.json"
touch -d '+10 minutes' "$d/metrics/run-999.json"
dry=$(rg "$d" "${short[@]}" gc --dry-run --json)
equals "gc --dry-run counts: every run but the newest and the two releases', both questions" \
	"$(jq_py "$dry" '(j["dry_run"], j["runs"], j["queries"], j["metrics_files"])')" \
	"(True, $((runs_before - 3)), 2, $((runs_before - 3)))"
equals "... and changes nothing" "$(sql "$d" "SELECT count(*) FROM runs")" "$runs_before"
real=$(rg "$d" "${short[@]}" gc --json)
equals "gc removes what the dry run counted" \
	"$(jq_py "$real" '(j["runs"], j["tasks"], j["queries"], j["metrics_files"])')" \
	"$(jq_py "$dry" '(j["runs"], j["tasks"], j["queries"], j["metrics_files"])')"
equals "runs left: the newest and those releases 1 and 2 were built by" \
	"$(rg "$d" runs --json | jq_py "$(cat)" '[r["id"] for r in j]')" "[$((runs_before)), 10, 1]"
contains "releases still name their run" "$(rg "$d" releases show 1 --json)" '"run_id": 1'
equals "metrics files left: the kept runs', and a recent one of a run the store does not know" \
	"$(cd "$d/metrics" && ls | sort -V | tr '\n' ' ')" "run-1.json run-10.json run-$runs_before.json run-999.json "
equals "old questions lose their text (question, answer, sources)" \
	"$(sql "$d" "SELECT count(*) FROM queries WHERE question != '' OR answer != '' OR sources != '[]'")" "0"
equals "... but keep their row: counters and ids stay" "$(sql "$d" "SELECT count(*) FROM queries")" "2"
equals "feedback is kept, question and all" "$(rg "$d" feedback list --json 2>/dev/null)" "$fb"
if sqlite_only "the size of SQLite's files"; then
size_after=$(($(stat -c %s "$d/ragops.db") + $(stat -c %s "$d/ragops.db-wal" 2>/dev/null || echo 0)))
equals "the files shrank, to the size it reported, and no free pages are left inside" \
	"$(jq_py "$real" '(j["bytes_after"] == '"$size_after"', j["bytes_after"] < j["bytes_before"], j["free_bytes"])')" \
	"(True, True, 0)"
fi
contains "gc tells people what it did" "$(rg "$d" "${short[@]}" gc)" "nothing to remove"
check "the store is intact after gc" rg "$d" check
contains "search works on the kept index" "$(rg "$d" search "réglage numéro 12")" "fiche-12.txt"

# --- what something still needs -------------------------------------------
rg "$d" deployment create weekly --cron "@weekly" --param inbox="$inbox" >/dev/null
rg "$d" deployment run weekly >/dev/null 2>&1
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
sleep 2
rg "$d" "${short[@]}" gc >/dev/null
equals "a deployment's last run is kept (deployment ls still shows it)" \
	"$(rg "$d" deployment ls --json | jq_py "$(cat)" 'j[0]["last_run"]["state"]')" "completed"

# --- settings -------------------------------------------------------------
expect_exit 3 "a retention window that is not a duration is refused" \
	rg "$d" -c retention.runs=3x gc --dry-run
contains "... naming the key" "$(rg "$d" -c retention.runs=3x gc 2>&1)" "retention.runs"
j=$(rg "$d" -c retention.runs=off -c retention.queries=off -c retention.cached_tasks=0 gc --dry-run --json)
equals "off keeps everything" "$(jq_py "$j" '(j["runs"], j["tasks"], j["queries"])')" "(0, 0, 0)"

# --- a store made before it could shrink ----------------------------------
if sqlite_only "SQLite's auto_vacuum"; then
old=$(new_data old-store)
rg "$old" run --inbox "$inbox" >/dev/null 2>&1
sqlite3 "$old/ragops.db" "PRAGMA auto_vacuum = NONE; VACUUM;"
equals "(the old store keeps its free pages)" "$(sql "$old" "PRAGMA auto_vacuum")" "0"
j=$(rg "$old" gc --json)
equals "gc rewrites it once, and says so" "$(jq_py "$j" '(j["rewritten"], j["shrinks_itself"])')" \
	"(True, True)"
equals "from then on it shrinks by itself" "$(sql "$old" "PRAGMA auto_vacuum")" "2"
check "the rewritten store is intact" rg "$old" check
fi

# --- serve ----------------------------------------------------------------
rg "$d" ask "Que règle le réglage numéro 12 du flash ?" >/dev/null 2>&1
sleep 2
serve_start "$d" -c retention.queries=1s -c flow.scheduler=false ||
	{ not_ok "the server starts"; finish; exit 1; }
kept() { sql "$d" "SELECT count(*) FROM queries WHERE question != ''"; }
for _ in $(seq 50); do
	[[ $(kept) == 0 ]] && break
	sleep 0.1
done
equals "ragops serve lets old questions go by itself, scheduler off or not" "$(kept)" "0"
contains "... and logs it" "$(cat "$d/logs/serve.log")" "1 questions' text"
m=$(curl -s "$SERVE_URL/metrics")
equals "/metrics still counts every completed run, those deleted too" \
	"$(grep '^ragops_runs_total{state="completed"}' <<<"$m" | awk '{print $2}')" "$((completed_before + 2))"
equals "... and every question, all $((qid + 1)) of them" \
	"$(grep '^ragops_queries_total' <<<"$m" | awk '{s += $2} END {print s}')" "$((qid + 1))"
serve_stop
lacks "(the first ask answered)" "$ask_out" "je ne sais pas"
finish

#!/usr/bin/env bash
# Deployments as a user drives them: create (and the errors a mistyped one
# gets), ls/show with their next times, run by hand, pause and delete; and
# the scheduler in `ragops serve` starting them on time, recording what it
# skips (missed while no server ran, too late, a run already holding the
# data folder), catching up once, queueing behind a run, and two servers
# on one data folder running a scheduled time once.  The scheduler's clock
# is moved forward with RAGOPS_SCHEDULER_SKEW_MS, so that an hour's
# schedule falls due in seconds.
. "$(dirname "$0")/lib.sh"
d=$(new_data deployments)
inbox="$scratch/inbox"
sample_inbox "$inbox" notes

# --- the command ----------------------------------------------------------
expect_exit 2 "a schedule with an hour 25 is refused" \
	rg "$d" deployment create bad --cron "0 25 * * *" --param inbox="$inbox"
out=$(rg "$d" deployment create bad --cron "0 25 * * *" 2>&1)
contains "... saying which field and why" "$out" "hour '25': out of range (0-23)"
out=$(rg "$d" deployment create bad --cron "0 2 * * *" --timezone Europe/Pariss 2>&1)
contains "an unknown time zone is named" "$out" "unknown time zone 'Europe/Pariss'"
out=$(rg "$d" deployment create bad --cron "0 2 * * *" --param chunk.target_char=5 2>&1)
contains "a mistyped setting gets a suggestion" "$out" "did you mean 'chunk.target_chars'"
check "a nightly deployment in Paris" rg "$d" deployment create nightly --cron "0 2 * * *" \
	--timezone Europe/Paris --param inbox="$inbox" --missed once
expect_exit 2 "the same name again is refused" rg "$d" deployment create nightly --cron "@daily"
j=$(rg "$d" deployment ls --json)
equals "ls --json: name, schedule, zone, paused, policies" \
	"$(jq_py "$j" '[(x["name"], x["cron"], x["timezone"], x["paused"], x["missed"], x["overlap"]) for x in j]')" \
	"[('nightly', '0 2 * * *', 'Europe/Paris', False, 'once', 'skip')]"
equals "... and its next three runs at 02:00 Paris time, a day apart" \
	"$(jq_py "$j" '[(t[11:19], t[19:] in ("+01:00", "+02:00")) for t in j[0]["next_runs"]]')" \
	"[('02:00:00', True), ('02:00:00', True), ('02:00:00', True)]"
contains "ls shows it to people" "$(rg "$d" deployment ls)" "nightly"

j=$(rg "$d" deployment run nightly --json 2>/dev/null)
equals "deployment run runs it now with its inbox" "$(jq_py "$j" '(j["state"], j["documents"]["new"] > 0)')" \
	"('completed', True)"
r=$(rg "$d" runs --json)
equals "the run says which deployment started it" \
	"$(jq_py "$r" '(j[0]["trigger"], j[0]["deployment"], j[0]["scheduled_for_ms"], j[0]["parameters"]["inbox"])')" \
	"('deployment', 'nightly', None, ['$inbox'])"
contains "show lists its runs" "$(rg "$d" deployment show nightly)" "completed"
check "pause" rg "$d" deployment pause nightly
equals "ls says paused" "$(jq_py "$(rg "$d" deployment ls --json)" 'j[0]["paused"]')" "True"
check "resume" rg "$d" deployment resume nightly
check "delete" rg "$d" deployment delete nightly
expect_exit 5 "a deleted deployment is gone" rg "$d" deployment show nightly
equals "its runs stay" "$(jq_py "$(rg "$d" runs --json)" 'j[0]["deployment"]')" "nightly"

# --- the API ----------------------------------------------------------------
export T0200_TOKEN="t0200-admin-token-5c4b"
rg "$d" deployment create weekly --cron "30 6 * * 1" --timezone America/New_York \
	--param inbox="$inbox" >/dev/null
# api METHOD PATH [curl args...]: the body, then the status on its own line
api() {
	local method=$1 path=$2; shift 2
	curl -s -w '\n%{http_code}' -X "$method" "$@" "$SERVE_URL$path"
}
serve_start "$d" -c serve.token_env=T0200_TOKEN -c flow.scheduler=false ||
	{ not_ok "the server starts"; finish; exit 1; }
out=$(api GET /api/deployments)
equals "GET /api/deployments lists it, and says the scheduler is off" \
	"$(tail -1 <<<"$out") $(jq_py "$(head -n -1 <<<"$out")" \
		'([(x["name"], x["cron"], x["timezone"]) for x in j["items"]], j["scheduler"])')" \
	"200 ([('weekly', '30 6 * * 1', 'America/New_York')], False)"
out=$(api GET /api/deployments/weekly)
equals "GET /api/deployments/weekly: Mondays 06:30 in New York, no runs yet" \
	"$(tail -1 <<<"$out") $(jq_py "$(head -n -1 <<<"$out")" \
		'(j["next_runs"][0][11:16], j["runs"], j["last_run"])')" \
	"200 ('06:30', [], None)"
equals "an unknown deployment: 404" "$(api GET /api/deployments/monthly | tail -1)" "404"
equals "a name that is no name: 404" "$(api GET /api/deployments/..%2Fx | tail -1)" "404"
equals "run now without the token: 401" "$(api POST /api/deployments/weekly/run | tail -1)" "401"
auth=(-H "Authorization: Bearer $T0200_TOKEN")
equals "run now an unknown one: 404" "$(api POST /api/deployments/monthly/run "${auth[@]}" | tail -1)" "404"
out=$(api POST /api/deployments/weekly/run "${auth[@]}")
equals "run now with the token: 202" "$(tail -1 <<<"$out")" "202"
# wait_runs DATA NAME COUNT: until deployment NAME has COUNT runs not running (30 s at most)
wait_runs() {
	for _ in $(seq 150); do
		[[ $(jq_py "$(rg "$1" deployment show "$2" --json)" \
			'len([r for r in j["runs"] if r["state"] != "running"])') -ge $3 ]] && return 0
		sleep 0.2
	done
	return 1
}
wait_runs "$d" weekly 1
out=$(api GET /api/deployments/weekly)
equals "... and the run it started is the deployment's, completed" \
	"$(jq_py "$(head -n -1 <<<"$out")" '[(r["deployment"], r["state"]) for r in j["runs"]]')" \
	"[('weekly', 'completed')]"
equals "pause without the token: 401" "$(api POST /api/deployments/weekly/pause | tail -1)" "401"
out=$(api POST /api/deployments/weekly/pause "${auth[@]}")
equals "pause with the token" "$(tail -1 <<<"$out")" "200"
equals "... and the deployment is paused" \
	"$(jq_py "$(rg "$d" deployment show weekly --json)" 'j["paused"]')" "True"
api POST /api/deployments/weekly/resume "${auth[@]}" >/dev/null
equals "resume with the token" "$(jq_py "$(rg "$d" deployment show weekly --json)" 'j["paused"]')" "False"
serve_stop

# --- the scheduler ----------------------------------------------------------
# skew_to SECONDS_PAST: the skew that puts the scheduler's clock that many
# seconds past the next full hour.
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }
next_hour_ms() { python3 -c 'import time; print((int(time.time()) // 3600 + 1) * 3600 * 1000)'; }
runs_of() { jq_py "$(rg "$1" deployment show "$2" --json)" "$3"; }

s=$(new_data scheduled)
rg "$s" deployment create hourly --cron "0 * * * *" --param inbox="$inbox" >/dev/null
rg "$s" deployment create catchup --cron "0 * * * *" --param inbox="$inbox" --missed once >/dev/null
rg "$s" deployment create resting --cron "0 * * * *" --param inbox="$inbox" --missed once >/dev/null
rg "$s" deployment pause resting >/dev/null
hour=$(next_hour_ms)
# Ten minutes past the hour: that hour's time was missed by every deployment.
RAGOPS_SCHEDULER_SKEW_MS=$((hour + 600000 - $(now_ms))) serve_start "$s" ||
	{ not_ok "the server starts"; finish; exit 1; }
wait_runs "$s" catchup 1 && wait_runs "$s" hourly 1
equals "missed: skip records the missed hour as skipped, with why" \
	"$(runs_of "$s" hourly '[(r["state"], r["scheduled_for_ms"], "missed" in r["error"]) for r in j["runs"]]')" \
	"[('skipped', $hour, True)]"
equals "missed: once runs it once, for that hour" \
	"$(runs_of "$s" catchup '[(r["state"], r["trigger"], r["scheduled_for_ms"]) for r in j["runs"]]')" \
	"[('completed', 'deployment', $hour)]"
equals "a paused deployment is left alone" "$(runs_of "$s" resting 'len(j["runs"])')" "0"
sleep 1
equals "nothing runs twice" "$(runs_of "$s" catchup 'len(j["runs"])')" "1"
serve_stop

# Too late: the same hour, seven hours on, is past flow.max_lateness (6h).
rg "$s" deployment resume resting >/dev/null
rg "$s" deployment create late --cron "0 * * * *" --param inbox="$inbox" --missed once >/dev/null
hour=$(next_hour_ms)
RAGOPS_SCHEDULER_SKEW_MS=$((hour + 600000 - $(now_ms))) serve_start "$s" -c flow.max_lateness=5m ||
	{ not_ok "the server starts"; finish; exit 1; }
wait_runs "$s" late 1
equals "a catch-up later than flow.max_lateness is skipped, saying so" \
	"$(runs_of "$s" late '[(r["state"], "flow.max_lateness" in r["error"]) for r in j["runs"]]')" \
	"[('skipped', True)]"
serve_stop

# On time, while a run holds the data folder: overlap skip records it, queue waits.
o=$(new_data overlap)
big="$scratch/big"
sample_inbox "$big" notes md
rg "$o" deployment create skipper --cron "* * * * *" --param inbox="$inbox" >/dev/null
rg "$o" deployment create waiter --cron "* * * * *" --param inbox="$inbox" --overlap queue >/dev/null
RAGOPS_PAUSE_AT=extract rg "$o" run --inbox "$big" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do [[ $(sql "$o" "SELECT count(*) FROM runs WHERE state = 'running'" 2>/dev/null) == 1 ]] && break; sleep 0.1; done
minute=$((($(now_ms) / 60000 + 1) * 60000))
RAGOPS_SCHEDULER_SKEW_MS=$((minute + 2000 - $(now_ms))) serve_start "$o" ||
	{ not_ok "the server starts"; finish; exit 1; }
wait_runs "$o" skipper 1
equals "overlap: skip records the time, naming the run in the way" \
	"$(runs_of "$o" skipper '[(r["state"], r["scheduled_for_ms"], "another run holds" in r["error"]) for r in j["runs"]]')" \
	"[('skipped', $minute, True)]"
equals "overlap: queue waits" "$(runs_of "$o" waiter 'len(j["runs"])')" "0"
wait "$holder"
wait_runs "$o" waiter 1
equals "... and runs once the data folder is free, for its time" \
	"$(runs_of "$o" waiter '[(r["state"], r["scheduled_for_ms"]) for r in j["runs"]]')" \
	"[('completed', $minute)]"
serve_stop

# Two servers on one data folder: each scheduled time runs once.
t=$(new_data twins)
rg "$t" deployment create once --cron "0 * * * *" --param inbox="$inbox" --missed once >/dev/null
hour=$(next_hour_ms)
skew=$((hour + 30000 - $(now_ms)))
RAGOPS_SCHEDULER_SKEW_MS=$skew serve_start "$t" || { not_ok "the first server starts"; finish; exit 1; }
first=$SERVE_PID first_log=$SERVE_LOG
RAGOPS_SCHEDULER_SKEW_MS=$skew serve_start "$t" || { not_ok "the second server starts"; finish; exit 1; }
wait_runs "$t" once 1
sleep 2
equals "two schedulers, one run of the hour" \
	"$(runs_of "$t" once '[(r["state"], r["scheduled_for_ms"]) for r in j["runs"]]')" \
	"[('completed', $hour)]"
serve_stop
SERVE_PID=$first SERVE_LOG=$first_log serve_stop
finish

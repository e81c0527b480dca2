#!/usr/bin/env bash
# Deployments declared in ragops.yaml (issue 12, the analogue of
# prefect.yaml): reconciled into the store when `ragops deployment` or
# `ragops serve` starts: created, updated (a pause given by hand stands),
# a removed one reported and kept; a wrong declaration refused with its
# file, line and reason.
. "$(dirname "$0")/lib.sh"
d=$(new_data declared)
inbox="$scratch/inbox"
sample_inbox "$inbox" notes
cfg="$scratch/ragops.yaml"
declare_nightly() {
	cat >"$cfg" <<YAML
chunk:
  target_chars: 600
deployments:
  - name: nightly
    cron: "$1"
    timezone: Europe/Paris
    missed: once
    params:
      inbox: [$inbox]
      chunk.target_chars: 800
  - name: weekly
    cron: "@weekly"
YAML
}
names() { rg "$d" --config "$cfg" deployment ls --json 2>/dev/null | jq_py "$(cat)" "$1"; }

declare_nightly "0 2 * * *"
out=$(rg "$d" --config "$cfg" deployment ls 2>&1)
contains "the declared deployments are created, and it says so" "$out" \
	"deployments in $cfg: created nightly; created weekly"
equals "... as declared: schedule, zone, policies, parameters" \
	"$(names '[(x["name"], x["cron"], x["timezone"], x["missed"], x["parameters"]) for x in j]')" \
	"[('nightly', '0 2 * * *', 'Europe/Paris', 'once', {'inbox': ['$inbox'], 'settings': {'chunk.target_chars': '800'}}), ('weekly', '@weekly', 'UTC', 'skip', {'inbox': [], 'settings': {}})]"
lacks "the same file again changes nothing" "$(rg "$d" --config "$cfg" deployment ls 2>&1)" "deployments in"

rg "$d" --config "$cfg" deployment pause nightly >/dev/null 2>&1
declare_nightly "30 3 * * *"
contains "a changed declaration updates it" "$(rg "$d" --config "$cfg" deployment ls 2>&1)" "updated nightly"
equals "... keeping the pause given by hand" "$(names '[(x["cron"], x["paused"]) for x in j if x["name"] == "nightly"]')" \
	"[('30 3 * * *', True)]"
j=$(rg "$d" --config "$cfg" deployment run nightly --json 2>/dev/null)
equals "a declared deployment runs with its parameters" "$(jq_py "$j" '(j["state"], j["documents"]["new"] > 0)')" \
	"('completed', True)"

sed -i '/name: weekly/,$d' "$cfg"
out=$(rg "$d" --config "$cfg" deployment ls 2>&1)
contains "one no longer declared is reported" "$out" \
	"weekly is no longer declared: kept ('ragops deployment delete weekly' removes it)"
equals "... and kept" "$(names '[x["name"] for x in j]')" "['nightly', 'weekly']"
check "deleting it by hand works" rg "$d" --config "$cfg" deployment delete weekly
lacks "... and it is not reported again" "$(rg "$d" --config "$cfg" deployment ls 2>&1)" "no longer declared"

expect_exit 2 "deleting a deployment the file declares is refused" rg "$d" --config "$cfg" deployment delete nightly
contains "... saying where to change it" "$(rg "$d" --config "$cfg" deployment delete nightly 2>&1)" \
	"'nightly' is declared in $cfg: remove it there first"
expect_exit 2 "so is replacing it by hand" \
	rg "$d" --config "$cfg" deployment create nightly --cron "5 5 * * *" --replace
cat >"$cfg" <<YAML
deployments:
  - cron: "0 2 * * *"
YAML
expect_exit 3 "a declaration without a name is refused" rg "$d" --config "$cfg" deployment ls
contains "... saying so" "$(rg "$d" --config "$cfg" deployment ls 2>&1)" "a deployment needs a name"
cat >"$cfg" <<YAML
deployments:
  - name: broken
    cron: "0 25 * * *"
YAML
expect_exit 3 "a declaration with a bad schedule is refused" rg "$d" --config "$cfg" deployment ls
contains "... naming the file, the line and the field" "$(rg "$d" --config "$cfg" deployment ls 2>&1)" \
	"$cfg:2:5: deployment broken: hour '25': out of range (0-23)"
cat >"$cfg" <<YAML
deployments:
  - name: typo
    cron: "@daily"
    timzone: Europe/Paris
YAML
contains "an unknown key is named with its line" "$(rg "$d" --config "$cfg" deployment ls 2>&1)" \
	"$cfg:4:5: unknown key 'timzone' in a deployment"
expect_exit 3 "ragops serve refuses to start on it too" rg "$d" --config "$cfg" serve -c serve.port=0
contains "other commands read the rest of the file as before" "$(rg "$d" --config "$cfg" config 2>&1)" "chunk.target_chars"
finish

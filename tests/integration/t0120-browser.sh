#!/usr/bin/env bash
# The web dashboard in headless Chromium (tests/browser/dashboard.mjs): ask a
# question in French, open a source, rate the answer, find the feedback
# through the API, then Runs, a run, Quality and Feedback in English, and the
# Ask page on a phone; no console error or failed request on the way.
# Screenshots go to the scratch folder and to /tmp/ragops-shots/.
. "$(dirname "$0")/lib.sh"

browser=$TOP/tests/browser
shots=$scratch/shots
chromium=${CHROMIUM:-/usr/bin/chromium}

# Missing tools fail the test, loudly: a skipped browser test hides a broken page.
for tool in node npm; do
	if ! command -v "$tool" >/dev/null; then
		not_ok "$tool is installed" "apt-get install -y nodejs npm (scripts/deps.sh)"
		finish
		exit 1
	fi
done
if [[ ! -x "$chromium" ]]; then
	not_ok "chromium is installed" "apt-get install -y chromium (scripts/deps.sh)"
	finish
	exit 1
fi
if [[ ! -d "$browser/node_modules/playwright-core" ]]; then
	out=$(npm ci --prefix "$browser" --no-audit --no-fund 2>&1) ||
		{ not_ok "npm ci installs playwright-core" "$out"; finish; exit 1; }
fi
ok "node, npm, chromium and playwright-core are there"

d=$(new_data browser)
inbox="$scratch/inbox"
mkdir -p "$inbox/pdf"
cp -r "$TOP/samples/corpus/notes" "$TOP/samples/corpus/md" "$inbox/"
cp "$TOP/samples/corpus/pdf/vitesse-obturation.pdf" "$inbox/pdf/"
check "an index of notes, md and pdf/vitesse-obturation.pdf" rg "$d" run --inbox "$inbox"

token=browser-test-token-$$
if ! RAGOPS_SERVE_TOKEN=$token serve_start "$d"; then
	not_ok "ragops serve starts"
	finish
	exit 1
fi
ok "ragops serve starts"

out=$(RAGOPS_SERVE_TOKEN=$token CHROMIUM=$chromium \
	node "$browser/dashboard.mjs" "$SERVE_URL" "$shots" 2>&1)
rc=$?
while IFS=$'\t' read -r kind what detail; do
	case $kind in
	PASS) ok "$what" ;;
	FAIL) not_ok "$what" "$detail" ;;
	*) [[ -n "$kind$what" ]] && echo "# $kind${what:+ $what}" ;;
	esac
done <<<"$out"
equals "the browser script ran to its end" "$rc" "0"

mkdir -p /tmp/ragops-shots
cp "$shots"/*.png /tmp/ragops-shots/ 2>/dev/null
shopt -s nullglob
pngs=("$shots"/*.png)
[[ ${#pngs[@]} -ge 8 ]] && ok "screenshots saved (${#pngs[@]}, copied to /tmp/ragops-shots)" ||
	not_ok "screenshots saved" "only ${#pngs[@]} in $shots"

serve_stop
equals "ragops serve stops cleanly on SIGTERM" "$?" "0"
grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$SERVE_LOG" &&
	not_ok "the server log has no error" "$(tail -20 "$SERVE_LOG")" || ok "the server log has no error"
finish

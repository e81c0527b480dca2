#!/usr/bin/env bash
# The web dashboard in headless Chromium (tests/browser/dashboard.mjs): ask a
# question in French, open a source, rate the answer, find the feedback
# through the API, then Runs, a run, Releases (roll back and promote through
# the buttons), Deployments (pause, resume, run now), Quality (the retraining policy; Retrain now, followed to its
# outcome) and Feedback in English, and every page on a phone;
# no console error or failed request on the way.
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
# The gate measures every release on the golden questions about these
# documents (and the unanswerable ones), wherever the test runs from.
golden=$scratch/golden.jsonl
python3 - "$TOP/samples/golden.jsonl" "$inbox" >"$golden" <<'EOF'
import json, os, sys
for line in open(sys.argv[1], encoding="utf-8"):
    q = json.loads(line)
    if q.get("doc") is None or os.path.exists(os.path.join(sys.argv[2], q["doc"])):
        sys.stdout.write(line)
EOF
gate=(-c "validate.golden=$golden")
check "an index of notes, md and pdf/vitesse-obturation.pdf" rg "$d" run --inbox "$inbox" "${gate[@]}"
# A second release: one note added, on a subject no question is about.
cat >"$inbox/notes/balance-des-blancs.md" <<'EOF'
# La balance des blancs

Réglez la balance des blancs selon la lumière : tungstène pour une ampoule,
ombre ou nuageux en extérieur. Une charte grise neutre aide à la régler
sous un éclairage mixte.
EOF
check "a second run, one note added" rg "$d" run --inbox "$inbox" "${gate[@]}"
out=$(rg "$d" releases --json 2>&1)
equals "two releases, the second in production" \
	"$(jq_py "$out" '" ".join("%d:%s" % (r["id"], r["state"]) for r in j)' 2>&1)" "2:production 1:archived"

check "a nightly deployment in Paris" rg "$d" deployment create nightly --cron "0 2 * * *" \
	--timezone Europe/Paris --param inbox="$inbox"

token=browser-test-token-$$
if ! RAGOPS_SERVE_TOKEN=$token serve_start "$d" "${gate[@]}"; then
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

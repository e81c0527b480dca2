#!/usr/bin/env bash
# serial
# Releases and the gate, as a user meets them: a run whose documents are
# damaged (chunks cut to a hundred characters) is refused and production
# keeps answering as before; promote --force and rollback move production,
# audited; rollback gives back byte-identical answers; kill -9 during the
# gate or the promotion leaves production whole; a server picks up every
# switch and answers each question from one release; retention bounds the
# store.
. "$(dirname "$0")/lib.sh"
d=$(new_data releases)
inbox="$scratch/inbox"
sample_inbox "$inbox" pdf md notes web
damage=(-c chunk.target_chars=100 -c chunk.min_chars=0 -c chunk.overlap_chars=0)

j=$(rg "$d" run --inbox "$inbox" --json 2>/dev/null)
equals "the first run's release is promoted" "$(jq_py "$j" '(j["release"]["verdict"], j["release"]["id"], j["release"]["production"])')" "('promoted', 1, 1)"
contains "saying with what figures" "$(jq_py "$j" 'j["release"]["message"]')" "release 1 promoted (recall@5 "
r=$(rg "$d" releases --json)
equals "releases --json: id, state, run, creation time, metrics" \
	"$(jq_py "$r" '[(x["id"], x["state"], x["run_id"], x["created_at"][:2], sorted(x["metrics"])) for x in j]')" \
	"[(1, 'production', 1, '20', ['figures', 'mrr', 'recall_at_5'])]"

# A server runs all along: each question below goes through it, and it
# follows every promotion and rollback the CLI makes.
export API_TOKEN="releases-test-token"
serve_start "$d" -c serve.token_env=API_TOKEN -c serve.rate_limit=0 || { not_ok "the server starts"; finish; exit 1; }

# The golden questions' answers, as the user sees them (timings and log ids aside).
answers() {
	python3 - "$SERVE_URL" "$TOP/samples/golden.jsonl" <<'PY'
import json, sys, urllib.request
url, golden = sys.argv[1:3]
for line in open(golden):
    q = json.loads(line)["question"]
    req = urllib.request.Request(url + "/api/ask", json.dumps({"question": q}).encode(),
                                 {"Content-Type": "application/json"})
    a = json.loads(urllib.request.urlopen(req, timeout=60).read())
    for k in ("timings_ms", "query_id"):
        a.pop(k, None)
    print(json.dumps(a, ensure_ascii=False, sort_keys=True))
PY
}
# serving RELEASE: seconds until the server answers from that release (it
# loads a new release in the background, the old one answering meanwhile).
serving() {
	python3 - "$SERVE_URL" "$1" <<'PY'
import json, sys, time, urllib.request
url, want = sys.argv[1], int(sys.argv[2])
t0 = time.time()
while time.time() - t0 < 10:
    req = urllib.request.Request(url + "/api/ask", json.dumps({"question": "flou de bougé"}).encode(),
                                 {"Content-Type": "application/json"})
    if json.loads(urllib.request.urlopen(req, timeout=30).read())["release"] == want:
        break
    time.sleep(0.02)
print("%.2f" % (time.time() - t0))
PY
}
answers >"$scratch/before"
what='(j["answer"], j["release"], [(s["document"], s["page_start"], s["heading"], s["snippet"]) for s in j["sources"]])'
cli=$(rg "$d" ask --json "$(head -1 "$TOP/samples/golden.jsonl" | jq_py "$(cat)" 'j["question"]')" | jq_py "$(cat)" "$what")
equals "ragops ask gives the server's answer and sources, release included" "$cli" "$(head -1 "$scratch/before" | jq_py "$(cat)" "$what")"
equals "every logged question records its release" "$(sql "$d" "SELECT count(*), count(release_id), min(release_id), max(release_id) FROM queries")" "52|52|1|1"
equals "every answer says which release gave it" "$(python3 -c "import json,sys; print(sorted({json.loads(l)['release'] for l in open(sys.argv[1])}))" "$scratch/before")" "[1]"

# A damaging run: refused, with every failed check named; production unchanged.
j=$(rg "$d" "${damage[@]}" run --json 2>"$scratch/err"); rc=$?
equals "a run whose candidate the gate refuses exits 6" "$rc" "6"
equals "its run state is refused" "$(jq_py "$j" 'j["state"]')" "refused"
m=$(jq_py "$j" 'j["release"]["message"]')
contains "the message names the failed figure and its threshold" "$m" "release 2 refused: recall@5: "
contains "and says production stays" "$m" "production stays release 1"
contains "the log says it too" "$(cat "$scratch/err")" "release 2 refused"
out=$(rg "$d" runs show 2)
contains "runs show gives the reason" "$out" "error: release 2 refused: recall@5"
contains "and the failed validate task" "$out" "validate  failed"
equals "runs --json records the state" "$(rg "$d" runs --json | jq_py "$(cat)" '[r["state"] for r in j]')" "['refused', 'completed']"
r=$(rg "$d" releases show 2 --json)
equals "releases show: state, parent, the changed documents" \
	"$(jq_py "$r" '(j["state"], j["changes"]["parent"], j["changes"]["changed"] > 0, j["changes"]["chunks_after"] > j["changes"]["chunks_before"])')" \
	"('refused', 1, True, True)"
# Whether an unanswerable question still abstains on chunks cut this short
# depends on the embedder's random sketch (it does under some seeds and not
# others, before and after issue 14): not asserted.
equals "and every gate check, with value and threshold for the figures" \
	"$(jq_py "$r" '([(c["check"], c["ok"] if c["check"] != "abstention" else "-") for c in j["checks"] if c["kind"] == "quality"], all("threshold" in c for c in j["checks"] if c["kind"] == "quality"))')" \
	"([('recall@5', False), ('MRR', False), ('abstention', '-')], True)"
contains "releases show says it for people" "$(rg "$d" releases show 2)" "recall@5            NO    quality"
answers >"$scratch/after-refusal"
check "production answers every golden question exactly as before" cmp "$scratch/before" "$scratch/after-refusal"
h=$(rg "$d" health); rc=$?
equals "health is degraded" "$rc" "1"
contains "naming the refused release and why" "$h" "release 2 (run 2) was refused: recall@5"
j=$(rg "$d" "${damage[@]}" run --json 2>/dev/null); rc=$?
equals "the same damaging run again changes nothing: no new release" \
	"$(jq_py "$j" 'j["release"]["verdict"]'),$(sql "$d" "SELECT count(*) FROM releases")" "unchanged,2"

# deploy promote: through the gate unless --force (the structure, always).
out=$(rg "$d" deploy promote 2 2>&1); rc=$?
equals "deploy promote of a worse release is refused (exit 6)" "$rc" "6"
contains "saying why" "$out" "release 2 refused: recall@5"
out=$(rg "$d" deploy promote 2 --force --reason "tiny chunks on purpose" 2>&1); rc=$?
equals "deploy promote --force puts it in production" "$rc,$(sql "$d" "SELECT id FROM releases WHERE state = 'production'")" "0,2"
contains "and says so" "$out" "release 2 promoted by force"
r=$(rg "$d" releases show 2 --json)
equals "audited: action, from, to, who, forced, reason" \
	"$(jq_py "$r" '[(e["action"], e["from"], e["to"], e["by"], e["forced"], e["reason"]) for e in j["history"]][0]')" \
	"('promote', 1, 2, '$(id -un)', True, 'tiny chunks on purpose')"
s=$(serving 2)
check "the server answers from release 2 within a second ($s s)" python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 1)" "$s"
answers >"$scratch/forced"
lacks "answers now come from release 2" "$(cat "$scratch/forced")" '"release": 1'
out=$(rg "$d" deploy rollback --reason "back to normal"); rc=$?
equals "deploy rollback returns to release 1" "$rc,$(sql "$d" "SELECT id FROM releases WHERE state = 'production'")" "0,1"
contains "and says so" "$out" "production is release 1 again"
s=$(serving 1)
check "and from release 1 within a second of the rollback ($s s)" python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 1)" "$s"
answers >"$scratch/rolled-back"
check "after rollback every golden answer and its sources are byte-identical" cmp "$scratch/before" "$scratch/rolled-back"
equals "the rollback is audited" \
	"$(rg "$d" releases show 1 --json | jq_py "$(cat)" '[(e["action"], e["from"], e["to"], e["reason"]) for e in j["history"]][0]')" \
	"('rollback', 2, 1, 'back to normal')"
out=$(rg "$d" deploy rollback 2>&1); rc=$?
equals "nothing before release 1: rollback exits 5" "$rc" "5"
contains "saying so" "$out" "nothing to roll back to"

# Structural checks hold even against --force: release 2 without its lexicon file.
lex2=$(sql "$d" "SELECT m.path FROM releases r JOIN models m ON m.id = r.lexicon_id WHERE r.id = 2")
model_away "$d" "$lex2" "$scratch/lexicon2"
out=$(rg "$d" deploy promote 2 --force 2>&1); rc=$?
equals "a release missing its lexicon is refused even by force" "$rc" "6"
contains "naming the check" "$out" "$(model_missing "lexicon: cannot read the lexicon")"
model_back "$d" "$lex2" "$scratch/lexicon2"

# A server follows promotions and rollbacks, each answer from one release.
loads_before=$(grep -c "loaded release" "$d/logs/serve.log")
sql_json "$d" "SELECT rd.release_id AS r, d.relpath AS doc, c.text AS text FROM release_docs rd
	JOIN chunks c ON c.version_id = rd.version_id JOIN documents d ON d.id = c.doc_id
	WHERE rd.release_id IN (1, 2)" >"$scratch/release-texts.json"
verdict=$(python3 - "$RAGOPS" "$d" "$SERVE_URL" "$scratch/release-texts.json" <<'PY'
import json, re, subprocess, sys, threading, time, urllib.request
binary, data, url = sys.argv[1:4]
texts = {1: {}, 2: {}}
for row in json.load(open(sys.argv[4])):
    texts[row["r"]].setdefault(row["doc"], []).append(" ".join(row["text"].split()))
questions = ["Comment éviter le flou de bougé ?", "Qu'est-ce que la balance des blancs ?",
             "sauvegarde 3-2-1 des photos", "Quelle ouverture pour un portrait ?"]
replies, failures, stop = [], [], threading.Event()
def norm(snippet):
    return " ".join(snippet.replace("**", "").replace("…", " ").split())
def asker():
    i = 0
    while not stop.is_set():
        q = questions[i % len(questions)]; i += 1
        req = urllib.request.Request(url + "/api/ask", json.dumps({"question": q}).encode(),
                                     {"Content-Type": "application/json"})
        try:
            a = json.loads(urllib.request.urlopen(req, timeout=30).read())
        except Exception as e:
            failures.append(f"{q}: {e}"); continue
        replies.append(a["release"])
        if a["release"] not in texts:
            failures.append(f"{q}: release {a['release']}"); continue
        for s in a["sources"]:
            frag = norm(s["snippet"])
            if not any(frag in t for t in texts[a["release"]].get(s["document"], [])):
                failures.append(f"{q}: {s['document']} not in release {a['release']} as {frag[:60]!r}")
threads = [threading.Thread(target=asker) for _ in range(3)]
for t in threads: t.start()
for i in range(50):
    args = ["deploy", "promote", "2", "--force"] if i % 2 == 0 else ["deploy", "rollback"]
    r = subprocess.run([binary, "--data", data] + args, capture_output=True, text=True)
    if r.returncode:
        failures.append(f"{args}: {r.stderr}")
    time.sleep(0.05)
# Now release 1 is back (50 switches); within a second every answer comes from it.
deadline = time.time() + 1.0
while time.time() < deadline:
    time.sleep(0.1)
n = len(replies)
time.sleep(0.5)
late = [r for r in replies[n:] if r != 1]
stop.set()
for t in threads: t.join()
print(json.dumps({"replies": len(replies), "releases": sorted(set(replies)), "failures": failures[:5],
                  "failed": len(failures), "late": len(late)}))
PY
)
equals "50 promotions and rollbacks under questions: no failed request, no source outside its release" \
	"$(jq_py "$verdict" '(j["failed"], j["releases"], j["late"])')" "(0, [1, 2], 0)"
check "with questions all along ($(jq_py "$verdict" 'j["replies"]') answered)" test "$(jq_py "$verdict" 'j["replies"]')" -gt 50
[[ $(jq_py "$verdict" 'j["failed"]') == 0 ]] || echo "# $verdict"
loads=$(( $(grep -c "loaded release" "$d/logs/serve.log") - loads_before ))
check "each switch loaded its release once, not once per thread ($loads loads for 50 switches)" test "$loads" -le 51
http_get() { curl -s "$SERVE_URL$1" "${@:2}"; }
r=$(http_get /api/releases)
equals "GET /api/releases lists them, production marked" "$(jq_py "$r" '(j["production"], [x["id"] for x in j["items"]])')" "(1, [2, 1])"
equals "GET /api/releases/2 has the checks and the history" "$(http_get /api/releases/2 | jq_py "$(cat)" '(len(j["checks"]) > 0, len(j["history"]) >= 25)')" "(True, True)"
equals "an unknown release is a 404" "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/api/releases/99")" "404"
post() { curl -s -o "$scratch/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@"; }
equals "promote needs the admin token" "$(post "$SERVE_URL/api/releases/2/promote")" "401"
equals "POST /api/releases/2/promote: the gate refuses it (409)" \
	"$(post -H "Authorization: Bearer $API_TOKEN" "$SERVE_URL/api/releases/2/promote")" "409"
contains "saying why" "$(cat "$scratch/body")" "recall@5"
equals "an unknown field is a 400" "$(post -H "Authorization: Bearer $API_TOKEN" --data '{"forse": true}' "$SERVE_URL/api/releases/2/promote")" "400"
equals "with force and a reason: 200" \
	"$(post -H "Authorization: Bearer $API_TOKEN" --data '{"force": true, "reason": "from the API"}' "$SERVE_URL/api/releases/2/promote")" "200"
equals "recorded as done by the API" "$(rg "$d" releases show 2 --json | jq_py "$(cat)" '[(e["by"], e["reason"], e["forced"]) for e in j["history"]][0]')" "('api', 'from the API', True)"
equals "promoting production again is a 409" "$(post -H "Authorization: Bearer $API_TOKEN" --data '{"force": true}' "$SERVE_URL/api/releases/2/promote")" "409"
equals "POST /api/deploy/rollback" "$(post -H "Authorization: Bearer $API_TOKEN" "$SERVE_URL/api/deploy/rollback")" "200"
equals "goes back to release 1" "$(jq_py "$(cat "$scratch/body")" '(j["from"], j["to"])')" "(2, 1)"
metrics=$(http_get /metrics)
contains "Prometheus: the production release" "$metrics" "ragops_release_production_id 1"
contains "its creation time" "$metrics" "ragops_release_production_created_seconds 1"
contains "the gate's outcomes by result" "$metrics" 'ragops_gate_outcomes_total{result="refused"} 1'
contains "and its figures" "$metrics" 'ragops_gate_metric{release="1",role="production",metric="recall_at_5"}'

# kill -9 in the gate and in the promotion: production whole, next run validates again.
printf 'Le zorglubisme\n\nLe zorglubisme est une technique de tirage inventée pour ce test.\n' >"$inbox/notes/zorglub.txt"
for at in validate promote; do
	RAGOPS_CRASH_AT=$at "$RAGOPS" --data "$d" run --inbox "$inbox" >/dev/null 2>&1; rc=$?
	equals "killed at $at (SIGKILL)" "$rc" "137"
	equals "production is still release 1" "$(sql "$d" "SELECT id FROM releases WHERE state = 'production'")" "1"
	check "and answers" cmp "$scratch/before" <(answers)
done
equals "one candidate was left undecided" "$(sql "$d" "SELECT group_concat(id || ':' || state) FROM releases WHERE id > 2")" "3:candidate"
j=$(rg "$d" run --json 2>"$scratch/err")
equals "the next run validates it again and promotes it" "$(jq_py "$j" '(j["release"]["verdict"], j["release"]["id"])')" "('promoted', 3)"
contains "saying so in the log" "$(cat "$d/logs/pipeline.log")" "release 3 was left undecided by a stopped run"
contains "release 3 answers about the new document" "$(rg "$d" search zorglubisme)" "zorglub.txt"
serve_stop
equals "the server stops cleanly" "$?" "0"

# Retention: runs that change nothing add no release; old ones go with what only they held.
touch "$d/models/lexicon-0123456789ab.bin" "$d/models/builtin-lsa-0123.lsa.tmp.999" "$d/models/NOTES"
for i in 1 2 3; do
	printf 'Note %s\n\nUne note de test numéro %s sur le tirage.\n' "$i" "$i" >"$inbox/notes/note.txt"
	rg "$d" -c releases.keep=1 -c validate.max_recall_drop=1 -c validate.max_mrr_drop=1 run >/dev/null 2>&1
done
for i in 1 2 3; do rg "$d" run >/dev/null 2>&1; done
equals "releases kept (releases.keep=1): production, the one it replaced, one more" "$(sql "$d" "SELECT count(*) FROM releases")" "3"
equals "no document version that no release or document holds" \
	"$(sql "$d" "SELECT count(*) FROM doc_versions WHERE id NOT IN (SELECT version_id FROM release_docs) AND id NOT IN (SELECT version_id FROM documents WHERE version_id IS NOT NULL)")" "0"
check "a stray model file (a run killed before registering it) goes" test ! -e "$d/models/lexicon-0123456789ab.bin"
check "and a stray temporary file" test ! -e "$d/models/builtin-lsa-0123.lsa.tmp.999"
check "other files are left alone" test -e "$d/models/NOTES"
rm "$d/models/NOTES"
equals "no model file that no model row names" \
	"$(cd "$d/models" && for f in *; do [[ $(sql "$d" "SELECT count(*) FROM models WHERE path = 'models/$f'") == 1 ]] || echo "$f"; done)" ""
finish

#!/usr/bin/env bash
# An OpenAI-compatible embeddings endpoint (a stub speaking the protocol on
# loopback): batched, retried, used for questions too; an unreachable one is
# a clear error, never a crash, and BM25 goes on working.
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
mkdir -p "$inbox"
cp -r "$TOP/samples/corpus/notes" "$TOP/samples/corpus/md" "$TOP/samples/corpus/web" "$inbox/"

python3 "$TOP/tests/stubs/openai_stub.py" "$scratch/port" --fail-first 2 &
stub=$!
trap 'kill $stub 2>/dev/null; rm -rf "$scratch"' EXIT
for _ in $(seq 50); do [[ -s "$scratch/port" ]] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$scratch/port")"
remote=(-c embed.embedder=openai -c "embed.url=$url" -c embed.model=stub-hash -c embed.batch=8)

d=$(new_data remote)
j=$(rg "$d" "${remote[@]}" run --inbox "$inbox" --json 2>"$scratch/err")
equals "a run with the endpoint completes" "$(jq_py "$j" 'j["state"]')" "completed"
m=$(cat "$d/metrics/run-1.json")
equals "every chunk was embedded by the endpoint" "$(jq_py "$m" 'j["embed"]["chunks"]')" "$(sql "$d" "SELECT count(*) FROM chunks")"
equals "its model is registered in production" \
	"$(sql "$d" "SELECT name || ' ' || version || ' ' || state FROM models WHERE kind = 'embedder'")" "openai openai:stub-hash production"
stats=$(python3 -c "import json,urllib.request,sys; print(urllib.request.urlopen(sys.argv[1] + '/stats').read().decode())" "$url")
equals "requests were batched (embed.batch=8)" "$(jq_py "$stats" 'j["max_batch"]')" "8"
check "and the two refused requests were retried" test "$(jq_py "$stats" 'j["requests"]')" -gt 2
j=$(rg "$d" "${remote[@]}" ask --json --retriever dense "sauvegarde 3-2-1 des photos")
equals "questions are embedded by the endpoint too" "$(jq_py "$j" 'j["embedder"]')" "openai:stub-hash"
equals "and find a document" "$(jq_py "$j" 'len(j["sources"]) > 0')" "True"
j=$(rg "$d" "${remote[@]}" run --json 2>/dev/null)
equals "nothing new: nothing sent again" "$(jq_py "$(cat "$d/metrics/run-2.json")" 'j["embed"]["chunks"]')" "0"

# The endpoint goes away.
kill "$stub"; wait "$stub" 2>/dev/null
cp "$TOP/samples/corpus/pdf/composition.pdf" "$inbox/"
j=$(rg "$d" "${remote[@]}" -c embed.retries=1 -c embed.timeout=2 run --json 2>"$scratch/err"); rc=$?
equals "the run indexes its documents" "$(jq_py "$j" 'j["documents"]["new"]')" "1"
contains "the embed failure is named with the endpoint" "$(cat "$scratch/err")" "cannot reach '$url/v1/embeddings'"
equals "but a release without the vectors production has is refused (exit 6)" "$rc" "6"
contains "saying so" "$(jq_py "$j" 'j["release"]["message"]')" "vectors: no vectors, where release 1 has openai:stub-hash's"
contains "production still answers from the release before" "$(rg "$d" search "sauvegarde 3-2-1")" "backup-basics.txt"
lacks "which does not hold the new document yet" "$(rg "$d" search "règle des tiers")" "composition.pdf"
out=$(rg "$d" "${remote[@]}" -c embed.retries=0 ask --retriever dense "règle des tiers" 2>&1); rc=$?
equals "a question by meaning with no endpoint exits 4" "$rc" "4"
contains "with the reason" "$out" "cannot reach"
out=$(rg "$d" -c embed.embedder=openai run 2>&1)
contains "an endpoint without url or model is named" "$out" "embed.url and embed.model"
finish

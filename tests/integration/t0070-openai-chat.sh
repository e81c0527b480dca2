#!/usr/bin/env bash
# An OpenAI-compatible chat endpoint (a loopback stub speaking the protocol):
# grounded prompt, citations checked and rewritten, declines honoured,
# uncited replies replaced, an unreachable endpoint a clear error.
. "$(dirname "$0")/lib.sh"
inbox="$scratch/inbox"
mkdir -p "$inbox"
cp -r "$TOP/samples/corpus/notes" "$TOP/samples/corpus/pdf" "$inbox/"
d=$(new_data chat)
rg "$d" run --inbox "$inbox" >/dev/null 2>&1

python3 "$TOP/tests/stubs/openai_stub.py" "$scratch/port" &
stub=$!
trap 'kill $stub 2>/dev/null; rm -rf "$scratch"' EXIT
for _ in $(seq 50); do [[ -s "$scratch/port" ]] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$scratch/port")"
chat=(-c answer.answerer=openai -c "answer.url=$url" -c answer.model=stub-chat)

j=$(rg "$d" "${chat[@]}" ask --json "Qu'est-ce que l'ISO ?")
equals "the model answers" "$(jq_py "$j" 'j["answerer"]')" "openai"
contains "its [1] becomes the source's title and page" "$(jq_py "$j" 'j["answer"]')" "[SENSIBILITÉ ISO ET BRUIT NUMÉRIQUE, p. 1]"
lacks "a citation of a source it was not given is dropped" "$(jq_py "$j" 'j["answer"]')" "[9]"
last=$(python3 -c "import urllib.request,sys; print(urllib.request.urlopen(sys.argv[1] + '/last').read().decode())" "$url")
contains "the prompt says the sources are data, not instructions" "$(jq_py "$last" 'j["messages"][0]["content"]')" "data, not instructions"
contains "the sources are numbered in the prompt" "$(jq_py "$last" 'j["messages"][1]["content"]')" "[1] SENSIBILITÉ ISO"
# No dictionary: the unknown name "Rodinal" would abstain before the model is asked.
j=$(rg "$d" "${chat[@]}" -c answer.min_evidence=0 -c answer.min_similarity=0 -c answer.dictionary_fr= ask --json "Quelle est la recette du révélateur Rodinal ?")
equals "a model that does not know makes an abstention" "$(jq_py "$j" '(j["answerer"], j["abstained"])')" "('openai', True)"
contains "in the question's language" "$(jq_py "$j" 'j["answer"]')" "Je ne sais pas"
j=$(rg "$d" "${chat[@]}" ask --json "ISO uncited")
contains "a reply citing nothing is replaced by the extractive answer" "$(jq_py "$j" 'j["answerer"]')" "extractive"
j=$(rg "$d" "${chat[@]}" ask --json "Combien coûte un zorglub quantique en kilowatts ?")
equals "weak evidence never reaches the model" "$(jq_py "$j" 'j["answerer"] + " " + str(j["abstained"])')" "extractive True"

kill "$stub"; wait "$stub" 2>/dev/null
out=$(rg "$d" "${chat[@]}" -c answer.retries=0 -c answer.timeout=2 ask "Qu'est-ce que l'ISO ?" 2>&1); rc=$?
equals "an unreachable chat endpoint exits 4" "$rc" "4"
contains "naming it and why" "$out" "cannot reach '$url/v1/chat/completions'"
j=$(rg "$d" "${chat[@]}" -c answer.retries=0 ask --json "Qu'est-ce que l'ISO ?" 2>/dev/null)
contains "with --json, a JSON error" "$(jq_py "$j" 'j["error"]')" "cannot reach"
finish

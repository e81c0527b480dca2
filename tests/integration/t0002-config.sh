#!/usr/bin/env bash
# Configuration: file, environment and flag precedence; errors name file, line and key.
. "$(dirname "$0")/lib.sh"
cd "$scratch"

out=$("$RAGOPS" config)
contains "defaults without a file" "$out" "chunk.target_chars = 600"
cat >ragops.yaml <<'YAML'
# a user's file
data_dir: ./mydata
chunk:
  target_chars: 700
  overlap_chars: 100
YAML
out=$("$RAGOPS" config)
contains "ragops.yaml in the current folder is read" "$out" "chunk.target_chars = 700"
contains "data_dir from the file" "$out" "data_dir = ./mydata"
out=$(RAGOPS_CHUNK_TARGET_CHARS=800 "$RAGOPS" config)
contains "environment beats the file" "$out" "chunk.target_chars = 800"
out=$(RAGOPS_CHUNK_TARGET_CHARS=800 "$RAGOPS" -c chunk.target_chars=600 config)
contains "-c beats the environment" "$out" "chunk.target_chars = 600"
out=$("$RAGOPS" --data /tmp/elsewhere config)
contains "--data beats the file" "$out" "data_dir = /tmp/elsewhere"

cat >bad.yaml <<'YAML'
chunk:
  target_chars: 700
  target_size: 10
YAML
out=$("$RAGOPS" --config bad.yaml config 2>&1); rc=$?
equals "unknown key exits 3" "$rc" "3"
contains "unknown key names file, line and column" "$out" "bad.yaml:3:3"
contains "unknown key is named" "$out" "chunk.target_size"
contains "a close key is suggested" "$out" "did you mean 'chunk.target_chars'"

printf 'search:\n  limit: many\n' >bad2.yaml
out=$("$RAGOPS" --config bad2.yaml config 2>&1); rc=$?
equals "bad value exits 3" "$rc" "3"
contains "bad value names file and line" "$out" "bad2.yaml:2:3"
contains "bad value names the key and the value" "$out" "'search.limit' must be a whole number, not 'many'"

printf 'chunk: [1, 2\n' >broken.yaml
out=$("$RAGOPS" --config broken.yaml config 2>&1); rc=$?
equals "invalid YAML exits 3" "$rc" "3"
contains "invalid YAML names the file" "$out" "broken.yaml:"

out=$(RAGOPS_COLLECT_MAX_FILE_SIZE=lots "$RAGOPS" config 2>&1); rc=$?
equals "bad environment value exits 3" "$rc" "3"
contains "bad environment value names the variable" "$out" "RAGOPS_COLLECT_MAX_FILE_SIZE"
out=$("$RAGOPS" -c chunk.overlap_chars=600 config 2>&1); rc=$?
equals "overlap over half the target is refused" "$rc" "3"
out=$("$RAGOPS" -c collect.max_file_size=2M config)
contains "sizes take units" "$out" "collect.max_file_size = 2097152"
check "the example configuration loads" "$RAGOPS" --config "$TOP/ragops.example.yaml" config
rm -f ragops.yaml
equals "the example states every default as it is" \
	"$("$RAGOPS" --config "$TOP/ragops.example.yaml" config | tail -n +2)" "$("$RAGOPS" config | tail -n +2)"
missing=$("$RAGOPS" config | tail -n +2 | while IFS=' =' read -r key _; do
	grep -q "^ *${key##*.}:" "$TOP/ragops.example.yaml" || echo "$key"; done)
equals "and documents every key" "$missing" ""
finish

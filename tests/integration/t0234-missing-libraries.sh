#!/usr/bin/env bash
# Tesseract, Leptonica, OpenBLAS and LAPACKE are loaded when first needed,
# not linked (src/pipeline/ocr_libs.h, src/learn/blas_libs.h).  Without
# them, hidden here in a private mount namespace: text documents are still
# indexed and searched, pages that need OCR fail saying which packages to
# install, the run has no vectors and says why, health says "degraded",
# and a server answers /health and questions instead of exiting.  Once
# they are back, the next run does what was missing.  Needs root (mounts).
. "$(dirname "$0")/lib.sh"
if [[ -z ${RAGOPS_IN_NAMESPACE:-} ]]; then
	if [[ $(id -u) -ne 0 ]] || ! unshare -m true 2>/dev/null; then
		echo "ok 1 - skipped: needs root and unshare (a private mount namespace)"
		exit 0
	fi
	exec unshare -m env RAGOPS_IN_NAMESPACE=1 bash "$0"
fi
library() { readlink -f "$(ldconfig -p | awk -v n="$1" '$1 == n { print $NF; exit }')"; }
hidden=()
for so in libopenblas.so.0 libtesseract.so.5; do
	f=$(library "$so")
	[[ -f $f ]] && mount --bind /dev/null "$f" && hidden+=("$f")
done
equals "(OpenBLAS and Tesseract hidden)" "${#hidden[@]}" "2"

inbox="$scratch/inbox"
sample_inbox "$inbox" notes
cp "$TOP/samples/corpus/scans/macro-handout.pdf" "$inbox/"
d=$(new_data missing)
j=$(rg "$d" run --inbox "$inbox" --json 2>"$scratch/run.err")
equals "the run completes, the scan failed" \
	"$(jq_py "$j" '(j["state"], j["documents"]["failed"], j["documents"]["new"] - j["documents"]["failed"] > 0)')" \
	"('completed_with_failures', 1, True)"
failures() { jq_py "$(cat "$(jq_py "$1" 'j["metrics"]')")" 'j["failures"]'; }
contains "the scan's failure names the packages to install" "$(failures "$j")" \
	"are the libtesseract5 and liblept5 packages installed?"
contains "the log says why there are no vectors, and what to install" "$(cat "$d/logs/pipeline.log")" \
	"no built-in embedder: cannot load"
contains "text documents are searched (BM25)" "$(rg "$d" search "paysage premier plan")" "photo-de-paysage.txt"
h=$(rg "$d" health 2>&1)
contains "health: degraded, answers from BM25 alone" "$h" "answers use BM25 alone"

serve_start "$d"
code=$(curl -s -o "$scratch/health.json" -w '%{http_code}' "$SERVE_URL/health")
check "the server answers /health ($code)" test "$code" = 200 -o "$code" = 503
a=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"question": "Comment soigner le premier plan d un paysage ?"}' \
	"$SERVE_URL/api/ask")
contains "... and a question, with its source" "$a" "photo-de-paysage.txt"
check "... and is still up" kill -0 "$SERVE_PID"
serve_stop

for f in "${hidden[@]}"; do umount "$f"; done
j=$(rg "$d" run --inbox "$inbox" --json 2>/dev/null)
m=$(cat "$(jq_py "$j" 'j["metrics"]')")
equals "libraries back: the next run reads the scan" \
	"$(jq_py "$m" '(j["documents"]["failed"], j["ocr"]["succeeded"], j["failures"])')" "(0, 1, [])"
check "... and trains the embedder" ls "$d"/models/builtin-lsa-*.lsa
lacks "... without a word about missing libraries" "$(tail -n +2 "$d/logs/pipeline.log" | grep '"run":2')" \
	"cannot load"
finish

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
inbox="$scratch/inbox"
sample_inbox "$inbox" notes
d=$(new_data missing)
rg "$d" run --inbox "$inbox" >/dev/null 2>&1
check "(release 1, with its embedder, made while the libraries are there)" ls "$d"/models/builtin-lsa-*.lsa

hidden=()
for so in libopenblas.so.0 libtesseract.so.5; do
	f=$(library "$so")
	[[ -f $f ]] && mount --bind /dev/null "$f" && hidden+=("$f")
done
equals "(OpenBLAS and Tesseract hidden)" "${#hidden[@]}" "2"

# A server started without them answers by BM25, says why, and stays up.
serve_start "$d"
index_check() { curl -s "$SERVE_URL/health" | jq_py "$(cat)" '[c["message"] for c in j["checks"] if c["name"] == "index"][0]'; }
ask() {
	curl -s -X POST -H 'Content-Type: application/json' \
		-d '{"question": "Comment soigner le premier plan d un paysage ?"}' "$SERVE_URL/api/ask"
}
contains "a question is answered, with its source" "$(ask)" "photo-de-paysage.txt"
contains "/health says BM25 alone, and why" "$(index_check)" "answers use BM25 alone (no built-in embedder: cannot load"
check "... and the server is up" kill -0 "$SERVE_PID"

cp "$TOP/samples/corpus/scans/macro-handout.pdf" "$inbox/"
printf 'Note\n\nLe trépied stabilise les poses longues de nuit.\n' >"$inbox/trepied.txt"
j=$(rg "$d" run --inbox "$inbox" --json 2>"$scratch/run.err")
failures() { jq_py "$(cat "$(jq_py "$1" 'j["metrics"]')")" 'j["failures"]'; }
equals "a run without them: the text saved, the scan failed" \
	"$(jq_py "$j" '(j["documents"]["new"], j["documents"]["failed"])')" "(2, 1)"
contains "... the scan's failure names the packages to install" "$(failures "$j")" \
	"are the libtesseract5 and liblept5 packages installed?"
contains "... and the log why there are no vectors" "$(cat "$d/logs/pipeline.log")" \
	"no built-in embedder: cannot load"
equals "... and its release, without vectors, is not promoted over one with them" \
	"$(jq_py "$j" '(j["release"]["verdict"], j["release"]["production"])')" "('refused', 1)"

for f in "${hidden[@]}"; do umount "$f"; done
# /health is computed at most every 5 s: ask until it is new.
vectors_back() { ask >/dev/null; [[ $(index_check) != *BM25* ]]; }
wait_for 15 vectors_back && ok "libraries back: the same server uses its vectors again" ||
	not_ok "libraries back: the same server uses its vectors again" "$(index_check)"
check "... and is up" kill -0 "$SERVE_PID"
serve_stop
j=$(rg "$d" run --inbox "$inbox" --json 2>/dev/null)
m=$(cat "$(jq_py "$j" 'j["metrics"]')")
equals "... the next run reads the scan" \
	"$(jq_py "$m" '(j["documents"]["failed"], j["ocr"]["succeeded"], j["failures"])')" "(0, 1, [])"
finish

#!/usr/bin/env bash
# slow
# Documents are prepared (extracted, cleaned, chunked) on ingest.threads
# parser workers at once, and saved by one writer in the order of the
# scan, and the embedder trained and the chunks embedded on as many
# threads (issue 14): whatever the number of workers, and in the run's own
# process, the store holds the same documents, ids, chunks, offsets,
# tasks, models and vectors; a worker that crashes fails its own document
# only; no worker outlives the run.
. "$(dirname "$0")/lib.sh"
in="$scratch/in"
sample_inbox "$in" images md notes pdf scans web

# dump DATA: what a run leaves, ids included (and the per-stage task counts)
dump() {
	sql "$1" "SELECT d.id, d.relpath, d.type, d.status, d.pages, d.pages_needing_ocr, d.chunks, d.chars,
			 d.sha256, d.language, d.title, d.error FROM documents d ORDER BY d.id"
	sql "$1" "SELECT c.id, c.doc_id, c.seq, c.page_start, c.page_end, c.char_start, c.char_end,
			 c.heading, c.low_confidence, c.text FROM chunks c ORDER BY c.id"
	sql "$1" "SELECT d.relpath, p.page_no, p.method, p.chars FROM pages p JOIN documents d ON d.id = p.doc_id
		  ORDER BY d.relpath, p.page_no"
	sql "$1" "SELECT stage, state, count(*) FROM tasks GROUP BY 1, 2 ORDER BY 1, 2"
}

for threads in 1 4; do
	rg "$scratch/t$threads" -c ingest.threads=$threads run --inbox "$in" >"$scratch/out$threads" 2>&1
	equals "a run on $threads worker(s) completes" "$?" "0"
done
# The pages of each PDF read one by one on every worker (the samples' PDFs,
# text and scanned, have 2 or 3 pages): the same headings, chunks and offsets.
rg "$scratch/ranges" -c ingest.threads=3 -c ingest.range_pages=1 run --inbox "$in" >/dev/null 2>&1
equals "a run reading PDFs a page at a time completes" "$?" "0"
rg "$scratch/inproc" -c ingest.isolate=false run --inbox "$in" >/dev/null 2>&1
equals "a run in the run's own process completes" "$?" "0"
one=$(dump "$scratch/t1")
check "the store holds every sample document" test "$(sql "$scratch/t1" "SELECT count(*) FROM documents WHERE status = 'indexed'")" -ge 29
equals "4 workers store what 1 does, ids and offsets included" "$(dump "$scratch/t4" | sha256sum)" "$(sha256sum <<<"$one")"
equals "PDFs read in ranges store what 1 worker does" "$(dump "$scratch/ranges" | sha256sum)" "$(sha256sum <<<"$one")"
equals "and so does the run's own process" "$(dump "$scratch/inproc" | sha256sum)" "$(sha256sum <<<"$one")"
equals "the same release is published" "$(sql "$scratch/t4" "SELECT chunks, documents FROM releases WHERE state = 'production'")" \
	"$(sql "$scratch/t1" "SELECT chunks, documents FROM releases WHERE state = 'production'")"
# The embedder is trained and the chunks embedded on every thread: the
# same model bit for bit (its version is a hash of its projection), the
# same vectors, the same lexicon.
models() { sql "$1" "SELECT name, version FROM models ORDER BY id"; }
vectors() { sql "$1" "SELECT chunk_id, hex(vector) FROM embeddings ORDER BY chunk_id" | sha256sum; }
equals "4 threads train the same embedder and lexicon as 1, bit for bit" "$(models "$scratch/t4")" "$(models "$scratch/t1")"
equals "and embed every chunk to the same bytes" "$(vectors "$scratch/t4")" "$(vectors "$scratch/t1")"

# A real document of the size users drop (the Référence Debian's PDF, 265
# pages; its 17 pages of figures left for OCR): read in ranges, its many
# blocks cleaned and its many chunks tokenised on every thread, it is
# stored as one worker reading it whole stores it.
ref=/usr/share/debian-reference/debian-reference.fr.pdf
mkdir -p "$scratch/big" && cp "$ref" "$scratch/big/"
for mode in "1 0" "4 64" "3 7"; do
	set -- $mode
	rg "$scratch/big-$1-$2" -c ocr.mode=skip -c ingest.threads=$1 -c ingest.range_pages=$2 run --inbox "$scratch/big" >/dev/null 2>&1
	equals "the 265-page PDF on $1 worker(s), ranges of $2 pages, completes" "$?" "0"
done
check "it makes hundreds of chunks" test "$(sql "$scratch/big-1-0" "SELECT chunks FROM documents")" -ge 1000
# The full-text index's own pages too: the tokens recorded on every thread are one thread's.
fts() { sql "$1" "SELECT id, hex(block) FROM chunks_fts_data ORDER BY id" | sha256sum; }
big=$(dump "$scratch/big-1-0"; vectors "$scratch/big-1-0"; fts "$scratch/big-1-0")
equals "4 workers, ranges of 64 pages: the same chunks, offsets, vectors and full-text index" \
	"$(dump "$scratch/big-4-64"; vectors "$scratch/big-4-64"; fts "$scratch/big-4-64")" "$big"
equals "3 workers, ranges of 7 pages: the same" \
	"$(dump "$scratch/big-3-7"; vectors "$scratch/big-3-7"; fts "$scratch/big-3-7")" "$big"

# On a terminal a run shows documents, pages and pages/s, then what it does
# once they are in; piped, it prints no progress at all.
sample_inbox "$scratch/ttyin" notes pdf
script -qec "'$RAGOPS' --data '$scratch/tty' -c validate.golden= run --inbox '$scratch/ttyin'" /dev/null \
	</dev/null >"$scratch/tty.out" 2>&1
tty=$(tr '\r' '\n' <"$scratch/tty.out")
check "on a terminal: documents, pages read and pages/s" grep -Eq "documents [0-9]+/[0-9]+ · pages [0-9]+ · [0-9.]+ pages/s" <<<"$tty"
contains "then the embedding" "$tty" "· embedding the chunks"
contains "and the lexicon" "$tty" "· building the lexicon"
lacks "piped, no progress line" "$(cat "$scratch/out1")" $'\r'

# A crash in one worker among three fails that document and no other.
text="$scratch/text"
sample_inbox "$text" md notes pdf web
crash() {
	RAGOPS_PARSER_FAULT="segv:objectifs-et-focales.pdf,abort:raw-vs-jpeg.md" \
		rg "$1" -c validate.golden= -c ingest.threads="$2" run --inbox "$text" >"$scratch/crash-out" 2>&1 &
	local pid=$!
	wait $pid
	rc=$?
	# Workers are children of the run: after it, none may be left.
	left=$(orphan_workers | wc -l)
}
crash "$scratch/c3" 3
equals "with two parsers crashing, the run completes with failures" "$rc" "1"
equals "no worker outlives the run" "$left" "0"
equals "exactly those two fail" "$(sql "$scratch/c3" "SELECT relpath FROM documents WHERE status = 'failed' ORDER BY 1" | tr '\n' ' ')" \
	"md/raw-vs-jpeg.md pdf/objectifs-et-focales.pdf "
crash "$scratch/c1" 1
equals "as on one worker" "$(dump "$scratch/c3" | sha256sum)" "$(dump "$scratch/c1" | sha256sum)"
finish

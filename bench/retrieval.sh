#!/usr/bin/env bash
# ragops retrieval benchmark.  Usage: bench/retrieval.sh [PATH/TO/ragops]
#
# For each corpus size (10,000 and 100,000 chunks; also 1,000,000 with
# BENCH_RETRIEVAL_1M=1):
#  1. generate a deterministic corpus of French-like photography prose, one
#     ~600-byte paragraph per chunk, 100 paragraphs per Markdown file, and 200
#     queries (bench/retrieval_corpus.py);
#  2. ingest it once with a fresh `ragops run` (wall seconds, chunks, embed
#     seconds, DB size, peak RSS);
#  3. in rounds (BENCH_RETRIEVAL_RUNS, 3): `ragops search --queries` with
#     --retriever bm25, dense and hybrid (--limit 10) -- bm25 twice: from
#     the lexicon (the default) and from SQLite's FTS5 index -- then the peer,
#     bench/retrieval_peer.py: scikit-learn TfidfVectorizer (word,
#     sublinear_tf) fit on the same chunks, cosine top-10 per query
#     (linear_kernel + argpartition).  Each process answers a warm-up query
#     first (reported as "first": for dense/hybrid it loads the model and all
#     vectors), then the 200 queries, each timed in-process; peak RSS with
#     /usr/bin/time -f %M.  Searches and the peer run with
#     OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 (one core); the ingest with the
#     library defaults (all cores), as a user would run it.
#
# Prints a table per size (p50/p99 = medians over the rounds of each run's
# nearest-rank percentiles; "vs sklearn" = sklearn p50 / ragops p50 within a
# round, median over rounds), checks the targets at 100k chunks (hybrid p50
# <= 10 ms, p99 <= 30 ms, >= 10x faster than sklearn) and writes
# bench/out/retrieval.json.  Works in a mktemp -d folder, removed on exit.
#
# Knobs (environment): BENCH_RETRIEVAL_1M=1 (add 1,000,000 chunks: long, the
# expected time is printed first), BENCH_RETRIEVAL_SIZES ("10000 100000"),
# BENCH_RETRIEVAL_RUNS (3), BENCH_RETRIEVAL_QUERIES (200),
# BENCH_STRICT=1: exit 1 when a target is missed, BENCH_KEEP=1: keep the
# work folder.  RAGOPS_RETRIEVE_VECTORS (int8 or float32) is the one ragops
# setting passed to the searches (every other RAGOPS_* is unset); the table
# names the one in force.
set -Eeuo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZES=${BENCH_RETRIEVAL_SIZES:-10000 100000}
[[ ${BENCH_RETRIEVAL_1M:-0} == 1 ]] && SIZES="$SIZES 1000000"
RUNS=${BENCH_RETRIEVAL_RUNS:-3}
NQ=${BENCH_RETRIEVAL_QUERIES:-200}
LIMIT=10
SEED=20250601
OUT=$HERE/out
PY=/usr/bin/python3
GNU_TIME=/usr/bin/time
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RETRIEVAL_RUNS must be a positive integer"
[[ $NQ =~ ^[1-9][0-9]*$ ]] || die "BENCH_RETRIEVAL_QUERIES must be a positive integer"
for n in $SIZES; do
	[[ $n =~ ^[1-9][0-9]*$ ]] && ((n >= NQ)) || die "corpus size '$n' must be an integer >= the number of queries ($NQ)"
done

# --- tools ---------------------------------------------------------------
[[ -x $PY ]] || die "$PY is needed (Debian: apt-get install -y python3)"
[[ -x $GNU_TIME ]] || die "/usr/bin/time is needed for peak RSS (Debian: apt-get install -y time)"
if ! $PY -I -c 'import sklearn, numpy, scipy' 2>/dev/null; then
	echo "bench: error: the peer needs scikit-learn for $PY (Debian's package); as root run:" >&2
	echo "  apt-get install -y python3-sklearn" >&2
	exit 1
fi
HELP=$("$BIN" search --help 2>&1 || true)
grep -q -- '--queries' <<<"$HELP" \
	|| die "'$BIN search' has no --queries option: this ragops is too old for the retrieval benchmark"

# --- work folder; no user configuration may leak in ------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/ragops-retrieval-bench.XXXXXX")
cleanup() { cd /; if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $W"; else rm -rf "$W"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
VECTORS=${RAGOPS_RETRIEVE_VECTORS:-}
while read -r v; do unset "$v"; done < <(compgen -e | grep '^RAGOPS_' || true)
# thread counts are set explicitly below, per command
while read -r v; do [[ -n $v ]] && unset "$v"; done < <(compgen -e | grep -E '^(OMP_|GOMP_|OPENBLAS_|MKL_)' || true)
bench_workdir "$W"
mkdir -p "$W/res" "$OUT"
sfact() { printf '%s\t%s\n' "$1" "$2" >>"$W/res/$N/facts.tsv"; }
now() { date +%s.%N; }
since() { $PY -c "import sys,time; print(round(time.time()-float(sys.argv[1]),3))" "$1"; }
T_START=$(now)
fact loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
SEARCH_ENV=(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)
[[ -n $VECTORS ]] && SEARCH_ENV+=("RAGOPS_RETRIEVE_VECTORS=$VECTORS")
# the dense vectors the searches use ("-": a ragops without retrieve.vectors)
CONFIG=$(env "${SEARCH_ENV[@]}" "$BIN" config 2>&1) || die "ragops config failed: $CONFIG"
fact retrieve_vectors "$(awk -F' = ' '$1=="retrieve.vectors"{print $2}' <<<"$CONFIG" | grep . || echo -)"

# jget FILE KEY.PATH -> value of a JSON field
jget() { $PY -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }

# timed_rss NAME OUTFILE CMD...: run CMD with stdout to OUTFILE under
# /usr/bin/time; peak RSS (KiB) -> NAME.rss, wall seconds -> facts
timed_rss() {
	local name=$1 out=$2 rc=0 t0; shift 2
	t0=$(now)
	"$GNU_TIME" -f %M -o "$D/$name.rss" "$@" >"$out" 2>"$D/$name.err" || rc=$?
	sfact "${name//-/_}_wall_s" "$(since "$t0")"
	if ((rc != 0)); then
		tail -n 20 "$D/$name.err" >&2
		die "$name: exited $rc: $*"
	fi
}

# one corpus size ----------------------------------------------------------
bench_size() {
	N=$1
	D=$W/res/$N
	local C=$W/corpus-$N data=$W/data-$N t0
	mkdir -p "$D"
	: >"$D/facts.tsv"
	sfact runs "$RUNS"

	say "[$N] generating $N chunks of text and $NQ queries"
	t0=$(now)
	$PY "$HERE/retrieval_corpus.py" --chunks "$N" --queries "$NQ" --seed "$SEED" "$C" >/dev/null \
		|| die "bench/retrieval_corpus.py failed"
	sfact generate_s "$(since "$t0")"
	cp "$C/corpus.json" "$D/corpus.json"
	local paras; paras=$(jget "$C/corpus.json" paragraphs)
	[[ $paras == "$N" ]] || die "the generator wrote $paras paragraphs, expected $N"

	say "[$N] ingesting (fresh ragops run)"
	rm -rf "$data"
	timed_rss ingest "$D/ingest.out" "$BIN" --data "$data" run --inbox "$C/docs" --json
	sfact ingest_rss_kib "$(tail -n 1 "$D/ingest.rss")"
	[[ $(jget "$D/ingest.out" state) == completed ]] || { cat "$D/ingest.out" >&2; die "[$N] the ingest did not complete"; }
	[[ $(jget "$D/ingest.out" documents.failed) == 0 ]] || { cat "$D/ingest.out" >&2; die "[$N] some documents failed"; }
	local chunks; chunks=$(jget "$D/ingest.out" chunks)
	[[ $chunks == "$N" ]] || die "[$N] ragops made $chunks chunks of $N paragraphs (chunk.target_chars changed?): the sizes would not compare"
	cp "$(jget "$D/ingest.out" metrics)" "$D/ingest.metrics.json"
	[[ $(jget "$D/ingest.metrics.json" embed.trained) == True ]] \
		|| die "[$N] the ingest trained no embedder: dense/hybrid cannot be measured"
	sfact embed_train_chunks "$("$BIN" --data "$data" config 2>/dev/null | awk -F' = ' '$1=="embed.train_chunks"{print $2}')"
	sfact db_bytes "$(stat -c %s "$data/ragops.db")"
	sfact data_bytes "$(du -sb "$data" | cut -f1)"

	cat "$C/warmup.txt" "$C/queries.txt" >"$W/q-$N.txt"
	local k r
	for k in $(seq 1 "$RUNS"); do
		say "[$N] round $k/$RUNS: ragops bm25 (lexicon, FTS5), dense, hybrid, sklearn ($NQ queries each)"
		for r in bm25 bm25-fts5 dense hybrid; do
			# bm25-fts5: the same BM25 from SQLite's index, to show what the lexicon saves
			local how=()
			[[ $r == bm25-fts5 ]] && how=(-c retrieve.bm25_index=fts5)
			timed_rss "$r-$k" "$D/$r-$k.jsonl" env "${SEARCH_ENV[@]}" \
				"$BIN" --data "$data" "${how[@]}" search --queries "$W/q-$N.txt" --retriever "${r%%-*}" --limit "$LIMIT"
			$PY "$HERE/retrieval_report.py" check "$D/$r-$k.jsonl" "$r" "$C/queries.txt" "$C/warmup.txt"
		done
		timed_rss "sklearn-$k" /dev/null env "${SEARCH_ENV[@]}" \
			$PY -I "$HERE/retrieval_peer.py" --docs "$C/docs" --queries "$C/queries.txt" --warmup "$C/warmup.txt" \
			--limit "$LIMIT" --out "$D/sklearn-$k.jsonl" --meta "$D/sklearn-$k.meta.json"
		$PY "$HERE/retrieval_report.py" check "$D/sklearn-$k.jsonl" sklearn "$C/queries.txt" "$C/warmup.txt"
		[[ $(jget "$D/sklearn-$k.meta.json" chunks) == "$N" ]] \
			|| die "[$N] the peer split the corpus into $(jget "$D/sklearn-$k.meta.json" chunks) chunks, expected $N"
	done
	rm -rf "$data" "$C"
}

# --- sizes, smallest first ---------------------------------------------------
fact nproc "$(nproc)"; fact queries "$NQ"; fact limit "$LIMIT"; fact runs "$RUNS"; fact seed "$SEED"
for n in $(tr ' ' '\n' <<<"$SIZES" | sort -n | uniq); do
	if ((n >= 500000)); then
		need=$((n * 7 / 1000))   # ~5.5 KB of store + 0.6 KB of text per chunk, in MB
		avail=$(df -Pm "$W" | awk 'NR==2{print $4}')
		((avail > need)) || die "$n chunks need ~$need MB of disk in $W, only $avail MB free (set TMPDIR)"
		read -r est est_ingest from < <($PY "$HERE/retrieval_report.py" estimate "$W/res" "$n")
		if [[ $est != -1 ]]; then
			say "[$n] expected time: ~$((est / 60)) min (ingest ~$((est_ingest / 60)) min), extrapolated linearly from $from chunks; ~$need MB of disk"
		else
			say "[$n] expected time: unknown (no smaller size measured first); ~$need MB of disk"
		fi
	fi
	bench_size "$n"
done

# --- report ----------------------------------------------------------------
fact loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
fact uname "$(uname -srm)"; fact ragops_version "$("$BIN" version 2>&1 | sed -n 1p)"
fact ragops_binary "$BIN_ORIG"
fact ragops_sha256 "$(sha256sum <"$BIN" | cut -c1-16)"
fact git_commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
fact git_dirty "$([[ -n $(git -C "$ROOT" status --porcelain -- src 2>/dev/null || true) ]] && echo yes || echo no)"
fact python "$($PY -c 'import sys; print(sys.version.split()[0])')"
while IFS=$'\t' read -r k v; do fact "$k" "$v"; done < <($PY -I -c 'import sklearn, numpy, scipy
print("sklearn\t" + sklearn.__version__); print("numpy\t" + numpy.__version__); print("scipy\t" + scipy.__version__)')
fact rss_source "/usr/bin/time %M"
fact search_env "${SEARCH_ENV[*]}"
fact ingest_env "library defaults ($(nproc) cores)"
fact elapsed_s "$(since "$T_START")"
$PY "$HERE/retrieval_report.py" report "$W/res" "$OUT/retrieval.json"

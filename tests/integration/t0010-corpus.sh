#!/usr/bin/env bash
# slow
# The sample corpus end to end: ingest, re-run (all cached), search, runs, metrics, log.
. "$(dirname "$0")/lib.sh"
d=$(new_data corpus)
corpus="$TOP/samples/corpus"
nfiles=$(find "$corpus" -type f ! -name '.*' | wc -l)
# One ground-truth file per scanned page or page image.
nscanned=$(find "$TOP/samples/groundtruth" -name '*.page-*.txt' | wc -l)

out=$(rg "$d" run --inbox "$corpus" --json 2>"$scratch/err"); rc=$?
equals "first run exits 0" "$rc" "0"
equals "every file is seen" "$(jq_py "$out" 'j["documents"]["seen"]')" "$nfiles"
equals "every file is new" "$(jq_py "$out" 'j["documents"]["new"]')" "$nfiles"
equals "no document fails" "$(jq_py "$out" 'j["documents"]["failed"]')" "0"
equals "no page is left waiting for OCR" "$(jq_py "$out" 'j["pages_needing_ocr"]')" "0"
check "chunks were written" test "$(jq_py "$out" 'j["chunks"]')" -gt 50

out=$(rg "$d" run --json); rc=$?
equals "second run (inbox of the last run) exits 0" "$rc" "0"
equals "second run: every document unchanged" "$(jq_py "$out" 'j["documents"]["unchanged"]')" "$nfiles"
equals "second run: nothing written" "$(jq_py "$out" 'j["chunks"]')" "0"
tasks=$(rg "$d" runs show 2 --json)
equals "second run: every document task cached" \
	"$(jq_py "$tasks" 'sorted(set(t["state"] for t in j["tasks"] if t["document"] != "(corpus)"))')" "['cached']"
equals "second run: a task per document and stage, and the corpus' publish and history tasks" \
	"$(jq_py "$tasks" 'len(j["tasks"])')" "$((nfiles * 5 + 2))"
equals "second run: nothing changed, no new release" \
	"$(jq_py "$tasks" '[t["state"] for t in j["tasks"] if t["stage"] == "publish"]')" "['cached']"
equals "the first run's release is in production" "$(rg "$d" releases --json | jq_py "$(cat)" '[(r["id"], r["state"], r["run_id"]) for r in j]')" "[(1, 'production', 1)]"

out=$(rg "$d" search "balance des blancs" --json)
equals "white balance: the right document first" \
	"$(jq_py "$out" 'j["results"][0]["document"]')" "pdf/balance-des-blancs.pdf"
contains "snippets highlight the matched words" "$(jq_py "$out" 'j["results"][0]["snippet"]')" "**"
equals "results carry page numbers" "$(jq_py "$out" 'j["results"][0]["page_start"] >= 1')" "True"
out=$(rg "$d" search "l'ouverture du diaphragme")
contains "elisions and stemming: ouverture" "$out" "pdf/ouverture-diaphragme.pdf"
out=$(rg "$d" search --json "PROFONDEUR de Champ")
equals "case folding: depth of field" "$(jq_py "$out" 'j["results"][0]["document"]')" \
	"pdf/profondeur-de-champ.pdf"
out=$(rg "$d" search --json --lang en "colour spaces")
equals "English document, English stemming" "$(jq_py "$out" 'j["results"][0]["document"]')" \
	"pdf/colour-spaces.pdf"
equals "--lang keeps one language" "$(jq_py "$out" 'set(r["language"] for r in j["results"])')" "{'en'}"
out=$(rg "$d" search "flash cobra nombre guide")
contains "HTML documents are indexed" "$out" "web/flash-cobra.html"
out=$(rg "$d" search "fichier RAW")
contains "Markdown documents are indexed" "$out" "md/raw-vs-jpeg.md"
out=$(rg "$d" search --json "window.dataLayer function")
lacks "HTML scripts are not indexed" "$(jq_py "$out" '[r["document"] for r in j["results"]]')" "web/"

out=$(sql "$d" "SELECT count(*) FROM chunks c JOIN documents d ON d.id=c.doc_id WHERE d.relpath LIKE 'pdf/%' AND c.text LIKE '%Cours de photographie — Module%'")
equals "running headers are removed from PDF chunks" "$out" "0"
out=$(sql "$d" "SELECT count(*) FROM chunks WHERE text LIKE '%' || char(65533) || '%' OR text LIKE '%' || char(64257) || '%'")
equals "no replacement characters or ligatures left" "$out" "0"
out=$(sql "$d" "SELECT count(*) FROM documents WHERE relpath LIKE 'pdf/%' AND language NOT IN ('fr','en')")
equals "every text PDF has a detected language" "$out" "0"
out=$(sql "$d" "SELECT language FROM documents WHERE relpath = 'pdf/colour-spaces.pdf'")
equals "an English PDF is detected as English" "$out" "en"
out=$(sql "$d" "SELECT count(*) FROM chunks WHERE heading LIKE '% › %'")
check "PDF headings become heading paths" test "$out" -gt 5

# Questions and answers.
out=$(rg "$d" ask "Qu'est-ce que l'ISO ?")
contains "ask: an answer citing its source" "$out" "[SENSIBILITÉ ISO ET BRUIT NUMÉRIQUE, p. 1]"
contains "ask: the sources are listed" "$out" "notes/iso-et-bruit.txt, p. 1"
j=$(rg "$d" ask --json "Comment éviter le flou de bougé ?")
equals "ask --json: the right document first" "$(jq_py "$j" 'j["sources"][0]["document"]')" "pdf/vitesse-obturation.pdf"
contains "ask --json: the answer holds the rule" "$(jq_py "$j" 'j["answer"]')" "1/focale"
equals "ask --json: timings and a query id" "$(jq_py "$j" 'j["timings_ms"]["total"] > 0 and j["query_id"] > 0')" "True"
out=$(rg "$d" ask "Quelle est la recette du révélateur Rodinal ?")
contains "an unanswerable question gets an honest answer" "$out" "Je ne sais pas"
out=$(rg "$d" ask "Which software should I use for focus stacking macro images?")
contains "in the question's language" "$out" "I don't know"
equals "every question is logged" "$(sql "$d" "SELECT count(*) FROM queries")" "4"
equals "with its answer, sources and latency" \
	"$(sql "$d" "SELECT count(*) FROM queries WHERE source_count > 0 AND ms_total > 0 AND answer_chars > 0 AND retriever = 'hybrid' AND embedder LIKE 'builtin-lsa-%'")" "4"
expect_exit 2 "an empty question is refused" "$RAGOPS" --data "$d" ask "   "
big=$(head -c 100000 /dev/zero | tr '\0' 'a')
out=$(rg "$d" ask "$big" 2>&1); rc=$?
equals "a 100 KB question is refused" "$rc" "2"
contains "with the reason" "$out" "over the limit"
expect_exit 2 "invalid UTF-8 is refused" "$RAGOPS" --data "$d" ask "$(printf 'ISO \xff\xfe ?')"
expect_exit 0 "a question in another script is answered or declined, not a crash" "$RAGOPS" --data "$d" ask "什么是感光度？"
j=$(rg "$d" ask --json --retriever sparse "ISO" 2>/dev/null)
contains "an unknown retriever is a JSON error" "$(jq_py "$j" 'j["error"]')" "unknown retriever"

equals "the run trained the built-in embedder" "$(jq_py "$(cat "$d/metrics/run-1.json")" 'j["embed"]["trained"]')" "True"
equals "and gave every chunk a vector" "$(sql "$d" "SELECT count(*) FROM embeddings")" "$(sql "$d" "SELECT count(*) FROM chunks")"
j=$(rg "$d" eval --json --compare bm25,dense,hybrid)
cmp=$j
echo "# $(jq_py "$j" '[(r["retriever"], round(r["recall_at_1"], 3), round(r["recall_at_5"], 3), round(r["mrr"], 3)) for r in j["retrievers"]]')"
check "eval: hybrid recall@5 at least 0.9 ($(jq_py "$j" 'j["retrievers"][2]["recall_at_5"]'))" \
	python3 -c "import json,sys; sys.exit(not json.loads(sys.argv[1])['retrievers'][2]['recall_at_5'] >= 0.9)" "$j"
check "eval: hybrid MRR at least 0.75 ($(jq_py "$j" 'j["retrievers"][2]["mrr"]'))" \
	python3 -c "import json,sys; sys.exit(not json.loads(sys.argv[1])['retrievers'][2]['mrr'] >= 0.75)" "$j"
check "eval: hybrid beats BM25 alone on recall@1 or MRR" \
	python3 -c "import json,sys; b,d,h=json.loads(sys.argv[1])['retrievers']; sys.exit(not (h['recall_at_1'] > b['recall_at_1'] or h['mrr'] > b['mrr']))" "$j"
equals "eval: every unanswerable question abstains" "$(jq_py "$j" 'j["retrievers"][2]["abstention_recall"]')" "1.0"
q="Pourquoi un athlète lancé, calé tout contre la marge de la photo, donne-t-il une impression d'enfermement ?"
j=$(rg "$d" search --json "$q")
lacks "BM25 alone does not put the paraphrased passage first" "$(jq_py "$j" 'j["results"][0]["document"]')" "pdf/composition.pdf"
j=$(rg "$d" ask --json --retriever dense "$q")
equals "dense retrieval does" "$(jq_py "$j" 'j["sources"][0]["document"]')" "pdf/composition.pdf"
equals "eval does not fill the query log" "$(sql "$d" "SELECT count(*) FROM queries")" "6"
printf '{"question": "ok"}\nnot json\n' >"$scratch/bad.jsonl"
out=$(rg "$d" eval --golden "$scratch/bad.jsonl" 2>&1); rc=$?
equals "a broken golden set exits 3" "$rc" "3"
contains "naming the file and line" "$out" "bad.jsonl:2:"

# Breakdowns: several golden files as one, by kind, by format, by file.
golden="$TOP/samples/golden.jsonl"
printf '%s\n' '{"id": "x1", "question": "Quelle vitesse minimale avec un 200 mm sur APS-C ?", "doc": "pdf/vitesse-obturation.pdf", "phrases": ["1/320 s"], "kind": "normal", "format": "handout"}' \
	'{"id": "x2", "question": "Quel est le prix du boîtier Nikon Z9 en 2031 ?", "doc": null, "phrases": [], "kind": "unanswerable"}' >"$scratch/extra.jsonl"
b=$(rg "$d" eval --golden "$golden" --golden "$scratch/extra.jsonl" --json)
h=$(jq_py "$b" 'json.dumps(j["retrievers"][0])')
equals "eval reads several golden files as one" "$(jq_py "$b" '(len(j["golden"]), j["retrievers"][0]["questions"])')" \
	"(2, $(($(grep -c . "$golden") + 2)))"
equals "each file's questions are counted apart" \
	"$(jq_py "$h" '[(f["questions"], f["unanswerable"]) for f in j["by_file"].values()]')" \
	"[($(grep -c . "$golden"), $(grep -c '"doc": null' "$golden")), (2, 1)]"
want_kinds=$(python3 -c 'import json,sys,collections; c=collections.Counter(json.loads(l)["kind"] for l in open(sys.argv[1]) if l.strip()); c["normal"]+=1; c["unanswerable"]+=1; print(sorted(c.items()))' "$golden")
equals "questions are counted by kind" "$(jq_py "$h" 'sorted((k, v["questions"]) for k, v in j["by_kind"].items())')" "$want_kinds"
# A PDF read by OCR is a scanned PDF; the file's own "format" wins over the path.
equals "questions on scanned PDFs are told from text PDFs by how the run read them" \
	"$(jq_py "$h" '(j["by_format"]["scan"]["questions"], j["by_format"]["image"]["questions"], j["by_format"]["handout"]["questions"])')" \
	"($(grep -c '"doc": "scans/' "$golden"), $(grep -c '"doc": "images/' "$golden"), 1)"
check "a kind's recall@5 is its own questions' (not the whole set's)" \
	python3 -c 'import json,sys; k=json.loads(sys.argv[1])["by_kind"]; sys.exit(not (k["keyword"]["recall_at_5"] > k["paraphrase"]["recall_at_5"]))' "$h"
out=$(rg "$d" eval --golden "$golden" --golden "$scratch/extra.jsonl")
contains "the table shows the breakdown by kind" "$out" "By kind of question (hybrid):"
contains "by format" "$out" "scan"
contains "and by golden file" "$out" "$scratch/extra.jsonl"

# Ablation: one row per part left out, each a real run without it.
a=$(rg "$d" eval --ablate dense,abstention --json)
equals "leaving dense retrieval out is BM25 alone" \
	"$(jq_py "$a" '[round(r["recall_at_5"], 6) for r in j["ablation"] if r["without"] == "dense"]')" \
	"[$(jq_py "$cmp" 'round(j["retrievers"][0]["recall_at_5"], 6)')]"
equals "without abstention no unanswerable question gets \"don't know\"" \
	"$(jq_py "$a" '[r["by_kind"]["unanswerable"]["unanswerable_dont_know"] for r in j["ablation"] if r["without"] == "abstention"]')" "[0.0]"
equals "while the full system abstains on all of them" "$(jq_py "$a" 'j["retrievers"][0]["abstention_recall"]')" "1.0"
out=$(rg "$d" eval --ablate all)
contains "--ablate all prints a row per part" "$out" "without calibration"
out=$(rg "$d" eval --ablate rerankr 2>&1); rc=$?
equals "an unknown part is a usage error" "$rc" "2"
contains "naming it" "$out" "no part called 'rerankr'"
out=$(rg "$d" eval --ablate dense --compare bm25 2>&1); rc=$?
equals "--ablate with --compare is a usage error" "$rc" "2"
out=$(rg "$d" eval --compare , 2>&1); rc=$?
equals "--compare naming no retriever is a usage error" "$rc:$out" "2:ragops eval: --compare: name at least one retriever (bm25, dense, hybrid)"
out=$(rg "$d" eval --compare bm25,sparse 2>&1); rc=$?
equals "an unknown retriever is refused before any question is asked" "$rc:$out" "2:ragops eval: unknown retriever 'sparse': use bm25, dense or hybrid"
out=$(rg "$d" eval --golden "$golden" --golden "$TOP/samples/../samples/golden.jsonl" 2>&1); rc=$?
equals "a golden file given twice (under another name) is refused" "$rc" "3"
contains "saying so" "$out" "is given twice"
printf '{"question": "Qu est-ce que l ISO ?", "doc": 5}\n' >"$scratch/types.jsonl"
out=$(rg "$d" eval --golden "$scratch/types.jsonl" 2>&1); rc=$?
equals "a field of the wrong type is refused (a number as doc would make the question unanswerable)" "$rc:$out" \
	"3:ragops eval: $scratch/types.jsonl:1: 'doc' must be a non-empty string or null"

out=$(rg "$d" runs)
contains "runs lists both runs" "$out" "completed"
out=$(rg "$d" runs --json)
equals "runs --json has two runs, newest first" "$(jq_py "$out" '[r["id"] for r in j]')" "[2, 1]"
check "metrics of run 1 written" test -s "$d/metrics/run-1.json"
m=$(cat "$d/metrics/run-1.json")
equals "metrics count documents" "$(jq_py "$m" 'j["documents"]["seen"]')" "$nfiles"
equals "metrics have stage durations" \
	"$(jq_py "$m" 'sorted(j["stage_seconds"])')" "['chunk', 'clean', 'collect', 'embed', 'extract', 'index', 'lexicon', 'ocr', 'publish']"
equals "every scanned page and page image is OCR'd" "$(jq_py "$m" 'j["ocr"]["pages"]')" "$nscanned"
equals "all of them succeed" "$(jq_py "$m" 'j["ocr"]["success_rate"]')" "1.0"
check "OCR confidence is reported" python3 -c "import json,sys; m=json.load(open(sys.argv[1]))['ocr']; sys.exit(not (80 < m['mean_confidence'] <= 100 and m['seconds_per_page'] > 0 and len(m['documents']) == 10))" "$d/metrics/run-1.json"
out=$(rg "$d" search --json "pose longue filtre ND")
equals "text from a scanned PDF is searchable" "$(jq_py "$out" 'j["results"][0]["document"]')" \
	"scans/magazine-pose-longue.pdf"
out=$(rg "$d" search --json "nettoyage du capteur" "sensor cleaning swab")
contains "text from a page image is searchable" "$(jq_py "$out" '[r["document"] for r in j["results"][:3]]')" "images/sensor-cleaning.jpg"
log=$(tail -n 1 "$d/logs/pipeline.log")
equals "log lines are JSON with time, level, run, msg" \
	"$(jq_py "$log" 'all(k in j for k in ("time","level","run","msg"))')" "True"
out=$(grep -c '"stage":"index"' "$d/logs/pipeline.log")
check "log has a line per indexed document" test "$out" -ge 10
finish

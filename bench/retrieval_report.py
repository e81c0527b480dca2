#!/usr/bin/python3
"""Checks and report for bench/retrieval.sh (standard library only).

  retrieval_report.py check FILE.jsonl RETRIEVER QUERIES_FILE WARMUP_FILE
      exit 1 (with the reason on stderr) unless FILE has one JSON line per
      query of WARMUP_FILE + QUERIES_FILE, in order, none with an "error",
      each answered by RETRIEVER (ragops falls back to bm25 when it has no
      embedder: that would not measure dense retrieval).
  retrieval_report.py estimate RES SIZE
      seconds a SIZE-chunk round would take, extrapolated linearly from the
      largest size measured so far in RES.
  retrieval_report.py report RES OUT.json
      the table, and OUT.json.

Latency: each search process answers the warm-up query then the benchmark
queries; the warm-up line's "ms" is reported as "first" (for dense/hybrid it
includes loading the model and every vector) and left out of the
percentiles.  Per run: p50 and p99 (nearest rank) of the query latencies;
the figures shown are the medians over the runs, and the "vs sklearn" ratio
is the median over runs of sklearn p50 / ragops p50 within the same round
(rounds run ragops bm25, dense, hybrid and the peer back to back).
"""
import json
import math
import os
import statistics
import sys
import time

from facts import load_facts

# "bm25-fts5": BM25 from SQLite's FTS5 index instead of the lexicon, for comparison.
RETRIEVERS = ["bm25", "bm25-fts5", "dense", "hybrid"]
PEER = "sklearn"
TARGET_SIZE = 100000
TARGET_P50_MS = 10.0
TARGET_P99_MS = 30.0
TARGET_SPEEDUP = 10.0


def die(msg):
    print("bench: error: " + msg, file=sys.stderr)
    sys.exit(1)


def read_lines(path):
    with open(path, encoding="utf-8") as fp:
        return [l.rstrip("\r\n") for l in fp if l.strip()]


def load_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as fp:
        for n, line in enumerate(fp, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError as e:
                die("%s line %d is not JSON (%s): %.200s" % (path, n, e, line))
    return out


def check(path, retriever, queries, warmup):
    want = read_lines(warmup) + read_lines(queries)
    got = load_jsonl(path)
    if len(got) != len(want):
        die("%s: %d result lines for %d queries" % (os.path.basename(path), len(got), len(want)))
    expect = "sklearn-tfidf" if retriever == PEER else retriever.split("-")[0]
    for i, (g, q) in enumerate(zip(got, want), 1):
        if "error" in g:
            die("%s: query %d (%r) failed: %s" % (os.path.basename(path), i, q, g["error"]))
        if g.get("query") != q:
            die("%s: line %d answers %r, expected %r" % (os.path.basename(path), i, g.get("query"), q))
        if g.get("retriever") != expect:
            die("%s: query %d was answered by '%s', not '%s' (no embedder in the store?)"
                % (os.path.basename(path), i, g.get("retriever"), expect))
        if not isinstance(g.get("ms"), (int, float)) or g["ms"] < 0:
            die("%s: query %d has no latency" % (os.path.basename(path), i))


def pct(sorted_vals, p):
    """Nearest-rank percentile."""
    k = max(1, math.ceil(p / 100.0 * len(sorted_vals)))
    return sorted_vals[k - 1]


STRING_FACTS = ("git_commit", "ragops_sha256", "loadavg_start", "loadavg_end")


def load_facts_text(path):
    return load_facts(path, STRING_FACTS)


def sizes_in(res):
    return sorted(int(d) for d in os.listdir(res) if d.isdigit() and os.path.isdir(os.path.join(res, d)))


def run_stats(path):
    rows = load_jsonl(path)
    first, rest = rows[0], rows[1:]
    ms = sorted(r["ms"] for r in rest)
    return {
        "first_ms": first["ms"],
        "p50_ms": pct(ms, 50), "p90_ms": pct(ms, 90), "p99_ms": pct(ms, 99),
        "mean_ms": statistics.mean(ms), "max_ms": ms[-1], "min_ms": ms[0],
        "queries": len(ms),
        "zero_result_queries": sum(1 for r in rest if not r.get("results")),
        "tops": [r.get("top") for r in rest],
        "slowest": [{"query": r["query"], "ms": r["ms"], "results": r.get("results")}
                    for r in sorted(rest, key=lambda r: -r["ms"])[:3]],
    }


def rss_kib(path):
    with open(path) as fp:
        v = fp.read().split()
    return int(v[-1]) if v else None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def size_block(res, n):
    d = os.path.join(res, str(n))
    f = load_facts_text(os.path.join(d, "facts.tsv"))
    with open(os.path.join(d, "corpus.json")) as fp:
        corpus = json.load(fp)
    with open(os.path.join(d, "ingest.out")) as fp:
        ing = json.load(fp)
    with open(os.path.join(d, "ingest.metrics.json")) as fp:
        met = json.load(fp)
    runs = int(f["runs"])
    block = {
        "chunks": n,
        "corpus": corpus,
        "ingest": {
            "seconds": f["ingest_wall_s"], "run_duration_s": ing["duration_s"],
            "documents": ing["documents"]["new"], "chunks": ing["chunks"],
            "embed_s": met["stage_seconds"].get("embed"), "stage_seconds": met["stage_seconds"],
            "embed": met.get("embed"), "embed_train_chunks": f.get("embed_train_chunks"),
            "db_bytes": f["db_bytes"], "data_dir_bytes": f["data_bytes"],
            "peak_rss_kib": f.get("ingest_rss_kib"),
        },
        "generate_s": f.get("generate_s"),
        "runs": runs,
        "retrievers": {},
    }
    per = {}
    for r in RETRIEVERS + [PEER]:
        rs = []
        for k in range(1, runs + 1):
            s = run_stats(os.path.join(d, "%s-%d.jsonl" % (r, k)))
            s["peak_rss_kib"] = rss_kib(os.path.join(d, "%s-%d.rss" % (r, k)))
            s["wall_s"] = f.get("%s_%d_wall_s" % (r, k))
            if r == PEER:
                with open(os.path.join(d, "%s-%d.meta.json" % (r, k))) as fp:
                    s["meta"] = json.load(fp)
            rs.append(s)
        per[r] = rs
    sk = per[PEER]
    for r in RETRIEVERS + [PEER]:
        rs = per[r]
        e = {
            "p50_ms": med(s["p50_ms"] for s in rs), "p90_ms": med(s["p90_ms"] for s in rs),
            "p99_ms": med(s["p99_ms"] for s in rs), "mean_ms": med(s["mean_ms"] for s in rs),
            "first_ms": med(s["first_ms"] for s in rs),
            "peak_rss_kib": med(s["peak_rss_kib"] for s in rs),
            "zero_result_queries": rs[0]["zero_result_queries"],
            "runs": [{k: v for k, v in s.items() if k not in ("tops", "meta", "slowest")} for s in rs],
            "slowest_queries_run1": rs[0]["slowest"],
        }
        if r == PEER:
            e["fit_s"] = med(s["meta"]["fit_s"] for s in rs)
            e["read_s"] = med(s["meta"]["read_s"] for s in rs)
            e["meta"] = rs[0]["meta"]
            e["meta"].pop("fit_s", None)
            e["meta"].pop("read_s", None)
        else:
            e["speedup_vs_sklearn_p50"] = med(sk[k]["p50_ms"] / s["p50_ms"] for k, s in enumerate(rs))
            e["speedup_vs_sklearn_p99"] = med(sk[k]["p99_ms"] / s["p99_ms"] for k, s in enumerate(rs))
            agree = sum(1 for a, b in zip(rs[0]["tops"], sk[0]["tops"]) if a and a == b)
            e["top1_same_file_as_sklearn"] = agree / len(rs[0]["tops"])
        block["retrievers"][r] = e
    return block


def mib(kib):
    return "%.0f" % (kib / 1024.0) if kib is not None else "-"


def fmt_ms(x):
    return "%.1f" % x if x < 100 else "%.0f" % x


def main_report(res, out_json):
    f = load_facts_text(os.path.join(res, "facts.tsv"))
    strict = os.environ.get("BENCH_STRICT") == "1"
    sizes = sizes_in(res)
    if not sizes:
        die("no results in %s" % res)
    blocks = {}
    for n in sizes:
        blocks[str(n)] = size_block(res, n)

    target = None
    if str(TARGET_SIZE) in blocks:
        h = blocks[str(TARGET_SIZE)]["retrievers"]["hybrid"]
        checks = {
            "hybrid_p50_ms": {"value": h["p50_ms"], "max": TARGET_P50_MS, "pass": h["p50_ms"] <= TARGET_P50_MS},
            "hybrid_p99_ms": {"value": h["p99_ms"], "max": TARGET_P99_MS, "pass": h["p99_ms"] <= TARGET_P99_MS},
            "hybrid_speedup_vs_sklearn_p50": {"value": h["speedup_vs_sklearn_p50"], "min": TARGET_SPEEDUP,
                                              "pass": h["speedup_vs_sklearn_p50"] >= TARGET_SPEEDUP},
        }
        target = {"chunks": TARGET_SIZE, "checks": checks, "pass": all(c["pass"] for c in checks.values())}

    for n in sizes:
        b = blocks[str(n)]
        ing = b["ingest"]
        print()
        print("retrieval benchmark: %s chunks, %d queries, 1 process, %s cores (load %s), dense vectors %s"
              % (format(n, ","), f["queries"], f["nproc"], f["loadavg_start"], f.get("retrieve_vectors", "-")))
        print("%-18s %8s %8s %14s %16s %10s" % ("retriever", "p50 ms", "p99 ms", "peak RSS MiB",
                                                "vs sklearn p50", "first ms"))
        for r in RETRIEVERS + [PEER]:
            e = b["retrievers"][r]
            name = "sklearn tfidf" if r == PEER else "ragops " + r.replace("-fts5", " (FTS5)")
            ratio = "1.00x" if r == PEER else "%.2fx" % e["speedup_vs_sklearn_p50"]
            print("%-18s %8s %8s %14s %16s %10s" % (name, fmt_ms(e["p50_ms"]), fmt_ms(e["p99_ms"]),
                                                    mib(e["peak_rss_kib"]), ratio, fmt_ms(e["first_ms"])))
        if n == TARGET_SIZE and target:
            c = target["checks"]
            print("targets at 100k: hybrid p50 <= %g ms (%s), p99 <= %g ms (%s), >= %gx faster than sklearn (%.2fx): %s"
                  % (TARGET_P50_MS, fmt_ms(c["hybrid_p50_ms"]["value"]), TARGET_P99_MS,
                     fmt_ms(c["hybrid_p99_ms"]["value"]), TARGET_SPEEDUP,
                     c["hybrid_speedup_vs_sklearn_p50"]["value"], "PASS" if target["pass"] else "FAIL"))
        sk = b["retrievers"][PEER]
        print("vs sklearn p50 = sklearn p50 / ragops p50 in the same round (above 1 = ragops faster);"
              " bm25 (FTS5) = the same ranking read from SQLite (retrieve.bm25_index: fts5)")
        print("ingest: %.1f s for %s chunks in %d files (embed %.1f s, trained on %s chunks; index %.1f s),"
              " DB %.0f MiB, data dir %.0f MiB, peak RSS %s MiB"
              % (ing["seconds"], format(ing["chunks"], ","), ing["documents"], ing["embed_s"] or 0,
                 format(min(n, int(ing["embed_train_chunks"])), ","), ing["stage_seconds"].get("index", 0),
                 ing["db_bytes"] / 2 ** 20, ing["data_dir_bytes"] / 2 ** 20, mib(ing["peak_rss_kib"])))
        print("sklearn: fit %.2f s on %s chunks (vocabulary %s, nnz %s); first ms = warm-up query"
              % (sk["fit_s"], format(sk["meta"]["chunks"], ","), format(sk["meta"]["vocabulary"], ","),
                 format(sk["meta"]["nnz"], ",")))
        print("medians over %d runs of %d queries each; first ms = the warm-up query (dense/hybrid:"
              " model + %s vectors loaded), not in the percentiles" % (b["runs"], f["queries"], format(n, ",")))
    print()

    result = {
        "schema": 1,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "elapsed_s": f.get("elapsed_s"),
        "environment": {k: f.get(k) for k in (
            "nproc", "loadavg_start", "loadavg_end", "uname", "ragops_version", "ragops_binary",
            "ragops_sha256", "git_commit", "git_dirty", "python", "sklearn", "numpy", "scipy",
            "rss_source", "search_env", "ingest_env")},
        "settings": {
            "queries": f["queries"], "limit": f["limit"], "runs": f["runs"], "sizes": sizes,
            "seed": f.get("seed"), "retrieve_vectors": f.get("retrieve_vectors"),
            "percentiles": "nearest rank over one run's queries (warm-up excluded); "
            "median over runs", "ratio": "sklearn p50 / ragops p50, same round, median over runs",
            "strict": strict,
        },
        "sizes": blocks,
        "targets": target,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_json)), exist_ok=True)
    with open(out_json, "w") as fp:
        json.dump(result, fp, indent=2)
        fp.write("\n")
    print("wrote %s (bench took %.0f s)" % (out_json, f.get("elapsed_s", 0)))
    if target and not target["pass"]:
        print("bench: retrieval targets at 100k chunks missed", file=sys.stderr)
        if strict:
            sys.exit(1)


def estimate(res, size):
    sizes = [n for n in sizes_in(res) if os.path.exists(os.path.join(res, str(n), "facts.tsv"))]
    if not sizes:
        print(-1)
        return
    n = max(sizes)
    f = load_facts_text(os.path.join(res, str(n), "facts.tsv"))
    secs = sum(v for k, v in f.items() if k.endswith("_s") and isinstance(v, (int, float)))
    print("%.0f %.0f %d" % (secs * size / n, f["ingest_wall_s"] * size / n, n))


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "estimate":
        estimate(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        main_report(sys.argv[2], sys.argv[3])
    else:
        die("usage: retrieval_report.py check FILE RETRIEVER QUERIES WARMUP | estimate RES SIZE | report RES OUT.json")


if __name__ == "__main__":
    main()

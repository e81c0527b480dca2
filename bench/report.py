#!/usr/bin/python3
"""Turns the raw measurements of bench/run.sh into a table and results.json.

  report.py RES_DIR OUT_JSON

RES_DIR holds facts.tsv (key<TAB>value), the timer exports (pdf_ingest.json,
merged_ingest.json, rerun.json: hyperfine's --export-json shape, command 0 =
ragops, command 1 = the peer, command 2 (ingests) = ragops parsing
in-process, command 3 = on one worker (pdf_ingest) or reading the PDF whole
(merged_ingest)), and per fresh ingest NAME-K.rss (peak KiB) and
NAME-K.metrics.json (ragops's run metrics).  Standard library only.
"""
import glob
import json
import os
import statistics
import sys
import time

from facts import load_facts

# "publish" holds "embed" and "lexicon" (the release's models) and the gate.
STAGES = ["collect", "extract", "clean", "chunk", "index", "embed", "lexicon", "publish"]


def timing(res, name):
    path = os.path.join(res, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as fp:
        out = []
        for r in json.load(fp)["results"]:
            out.append({k: r[k] for k in ("command", "median", "mean", "stddev", "min", "max", "times")})
        return out


def fresh_ingests(res, name):
    """Peak RSS and stage seconds over the fresh ingests NAME-1..K."""
    rss, stages, durations = [], {s: [] for s in STAGES}, []
    for mpath in sorted(glob.glob(os.path.join(res, name + "-[0-9]*.metrics.json"))):
        base = mpath[: -len(".metrics.json")]
        with open(base + ".rss") as fp:
            rss.append(int(fp.read().split()[-1]))
        with open(mpath) as fp:
            m = json.load(fp)
        durations.append(m["duration_s"])
        for s in STAGES:
            stages[s].append(m["stage_seconds"].get(s, 0))
    if not rss:
        return None
    return {
        "runs": len(rss),
        "peak_rss_kib": {"median": statistics.median(rss), "max": max(rss), "all": rss},
        "duration_s": {"median": statistics.median(durations), "min": min(durations),
                       "max": max(durations)},
        "stage_seconds_median": {s: statistics.median(v) for s, v in stages.items()},
    }


def single_metrics(res, name):
    path = os.path.join(res, name + ".metrics.json")
    if not os.path.exists(path):
        return None
    with open(path) as fp:
        return json.load(fp)["stage_seconds"]


def isolation_row(bench, rows, spreads, key, label, isolated, inproc):
    """Parsers in worker processes (ingest.isolate) against parsing in the run's process."""
    ratio = isolated["median"] / inproc["median"]
    ok = ratio <= 1.10
    bench[key + "_isolation"] = {"isolated": isolated, "in_process": inproc,
                                 "ratio_seconds": ratio, "target_ratio": 1.10, "pass": ok}
    rows.append(("parser isolation, %s (s)" % label, fmt_s(isolated["median"]), "in-process",
                 fmt_s(inproc["median"]), "%.2fx" % ratio,
                 "target <= 1.10x: %s" % ("PASS" if ok else "FAIL")))
    spreads.append("  %-34s median %s s over %d runs" % ("ragops run -c ingest.isolate=false, " + label,
                                                         fmt_s(inproc["median"]), len(inproc["times"])))


def fmt_rate(x):
    return "%.0f" % x if x >= 100 else "%.1f" % x


def fmt_s(x):
    return "%.3f" % x if x < 10 else "%.1f" % x


def main():
    res, out_json = sys.argv[1], sys.argv[2]
    f = load_facts(os.path.join(res, "facts.tsv"))
    strict = os.environ.get("BENCH_STRICT") == "1"
    bench = {}
    rows, notes, spreads = [], [], []

    def spread(label, t):
        spreads.append("  %-34s median %s s  [min %s, max %s, stddev %s] over %d runs"
                       % (label, fmt_s(t["median"]), fmt_s(t["min"]), fmt_s(t["max"]),
                          fmt_s(t["stddev"]), len(t["times"])))

    # 1. text-PDF corpus
    pages, files = f["pdf_pages"], f["pdf_files"]
    rag, pdt, *others = timing(res, "pdf_ingest")
    inproc, one = others[:1], (others[1] if len(others) > 1 else None)
    r_rate, p_rate = pages / rag["median"], pages / pdt["median"]
    bench["text_pdf_ingest"] = {
        "files": files, "pages": pages, "pages_pdfinfo": f["pdf_pages_pdfinfo"],
        "chunks": f["pdf_chunks"], "pages_needing_ocr": f["pdf_ocr"],
        "ragops": {"seconds": rag, "pages_per_s": r_rate},
        "pdftotext_loop": {"seconds": pdt, "pages_per_s": p_rate},
        "ratio_pages_per_s": r_rate / p_rate,
    }
    ok = r_rate / p_rate >= 1.5
    rows.append(("text PDF ingest, %d files (pages/s)" % files, fmt_rate(r_rate),
                 "pdftotext/file", fmt_rate(p_rate), "%.2fx" % (r_rate / p_rate),
                 "target >= 1.5x: %s" % ("PASS" if ok else "FAIL")))
    spread("ragops run, %d PDFs" % files, rag)
    spread("pdftotext, one process per file", pdt)
    if one:
        # The default, a parser worker per core, against one: what preparing in parallel buys.
        bench["text_pdf_parallel"] = {"workers": f["nproc"], "all_workers": rag, "one_worker": one,
                                      "speedup": one["median"] / rag["median"]}
        rows.append(("parallel ingest, %d files (s)" % files, fmt_s(rag["median"]),
                     "1 worker", fmt_s(one["median"]), "%.2fx" % (one["median"] / rag["median"]),
                     "%s workers (default) vs ingest.threads=1" % f["nproc"]))
        spread("ragops run -c ingest.threads=1", one)
    if inproc and one:
        # Both on one thread: the in-process parser has one MuPDF context.
        isolation_row(bench, rows, spreads, "text_pdf", "%d files, 1 worker" % files, one, inproc[0])

    merged = timing(res, "merged_ingest")
    if merged:
        mrag, mpdt, *minproc = merged
        m_r, m_p = pages / mrag["median"], pages / mpdt["median"]
        per_proc_ms = (pdt["median"] - mpdt["median"]) / files * 1000
        bench["merged_pdf_ingest"] = {
            "pages": pages, "bytes": f["merged_bytes"],
            "ragops": {"seconds": mrag, "pages_per_s": m_r},
            "pdftotext": {"seconds": mpdt, "pages_per_s": m_p},
            "ratio_pages_per_s": m_r / m_p,
        }
        bench["pdftotext_per_process_ms"] = per_proc_ms
        ok = m_r / m_p >= 0.5
        bench["merged_pdf_ingest"]["pass"] = ok
        rows.append(("text PDF ingest, 1 merged PDF (pages/s)", fmt_rate(m_r),
                     "pdftotext", fmt_rate(m_p), "%.2fx" % (m_r / m_p),
                     "target >= 0.5x: %s" % ("PASS" if ok else "FAIL")))
        spread("ragops run, merged PDF", mrag)
        spread("pdftotext, merged PDF", mpdt)
        if minproc:
            isolation_row(bench, rows, spreads, "merged_pdf", "1 merged PDF", mrag, minproc[0])
        if len(minproc) > 1:
            # Its pages read in ranges by every worker (the default) against one worker reading it whole.
            whole = minproc[1]
            bench["merged_pdf_ranges"] = {"in_ranges": mrag, "whole": whole,
                                          "speedup": whole["median"] / mrag["median"]}
            rows.append(("1 merged PDF in page ranges (s)", fmt_s(mrag["median"]),
                         "read whole", fmt_s(whole["median"]),
                         "%.2fx" % (whole["median"] / mrag["median"]),
                         "ingest.range_pages=64 (default) vs 0"))
            spread("ragops run -c ingest.range_pages=0", whole)
        notes.append("pdftotext per-process cost ~ (loop - merged) / files = %.1f ms per file"
                     % per_proc_ms)
    else:
        bench["merged_pdf_ingest"] = None
        notes.append("merged-PDF comparison skipped (mutool missing)")

    # 2. re-run over unchanged documents
    ndocs = f["mixed_docs"]
    rr, sha = timing(res, "rerun")
    ratio = rr["median"] / sha["median"]
    target = float(f["target_s"])
    ok = rr["median"] < target
    bench["rerun_unchanged"] = {
        "documents": ndocs, "distinct_contents": f["mixed_distinct_contents"],
        "bytes": f["mixed_bytes"], "unchanged_checked": ndocs,
        "ragops": {"seconds": rr}, "sha256sum": {"seconds": sha},
        "ratio_seconds": ratio, "target_s": target, "pass": ok,
        "stage_seconds": single_metrics(res, "rerun-after"),
    }
    rows.append(("re-run %d unchanged docs (s)" % ndocs, fmt_s(rr["median"]), "sha256sum",
                 fmt_s(sha["median"]), "%.1fx" % ratio,
                 "target < %g s: %s" % (target, "PASS" if ok else "FAIL")))
    spread("ragops re-run, %d unchanged" % ndocs, rr)
    spread("find | xargs sha256sum", sha)

    # 3. fresh ingests: peak RSS, stages
    ingests = {}
    for key, name, label in (("pdf_corpus", "pdf-ingest", "%d PDFs" % files),
                             ("pdf_corpus_one_thread", "pdf-one", "%d PDFs, 1 thread" % files),
                             ("merged_pdf", "merged-ingest", "merged PDF"),
                             ("merged_pdf_one_thread", "merged-one", "merged PDF, 1 thread"),
                             ("mixed_docs", "mixed-ingest", "%d mixed docs" % ndocs),
                             ("mixed_docs_one_thread", "mixed-one", "%d mixed docs, 1 thread" % ndocs),
                             ("mixed_docs_one_core", "mixed-core", "%d mixed docs, 1 CPU" % ndocs),
                             ("mixed_docs_baseline", "mixed-base", "%d mixed docs, baseline" % ndocs)):
        fi = fresh_ingests(res, name)
        if fi:
            fi["label"] = label
            ingests[key] = fi
    bench["fresh_ingests"] = ingests
    bench["first_ingest_mixed"] = {"documents": ndocs, "pages": f["mixed_pages"],
                                   "chunks": f["mixed_chunks"],
                                   "duration_s": ingests["mixed_docs"]["duration_s"]}
    rss = " / ".join("%.1f (%s)" % (v["peak_rss_kib"]["median"] / 1024, v["label"])
                     for v in ingests.values())
    rows.append(("peak RSS, first full ingest (MiB)", rss, "", "", "", ""))
    # The default run against one thread (ingest.threads=1), and against the same run
    # pinned to one CPU (the writer and the threads share it): what every core buys.
    for key, peer, duration_key, speedup_key, note in (
            ("mixed_docs_one_thread", "1 thread", "one_thread_duration_s", "parallel_speedup",
             lambda x: "%s threads (default) vs ingest.threads=1; target >= 1.6x: %s"
             % (f["nproc"], "PASS" if x >= 1.6 else "FAIL")),
            ("mixed_docs_one_core", "1 CPU", "one_cpu_duration_s", "cpu_speedup",
             lambda x: "%s CPUs vs pinned to one (taskset -c 0): what the second core buys"
             % f["nproc"]),
            ("mixed_docs_baseline", "baseline", "baseline_duration_s", "baseline_speedup",
             lambda x: "vs %s (where issue 14 started); target >= 1.6x: %s"
             % (f.get("baseline", "?"), "PASS" if x >= 1.6 else "FAIL"))):
        slow = ingests.get(key)
        if not slow:
            continue
        speedup = slow["duration_s"]["median"] / ingests["mixed_docs"]["duration_s"]["median"]
        bench["first_ingest_mixed"][duration_key] = slow["duration_s"]
        bench["first_ingest_mixed"][speedup_key] = speedup
        rows.append(("first ingest, %d mixed docs (s)" % ndocs,
                     fmt_s(ingests["mixed_docs"]["duration_s"]["median"]), peer,
                     fmt_s(slow["duration_s"]["median"]), "%.2fx" % speedup, note(speedup)))

    # print
    title = ("ragops benchmark: %d-page text-PDF corpus (%d files), %d mixed documents; "
             "medians of %d runs (%s), %d CPUs, load %s"
             % (pages, files, ndocs, f["runs"], f["timer"], f["nproc"], f["loadavg"]))
    print()
    print(title)
    print()
    print("%-42s %-9s %-16s %-9s %-7s %s" % ("benchmark", "ragops", "peer", "", "ratio", ""))
    for name, val, peer, pval, rat, extra in rows:
        if not peer:
            print("%-42s %s" % (name, val))
        else:
            print("%-42s %-9s %-16s %-9s %-7s %s" % (name, val, peer, pval, rat, extra))
    print()
    print("ratio: pages/s rows = ragops / peer (above 1 = ragops faster);"
          " seconds row = ragops / peer (above 1 = ragops slower)")
    for n in notes:
        print(n)
    mi = ingests["mixed_docs"]["duration_s"]
    print("first ingest of %d mixed docs (%d pages, %d chunks): median %s s [%s-%s], %d runs"
          % (ndocs, f["mixed_pages"], f["mixed_chunks"], fmt_s(mi["median"]), fmt_s(mi["min"]),
             fmt_s(mi["max"]), ingests["mixed_docs"]["runs"]))
    print()
    print("timings:")
    for s in spreads:
        print(s)
    print()
    print("ragops stage seconds (median of %d fresh ingests; re-run: last run)" % f["rss_runs"])
    print("  %-30s" % "" + "".join("%9s" % s for s in STAGES))
    for v in ingests.values():
        print("  %-30s" % v["label"] + "".join("%9.3f" % v["stage_seconds_median"][s] for s in STAGES))
    rs = bench["rerun_unchanged"]["stage_seconds"]
    if rs:
        print("  %-30s" % ("re-run %d" % ndocs) + "".join("%9.3f" % rs.get(s, 0) for s in STAGES))
    print()

    result = {
        "schema": 1,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "elapsed_s": f["elapsed_s"],
        "environment": {k: f[k] for k in ("nproc", "loadavg", "uname", "ragops_version",
                                          "ragops_binary", "ragops_sha256", "git_commit", "git_dirty",
                                          "pdftotext_version", "mutool_version", "timer",
                                          "timer_version", "rss_source")},
        "settings": {"runs": f["runs"], "warmup": 1, "rss_runs": f["rss_runs"],
                     "target_s": target, "strict": strict},
        "benchmarks": bench,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_json)), exist_ok=True)
    with open(out_json, "w") as fp:
        json.dump(result, fp, indent=2)
        fp.write("\n")
    print("wrote %s (bench took %.0f s)" % (out_json, f["elapsed_s"]))
    if not ok:
        print("bench: re-run of %d unchanged documents took %.3f s: target < %g s missed"
              % (ndocs, rr["median"], target), file=sys.stderr)
        if strict:
            sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Helpers of bench/releases.sh.  Standard library only.

  releases_report.py edit DOCS ORIG ROUND PERCENT SEED OUT.json
      change PERCENT % of the documents under DOCS (at least one), the same
      documents every round, chosen by SEED: in each, PARAS_PER_EDIT
      paragraphs (chosen per round) get their words shuffled, so the file's
      bytes, paragraph sizes and chunk count stay the same while its text,
      and so every chunk of the document, is new.  ORIG keeps the pristine
      files (saved on the first round): round K always starts from them with
      its own shuffle, so no round brings back the content of an earlier one
      (a document version ragops may still hold would not be a real change).
      OUT.json: the files changed, of how many.
  releases_report.py golden DOCS SAMPLES N SEED OUT.jsonl
      N golden questions about the corpus (see cmd_golden), so that the gate
      really measures each candidate: since f5f42a3 it skips the golden
      evaluation when no expected document is in the release, which is what
      samples/golden.jsonl would give on this corpus.
  releases_report.py tasks RUNS_SHOW.json OUT.json
      the corpus tasks of one ragops run (`ragops runs show ID --json`):
      release, embed, lexicon, validate, publish (the promotion), retention
      -> seconds each
  releases_report.py report RES OUT.json
      the table, the targets (PASS/MISS) and OUT.json
"""
import json
import math
import os
import random
import re
import shutil
import statistics
import sys
import textwrap
import time

from facts import die, load_facts, load_json, save_json

PARAS_PER_EDIT = 3
TARGET_RUN_RATIO = 1.3
TARGET_DISK_SHARE = 0.05
TARGET_SWITCH_S = 1.0
TARGET_P99_RATIO = 2.0
STRING_FACTS = ("git_commit", "ragops_sha256", "loadavg_start", "loadavg_end", "peer_commit",
                "peer_skipped", "peer_sha256", "peer_version")


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# --- edit --------------------------------------------------------------------

def cmd_edit(docs, orig, rnd, percent, seed, out):
    rnd, percent = int(rnd), float(percent)
    files = sorted(os.path.relpath(os.path.join(d, f), docs)
                   for d, _, fs in os.walk(docs) for f in fs if f.endswith(".md"))
    if not files:
        die("no .md files under %s" % docs)
    n = max(1, int(round(len(files) * percent / 100.0)))
    chosen = sorted(random.Random("releases-%s" % seed).sample(files, n))
    paragraphs = 0
    for rel in chosen:
        keep = os.path.join(orig, rel)
        if not os.path.exists(keep):
            os.makedirs(os.path.dirname(keep), exist_ok=True)
            shutil.copyfile(os.path.join(docs, rel), keep)
        with open(keep, encoding="utf-8") as fp:
            lines = fp.read().split("\n")
        # "# title", "", then paragraphs separated by blank lines; the first
        # paragraph shares its chunk with the title: left alone
        paras = [i for i, l in enumerate(lines) if l and not l.startswith("#")][1:]
        if not paras:
            die("%s has no paragraph to rewrite" % rel)
        rng = random.Random("%s:%d:%s" % (seed, rnd, rel))
        for i in rng.sample(paras, min(PARAS_PER_EDIT, len(paras))):
            words = lines[i].split(" ")
            before = lines[i]
            for _ in range(10):
                rng.shuffle(words)
                lines[i] = " ".join(words)
                if lines[i] != before:
                    break
            paragraphs += 1
        with open(os.path.join(docs, rel), "w", encoding="utf-8", newline="\n") as fp:
            fp.write("\n".join(lines))
    save_json(out, {"round": rnd, "files": len(files), "changed": n, "share": n / len(files),
                    "paragraphs_rewritten": paragraphs, "changed_files": chosen[:20]})
    print(n)


# --- golden ------------------------------------------------------------------

def cmd_golden(docs, samples, n, seed, out):
    """N golden questions about the synthetic corpus: a phrase of 4-8 words
    copied from the first paragraph of a document drawn by SEED (a paragraph
    the edits never touch), expecting that document on page 1; plus the
    unanswerable questions of SAMPLES (samples/golden.jsonl), in the same
    proportion as there.  Prints how many."""
    n = int(n)
    files = sorted(os.path.relpath(os.path.join(d, f), docs)
                   for d, _, fs in os.walk(docs) for f in fs if f.endswith(".md"))
    with open(samples, encoding="utf-8") as fp:
        sample = [json.loads(l) for l in fp if l.strip()]
    unans = [q for q in sample if not q.get("doc")]
    n_unans = min(len(unans), int(round(n * len(unans) / float(len(sample)))))
    rng = random.Random("golden-%s" % seed)
    qs = []
    for k, rel in enumerate(rng.sample(files, min(len(files), n - n_unans))):
        with open(os.path.join(docs, rel), encoding="utf-8") as fp:
            first = [l for l in fp.read().split("\n") if l and not l.startswith("#")][0]
        words = [w.strip(".,?") for w in first.split()]
        words = [w for w in words if w]
        size = rng.randint(4, 8)
        at = rng.randint(0, max(0, len(words) - size))
        qs.append({"id": "s%03d" % (k + 1), "question": " ".join(words[at:at + size]), "lang": "fr",
                   "doc": rel, "page": 1, "phrases": [], "kind": "keyword"})
    qs += unans[:n_unans]
    with open(out, "w", encoding="utf-8") as fp:
        for q in qs:
            fp.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(len(qs))


# --- tasks -------------------------------------------------------------------

def cmd_tasks(runs_show, out):
    r = load_json(runs_show)
    if r.get("tasks_total") is not None and r["tasks_total"] != len(r["tasks"]):
        die("%s lists %d of %d tasks" % (runs_show, len(r["tasks"]), r["tasks_total"]))
    secs = {}
    for t in r["tasks"]:
        if t["document"] == "(corpus)":
            secs[t["stage"]] = secs.get(t["stage"], 0.0) + (t["duration_ms"] or 0) / 1e3
            if t["state"] not in ("completed", "cached"):
                die("run %s: corpus task %s is %s: %s" % (r["id"], t["stage"], t["state"], t["error"]))
    save_json(out, secs)


# --- report ------------------------------------------------------------------

def pct(sorted_vals, p):
    k = max(1, math.ceil(p / 100.0 * len(sorted_vals)))
    return sorted_vals[k - 1]


def fmt(x, d=2):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return ("%%.%df" % d) % x if abs(x) < 1000 else "%.0f" % x


def mib(b):
    return "-" if b is None else "%.1f MiB" % (b / 2 ** 20)


def verdict(ok):
    return "-" if ok is None else ("PASS" if ok else "MISS")


# order in which the stages are printed; "publish" holds release ... retention
STAGES = ["collect", "extract", "ocr", "clean", "chunk", "index", "embed", "lexicon", "publish"]
PUBLISH_PARTS = ["release", "embed", "lexicon", "validate", "promote", "retention"]


def runs_block(res, f, who):
    rounds = int(f["runs"])
    walls, rss, cpu, durs, stages, parts, rel = [], [], [], [], {}, {}, []
    for k in range(1, rounds + 1):
        base = os.path.join(res, "%s-run-%d" % (who, k))
        if not os.path.exists(base + ".json"):
            return None
        walls.append(f["%s_run_%d_wall_s" % (who, k)])
        t = open(base + ".time").read().split()
        rss.append(int(t[0]))
        cpu.append(float(t[1]) + float(t[2]))
        r = load_json(base + ".json")
        durs.append(r["duration_s"])
        rel.append(r.get("release"))
        m = load_json(base + ".metrics.json")
        for s, v in m["stage_seconds"].items():
            stages.setdefault(s, []).append(v)
        if os.path.exists(base + ".tasks.json"):
            tk = load_json(base + ".tasks.json")
            tk["promote"] = tk.pop("publish", 0.0)
            for s in PUBLISH_PARTS:
                parts.setdefault(s, []).append(tk.get(s, 0.0))
            parts.setdefault("other", []).append(m["stage_seconds"].get("publish", 0.0)
                                                 - sum(tk.get(s, 0.0) for s in PUBLISH_PARTS))
    return {
        "wall_s": {"median": med(walls), "all": walls},
        "run_duration_s": {"median": med(durs), "all": durs},
        "peak_rss_kib": {"median": med(rss), "all": rss},
        "cpu_s": {"median": med(cpu), "all": cpu},
        "stage_seconds_median": {s: med(v) for s, v in stages.items()},
        "publish_parts_median": {s: med(v) for s, v in parts.items()} or None,
        "releases": rel,
    }


def dir_sizes(f, name):
    keys = ("db", "wal", "models")
    if ("%s_db_bytes" % name) not in f:
        return None
    d = {k: f.get("%s_%s_bytes" % (name, k), 0) for k in keys}
    d["total"] = sum(d.values())
    return d


def cmd_report(res, out_json):
    f = load_facts(os.path.join(res, "facts.tsv"), STRING_FACTS)
    strict = os.environ.get("BENCH_STRICT") == "1"
    have_peer = not f.get("peer_skipped")
    edits = [load_json(os.path.join(res, "edit-%d.json" % k)) for k in range(1, int(f["runs"]) + 1)]
    new = runs_block(res, f, "new")
    old = runs_block(res, f, "old") if have_peer else None
    ratios = []
    if old:
        ratios = [a / b for a, b in zip(new["wall_s"]["all"], old["wall_s"]["all"])]
    run_ratio = med(ratios)
    cpu_ratios = [a / b for a, b in zip(new["cpu_s"]["all"], old["cpu_s"]["all"])] if old else []

    # --- disk
    live = dir_sizes(f, "live")
    peer_live = dir_sizes(f, "peer_live")
    a, b = dir_sizes(f, "keep"), dir_sizes(f, "drop")
    extra = a["total"] - b["total"]
    disk = {
        "live": live, "peer_live": peer_live, "with_previous_vacuumed": a, "without_previous_vacuumed": b,
        "extra_bytes": extra, "extra_db_bytes": (a["db"] + a["wal"]) - (b["db"] + b["wal"]),
        "extra_models_bytes": a["models"] - b["models"],
        "extra_share": extra / a["total"], "extra_share_of_live": extra / live["total"],
        "rows_with_previous": {k[len("keep_rows_"):]: v for k, v in f.items() if k.startswith("keep_rows_")},
        "rows_without_previous": {k[len("drop_rows_"):]: v for k, v in f.items() if k.startswith("drop_rows_")},
        "previous_release": f.get("previous_release"), "production_release": f.get("production_release"),
    }

    # --- deploy
    def times(name):
        path = os.path.join(res, name + ".times")
        if not os.path.exists(path):
            return []
        return [float(x) for x in open(path).read().split()]
    deploy = {}
    for name in ("rollback", "promote_force", "promote_gate"):
        xs = times(name)
        deploy[name] = {"median_s": med(xs), "max_s": max(xs) if xs else None, "all": xs}

    # --- serve
    serve = {}
    for ph in ("outside", "during"):
        w = load_json(os.path.join(res, "wrk-%s.json" % ph))
        bad = sum(v for s, v in w["status"].items() if s != "200")
        errs = w["socket_errors"]
        serve[ph] = {"p50_ms": w["percentiles_ms"]["50"], "p99_ms": w["percentiles_ms"]["99"],
                     "max_ms": w["latency_max_ms"], "requests_per_s": w["requests_per_s"],
                     "requests": w["requests"], "non_2xx_3xx": w["non_2xx_3xx"], "non_200": bad,
                     "socket_errors": errs,
                     "answered_by_release": json.loads(f.get("answered_by_%s" % ph, "{}") or "{}")}
    sw = [l.split() for l in open(os.path.join(res, "switches.log")).read().splitlines() if l.strip()]
    sw_fail = [l for l in sw if l[2] != "0"]
    sw_times = [float(l[1]) for l in sw]
    sw_cpu = sum(float(l[3]) + float(l[4]) for l in sw)
    serve["switches"] = {"count": len(sw), "failed": len(sw_fail), "median_s": med(sw_times),
                         "cpu_s": sw_cpu, "cores_busy": sw_cpu / float(f["serve_seconds"]),
                         "max_s": max(sw_times) if sw_times else None,
                         "interval_s": f.get("switch_interval_s")}
    # the server's own view (serve.log): time inside the server per request, by phase; release loads
    loads, inside = [], {"outside": [], "during": []}
    lp = os.path.join(res, "serve.log")
    if os.path.exists(lp):
        for line in open(lp, encoding="utf-8", errors="replace"):
            try:
                e = json.loads(line)
            except ValueError:
                continue
            msg = e.get("msg", "")
            m = re.search(r"loaded release (\d+) \((\d+) chunks\) in ([\d.]+) ms", msg)
            if m:
                loads.append(float(m.group(3)))
            m = re.match(r"^/api/ask \d+ ([\d.]+) ms", msg)
            if m:
                for ph in inside:
                    if str(f.get(ph + "_from", "~")) <= e.get("time", "") <= str(f.get(ph + "_to", "")):
                        inside[ph].append(float(m.group(1)))
    for ph, xs in inside.items():
        xs.sort()
        serve[ph]["inside_server_ms"] = {"requests": len(xs), "p50": pct(xs, 50) if xs else None,
                                         "p99": pct(xs, 99) if xs else None, "max": xs[-1] if xs else None,
                                         "over_1s": sum(1 for x in xs if x > 1000)}
    serve["release_loads"] = {"count": len(loads), "median_ms": med(loads), "max_ms": max(loads) if loads else None,
                              "all_ms": loads}
    p99_ratio = serve["during"]["p99_ms"] / serve["outside"]["p99_ms"]
    p50_ratio = serve["during"]["p50_ms"] / serve["outside"]["p50_ms"]

    checks = {
        "incremental_run_ratio": {"value": run_ratio, "max": TARGET_RUN_RATIO,
                                  "pass": None if run_ratio is None else run_ratio <= TARGET_RUN_RATIO},
        "extra_disk_share": {"value": disk["extra_share"], "max": TARGET_DISK_SHARE,
                             "pass": disk["extra_share"] <= TARGET_DISK_SHARE},
        "rollback_s": {"value": deploy["rollback"]["median_s"], "max": TARGET_SWITCH_S,
                       "pass": deploy["rollback"]["median_s"] < TARGET_SWITCH_S},
        "promote_force_s": {"value": deploy["promote_force"]["median_s"], "max": TARGET_SWITCH_S,
                            "pass": deploy["promote_force"]["median_s"] < TARGET_SWITCH_S},
        "serve_p99_ratio": {"value": p99_ratio, "max": TARGET_P99_RATIO, "pass": p99_ratio <= TARGET_P99_RATIO},
        "serve_no_failed_request": {
            "value": sum(serve[p]["non_200"] + serve[p]["non_2xx_3xx"] + serve[p]["socket_errors"]["connect"]
                         + serve[p]["socket_errors"]["read"] + serve[p]["socket_errors"]["write"]
                         + serve[p]["socket_errors"]["timeout"] for p in ("outside", "during")),
            "max": 0, "pass": None},
        "switches_all_succeeded": {"value": len(sw_fail), "max": 0, "pass": not sw_fail and len(sw) > 0},
    }
    checks["serve_no_failed_request"]["pass"] = checks["serve_no_failed_request"]["value"] == 0

    # --- table
    e0 = edits[0]
    n = int(f["chunks"])
    W = 48

    def row(label, ours="", peer="", ratio="", target="", ok=None):
        print("%-*s %15s %15s %8s %9s %5s" % (W, label, ours, peer, ratio, target, verdict(ok) if ok is not None else ""))

    print()
    print("ragops releases benchmark: %s chunks in %s documents; before each timed run %d of them (%.1f%%) get %d"
          " paragraphs rewritten; %d rounds; %s cores (load %s)"
          % (format(n, ","), format(e0["files"], ","), e0["changed"], 100 * e0["share"],
             e0["paragraphs_rewritten"], int(f["runs"]), f["nproc"], f["loadavg_start"]))
    peer_name = "%s (before)" % f.get("peer_commit", "peer") if have_peer else "peer: skipped"
    row("", "ragops", peer_name, "ratio", "target")
    row("incremental run after the change: wall s", fmt(new["wall_s"]["median"]),
        fmt(old["wall_s"]["median"]) if old else "-", fmt(run_ratio) + "x" if run_ratio else "-",
        "<= %.1fx" % TARGET_RUN_RATIO, checks["incremental_run_ratio"]["pass"])
    row("  each round", " ".join(fmt(x, 1) for x in new["wall_s"]["all"]),
        " ".join(fmt(x, 1) for x in old["wall_s"]["all"]) if old else "-", " ".join(fmt(x, 2) for x in ratios))
    row("  CPU s (user+sys)", fmt(new["cpu_s"]["median"], 1), fmt(old["cpu_s"]["median"], 1) if old else "-",
        fmt(med(cpu_ratios)) + "x" if cpu_ratios else "-", "info")
    row("  peak RSS MiB", "%.0f" % (new["peak_rss_kib"]["median"] / 1024),
        "%.0f" % (old["peak_rss_kib"]["median"] / 1024) if old else "-")
    ns, os_ = new["stage_seconds_median"], (old["stage_seconds_median"] if old else {})
    pp = new["publish_parts_median"] or {}
    for s in STAGES:
        if s not in ns and s not in os_:
            continue
        if s in ("embed", "lexicon") and pp:
            continue  # inside publish for ragops: shown there, side by side with the peer's
        if s == "publish":
            row("  stage publish (release .. retention) s", fmt(ns.get(s)), "-")
            for part in PUBLISH_PARTS + ["other"]:
                label = {"validate": "validate (the gate)", "promote": "promote (publish task)"}.get(part, part)
                peer = fmt(os_.get(part)) if old and part in ("embed", "lexicon") else "-"
                row("    %s s" % label, fmt(pp.get(part)), peer)
            continue
        row("  stage %s s" % s, fmt(ns.get(s)), fmt(os_.get(s)) if old else "-")
    row("extra disk for the previous release", mib(extra), "-", "%.1f%%" % (100 * disk["extra_share"]),
        "<= %.0f%%" % (100 * TARGET_DISK_SHARE), checks["extra_disk_share"]["pass"])
    row("  document versions (db) / lexicon (models/)", mib(disk["extra_db_bytes"]), mib(disk["extra_models_bytes"]))
    row("  data folder, production + previous (vacuumed)", mib(a["total"]))
    row("  data folder, production alone (vacuumed)", mib(b["total"]))
    row("  data folder after the runs (as left)", mib(live["total"]),
        mib(peer_live["total"]) if peer_live else "-")
    for name, label, tgt in (("rollback", "ragops deploy rollback: median s", True),
                             ("promote_force", "ragops deploy promote ID --force: median s", True),
                             ("promote_gate", "ragops deploy promote ID (the gate): median s", False)):
        d = deploy[name]
        row(label, fmt(d["median_s"], 3), "-", "max %s" % fmt(d["max_s"], 2),
            "< %.0f s" % TARGET_SWITCH_S if tgt else "info", checks["%s_s" % name]["pass"] if tgt else None)
    so, sd = serve["outside"], serve["during"]
    row("serve /api/ask p99 ms: outside / during", "%s / %s" % (fmt(so["p99_ms"], 1), fmt(sd["p99_ms"], 1)),
        "-", fmt(p99_ratio) + "x", "<= %.0fx" % TARGET_P99_RATIO, checks["serve_p99_ratio"]["pass"])
    row("  p50 ms: outside / during", "%s / %s" % (fmt(so["p50_ms"], 1), fmt(sd["p50_ms"], 1)), "-",
        fmt(p50_ratio) + "x")
    io, idu = so["inside_server_ms"], sd["inside_server_ms"]
    row("  inside the server p50 / p99 ms: outside", "%s / %s" % (fmt(io["p50"], 1), fmt(io["p99"], 1)), "-",
        "max %s" % fmt(io["max"], 0))
    row("  inside the server p50 / p99 ms: during", "%s / %s" % (fmt(idu["p50"], 1), fmt(idu["p99"], 1)), "-",
        "max %s" % fmt(idu["max"], 0))
    row("  req/s: outside / during", "%s / %s" % (fmt(so["requests_per_s"], 0), fmt(sd["requests_per_s"], 0)))
    row("  failed requests: outside / during", "%d / %d" % (
        so["non_2xx_3xx"] + so["non_200"] + sum(so["socket_errors"].values()),
        sd["non_2xx_3xx"] + sd["non_200"] + sum(sd["socket_errors"].values())), "-", "", "0",
        checks["serve_no_failed_request"]["pass"])
    row("  first /api/ask (loads the release) s", fmt(f.get("first_ask_s")))
    rl = serve["release_loads"]
    row("  server: releases loaded / median ms", "%d / %s" % (rl["count"], fmt(rl["median_ms"], 0)), "-",
        "max %s" % fmt(rl["max_ms"], 0) if rl["max_ms"] is not None else "")
    row("  switches during: done / failed", "%d / %d" % (len(sw), len(sw_fail)), "-", "", "0 failed",
        checks["switches_all_succeeded"]["pass"])
    print()
    notes = [
        "run: wall seconds of the whole `ragops run` process after the change (the first ingest is setup, not"
        " measured); ratio = ragops / peer in the same round (back to back, the order alternating), median over"
        " rounds.  Golden set of the gate (validate.golden): %s.  The gate on the last round: %s.  publish ="
        " release + embed + lexicon + validate + promote + retention (+ other), from the run's corpus tasks;"
        " the peer's embed and lexicon are stages of its own."
        % (f.get("golden", "?"), (new["releases"][-1] or {}).get("message", "?")),
        "disk: the data folder after the last round, copied twice; in one copy production forgets the release"
        " it replaced (sqlite3: previous_id = NULL); in both, ragops's own retention runs (a run adding a"
        " one-line document from a second inbox, refused by the gate with validate.max_chunk_chars=100, under"
        " releases.keep=0), then sqlite3 VACUUM.  Extra = (production + previous) - (production alone), files"
        " ragops.db + -wal + models/; share of production + previous.  The rows only the previous release"
        " holds: %s chunks, %s full-text rows, %s vectors, %s model(s)."
        % tuple(disk["rows_with_previous"].get(k, 0) - disk["rows_without_previous"].get(k, 0)
                for k in ("chunks", "fts_rows", "vectors", "models")),
        "deploy: wall seconds of each `ragops deploy` process: %d rollbacks to release %s and %d forced"
        " promotions of release %s, alternating; then %d promotions through the gate (structure + golden"
        " evaluation, each after a rollback not counted above)."
        % (len(deploy["rollback"]["all"]), f.get("previous_release"), len(deploy["promote_force"]["all"]),
           f.get("production_release"), len(deploy["promote_gate"]["all"])),
        "serve: wrk %s threads x %s connections (closed loop, latency from wrk --latency), %s s without"
        " promotions, then %s s while another process runs `deploy rollback` and `deploy promote %s --force` in"
        " turn, %s s apart: %d switches (median %s s each, %.2f cores busy with them).  Inside the server:"
        " serve.log's time of each /api/ask of the phase (wrk's latency adds the wait for a server thread and"
        " a core); releases loaded: the server's \"loaded release\" lines (a switch it saw).  Answers by"
        " release (query log): outside %s, during %s."
        % (f["wrk_threads"], f["connections"], f["serve_seconds"], f["serve_seconds"], f.get("production_release"),
           f.get("switch_interval_s"), len(sw), fmt(med(sw_times), 2), serve["switches"]["cores_busy"],
           json.dumps(so["answered_by_release"]), json.dumps(sd["answered_by_release"])),
    ]
    if not have_peer:
        notes.append("peer column skipped: %s" % f.get("peer_skipped"))
    for note in notes:
        print(textwrap.fill(note, 118, initial_indent=" - ", subsequent_indent="   "))

    ok = all(c["pass"] for c in checks.values() if c["pass"] is not None)
    result = {
        "schema": 1,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "elapsed_s": f.get("elapsed_s"),
        "environment": {k: f.get(k) for k in (
            "nproc", "loadavg_start", "loadavg_end", "uname", "cpu", "ragops_version", "ragops_binary",
            "ragops_sha256", "git_commit", "git_dirty", "peer_commit", "peer_version", "peer_sha256",
            "peer_skipped", "wrk_version", "python")},
        "settings": {"chunks": n, "documents": e0["files"], "changed_documents": e0["changed"],
                     "changed_share": e0["share"], "paragraphs_rewritten": e0["paragraphs_rewritten"],
                     "runs": int(f["runs"]), "seed": f.get("seed"), "golden": f.get("golden"),
                     "serve_seconds": f["serve_seconds"], "connections": f["connections"],
                     "wrk_threads": f["wrk_threads"], "switch_interval_s": f.get("switch_interval_s")},
        "setup": {k: f.get(k) for k in ("new_ingest_wall_s", "old_ingest_wall_s", "generate_s", "peer_build_s",
                                        "first_ask_s", "server_threads", "server_peak_rss_kib", "server_exit")},
        "incremental_run": {"ragops": new, "peer": old, "ratio_median": run_ratio, "ratios": ratios,
                            "cpu_ratio_median": med(cpu_ratios), "cpu_ratios": cpu_ratios,
                            "edits": edits},
        "disk": disk,
        "deploy": deploy,
        "serve": serve,
        "checks": checks,
        "pass": ok,
    }
    save_json(out_json, result)
    print("wrote %s (bench took %.0f s)" % (out_json, f.get("elapsed_s", 0)))
    if not ok:
        print("bench: releases targets missed: %s" % ", ".join(k for k, c in checks.items() if c["pass"] is False),
              file=sys.stderr)
        if strict:
            sys.exit(1)


def main():
    cmds = {"edit": (cmd_edit, 6), "golden": (cmd_golden, 5), "tasks": (cmd_tasks, 2), "report": (cmd_report, 2)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) != 2 + cmds[sys.argv[1]][1]:
        sys.exit(__doc__)
    cmds[sys.argv[1]][0](*sys.argv[2:])


if __name__ == "__main__":
    main()

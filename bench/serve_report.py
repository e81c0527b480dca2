#!/usr/bin/python3
"""Helpers of bench/serve.sh.  Standard library only.

  serve_report.py bodies GOLDEN BODIES QUESTIONS
      the golden questions as /api/ask request bodies (one JSON object per
      line, for bench/serve_ask.lua) and as plain lines (for the CLI peer);
      prints how many
  serve_report.py wait URL SECONDS PID
      poll URL until it answers 200 (exit 0), the process PID is gone or
      SECONDS pass (exit 1)
  serve_report.py wrk NAME WRK_OUT OUT.json
      wrk's --latency summary and the scripts' "serve:" lines -> numbers
  serve_report.py cli BIN DATA QUESTIONS N OUT.json
      the peer: N `ragops --data DATA ask QUESTION` processes one after the
      other, cycling through QUESTIONS (after one untimed warm-up), each
      timed (wall, and CPU from wait4)
  serve_report.py feedback DB PREFIX ACKED FEEDBACK_DIR FB_WRK.json OUT.json
      match the feedback rows to the 201 replies wrk saw (by feedback_text)
  serve_report.py log SERVE_LOG OUT.json
      the serve log summed up: requests by route and status, cut
      connections, warnings and errors
  serve_report.py report RES OUT.json
      the table, the checks (exit 1 when one fails) and OUT.json
"""
import collections
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request

from facts import die, load_facts, load_json, save_json


def nearest_rank(sorted_xs, p):
    return sorted_xs[max(0, math.ceil(p / 100 * len(sorted_xs)) - 1)]


# --- bodies ----------------------------------------------------------------

def cmd_bodies(golden, bodies, questions):
    qs = []
    with open(golden, encoding="utf-8") as fp:
        for line in fp:
            if line.strip():
                q = json.loads(line)["question"]
                if "\n" in q or not q.strip():
                    die("%s: question %r cannot go on one line" % (golden, q))
                qs.append(q)
    if not qs:
        die("no questions in %s" % golden)
    with open(bodies, "w", encoding="utf-8") as b, open(questions, "w", encoding="utf-8") as p:
        for q in qs:
            # ASCII-only JSON: one line whatever the question holds
            b.write(json.dumps({"question": q}, ensure_ascii=True) + "\n")
            p.write(q + "\n")
    print(len(qs))


# --- wait ------------------------------------------------------------------

def cmd_wait(url, seconds, pid):
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        if not os.path.exists("/proc/%s" % pid):
            sys.exit(1)
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(1)


# --- wrk -------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        die("cannot read wrk's duration '%s'" % text)
    return float(m.group(1)) * UNITS[m.group(2)]


def cmd_wrk(name, wrk_out, out):
    text = open(wrk_out, encoding="utf-8", errors="replace").read()
    r = {"name": name, "percentiles_ms": {}, "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
         "non_2xx_3xx": 0, "status": {}}
    m = re.search(r"(\d+) threads and (\d+) connections", text)
    if not m:
        die("%s: no wrk summary in %s:\n%s" % (name, wrk_out, text[-2000:]))
    r["threads"], r["connections"] = int(m.group(1)), int(m.group(2))
    m = re.search(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    r["latency_avg_ms"], r["latency_stdev_ms"], r["latency_max_ms"] = (ms(m.group(i)) for i in (1, 2, 3))
    for p, v in re.findall(r"^\s*(50|75|90|99)%\s+(\S+)", text, re.M):
        r["percentiles_ms"][p] = ms(v)
    if "99" not in r["percentiles_ms"] or "50" not in r["percentiles_ms"]:
        die("%s: no latency distribution in wrk's output (--latency?)" % name)
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", text)
    r["requests"] = int(m.group(1))
    r["duration_s"] = float(m.group(2)) * UNITS[m.group(3)] / 1e3
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        r["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        r["non_2xx_3xx"] = int(m.group(1))
    r["requests_per_s"] = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    for k, v in re.findall(r"^serve: (\w+) (\d+)$", text, re.M):
        r[k] = int(v)
    for s, v in re.findall(r"^serve: status (\d+) (\d+)$", text, re.M):
        r["status"][s] = int(v)
    m = re.search(r"^201s returned: (\d+)$", text, re.M)
    if m:
        r["returned_201"] = int(m.group(1))
    save_json(out, r)


# --- the CLI peer ------------------------------------------------------------

def cmd_cli(binary, data, questions, n, out):
    qs = [q for q in open(questions, encoding="utf-8").read().split("\n") if q]
    n = int(n)

    def one(q):
        t0 = time.perf_counter()
        p = subprocess.Popen([binary, "--data", data, "ask", q], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        err = p.stderr.read().decode("utf-8", "replace")
        p.stderr.close()
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            die("'ragops ask %s' exited %d: %s" % (q, p.returncode, err.strip()[-500:]))
        return wall, ru.ru_utime + ru.ru_stime

    one(qs[-1])  # warm-up: page cache, not timed
    walls, cpus = [], []
    t0 = time.perf_counter()
    for i in range(n):
        w, c = one(qs[i % len(qs)])
        walls.append(w)
        cpus.append(c)
    total = time.perf_counter() - t0
    s = sorted(walls)
    save_json(out, {
        "processes": n, "distinct_questions": min(n, len(qs)), "seconds": total,
        "questions_per_s": n / total,
        "percentiles_ms": {p: nearest_rank(s, int(p)) * 1e3 for p in ("50", "75", "90", "99")},
        "latency_avg_ms": sum(walls) / n * 1e3, "latency_max_ms": s[-1] * 1e3,
        "cpu_ms_per_question": sum(cpus) / n * 1e3,
    })


# --- feedback rows against the 201s ------------------------------------------

def cmd_feedback(db, prefix, acked_path, fb_dir, fb_wrk, out):
    w = load_json(fb_wrk)
    acked = [t for t in open(acked_path, encoding="utf-8").read().split("\n") if t]
    returned = w.get("returned_201", 0)
    pat = re.compile(r"^%s-(\d+)-(\d+)$" % re.escape(prefix))
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = con.execute("SELECT id, feedback_text, rating, query_id FROM feedback WHERE feedback_text LIKE ?",
                       (prefix + "-%",)).fetchall()
    total_rows = con.execute("SELECT count(*) FROM feedback").fetchone()[0]
    con.close()
    by_text = collections.Counter(r[1] for r in rows)
    acked_set = set(acked)
    problems = []
    if len(acked) != returned:
        problems.append("%d feedback_text values read from %d 201 replies" % (len(acked), returned))
    if len(acked_set) != len(acked):
        problems.append("%d 201 replies repeat another's feedback_text" % (len(acked) - len(acked_set)))
    bad = [t for t in acked_set if not pat.match(t)]
    if bad:
        problems.append("%d 201 replies carry a feedback_text never sent (%r)" % (len(bad), bad[0]))
    rows_acked = sum(by_text[t] for t in acked_set)
    missing = [t for t in acked_set if by_text[t] == 0]
    if missing:
        problems.append("%d 201 replies have no row (e.g. %r)" % (len(missing), missing[0]))
    dup = {t: c for t, c in by_text.items() if c > 1}
    if dup:
        problems.append("%d feedback_text values have several rows (e.g. %r x%d)"
                        % (len(dup), next(iter(dup)), next(iter(dup.values()))))
    unacked = [r for r in rows if r[1] not in acked_set]
    in_flight = max(0, w.get("built", 0) - w.get("responses", 0))
    if len(unacked) > in_flight:
        problems.append("%d rows have no 201 reply, and wrk left only %d requests unanswered"
                        % (len(unacked), in_flight))
    if any(not pat.match(r[1]) for r in unacked):
        problems.append("rows with a feedback_text that was never sent")
    no_file = [r[0] for r in rows if not os.path.exists(os.path.join(fb_dir, "feedback-%06d.json" % r[0]))]
    if no_file:
        problems.append("%d rows have no %s/feedback-<id>.json file (e.g. id %d)" % (len(no_file), fb_dir, no_file[0]))
    ratings = collections.Counter(r[2] for r in rows)
    save_json(out, {
        "prefix": prefix, "returned_201": returned, "rows_matching_201s": rows_acked,
        "rows_with_prefix": len(rows), "rows_in_table": total_rows,
        "rows_without_reply": len(unacked), "requests_unanswered_at_wrk_stop": in_flight,
        "rows_without_file": len(no_file), "ratings": {str(k): v for k, v in sorted(ratings.items())},
        "query_id_null": sum(1 for r in rows if r[3] is None),
        "problems": problems, "ok": not problems,
    })


# --- the serve log -----------------------------------------------------------

def cmd_log(path, out):
    by = collections.Counter()
    times = collections.defaultdict(list)
    cut = collections.Counter()
    levels = collections.Counter()
    other = []
    lines = 0
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as fp:
            for line in fp:
                lines += 1
                try:
                    e = json.loads(line)
                except ValueError:
                    other.append(line.strip()[:200])
                    continue
                levels[e.get("level", "?")] += 1
                msg = e.get("msg", "")
                m = re.match(r"^(\S+) (\d+) ([\d.]+) ms( \(connection cut\))?$", msg)
                if m:
                    by["%s %s" % (m.group(1), m.group(2))] += 1
                    times[m.group(1)].append(float(m.group(3)))
                    if m.group(4):
                        cut["%s %s" % (m.group(1), m.group(2))] += 1
                elif e.get("level") != "info" or not re.match(r"^(listening on|stopped)", msg):
                    other.append(msg[:200])
    server_ms = {}
    for route, xs in sorted(times.items()):
        xs.sort()
        server_ms[route] = {"requests": len(xs), "p50": nearest_rank(xs, 50), "p99": nearest_rank(xs, 99),
                            "max": xs[-1]}
    save_json(out, {"lines": lines, "server_ms": server_ms, "bytes": os.path.getsize(path) if os.path.exists(path) else 0,
                    "requests": dict(sorted(by.items())), "connection_cut": dict(sorted(cut.items())),
                    "levels": dict(levels), "other_messages": other[:20], "other_count": len(other)})


# --- report ------------------------------------------------------------------

ROWS = [("healthz", "GET /healthz"), ("ask", "POST /api/ask"), ("feedback", "POST /api/feedback")]


def fmt(x, d=1):
    if x is None:
        return "-"
    return ("%%.%df" % d) % x if x < 100 else "%.0f" % x


def cmd_report(res, out_json):
    f = load_facts(os.path.join(res, "facts.tsv"))
    runs = {k: load_json(os.path.join(res, "wrk-%s.json" % k)) for k, _ in ROWS}
    cli = load_json(os.path.join(res, "cli.json"))
    fb = load_json(os.path.join(res, "feedback-check.json"))
    log = load_json(os.path.join(res, "serve-log.json"))
    expect = {"healthz": "200", "ask": "200", "feedback": "201"}
    checks = {}
    for k, _ in ROWS:
        r = runs[k]
        unexpected = sum(v for s, v in r["status"].items() if s != expect[k]) if r["status"] else 0
        errs = r["socket_errors"]
        hard = errs["connect"] + errs["read"] + errs["write"]
        checks[k] = {"non_2xx_3xx": r["non_2xx_3xx"], "unexpected_status": unexpected,
                     "socket_errors_connect_read_write": hard, "timeouts": errs["timeout"],
                     "pass": r["non_2xx_3xx"] == 0 and unexpected == 0 and hard == 0}
    log_201 = log["requests"].get("/api/feedback 201", 0)
    checks["feedback_rows"] = {"pass": fb["ok"], "problems": fb["problems"]}
    checks["serve_log_201s_equal_rows"] = {"value": log_201, "rows": fb["rows_with_prefix"],
                                           "pass": log_201 == fb["rows_with_prefix"]}
    checks["sqlite3_count"] = {"value": f.get("feedback_rows_sqlite3"), "rows": fb["rows_with_prefix"],
                               "pass": f.get("feedback_rows_sqlite3") == fb["rows_with_prefix"]}
    checks["server_exit"] = {"value": f.get("server_exit"), "pass": f.get("server_exit") == 0}

    hz_rps, ask_rps, fb_rps = (runs[k]["requests_per_s"] for k in ("healthz", "ask", "feedback"))
    ratios = {
        "ask_vs_cli": ask_rps / cli["questions_per_s"],
        "ask_vs_healthz": ask_rps / hz_rps,
        "feedback_vs_healthz": fb_rps / hz_rps,
        "cli_p50_vs_ask_p50": cli["percentiles_ms"]["50"] / runs["ask"]["percentiles_ms"]["50"],
    }
    for k, _ in ROWS:
        cpu = f.get("server_cpu_s_%s" % k)
        runs[k]["server_cpu_ms_per_request"] = cpu / runs[k]["requests"] * 1e3 if cpu is not None and runs[k]["requests"] else None
        runs[k]["server_cores_busy"] = cpu / runs[k]["duration_s"] if cpu is not None else None
        wc = f.get("wrk_cpu_s_%s" % k)
        runs[k]["wrk_cores_busy"] = wc / runs[k]["duration_s"] if wc is not None else None

    print()
    print("ragops serve, sample corpus (%s documents, %s chunks), wrk %d threads x %d connections, %s s each"
          % (f["documents"], f["chunks"], runs["ask"]["threads"], runs["ask"]["connections"], f["seconds"]))
    print("server: %s threads (serve.threads=0: 2 per core), %s cores, rate limit off; load %s"
          % (f["server_threads"], f["nproc"], f["loadavg_start"]))
    hdr = "%-34s %9s %8s %8s %8s %8s %7s %9s" % ("", "req/s", "p50 ms", "p99 ms", "max ms", "non-2xx",
                                                  "errors", "cpu ms/rq")
    print(hdr)
    for k, label in ROWS:
        r = runs[k]
        e = r["socket_errors"]
        nerr = sum(e.values())
        print("%-34s %9s %8s %8s %8s %8d %7d %9s" % (
            label, fmt(r["requests_per_s"]), fmt(r["percentiles_ms"]["50"], 2), fmt(r["percentiles_ms"]["99"], 2),
            fmt(r["latency_max_ms"]), r["non_2xx_3xx"], nerr, fmt(r["server_cpu_ms_per_request"], 3)))
    print("%-34s %9s %8s %8s %8s %8s %7s %9s" % (
        "ragops ask (CLI, 1 proc/question)", fmt(cli["questions_per_s"]), fmt(cli["percentiles_ms"]["50"], 2),
        fmt(cli["percentiles_ms"]["99"], 2), fmt(cli["latency_max_ms"]), "-", "-", fmt(cli["cpu_ms_per_question"], 3)))
    verdict = "OK" if fb["ok"] else "MISMATCH"
    print("feedback rows %d = 201s returned %d: %s" % (fb["rows_matching_201s"], fb["returned_201"], verdict))
    print("  sqlite3: %s rows of this run = %d matched to a 201 by feedback_text + %d for requests wrk left"
          " unanswered when its time was up (%d); serve.log: %d feedback 201s: %s"
          % (f.get("feedback_rows_sqlite3"), fb["rows_matching_201s"], fb["rows_without_reply"],
             fb["requests_unanswered_at_wrk_stop"], log_201,
             "OK" if checks["serve_log_201s_equal_rows"]["pass"] else "MISMATCH"))
    for p in fb["problems"]:
        print("  MISMATCH: " + p)
    print("/api/ask vs CLI: %.1fx   /api/ask vs /healthz: %.3f   /api/feedback vs /healthz: %.3f"
          % (ratios["ask_vs_cli"], ratios["ask_vs_healthz"], ratios["feedback_vs_healthz"]))
    print("p50/p99 from wrk --latency (closed loop, %d connections); CLI: %d sequential processes over %d golden"
          " questions, nearest-rank; cpu ms/rq = server (or CLI process) CPU per request"
          % (runs["ask"]["connections"], cli["processes"], cli["distinct_questions"]))
    print("cores busy: server %s / %s / %s, wrk %s / %s / %s (healthz / ask / feedback; the machine has %s)"
          % tuple([fmt(runs[k]["server_cores_busy"], 2) for k, _ in ROWS]
                  + [fmt(runs[k]["wrk_cores_busy"], 2) for k, _ in ROWS] + [f["nproc"]]))
    odd = {k: v for k, v in log["requests"].items() if not re.search(r" (200|201)$", k)}
    print("serve.log: %d lines, %.1f MiB; statuses other than 200/201: %s; connections cut: %s; warnings/errors: %d"
          % (log["lines"], log["bytes"] / 2 ** 20, odd or "none", log["connection_cut"] or "none",
             sum(v for k, v in log["levels"].items() if k != "info")))
    sm = log.get("server_ms", {})
    if "/api/ask" in sm and "/api/feedback" in sm:
        print("inside the server (serve.log, 0.1 ms steps, all runs): /api/ask p50 %s p99 %s ms, /api/feedback"
              " p50 %s p99 %s ms; the rest of wrk's latency is queueing for a server thread and a core"
              % (fmt(sm["/api/ask"]["p50"], 2), fmt(sm["/api/ask"]["p99"], 2), fmt(sm["/api/feedback"]["p50"], 2),
                 fmt(sm["/api/feedback"]["p99"], 2)))
    for m in log["other_messages"][:5]:
        print("  serve.log: " + m)
    if f.get("server_stderr_extra"):
        print("  server stderr: " + str(f["server_stderr_extra"]))
    print("peak server RSS %.0f MiB; server exit status %s" % (f.get("server_peak_rss_kib", 0) / 1024,
                                                               f.get("server_exit")))

    ok = all(c["pass"] for c in checks.values())
    result = {
        "schema": 1,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "elapsed_s": f.get("elapsed_s"),
        "environment": {k: f.get(k) for k in (
            "nproc", "loadavg_start", "loadavg_end", "uname", "cpu", "ragops_version", "ragops_binary",
            "ragops_sha256", "git_commit", "git_dirty", "wrk_version", "python")},
        "settings": {"seconds": f["seconds"], "wrk_threads": runs["ask"]["threads"],
                     "connections": runs["ask"]["connections"], "server_threads": f["server_threads"],
                     "documents": f["documents"], "chunks": f["chunks"], "golden_questions": f["questions"],
                     "cli_processes": cli["processes"], "rate_limit": 0,
                     "percentiles": "wrk --latency (HdrHistogram); CLI nearest rank"},
        "wrk": runs,
        "cli": cli,
        "ratios": ratios,
        "feedback": fb,
        "serve_log": log,
        "server": {"threads": f["server_threads"], "peak_rss_kib": f.get("server_peak_rss_kib"),
                   "exit": f.get("server_exit")},
        "checks": checks,
        "pass": ok,
    }
    save_json(out_json, result)
    print("wrote %s (bench took %.0f s)" % (out_json, f.get("elapsed_s", 0)))
    if not ok:
        failed = [k for k, c in checks.items() if not c["pass"]]
        print("bench: error: serve correctness checks failed: %s" % ", ".join(failed), file=sys.stderr)
        sys.exit(1)


def main():
    cmds = {"bodies": (cmd_bodies, 3), "wait": (cmd_wait, 3), "wrk": (cmd_wrk, 3), "cli": (cmd_cli, 5),
            "feedback": (cmd_feedback, 6), "log": (cmd_log, 2), "report": (cmd_report, 2)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) != 2 + cmds[sys.argv[1]][1]:
        sys.exit(__doc__)
    cmds[sys.argv[1]][0](*sys.argv[2:])


if __name__ == "__main__":
    main()

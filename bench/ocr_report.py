#!/usr/bin/python3
"""Helpers and report of bench/ocr.sh (the OCR benchmark).  Standard library only.

  ocr_report.py time OUT_JSON CMD
      Runs CMD with bash -c and writes its wall seconds, the CPU seconds of
      everything it started (user + sys, getrusage of the waited-for
      descendants), the peak RSS of its largest process, and what the rest of
      the machine did meanwhile: busy CPU seconds of all CPUs (/proc/stat)
      minus CMD's own = "foreign" CPU seconds (another job competing for the
      cores), steal seconds (the hypervisor), load averages at start and end.
      Exits with CMD's exit status.

  ocr_report.py match TEXT_DIR GT_DIR OUT_TSV [--expect MAP_TSV]
      Maps each page-NN.txt of TEXT_DIR (OCR output) to the ground-truth page
      of GT_DIR (<path>.page-N.txt, searched recursively) that shares the most
      words with it (Jaccard of word sets).  With --expect, checks a declared
      mapping instead and fails if a page's text matches another source
      better.  OUT_TSV: page<TAB>ground-truth path (relative to GT_DIR)<TAB>
      score<TAB>second best score.

  ocr_report.py pgm2png IN.pgm OUT.png DPI
      8-bit grey PNG (with its resolution) from pdftoppm's PGM: `pdftoppm
      -gray -png` writes RGB PNGs, which cost tesseract ~20 % more time than
      the same page in grey, and would handicap the tesseract CLI.

  ocr_report.py cer REF_FILE HYP_FILE
      Prints the character error rate of one page (raw, ws, norm).

  ocr_report.py selftest
      Checks the bit-parallel Levenshtein distance against the plain
      two-row dynamic programme on random strings.

  ocr_report.py report RES_DIR GT_DIR OUT_JSON
      Turns the measurements of bench/ocr.sh into a table and OUT_JSON.

Character error rate: CER = Levenshtein distance (insertions, deletions,
substitutions of Unicode code points) / length of the reference, summed over
pages (total edits / total reference characters).  Three variants:
  raw   the texts as they are (only form feeds and leading/trailing
        whitespace dropped): line breaks and blank lines count;
  ws    NFC, every run of whitespace collapsed to one space (the "CER" of
        samples/tools/ocr_check.py);
  norm  ws + typographic apostrophes, quotes and dashes folded to ASCII, and
        no-break spaces to spaces: the definition of scripts/cer.py (which
        folds fewer code points, none of which the ground truth has) and
        what most OCR evaluations report; samples/tools/ocr_check.py's "norm"
        also folds × to x.
"""
import glob
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import unicodedata

# --------------------------------------------------------------------------
# Levenshtein distance


# The reference: the project's CER distance (scripts/cer.py), classic O(n*m).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from cer import distance as levenshtein_dp  # noqa: E402

from facts import load_facts  # noqa: E402


def levenshtein(a, b):
    """Same result as levenshtein_dp, O(n * m / word size): Myers' bit-vector
    algorithm in Hyyrö's formulation for the global edit distance, with the
    whole column held in one Python integer (about 5 ms for two 2 KB pages,
    where the DP takes seconds)."""
    if a == b:
        return 0
    # common prefix and suffix cost nothing
    i = 0
    n = min(len(a), len(b))
    while i < n and a[i] == b[i]:
        i += 1
    a, b = a[i:], b[i:]
    j = 0
    n = min(len(a), len(b))
    while j < n and a[-1 - j] == b[-1 - j]:
        j += 1
    if j:
        a, b = a[:-j], b[:-j]
    if len(a) < len(b):
        a, b = b, a
    m = len(b)
    if m == 0:
        return len(a)
    peq = {}
    for k, c in enumerate(b):
        peq[c] = peq.get(c, 0) | (1 << k)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for c in a:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
    return score


# --------------------------------------------------------------------------
# normalisation

FOLD = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"',
    "\u2039": '"', "\u203a": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
})


def v_raw(t):
    return t.replace("\f", "").strip()


def v_ws(t):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", t)).strip()


def v_norm(t):
    return v_ws(unicodedata.normalize("NFC", t).translate(FOLD))


VARIANTS = (("raw", v_raw), ("ws", v_ws), ("norm", v_norm))


def page_errors(ref, hyp):
    """{variant: (edits, reference length)} for one page."""
    return {name: (levenshtein(f(ref), f(hyp)), len(f(ref))) for name, f in VARIANTS}


def read(path):
    with open(path, encoding="utf-8", errors="replace") as fp:
        return fp.read()


# --------------------------------------------------------------------------
# time


def proc_stat():
    with open("/proc/stat") as fp:
        v = [int(x) for x in fp.readline().split()[1:]]
    v += [0] * (8 - len(v))
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    return user + nice + system + irq + softirq, steal


def loadavg():
    with open("/proc/loadavg") as fp:
        return [float(x) for x in fp.read().split()[:3]]


def cmd_time(out, cmd):
    import resource
    tick = os.sysconf("SC_CLK_TCK")
    la0 = loadavg()
    b0, s0 = proc_stat()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    rc = subprocess.run(["/bin/bash", "-c", cmd]).returncode
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    b1, s1 = proc_stat()
    user = r1.ru_utime - r0.ru_utime
    system = r1.ru_stime - r0.ru_stime
    busy = (b1 - b0) / tick
    res = {
        "command": cmd, "rc": rc, "wall_s": wall,
        "cpu_user_s": user, "cpu_sys_s": system, "cpu_s": user + system,
        "cores_used": (user + system) / wall if wall > 0 else 0.0,
        "machine_busy_s": busy,
        # /proc/stat ticks are 10 ms: small negative values are rounding
        "foreign_cpu_s": max(0.0, busy - user - system),
        "steal_s": (s1 - s0) / tick,
        "peak_rss_kib": r1.ru_maxrss,
        "loadavg_start": la0, "loadavg_end": loadavg(),
    }
    with open(out, "w") as fp:
        json.dump(res, fp, indent=1)
    return rc


# --------------------------------------------------------------------------
# pgm2png


def cmd_pgm2png(src, dst, dpi):
    import struct
    import zlib
    with open(src, "rb") as fp:
        data = fp.read()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' comments allowed
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1  # the single whitespace byte before the pixels
    if fields[0] != b"P5" or int(fields[3]) != 255:
        sys.exit("pgm2png: %s is not an 8-bit binary PGM" % src)
    w, h = int(fields[1]), int(fields[2])
    pix = data[pos:pos + w * h]
    if len(pix) != w * h:
        sys.exit("pgm2png: %s is truncated" % src)
    raw = b"".join(b"\0" + pix[y * w:(y + 1) * w] for y in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ppm = int(round(int(dpi) / 0.0254))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    with open(dst, "wb") as fp:
        fp.write(png)
    return 0


# --------------------------------------------------------------------------
# match


def words(t):
    return set(w for w in re.findall(r"\w+", unicodedata.normalize("NFC", t).lower()) if len(w) >= 3)


def gt_pages(gt_dir):
    out = {}
    for p in glob.glob(os.path.join(gt_dir, "**", "*.page-*.txt"), recursive=True):
        out[os.path.relpath(p, gt_dir)] = words(read(p))
    return out


def jaccard(a, b):
    return len(a & b) / len(a | b) if a or b else 0.0


def text_pages(text_dir):
    pages = {}
    for p in glob.glob(os.path.join(text_dir, "page-*.txt")):
        m = re.match(r"page-0*(\d+)\.txt$", os.path.basename(p))
        if m:
            pages[int(m.group(1))] = p
    return dict(sorted(pages.items()))


def cmd_match(text_dir, gt_dir, out_tsv, expect=None):
    gts = gt_pages(gt_dir)
    if not gts:
        sys.exit("ocr_report.py: no ground truth (*.page-N.txt) under %s" % gt_dir)
    declared = load_map(expect) if expect else {}
    rows, bad = [], []
    for page, path in text_pages(text_dir).items():
        w = words(read(path))
        scored = sorted(((jaccard(w, g), rel) for rel, g in gts.items()), reverse=True)
        (s1, best), (s2, _) = scored[0], scored[1] if len(scored) > 1 else (0.0, None)
        if expect:
            rel = declared.get(page)
            mine = jaccard(w, gts[rel]) if rel in gts else 0.0
            if rel not in gts:
                bad.append("page %d: declared source %s has no ground truth" % (page, rel))
            elif best != rel and s1 > mine:
                bad.append("page %d: declared %s (word overlap %.2f) but its text matches %s (%.2f)"
                           % (page, rel, mine, best, s1))
            rows.append((page, rel, mine, s2 if best == rel else s1))
        else:
            if s1 < 0.5 or s1 - s2 < 0.15:
                bad.append("page %d: no clear source (best %s %.2f, second %.2f)" % (page, best, s1, s2))
            rows.append((page, best, s1, s2))
    if not expect:
        seen = {}
        for page, rel, _, _ in rows:
            if rel in seen:
                print("ocr_report.py: warning: pages %d and %d both come from %s"
                      % (seen[rel], page, rel), file=sys.stderr)
            seen[rel] = page
    with open(out_tsv, "w", encoding="utf-8") as fp:
        for page, rel, s1, s2 in rows:
            fp.write("%d\t%s\t%.3f\t%.3f\n" % (page, rel, s1, s2))
    for b in bad:
        print("ocr_report.py: " + b, file=sys.stderr)
    return 1 if bad else 0


def load_map(path):
    out = {}
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            f = line.rstrip("\n").split("\t")
            if len(f) >= 2 and f[0].strip().isdigit():
                out[int(f[0])] = f[1]
    return out


# --------------------------------------------------------------------------
# selftest


def cmd_selftest():
    rng = random.Random(7)
    alpha = "ab cdé’\n"
    cases = [("", ""), ("", "abc"), ("abc", ""), ("kitten", "sitting"), ("flaw", "lawn"),
             ("é", "e"), ("a" * 70, "b" * 70), ("ab" * 40, "ba" * 40)]
    for _ in range(400):
        la, lb = rng.randint(0, 150), rng.randint(0, 150)
        a = "".join(rng.choice(alpha) for _ in range(la))
        if rng.random() < 0.5:  # similar strings, as OCR output is
            b = list(a)
            for _ in range(rng.randint(0, 10)):
                k = rng.randint(0, len(b))
                op = rng.random()
                if op < 0.33 and b:
                    del b[min(k, len(b) - 1)]
                elif op < 0.66:
                    b.insert(k, rng.choice(alpha))
                elif b:
                    b[min(k, len(b) - 1)] = rng.choice(alpha)
            b = "".join(b)
        else:
            b = "".join(rng.choice(alpha) for _ in range(lb))
        cases.append((a, b))
    for a, b in cases:
        d1, d2 = levenshtein(a, b), levenshtein_dp(a, b)
        if d1 != d2:
            sys.exit("selftest FAILED: %r %r: bit-parallel %d, DP %d" % (a, b, d1, d2))
    assert v_norm("l\u2019été  \u00ab\u00a0x\u00a0\u00bb \u2013 y\n\nz \u00d7") == "l'été \" x \" - y z \u00d7"
    print("selftest: %d Levenshtein cases agree with the DP; normalisation OK" % len(cases))
    return 0


# --------------------------------------------------------------------------
# report


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fp:
        return json.load(fp)


def timings(res, config):
    """Timer records time/CONFIG-K.json, K = 1.."""
    out = []
    for p in sorted(glob.glob(os.path.join(res, "time", config + "-[0-9]*.json")),
                    key=lambda p: int(re.search(r"-(\d+)\.json$", p).group(1))):
        out.append(load_json(p))
    return out


def quiet(r):
    return r["wall_s"] > 0 and r["foreign_cpu_s"] / r["wall_s"] <= NOISY


def summarise(runs, pages):
    """Median over the quiet runs (other jobs took <= NOISY of a core), or
    over all runs when none was quiet."""
    if not runs:
        return None
    walls = [r["wall_s"] for r in runs]
    used = [r["wall_s"] for r in runs if quiet(r)] or walls
    med = statistics.median(used)
    return {
        "runs": len(runs), "quiet_runs": sum(1 for r in runs if quiet(r)),
        "wall_s": {"median": med, "median_all_runs": statistics.median(walls), "min": min(walls),
                   "max": max(walls), "all": walls, "quiet": [quiet(r) for r in runs]},
        "s_per_page": med / pages,
        "cpu_s_median": statistics.median(r["cpu_s"] for r in runs),
        "cores_used_median": statistics.median(r["cores_used"] for r in runs),
        "foreign_cpu_s": [r["foreign_cpu_s"] for r in runs],
        "steal_s": [r["steal_s"] for r in runs],
        "peak_rss_kib": max(r["peak_rss_kib"] for r in runs),
        "loadavg_start": [r["loadavg_start"] for r in runs],
    }


def cer_engine(text_dir, gt_dir, mapping):
    """Per page and total CER of the texts in text_dir (page-NN.txt)."""
    if not os.path.isdir(text_dir):
        return None
    texts = text_pages(text_dir)
    per_page, tot = [], {name: [0, 0] for name, _ in VARIANTS}
    for page, rel in sorted(mapping.items()):
        gt_path = os.path.join(gt_dir, rel)
        if not os.path.exists(gt_path):
            continue
        hyp = read(texts[page]) if page in texts else ""
        errs = page_errors(read(gt_path), hyp)
        row = {"page": page, "source": rel, "missing_text": page not in texts}
        for name, (e, n) in errs.items():
            row[name] = {"edits": e, "chars": n, "cer": e / n if n else 0.0}
            tot[name][0] += e
            tot[name][1] += n
        per_page.append(row)
    total = {name: {"edits": e, "chars": n, "cer": e / n if n else None} for name, (e, n) in tot.items()}
    return {"pages_scored": len(per_page), "total": total, "per_page": per_page}


def tesseract_page_seconds(path):
    """{page: seconds} from the per-page log of the 1-thread tesseract loop."""
    out = {}
    if os.path.exists(path):
        with open(path) as fp:
            for line in fp:
                f = line.replace(",", ".").split()
                m = re.match(r"page-0*(\d+)$", f[0]) if len(f) == 3 else None
                if m:
                    out[int(m.group(1))] = float(f[2]) - float(f[1])
    return out


def same_texts(d1, d2):
    if not (os.path.isdir(d1) and os.path.isdir(d2)):
        return None
    t1, t2 = text_pages(d1), text_pages(d2)
    return sum(1 for p in t1 if p in t2 and v_ws(read(t1[p])) == v_ws(read(t2[p])))


NOISY = 0.15   # share of a core used by other jobs above which a timing is called noisy


def pct(x):
    return "n/a" if x is None else "%.1f%%" % (100 * x) if x >= 0.1 else "%.2f%%" % (100 * x)


def f2(x, fmt="%.2f"):
    return "n/a" if x is None else fmt % x


def cmd_report(res, gt_dir, out_json):
    f = load_facts(os.path.join(res, "facts.tsv"))
    strict = os.environ.get("BENCH_STRICT") == "1"
    pages = int(f["pages"])
    mapping = load_map(os.path.join(res, "map.tsv")) if os.path.exists(os.path.join(res, "map.tsv")) else {}

    engines = [("ragops", "ragops"), ("tesseract", "tesseract CLI"), ("ocrmypdf", "ocrmypdf")]
    out, notes = {}, []
    for key, label in engines:
        one = summarise(timings(res, key + "-1"), pages)
        allc = summarise(timings(res, key + "-all"), pages)
        if not one and not allc:
            continue
        e = {"label": label, "threads_1": one, "all_cores": allc,
             "parallel_ratio": (allc["wall_s"]["median"] / one["wall_s"]["median"]) if one and allc else None,
             "cer": cer_engine(os.path.join(res, "text", key + "-1"), gt_dir, mapping),
             "same_text_1_vs_all_cores": same_texts(os.path.join(res, "text", key + "-1"),
                                                    os.path.join(res, "text", key + "-all"))}
        out[key] = e

    # ragops's own view of the OCR stage (metrics "ocr" object of each run)
    for cfg in ("ragops-1", "ragops-all"):
        ms = [load_json(p) for p in sorted(glob.glob(os.path.join(res, cfg + "-[0-9]*.metrics.json")))]
        ocrs = [m.get("ocr") for m in ms if m and isinstance(m.get("ocr"), dict)]
        if ocrs and "ragops" in out:
            key = "threads_1" if cfg == "ragops-1" else "all_cores"
            o0 = dict(ocrs[0])
            o0.pop("documents", None)
            summary = {"first_run": o0}
            for k in ("seconds", "wall_seconds", "seconds_per_page"):
                vals = [o.get(k) for o in ocrs if isinstance(o.get(k), (int, float))]
                if vals:
                    summary[k + "_median"] = statistics.median(vals)
            durs = [m.get("duration_s") for m in ms if isinstance(m.get("duration_s"), (int, float))]
            if durs:
                summary["run_duration_s_median"] = statistics.median(durs)
            stg = ms[0].get("stage_seconds") if ms and ms[0] else None
            if stg:
                summary["stage_seconds_first_run"] = stg
            out["ragops"][key]["metrics_ocr"] = summary

    # paired ratio ragops / tesseract, 1 thread (run back to back, same rep).
    # Equal work: when ragops took repeated page images from its cache
    # (ocr.cached), tesseract's seconds on as many repeated pages are left out.
    repeated = [int(x.split("=")[0]) for x in str(f.get("repeated_pages", "none")).split(", ") if "=" in x]
    pairs_info = []
    for k in range(1, int(f["reps"]) + 1):
        a = load_json(os.path.join(res, "time", "ragops-1-%d.json" % k))
        b = load_json(os.path.join(res, "time", "tesseract-1-%d.json" % k))
        m = load_json(os.path.join(res, "ragops-1-%d.metrics.json" % k))
        if not (a and b):
            continue
        cached = int(((m or {}).get("ocr") or {}).get("cached") or 0)
        t_eq = b["wall_s"]
        pp = tesseract_page_seconds(os.path.join(res, "time", "tesseract-1-%d.pages" % k))
        rep_s = [pp[p] for p in repeated if p in pp]
        if cached and rep_s:
            t_eq -= cached * statistics.mean(rep_s)
        pairs_info.append({"run": k, "ragops_s": a["wall_s"], "tesseract_s": b["wall_s"],
                           "ragops_cached_pages": cached, "tesseract_s_equal_work": t_eq,
                           "ratio": a["wall_s"] / t_eq, "ratio_as_is": a["wall_s"] / b["wall_s"],
                           "quiet": quiet(a) and quiet(b)})
    used = [p for p in pairs_info if p["quiet"]] or pairs_info
    pairs = [p["ratio"] for p in pairs_info]
    quiet_pairs = [p["ratio"] for p in pairs_info if p["quiet"]]
    ratio = statistics.median(p["ratio"] for p in used) if used else None
    ratio_as_is = statistics.median(p["ratio_as_is"] for p in used) if used else None
    equal_work = any(p["ragops_cached_pages"] for p in used)
    t_eq_med = statistics.median(p["tesseract_s_equal_work"] for p in used) if used else None
    target_ratio = float(f.get("target_ratio", 1.10))
    target_par = float(f.get("target_parallel", 0.55))
    ok_ratio = ratio is not None and ratio < target_ratio
    rp = out.get("ragops", {}).get("parallel_ratio")
    ok_par = rp is not None and rp <= target_par
    render_pgm = load_json(os.path.join(res, "time", "render-pgm.json"))
    render_png = load_json(os.path.join(res, "time", "render-png.json"))
    ratio_incl_render = None
    if used and render_pgm:
        ratio_incl_render = (statistics.median(p["ragops_s"] for p in used)
                             / (t_eq_med + render_pgm["wall_s"] * (pages - (len(repeated) if equal_work else 0))
                                / pages))
    ratio_ocr_stage = None
    mo = out.get("ragops", {}).get("threads_1") or {}
    if mo.get("metrics_ocr", {}).get("wall_seconds_median") and t_eq_med:
        ratio_ocr_stage = mo["metrics_ocr"]["wall_seconds_median"] / t_eq_med

    def noise(*configs):
        """Share of a core other jobs took during the runs these figures come from: the
        quiet runs of each config if it had any, else all its runs (worst of all)."""
        v = []
        for c in configs:
            rs = timings(res, c)
            rs = [r for r in rs if quiet(r)] or rs
            v += [r["foreign_cpu_s"] / r["wall_s"] for r in rs if r["wall_s"] > 0]
        return max(v) if v else 0.0

    def caveat(x):
        return ("  [noisy: other jobs kept %.1f cores busy during these runs]" % x) if x > NOISY else ""
    noise_ratio, noise_par = noise("ragops-1", "tesseract-1"), noise("ragops-1", "ragops-all")

    # ---- print
    ncores = int(f["nproc"])
    print()
    print("OCR benchmark: %d pages, %s, %s dpi, %d cores" % (pages, f["langs"], f["dpi"], ncores))
    print("input: %s (%s); page sources: %s" % (f["input_label"], f["input_source"], f.get("map_source")))
    print("%d run(s) per config; medians of the quiet runs (other jobs took <= %.2f of a core), of all"
          " runs when none was quiet; load average %s at start, %s at end"
          % (int(f["reps"]), NOISY, f["loadavg_start"], f["loadavg_end"]))
    print()
    print("%-22s %-17s %-18s %-16s %-9s %s" % ("engine", "s/page 1 thread", "s/page all cores",
                                             "parallel ratio", "CER raw", "CER norm"))
    any_star = False
    for key, e in out.items():
        c = (e["cer"] or {}).get("total", {})
        label = e["label"]
        if key == "ragops":
            ocr_done = set()
            for p in glob.glob(os.path.join(res, "ragops-*-[0-9]*.metrics.json")):
                o = (load_json(p) or {}).get("ocr") or {}
                ocr_done.add(int(o.get("pages") or 0) - int(o.get("cached") or 0))
            if ocr_done and ocr_done != {pages}:
                label += " [%s/%d OCR'd]" % ("-".join(str(x) for x in sorted(ocr_done)), pages)
        def star(summ):
            return "*" if summ and summ["quiet_runs"] == 0 else ""
        st1, sta = star(e["threads_1"]), star(e["all_cores"])
        any_star = any_star or bool(st1 or sta)
        print("%-22s %-17s %-18s %-16s %-9s %s" % (
            label,
            f2(e["threads_1"]["s_per_page"] if e["threads_1"] else None) + st1,
            f2(e["all_cores"]["s_per_page"] if e["all_cores"] else None) + sta,
            f2(e["parallel_ratio"]) + (st1 or sta),
            pct(c.get("raw", {}).get("cer")), pct(c.get("norm", {}).get("cer"))))
    if any_star:
        print("* every run of this configuration shared the CPUs with other jobs (see details)")
    print()
    print("ragops / tesseract (1 thread): %s  (target < %.2f: %s)%s"
          % (f2(ratio), target_ratio, "PASS" if ok_ratio else "FAIL", caveat(noise_ratio)))
    print("ragops all cores / 1 thread:   %s  (target <= %.2f: %s)%s"
          % (f2(rp), target_par, "PASS" if ok_par else "FAIL", caveat(noise_par)))
    iso, inproc = summarise(timings(res, "ragops-1"), pages), summarise(timings(res, "ragops-inproc-1"), pages)
    if iso and inproc:
        r_iso = iso["wall_s"]["median"] / inproc["wall_s"]["median"]
        print("ragops isolated / in-process:  %s  (1 thread, ingest.isolate true / false; target <= 1.10: %s)%s"
              % (f2(r_iso), "PASS" if r_iso <= 1.10 else "FAIL", caveat(noise("ragops-1", "ragops-inproc-1"))))
    if equal_work:
        c = sorted(set(p["ragops_cached_pages"] for p in used))
        print("  equal OCR work: ragops reused its result for %s repeated page(s) of the PDF (ocr.cached),"
              " so tesseract's time on as many repeated pages is left out;"
              " on the whole PDF as is: %s" % ("/".join(map(str, c)), f2(ratio_as_is)))
    if len(pairs) > 1:
        print("  ragops / tesseract per back-to-back pair: %s (%d pair(s) quiet)"
              % (", ".join("%.3f" % p for p in pairs), len(quiet_pairs)))
    if ratio_incl_render is not None:
        print("  same, tesseract charged with rendering the pages (pdftoppm -gray to PGM, %.2f s/page): %s"
              % (render_pgm["wall_s"] / pages, f2(ratio_incl_render)))
    if ratio_ocr_stage is not None:
        print("  ragops OCR stage alone (metrics ocr.wall_seconds) / tesseract: %s" % f2(ratio_ocr_stage))
    print()

    # details
    print("details (wall = whole command, every run, * = noisy; cpu = user+sys of all its processes;"
          " foreign = CPU seconds used by other jobs on the machine meanwhile):")
    for key, e in out.items():
        for cfg, label in (("threads_1", "1 thread"), ("all_cores", "all cores")):
            s = e[cfg]
            if not s:
                continue
            print("  %-14s %-9s wall %s s [%s]  cpu %.1f s (%.2f cores)  foreign %s s  steal %s s  peak RSS %.0f MiB"
                  % (e["label"], label, "%.2f" % s["wall_s"]["median"],
                     ", ".join("%.2f%s" % (w, "" if q else "*")
                               for w, q in zip(s["wall_s"]["all"], s["wall_s"]["quiet"])),
                     s["cpu_s_median"],
                     s["cores_used_median"], "/".join("%.1f" % x for x in s["foreign_cpu_s"]),
                     "/".join("%.1f" % x for x in s["steal_s"]), s["peak_rss_kib"] / 1024))
    rg = out.get("ragops")
    if rg:
        for cfg, label in (("threads_1", "ocr.threads=1"), ("all_cores", "ocr.threads=0")):
            mo = (rg.get(cfg) or {}).get("metrics_ocr")
            if not mo:
                continue
            o = mo["first_run"]
            print("  ragops metrics, %s: OCR stage %s s wall, sum of page seconds %s, %s s/page;"
                  " pages %s, succeeded %s, flagged %s, failed %s, cached %s, mean confidence %s"
                  % (label, f2(mo.get("wall_seconds_median")), f2(mo.get("seconds_median")),
                     f2(mo.get("seconds_per_page_median")), o.get("pages"), o.get("succeeded"),
                     o.get("flagged"), o.get("failed"), o.get("cached"), f2(o.get("mean_confidence"), "%.1f")))
        c1 = (rg.get("threads_1") or {}).get("cores_used_median")
        if c1 and c1 > 1.2:
            notes.append("ragops with ocr.threads=1 kept %.2f cores busy on average: libtesseract's OpenMP"
                         " threads? (the tesseract CLI runs here with OMP_THREAD_LIMIT=1)" % c1)
    if render_png:
        print("  rendering the %d page images once for the tesseract CLI: %.1f s (pdftoppm -gray + grey PNG,"
              " %d at a time); pdftoppm -gray alone %.1f s (1 process); not counted above"
              % (pages, render_png["wall_s"], ncores, render_pgm["wall_s"] if render_pgm else float("nan")))
    if "ocrmypdf" in out:
        notes.append("ocrmypdf (%s) does more than OCR: it rasterises each page with Ghostscript, asks tesseract"
                     " for a text-only PDF page and grafts it onto the input, writing a searchable PDF"
                     % f.get("ocrmypdf_mode", ""))
        if f.get("ocrmypdf_env", "none") != "none":
            notes.append("ocrmypdf ran with %s: version 14 passes the languages to tesseract in random order"
                         " (a Python set), and eng+fra reads French worse than fra+eng" % f["ocrmypdf_env"])
    for key, e in out.items():
        s = e.get("same_text_1_vs_all_cores")
        if s is not None and s != pages:
            notes.append("%s: the 1-thread and all-core runs gave different text on %d of %d pages"
                         % (e["label"], pages - s, pages))
    dflt = cer_engine(os.path.join(res, "text", "ocrmypdf-1-pdftotext-default"), gt_dir, mapping)
    if dflt and "ocrmypdf" in out:
        out["ocrmypdf"]["cer_pdftotext_default_mode"] = dflt
        notes.append("ocrmypdf's text is read with `pdftotext -raw` (the text layer's order); plain pdftotext"
                     " re-sorts the invisible words and splits some: CER norm %s instead of %s"
                     % (pct(dflt["total"]["norm"]["cer"]),
                        pct((out["ocrmypdf"]["cer"] or {}).get("total", {}).get("norm", {}).get("cer"))))
    if repeated:
        cached = {}
        for cfg in ("ragops-1", "ragops-all"):
            for p in sorted(glob.glob(os.path.join(res, cfg + "-[0-9]*.metrics.json"))):
                c = int(((load_json(p) or {}).get("ocr") or {}).get("cached") or 0)
                cached.setdefault(cfg, []).append(c)
        notes.append("pages %s repeat the image of an earlier page (page=earlier page); the tesseract CLI and"
                     " ocrmypdf OCR every page, ragops reported ocr.cached = %s (1 thread) and %s (all cores)"
                     " in its fresh runs, i.e. it OCR'd %s pages, not %d"
                     % (f["repeated_pages"], "/".join(map(str, cached.get("ragops-1", []))),
                        "/".join(map(str, cached.get("ragops-all", []))),
                        "/".join(sorted(set(str(pages - c) for v in cached.values() for c in v))), pages))
    same_rt = same_texts(os.path.join(res, "text", "ragops-1"), os.path.join(res, "text", "tesseract-1"))
    if same_rt is not None:
        notes.append("ragops and tesseract CLI gave the same text (whitespace aside) on %d of %d pages"
                     " (ragops renders the PDF pages itself)" % (same_rt, pages))
    worst = noise(*["%s-%s" % (k, c) for k in out for c in ("1", "all")])
    if worst > NOISY:
        notes.append("other jobs kept up to %.1f cores busy during a timed run (of %d): timings are noisy,"
                     " the parallel ratios most of all; run again on a quiet machine" % (worst, ncores))

    # per page CER
    print()
    print("CER per page (norm; raw in the JSON)")
    hdr = "  %-4s %-44s %6s" % ("page", "source (samples/groundtruth/)", "chars")
    keys = [k for k in out if out[k]["cer"]]
    print(hdr + "".join("%12s" % out[k]["label"].split()[0] for k in keys))
    rows = {}
    for k in keys:
        for r in out[k]["cer"]["per_page"]:
            rows.setdefault(r["page"], {"source": r["source"], "chars": r["norm"]["chars"]})[k] = r["norm"]["cer"]
    for page in sorted(rows):
        r = rows[page]
        print("  %-4d %-44s %6d" % (page, r["source"][:44], r["chars"])
              + "".join("%12s" % pct(r.get(k)) for k in keys))
    if keys:
        line = "  %-4s %-44s %6s" % ("all", "", "")
        for k in keys:
            line += "%12s" % pct(out[k]["cer"]["total"]["norm"]["cer"])
        print(line)
        for k in keys:
            t = out[k]["cer"]["total"]
            print("  %-14s CER raw %s, whitespace collapsed %s, normalised %s over %d pages"
                  % (out[k]["label"], pct(t["raw"]["cer"]), pct(t["ws"]["cer"]), pct(t["norm"]["cer"]),
                     out[k]["cer"]["pages_scored"]))
    unscored = pages - len(rows)
    if unscored:
        notes.append("%d page(s) have no ground truth and are left out of the CER" % unscored)
    print()
    for n in notes:
        print("note: " + n)

    result = {
        "schema": 1,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "elapsed_s": f["elapsed_s"],
        "environment": {k: f.get(k) for k in (
            "nproc", "loadavg_start", "loadavg_end", "uname", "cpu", "ragops_version", "ragops_binary",
            "ragops_sha256", "git_commit", "git_dirty", "tesseract_version", "ocrmypdf_version",
            "poppler_version", "omp_env_cleared", "ocrmypdf_env")},
        "settings": {"pages": pages, "langs": f["langs"], "dpi": f["dpi"], "reps": f["reps"],
                     "jobs_all_cores": f["jobs"], "target_ratio": target_ratio,
                     "target_parallel": target_par, "strict": strict,
                     "ocrmypdf_mode": f.get("ocrmypdf_mode")},
        "input": {"pdf": f["input_label"], "source": f["input_source"], "sha256": f.get("input_sha256"),
                  "map_source": f.get("map_source"), "repeated_pages": f.get("repeated_pages"),
                  "pages": [{"page": p, "groundtruth": rel} for p, rel in sorted(mapping.items())]},
        "engines": out,
        "ratios": {
            "ragops_over_tesseract_1_thread": ratio, "ragops_over_tesseract_as_is": ratio_as_is,
            "equal_work_adjusted": equal_work, "pairs": pairs_info,
            "pass": ok_ratio,
            "ragops_over_tesseract_plus_pgm_render": ratio_incl_render,
            "ragops_ocr_stage_over_tesseract": ratio_ocr_stage,
            "ragops_parallel": rp, "ragops_parallel_pass": ok_par,
            "noise_cores_ratio_runs": noise_ratio, "noise_cores_parallel_runs": noise_par,
            "tesseract_parallel": out.get("tesseract", {}).get("parallel_ratio"),
            "ocrmypdf_parallel": out.get("ocrmypdf", {}).get("parallel_ratio"),
        },
        "render": {"png": render_png, "pgm": render_pgm},
        "notes": notes,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_json)), exist_ok=True)
    with open(out_json, "w", encoding="utf-8") as fp:
        json.dump(result, fp, indent=2, ensure_ascii=False)
        fp.write("\n")
    print("wrote %s (bench took %.0f s)" % (out_json, f["elapsed_s"]))
    if not (ok_ratio and ok_par):
        print("bench: OCR target missed (ragops/tesseract %s, parallel ratio %s)" % (f2(ratio), f2(rp)),
              file=sys.stderr)
        if strict:
            return 1
    return 0


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    cmd = a[0]
    if cmd == "time" and len(a) == 3:
        return cmd_time(a[1], a[2])
    if cmd == "match" and len(a) in (4, 6):
        expect = a[5] if len(a) == 6 and a[4] == "--expect" else None
        return cmd_match(a[1], a[2], a[3], expect)
    if cmd == "pgm2png" and len(a) == 4:
        return cmd_pgm2png(a[1], a[2], a[3])
    if cmd == "cer" and len(a) == 3:
        for name, (e, n) in page_errors(read(a[1]), read(a[2])).items():
            print("%-5s %5d / %5d = %s" % (name, e, n, pct(e / n if n else 0.0)))
        return 0
    if cmd == "selftest" and len(a) == 1:
        return cmd_selftest()
    if cmd == "report" and len(a) == 4:
        return cmd_report(a[1], a[2], a[3])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Minimal stand-in for hyperfine, used by bench/run.sh only when hyperfine
is not installed.  Standard library only.

  timeit.py --runs N --warmup W --export-json FILE \
            [--prepare CMD]... -- CMD [CMD...]

Each CMD (and its --prepare, given once for all or once per command) runs via
/bin/sh -c with stdout discarded; a non-zero exit aborts.  FILE gets the same
shape as hyperfine's --export-json (results[].command/mean/stddev/median/
min/max/times), so the report reads either.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def sh(cmd):
    return subprocess.run(["/bin/sh", "-c", cmd], stdout=subprocess.DEVNULL).returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--prepare", action="append", default=[])
    ap.add_argument("--export-json", required=True)
    ap.add_argument("commands", nargs="+")
    a = ap.parse_args()
    if len(a.prepare) not in (0, 1, len(a.commands)):
        sys.exit("timeit.py: give --prepare once, or once per command")

    results = []
    for i, cmd in enumerate(a.commands):
        prep = a.prepare[i] if len(a.prepare) > 1 else (a.prepare[0] if a.prepare else None)
        times = []
        for k in range(a.warmup + a.runs):
            if prep and sh(prep) != 0:
                sys.exit("timeit.py: prepare command failed: %s" % prep)
            t0 = time.perf_counter()
            rc = sh(cmd)
            dt = time.perf_counter() - t0
            if rc != 0:
                sys.exit("timeit.py: command exited %d: %s" % (rc, cmd))
            if k >= a.warmup:
                times.append(dt)
        results.append({
            "command": cmd,
            "mean": statistics.mean(times),
            "stddev": statistics.stdev(times) if len(times) > 1 else 0.0,
            "median": statistics.median(times),
            "min": min(times),
            "max": max(times),
            "times": times,
        })
    with open(a.export_json, "w") as fp:
        json.dump({"results": results, "tool": "bench/timeit.py"}, fp, indent=2)


if __name__ == "__main__":
    main()

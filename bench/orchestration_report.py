"""Table of bench/orchestration.sh's results (see that script)."""
import csv
import statistics
import sys

out = sys.argv[1]
facts = dict(line.rstrip("\n").split("\t", 1) for line in open(f"{out}/res/facts.tsv"))
growth = list(csv.DictReader(open(f"{out}/growth.tsv"), delimiter="\t"))
latency = [float(r["seconds"]) for r in csv.DictReader(open(f"{out}/latency.tsv"), delimiter="\t")]

mib = lambda b: int(b) / 1048576
print(f"ragops orchestration benchmark: {facts['docs']} documents, {facts['reruns']} unchanged re-runs; "
      f"{facts['nproc']} cores, load {facts['loadavg_end']}, {facts['git_commit']}")
print()
print("1. store after unchanged re-runs       retention on (shipped)     retention off")
print("   re-run   store MiB   task rows        store MiB   task rows")
for r in growth:
    print(f"   {int(r['rerun']):6d}   {mib(r['on_bytes']):9.1f}   {int(r['on_tasks']):9d}"
          f"        {mib(r['off_bytes']):9.1f}   {int(r['off_tasks']):9d}")
# Once retention.cached_tasks runs are kept (10), a re-run should add next to nothing: measured
# over the second half of the re-runs.
last = growth[-1]
mid = next(r for r in growth if int(r["rerun"]) >= int(last["rerun"]) // 2)
runs = max(1, int(last["rerun"]) - int(mid["rerun"]))
per = lambda k: (int(last[k]) - int(mid[k])) / runs
on_growth, off_growth = per("on_bytes"), per("off_bytes")
print(f"   per re-run, re-runs {mid['rerun']}-{last['rerun']}: {on_growth / 1024:.1f} KiB and"
      f" {per('on_tasks'):.0f} task rows with retention, {off_growth / 1024:.1f} KiB and"
      f" {per('off_tasks'):.0f} task rows without"
      f" (off / on: {off_growth / on_growth if on_growth > 0 else float('inf'):.0f}x)")
print()
p50 = statistics.median(latency)
p90 = sorted(latency)[max(0, int(round(0.9 * len(latency))) - 1)]
print(f"2. watch: file written -> searchable, debounce 1 s: p50 {p50:.2f} s, p90 {p90:.2f} s,"
      f" max {max(latency):.2f} s over {len(latency)} files (target p50 <= 2.0 s)")
print()
print(f"3. idle CPU over {float(facts['idle_seconds']):.0f} s, share of one core (target <= 0.5%):")
print(f"   ragops serve, 10 deployments:       {100 * float(facts['serve_cpu_share']):.3f}%")
print(f"   ragops run --watch, 10,000 files:   {100 * float(facts['watch_cpu_share']):.3f}%")

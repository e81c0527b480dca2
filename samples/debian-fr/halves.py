#!/usr/bin/env python3
"""Split the held-out sets into their tuning and reported halves.

Questions with an odd number in their id (rp01, un03...) are the tuning
half: they may be looked at while a method is designed.  Even ids are the
reported half: figures are given on them, and nothing is tuned on them.

usage: halves.py OUT_DIR   (writes rephrase-tune.jsonl, rephrase-report.jsonl,
                            unrelated-tune.jsonl, unrelated-report.jsonl,
                            eval-tune.jsonl, eval-report.jsonl)

eval.jsonl is split the same way (ev01 tuning, ev02 reported...); its ids
alternate within every kind, so each half holds every kind and, for the
normal questions, every format.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def number(q):
    return int("".join(c for c in q["id"] if c.isdigit()))


def main():
    out = sys.argv[1]
    for name in ("rephrase", "unrelated", "eval"):
        rows = [json.loads(l) for l in open(f"{HERE}/{name}.jsonl", encoding="utf-8") if l.strip()]
        for half, keep in (("tune", 1), ("report", 0)):
            with open(f"{out}/{name}-{half}.jsonl", "w", encoding="utf-8") as f:
                f.writelines(json.dumps(q, ensure_ascii=False) + "\n" for q in rows if number(q) % 2 == keep)


if __name__ == "__main__":
    main()

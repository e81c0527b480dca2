#!/usr/bin/env python3
"""The figures of `ragops eval --details` on eval.jsonl, per kind and per
format, for each half (odd ids: tuning, even ids: reported) and both.

usage: ragops eval --golden samples/debian-fr/eval.jsonl --details | by_kind.py

For each group: questions, recall@1, recall@5 and MRR of the expected
document, the share of answers holding an expected phrase, the expected page
in the top 5 (paged documents only), and the questions abstained on (for
unanswerable questions, the abstention recall).
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    golden = {}
    with open(os.path.join(HERE, "eval.jsonl"), encoding="utf-8") as f:
        for line in f:
            q = json.loads(line)
            golden[q["id"]] = q
    got = {}
    for line in sys.stdin:
        # ID KIND [FORMAT] RANK PAGE EVIDENCE ANSWER (FORMAT since ragops eval has it)
        m = re.match(r"(ev\d+)\s+(\S+)\s+(?:\S+\s+)?(\d+)\s+(yes|-)\s+([\d.]+)\s+(\S+)\s", line)
        if m and m.group(1) in golden:
            got[m.group(1)] = {"rank": int(m.group(3)), "page": m.group(4) == "yes",
                               "answer": m.group(6)}
    missing = sorted(set(golden) - set(got))
    if missing:
        print("by_kind.py: no line for %s" % ", ".join(missing), file=sys.stderr)
        return 1
    groups = {}
    for qid, q in golden.items():
        fmt = q["doc"].split("/")[0] if q["doc"] else "-"
        half = "tune" if int(qid[2:]) % 2 else "report"
        for key in ((q["kind"], "all"), (q["kind"], fmt)):
            for h in (half, "both"):
                groups.setdefault(key + (h,), []).append(qid)
    kinds = ["normal", "paraphrase", "cross-language", "unanswerable"]
    print("%-15s %-7s %-6s %3s  %5s %5s %5s %7s %5s %8s" % (
        "kind", "format", "half", "n", "R@1", "R@5", "MRR", "phrase", "page", "abstain"))
    for key in sorted(groups, key=lambda k: (kinds.index(k[0]), k[1] != "all", k[1],
                                              ["tune", "report", "both"].index(k[2]))):
        ids = groups[key]
        o = [got[i] for i in ids]
        n = len(o)
        abst = sum(x["answer"] == "abstain" for x in o)
        if key[0] == "unanswerable":
            print("%-15s %-7s %-6s %3d  %5s %5s %5s %7s %5s %4d (%.2f)" % (
                key + (n, "", "", "", "", "", abst, abst / n)))
            continue
        paged = [got[i] for i in ids if golden[i]["page"]]
        print("%-15s %-7s %-6s %3d  %5.2f %5.2f %5.2f %7.2f %5s %8d" % (
            key + (n, sum(x["rank"] == 1 for x in o) / n, sum(1 <= x["rank"] <= 5 for x in o) / n,
                   sum(1 / x["rank"] for x in o if x["rank"]) / n,
                   sum(x["answer"] == "phrase" for x in o) / n,
                   "%.2f" % (sum(x["page"] for x in paged) / len(paged)) if paged else "-", abst)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

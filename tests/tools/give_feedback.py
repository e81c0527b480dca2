#!/usr/bin/env python3
"""Give ragops feedback on a question set as a careful user would.

For each question of a JSONL set (golden format, with an optional
"correction"), ask ragops, then rate the answer through `ragops feedback
add`: 5 with the right document marked helpful when the first source is
the expected document; otherwise 2, the corrected answer, the expected
document marked helpful and the wrong first source unhelpful.
--wrong-labels marks a wrong document as helpful instead (a careless or
hostile user), to check that the gate refuses what such feedback teaches.

usage: give_feedback.py RAGOPS DATA SET.jsonl [--wrong-labels] [-- extra ragops args]
"""
import json
import subprocess
import sys


def ragops(binary, data, extra, *args):
    out = subprocess.run([binary, "--data", data, *extra, *args], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"ragops {' '.join(args[:2])} failed ({out.returncode}): {out.stderr.strip()}")
    return out.stdout


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    wrong = "--wrong-labels" in argv
    argv = [a for a in argv if a != "--wrong-labels"]
    binary, data, path = argv
    questions = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    docs = sorted({q["doc"] for q in questions if q.get("doc")})
    right = low = 0
    for i, q in enumerate(questions):
        if not q.get("doc"):
            continue
        answer = json.loads(ragops(binary, data, extra, "ask", "--json", q["question"]))
        sources = [s["document"] for s in answer["sources"]]
        expected = q["doc"]
        if wrong:
            # Another question's document: the labels are wrong on purpose.
            expected = docs[(docs.index(q["doc"]) + 7) % len(docs)]
        args = ["feedback", "add", "--query-id", str(answer["query_id"])]
        if sources and sources[0] == expected:
            args += ["--rating", "5", "--helpful", expected]
            right += 1
        else:
            args += ["--rating", "2", "--helpful", expected]
            if sources:
                args += ["--unhelpful", sources[0]]
            if q.get("correction"):
                args += ["--corrected", q["correction"]]
            low += 1
        ragops(binary, data, extra, *args)
    print(f"{right} rated 5, {low} rated 2 and corrected")


if __name__ == "__main__":
    main()

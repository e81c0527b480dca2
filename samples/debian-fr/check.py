#!/usr/bin/env python3
"""Mechanical checks of the debian-fr question sets.

usage: check.py [CORPUS_DIR]

Without CORPUS_DIR the corpus is generated into a temporary folder by
make_corpus.sh.  Checks, for train/rephrase/unrelated/unanswerable.jsonl:
the fields and their types, ids unique across the files, every answerable
question's document present in the corpus and each of its phrases found in
that document's text (whitespace collapsed, markup removed), rephrasings
tied to a train question of the same group and document, unrelated
questions on documents no train question uses, unanswerable questions
without a document, and no question copying a run of 8 or more words from
its document.  Prints one line per problem and a summary; exit 0 when all
is well, 1 otherwise.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = {"train.jsonl": "normal", "rephrase.jsonl": "paraphrase",
         "unrelated.jsonl": "normal", "unanswerable.jsonl": "unanswerable"}
BLOCK = {"p", "div", "br", "pre", "li", "dt", "dd", "tr", "td", "th", "h1", "h2",
         "h3", "h4", "h5", "h6", "table", "title", "hr"}


class Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        if tag in BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head") and self.skip:
            self.skip -= 1
        if tag in BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def collapse(s):
    """Spacing as ragops eval compares it: runs of ASCII blanks are one space.

    A no-break space (French typography puts one inside « » and before : ; ? !)
    stays what it is, as it does in ragops, so a phrase must carry it where
    the document does."""
    return re.sub(r"[ \t\r\n]+", " ", s).strip()


def doc_text(path):
    """The readable text of one corpus document, whitespace collapsed."""
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    if path.endswith(".html"):
        p = Text()
        p.feed(raw)
        p.close()
        raw = "".join(p.out)
    elif path.endswith(".md"):
        raw = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", raw)  # links: their text
        raw = re.sub(r"\\(.)", r"\1", raw)                  # escapes
        raw = raw.replace("`", "").replace("**", "")
        raw = re.sub(r"(?m)^(#+|>) ?", "", raw)
    return collapse(raw)


def words(s):
    return re.findall(r"\w+", s.lower())


def main():
    if len(sys.argv) > 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    tmp = None
    if len(sys.argv) == 2:
        corpus = sys.argv[1]
    else:
        tmp = tempfile.TemporaryDirectory()
        corpus = os.path.join(tmp.name, "corpus")
        rc = subprocess.call([os.path.join(HERE, "make_corpus.sh"), corpus])
        if rc:
            return rc
    problems = []
    sets, ids, texts = {}, set(), {}

    def bad(where, msg):
        problems.append("%s: %s" % (where, msg))

    for name, kind in FILES.items():
        rows = []
        with open(os.path.join(HERE, name), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                where = "%s:%d" % (name, n)
                if not line.strip():
                    bad(where, "empty line")
                    continue
                try:
                    q = json.loads(line)
                except ValueError as e:
                    bad(where, "not JSON: %s" % e)
                    continue
                q["_where"] = where
                rows.append(q)
                for key in ("id", "question", "lang", "doc", "page", "phrases", "kind"):
                    if key not in q:
                        bad(where, "no '%s'" % key)
                if q.get("id") in ids:
                    bad(where, "id %s used twice" % q.get("id"))
                ids.add(q.get("id"))
                if q.get("lang") != "fr":
                    bad(where, "lang is not fr")
                if q.get("kind") != kind:
                    bad(where, "kind should be %s" % kind)
                if q.get("page") is not None:
                    bad(where, "page should be null")
                if not isinstance(q.get("question"), str) or len(q["question"]) < 10:
                    bad(where, "question too short")
                phrases = q.get("phrases")
                if not isinstance(phrases, list) or not all(isinstance(p, str) and p for p in phrases):
                    bad(where, "phrases must be a list of non-empty strings")
                    phrases = []
                if kind == "unanswerable":
                    if q.get("doc") is not None or phrases:
                        bad(where, "an unanswerable question has no doc and no phrase")
                    continue
                if not isinstance(q.get("group"), str):
                    bad(where, "no group")
                doc = q.get("doc")
                path = os.path.join(corpus, doc) if isinstance(doc, str) else None
                if not path or not os.path.isfile(path):
                    bad(where, "doc %r not in the corpus" % doc)
                    continue
                if doc not in texts:
                    texts[doc] = doc_text(path)
                text = texts[doc]
                if not phrases:
                    bad(where, "no phrase")
                for p in phrases:
                    if collapse(p) not in text:
                        bad(where, "phrase %r not in %s" % (p, doc))
                qw, tw = words(q["question"]), words(text)
                grams = {tuple(tw[i:i + 8]) for i in range(len(tw) - 7)}
                for i in range(len(qw) - 7):
                    if tuple(qw[i:i + 8]) in grams:
                        bad(where, "question copies 8 words of %s: %s" % (doc, " ".join(qw[i:i + 8])))
                        break
        sets[name] = rows

    train = {q["id"]: q for q in sets["train.jsonl"]}
    train_docs = {q["doc"] for q in train.values()}
    groups = {}
    for q in sets["train.jsonl"]:
        if not q.get("correction") or not isinstance(q["correction"], str):
            bad(q["_where"], "no correction")
        if q.get("group") in groups:
            bad(q["_where"], "group %s used twice" % q.get("group"))
        groups[q.get("group")] = q["id"]
    seen_of = set()
    for q in sets["rephrase.jsonl"]:
        t = train.get(q.get("of"))
        if not t:
            bad(q["_where"], "'of' names no train question")
            continue
        seen_of.add(t["id"])
        if q.get("group") != t.get("group") or q.get("doc") != t.get("doc"):
            bad(q["_where"], "group and doc should be those of %s" % t["id"])
        if collapse(q["question"]).lower() == collapse(t["question"]).lower():
            bad(q["_where"], "same wording as %s" % t["id"])
    for tid in sorted(set(train) - seen_of):
        bad("rephrase.jsonl", "no rephrasing of %s" % tid)
    for q in sets["unrelated.jsonl"]:
        if q.get("doc") in train_docs:
            bad(q["_where"], "%s is covered by a train question" % q.get("doc"))
        if q.get("group") in groups:
            bad(q["_where"], "group %s is a train group" % q.get("group"))
        groups[q.get("group")] = q["id"]

    n = {k: len(v) for k, v in sets.items()}
    print("corpus %s: %d documents" % (corpus, sum(
        1 for d in ("html", "txt", "md") if os.path.isdir(os.path.join(corpus, d))
        for _ in os.listdir(os.path.join(corpus, d)))))
    print("questions: " + ", ".join("%s %d" % (k, v) for k, v in n.items()))
    print("train: %d documents" % len(train_docs))
    for p in problems:
        print("FAIL " + p)
    print("%d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

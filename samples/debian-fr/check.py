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
its document.

For eval.jsonl, besides the same fields, documents, phrases and copies: ids
ev01, ev02..., kinds normal, paraphrase, cross-language and unanswerable;
the text of a text PDF is pdftotext's, that of a scanned PDF or page image
the ground truth make_formats.py wrote (CORPUS_DIR/.groundtruth/), page by
page; a question on a paged document names the page (one of its phrases is
on it), any other has page null; a cross-language question is in the
language its document is not (en/ is English, the rest French), any other
in its document's language; a paraphrase shares no content word with its
answering passage (the 300 characters either side of each phrase's first
occurrence on its page): case and accents folded, stop words left out, and
two words sharing their first 5 letters count as one; both halves (odd and
even ids) hold every kind, and the normal questions of every format.

Prints one line per problem and a summary; exit 0 when all is well, 1
otherwise.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
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


def doc_pages(corpus, doc):
    """The text of each page of a paged document (text PDF: pdftotext; scanned
    PDF or image: the ground truth), whitespace collapsed; None for the others."""
    path = os.path.join(corpus, doc)
    if doc.startswith(("scans/", "images/")):
        pages, n = [], 1
        while os.path.isfile(os.path.join(corpus, ".groundtruth", "%s.page-%d.txt" % (doc, n))):
            with open(os.path.join(corpus, ".groundtruth", "%s.page-%d.txt" % (doc, n)), encoding="utf-8") as f:
                pages.append(collapse(f.read()))
            n += 1
        return pages
    if doc.endswith(".pdf"):
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True,
                             text=True, check=True).stdout
        return [collapse(p) for p in out.split("\f")[:-1]]
    return None


def words(s):
    return re.findall(r"\w+", s.lower())


def fold(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s.lower()) if not unicodedata.combining(c))


STOP = set(fold(w) for w in """
a à afin ai ainsi alors après au aussi aux avant avec bien c ça ce ceci cela celle celles celui ces
cet cette ceux chez comme comment d dans de depuis des doit doivent donc dont du elle elles en encore
entre est et être faire fait faut il ils j je jusqu l la le les leur leurs lors lui m ma mais me même
mes moi mon n ne ni nos notre nous on ont ou où par pas pendant peut peuvent plus pour pourquoi puis
qu quand que quel quelle quelles quels qui quoi s sa sans se selon ses si son sont sous sur t ta te
tes toi ton tous tout toute toutes très tu un une vers vos votre vous y
about after again all also an and any are as at be been before being both but by can could did do
does down each for from had has have how i if in into is it its just may me might more most must my
no not now of off on once only or other our out over own same should since so some such than that
the their them then there these they this those to too under up very was we were what when where
which while who whom why will with would you your
""".split())


def content_words(s):
    return {w for w in re.findall(r"[^\W_]+", fold(s)) if w not in STOP and len(w) > 1}


def shared_words(qwords, pwords):
    """The question's words found in the passage: the same word, or the same
    first five letters."""
    return sorted(w for w in qwords if any(w == p or (len(w) >= 5 and len(p) >= 5 and w[:5] == p[:5])
                                           for p in pwords))


KINDS = ["normal", "paraphrase", "cross-language", "unanswerable"]


def fmt_of(doc):
    """The format a document is counted under: its folder (en/: English, any format)."""
    return doc.split("/")[0] if isinstance(doc, str) else "-"


def number(q):
    return int("".join(c for c in str(q.get("id")) if c.isdigit()) or 0)


def read_rows(name, ids, bad):
    """The questions of one file, each with its "_where" (file:line) and
    "_line"; every field present, no id used twice across files."""
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
            q["_where"], q["_line"] = where, n
            rows.append(q)
            for key in ("id", "question", "lang", "doc", "page", "phrases", "kind"):
                if key not in q:
                    bad(where, "no '%s'" % key)
            if q.get("id") in ids:
                bad(where, "id %s used twice" % q.get("id"))
            ids.add(q.get("id"))
    return rows


def check_eval(corpus, ids, bad):
    """eval.jsonl: see the module's documentation.  Returns its rows."""
    pages_of, texts = {}, {}
    rows = read_rows("eval.jsonl", ids, bad)
    for q in rows:
        where = q["_where"]
        if q.get("id") != "ev%02d" % q["_line"]:
            bad(where, "id should be ev%02d" % q["_line"])
        kind, lang, doc, page = q.get("kind"), q.get("lang"), q.get("doc"), q.get("page")
        if kind not in KINDS:
            bad(where, "kind %r is none of %s" % (kind, ", ".join(KINDS)))
        if lang not in ("fr", "en"):
            bad(where, "lang is neither fr nor en")
        if not isinstance(q.get("question"), str) or len(q["question"]) < 10:
            bad(where, "question too short")
            continue
        phrases = q.get("phrases")
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p for p in phrases):
            bad(where, "phrases must be a list of non-empty strings")
            phrases = []
        if kind == "unanswerable":
            if doc is not None or phrases or page is not None:
                bad(where, "an unanswerable question has no doc, no page and no phrase")
            continue
        path = os.path.join(corpus, doc) if isinstance(doc, str) else None
        if not path or not os.path.isfile(path):
            bad(where, "doc %r not in the corpus" % doc)
            continue
        if doc not in texts:
            pages_of[doc] = doc_pages(corpus, doc)
            texts[doc] = " ".join(pages_of[doc]) if pages_of[doc] is not None else doc_text(path)
        text, pages = texts[doc], pages_of[doc]
        doc_lang = "en" if doc.startswith("en/") else "fr"
        if kind == "cross-language" and lang == doc_lang:
            bad(where, "a cross-language question in %s on a document in %s" % (lang, doc_lang))
        if kind != "cross-language" and lang != doc_lang:
            bad(where, "a %s question in %s on a document in %s" % (kind, lang, doc_lang))
        if not 1 <= len(phrases) <= 3:
            bad(where, "1 to 3 phrases")
        for p in phrases:
            if collapse(p) not in text:
                bad(where, "phrase %r not in %s" % (p, doc))
        if pages is None:
            if page is not None:
                bad(where, "%s has no pages: page should be null" % doc)
            where_text = text
        elif not isinstance(page, int) or not 1 <= page <= len(pages):
            bad(where, "page should be a page of %s (1-%d)" % (doc, len(pages)))
            where_text = text
        else:
            where_text = pages[page - 1]
            if not any(collapse(p) in where_text for p in phrases):
                bad(where, "no phrase on page %d of %s" % (page, doc))
        qw, tw = words(q["question"]), words(text)
        grams = {tuple(tw[i:i + 8]) for i in range(len(tw) - 7)}
        for i in range(len(qw) - 7):
            if tuple(qw[i:i + 8]) in grams:
                bad(where, "question copies 8 words of %s: %s" % (doc, " ".join(qw[i:i + 8])))
                break
        if kind == "paraphrase":
            passage = []
            for p in phrases:
                src = where_text if collapse(p) in where_text else text
                i = src.find(collapse(p))
                if i >= 0:
                    passage.append(src[max(0, i - 300):i + len(collapse(p)) + 300])
            common = shared_words(content_words(q["question"]), content_words(" ".join(passage)))
            if common:
                bad(where, "paraphrase shares words with its passage: %s" % ", ".join(common))
    for kind in KINDS:
        for half, parity in (("tuning (odd ids)", 1), ("reported (even ids)", 0)):
            if not any(q.get("kind") == kind and number(q) % 2 == parity for q in rows):
                bad(name, "the %s half has no %s question" % (half, kind))
    for fmt in sorted({fmt_of(q.get("doc")) for q in rows if q.get("doc")}):
        for half, parity in (("tuning (odd ids)", 1), ("reported (even ids)", 0)):
            if not any(q.get("kind") == "normal" and fmt_of(q.get("doc")) == fmt and number(q) % 2 == parity
                       for q in rows):
                bad(name, "the %s half has no normal question on %s" % (half, fmt))
    return rows


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
        rows = read_rows(name, ids, bad)
        for q in rows:
            where = q["_where"]
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

    sets["eval.jsonl"] = check_eval(corpus, ids, bad)

    n = {k: len(v) for k, v in sets.items()}
    print("corpus %s: %d documents" % (corpus, sum(
        1 for d in ("html", "txt", "md", "pdf", "scans", "images", "en")
        if os.path.isdir(os.path.join(corpus, d))
        for _ in os.listdir(os.path.join(corpus, d)))))
    print("questions: " + ", ".join("%s %d" % (k, v) for k, v in n.items()))
    print("train: %d documents" % len(train_docs))
    table = {}
    for q in sets["eval.jsonl"]:
        key = (q.get("kind"), fmt_of(q.get("doc")))
        table.setdefault(key, [0, 0])[number(q) % 2 == 0] += 1
    print("eval.jsonl by kind and format (tuning half / reported half):")
    for (kind, fmt), (odd, even) in sorted(table.items(), key=lambda x: (KINDS.index(x[0][0]) if x[0][0] in KINDS else 9, x[0][1])):
        print("  %-15s %-7s %2d / %2d" % (kind, fmt, odd, even))
    for p in problems:
        print("FAIL " + p)
    print("%d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

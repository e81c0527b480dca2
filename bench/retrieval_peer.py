#!/usr/bin/python3
"""The peer of bench/retrieval.sh: what a user might write instead of ragops
-- scikit-learn TF-IDF and cosine top-k, in one Python process.

  retrieval_peer.py --docs DIR --queries FILE --warmup FILE [--limit 10]
                    --out FILE.jsonl --meta FILE.json

Reads every *.md / *.txt file under DIR (sorted paths), splits it into
chunks the way the benchmark corpus is laid out (paragraphs separated by
blank lines; a "# title" line is kept with the paragraph after it, as ragops
does), fits TfidfVectorizer(analyzer="word", sublinear_tf=True) on the
chunks, then answers each query: vectorizer.transform, linear_kernel against
the sparse chunk matrix (rows are L2-normalised, so this is the cosine),
argpartition for the top k, sorted.  Each query is timed on its own with
time.perf_counter, in this process; the warm-up query runs first, untimed in
the percentiles (it is reported as "first").

--out gets one JSON line per query, shaped like `ragops search --queries`:
{"query","ms","retriever":"sklearn-tfidf","results","top"} ("top": the path
of the best chunk's file, relative to DIR).  --meta gets the fit time, the
matrix shape and the library versions.
"""
import argparse
import json
import os
import resource
import sys
import time


def read_chunks(root):
    paths, chunks, owner = [], [], []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            if f.endswith((".md", ".txt")):
                paths.append(os.path.join(d, f))
    paths.sort()
    for fi, p in enumerate(paths):
        with open(p, encoding="utf-8") as fp:
            blocks = [b.strip() for b in fp.read().split("\n\n")]
        pending = ""
        for b in blocks:
            if not b:
                continue
            if b.startswith("#"):
                pending = (pending + "\n\n" if pending else "") + b.lstrip("#").strip()
                continue
            chunks.append(pending + "\n\n" + b if pending else b)
            owner.append(fi)
            pending = ""
        if pending:
            chunks.append(pending)
            owner.append(fi)
    return [os.path.relpath(p, root) for p in paths], chunks, owner


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--warmup", required=True)
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--out", required=True)
    ap.add_argument("--meta", required=True)
    a = ap.parse_args()

    t_import = time.perf_counter()
    import numpy as np
    import scipy
    import sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel
    import_s = time.perf_counter() - t_import

    t0 = time.perf_counter()
    paths, chunks, owner = read_chunks(a.docs)
    read_s = time.perf_counter() - t0
    if not chunks:
        sys.exit("retrieval_peer.py: no chunks under %s" % a.docs)

    t0 = time.perf_counter()
    vec = TfidfVectorizer(analyzer="word", sublinear_tf=True)
    X = vec.fit_transform(chunks)
    fit_s = time.perf_counter() - t0
    rss_after_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = X.shape[0]
    k = min(a.limit, n)

    def search(q):
        qv = vec.transform([q])
        s = linear_kernel(qv, X).ravel()
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.argsort(-s[top], kind="stable")]
        hits = top[s[top] > 0]
        return len(hits), (paths[owner[hits[0]]] if len(hits) else None)

    with open(a.warmup, encoding="utf-8") as fp:
        warm = [l.rstrip("\r\n") for l in fp if l.strip()]
    with open(a.queries, encoding="utf-8") as fp:
        queries = [l.rstrip("\r\n") for l in fp if l.strip()]
    with open(a.out, "w", encoding="utf-8") as out:
        for q in warm + queries:
            t = time.perf_counter()
            nres, top = search(q)
            ms = (time.perf_counter() - t) * 1000
            out.write(json.dumps({"query": q, "ms": ms, "retriever": "sklearn-tfidf",
                                  "results": nres, "top": top}, ensure_ascii=False) + "\n")

    meta = {
        "chunks": n, "files": len(paths), "vocabulary": len(vec.vocabulary_),
        "nnz": int(X.nnz), "read_s": read_s, "fit_s": fit_s, "import_s": import_s,
        "ru_maxrss_kib_after_fit": rss_after_fit,
        "ru_maxrss_kib_end": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "python": sys.version.split()[0], "sklearn": sklearn.__version__,
        "numpy": np.__version__, "scipy": scipy.__version__,
        "vectorizer": "TfidfVectorizer(analyzer='word', sublinear_tf=True)",
        "scoring": "linear_kernel (cosine of L2-normalised rows), argpartition top-%d" % k,
    }
    with open(a.meta, "w") as fp:
        json.dump(meta, fp, indent=2)
        fp.write("\n")


if __name__ == "__main__":
    main()

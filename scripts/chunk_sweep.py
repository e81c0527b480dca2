#!/usr/bin/env python3
"""Measure BM25 retrieval on the golden questions for several chunk sizes.

Ingests samples/corpus once per setting, asks every answerable golden
question whose document has a text layer through `ragops search --json`,
and prints recall@1, recall@5 and MRR (document-level hit; page-level hit
too).  Used to choose the chunk.* defaults.

usage: scripts/chunk_sweep.py build/ragops [target:overlap ...]
"""
import json
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def golden():
    with open(os.path.join(TOP, 'samples', 'golden.jsonl'), encoding='utf-8') as f:
        for line in f:
            q = json.loads(line)
            # Scans and images wait for OCR: no text to find yet.
            if q['kind'] != 'unanswerable' and not q['doc'].startswith(('scans/', 'images/')):
                yield q


def measure(ragops, target, overlap):
    with tempfile.TemporaryDirectory() as data:
        conf = ['--data', data, '-c', f'chunk.target_chars={target}',
                '-c', f'chunk.overlap_chars={overlap}']
        subprocess.run([ragops, *conf, 'run', '--inbox', os.path.join(TOP, 'samples', 'corpus')],
                       check=True, capture_output=True)
        r1 = r5 = rr = p5 = n = 0
        chunks = None
        for q in golden():
            out = subprocess.run([ragops, *conf, 'search', '--json', '--limit', '5', q['question']],
                                 check=True, capture_output=True, text=True).stdout
            docs = [(r['document'], r['page_start'], r['page_end']) for r in json.loads(out)['results']]
            n += 1
            ranks = [i for i, d in enumerate(docs) if d[0] == q['doc']]
            if ranks:
                r5 += 1
                r1 += ranks[0] == 0
                rr += 1 / (ranks[0] + 1)
            page = q.get('page')
            p5 += any(d[0] == q['doc'] and d[1] <= page <= d[2] for d in docs)
        out = subprocess.run(['sqlite3', os.path.join(data, 'ragops.db'), 'SELECT count(*) FROM chunks'],
                             check=True, capture_output=True, text=True).stdout
        chunks = int(out)
        return n, chunks, r1 / n, r5 / n, rr / n, p5 / n


def main():
    ragops = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, 'build', 'ragops')
    settings = sys.argv[2:] or ['400:80', '600:100', '900:150', '1200:200', '1600:250']
    print(f"{'target:overlap':>15} {'questions':>9} {'chunks':>7} {'recall@1':>9} {'recall@5':>9}"
          f" {'MRR':>6} {'page@5':>7}")
    for s in settings:
        target, overlap = (int(x) for x in s.split(':'))
        n, chunks, r1, r5, mrr, p5 = measure(ragops, target, overlap)
        print(f"{s:>15} {n:>9} {chunks:>7} {r1:>9.3f} {r5:>9.3f} {mrr:>6.3f} {p5:>7.3f}")


if __name__ == '__main__':
    main()

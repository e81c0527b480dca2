#!/usr/bin/env python3
"""Character error rate of OCR text against ground truth.

usage: cer.py HYPOTHESIS REFERENCE   (files; prints the CER as a fraction)

Both texts are normalised first, since layout is not content: runs of
whitespace become one space, and typographic quotes, apostrophes and
dashes become their ASCII forms.
"""
import re
import sys

TYPOGRAPHIC = str.maketrans({'’': "'", '‘': "'", '«': '"', '»': '"', '“': '"', '”': '"',
                             '–': '-', '—': '-', '\u00a0': ' ', '\u202f': ' '})


def normalise(text):
    return re.sub(r'\s+', ' ', text.translate(TYPOGRAPHIC)).strip()


def distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(hypothesis, reference):
    hyp, ref = normalise(hypothesis), normalise(reference)
    return distance(hyp, ref) / max(len(ref), 1)


if __name__ == '__main__':
    with open(sys.argv[1], encoding='utf-8') as h, open(sys.argv[2], encoding='utf-8') as r:
        print(f'{cer(h.read(), r.read()):.5f}')

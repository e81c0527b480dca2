#!/usr/bin/python3
"""Sanity check of the scan degradation: OCR every scanned page with tesseract
and report the character error rate (CER) against samples/groundtruth.

    /usr/bin/python3 samples/tools/ocr_check.py

CER = Levenshtein distance / length of the ground truth, after collapsing all
whitespace to single spaces. The "norm" column also folds typographic
apostrophes, quotes and dashes to ASCII (what most OCR evaluations do).
Needs: tesseract-ocr with fra + eng data, poppler-utils, python3-pil.
"""
import os, re, subprocess, sys, tempfile, unicodedata
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from make_corpus import DOCS, parse, source_path  # noqa: E402


# The one CER implementation of the project: scripts/cer.py.
sys.path.insert(0, os.path.join(os.path.dirname(ROOT), 'scripts'))
from cer import distance as levenshtein  # noqa: E402


def ws(t):
    return re.sub(r'\s+', ' ', t).strip()


FOLD = str.maketrans({'’': "'", '‘': "'", '«': '"', '»': '"', '“': '"', '”': '"',
                      '–': '-', '—': '-', '×': 'x', '\u00a0': ' '})


def norm(t):
    return ws(unicodedata.normalize('NFC', t).translate(FOLD))


def pages_of(path, tmp):
    ext = os.path.splitext(path)[1].lower()
    if ext == '.pdf':
        subprocess.run(['pdftoppm', '-r', '300', '-gray', '-png', path, os.path.join(tmp, 'p')], check=True)
        return sorted(os.path.join(tmp, f) for f in os.listdir(tmp) if f.startswith('p'))
    im = Image.open(path)
    out = []
    for i in range(getattr(im, 'n_frames', 1)):
        im.seek(i)
        p = os.path.join(tmp, f'f{i}.png')
        im.convert('L').save(p)
        out.append(p)
    return out


def main():
    tot_e = tot_n = tot_en = 0
    print(f'{"page":48} {"chars":>6} {"CER":>7} {"norm":>7}')
    for rel, kind, _ in DOCS:
        if kind not in ('scanpdf', 'image'):
            continue
        meta, _ = parse(source_path(rel, kind))
        lang = 'fra' if meta.get('lang', 'fr') == 'fr' else 'eng'
        with tempfile.TemporaryDirectory() as tmp:
            for i, img in enumerate(pages_of(os.path.join(ROOT, 'corpus', rel), tmp), 1):
                gt = open(os.path.join(ROOT, 'groundtruth', f'{rel}.page-{i}.txt'), encoding='utf-8').read()
                ocr = subprocess.run(['tesseract', img, '-', '-l', lang], capture_output=True,
                                     text=True, check=True).stdout
                e = levenshtein(ws(ocr), ws(gt))
                en = levenshtein(norm(ocr), norm(gt))
                n = len(ws(gt))
                tot_e += e; tot_en += en; tot_n += n
                print(f'{rel + " p" + str(i):48} {n:6d} {100 * e / n:6.2f}% {100 * en / n:6.2f}%')
    print(f'{"TOTAL":48} {tot_n:6d} {100 * tot_e / tot_n:6.2f}% {100 * tot_en / tot_n:6.2f}%')


if __name__ == '__main__':
    main()

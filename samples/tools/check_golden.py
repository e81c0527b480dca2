#!/usr/bin/python3
"""Validate samples/golden.jsonl against the corpus.

    /usr/bin/python3 samples/tools/check_golden.py            # full check, exit 1 on error
    /usr/bin/python3 samples/tools/check_golden.py --where DOC PHRASE   # pages holding PHRASE

Checks
  * every line parses, keys are exactly id/question/lang/doc/page/phrases/kind,
    ids unique, enums valid, counts as required;
  * doc exists under samples/corpus/, page is within the document;
  * every phrase occurs in the document's source text (samples/sources, with
    HTML reduced to visible text: no <script>/<style>, entities decoded) AND on
    the declared page (pdftotext for text PDFs, groundtruth for scans/images);
  * all phrases of a question sit in one paragraph of the source: the
    "answering paragraph";
  * keyword questions share at least one content word with that paragraph;
  * paraphrase questions share NO content word with it (lowercase, accents
    removed, simple suffix stemming, and also any common 5-letter prefix),
    and target text-layer documents only;
  * unanswerable questions have doc/page null and no phrases;
  * warns when every phrase of a question also occurs in another document.
"""
import json, os, re, subprocess, sys, unicodedata
from html.parser import HTMLParser

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from make_corpus import DOCS, parse, plain, source_path  # noqa: E402

KIND = {rel: kind for rel, kind, _ in DOCS}

# ------------------------------------------------------------------ text helpers
FOLD = str.maketrans({'\u00a0': ' ', '\u202f': ' ', '\u2009': ' ', '\u00ad': ''})


def ws(t):
    return re.sub(r'\s+', ' ', unicodedata.normalize('NFKC', t.translate(FOLD))).strip()


class VisibleText(HTMLParser):
    """Visible text of an HTML page, one block per block-level element."""
    BLOCK = {'p', 'li', 'h1', 'h2', 'h3', 'h4', 'tr', 'caption', 'div', 'title', 'pre',
             'blockquote', 'footer', 'header', 'nav', 'ul', 'table'}
    SKIP = {'script', 'style'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.cur, self.skip = [], [], 0

    def flush(self):
        t = ws(' '.join(self.cur))
        if t:
            self.blocks.append(t)
        self.cur = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.flush()

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip -= 1
        elif tag in self.BLOCK:
            self.flush()

    def handle_data(self, data):
        if not self.skip:
            self.cur.append(data)


def paragraphs(rel):
    """Source paragraphs of a document, whitespace-normalised."""
    kind = KIND[rel]
    src = source_path(rel, kind)
    raw = open(src, encoding='utf-8').read()
    if kind in ('textpdf', 'scanpdf', 'image'):
        _, blocks = parse(src)
        out = []
        for k, t in blocks:
            if k == 'table':
                out += [ws(plain(' | '.join(r))) for r in t]
            elif t:
                out.append(ws(plain(t)))
        return out
    ext = os.path.splitext(rel)[1]
    if ext == '.html':
        p = VisibleText(); p.feed(raw); p.flush()
        return p.blocks
    if ext == '.md':
        raw = re.sub(r'\*\*|`', '', raw)
        out = []
        for b in re.split(r'\n\s*\n', raw):
            if b.lstrip().startswith('|'):          # table: one paragraph per row
                out += [ws(line) for line in b.splitlines() if line.strip()]
            else:
                out.append(ws(b))
        return [b for b in out if b]
    return [ws(b) for b in re.split(r'\n\s*\n', raw) if b.strip()]


_pdf_cache = {}


def page_texts(rel):
    """List of page texts as a reader of the corpus file sees them."""
    if rel in _pdf_cache:
        return _pdf_cache[rel]
    kind = KIND[rel]
    path = os.path.join(ROOT, 'corpus', rel)
    if kind == 'textpdf':
        n = int(re.search(r'Pages:\s+(\d+)', subprocess.run(
            ['pdfinfo', path], capture_output=True, text=True).stdout).group(1))
        pages = []
        for i in range(1, n + 1):
            t = subprocess.run(['pdftotext', '-raw', '-f', str(i), '-l', str(i), path, '-'],
                               capture_output=True, text=True, check=True).stdout
            joined = re.sub(r'(\w)-\n(\w)', r'\1\2', t)        # undo end-of-line hyphenation
            keep = re.sub(r'(\w)-\n(\w)', r'\1-\2', t)         # keep real compound hyphens
            pages.append(ws(joined) + ' \n ' + ws(keep))
    elif kind in ('scanpdf', 'image'):
        pages, i = [], 1
        while True:
            p = os.path.join(ROOT, 'groundtruth', f'{rel}.page-{i}.txt')
            if not os.path.exists(p):
                break
            pages.append(ws(open(p, encoding='utf-8').read())); i += 1
    else:
        pages = [' \n '.join(paragraphs(rel))]
    _pdf_cache[rel] = pages
    return pages


# ------------------------------------------------------------------ word overlap
STOP = set("""
a à au aux avec ce ces cet cette ci dans de des du elle elles en et est être eux il ils je la le les leur
leurs lui ma mais me même mes moi mon ne nos notre nous on ont ou où par pas pour qu que quel quelle
quelles quels qui sa sans se ses si son sont sur ta te tes toi ton tu un une vos votre vous y d l s n c j m t
comment pourquoi combien quand quoi faut peut doit puis-je dois lorsqu lorsque tout tous toute toutes
plus moins très trop bien ainsi alors avoir été était sont serait faut-il peut-on doit-on est-ce ce qu il
sera soit leurs chaque entre vers chez selon après avant depuis sous ceci cela ça là
the a an and or of to in on at for with by from is are be been was were it its this that these those
what which who whom how why when where do does did should can could would will my your our their i you we
they he she them me us not no than then so as if into about any some more most very much many
""".split())

SUFFIXES = sorted("""ements ement ations ation ateurs ateur atrices atrice ements ments ment ances ance
ences ence ités ité ites ite ives ive ifs if euses euse eux ables able ibles ible ismes isme istes iste
ées ée és é es er ez ent e s x ing ed ly ies ers""".split(), key=len, reverse=True)


def strip_accents(t):
    return ''.join(c for c in unicodedata.normalize('NFD', t) if unicodedata.category(c) != 'Mn')


def stem(w):
    for s in SUFFIXES:
        s = strip_accents(s)
        if w.endswith(s) and len(w) - len(s) >= 3:
            return w[:-len(s)]
    return w


def content_words(text):
    text = strip_accents(text.lower().replace('’', "'"))
    words = re.findall(r"[a-z0-9]+", text)
    return {w for w in words if w not in {strip_accents(s) for s in STOP} and (len(w) > 2 or w.isdigit())}


def overlap(q, para):
    qs, ps = content_words(q), content_words(para)
    hits = set()
    for a in qs:
        for b in ps:
            if a == b or stem(a) == stem(b) or (len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5]):
                hits.add((a, b))
    return hits


# ------------------------------------------------------------------ main check
def where(rel, phrase):
    return [i for i, t in enumerate(page_texts(rel), 1) if ws(phrase) in t]


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == '--where':
        print(where(sys.argv[2], ' '.join(sys.argv[3:])))
        return 0
    errors, warnings = [], []
    path = os.path.join(ROOT, 'golden.jsonl')
    items, ids = [], set()
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                errors.append(f'line {n}: empty line'); continue
            try:
                q = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f'line {n}: {e}'); continue
            if set(q) != {'id', 'question', 'lang', 'doc', 'page', 'phrases', 'kind'}:
                errors.append(f'line {n}: keys {sorted(q)}'); continue
            if q['id'] in ids:
                errors.append(f'{q["id"]}: duplicate id')
            ids.add(q['id'])
            items.append(q)

    for q in items:
        qid = q['id']
        if not re.fullmatch(r'q\d{3}', qid):
            errors.append(f'{qid}: bad id')
        if q['lang'] not in ('fr', 'en'):
            errors.append(f'{qid}: bad lang')
        if q['kind'] not in ('keyword', 'paraphrase', 'unanswerable'):
            errors.append(f'{qid}: bad kind'); continue
        if q['kind'] == 'unanswerable':
            if q['doc'] is not None or q['page'] is not None or q['phrases'] != []:
                errors.append(f'{qid}: unanswerable must have doc/page null and no phrases')
            continue
        rel = q['doc']
        if rel not in KIND or not os.path.exists(os.path.join(ROOT, 'corpus', rel)):
            errors.append(f'{qid}: doc {rel} not in corpus'); continue
        if not (1 <= len(q['phrases']) <= 3):
            errors.append(f'{qid}: needs 1-3 phrases')
        pages = page_texts(rel)
        if not isinstance(q['page'], int) or not 1 <= q['page'] <= len(pages):
            errors.append(f'{qid}: page {q["page"]} outside 1..{len(pages)}'); continue
        paras = paragraphs(rel)
        full = ' \n '.join(paras)
        for ph in q['phrases']:
            if ws(ph) not in full:
                errors.append(f'{qid}: phrase {ph!r} not in source of {rel}')
            if ws(ph) not in pages[q['page'] - 1]:
                errors.append(f'{qid}: phrase {ph!r} not on page {q["page"]} of {rel} (found on {where(rel, ph)})')
        if rel.endswith('.html'):
            raw = open(source_path(rel, 'copy'), encoding='utf-8').read()
            hidden = ' '.join(m[1] for m in re.findall(r'<(script|style)[^>]*>(.*?)</\1>', raw, re.S | re.I))
            for ph in q['phrases']:
                if ws(ph) in ws(hidden) and ws(ph) not in full:
                    errors.append(f'{qid}: phrase {ph!r} only in script/style')
        answer = [p for p in paras if all(ws(ph) in p for ph in q['phrases'])]
        if not answer:
            errors.append(f'{qid}: phrases not all in one paragraph'); continue
        para = answer[0]
        hits = overlap(q['question'], para)
        if q['kind'] == 'paraphrase':
            if KIND[rel] not in ('textpdf', 'copy'):
                errors.append(f'{qid}: paraphrase must target a text-layer document')
            if hits:
                errors.append(f'{qid}: paraphrase shares words with its paragraph: {sorted(hits)}')
        elif not hits:
            errors.append(f'{qid}: keyword question shares no word with its paragraph')
        others = [r for r in KIND if r != rel and all(ws(ph) in ' \n '.join(paragraphs(r))
                                                        for ph in q['phrases'])]
        if others:
            warnings.append(f'{qid}: all phrases also found in {others}')

    # counts
    from collections import Counter
    kinds = Counter(q['kind'] for q in items)
    langs = Counter(q['lang'] for q in items)
    fmt = Counter(KIND.get(q['doc'], '-') for q in items if q['doc'])
    scan_kw = sum(1 for q in items if q['kind'] == 'keyword' and KIND.get(q['doc']) in ('scanpdf', 'image'))
    en_kw = sum(1 for q in items if q['kind'] == 'keyword' and q['lang'] == 'en')
    if len(items) < 45: errors.append(f'only {len(items)} questions')
    if kinds['keyword'] < 30: errors.append('fewer than 30 keyword questions')
    if kinds['paraphrase'] != 10: errors.append('paraphrase questions must be exactly 10')
    if kinds['unanswerable'] < 5: errors.append('fewer than 5 unanswerable questions')
    if scan_kw < 8: errors.append('fewer than 8 keyword questions on scans/images')
    print(f'{len(items)} questions; kinds {dict(kinds)}; langs {dict(langs)}; '
          f'doc kinds {dict(fmt)}; keyword on scans/images {scan_kw}; English keyword {en_kw}')
    for w in warnings:
        print('WARNING', w)
    for e in errors:
        print('ERROR', e)
    print('OK' if not errors else f'{len(errors)} error(s)')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/python3
"""Regenerate the ragops sample corpus from the text sources.

    /usr/bin/python3 samples/tools/make_corpus.py [name-filter]

Reads   samples/sources/<dir>/<name>.txt   (light markup, see parse() below)
        samples/corpus/{notes,md,web}/*    (hand-written, their own source)
Writes  samples/corpus/...                 (PDF, scanned PDF, PNG/JPEG/TIFF, txt, md, html)
        samples/groundtruth/...page-N.txt  (exact text of every scanned page / page image)

Needs Debian packages: python3-reportlab, python3-pil, img2pdf, poppler-utils.
Everything is deterministic (reportlab invariant mode, seeded noise, img2pdf --nodate),
so re-running produces byte-identical files.

Source markup (one block per paragraph, blocks separated by blank lines):
    %key: value      metadata (lang, header, short, footer; text PDFs: author, creator
                     for the PDF's properties; scans: body = type size,
                     layout = card for A5 pages instead of A4)
    # Title          document title            ## Heading   ### Sub-heading
    - item           bullet (continuation lines indented by two spaces)
    1. step          numbered step (kept on its own line)
    | a | b |        table row (text PDFs only)
    %pagebreak       force a new page
    {-}              soft hyphen: optional hyphenation point (text PDFs only);
                     '%hyphenate: yes' adds them automatically in long words
    **bold**         bold span (text PDFs only)
"""
import os, re, sys, shutil, subprocess, tempfile, zlib, random, functools

from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, PageTemplate, Frame, Paragraph, Spacer,
                                PageBreak, Table, TableStyle, KeepTogether)
from PIL import Image, ImageFilter, ImageDraw, ImageChops

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)                      # samples/
SRC = os.path.join(ROOT, 'sources')
OUT = os.path.join(ROOT, 'corpus')
GT = os.path.join(ROOT, 'groundtruth')
FONTDIR = '/usr/share/fonts/truetype/dejavu'

# (corpus path, kind, options)
#   textpdf : reportlab text-layer PDF
#   scanpdf : rendered, rasterised at 300 dpi gray, degraded, image-only PDF (img2pdf)
#   image   : rendered, rasterised at 300 dpi gray, degraded, saved as PNG / JPEG / TIFF
#   copy    : plain text formats, written directly in corpus/
DOCS = [
    ('pdf/triangle-exposition.pdf', 'textpdf', {}),
    ('pdf/ouverture-diaphragme.pdf', 'textpdf', {}),
    ('pdf/vitesse-obturation.pdf', 'textpdf', {}),
    ('pdf/profondeur-de-champ.pdf', 'textpdf', {}),
    ('pdf/balance-des-blancs.pdf', 'textpdf', {}),
    ('pdf/mesure-de-la-lumiere.pdf', 'textpdf', {}),
    ('pdf/objectifs-et-focales.pdf', 'textpdf', {}),
    ('pdf/composition.pdf', 'textpdf', {}),
    ('pdf/impression-des-tirages.pdf', 'textpdf', {}),
    ('pdf/colour-spaces.pdf', 'textpdf', {}),
    ('scans/magazine-pose-longue.pdf', 'scanpdf', {'angle': 0.7}),
    ('scans/formats-de-capteurs.pdf', 'scanpdf', {'angle': -0.5}),
    ('scans/developpement-film-nb.pdf', 'scanpdf', {'angle': 0.9}),
    ('scans/atelier-astrophotographie.pdf', 'scanpdf', {'angle': -0.8}),
    ('scans/macro-handout.pdf', 'scanpdf', {'angle': 0.4}),
    ('images/fiche-histogramme.png', 'image', {'angle': -0.6}),
    ('images/fiche-autofocus.png', 'image', {'angle': 0.5}),
    ('images/eclairage-portrait.jpg', 'image', {'angle': 0.8}),
    ('images/sensor-cleaning.jpg', 'image', {'angle': -0.4}),
    ('images/numerisation-tirages.tif', 'image', {'angle': 0.3}),
    ('notes/iso-et-bruit.txt', 'copy', {}),
    ('notes/photo-de-paysage.txt', 'copy', {}),
    ('notes/backup-basics.txt', 'copy', {}),
    ('md/raw-vs-jpeg.md', 'copy', {}),
    ('md/archivage-des-photos.md', 'copy', {}),
    ('md/street-photography.md', 'copy', {}),
    ('web/flash-cobra.html', 'copy', {}),
    ('web/photo-de-classe.html', 'copy', {}),
    ('web/smartphone-photography.html', 'copy', {}),
]


def source_path(rel, kind):
    # Plain text formats are written by hand in corpus/: they are their own source.
    if kind == 'copy':
        return os.path.join(OUT, rel)
    return os.path.join(SRC, os.path.splitext(rel)[0] + '.txt')


# ---------------------------------------------------------------- parsing
def parse(path):
    meta, blocks, cur = {}, [], None
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')

    def flush():
        nonlocal cur
        if cur is not None:
            if cur[0] == 'table':
                blocks.append(('table', cur[1]))
            else:
                blocks.append((cur[0], ' '.join(cur[1])))
        cur = None

    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        if line.startswith('%pagebreak'):
            flush(); blocks.append(('pagebreak', ''))
            continue
        m = re.match(r'%(\w+):\s*(.*)$', line)
        if m:
            flush(); meta[m.group(1)] = m.group(2)
            continue
        if line.startswith('### '):
            flush(); blocks.append(('h3', line[4:].strip())); continue
        if line.startswith('## '):
            flush(); blocks.append(('h2', line[3:].strip())); continue
        if line.startswith('# '):
            flush(); blocks.append(('title', line[2:].strip())); continue
        if line.startswith('- '):
            flush(); cur = ['li', [line[2:].strip()]]; continue
        if re.match(r'\d+\. ', line):
            flush(); cur = ['ol', [line.strip()]]; continue
        if line.startswith('|'):
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if cur is None or cur[0] != 'table':
                flush(); cur = ['table', []]
            if not all(re.fullmatch(r':?-+:?', c) for c in cells):
                cur[1].append(cells)
            continue
        if cur is None:
            cur = ['p', []]
        cur[1].append(line.strip())
    flush()
    return meta, blocks


def plain(text):
    """Text as it appears on the page (markup removed)."""
    return text.replace('{-}', '').replace('**', '')


# ---------------------------------------------------------------- fonts
def register_fonts():
    for name, fn in [('DV', 'DejaVuSans'), ('DV-B', 'DejaVuSans-Bold'),
                     ('DV-I', 'DejaVuSans-Oblique'), ('DV-BI', 'DejaVuSans-BoldOblique'),
                     ('DVS', 'DejaVuSerif'), ('DVS-B', 'DejaVuSerif-Bold'),
                     ('DVS-I', 'DejaVuSerif-Italic')]:
        pdfmetrics.registerFont(TTFont(name, os.path.join(FONTDIR, fn + '.ttf')))
    pdfmetrics.registerFontFamily('DV', normal='DV', bold='DV-B', italic='DV-I', boldItalic='DV-BI')


# ---------------------------------------------------------------- text-layer PDFs
def rl_markup(text):
    t = text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    t = t.replace('{-}', '\xad')
    t = re.sub(r'\*\*(.+?)\*\*', r'<b>\1</b>', t)
    return t


VOWELS = set('aeiouyàâäéèêëîïôöûüùœæ')
CLUSTERS = {'ch', 'ph', 'th', 'gn', 'qu', 'gu'} | {c + l for c in 'bcdfgkptv' for l in 'rl'}


def soft_hyphenate(text):
    """Naive French-style hyphenation points (VC-CV) as {-} markers in long words.

    Only used for documents with '%hyphenate: yes'; it gives the justified text a
    few realistic end-of-line hyphens for the extraction tests."""
    def word(m):
        w = m.group(0)
        if len(w) < 9 or not w.isalpha():
            return w
        low, out, last = w.lower(), [], 0
        for i in range(3, len(w) - 3):
            a, b, c, d = low[i - 2], low[i - 1], low[i], low[i + 1]
            if a in VOWELS and b not in VOWELS and c not in VOWELS and d in VOWELS \
                    and b + c not in CLUSTERS and b != c or (b == c and a in VOWELS and d in VOWELS):
                if i - last >= 3:
                    out.append(w[last:i]); last = i
        out.append(w[last:])
        return '{-}'.join(out)
    return re.sub(r'\w+', word, text)


def make_numbered_canvas(meta):
    lang = meta.get('lang', 'fr')
    header = meta.get('header', '')
    short = meta.get('short', '')
    footer = meta.get('footer', '')

    class NumberedCanvas(Canvas):
        def __init__(self, *a, **k):
            Canvas.__init__(self, *a, **k)
            self._saved = []

        def showPage(self):
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self.draw_furniture(total)
                Canvas.showPage(self)
            Canvas.save(self)

        def draw_furniture(self, total):
            w, h = A4
            n = self._pageNumber
            self.saveState()
            self.setFont('DV', 8.5)
            self.setFillColor(colors.HexColor('#444444'))
            self.drawString(22 * mm, h - 14 * mm, header)
            self.drawRightString(w - 22 * mm, h - 14 * mm, short)
            self.setStrokeColor(colors.HexColor('#888888'))
            self.setLineWidth(0.5)
            self.line(22 * mm, h - 16 * mm, w - 22 * mm, h - 16 * mm)
            self.line(22 * mm, 16 * mm, w - 22 * mm, 16 * mm)
            self.drawString(22 * mm, 11 * mm, footer)
            word = 'sur' if lang == 'fr' else 'of'
            self.drawRightString(w - 22 * mm, 11 * mm, f'Page {n} {word} {total}')
            self.restoreState()

    return NumberedCanvas


def build_textpdf(rel, src, opts):
    meta, blocks = parse(src)
    if meta.get('hyphenate') == 'yes':
        blocks = [(k, soft_hyphenate(t)) if k in ('p', 'li') else (k, t) for k, t in blocks]
    out = os.path.join(OUT, rel)
    body = ParagraphStyle('body', fontName='DV', fontSize=10.5, leading=15.2,
                          alignment=TA_JUSTIFY, spaceAfter=6.5,
                          embeddedHyphenation=1, uriWasteReduce=0)
    st = {
        'title': ParagraphStyle('title', fontName='DV-B', fontSize=20, leading=25,
                                spaceAfter=12, alignment=TA_LEFT,
                                textColor=colors.HexColor('#1b3a5c')),
        'h2': ParagraphStyle('h2', fontName='DV-B', fontSize=14, leading=18,
                             spaceBefore=10, spaceAfter=5,
                             textColor=colors.HexColor('#1b3a5c')),
        'h3': ParagraphStyle('h3', fontName='DV-B', fontSize=11.5, leading=15,
                             spaceBefore=6, spaceAfter=3),
        'p': body,
        'li': ParagraphStyle('li', parent=body, leftIndent=14, bulletIndent=3, bulletFontName='DV',
                             spaceAfter=3),
    }
    flow = []
    for kind, text in blocks:
        if kind == 'pagebreak':
            flow.append(PageBreak())
        elif kind == 'table':
            cst = ParagraphStyle('cell', fontName='DV', fontSize=9.5, leading=12)
            hst = ParagraphStyle('hcell', fontName='DV-B', fontSize=9.5, leading=12)
            data = [[Paragraph(rl_markup(c), hst if i == 0 else cst) for c in row]
                    for i, row in enumerate(text)]
            t = Table(data, hAlign='LEFT', repeatRows=1)
            t.setStyle(TableStyle([
                ('FONT', (0, 0), (-1, -1), 'DV', 9.5),
                ('GRID', (0, 0), (-1, -1), 0.5, colors.HexColor('#777777')),
                ('BACKGROUND', (0, 0), (-1, 0), colors.HexColor('#e4eaf1')),
                ('VALIGN', (0, 0), (-1, -1), 'TOP')]))
            flow += [Spacer(1, 3), t, Spacer(1, 8)]
        elif kind == 'li':
            flow.append(Paragraph(rl_markup(text), st['li'], bulletText='•'))
        elif kind == 'ol':
            flow.append(Paragraph(rl_markup(text), st['li']))
        elif kind in ('h2', 'h3'):
            flow.append(Paragraph(rl_markup(text), st[kind]))
        else:
            flow.append(Paragraph(rl_markup(text), st[kind]))
    # keep headings with the following paragraph
    grouped, i = [], 0
    while i < len(flow):
        f = flow[i]
        if isinstance(f, Paragraph) and f.style.name in ('h2', 'h3') and i + 1 < len(flow):
            grouped.append(KeepTogether([f, flow[i + 1]])); i += 2
        else:
            grouped.append(f); i += 1
    title = next((t for k, t in blocks if k == 'title'), rel)
    doc = BaseDocTemplate(out, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm,
                          topMargin=24 * mm, bottomMargin=24 * mm,
                          title=plain(title), author=meta.get('author', 'ragops sample corpus (CC0)'),
                          subject=meta.get('short', ''), creator=meta.get('creator', 'ragops make_corpus.py'),
                          lang=meta.get('lang', 'fr'), invariant=1, initialFontName='DV')
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id='f')
    doc.addPageTemplates([PageTemplate(id='p', frames=[frame])])
    doc.build(grouped, canvasmaker=make_numbered_canvas(meta))


# ---------------------------------------------------------------- scanned pages
class Layout:
    """Simple left-aligned typesetter that records exactly what it draws."""

    def __init__(self, pagesize, margin, body, lead, h2, h3, title, small):
        self.W, self.H = pagesize
        self.m = margin
        self.body, self.lead, self.h2, self.h3, self.title, self.small = body, lead, h2, h3, title, small

    def wrap(self, text, font, size, width):
        words, lines, cur = text.split(' '), [], ''
        for w in words:
            cand = (cur + ' ' + w) if cur else w
            if pdfmetrics.stringWidth(cand, font, size) <= width:
                cur = cand
            else:
                if cur:
                    lines.append(cur)
                cur = w
        if cur:
            lines.append(cur)
        return lines

    def paginate(self, meta, blocks):
        top = self.H - self.m - 8 * mm
        bottom = self.m + 8 * mm
        width = self.W - 2 * self.m
        pages, ops, gt, y = [], [], [], top
        prev = None

        def newpage():
            nonlocal ops, gt, y
            pages.append((ops, gt))
            ops, gt, y = [], [], top

        for kind, text in blocks:
            if kind == 'pagebreak':
                newpage(); continue
            text = plain(text)
            if kind == 'title':
                font, size, lead, before, after, indent = 'DVS-B', self.title, self.title * 1.25, 0, 0.6, 0
            elif kind == 'h2':
                font, size, lead, before, after, indent = 'DVS-B', self.h2, self.h2 * 1.3, 0.7, 0.25, 0
            elif kind == 'h3':
                font, size, lead, before, after, indent = 'DVS-B', self.h3, self.h3 * 1.3, 0.4, 0.15, 0
            elif kind in ('li', 'ol'):
                font, size, lead, before, after, indent = 'DVS', self.body, self.lead, 0, 0.2, 5 * mm
            else:
                font, size, lead, before, after, indent = 'DVS', self.body, self.lead, 0, 0.55, 0
            if kind == 'li':
                lines = self.wrap(text, font, size, width - indent)
                lines = ['– ' + lines[0]] + lines[1:]
            else:
                lines = self.wrap(text, font, size, width)
            if kind in ('h2', 'h3', 'title'):
                need = len(lines) * lead + 2 * self.lead   # keep with two following lines
            else:
                need = min(len(lines), 2) * lead            # no single-line orphan
            if y - before * self.lead - need < bottom and gt:
                newpage()
            if gt:
                y -= before * self.lead
            # a blank line separates blocks in the ground truth (not between list items)
            if gt and gt[-1] != '' and not (kind in ('li', 'ol') and prev == kind):
                gt.append('')
            prev = kind
            for j, ln in enumerate(lines):
                if y - lead < bottom:
                    newpage()
                y -= lead
                x = self.m + (indent if (kind in ('li', 'ol') and j > 0) else 0)
                if kind == 'li' and j == 0:
                    x = self.m + indent - pdfmetrics.stringWidth('– ', font, size)
                ops.append((font, size, x, y, ln))
                gt.append(ln)
            y -= after * self.lead
        if gt:
            pages.append((ops, gt))
        # running header and footer
        n = len(pages)
        header = meta.get('header', '')
        footer = meta.get('footer', '')
        final = []
        for i, (ops, gt) in enumerate(pages, 1):
            ft = footer.replace('{n}', str(i)).replace('{total}', str(n))
            extra_ops = []
            head_gt, foot_gt = [], []
            if header:
                extra_ops.append(('DVS-I', self.small, self.m, self.H - self.m, header))
                head_gt = [header, '']
            if ft:
                extra_ops.append(('DVS-I', self.small, self.m, self.m, ft))
                foot_gt = ['', ft]
            final.append((extra_ops + ops, head_gt + gt + foot_gt))
        return final

    def render(self, pages, pdfpath):
        c = Canvas(pdfpath, pagesize=(self.W, self.H), invariant=1, initialFontName='DVS')
        for ops, _ in pages:
            for font, size, x, y, t in ops:
                c.setFont(font, size)
                c.drawString(x, y, t)
            c.showPage()
        c.save()


def rng_for(name):
    return random.Random(zlib.crc32(name.encode('utf-8')))


def degrade(im, rng, angle, grain):
    """Scan-like degradation: skew, optics blur, paper tone, dust, optional grain/mottle."""
    W, H = im.size
    im = im.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
    im = im.filter(ImageFilter.GaussianBlur(0.85))
    # paper is never pure white, ink is never pure black
    im = im.point(lambda v: int(34 + v * (236 - 34) / 255 + 0.5))
    if grain:
        # low-frequency paper mottle
        gw, gh = W // 160 + 2, H // 160 + 2
        g = Image.new('L', (gw, gh))
        g.putdata([int(128 + rng.gauss(0, 3)) for _ in range(gw * gh)])
        g = g.resize((W, H), Image.BICUBIC)
        im = ImageChops.add(im, g, 1.0, -128)
        # fine sensor/scanner grain from a seeded tile
        T = 256
        tile = Image.new('L', (T, T))
        tile.putdata([max(0, min(255, int(128 + rng.gauss(0, 1.8)))) for _ in range(T * T)])
        noise = Image.new('L', (W, H))
        for yy in range(0, H, T):
            for xx in range(0, W, T):
                noise.paste(tile.rotate(90 * rng.randrange(4)), (xx, yy))
        im = ImageChops.add(im, noise, 1.0, -128)
    # dust specks
    d = ImageDraw.Draw(im)
    for _ in range(rng.randrange(60, 140)):
        x, y = rng.randrange(W), rng.randrange(H)
        r = rng.choice([1, 1, 2, 2, 3])
        d.ellipse([x, y, x + r, y + r], fill=rng.randrange(90, 190))
    return im


def rasterise(pdfpath, tmp):
    subprocess.run(['pdftoppm', '-r', '300', '-gray', '-png', pdfpath,
                    os.path.join(tmp, 'pg')], check=True)
    files = sorted(f for f in os.listdir(tmp) if f.startswith('pg') and f.endswith('.png'))
    return [Image.open(os.path.join(tmp, f)).convert('L') for f in files]


def write_groundtruth(rel, pages):
    for i, (_, gt) in enumerate(pages, 1):
        p = os.path.join(GT, f'{rel}.page-{i}.txt')
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w', encoding='utf-8') as f:
            f.write('\n'.join(gt).strip('\n') + '\n')


SCAN_LAYOUT = dict(pagesize=A4, margin=24 * mm, body=11.5, lead=16.5, h2=14, h3=12, title=19, small=8.5)
CARD_LAYOUT = dict(pagesize=A5, margin=14 * mm, body=10, lead=13.6, h2=12, h3=10.5, title=15, small=7.5)


def build_scanned(rel, src, opts, kind):
    meta, blocks = parse(src)
    ext = os.path.splitext(rel)[1].lower()
    geom = dict(CARD_LAYOUT if meta.get('layout') == 'card' else SCAN_LAYOUT)
    if 'body' in meta:                                   # per-document type size override
        geom['body'] = float(meta['body'])
        geom['lead'] = round(geom['body'] * 1.42, 1)
    lay = Layout(**geom)
    pages = lay.paginate(meta, blocks)
    if ext in ('.png', '.jpg') and len(pages) != 1:
        raise SystemExit(f'{rel}: text does not fit on one page ({len(pages)} pages)')
    gtdir = os.path.dirname(os.path.join(GT, rel))
    if os.path.isdir(gtdir):                             # drop stale page files
        for f in os.listdir(gtdir):
            if f.startswith(os.path.basename(rel) + '.page-'):
                os.remove(os.path.join(gtdir, f))
    write_groundtruth(rel, pages)
    out = os.path.join(OUT, rel)
    rng = rng_for(rel)
    angle = float(opts.get('angle', 0.5))
    with tempfile.TemporaryDirectory() as tmp:
        clean = os.path.join(tmp, 'clean.pdf')
        lay.render(pages, clean)
        imgs = rasterise(clean, tmp)
        grain = ext in ('.pdf', '.jpg')
        imgs = [degrade(im, rng, angle + (0.15 * i if i else 0), grain) for i, im in enumerate(imgs)]
        if ext == '.pdf':
            jpgs = []
            for i, im in enumerate(imgs, 1):
                p = os.path.join(tmp, f'scan-{i}.jpg')
                im.save(p, 'JPEG', quality=72, optimize=True, dpi=(300, 300))
                jpgs.append(p)
            subprocess.run(['img2pdf', '--engine', 'internal', '--nodate', '--producer', '', '-o', out] + jpgs, check=True)
        elif ext == '.jpg':
            imgs[0].save(out, 'JPEG', quality=72, optimize=True, dpi=(300, 300))
        elif ext == '.png':
            imgs[0].save(out, 'PNG', optimize=True, dpi=(300, 300))
        elif ext in ('.tif', '.tiff'):
            imgs[0].save(out, 'TIFF', compression='tiff_lzw', dpi=(300, 300),
                         save_all=True, append_images=imgs[1:])
    return len(pages)


# ---------------------------------------------------------------- main
def main():
    flt = sys.argv[1] if len(sys.argv) > 1 else ''
    register_fonts()
    for rel, kind, opts in DOCS:
        if flt not in rel:
            continue
        src = source_path(rel, kind)
        out = os.path.join(OUT, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if kind == 'copy':
            pass
        elif kind == 'textpdf':
            build_textpdf(rel, src, opts)
        else:
            build_scanned(rel, src, opts, kind)
        print(f'{os.path.getsize(out):>9}  {rel}')


if __name__ == '__main__':
    main()

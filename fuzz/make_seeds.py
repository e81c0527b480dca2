#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

Seeds are small (a few KB): samples of the real inputs (samples/corpus,
tests/fixtures, ragops.example.yaml) and hand-made files that reach the
parts a sample does not (PDF fonts and filters, multi-page TIFF, the
block format of fuzz_blocks in fuzz/fuzz.h).  Deterministic: re-running
gives the same files.  Usage: fuzz/make_seeds.py (from anywhere).
"""
import os
import shutil
import struct
import zlib

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(TOP, 'fuzz', 'corpus')


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode('utf-8')
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def copy(target, path, name=None, limit=8192):
    with open(os.path.join(TOP, path), 'rb') as f:
        data = f.read()
    put(target, name or os.path.basename(path), data[:limit])


# --- PDF ------------------------------------------------------------------

def pdf(objects, info=None, trailer_extra=b''):
    """A PDF from object bodies (1-based numbers), with a correct xref."""
    out = bytearray(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b'%d 0 obj\n' % i + body + b'\nendobj\n'
    xref = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objects) + 1)
    for off in offsets:
        out += b'%010d 00000 n \n' % off
    out += b'trailer\n<< /Size %d /Root 1 0 R' % (len(objects) + 1)
    if info:
        out += b' /Info %d 0 R' % info
    out += trailer_extra + b' >>\nstartxref\n%d\n%%%%EOF\n' % xref
    return bytes(out)


def stream(data, extra=b'', compress=False):
    if compress:
        data = zlib.compress(data, 9)
        extra += b' /Filter /FlateDecode'
    return b'<< /Length %d%s >>\nstream\n' % (len(data), extra) + data + b'\nendstream'


def text_pdf(pages, compress=False, title=None):
    """Pages of (font size, bold, text) lines; Helvetica, a running header."""
    n = len(pages)
    objs = [b'<< /Type /Catalog /Pages 2 0 R >>', None,
            b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
            b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>']
    kids = []
    for lines in pages:
        y = 800
        content = b'BT /F1 8 Tf 72 820 Td (Guide photo - page courante) Tj ET\n'
        for size, bold, text in lines:
            y -= size * 1.6
            content += b'BT /F%d %d Tf 72 %d Td (%s) Tj ET\n' % (2 if bold else 1, size, y,
                                                                 text.encode('cp1252'))
        objs.append(stream(content, compress=compress))
        objs.append(b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R '
                    b'/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>' % (len(objs)))
        kids.append(len(objs))
    objs[1] = b'<< /Type /Pages /Kids [%s] /Count %d >>' % (
        b' '.join(b'%d 0 R' % k for k in kids), n)
    info = None
    if title:
        objs.append(b'<< /Title (%s) >>' % title.encode('cp1252'))
        info = len(objs)
    return pdf(objs, info)


PAGE1 = [(18, False, '1. La profondeur de champ'),
         (11, False, "L'ouverture du diaphragme regle la zone de nettete."),
         (11, False, 'Un grand nombre f/ donne une profondeur de champ plus gran-'),
         (11, False, 'de, utile en paysage. Voir fig. 2, p. 14.'),
         (13, True, 'A retenir')]
PAGE2 = [(14, False, '1.1 Distance hyperfocale'),
         (11, False, 'At the hyperfocal distance, everything from half of it to infinity is sharp.'),
         (11, False, 'ISO 100 - 1/125 s - f/8.')]


def image_pdf():
    """One page with an image and no text: it needs OCR."""
    pixels = bytes((x * 16) & 0xff for x in range(16 * 16))
    img = stream(pixels, b' /Type /XObject /Subtype /Image /Width 16 /Height 16 '
                 b'/ColorSpace /DeviceGray /BitsPerComponent 8', compress=True)
    return pdf([b'<< /Type /Catalog /Pages 2 0 R >>',
                b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
                b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R '
                b'/Resources << /XObject << /Im1 5 0 R >> >> >>',
                stream(b'q 200 0 0 200 0 0 cm /Im1 Do Q'), img])


def tounicode_pdf():
    """A Type3 font whose glyphs map to text through a ToUnicode CMap (ligatures)."""
    cmap = (b'/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n'
            b'1 begincodespacerange <00> <FF> endcodespacerange\n'
            b'3 beginbfchar <01> <FB01> <02> <0065> <03> <00E9> endbfchar\n'
            b'1 beginbfrange <41> <5A> <0041> endbfrange\n'
            b'endcmap CMapName currentdict /CMap defineresource pop end end')
    glyph = stream(b'1000 0 0 0 750 750 d1 0 0 750 750 re f')
    font = (b'<< /Type /Font /Subtype /Type3 /FontBBox [0 0 750 750] '
            b'/FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /g 6 0 R >> '
            b'/Encoding << /Type /Encoding /Differences [1 /g /g /g 65 /g /g /g] >> '
            b'/FirstChar 1 /LastChar 67 /Widths [%s] /ToUnicode 7 0 R >>'
            % b' '.join([b'1000'] * 67))
    content = b'BT /T3 12 Tf 20 100 Td <01020341424301> Tj 0 -14 Td <4142430102034142430203> Tj 0 -14 Td <0102034142430102> Tj ET'
    return pdf([b'<< /Type /Catalog /Pages 2 0 R >>',
                b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
                b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R '
                b'/Resources << /Font << /T3 5 0 R >> >> >>',
                stream(content), font, glyph, stream(cmap)])


def xref_stream_pdf():
    """Objects in an object stream, found through a cross-reference stream (PDF 1.5)."""
    content = stream(b'BT /F1 12 Tf 72 700 Td (Objets compresses dans un flux d objets) Tj ET', compress=True)
    objs_in = [b'<< /Type /Pages /Kids [4 0 R] /Count 1 >>',
               b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>']
    body = b''
    header = b''
    for i, o in enumerate(objs_in):
        header += b'%d %d ' % (i + 2, len(body))
        body += o + b' '
    objstm = stream(header + body, b' /Type /ObjStm /N 2 /First %d' % len(header), compress=True)
    out = bytearray(b'%PDF-1.5\n')
    offs = {}
    for num, data in [(1, b'<< /Type /Catalog /Pages 2 0 R >>'), (4, None), (5, content),
                      (6, objstm)]:
        if data is None:
            data = (b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R '
                    b'/Resources << /Font << /F1 3 0 R >> >> >>')
        offs[num] = len(out)
        out += b'%d 0 obj\n' % num + data + b'\nendobj\n'
    xref_off = len(out)
    rows = [(0, 0, 255), (1, offs[1], 0), (2, 6, 0), (2, 6, 1), (1, offs[4], 0), (1, offs[5], 0),
            (1, offs[6], 0), (1, xref_off, 0)]
    raw = b''.join(struct.pack('>BIB', t, a, b) for t, a, b in rows)
    xs = stream(raw, b' /Type /XRef /Size 8 /W [1 4 1] /Root 1 0 R', compress=True)
    out += b'7 0 obj\n' + xs + b'\nendobj\nstartxref\n%d\n%%%%EOF\n' % xref_off
    return bytes(out)


# --- images -----------------------------------------------------------------

def png(w=4, h=4):
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack(
            '>I', zlib.crc32(kind + data) & 0xffffffff)
    rows = b''.join(b'\x00' + bytes(range(w)) for _ in range(h))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) +
            chunk(b'pHYs', struct.pack('>IIB', 11811, 11811, 1)) +
            chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))


def tiff(pages=2, w=4, h=4):
    """A little-endian multi-page 8-bit grey TIFF."""
    out = bytearray(b'II*\x00\x00\x00\x00\x00')
    prev_next = 4
    for p in range(pages):
        data_off = len(out)
        out += bytes((p * 40 + i) & 0xff for i in range(w * h))
        if len(out) % 2:
            out += b'\x00'
        ifd = len(out)
        struct.pack_into('<I', out, prev_next, ifd)
        tags = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
                (273, 4, 1, data_off), (277, 3, 1, 1), (278, 3, 1, h), (279, 4, 1, w * h)]
        out += struct.pack('<H', len(tags))
        for tag, typ, count, value in tags:
            out += struct.pack('<HHII', tag, typ, count, value)
        prev_next = len(out)
        out += b'\x00\x00\x00\x00'
    return bytes(out)


# --- the block format of fuzz_blocks ------------------------------------------

def blocks(items):
    """(control byte, text) pairs: see fuzz_blocks in fuzz/fuzz.h."""
    return b'\x00'.join(bytes([c]) + t.encode('utf-8') for c, t in items)


HEADING = lambda level: 4 | (level << 3)  # noqa: E731
NEXT_PAGE = 1
DOC = [
    (HEADING(1), 'Mesure de la lumière'),
    (0, 'Le posemètre intégré mesure la lumière réfléchie.\nUne scène claire trompe la '
        'cellule : elle sous-ex-\npose la neige. Corrigez de +1 IL.'),
    (0, 'Guide photo — page 1'),
    (NEXT_PAGE, 'Guide photo — page 2'),
    (HEADING(2), '2.1 Le spot'),
    (0, 'La mesure spot lit 1 à 3 % du cadre. M. Dupont, p. 12, le recommande. Il '
        'mesure les hautes lumières ! Puis les ombres ? Enfin… la moyenne.'),
    (0, 'ﬁnesse, ﬂou, « guillemets », Jean-\nPierre, co-\nopération, e\u0301te\u0301'),
    (0, '.... --- ~~~ ###'),
    (NEXT_PAGE, 'Guide photo — page 3'),
    (HEADING(7), 'Over-deep heading level'),
    (0x40 | 0, 'Page that needs OCR'),
    (0, ''),
]


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)

    # config
    copy('config', 'ragops.example.yaml', limit=16384)
    put('config', 'user.yaml', '# a user\'s file\ndata_dir: ./mydata\nchunk:\n  target_chars: 700\n'
        '  overlap_chars: 100\n')
    put('config', 'lists.yaml', 'inbox:\n  - /srv/docs\n  - "/srv/scans"\nvalidate:\n'
        '  golden: [a.jsonl, b.jsonl]\nretrieve: {mode: bm25, candidates: 20}\n')
    put('config', 'scalars.yaml', 'inbox: /a:/b::/c\ncollect:\n  max_file_size: 1.5G\n'
        'health:\n  max_run_age: 12h\n  window: 30m\nserve:\n  max_body: 64KB\n  port: 0\n'
        'log:\n  level: debug\nretrain:\n  auto: true\n')
    put('config', 'anchors.yaml', 'x: &v 300\nocr:\n  dpi: *v\n  languages: "fra+eng"\n'
        'answer:\n  url: \'\'\n  timeout: 1e2\n')
    put('config', 'bad-key.yaml', 'chunk:\n  target_chars: 700\n  target_size: 10\n')
    put('config', 'bad-value.yaml', 'search:\n  limit: many\nchunk:\n  overlap_chars: 400\n')
    put('config', 'not-mapping.yaml', '- a\n- b\n')

    # api_body: route byte (0 ask, 1 feedback, 2 promote, 3 rollback, 4 json_str), then the body
    put('api_body', 'ask', b'\x00{"question": "Quelle ouverture pour un portrait ?", "k": 3}')
    put('api_body', 'ask-retriever', b'\x00{"question":"iso","retriever":"bm25","k":50}')
    put('api_body', 'ask-bad', b'\x00{"question": "a\\u0000b", "k": 0, "x": 1}')
    put('api_body', 'feedback', b'\x01{"question":"Qu\'est-ce que l\'ISO ?","answer":"La sensibilit\\u00e9",'
        b'"sources":[{"path":"notes/iso.txt","page":1}],"rating":4,"feedback_text":"bien",'
        b'"corrected_answer":"x","helpful_sources":["notes/iso.txt"],"unhelpful_sources":[]}')
    put('api_body', 'feedback-query', b'\x01{"query_id": 12, "rating": 1}')
    put('api_body', 'feedback-bad', b'\x01{"rating": "five", "sources": [1, 2]}')
    put('api_body', 'promote', b'\x02{"reason": "better recall", "force": true}')
    put('api_body', 'rollback', b'\x03{"reason": null}')
    put('api_body', 'array', b'\x03[1, 2, 3]')
    put('api_body', 'latin1', b'\x04caf\xe9 \xc3\xa9t\xe9 \xed\xa0\x80')

    # extractors
    for name in sorted(os.listdir(os.path.join(TOP, 'samples/corpus/web'))):
        copy('extract_html', 'samples/corpus/web/' + name)
    put('extract_html', 'tricky.html', '<!DOCTYPE html><html><head><title>Titre</title>'
        '<style>p{}</style></head><body><h1>Un</h1><p>a<br>b<span>c</span></p><pre>l1\nl2</pre>'
        '<table><tr><td>x</td><th>y</th></tr></table><script>var a;</script><nav>menu</nav>'
        '<h7>no</h7><ul><li>un<li>deux</ul><![CDATA[z]]><!-- c --><svg><title>t</title></svg>'
        '&eacute;&#x1F600;&#0;</body></html>')
    for name in sorted(os.listdir(os.path.join(TOP, 'samples/corpus/md'))):
        copy('extract_markdown', 'samples/corpus/md/' + name)
    put('extract_markdown', 'syntax.md', 'Titre\n=====\n\nSous-titre\n---\n\n# A *b* `c`\n\n'
        '> cite\n> > deep\n\n- un\n  - deux\n\n1) trois\n\n```c\ncode\n```\n\n    indent\n\n'
        '[lien][r] ![img](x.png) <http://a.b>\n\n[r]: /u "t"\n\n<div>html</div>\n\n***\n')
    for name in sorted(os.listdir(os.path.join(TOP, 'samples/corpus/notes'))):
        copy('extract_text', 'samples/corpus/notes/' + name)
    for name in ['latin1.txt', 'broken-utf8.txt', 'ok.txt']:
        copy('extract_text', 'tests/fixtures/bad/' + name)
    put('extract_text', 'headings.txt', 'INTRODUCTION\n\n1. Premier point\n\nTexte du premier '
        'point.\n\n1.2 Détail\n\nTitre souligné\n==============\n\nAutre\n-----\n\nFin.\r\n')

    # clean and chunk: the block format; chunk takes three config bytes first
    put('clean', 'doc', b'\x80' + blocks(DOC))
    put('clean', 'headers', b'\x00' + blocks([(NEXT_PAGE, 'En-tête 1'), (0, 'corps un'),
                                               (NEXT_PAGE, 'En-tête 2'), (0, 'corps deux'),
                                               (NEXT_PAGE, 'En-tête 3'), (0, 'corps trois')]))
    notes = open(os.path.join(TOP, 'samples/corpus/notes/iso-et-bruit.txt'), encoding='utf-8').read()
    paras = [(HEADING(1) if i == 0 else (NEXT_PAGE if i % 4 == 0 else 0), p)
             for i, p in enumerate(notes.split('\n\n'))]
    put('clean', 'notes', b'\xff' + blocks(paras))
    put('chunk', 'doc', b'\x80\x40\x20' + blocks(DOC))
    put('chunk', 'doc-raw', b'\x00\xff\xff' + blocks(DOC))
    put('chunk', 'notes', b'\x8a\x60\x40' + blocks(paras))
    put('chunk', 'long-word', b'\x00\x00\x00' + blocks([(0, 'é' * 300 + ' ' + 'a.' * 90 + ' B')]))

    # tokenize: language and flags byte, then query NUL text
    put('tokenize', 'fr-query', b'\x05' + 'Quelle ouverture pour l\'hyperfocale ?\0La '
        'profondeur de champ dépend de l\'ouverture, de la focale et de la distance.'.encode())
    put('tokenize', 'en', b'\x02' + 'The exposure triangle: aperture, shutter speed and ISO.\0'
        'At f/8 the lens is sharpest; qu\'il soit œuvre ﬁne, Straße ǅ İstanbul.'.encode())
    put('tokenize', 'nostem', b'\x08' + 'e\u0301te\u0301 l\'ISO-100 ２０２４ x²\0'.encode() +
        b'a\xff\xfeb \xed\xa0\x80 ' + 'ﾃｽﾄ 写真'.encode())

    # ingest: every type the detector knows, as files
    put('ingest', 'text.pdf', text_pdf([PAGE1, PAGE2], title='Profondeur de champ'))
    put('ingest', 'flate.pdf', text_pdf([PAGE2, PAGE1, PAGE2], compress=True))
    put('ingest', 'image.pdf', image_pdf())
    put('ingest', 'type3.pdf', tounicode_pdf())
    put('ingest', 'objstm.pdf', xref_stream_pdf())
    for name in ['encrypted.pdf', 'truncated.pdf', 'no-text-layer.pdf', 'fake.png', 'latin1.txt',
                 'only-whitespace.md']:
        copy('ingest', 'tests/fixtures/bad/' + name)
    put('ingest', 'grey.png', png())
    put('ingest', 'two-pages.tif', tiff())
    put('ingest', 'header.jpg', b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01'
        b'\x00\x00\xff\xd9')
    copy('ingest', 'samples/corpus/web/photo-de-classe.html')
    copy('ingest', 'samples/corpus/md/street-photography.md')
    copy('ingest', 'samples/corpus/notes/backup-basics.txt')


if __name__ == '__main__':
    main()

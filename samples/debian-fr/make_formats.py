#!/usr/bin/python3
"""The debian-fr documents in the other formats users have: text PDFs,
scanned PDFs, page images, and English pages.

usage: make_formats.py SRC OUT FR_VERSION EN_VERSION   (make_corpus.sh calls
       it after debref.py; SRC is /usr/share/debian-reference, OUT the corpus)

Each document of FORMATS is one or more sections of the Référence Debian
(French, debian-reference-fr) or of the Debian Reference (English,
debian-reference-en) that none of the 59 documents of debref.py holds, and
no two documents here hold the same section in either language: a fact of
these documents is found in no other one, unless the book says it twice.
The sections are cut by debref.py's Chapter and typeset by the functions of
samples/tools/make_corpus.py, imported (its source markup is written from
the section's HTML):

  pdf/*.pdf       text PDF: A4, running header (book, chapter), footer (package,
                  version, licence) and "Page N sur M" on every page, tables,
                  embedded DejaVu fonts (build_textpdf)
  scans/*.pdf     scanned PDF, image only: typeset, rasterised at 300 dpi,
                  turned by a fraction of a degree, blurred, speckled, paper
                  mottle and grain, JPEG q72, img2pdf (build_scanned, degrade)
  images/*.png|jpg  one page each, degraded the same way (PNG without grain)
  en/*            English sections as debref.py writes the French ones:
                  XHTML page with navigation, plain text, Markdown, or text PDF

On a scanned page or an image, tables are printed as one line per row (the
cells joined by " — ") and no-break spaces as spaces.  The exact text printed
on every page of a scan or image goes to OUT/.groundtruth/<path>.page-N.txt
(as samples/groundtruth/); ragops skips hidden folders, so it is not
ingested.  Deterministic: reportlab's invariant mode, noise seeded by the
path, img2pdf --nodate.  Needs python3-reportlab, python3-pil, img2pdf,
poppler-utils and fonts-dejavu-core.
"""
import importlib.util
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import debref  # noqa: E402


def load_tools():
    """samples/tools/make_corpus.py, imported under a name of its own."""
    path = os.path.join(HERE, "..", "tools", "make_corpus.py")
    spec = importlib.util.spec_from_file_location("sample_corpus_tools", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# (path, language, chapter, first section id, stop id, options): the section
# ids and stops as in debref.UNITS; "angle" is a scan's rotation in degrees,
# "body" its type size.
FORMATS = [
    ("pdf/ch01-midnight-commander.pdf", "fr", 1, "_midnight_commander_mc", None, {}),
    ("pdf/ch01-environnement-travail.pdf", "fr", 1, "_the_basic_unix_like_work_environment", "_basic_unix_commands", {}),
    ("pdf/ch02-exemples-aptitude.pdf", "fr", 2, "_examples_of_aptitude_operations", None, {}),
    ("pdf/ch06-agent-transport-courrier.pdf", "fr", 6, "_mail_transport_agent_mta", None, {}),
    ("pdf/ch09-astuces-console.pdf", "fr", 9, "_the_console_tips", None, {}),
    ("pdf/ch09-systeme-virtualise.pdf", "fr", 9, "_virtualized_system", None, {}),
    ("pdf/ch11-outils-graphiques.pdf", "fr", 11, "_graphic_data_tools", None, {}),
    ("pdf/ch12-langages-compiles.pdf", "fr", 12, "_coding_in_compiled_languages", None, {}),
    ("scans/ch05-reseau-bureau.pdf", "fr", 5, "_the_modern_network_configuration_for_desktop", "_the_low_level_network_configuration", {"angle": 0.6}),
    ("scans/ch06-autres-serveurs-clients.pdf", "fr", 6, "_other_network_application_servers", "_the_diagnosis_of_the_system_daemons", {"angle": -0.5, "body": 10.5}),
    ("scans/ch08-codage-noms-fichiers.pdf", "fr", 8, "_filename_encoding", "_effects_of_the_locale", {"angle": 0.8}),
    ("scans/ch10-fusion-code-source.pdf", "fr", 10, "_source_code_merge_tools", None, {"angle": -0.7, "body": 10.5}),
    ("scans/ch12-web.pdf", "fr", 12, "_web", None, {"angle": 0.4, "body": 9.5}),
    ("images/ch03-messages-noyau.png", "fr", 3, "_the_kernel_message", "_system_management_operations", {"angle": -0.6, "body": 10.5}),
    ("images/ch06-serveur-impression.jpg", "fr", 6, "_the_print_server_and_utilities", None, {"angle": 0.5, "body": 10.5}),
    ("images/ch06-diagnostic-demons.png", "fr", 6, "_the_diagnosis_of_the_system_daemons", None, {"angle": 0.7}),
    ("images/ch11-conversions-diverses.jpg", "fr", 11, "_miscellaneous_data_conversion", None, {"angle": -0.4}),
    ("images/ch12-conversion-code-paquet.png", "fr", 12, "_the_source_code_translation", "END", {"angle": 0.3}),
    ("en/ch03-systemd-init.html", "en", 3, "_systemd_init", None, {}),
    ("en/ch03-system-management.txt", "en", 3, "_system_management_operations", "_customizing_systemd", {}),
    ("en/ch06-web-browsers.md", "en", 6, "_web_browsers", None, {}),
    ("en/ch07-sandbox.html", "en", 7, "_sandbox", None, {}),
    ("en/ch07-remote-desktop.txt", "en", 7, "_remote_desktop", "_clipboard", {}),
    ("en/ch09-customizing-vim.html", "en", 9, "_customizing_vim", None, {}),
    ("en/ch10-git.pdf", "en", 10, "_git", None, {}),
    ("en/ch12-interpreted-languages.pdf", "en", 12, "_scripting_in_interpreted_languages", None, {}),
]

# The English sections also stay clear of the facts the near misses of
# unanswerable.jsonl ask for: 3.7 (sshd on port 22 by socket activation) is
# left out of en/ch03-system-management.txt, and 8.2 (the console keyboard
# layout) is not taken.
FOLDERS = ("pdf", "scans", "images", "en")
BOOK = {"fr": "Référence Debian", "en": "Debian Reference"}
PACKAGE = {"fr": "debian-reference-fr", "en": "debian-reference-en"}
AUTHORS = {"fr": "Osamu Aoki et les traducteurs", "en": "Osamu Aoki"}


# ------------------------------------------------ HTML section -> blocks

def flat(s):
    return re.sub(r"\s+", " ", s).strip()


def blocks_of(r, n, out):
    """The blocks of node n, in order: (kind, text) with kind title, h2, h3,
    p, label (an admonition's), caption (a table's), li, ol (text numbered),
    code (lines), table (rows of cells)."""
    run = []

    def flush():
        t = flat("".join(run))
        if t:
            out.append(("p", t))
        run.clear()

    for k in n.kids:
        if isinstance(k, str) or k.tag not in debref.BLOCK:
            run.append(r.inline(k))
            continue
        flush()
        block_of(r, k, out)
    flush()


def block_of(r, n, out):
    t, c = n.tag, n.cls()
    if t in ("colgroup", "hr") or (t == "div" and c == "toc"):
        return
    if t in ("h1", "h2", "h3", "h4", "h5", "h6"):
        depth = max(1, int(t[1]) - r.top + 1)
        out.append((("title", "h2", "h3")[min(depth, 3) - 1], flat("".join(r.inline(k) for k in n.kids))))
    elif t == "div" and c in debref.ADMONITIONS:
        label, body = "", []
        for cell in r.find_all(n, ("th", "td")):
            if cell.tag == "th":
                label = flat(r.inline(cell))
            elif not r.find_all(cell, ("img",)) or r.find_all(cell, ("p", "pre", "div")):
                blocks_of(r, cell, body)
        if label:
            out.append(("label", label))
        out.extend(body)
    elif t == "p" and c == "title":
        out.append(("caption", flat("".join(r.inline(k) for k in n.kids))))
    elif t == "pre":
        out.append(("code", r.raw(n).strip("\n")))
    elif t == "table":
        rows = []
        for tr in r.find_all(n, ("tr",)):
            cells = [flat(r.inline(td)) for td in tr.kids
                     if isinstance(td, debref.Node) and td.tag in ("td", "th")]
            if cells:
                rows.append(cells)
        if rows:
            out.append(("table", rows))
    elif t in ("ul", "ol"):
        i = 0
        for k in n.kids:
            if not (isinstance(k, debref.Node) and k.tag == "li"):
                continue
            i += 1
            sub = []
            blocks_of(r, k, sub)
            if sub and sub[0][0] == "p":
                out.append(("ol", "%d. %s" % (i, sub[0][1])) if t == "ol" else ("li", sub[0][1]))
                sub = sub[1:]
            out.extend(sub)
    elif t == "dl":
        for k in n.kids:
            if isinstance(k, debref.Node) and k.tag == "dt":
                out.append(("p", flat(r.inline(k))))
            elif isinstance(k, debref.Node) and k.tag == "dd":
                blocks_of(r, k, out)
    else:
        blocks_of(r, n, out)


def section_blocks(fragment, top):
    tb = debref.TreeBuilder()
    tb.feed(fragment)
    tb.close()
    out = []
    blocks_of(debref.Renderer(False, top), tb.root, out)
    return out


# ------------------------------------- blocks -> make_corpus.py source markup

def source_markup(meta, blocks, printed):
    """The source text samples/tools/make_corpus.py parses.  Every plain line
    starts with a space, which its parser strips, so that a line of the book
    beginning with "#", "-", "|", "%" or "1. " stays text.  printed: for a
    scan or an image, where tables become lines and no-break spaces spaces."""
    out = ["%%%s: %s" % kv for kv in meta.items()]
    for kind, x in blocks:
        if printed and kind != "table":
            x = x.replace("\u00a0", " ").replace("\u202f", " ")
        out.append("")
        if kind in ("title", "h2", "h3"):
            out.append({"title": "# ", "h2": "## ", "h3": "### "}[kind] + x)
        elif kind in ("label", "caption"):
            out.append(" " + x if printed else " **%s**" % x)
        elif kind == "p":
            out.append(" " + x)
        elif kind == "li":
            out.append("- " + x)
        elif kind == "ol":
            out.append(x)
        elif kind == "code":
            for line in x.split("\n"):
                if line.strip():
                    out += [" " + line.strip(), ""]
        elif kind == "table":
            rows = [[c.replace("\u00a0", " ").replace("\u202f", " ") if printed else c for c in row]
                    for row in x]
            if printed or any("|" in c for row in rows for c in row):
                out += ["- " + " — ".join(c for c in row if c) for row in rows]
            else:
                out += ["| " + " | ".join(row) + " |" for row in rows]
    text = "\n".join(out) + "\n"
    for line in text.split("\n"):
        # "{-}" is a soft hyphen; "**" is dropped from a printed page (in a
        # text PDF, rl_markup below keeps it)
        if "{-}" in line or (printed and "**" in line):
            raise SystemExit("make_formats: %r would be read as markup" % line)
    return text


def rl_markup(text):
    """make_corpus.py's rl_markup, except that "**" makes bold only around a
    whole label or caption: the book's own "**" (char **argv, cd **) stays."""
    m = re.fullmatch(r"\*\*([^*]+)\*\*", text)
    t = (m.group(1) if m else text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    t = t.replace("{-}", "\xad")
    return "<b>%s</b>" % t if m else t


# ---------------------------------------------------------------- main

def main(src, out, fr_version, en_version):
    tools = load_tools()
    tools.OUT = out
    tools.GT = os.path.join(out, ".groundtruth")
    tools.rl_markup = rl_markup
    tools.register_fonts()
    version = {"fr": fr_version, "en": en_version}
    chapters, en_pages = {}, []
    for d in FOLDERS:
        os.makedirs(os.path.join(out, d), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for rel, lang, ch, start, stop, opts in FORMATS:
            if (ch, lang) not in chapters:
                chapters[ch, lang] = debref.Chapter(ch, src, lang)
            c = chapters[ch, lang]
            elems, level, title = c.unit(start, stop)
            fragment = debref.serialize(elems)
            context = c.context(start) if level > 2 else None
            ext = os.path.splitext(rel)[1]
            if ext in (".html", ".txt", ".md"):
                doc = {"path": rel, "title": title, "chapter": c.title, "html": fragment}
                if ext == ".html":
                    en_pages.append(doc)
                    continue
                md = ext == ".md"
                header = ["%s — %s" % (BOOK[lang], c.title)]
                if context:
                    header.append(("# " if md else "") + context +
                                  ("" if md else "\n" + "=" * len(context)))
                with open(os.path.join(out, rel), "w", encoding="utf-8") as f:
                    f.write(debref.convert(fragment, md, level - (1 if context else 0), header))
                continue
            scanned = not rel.startswith(("pdf/", "en/"))
            meta = {"lang": lang}
            if scanned:
                meta["header"] = "%s — %s" % (BOOK[lang], c.title)
                meta["footer"] = "%s %s — page {n}/{total}" % (PACKAGE[lang], version[lang])
                if "body" in opts:
                    meta["body"] = opts["body"]
            else:
                meta["header"] = BOOK[lang]
                meta["short"] = c.title
                meta["footer"] = "%s %s — %s — GPL-2+" % (PACKAGE[lang], version[lang], AUTHORS[lang])
                meta["author"] = AUTHORS[lang]
                meta["creator"] = "ragops samples/debian-fr/make_formats.py"
            source = os.path.join(tmp, rel.replace("/", "_") + ".txt")
            with open(source, "w", encoding="utf-8") as f:
                f.write(source_markup(meta, section_blocks(fragment, level), scanned))
            if scanned:
                check_fits(tools, rel, source)
                pages = tools.build_scanned(rel, source, opts, "scanpdf" if ext == ".pdf" else "image")
            else:
                tools.build_textpdf(rel, source, opts)
                pages = None
            print("%9d  %s%s" % (os.path.getsize(os.path.join(out, rel)), rel,
                                 " (%d pages)" % pages if pages else ""))
    for i, doc in enumerate(en_pages):
        prev = en_pages[i - 1] if i > 0 else None
        nxt = en_pages[i + 1] if i + 1 < len(en_pages) else None
        with open(os.path.join(out, doc["path"]), "w", encoding="utf-8") as f:
            f.write(debref.page(doc, prev, nxt, "en"))
    with open(os.path.join(out, "SOURCE.txt"), "a", encoding="utf-8") as f:
        f.write("""Also: %s %s, Debian Reference (the English original), same copyright
 and licence (/usr/share/doc/%s/copyright)
Generated by: samples/debian-fr/make_formats.py (%d documents: other sections
 of the book as text PDFs, scanned PDFs and page images, and in English)
""" % (PACKAGE["en"], en_version, PACKAGE["en"], len(FORMATS)))


def check_fits(tools, rel, source):
    """No printed line may run off the page: its text would be in the ground
    truth and not on the image."""
    meta, blocks = tools.parse(source)
    geom = dict(tools.SCAN_LAYOUT)
    if "body" in meta:
        geom["body"] = float(meta["body"])
        geom["lead"] = round(geom["body"] * 1.42, 1)
    lay = tools.Layout(**geom)
    for ops, _ in lay.paginate(meta, blocks):
        for font, size, x, y, text in ops:
            if x + tools.pdfmetrics.stringWidth(text, font, size) > lay.W - lay.m / 2:
                raise SystemExit("make_formats: %s: a line runs off the page: %s" % (rel, text))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    main(*sys.argv[1:5])

#!/usr/bin/env python3
"""Cut the French Référence Debian into the 59 documents of the debian-fr set.

usage: debref.py SRC OUT PKG VERSION   (make_corpus.sh calls it)

SRC is the package's folder of HTML chapters (/usr/share/debian-reference),
OUT the corpus folder; PKG and VERSION go into SOURCE.txt.  The documents
are the sections of UNITS, written as the original XHTML page (with its
navigation header and footer), as plain text or as Markdown.  make_formats.py
imports it for the cutting (Chapter, serialize) and the conversion (convert).
Standard library only.
"""
import copy
import html
import os
import re
import sys
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

NS = "{http://www.w3.org/1999/xhtml}"

# The documents: (format, name, chapter, first section id, stop id).
# A document is the section whose heading anchor is the first id; with a
# stop id it runs on over the following sibling sections up to that one
# ("END": up to the end of the enclosing section), or, when the stop id
# names one of its own subsections, ends before that subsection.
# Sections chosen where the French translation is (nearly) complete;
# a few half-translated ones are kept, as real documentation has them.
UNITS = [
    ("html", "ch01-bases-console", 1, "_console_basics", None),
    ("txt", "ch01-fichiers-unix", 1, "_unix_file_basics", "_filesystem_permissions"),
    ("html", "ch01-permissions", 1, "_filesystem_permissions", "_timestamps"),
    ("md", "ch01-horodatage-liens-peripheriques", 1, "_timestamps", "END"),
    ("html", "ch01-commandes-unix-base", 1, "_basic_unix_commands", None),
    ("txt", "ch01-variables-environnement", 1, "_the_simple_shell_command", "_shell_glob"),
    ("html", "ch01-glob-redirections", 1, "_shell_glob", "END"),
    ("md", "ch01-expressions-rationnelles", 1, "_unix_like_text_processing", "_global_substitution_with_regular_expressions"),
    ("html", "ch01-traitement-texte-tubes", 1, "_global_substitution_with_regular_expressions", "END"),
    ("txt", "ch02-precautions-paquets", 2, "_debian_package_management_prerequisites", "_debian_archive_basics"),
    ("html", "ch02-archive-debian", 2, "_debian_archive_basics", None),
    ("md", "ch02-logiciel-libre-dependances", 2, "_debian_is_100_free_software", "END"),
    ("html", "ch02-apt-ligne-de-commande", 2, "_basic_package_management_operations", "_interactive_use_of_aptitude"),
    ("txt", "ch02-aptitude-interactif", 2, "_interactive_use_of_aptitude", "_the_aptitude_regex_formula"),
    ("html", "ch02-aptitude-formules-journaux", 2, "_the_aptitude_regex_formula", "END"),
    ("html", "ch02-operations-avancees", 2, "_advanced_package_management_operations", None),
    ("txt", "ch02-metadonnees-archive", 2, "_debian_package_management_internals", "_debian_package_file_names"),
    ("html", "ch02-dpkg", 2, "_debian_package_file_names", "END"),
    ("md", "ch02-systeme-casse", 2, "_recovery_from_a_broken_system", None),
    ("html", "ch02-sources-mixtes-version-candidate", 2, "_tips_for_the_package_management", "_tracking_literal_testing_literal_with_some_packages_from_literal_unstable_literal"),
    ("txt", "ch02-testing-unstable-mandataire", 2, "_tracking_literal_testing_literal_with_some_packages_from_literal_unstable_literal", "END"),
    ("html", "ch03-amorcage-systeme", 3, "_an_overview_of_the_boot_strap_process", None),
    ("md", "ch03-udev-modules-noyau", 3, "_the_udev_system", None),
    ("html", "ch04-authentification-unix", 4, "_normal_unix_authentication", None),
    ("txt", "ch04-comptes-mots-de-passe", 4, "_managing_account_and_password_information", "_pam_and_nss"),
    ("html", "ch04-pam-nss", 4, "_pam_and_nss", None),
    ("md", "ch04-securite-authentification", 4, "_security_of_authentication", None),
    ("html", "ch04-sudo-controles-acces", 4, "_other_access_controls", None),
    ("txt", "ch05-infrastructure-reseau", 5, "_the_basic_network_infrastructure", None),
    ("html", "ch05-iproute2-bas-niveau", 5, "_the_low_level_network_configuration", None),
    ("md", "ch05-optimisation-mtu", 5, "_network_optimization", None),
    ("html", "ch05-netfilter", 5, "_netfilter_infrastructure", None),
    ("txt", "ch06-ssh", 6, "_the_remote_access_server_and_utilities_ssh", None),
    ("md", "ch09-journaux-systeme", 9, "_data_recording_and_presentation", "_customized_display_of_time_and_date"),
    ("html", "ch09-date-couleurs-enregistrement", 9, "_customized_display_of_time_and_date", "END"),
    ("txt", "ch09-processus", 9, "_monitoring_controlling_and_starting_program_activities", "_starting_a_program_from_gui"),
    ("html", "ch09-lancer-tuer-planifier", 9, "_starting_a_program_from_gui", "END"),
    ("md", "ch09-identification-materiel", 9, "_system_maintenance_tips", "_system_and_hardware_time"),
    ("html", "ch09-heure-son-memoire", 9, "_system_and_hardware_time", "END"),
    ("txt", "ch09-partitions-systemes-de-fichiers", 9, "_data_storage_tips", "_filesystem_creation_and_integrity_check"),
    ("html", "ch09-optimisation-stockage", 9, "_filesystem_creation_and_integrity_check", "END"),
    ("md", "ch09-image-disque", 9, "_the_disk_image", None),
    ("html", "ch09-donnees-binaires", 9, "_the_binary_data", None),
    ("txt", "ch09-chiffrement-donnees", 9, "_data_encryption_tips", None),
    ("html", "ch09-noyau", 9, "_the_kernel", None),
    ("md", "ch10-archivage-compression", 10, "_sharing_copying_and_archiving", "_idioms_for_the_archive"),
    ("html", "ch10-idiomes-copie-selection", 10, "_idioms_for_the_archive", "_archive_media"),
    ("txt", "ch10-supports-partage", 10, "_archive_media", "END"),
    ("html", "ch10-sauvegarde-restauration", 10, "_backup_and_recovery", None),
    ("md", "ch10-gnupg-securite-donnees", 10, "_data_security_infrastructure", None),
    ("html", "ch11-iconv", 11, "_text_data_conversion_tools", "_eol_conversion"),
    ("txt", "ch11-fins-de-ligne-texte-brut", 11, "_eol_conversion", "END"),
    ("html", "ch11-xml", 11, "_xml_data", None),
    ("md", "ch11-composition-latex", 11, "_type_setting", None),
    ("html", "ch11-donnees-imprimables", 11, "_printable_data", None),
    ("txt", "ch12-parametres-conditions-shell", 12, "_the_shell_script", "_shell_loops"),
    ("html", "ch12-boucles-ligne-de-commande", 12, "_shell_loops", "END"),
    ("md", "ch12-deboguer-gdb", 12, "_debug", None),
    ("html", "ch12-make-autotools", 12, "_build_tools", None),
]

VOID = {"br", "hr", "img", "meta", "link", "col", "input", "area", "base", "wbr"}


def strip_ns(root):
    for e in root.iter():
        if isinstance(e.tag, str) and e.tag.startswith(NS):
            e.tag = e.tag[len(NS):]


def text_of(e):
    return re.sub(r"\s+", " ", "".join(e.itertext())).strip()


def heading_of(section):
    """(level, id, title) of a DocBook section div."""
    for h in ("h2", "h3", "h4", "h5"):
        t = section.find("./div[@class='titlepage']/div/div/" + h)
        if t is not None:
            a = t.find("a")
            return int(h[1]), a.get("id") if a is not None else None, text_of(t)
    return None


class Chapter:
    def __init__(self, n, src, lang="fr"):
        self.file = "ch%02d.%s.html" % (n, lang)
        root = ET.parse(os.path.join(src, self.file)).getroot()
        strip_ns(root)
        self.root = root
        self.title = text_of(root.find("head/title"))
        self.parent = {c: p for p in root.iter() for c in p}
        self.sections = {}
        for div in root.iter("div"):
            if div.get("class") == "section":
                h = heading_of(div)
                if h and h[1]:
                    self.sections[h[1]] = (div, h[0], h[2])

    def unit(self, start, stop):
        """The elements of one document and the heading levels it spans."""
        div, level, title = self.sections[start]
        if stop is None:
            return [div], level, title
        if stop == "END":
            kids = list(self.parent[div])
            return [k for k in kids[kids.index(div):] if k.get("class") == "section"], level, title
        sdiv, slevel, _ = self.sections[stop]
        par = self.parent[sdiv]
        if par is div:  # the section, up to one of its subsections
            cut = copy.deepcopy(div)
            kids = list(div)
            for c in list(cut)[kids.index(sdiv):]:
                cut.remove(c)
            return [cut], level, title
        if par is not self.parent[div]:
            raise SystemExit("make_corpus: %s and %s are not siblings" % (start, stop))
        kids = list(par)
        i, j = kids.index(div), kids.index(sdiv)
        return [k for k in kids[i:j] if k.get("class") == "section"], level, title

    def context(self, start):
        """Title of the section enclosing start (the h2 above an h3)."""
        div = self.sections[start][0]
        par = self.parent[div]
        h = heading_of(par) if par.get("class") == "section" else None
        return h[2] if h else None


def serialize(elems):
    out = []
    for e in elems:
        e = copy.deepcopy(e)
        e.tail = None
        s = ET.tostring(e, encoding="unicode", short_empty_elements=False)
        out.append(s)
    s = "\n".join(out)
    # void elements keep the short form; every other empty one is closed
    s = re.sub(r"<(%s)(\s[^<>]*)?></\1>" % "|".join(sorted(VOID)),
               lambda m: "<%s%s/>" % (m.group(1), m.group(2) or ""), s)
    return s


# ---------------------------------------------------------------- HTML pages

PAGE = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
  <head>
    <title>{title}</title>
    <link rel="stylesheet" type="text/css" href="../debian-reference.css"/>
    <meta name="generator" content="DocBook XSL Stylesheets Vsnapshot"/>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8"/>
    <link rel="home" href="../{index}" title="{book}"/>
    <link rel="up" href="../{index}" title="{chapter}"/>
{rel}  </head>
  <body>
    <div class="navheader">
      <table width="100%" summary="Navigation header">
        <tr>
          <th colspan="3" align="center">{title}</th>
        </tr>
        <tr>
          <td width="20%" align="left">{prev_link} </td>
          <th width="60%" align="center">{chapter}</th>
          <td width="20%" align="right"> {next_link}</td>
        </tr>
      </table>
      <hr/>
    </div>
{body}
    <div class="navfooter">
      <hr/>
      <table width="100%" summary="Navigation footer">
        <tr>
          <td width="40%" align="left">{prev_link} </td>
          <td width="20%" align="center">
            <a accesskey="u" href="../{index}">{up}</a>
          </td>
          <td width="40%" align="right"> {next_link}</td>
        </tr>
        <tr>
          <td width="40%" align="left" valign="top">{prev_title} </td>
          <td width="20%" align="center">
            <a accesskey="h" href="../{index}"><img src="../images/home.png" alt="{home}"/></a>
          </td>
          <td width="40%" align="right" valign="top"> {next_title}</td>
        </tr>
      </table>
    </div>
  </body>
</html>
"""


# The words of the navigation, per language of the page.
NAV = {
    "fr": {"index": "index.fr.html", "book": "Référence Debian", "up": "Niveau supérieur",
           "home": "Sommaire", "prev": "Précédent", "next": "Suivant"},
    "en": {"index": "index.en.html", "book": "Debian Reference", "up": "Up",
           "home": "Home", "prev": "Prev", "next": "Next"},
}


def page(doc, prev, nxt, lang="fr"):
    e = html.escape
    nav = NAV[lang]
    rel = ""
    if prev:
        rel += '    <link rel="prev" href="../%s" title="%s"/>\n' % (prev["path"], e(prev["title"]))
    if nxt:
        rel += '    <link rel="next" href="../%s" title="%s"/>\n' % (nxt["path"], e(nxt["title"]))
    link = '<a accesskey="%s" href="../%s"><img src="../images/%s.png" alt="%s"/></a>'
    return PAGE.format(
        title=e(doc["title"]), chapter=e(doc["chapter"]), rel=rel,
        prev_link=link % ("p", prev["path"], "prev", nav["prev"]) if prev else "",
        next_link=link % ("n", nxt["path"], "next", nav["next"]) if nxt else "",
        prev_title=e(prev["title"]) if prev else "",
        next_title=e(nxt["title"]) if nxt else "",
        body=doc["html"], index=nav["index"], book=e(nav["book"]), up=nav["up"],
        home=nav["home"])


# ------------------------------------------------- HTML -> text or Markdown

class Node:
    __slots__ = ("tag", "attrs", "kids")

    def __init__(self, tag, attrs):
        self.tag, self.attrs, self.kids = tag, dict(attrs), []

    def cls(self):
        return self.attrs.get("class") or ""


class TreeBuilder(HTMLParser):
    """A small DOM from html.parser events."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs)
        self.stack[-1].kids.append(n)
        if tag not in VOID:
            self.stack.append(n)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].kids.append(Node(tag, attrs))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].kids.append(data)


BLOCK = {"div", "p", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
         "dl", "dt", "dd", "table", "thead", "tbody", "tr", "td", "th", "blockquote",
         "hr", "colgroup"}
ADMONITIONS = {"note", "tip", "warning", "caution", "important"}
MD_SPECIAL = re.compile(r"([\\`*\[\]<])")


def md_escape(s):
    s = MD_SPECIAL.sub(r"\\\1", s)
    # an underscore only matters next to something that is not a letter
    return re.sub(r"(?<![0-9A-Za-zÀ-ÿ])_|_(?![0-9A-Za-zÀ-ÿ])", r"\\_", s)


class Renderer:
    def __init__(self, md, top_level):
        self.md = md
        self.top = top_level  # the h level shown as "#" (Markdown) or "=" (text)

    # inline content: whitespace collapsed, code marked in Markdown
    def inline(self, n):
        if isinstance(n, str):
            t = re.sub(r"\s+", " ", n)
            return md_escape(t) if self.md else t
        if n.tag in ("img", "br"):
            return " " if n.tag == "br" else ""
        inner = "".join(self.inline(k) for k in n.kids)
        if self.md and n.tag in ("code", "tt", "kbd") and inner.strip():
            raw = re.sub(r"\s+", " ", self.raw(n)).strip()
            tick = "``" if "`" in raw else "`"
            pad = " " if tick == "``" else ""
            return "%s%s%s%s%s" % (tick, pad, raw, pad, tick)
        if self.md and n.tag in ("strong", "b") and inner.strip():
            return "**%s**" % inner.strip()
        if self.md and n.tag in ("em", "i") and inner.strip():
            return "*%s*" % inner.strip()
        if self.md and n.tag == "a" and n.attrs.get("href") and inner.strip():
            return "[%s](%s)" % (inner.strip(), n.attrs["href"])
        return inner

    def raw(self, n):
        if isinstance(n, str):
            return n
        if n.tag == "br":
            return "\n"
        return "".join(self.raw(k) for k in n.kids)

    def para(self, parts):
        t = re.sub(r"\s+", " ", "".join(parts)).strip()
        if not t:
            return []
        if not self.md:
            t = textwrap.fill(t, 78, break_on_hyphens=False, break_long_words=False)
        return [t]

    # block content: a list of blocks, separated by blank lines
    def blocks(self, n):
        out, run = [], []
        for k in n.kids:
            if isinstance(k, str) or k.tag not in BLOCK:
                run.append(self.inline(k))
                continue
            out += self.para(run)
            run = []
            out += self.block(k)
        out += self.para(run)
        return out

    def block(self, n):
        t, c = n.tag, n.cls()
        if t in ("colgroup", "hr"):
            return []
        if t in ("h1", "h2", "h3", "h4", "h5", "h6"):
            title = re.sub(r"\s+", " ", "".join(self.inline(k) for k in n.kids)).strip()
            depth = max(1, int(t[1]) - self.top + 1)
            if self.md:
                return ["#" * min(depth, 6) + " " + title]
            return [title + "\n" + ("=" if depth <= 1 else "-") * len(title)]
        if t == "div" and c in ADMONITIONS:
            return self.admonition(n)
        if t == "div" and c == "toc":
            return []
        if t == "p" and c == "title":  # the caption of a table or example
            title = re.sub(r"\s+", " ", "".join(self.inline(k) for k in n.kids)).strip()
            if self.md and title.startswith("**"):
                return [title]
            return [("**%s**" % title) if self.md else title]
        if t == "pre":
            body = self.raw(n).strip("\n")
            if self.md:
                fence = "````" if "```" in body else "```"
                return ["%s\n%s\n%s" % (fence, body, fence)]
            return ["\n".join("    " + l if l else "" for l in body.split("\n"))]
        if t == "table":
            return self.table(n)
        if t in ("ul", "ol"):
            items, i = [], 0
            for k in n.kids:
                if isinstance(k, Node) and k.tag == "li":
                    i += 1
                    mark = "%d. " % i if t == "ol" else "- "
                    items.append(self.item(mark, self.blocks(k)))
            return ["\n".join(items)] if items else []
        if t == "dl":
            out = []
            for k in n.kids:
                if not isinstance(k, Node):
                    continue
                if k.tag == "dt":
                    term = re.sub(r"\s+", " ", self.inline(k)).strip()
                    out.append(("**%s**" % term) if self.md else term)
                elif k.tag == "dd":
                    dd = self.blocks(k)
                    out += dd if self.md else [self.item("    ", [b]) for b in dd]
            return out
        return self.blocks(n)

    def item(self, mark, blocks):
        pad = " " * len(mark)
        lines = []
        for bi, b in enumerate(blocks):
            for li, line in enumerate(b.split("\n")):
                first = bi == 0 and li == 0
                lines.append((mark if first else pad) + line if line else "")
            if bi + 1 < len(blocks):
                lines.append("")
        return "\n".join(lines) if lines else mark.rstrip()

    def admonition(self, n):
        label, body = "", []
        for cell in self.find_all(n, ("th", "td")):
            if cell.tag == "th":
                label = re.sub(r"\s+", " ", self.inline(cell)).strip()
            elif not self.find_all(cell, ("img",)) or self.find_all(cell, ("p", "pre", "div")):
                body += self.blocks(cell)
        if self.md:
            text = ["**%s**" % label] + body if label else body
            return ["\n".join("> " + l if l else ">" for l in "\n\n".join(text).split("\n"))]
        head = "[%s]" % label if label else ""
        return [head] + [self.item("    ", [b]) for b in body]

    def find_all(self, n, tags):
        out = []
        for k in n.kids:
            if isinstance(k, Node):
                if k.tag in tags:
                    out.append(k)
                else:
                    out += self.find_all(k, tags)
        return out

    def table(self, n):
        rows = []
        for tr in self.find_all(n, ("tr",)):
            cells = [re.sub(r"\s+", " ", self.inline(td)).strip()
                     for td in tr.kids if isinstance(td, Node) and td.tag in ("td", "th")]
            if cells:
                rows.append(cells)
        if not rows:
            return []
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        if self.md:
            esc = [[c.replace("|", "\\|") for c in r] for r in rows]
            lines = ["| " + " | ".join(esc[0]) + " |",
                     "|" + "|".join(["---"] * width) + "|"]
            lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
            return ["\n".join(lines)]
        return ["\n".join(" | ".join(r).rstrip() for r in rows)]


def convert(fragment, md, top_level, header):
    tb = TreeBuilder()
    tb.feed(fragment)
    tb.close()
    r = Renderer(md, top_level)
    body = r.blocks(tb.root)
    text = "\n\n".join(header + body)
    return re.sub(r"[ \t]+\n", "\n", text).strip() + "\n"


# ---------------------------------------------------------------- main

def main(SRC, OUT, PKG, VERSION):
    chapters = {}
    docs = []
    for fmt, name, ch, start, stop in UNITS:
        if ch not in chapters:
            chapters[ch] = Chapter(ch, SRC)
        c = chapters[ch]
        elems, level, title = c.unit(start, stop)
        docs.append({
            "fmt": fmt, "path": "%s/%s.%s" % (fmt, name, "md" if fmt == "md" else fmt),
            "title": title, "chapter": c.title, "level": level,
            "context": c.context(start) if level > 2 else None,
            "html": serialize(elems), "source": c.file + "#" + start,
        })

    for d in ("html", "txt", "md"):
        os.makedirs(os.path.join(OUT, d), exist_ok=True)

    for i, doc in enumerate(docs):
        prev = docs[i - 1] if i > 0 else None
        nxt = docs[i + 1] if i + 1 < len(docs) else None
        if doc["fmt"] == "html":
            data = page(doc, prev, nxt)
        else:
            md = doc["fmt"] == "md"
            top = doc["level"] - (1 if doc["context"] else 0)
            header = ["Référence Debian — %s" % doc["chapter"]]
            if doc["context"]:
                header.append(("# " if md else "") + doc["context"] +
                              ("" if md else "\n" + "=" * len(doc["context"])))
            data = convert(doc["html"], md, top, header)
        with open(os.path.join(OUT, doc["path"]), "w", encoding="utf-8") as f:
            f.write(data)

    # SOURCE.txt sits in the corpus (and is indexed with it): it says where the
    # documents come from and under which licence, and nothing more, so that it
    # does not compete with them for questions.
    with open(os.path.join(OUT, "SOURCE.txt"), "w", encoding="utf-8") as f:
        f.write("""Package: %s
Version: %s
Work: Référence Debian (Debian Reference), version 2, French translation
Copyright: 2007-2013 Osamu Aoki <osamu@debian.org> and its translators
License: GPL-2+ (GNU General Public License, version 2 or any later version)
Copyright file: /usr/share/doc/%s/copyright
License text: /usr/share/common-licenses/GPL-2
Generated by: samples/debian-fr/make_corpus.sh (%d documents, one section of
 the HTML chapters each, cut apart; the .txt and .md files converted from the
 HTML, their wording unchanged)
""" % (PKG, VERSION, PKG, len(docs)))


if __name__ == "__main__":
    main(*sys.argv[1:5])

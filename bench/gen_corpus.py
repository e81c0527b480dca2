#!/usr/bin/python3
"""Deterministic benchmark inputs for ragops (standard library only).

  gen_corpus.py pdfs  --src DIR --copies N OUT
      N copies of every *.pdf in DIR, under distinct names, spread over
      sub-folders of OUT (the pipeline treats each path as a document).

  gen_corpus.py mixed --src DIR --texts N --pdfs M [--seed S] OUT
      N small, distinct .txt/.md documents of generated French-like prose
      (about one in three is Markdown) plus M copies of the PDFs of DIR,
      spread over sub-folders of OUT.

The same arguments always produce byte-identical files.
"""
import argparse
import os
import random
import shutil
import sys

SUJETS = [
    "le photographe", "la lumière du matin", "un objectif lumineux", "le capteur",
    "la profondeur de champ", "une exposition longue", "le diaphragme", "la balance des blancs",
    "un tirage argentique", "le cadrage", "la sensibilité ISO", "un filtre polarisant",
    "le boîtier hybride", "la mise au point", "un paysage d'hiver", "le bruit numérique",
    "la composition", "une focale fixe", "l'histogramme", "le contre-jour",
]
VERBES = [
    "modifie", "révèle", "adoucit", "renforce", "déplace", "équilibre", "sculpte",
    "transforme", "limite", "prolonge", "atténue", "souligne", "capture", "isole",
    "restitue", "accentue", "dissimule", "simplifie",
]
COMPLEMENTS = [
    "les ombres portées", "le relief du sujet", "les couleurs du ciel", "la texture de la pierre",
    "le grain de l'image", "les reflets sur l'eau", "les hautes lumières", "le flou d'arrière-plan",
    "la netteté des détails", "les lignes de fuite", "le contraste local", "les tons chair",
    "la lecture de la scène", "le mouvement des passants", "la dynamique de la photo",
]
CIRCONSTANCES = [
    "dès le lever du soleil", "à pleine ouverture", "sous un ciel couvert", "en fin de journée",
    "avec un trépied stable", "en intérieur", "lorsque le vent se lève", "au téléobjectif",
    "en lumière naturelle", "sans flash", "au bord de la mer", "dans une ruelle étroite",
    "pendant l'heure bleue", "à main levée",
]
LIENS = [
    "Cependant,", "Ainsi,", "En pratique,", "Par ailleurs,", "De plus,", "Souvent,",
    "En revanche,", "Pour autant,", "Au final,", "D'abord,",
]
TITRES = [
    "Notes sur", "Réflexions autour de", "Carnet :", "Fiche pratique :", "Retour d'expérience sur",
    "Petit guide de", "Observations sur",
]


def sentence(rng):
    s = "%s %s %s %s." % (rng.choice(SUJETS), rng.choice(VERBES), rng.choice(COMPLEMENTS),
                         rng.choice(CIRCONSTANCES))
    s = s[0].upper() + s[1:]
    if rng.random() < 0.35:
        s = rng.choice(LIENS) + " " + s[0].lower() + s[1:]
    return s


def paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))


def text_document(rng, i, markdown):
    title = "%s %s (document %04d)" % (rng.choice(TITRES), rng.choice(SUJETS), i)
    paras = [paragraph(rng) for _ in range(rng.randint(3, 7))]
    if markdown:
        out = ["# " + title, ""]
        for k, p in enumerate(paras):
            if k and rng.random() < 0.4:
                out += ["## " + rng.choice(SUJETS).capitalize(), ""]
            out += [p, ""]
        if rng.random() < 0.3:
            out += ["- " + sentence(rng) for _ in range(3)] + [""]
    else:
        out = [title, "=" * len(title), ""]
        for p in paras:
            out += [p, ""]
    out.append("Référence interne : RB-%04d-%08x." % (i, rng.getrandbits(32)))
    return "\n".join(out) + "\n"


def source_pdfs(src):
    pdfs = sorted(os.path.join(src, f) for f in os.listdir(src) if f.lower().endswith(".pdf"))
    if not pdfs:
        sys.exit("gen_corpus.py: no PDF in %s" % src)
    return pdfs


def copy_pdfs(pdfs, count, out, subdirs=8, prefix="copy"):
    """Copy the PDFs round-robin until `count` files exist; return the paths."""
    made = []
    for n in range(count):
        srcf = pdfs[n % len(pdfs)]
        base = os.path.splitext(os.path.basename(srcf))[0]
        d = os.path.join(out, "pdf-%02d" % (n % subdirs))
        os.makedirs(d, exist_ok=True)
        dst = os.path.join(d, "%s-%04d-%s.pdf" % (prefix, n, base))
        shutil.copyfile(srcf, dst)
        made.append(dst)
    return made


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["pdfs", "mixed"])
    ap.add_argument("out")
    ap.add_argument("--src", required=True)
    ap.add_argument("--copies", type=int, default=30)
    ap.add_argument("--texts", type=int, default=900)
    ap.add_argument("--pdfs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20240611)
    a = ap.parse_args()

    pdfs = source_pdfs(a.src)
    os.makedirs(a.out, exist_ok=True)
    if a.mode == "pdfs":
        made = copy_pdfs(pdfs, a.copies * len(pdfs), a.out)
        print(len(made))
        return

    rng = random.Random(a.seed)
    for i in range(a.texts):
        markdown = i % 3 == 2
        d = os.path.join(a.out, "notes-%02d" % (i % 10))
        os.makedirs(d, exist_ok=True)
        name = "note-%04d.%s" % (i, "md" if markdown else "txt")
        with open(os.path.join(d, name), "w", encoding="utf-8", newline="\n") as fp:
            fp.write(text_document(rng, i, markdown))
    copy_pdfs(pdfs, a.pdfs, a.out, subdirs=4, prefix="scan")
    print(a.texts + a.pdfs)


if __name__ == "__main__":
    main()

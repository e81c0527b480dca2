#!/usr/bin/python3
"""Deterministic synthetic corpus and queries for bench/retrieval.sh
(standard library only).

  retrieval_corpus.py --chunks N [--seed S] [--queries 200] OUT

writes, under OUT:
  docs/dNNN/fNNNNNN.md   N paragraphs of French-like photography prose in
                         files of 100 paragraphs: "# title", a blank line,
                         then one paragraph per line, blank lines between.
                         Each paragraph is 400-598 bytes, the first of a file
                         short enough that the title fits with it, so that
                         with ragops's default chunking (chunk.target_chars
                         600) one paragraph is exactly one chunk.
  queries.txt            the benchmark queries, one a line: 2-6 words drawn
                         from the corpus distribution, a quarter of them
                         phrases copied from random paragraphs.
  warmup.txt             one more query of the same kind, run first (not
                         timed): it pays for model loading and cold caches.
  corpus.json            counts (files, paragraphs, bytes, words, vocabulary).

Vocabulary: ~5,000 words -- French function words at the top ranks, then
real French and English photography terms mixed with generated French-like
pseudo-words -- drawn with a Zipf-Mandelbrot distribution; each file also
has a "topic" of 40 words that make up ~15 % of its tokens, so postings and
document frequencies look like a real collection's.  Sentences have 8-20
words.  The same arguments always give byte-identical files.
"""
import argparse
import itertools
import json
import os
import random
import re
import sys

PARAS_PER_FILE = 100
FILES_PER_DIR = 100
MAX_BYTES = 598          # < chunk.target_chars (600)
MIN_BYTES = 400
VOCAB_SIZE = 5000
TOPIC_WORDS = 40
TOPIC_SHARE = 0.15

FUNCTION = """de la le les et des à en un une du pour dans est que qui sur au avec par
plus ne pas se ce il elle on sont son sa ses ou mais comme aux leur tout très
sans bien sous entre cette ces dont aussi peut être avoir fait donc encore
même lors vers chez alors souvent toujours déjà selon""".split()

TERMS_FR = """photographie photographe appareil objectif capteur diaphragme ouverture
obturateur vitesse exposition surexposition sous-exposition sensibilité
lumière ombre contraste netteté flou profondeur champ focale grand-angle
téléobjectif zoom macro cadrage composition horizon ligne perspective
premier-plan arrière-plan sujet portrait paysage architecture reportage
studio flash réflecteur diffuseur boîte-à-lumière trépied rotule déclencheur
viseur écran histogramme balance blancs température couleur saturation teinte
luminosité noir blanc argentique numérique pellicule négatif tirage
agrandisseur révélateur fixateur chambre noire laboratoire grain bruit
pixel résolution mégapixels format recadrage retouche développement
fichier brut compression netteté accentuation vignetage distorsion
aberration chromatique bokeh mise point autofocus collimateur rafale
stabilisation boîtier hybride reflex compact télémètre moyen-format
plein-format capteur-aps filtre polarisant dégradé densité-neutre
pare-soleil bague adaptateur tirage-papier baryté jet-d'encre galerie
exposition-longue pose heure-dorée heure-bleue contre-jour clair-obscur
silhouette reflet texture relief matière ton hautes-lumières basses-lumières
dynamique plage mesure spot matricielle pondérée correction bracketing
panoramique assemblage empilement nuit étoiles voie-lactée aube crépuscule
brume brouillard pluie neige orage soleil nuage ciel mer montagne forêt
ville rue passant visage regard mains lumière-naturelle fenêtre lampe
bougie néon tungstène lumière-du-jour ombre-portée éclairage fond modèle
séance tirage-d'art encadrement passe-partout archivage catalogue
métadonnées mots-clés classement sauvegarde disque carte-mémoire batterie
chargeur sangle sac courroie nettoyage poussière soufflette pinceau
chiffon optique lentille verre traitement multicouche""".split()

TERMS_EN = """shutter aperture exposure sensor lens focus depth field bokeh
highlights shadows midtones contrast sharpness noise grain dynamic range
white balance colour temperature tint raw jpeg histogram metering bracketing
tripod flash softbox reflector diffuser strobe speedlight gel backlight
rim-light key-light fill-light prime zoom wide-angle telephoto macro
portrait landscape street documentary wedding studio darkroom film
negative print enlarger developer fixer stop-bath crop framing rule-of-thirds
leading-lines symmetry golden-hour blue-hour long-exposure timelapse
panorama stitching stacking astrophotography milky-way stabiliser
mirrorless dslr rangefinder viewfinder autofocus burst rolling-shutter
vignetting distortion chromatic aberration flare ghosting coating filter
polariser neutral-density graduated hood adapter mount bayonet
firmware workflow catalogue metadata keywords backup archive gallery
mat frame paper inkjet giclee baryta proof contact-sheet""".split()

ONSETS = ["b", "br", "c", "ch", "cl", "cr", "d", "dr", "f", "fl", "fr", "g", "gr", "j",
          "l", "m", "n", "p", "pl", "pr", "qu", "r", "s", "t", "tr", "v", "vr", ""]
NUCLEI = ["a", "e", "i", "o", "u", "é", "è", "ou", "ai", "au", "eu", "oi", "an", "on", "in"]
ENDINGS = ["", "", "", "", "age", "tion", "ment", "eur", "ique", "elle", "ette", "ance",
           "ence", "isme", "iste", "oir", "ure", "ier", "ard", "ois", "ée", "able", "eux"]
TITLE_LEADS = ["Notes sur", "Carnet :", "Fiche :", "Atelier :", "Autour de", "Essai sur",
               "Regards sur", "Pratique de"]


def build_vocab(rng):
    """Function words first (top ranks), then real terms and pseudo-words
    shuffled together; returns (words, cumulative Zipf weights, content
    start index)."""
    seen, words = set(), []
    for w in FUNCTION:
        if w not in seen:
            seen.add(w); words.append(w)
    content = []
    for w in TERMS_FR + TERMS_EN:
        if w not in seen:
            seen.add(w); content.append(w)
    while len(words) + len(content) < VOCAB_SIZE:
        w = "".join(rng.choice(ONSETS) + rng.choice(NUCLEI) for _ in range(rng.choice((1, 2, 2, 2, 3))))
        w += rng.choice(ENDINGS)
        if len(w) >= 3 and w not in seen:
            seen.add(w); content.append(w)
    rng.shuffle(content)
    # real terms should be reasonably frequent: pull them into the first
    # ~1,500 content ranks (stable order otherwise)
    real = set(TERMS_FR + TERMS_EN)
    head = [w for w in content[:1500]] + [w for w in content[1500:] if w in real]
    tail = [w for w in content[1500:] if w not in real]
    rng.shuffle(head)
    content = head + tail
    start = len(words)
    words += content
    weights = [1.0 / (r + 2.7) ** 1.05 for r in range(len(words))]
    return words, weights, start


class Writer:
    def __init__(self, seed, chunks, nqueries):
        self.rng = random.Random(seed)
        self.words, self.weights, self.cstart = build_vocab(self.rng)
        self.function = set(self.words[:self.cstart])
        self.chunks = chunks
        self.nfiles = (chunks + PARAS_PER_FILE - 1) // PARAS_PER_FILE
        zsum = sum(self.weights)
        self.base = [w / zsum * (1 - TOPIC_SHARE) for w in self.weights]
        # queries: own generator, so that the corpus does not depend on them
        self.qrng = random.Random(seed * 7919 + 17)
        ncopied = nqueries // 4
        picks = sorted(self.qrng.sample(range(chunks), ncopied + 1))
        self.copy_at = {p: k for k, p in enumerate(picks)}
        self.copied = [None] * len(picks)

    def file_weights(self):
        topic = self.rng.sample(range(self.cstart, min(len(self.words), self.cstart + 2500)), TOPIC_WORDS)
        pop = self.words + [self.words[i] for i in topic]
        w = self.base + [TOPIC_SHARE / TOPIC_WORDS] * TOPIC_WORDS
        return pop, list(itertools.accumulate(w))

    def sentence(self, pop, cw):
        rng = self.rng
        toks = rng.choices(pop, cum_weights=cw, k=rng.randint(8, 20))
        toks[0] = toks[0][:1].upper() + toks[0][1:]
        if len(toks) > 9 and rng.random() < 0.4:
            k = rng.randint(3, len(toks) - 3)
            toks[k] += ","
        return " ".join(toks) + ("." if rng.random() < 0.93 else " ?")

    def paragraph(self, pop, cw, max_bytes):
        out, size, tries = [], 0, 0
        while True:
            s = self.sentence(pop, cw)
            b = len(s.encode("utf-8")) + (1 if out else 0)
            if size + b <= max_bytes:
                out.append(s)
                size += b
            elif size >= MIN_BYTES:
                return " ".join(out), size
            else:
                tries += 1
                if tries > 100:  # cannot happen with 8-20 words; cut at a space
                    room = max_bytes - size - (1 if out else 0)
                    cut = s.encode("utf-8")[:room].decode("utf-8", "ignore")
                    cut = cut.rsplit(" ", 1)[0].rstrip(",") + "."
                    out.append(cut)
                    return " ".join(out), len(" ".join(out).encode("utf-8"))

    def copy_phrase(self, para):
        """2-6 consecutive words of the paragraph, at least one not a
        function word (a phrase a user would copy)."""
        toks = [re.sub(r"[.,?]", "", t).lower() for t in para.split()]
        toks = [t for t in toks if t]
        for _ in range(100):
            n = self.qrng.randint(2, 6)
            k = self.qrng.randint(0, len(toks) - n)
            if any(t not in self.function for t in toks[k:k + n]):
                break
        return " ".join(toks[k:k + n])

    def write(self, out):
        docs = os.path.join(out, "docs")
        stats = {"files": 0, "paragraphs": 0, "bytes": 0, "words": 0}
        pidx = 0
        for f in range(self.nfiles):
            pop, cw = self.file_weights()
            d = os.path.join(docs, "d%03d" % (f // FILES_PER_DIR))
            os.makedirs(d, exist_ok=True)
            lead = self.rng.choice(TITLE_LEADS)
            title = "%s %s (%06d)" % (lead, self.words[self.cstart + self.rng.randrange(300)], f)
            n = min(PARAS_PER_FILE, self.chunks - pidx)
            parts = ["# " + title, ""]
            for p in range(n):
                limit = MAX_BYTES - (len(title.encode("utf-8")) + 2 if p == 0 else 0)
                text, size = self.paragraph(pop, cw, limit)
                parts += [text, ""]
                stats["bytes"] += size
                stats["words"] += text.count(" ") + 1
                if pidx in self.copy_at:
                    self.copied[self.copy_at[pidx]] = self.copy_phrase(text)
                pidx += 1
            with open(os.path.join(d, "f%06d.md" % f), "w", encoding="utf-8", newline="\n") as fp:
                fp.write("\n".join(parts))
            stats["files"] += 1
            stats["paragraphs"] += n
        return stats

    def drawn_query(self):
        rng = self.qrng
        n = rng.randint(2, 6)
        got = []
        while len(got) < n:
            w = rng.choices(self.words, cum_weights=self.cw_all, k=1)[0]
            if w not in got:
                got.append(w)
        return " ".join(got)

    def queries(self, nqueries):
        # content words with the corpus's Zipf weights, plus the odd
        # function word (as users type them: "profondeur de champ")
        w = [x if i >= self.cstart else x * 0.02 for i, x in enumerate(self.weights)]
        self.cw_all = list(itertools.accumulate(w))
        ncopied = len(self.copied) - 1
        qs = [self.drawn_query() for _ in range(nqueries - ncopied)] + self.copied[:ncopied]
        self.qrng.shuffle(qs)
        warm = self.drawn_query()
        return qs, warm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--chunks", type=int, required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20250601)
    a = ap.parse_args()
    if a.chunks < a.queries:
        sys.exit("retrieval_corpus.py: --chunks must be at least --queries")
    os.makedirs(a.out, exist_ok=True)
    wr = Writer(a.seed, a.chunks, a.queries)
    stats = wr.write(a.out)
    qs, warm = wr.queries(a.queries)
    assert len(qs) == a.queries and all(qs) and len(set(qs)) == len(qs), "bad query set"
    with open(os.path.join(a.out, "queries.txt"), "w", encoding="utf-8") as fp:
        fp.write("\n".join(qs) + "\n")
    with open(os.path.join(a.out, "warmup.txt"), "w", encoding="utf-8") as fp:
        fp.write(warm + "\n")
    stats.update(vocabulary=len(wr.words), queries=len(qs),
                 copied_queries=len(wr.copied) - 1, seed=a.seed)
    with open(os.path.join(a.out, "corpus.json"), "w") as fp:
        json.dump(stats, fp, indent=2)
        fp.write("\n")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()

"""The facts a benchmark script records (facts.tsv: one "key<TAB>value" a
line), read back with numbers as numbers -- except the keys in `text`,
kept as written (a git commit of digits only is still a commit)."""
import os


def load_facts(path, text=()):
    facts = {}
    if not os.path.exists(path):
        return facts
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            k, _, v = line.rstrip("\n").partition("\t")
            if k not in text:
                for conv in (int, float):
                    try:
                        v = conv(v)
                        break
                    except ValueError:
                        pass
            facts[k] = v
    return facts

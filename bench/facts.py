"""The facts a benchmark script records (facts.tsv: one "key<TAB>value" a
line), read back with numbers as numbers -- except the keys in `text`,
kept as written (a git commit of digits only is still a commit).  And the
small helpers every report script needs: die, load_json, save_json."""
import json
import os
import sys


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


def die(msg):
    print("bench: error: " + msg, file=sys.stderr)
    sys.exit(1)


def load_json(path):
    with open(path, encoding="utf-8") as fp:
        return json.load(fp)


def save_json(path, obj):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fp:
        json.dump(obj, fp, indent=2, ensure_ascii=False)
        fp.write("\n")

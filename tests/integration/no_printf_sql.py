#!/usr/bin/env python3
"""No SQL built with printf anywhere under src/ (t0154): every value
reaches SQLite as a bound parameter, never pasted into the statement.

Flags, with file:line:
  1. a printf-family call (snprintf, strbuf_addf, xasprintf,
     sqlite3_mprintf...) whose format reads as SQL: it starts with a
     statement keyword, or has a clause keyword (FROM, WHERE, VALUES...)
     next to a % conversion;
  2. a statement prepared or run (sqlite3_prepare*, sqlite3_exec,
     sql_prepare, sql_exec, sql_exec_bound) from text a printf-family call
     wrote: a strbuf's .buf, or a variable such a call filled.

Usage: no_printf_sql.py SRC_DIR; prints the findings, exits 1 if any.
"""
import os
import re
import sys

PRINTF = ("snprintf", "sprintf", "vsnprintf", "vsprintf", "asprintf", "vasprintf", "xasprintf",
          "strbuf_addf", "strbuf_vaddf", "sqlite3_mprintf", "sqlite3_vmprintf", "sqlite3_snprintf",
          "sqlite3_str_appendf")
RUN = {"sqlite3_prepare": 1, "sqlite3_prepare_v2": 1, "sqlite3_prepare_v3": 1,
       "sqlite3_exec": 1, "sql_prepare": 1, "sql_exec": 1, "sql_exec_bound": 1}
# Our SQL is written in capitals (and our messages are not).
STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|WITH|"
                       r"BEGIN|ATTACH|DETACH|VACUUM|ANALYZE|REINDEX)\b")
CLAUSE = re.compile(r"\b(FROM|WHERE|VALUES|SET|JOIN|ORDER BY|GROUP BY|LIMIT|INTO)\b")


def strip_comments(text):
    """Comments out, strings and line numbers kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_args(text, start):
    """The arguments of the call whose '(' is at `start`, split at top-level commas."""
    depth, i, args, cur = 0, start, [], []
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c == "(":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args
        elif c == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    return args


def literal(arg):
    """The text of adjacent string literals ("a" "b"), or None when arg is not only literals."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', arg)
    rest = re.sub(r'"((?:[^"\\]|\\.)*)"', "", arg)
    if not parts or re.sub(r"\b[A-Z_][A-Z0-9_]*\b", "", rest).strip():
        return None
    return "".join(parts)


def calls(text, names):
    for m in re.finditer(r"\b(%s)\s*\(" % "|".join(map(re.escape, names)), text):
        yield m.group(1), text.count("\n", 0, m.start()) + 1, call_args(text, m.end() - 1)


def check(path, findings):
    text = strip_comments(open(path, encoding="utf-8", errors="replace").read())
    written = set()
    for name, line, args in calls(text, PRINTF):
        # The format is the first literal argument.
        fmt = next((f for f in map(literal, args) if f is not None), None)
        if fmt is not None and (STATEMENT.search(fmt) or ("%" in fmt and CLAUSE.search(fmt))):
            findings.append("%s:%d: %s builds SQL: \"%s\"" % (path, line, name, fmt[:60]))
        if name not in ("sqlite3_mprintf", "sqlite3_vmprintf", "xasprintf", "asprintf") and args:
            dest = re.sub(r"^&", "", args[0]).strip()
            written.add(dest)
    for m in re.finditer(r"\b(\w+)\s*=\s*(?:xasprintf|sqlite3_mprintf|sqlite3_vmprintf)\s*\(", text):
        written.add(m.group(1))
    for name, line, args in calls(text, list(RUN)):
        if len(args) <= RUN[name]:
            continue
        sql = args[RUN[name]].strip()
        base = re.sub(r"\.buf$", "", sql)
        if sql.endswith(".buf") or sql in written or base in written:
            findings.append("%s:%d: %s runs SQL a printf wrote: %s" % (path, line, name, sql))


def main():
    findings = []
    for root, _, files in os.walk(sys.argv[1]):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                check(os.path.join(root, f), findings)
    for f in findings:
        print(f)
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# No SQL is built with printf under src/: values reach SQLite as bound
# parameters (tests/integration/no_printf_sql.py says what it looks for).
# The checker is first shown to catch planted cases, so that a clean
# result means something.
#
# KNOWN lists sites tolerated while they are rewritten, one finding a
# line ("file: what", no line number).  It is empty, as it should stay:
# the rule has no exceptions, and a new site fails.
. "$(dirname "$0")/lib.sh"
checker="$TOP/tests/integration/no_printf_sql.py"
KNOWN=()

# unknown_sites DIR: the checker's findings under DIR (relative to DIR's
# parent, without line numbers), less the KNOWN ones, one a line
unknown_sites() {
	local out k
	out=$(cd "$(dirname "$1")" && python3 "$checker" "$(basename "$1")" | sed 's/:[0-9]*: /: /')
	for k in "${KNOWN[@]}"; do
		grep -qxF "$k" <<<"$out" && echo "# known, to fix in src/store: $k" >&2
		out=$(grep -vxF "$k" <<<"$out")
	done
	printf '%s' "$out"
}

mkdir -p "$scratch/planted"
cat >"$scratch/planted/bad.c" <<'EOF'
static int lookup(struct store *st, const char *name, long long id, sqlite3 *db)
{
	struct strbuf q = STRBUF_INIT;
	char buf[256];
	strbuf_addf(&q, "SELECT id FROM documents WHERE relpath = '%s'", name);
	sql_prepare(st, q.buf, &stmt, err);
	snprintf(buf, sizeof(buf), "DELETE FROM chunks WHERE doc_id = %lld", id);
	sqlite3_exec(db, buf, NULL, NULL, NULL);
	char *s = sqlite3_mprintf("UPDATE runs SET state = %Q", name);
	char *t = xasprintf("%s%s", COLUMNS, where);
	sqlite3_prepare_v2(db, t, -1, &stmt, NULL);
	strbuf_addf(&q, " ORDER BY %s", name);
}
EOF
cat >"$scratch/planted/good.c" <<'EOF'
/* snprintf(buf, n, "SELECT %d", x) in a comment is not code */
static int lookup(struct store *st, const char *name)
{
	if (sql_prepare(st, "SELECT id FROM documents WHERE relpath = ?", &stmt, err))
		return -1;
	strbuf_addf(err, "the document '%s' is gone from the index", name);
	sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	return sql_exec(st, tally_sql[what], err);
}
EOF
out=$(python3 "$checker" "$scratch/planted")
equals "the checker flags each planted case" "$(grep -c 'bad.c' <<<"$out")" "7"
lacks "and nothing in the clean file" "$out" "good.c"

# The whole check, as it runs on src/ below, fails on a site planted in a copy of it.
cp -r "$TOP/src" "$scratch/src"
cp "$scratch/planted/bad.c" "$scratch/src/store/sqlite_planted.c"
equals "a copy of src/ with a planted site fails the check" \
	"$(unknown_sites "$scratch/src" | grep -c '^src/store/sqlite_planted.c: ')" "7"
equals "no SQL built with printf under src/" "$(unknown_sites "$TOP/src")" ""
finish

#!/usr/bin/env bash
# make_corpus.sh OUT_DIR
#
# Regenerates the debian-fr evaluation corpus from the installed Debian
# package debian-reference-fr: sections of the French "Référence Debian"
# (Osamu Aoki et al., GPL-2+), one section per document, written as the
# original XHTML page (with its navigation header and footer), as plain
# text or as Markdown.  Deterministic: the same package version gives the
# same bytes.  Needs only bash and python3 (standard library).
#
# Exit codes: 0 done, 1 failure, 2 usage error or package missing.
set -euo pipefail

PKG=debian-reference-fr
SRC=/usr/share/debian-reference
HERE=$(cd "$(dirname "$0")" && pwd)

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 OUT_DIR" >&2
	exit 2
fi
OUT=$1

if ! dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'install ok installed' ||
	[ ! -r "$SRC/ch01.fr.html" ]; then
	echo "make_corpus.sh: the package $PKG is not installed; as root run:" >&2
	echo "apt-get install -y $PKG" >&2
	exit 2
fi
if ! command -v python3 >/dev/null; then
	echo "make_corpus.sh: python3 is needed; as root run:" >&2
	echo "apt-get install -y python3" >&2
	exit 2
fi

VERSION=$(dpkg-query -W -f='${Version}' "$PKG")
# Regenerating over an earlier corpus replaces it; any other non-empty
# folder is left alone.
if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
	if ! head -n 1 "$OUT/SOURCE.txt" 2>/dev/null | grep -qx "Package: $PKG"; then
		echo "make_corpus.sh: $OUT is not empty and holds no corpus made by this script" >&2
		exit 1
	fi
	rm -rf "$OUT/html" "$OUT/txt" "$OUT/md" "$OUT/SOURCE.txt"
fi
mkdir -p "$OUT"

python3 "$HERE/debref.py" "$SRC" "$OUT" "$PKG" "$VERSION"

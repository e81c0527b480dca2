#!/usr/bin/env bash
# make_corpus.sh OUT_DIR
#
# Regenerates the debian-fr evaluation corpus from the installed Debian
# packages debian-reference-fr and debian-reference-en: sections of the
# "Référence Debian" (Osamu Aoki et al., GPL-2+).  debref.py writes 59
# French sections, one per document, as the original XHTML page (with its
# navigation header and footer), as plain text or as Markdown;
# make_formats.py writes other French sections as text PDFs, scanned PDFs
# and page images, and English sections, with the exact text of every
# scanned page in OUT_DIR/.groundtruth/.  Deterministic: the same package
# versions give the same bytes.  Needs bash, python3, and for
# make_formats.py the Debian python3 with python3-reportlab, python3-pil,
# img2pdf, poppler-utils and the DejaVu fonts.
#
# Exit codes: 0 done, 1 failure, 2 usage error or package missing.
set -euo pipefail

PKG=debian-reference-fr
SRC=/usr/share/debian-reference
HERE=$(cd "$(dirname "$0")" && pwd)
# make_formats.py runs on Debian's python3, whose modules these packages are.
NEEDED=(debian-reference-fr debian-reference-en python3 python3-reportlab python3-pil img2pdf
	poppler-utils fonts-dejavu-core fonts-dejavu-extra)

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 OUT_DIR" >&2
	exit 2
fi
OUT=$1

missing=()
for p in "${NEEDED[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ] || [ ! -r "$SRC/ch01.fr.html" ] || [ ! -r "$SRC/ch01.en.html" ] ||
	[ ! -x /usr/bin/python3 ]; then
	echo "make_corpus.sh: packages are missing; as root run:" >&2
	echo "apt-get install -y ${missing[*]:-${NEEDED[*]}}" >&2
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
	rm -rf "$OUT/html" "$OUT/txt" "$OUT/md" "$OUT/pdf" "$OUT/scans" "$OUT/images" "$OUT/en" \
		"$OUT/.groundtruth" "$OUT/SOURCE.txt"
fi
mkdir -p "$OUT"

python3 "$HERE/debref.py" "$SRC" "$OUT" "$PKG" "$VERSION"
/usr/bin/python3 "$HERE/make_formats.py" "$SRC" "$OUT" "$VERSION" \
	"$(dpkg-query -W -f='${Version}' debian-reference-en)" >/dev/null

#!/usr/bin/env bash
# Installs the Debian 12 packages a make target needs, or, when not root,
# prints the exact apt-get line to run. Usage: scripts/deps.sh build|test|demo|bench
set -euo pipefail

# libcurl's headers come with libtesseract-dev (it depends on a libcurl4-dev);
# naming one flavour here could make apt swap it out and remove tesseract.
build_pkgs=(
	build-essential pkg-config libmicrohttpd-dev libseccomp-dev
	libmupdf-dev libmujs-dev libgumbo-dev libopenjp2-7-dev libjbig2dec0-dev
	libjpeg-dev libharfbuzz-dev libfreetype-dev zlib1g-dev libbrotli-dev
	libsqlite3-dev libstemmer-dev libutf8proc-dev libyaml-dev
	libjansson-dev libcmark-dev libssl-dev
	libtesseract-dev libleptonica-dev tesseract-ocr-fra tesseract-ocr-eng
	libopenblas-dev liblapacke-dev libicu-dev
	dict-freedict-fra-eng dict-freedict-eng-fra libhunspell-dev hunspell-fr hunspell-en-us mythes-fr
	libpq-dev
)
test_pkgs=(libcmocka-dev clang-format sqlite3 python3 util-linux curl nodejs npm chromium debian-reference-fr
	debian-reference-en python3-reportlab python3-pil img2pdf poppler-utils fonts-dejavu-core fonts-dejavu-extra
	man-db systemd postgresql wordnet-base)
bench_pkgs=(poppler-utils mupdf-tools hyperfine time python3 sqlite3 tesseract-ocr ocrmypdf img2pdf
	python3-sklearn wrk postgresql)

want=("${build_pkgs[@]}")
case "${1:-build}" in
	build|demo) ;;
	test) want+=("${test_pkgs[@]}") ;;
	bench) want+=("${bench_pkgs[@]}") ;;
	*) echo "usage: $0 build|test|demo|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	# Node.js installed another way (e.g. nodesource, which bundles npm) will do.
	case $p in nodejs) command -v node >/dev/null && continue ;; npm) command -v npm >/dev/null && continue ;; esac
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

line="apt-get install -y ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "ragops needs these Debian packages; as root run:" >&2
	echo "  $line" >&2
	exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists: update once, then install.
if ! apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
	apt-get update -q
	apt-get install -y -q "${missing[@]}"
fi

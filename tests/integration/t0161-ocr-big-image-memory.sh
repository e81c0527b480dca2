#!/usr/bin/env bash
# serial
# A 225-megapixel page image (under ocr.max_megapixels, 250) is OCR'd within
# a memory bound: PNGs are read a band at a time into 8-bit gray (pixRead
# held libpng's rows and a 32-bit image: 1.5 GB for RGB), and recognition
# holds Tesseract's copy of the page instead of two.  Peak RSS of the whole
# run, one OCR thread: 1.6 GB before, about 0.74 GB after (gray: 0.96 GB
# before).  The page is white but for the head of a sample sheet, which
# must still be read.  With ingest.isolate (the default) the page is held by
# the OCR worker process: GNU time reports the largest of the run's
# processes (wait4 counts the children reaped), which is that worker.
. "$(dirname "$0")/lib.sh"
d=$(new_data big)
inbox="$scratch/inbox"
mkdir -p "$inbox"
# big_png SAMPLE ROWS OUT W H gray|rgb: the first ROWS rows of SAMPLE (an
# 8-bit gray PNG) at the top left of a white W x H page
big_png() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
sample, rows, out, w, h, color = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
d = open(sample, 'rb').read()
pos, idat = 8, []
while pos < len(d):
    n, = struct.unpack('>I', d[pos:pos + 4])
    t = d[pos + 4:pos + 8]
    if t == b'IHDR':
        sw, sh, depth, ctype = struct.unpack('>IIBB', d[pos + 8:pos + 18])
        assert depth == 8 and ctype == 0, 'the sample must be 8-bit gray'
    elif t == b'IDAT':
        idat.append(d[pos + 8:pos + 8 + n])
    pos += 12 + n
raw = zlib.decompressobj().decompress(b''.join(idat), (sw + 1) * rows)
prev, region = bytearray(sw), []
for y in range(rows):
    f, line = raw[y * (sw + 1)], bytearray(raw[y * (sw + 1) + 1:(y + 1) * (sw + 1)])
    for x in range(sw):
        a = line[x - 1] if x else 0
        b, c = prev[x], (prev[x - 1] if x else 0)
        if f == 1:
            line[x] = (line[x] + a) & 255
        elif f == 2:
            line[x] = (line[x] + b) & 255
        elif f == 3:
            line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    region.append(bytes(line))
    prev = line
ch = 3 if color == 'rgb' else 1
def widen(g):
    if ch == 1:
        return g
    o = bytearray(len(g) * 3)
    o[0::3] = g; o[1::3] = g; o[2::3] = g
    return bytes(o)
white, pad = b'\0' + b'\xff' * (w * ch), b'\xff' * ((w - sw) * ch)
co, parts = zlib.compressobj(1), []
for y in range(h):
    parts.append(co.compress(b'\0' + widen(region[y]) + pad if y < rows else white))
parts.append(co.flush())
def chunk(t, data):
    return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data) & 0xffffffff)
with open(out, 'wb') as f:
    f.write(b'\x89PNG\r\n\x1a\n')
    f.write(chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2 if ch == 3 else 0, 0, 0, 0)))
    f.write(chunk(b'IDAT', b''.join(parts)))
    f.write(chunk(b'IEND', b''))
PY
}
big_png "$TOP/samples/corpus/images/fiche-autofocus.png" 700 "$inbox/poster.png" 15000 15000 rgb
check "a 15000 x 15000 RGB PNG (225 megapixels)" test -s "$inbox/poster.png"

# One OCR thread: the bound is for one page in memory at a time.
/usr/bin/time -f '%M' -o "$scratch/rss" "$RAGOPS" --data "$d" -c ocr.threads=1 run --inbox "$inbox" \
	>"$scratch/out" 2>"$scratch/err"
equals "the run succeeds" "$?" "0"
m=$(cat "$d/metrics/run-1.json")
equals "its page is OCR'd" "$(jq_py "$m" 'j["ocr"]["pages"]')" "1"
out=$(rg "$d" search autofocus)
contains "and its text found" "$out" "poster.png"
kb=$(tail -1 "$scratch/rss")
echo "# peak RSS $((kb / 1024)) MB"
if grep -qa __asan_init "$RAGOPS_BIN"; then
	ok "peak RSS not bounded under AddressSanitizer ($((kb / 1024)) MB)"
elif [[ $kb -lt 1000000 ]]; then
	ok "peak RSS $((kb / 1024)) MB, under 1 GB (1.6 GB before)"
else
	not_ok "peak RSS $((kb / 1024)) MB, over 1 GB"
fi

finish

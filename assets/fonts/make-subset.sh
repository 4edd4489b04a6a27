#!/usr/bin/env bash
# Makes the poster fonts in this folder: subsets of Noto Sans CJK SC and TC (Regular and
# Bold) covering ASCII, Latin-1, general punctuation, CJK punctuation, fullwidth forms, the
# GB2312 hanzi (levels 1 and 2), the Big5 level-1 (common) hanzi, and every character
# used in the project's locales, lessons and branch tree.
#
# Needs: Debian's fonts-noto-cjk (apt-get install -y fonts-noto-cjk), python3 and
# fonttools (pip install fonttools). Run from anywhere: bash assets/fonts/make-subset.sh
# The output depends only on the font package version and the project's text files, so
# running it again after changing lessons or locales adds any new characters.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
src="${NOTO_CJK_DIR:-/usr/share/fonts/opentype/noto}"

for f in NotoSansCJK-Regular.ttc NotoSansCJK-Bold.ttc; do
    [ -f "$src/$f" ] || { echo "missing $src/$f: apt-get install -y fonts-noto-cjk" >&2; exit 1; }
done
command -v pyftsubset >/dev/null || { echo "missing pyftsubset: pip install fonttools" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The characters, one file of text (UTF-8).
python3 - "$root" > "$work/chars.txt" <<'PY'
import glob, os, sys

root = sys.argv[1]
chars = set()

def add_range(lo, hi):
    chars.update(chr(c) for c in range(lo, hi + 1))

add_range(0x20, 0x7E)      # ASCII
add_range(0xA0, 0xFF)      # Latin-1
add_range(0x2010, 0x2027)  # dashes, quotes, ellipsis, bullet
add_range(0x2030, 0x203B)  # per mille, primes, guillemets, reference mark
add_range(0x3000, 0x303F)  # CJK symbols and punctuation
add_range(0xFF01, 0xFF5E)  # fullwidth ASCII forms
add_range(0xFFE0, 0xFFE6)  # fullwidth signs
chars.update("□○●△▲☆★◆◇※→←↑↓√×÷±·")

# Every GB2312 code point: rows 1-9 (symbols, kana, Greek, Cyrillic), 16-55 (level-1
# hanzi), 56-87 (level-2 hanzi).
for row in range(0xA1, 0xF8):
    for cell in range(0xA1, 0xFF):
        try:
            chars.update(bytes([row, cell]).decode("gb2312"))
        except UnicodeDecodeError:
            pass

# Big5 level 1 (the 5401 common hanzi, 0xA440-0xC67E) and the Big5 symbols before it.
for lead in range(0xA1, 0xC7):
    for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
        code = (lead << 8) | trail
        if code > 0xC67E:
            continue
        try:
            chars.update(bytes([lead, trail]).decode("big5"))
        except UnicodeDecodeError:
            pass

# The project's own text.
patterns = ["locales/*/*.ftl", "lessons/**/*.md", "lessons/**/course.toml", "branches.toml"]
for pattern in patterns:
    for path in glob.glob(os.path.join(root, pattern), recursive=True):
        with open(path, encoding="utf-8") as f:
            chars.update(f.read())

# No controls; emoji and other pictographs are left out (the font has none anyway).
chars = {c for c in chars if c.isprintable() and ord(c) < 0x1F000}
sys.stdout.write("".join(sorted(chars)))
PY
echo "characters: $(python3 -c 'import sys; print(len(open(sys.argv[1], encoding="utf-8").read()))' "$work/chars.txt")"

# Face numbers inside the collections: 2 = SC, 3 = TC (checked by name below).
subset() { # weight face-number region
    local weight="$1" number="$2" region="$3"
    local in="$src/NotoSansCJK-$weight.ttc"
    local out="$here/NotoSansCJK$region-$weight-subset.otf"
    local name
    name="$(python3 -c 'import sys; from fontTools.ttLib import TTCollection
print(TTCollection(sys.argv[1]).fonts[int(sys.argv[2])]["name"].getDebugName(4))' "$in" "$number")"
    case "$name" in
        *"CJK $region"*) ;;
        *) echo "face $number of $in is $name, not $region" >&2; exit 1 ;;
    esac
    pyftsubset "$in" --font-number="$number" \
        --text-file="$work/chars.txt" \
        --layout-features='kern,liga,ccmp' \
        --no-hinting \
        --name-IDs='*' --name-languages='*' --notdef-outline \
        --output-file="$out"
    echo "$out: $(stat -c %s "$out") bytes ($name)"
}

subset Regular 2 SC
subset Bold 2 SC
subset Regular 3 TC
subset Bold 3 TC

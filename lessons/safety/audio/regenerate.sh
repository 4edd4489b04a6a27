#!/usr/bin/env bash
# Regenerate the spoken audio of the safety course with espeak-ng + opusenc.
#
#   apt-get install -y espeak-ng opus-tools   # once
#   bash lessons/safety/audio/regenerate.sh   # from anywhere
#
# For every lesson listed in LESSONS it reads NN-slug.zh-CN.md and NN-slug.en.md,
# drops the +++ front matter, strips the Markdown symbols, and speaks
# "title. body" with espeak-ng (Mandarin voice for zh-CN, English voice en for
# en). The Mandarin voice is cmn-latn-pinyin, i.e. espeak-ng's cmn voice with
# its Latin-letter setting switched to pinyin: with plain -v cmn, espeak-ng
# 1.51 (Debian) looks up each character's pinyin and then reads that pinyin
# with English rules ("guo4" comes out as "gwo four"), which is unintelligible.
# The WAV is encoded as mono Ogg Opus at 16 kbit/s into audio/NN-slug.LOCALE.ogg.
# The zh-TW lessons reuse the zh-CN file.
#
# Speech starts at 150 words per minute; if a file comes out at MAX_BYTES or
# more, it is spoken again 10 wpm faster until it fits.
set -euo pipefail

AUDIO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COURSE_DIR="$(dirname "$AUDIO_DIR")"
LESSONS=(01-road-safety 02-telecom-fraud 04-cpr 08-carbon-monoxide)
MAX_BYTES=150000
START_SPEED=150
MAX_SPEED=220

for tool in espeak-ng opusenc perl; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y espeak-ng opus-tools)" >&2; exit 1; }
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# speakable_text FILE LOCALE: prints "title. body" as plain text.
speakable_text() {
  local file="$1" locale="$2"
  perl -CSD -Mutf8 -e '
    my ($file, $locale) = @ARGV;
    open my $fh, "<:encoding(UTF-8)", $file or die "$file: $!";
    my @lines = <$fh>;
    chomp @lines;
    # front matter is everything between the first two lines that are exactly +++
    my ($open) = grep { $lines[$_] eq "+++" } 0 .. $#lines;
    my ($close) = grep { $_ > $open && $lines[$_] eq "+++" } 0 .. $#lines;
    my ($title) = map { /^title\s*=\s*"(.*)"\s*$/ ? $1 : () } @lines[$open + 1 .. $close - 1];
    die "$file: no title\n" unless defined $title;
    my @body;
    for (@lines[$close + 1 .. $#lines]) {
      s/^\s*>\s?//;          # quote marker
      s/^\s*[-*+]\s+//;      # bullet
      s/^\s*\d+[.)]\s+//;    # numbered list marker
      s/\*\*|__|\*//g;       # bold / italic markers
      push @body, $_;
    }
    my $text = $title . ($locale eq "en" ? ". " : "。") . join("\n", @body);
    $text =~ s/——/，/g;
    if ($locale eq "en") {
      $text =~ s/\bAED\b/A E D/g;
    } else {
      $text =~ s/AED（自动体外除颤器）/自动体外除颤器/g;
      $text =~ s/AED/自动体外除颤器/g;
      # espeak-ng reads some polyphonic characters with the wrong reading; the
      # spoken text (never the lesson) swaps in a homophone with the right one.
      my %say = (
        "下地" => "下第", "倒地" => "捣第", "硬地" => "硬第", "地方" => "第方",  # di4, not de
        "干活" => "赣活",   # gan4
        "中毒" => "众毒",   # zhong4
        "反应" => "反映",   # ying4
        "睡觉" => "睡叫",   # jiao4
        "弹起" => "谈起",   # tan2
        "银行" => "银杭",   # hang2
      );
      my $words = join "|", map { quotemeta } sort { length $b <=> length $a } keys %say;
      $text =~ s/($words)/$say{$1}/g;
    }
    # emergency numbers are said digit by digit (not "one hundred and twenty")
    my %zh = (0 => "零", 1 => "幺", 2 => "二", 6 => "六", 9 => "九");
    if ($locale eq "en") {
      $text =~ s/(?<![0-9])(96110|110|119|120)(?![0-9]| times)/join(" ", split(m{}, $1))/ge;
    } else {
      $text =~ s/(?<![0-9])(96110|110|119|120)(?![0-9次])/join("", map { $zh{$_} } split(m{}, $1))/ge;
    }
    print $text, "\n";
  ' "$file" "$locale"
}

for lesson in "${LESSONS[@]}"; do
  for locale in zh-CN en; do
    md="$COURSE_DIR/$lesson.$locale.md"
    out="$AUDIO_DIR/$lesson.$locale.ogg"
    voice=cmn-latn-pinyin
    [ "$locale" = en ] && voice=en
    speakable_text "$md" "$locale" > "$TMP/text.txt"
    speed=$START_SPEED
    while :; do
      espeak-ng -v "$voice" -s "$speed" -f "$TMP/text.txt" -w "$TMP/speech.wav"
      opusenc --quiet --bitrate 16 --downmix-mono \
        --title "$(head -n 1 "$TMP/text.txt")" --artist "espeak-ng ($voice)" \
        "$TMP/speech.wav" "$out"
      size=$(stat -c %s "$out")
      if [ "$size" -lt "$MAX_BYTES" ]; then break; fi
      if [ "$speed" -ge "$MAX_SPEED" ]; then
        echo "$out: still $size bytes at $speed wpm; shorten the lesson" >&2
        exit 1
      fi
      speed=$((speed + 10))
    done
    echo "$out: $size bytes, voice $voice, $speed wpm"
  done
done

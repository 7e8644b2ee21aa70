#!/usr/bin/env bash
# The web page's first-load transfer, the working tree's bundle next to a baseline revision's
# in the same run: the JS + CSS that index.html names, as `uc serve` sends them to a browser
# that accepts gzip (the .gz beside each file, sent as it is: nothing is compressed at run
# time), and uncompressed. Needs no server: what `bench/web.sh` (a) downloads is these files.
#
#   bash bench/web_size.sh [BASE]   (BASE: a git revision; default the merge base with main)
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-$(git merge-base HEAD main)}
dist=assets/web/dist

# `size REV NAME`: bytes of NAME in dist at REV (the working tree when REV is empty).
size() {
  if [ -z "$1" ]; then stat -c %s "$dist/$2"; else git cat-file -s "$1:$dist/$2"; fi
}
index() {
  if [ -z "$1" ]; then cat "$dist/index.html"; else git show "$1:$dist/index.html"; fi
}
# `report REV LABEL`: prints the figure and leaves the bytes sent in $sent.
report() {
  local rev=$1 label=$2 plain=0
  sent=0
  for asset in $(index "$rev" | grep -o '/assets/[^"]*' | sed 's|/assets/||'); do
    sent=$((sent + $(size "$rev" "$asset.gz")))
    plain=$((plain + $(size "$rev" "$asset")))
  done
  printf '%s: first load, JS + CSS sent gzipped: %d bytes (%.1f KiB; %d uncompressed)\n' \
    "$label" "$sent" "$(echo "$sent / 1024" | bc -l)" "$plain"
}
report "$base" "baseline $(git rev-parse --short "$base")"
before=$sent
report "" "working tree"
echo "difference: $((sent - before)) bytes sent (target for the whole first load: ≤ 150 KB)"

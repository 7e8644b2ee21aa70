#!/usr/bin/env bash
# Mining speed on raw lines (header learned and cut, then the message mined), per core:
# `uc logs patterns` (one thread, whole process, file read included) on each Loghub-2k
# system's raw .log repeated REPEAT times, and the Grouping Accuracy of one pass on the raw
# lines, scored by ga.py. BEFORE=path/to/uc adds another build's lines/s on the same files
# (a before/after pair in one run).
# usage: bench/logs_raw.sh            (env: REPEAT, CARGO_TARGET_DIR, BEFORE)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$here/loghub.sh"

(cd "$root" && cargo build --release --bin uc -q)
uc=${CARGO_TARGET_DIR:-$root/target}/release/uc
repeat=${REPEAT:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

before=${BEFORE:-}
# Lines per second of `$1 logs patterns` on the big file.
rate() {
    local start secs
    start=$(date +%s.%N)
    "$1" logs patterns "$work/big.log" >/dev/null
    secs=$(echo "$(date +%s.%N) - $start" | bc -l)
    echo "$secs"
}

printf '%-10s %8s %12s %14s\n' system "raw GA" "lines/s" "${before:+before lines/s}"
sum=0; total_lines=0; total_s=0; before_s=0
for s in BGL HDFS Hadoop HealthApp Linux OpenSSH Proxifier Zookeeper; do
    raw=$loghub/$s/${s}_2k.log
    "$uc" logs patterns "$raw" --assignments "$work/$s.csv" >/dev/null
    ga=$(python3 "$loghub/ga.py" "$raw"_structured.csv "$work/$s.csv" | awk '{print $2}')
    for _ in $(seq "$repeat"); do cat "$raw"; echo; done | grep -v '^$' >"$work/big.log"
    lines=$(wc -l <"$work/big.log")
    secs=$(rate "$uc")
    old=""
    if [ -n "$before" ]; then
        bsecs=$(rate "$before")
        before_s=$(echo "$before_s + $bsecs" | bc -l)
        old=$(printf '%.0f' "$(echo "$lines / $bsecs" | bc -l)")
    fi
    printf '%-10s %8s %12.0f %14s\n' "$s" "$ga" "$(echo "$lines / $secs" | bc -l)" "$old"
    sum=$(echo "$sum + $ga" | bc -l)
    total_lines=$((total_lines + lines)); total_s=$(echo "$total_s + $secs" | bc -l)
done
old=""
[ -n "$before" ] && old=$(printf '%.0f' "$(echo "$total_lines / $before_s" | bc -l)")
printf '%-10s %8.4f %12.0f %14s\n' mean "$(echo "$sum / 8" | bc -l)" "$(echo "$total_lines / $total_s" | bc -l)" "$old"

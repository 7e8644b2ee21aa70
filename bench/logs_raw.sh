#!/usr/bin/env bash
# Mining speed on raw lines (header learned and cut, then the message mined), per core:
# `uc logs patterns` (one thread, whole process, file read included) on each Loghub-2k
# system's raw .log repeated REPEAT times, and the Grouping Accuracy of one pass on the raw
# lines, scored by ga.py.
# usage: bench/logs_raw.sh            (env: REPEAT, CARGO_TARGET_DIR)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$here/loghub.sh"

(cd "$root" && cargo build --release --bin uc -q)
uc=${CARGO_TARGET_DIR:-$root/target}/release/uc
repeat=${REPEAT:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%-10s %8s %12s\n' system "raw GA" "lines/s"
sum=0; total_lines=0; total_s=0
for s in BGL HDFS Hadoop HealthApp Linux OpenSSH Proxifier Zookeeper; do
    raw=$loghub/$s/${s}_2k.log
    "$uc" logs patterns "$raw" --assignments "$work/$s.csv" >/dev/null
    ga=$(python3 "$loghub/ga.py" "$raw"_structured.csv "$work/$s.csv" | awk '{print $2}')
    for _ in $(seq "$repeat"); do cat "$raw"; echo; done | grep -v '^$' >"$work/big.log"
    lines=$(wc -l <"$work/big.log")
    start=$(date +%s.%N)
    "$uc" logs patterns "$work/big.log" >/dev/null
    secs=$(echo "$(date +%s.%N) - $start" | bc -l)
    printf '%-10s %8s %12.0f\n' "$s" "$ga" "$(echo "$lines / $secs" | bc -l)"
    sum=$(echo "$sum + $ga" | bc -l)
    total_lines=$((total_lines + lines)); total_s=$(echo "$total_s + $secs" | bc -l)
done
printf '%-10s %8.4f %12.0f\n' mean "$(echo "$sum / 8" | bc -l)" "$(echo "$total_lines / $total_s" | bc -l)"

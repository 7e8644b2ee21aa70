#!/usr/bin/env bash
# Pattern mining vs Drain3 on the 8 Loghub-2k systems, in one run:
#   - Grouping Accuracy per system, each fed its Content column line by line (as the Loghub
#     benchmark scores parsers), for uc and for Drain3 (its example config, one setting for
#     all systems); uc on the raw lines (headers included) as a secondary column;
#   - mining speed, lines/s: uc (`uc logs patterns`, whole process, file read included) on
#     all systems' messages concatenated and repeated, Drain3 (mining loop only) on them once.
# usage: bench/patterns.sh            (env: DRAIN3_VENV, REPEAT, CARGO_TARGET_DIR)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$here/loghub.sh"

venv=${DRAIN3_VENV:-/tmp/uc-drain3-venv}
if ! "$venv/bin/python" -c 'import drain3' 2>/dev/null; then
    echo "installing drain3 into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q drain3
fi

(cd "$root" && cargo build --release --bin uc -q)
uc=${CARGO_TARGET_DIR:-$root/target}/release/uc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ga() { python3 "$loghub/ga.py" "$1" "$2" | awk '{print $2}'; }

systems="BGL HDFS Hadoop HealthApp Linux OpenSSH Proxifier Zookeeper"
printf '%-10s %8s %8s %10s\n' system uc Drain3 "uc (raw)"
sum_uc=0; sum_d3=0; sum_raw=0; min_uc=1
for s in $systems; do
    truth=$loghub/$s/${s}_2k.log_structured.csv
    python3 "$here/patterns.py" content "$truth" "$work/$s.txt"
    "$uc" logs patterns "$work/$s.txt" --assignments "$work/$s.uc.csv" >/dev/null
    head -n 2000 "$loghub/$s/${s}_2k.log" >"$work/$s.raw"
    "$uc" logs patterns "$work/$s.raw" --assignments "$work/$s.raw.csv" >/dev/null
    "$venv/bin/python" "$here/patterns.py" drain3 "$work/$s.txt" "$work/$s.d3.csv" >/dev/null
    g_uc=$(ga "$truth" "$work/$s.uc.csv")
    g_d3=$(ga "$truth" "$work/$s.d3.csv")
    g_raw=$(ga "$truth" "$work/$s.raw.csv")
    printf '%-10s %8s %8s %10s\n' "$s" "$g_uc" "$g_d3" "$g_raw"
    sum_uc=$(echo "$sum_uc + $g_uc" | bc -l); sum_d3=$(echo "$sum_d3 + $g_d3" | bc -l)
    sum_raw=$(echo "$sum_raw + $g_raw" | bc -l)
    min_uc=$(echo "if ($g_uc < $min_uc) $g_uc else $min_uc" | bc -l)
done
printf '%-10s %8.4f %8.4f %10.4f\n' mean "$(echo "$sum_uc / 8" | bc -l)" \
    "$(echo "$sum_d3 / 8" | bc -l)" "$(echo "$sum_raw / 8" | bc -l)"
printf '%-10s %8.4f\n' "uc min" "$min_uc"

# Speed.
repeat=${REPEAT:-50}
for s in $systems; do cat "$work/$s.txt"; done >"$work/all.txt"
for _ in $(seq "$repeat"); do cat "$work/all.txt"; done >"$work/big.txt"
n_uc=$(wc -l <"$work/big.txt")
t0=$(date +%s.%N)
"$uc" logs patterns "$work/big.txt" >/dev/null
t1=$(date +%s.%N)
uc_rate=$(echo "$n_uc / ($t1 - $t0)" | bc -l)
d3=$("$venv/bin/python" "$here/patterns.py" drain3 "$work/all.txt" "$work/all.d3.csv")
n_d3=$(echo "$d3" | sed 's/.*lines=\([0-9]*\).*/\1/')
s_d3=$(echo "$d3" | sed 's/.*seconds=\([0-9.]*\).*/\1/')
d3_rate=$(echo "$n_d3 / $s_d3" | bc -l)
printf 'lines/s    uc %.0f (%d lines, whole process)  Drain3 %.0f (%d lines)  ratio %.1fx\n' \
    "$uc_rate" "$n_uc" "$d3_rate" "$n_d3" "$(echo "$uc_rate / $d3_rate" | bc -l)"

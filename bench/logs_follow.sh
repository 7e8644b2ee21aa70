#!/usr/bin/env bash
# Follow throughput: 100 files written at 100k lines/s in total (../shared/bench/writer.py),
# followed by the engine as one declared log source. Reports the engine's CPU % of one core
# and memory over the window (../shared/bench/measure.py) and the lines lost (stored count
# against what the writer wrote; must be 0). With lnav installed, lnav follows ONE of the
# files in the same run for comparison.
#
#   bash bench/logs_follow.sh [RATE] [DURATION_S] [NFILES]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-100000}
dur=${2:-30}
nfiles=${3:-100}
shared=${SHARED:-../shared/bench}
[ -f "$shared/measure.py" ] || { echo "missing $shared/measure.py" >&2; exit 2; }

# UC=path runs that binary instead (a before/after pair in one session). Name the file `uc`:
# the measurement finds the engine by that name, and `uc up` runs services through the `uc`
# beside it (else: "no uc binary next to PATH to run services").
if [ -z "${UC:-}" ]; then
  cargo build --release -q --bin uc
fi
uc=${UC:-$PWD/target/release/uc}
work=$(mktemp -d)
export UC_STATE_DIR=$work/state UC_TMUX_SOCKET=uc-bench-follow-$$
mkdir -p "$work/ws/logs"
cat >"$work/ws/univers.yaml" <<YAML
workspace: bench-follow
services:
  idle:
    command: exec sleep 100000
logs:
  files:
    bench: [./logs/*.log]
  retention: { size: 2GiB, segment: 64MiB }
YAML
cleanup() {
  "$uc" -f "$work/ws/univers.yaml" down >/dev/null 2>&1 || true
  tmux -L "lnav-$$" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 "$shared/genlog.py" "$work/src.log" $((40 * 1024 * 1024)) >/dev/null
for i in $(seq 0 $((nfiles - 1))); do : >"$work/ws/logs/f$i.log"; done
"$uc" -f "$work/ws/univers.yaml" up >/dev/null
engine=$("$uc" -f "$work/ws/univers.yaml" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["engine"]["pid"])')

if command -v lnav >/dev/null; then
  tmux -L "lnav-$$" -f /dev/null new-session -d -x 200 -y 50 "lnav $work/ws/logs/f0.log"
  lnav_pid=$(tmux -L "lnav-$$" display -p '#{pane_pid}')
fi

WRITER_SRC=$work/src.log python3 "$shared/writer.py" "$rate" "$dur" "$nfiles" "$work/ws/logs" 2>"$work/written" &
writer=$!
sleep 1
python3 "$shared/measure.py" uc-engine "$engine" 3 $((dur - 6)) &
if [ -n "${lnav_pid:-}" ]; then
  python3 "$shared/measure.py" lnav-one-file "$lnav_pid" 3 $((dur - 6)) &
fi
wait "$writer"
wait
written=$(awk '{print $1}' "$work/written")
sleep 2
stored=$("$uc" -f "$work/ws/univers.yaml" logs bench -c)
echo "written $written lines to $nfiles files at $rate lines/s; stored $stored; lost $((written - stored))"

#!/usr/bin/env bash
# False-positive rate of the anomaly detector on a quiet day of the demo's own series.
#
#   bash bench/anomaly_fp.sh [RECORD_S] [FILE]
#
# Runs the demo workspace (configs/demo/univers.yaml, private tmux server, temp state dir) at
# its real sample rate (1 s) for RECORD_S seconds (default 600, what the engine keeps in
# memory), saves every series it sampled to FILE (default bench/data/demo_series.json, the
# recording the published figure comes from), then replays it:
# `cargo bench --bench anomaly -- --replay FILE` builds a 24 h day from the recording (60 s
# blocks of every series at once, drawn with a fixed seed) and reports the share of samples
# the detector flags. Nothing is injected, so every flag is a false positive.
# RECORD_S=0 replays FILE without recording.
set -euo pipefail
cd "$(dirname "$0")/.."
record=${1:-600}
file=${2:-bench/data/demo_series.json}

if [ "$record" != 0 ]; then
  cargo build -q --bin uc
  uc=$PWD/target/debug/uc
  work=$(mktemp -d)
  export UC_STATE_DIR=$work/state UC_TMUX_SOCKET=uc-anomaly-fp-$$
  sed 's/^workspace: demo$/workspace: anomalyfp/' configs/demo/univers.yaml > "$work/univers.yaml"
  cleanup() {
    "$uc" -f "$work/univers.yaml" down >/dev/null 2>&1 || true
    tmux -L "$UC_TMUX_SOCKET" kill-server 2>/dev/null || true
    rm -rf "$work"
  }
  trap cleanup EXIT
  "$uc" -f "$work/univers.yaml" up >/dev/null
  sleep "$record"
  sock=$(find "$UC_STATE_DIR" -name engine.sock | head -n 1)
  curl -sf --unix-socket "$sock" \
    "http://uc/api/v1/metrics/history?since=$record&step=1" > "$file.tmp"
  # Six significant digits are far finer than the noise, and halve the file.
  python3 - "$file.tmp" "$file" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["series"]:
    s["points"] = [[p[0]] + [float(f"{v:.6g}") for v in p[1:]] for p in s["points"]]
json.dump(d, open(sys.argv[2], "w"), separators=(",", ":"))
PY
  rm "$file.tmp"
fi
cargo bench -q --bench anomaly -- --replay "$file"

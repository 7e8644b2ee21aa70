#!/usr/bin/env bash
# 1,000 SSE subscribers on one engine (bench/sse.py holds them in one process): engine CPU
# at idle with every subscriber connected (target: small; only the metric samples flow),
# memory per subscriber (target <= 64 KiB of PSS), and the time from a state change (a
# service stopped or started through the REST API) to the last subscriber receiving it
# (target: p99 <= 50 ms). Also the engine's idle CPU with no subscriber, for comparison.
#
#   bash bench/sse.sh [SUBSCRIBERS] [ROUNDS] [IDLE_S]
set -euo pipefail
cd "$(dirname "$0")/.."
subs=${1:-1000}
rounds=${2:-40}
idle=${3:-20}

cargo build --release -q --bin uc
uc=$PWD/target/release/uc
work=$(mktemp -d)
export UC_STATE_DIR=$work/state UC_TMUX_SOCKET=uc-bench-sse-$$
mkdir -p "$work/ws"
cat >"$work/ws/univers.yaml" <<YAML
workspace: bench-sse
services:
  api:
    command: exec sleep 100000
  web:
    command: exec sleep 100001
YAML
cleanup() {
  "$uc" -f "$work/ws/univers.yaml" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$uc" -f "$work/ws/univers.yaml" up >/dev/null
engine=$("$uc" -f "$work/ws/univers.yaml" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["engine"]["pid"])')
sleep 3
python3 - "$engine" "$idle" <<'PY'
import os, sys, time
pid, idle = int(sys.argv[1]), float(sys.argv[2])
tck = os.sysconf('SC_CLK_TCK')
def cpu():
    with open(f'/proc/{pid}/stat') as f:
        s = f.read()
    x = s[s.rfind(')') + 2:].split()
    return (int(x[11]) + int(x[12])) / tck
c, t = cpu(), time.time()
time.sleep(idle)
print(f'engine idle CPU, no subscriber: {(cpu() - c) / (time.time() - t) * 100:.2f} % of one core')
PY
python3 bench/sse.py "$UC_STATE_DIR/bench-sse/engine.sock" "$engine" "$subs" "$rounds" "$idle"

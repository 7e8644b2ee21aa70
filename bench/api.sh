#!/usr/bin/env bash
# Throughput and latency of `GET /api/v1/services` on a 50-service workspace through
# `uc serve` (TCP, bearer token of a viewer) next to the engine's own Unix socket, measured
# the same way in the same run with oha, at 64 and 8 connections; then the idle cost of
# `uc serve` with no clients, before the runs and after them.
#
#   bash bench/api.sh [DURATION_S]        (default 20)
#
# Everything runs on a private tmux server and a temp state dir. Needs oha
# (`cargo install oha --locked`, done here when missing) and ../shared/bench/measure.py.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-20}
measure=$(realpath -m "${MEASURE:-../shared/bench/measure.py}")
[ -f "$measure" ] || { echo "missing $measure" >&2; exit 2; }
command -v oha >/dev/null || cargo install oha --locked -q
cargo build --release -q
uc=$PWD/target/release/uc
state=$(mktemp -d)
work=$(mktemp -d)
export UC_STATE_DIR=$state UC_TMUX_SOCKET=uc-bench-api-$$
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  (cd "$work" && "$uc" down >/dev/null 2>&1) || true
  tmux -L "$UC_TMUX_SOCKET" kill-server 2>/dev/null || true
  rm -rf "$state" "$work"
}
trap cleanup EXIT

{
  echo "workspace: apibench"
  echo "services:"
  for i in $(seq -w 1 50); do printf '  s%s:\n    command: sleep 1000000\n' "$i"; done
} >"$work/univers.yaml"
cd "$work"
"$uc" up >/dev/null
token=$("$uc" token create --name bench --role viewer 2>/dev/null)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$uc" serve --listen "127.0.0.1:$port" 2>/dev/null &
serve_pid=$!
until curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null; do sleep 0.05; done
sock=$state/apibench/engine.sock

echo "idle uc serve, no client yet:"
python3 "$measure" uc-serve "$serve_pid" 5 30

route=/api/v1/services
bytes=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port$route" | wc -c)
echo "GET $route: $bytes bytes, 50 services, ${dur}s per run"

run() { # label, connections, oha args...
  local label=$1 conns=$2
  shift 2
  oha -z "${dur}s" -c "$conns" --no-tui --output-format json "$@" |
    python3 -c '
import json, sys
r = json.load(sys.stdin)
s, p = r["summary"], r["latencyPercentiles"]
rate, p50, p99 = s["requestsPerSec"], p["p50"] * 1e3, p["p99"] * 1e3
codes = r.get("statusCodeDistribution", {})
print(f"{sys.argv[1]:<28} c={sys.argv[2]:<3} {rate:>9.0f} req/s  "
      f"p50 {p50:.2f} ms  p99 {p99:.2f} ms  status {codes}")
' "$label" "$conns"
}

for conns in 64 8; do
  run "engine socket" "$conns" --unix-socket "$sock" "http://uc$route"
  run "uc serve (TCP, auth)" "$conns" -H "Authorization: Bearer $token" "http://127.0.0.1:$port$route"
done

echo "idle uc serve, no client since the runs (connections closed; the allocator keeps some of their memory):"
python3 "$measure" uc-serve "$serve_pid" 5 30

#!/usr/bin/env bash
# Idle cost of the `uc` TUI next to btop, measured the same way in the same run, plus the
# time to the first full frame and the demo's start-to-running time.
#
#   bash bench/idle.sh [WARMUP_S] [DURATION_S]
#
# Everything runs on private tmux servers and a temp state dir; the user's tmux and state are
# never touched. Needs ../shared/bench/measure.py (the measurement helper shared by the team)
# and btop (`apt-get install btop`; installed here when missing and apt is usable).
set -euo pipefail
cd "$(dirname "$0")/.."
warm=${1:-10}
dur=${2:-30}
measure=${MEASURE:-../shared/bench/measure.py}
[ -f "$measure" ] || { echo "missing $measure" >&2; exit 2; }
command -v btop >/dev/null || apt-get install -y -qq btop >/dev/null 2>&1 || true

cargo build --release -q
uc=$PWD/target/release/uc
state=$(mktemp -d)
export UC_STATE_DIR=$state UC_TMUX_SOCKET=uc-bench-$$
ui=uc-bench-ui-$$
peer=uc-bench-btop-$$
cleanup() {
  "$uc" --demo down >/dev/null 2>&1 || true
  for s in "$ui" "$peer" "$UC_TMUX_SOCKET"; do tmux -L "$s" kill-server 2>/dev/null || true; done
  rm -rf "$state"
}
trap cleanup EXIT

ms() { date +%s%3N; }

# Start-to-running of the demo: engine start included, until every service runs (pinger
# waits for web to be healthy).
t0=$(ms)
"$uc" --demo up >/dev/null
t1=$(ms)
echo "demo start-to-running (cold engine): $((t1 - t0)) ms"
"$uc" --demo down >/dev/null
t0=$(ms)
"$uc" --demo up >/dev/null
t1=$(ms)
echo "demo start-to-running (engine start included, second run): $((t1 - t0)) ms"

# Time to first full frame: from starting `uc` in a 200x50 pane until the services table
# shows every demo service (the engine already runs).
tmux -L "$ui" -f /dev/null new-session -d -x 200 -y 50 -e UC_STATE_DIR="$state" \
  -e UC_TMUX_SOCKET="$UC_TMUX_SOCKET" "sleep 1000000"
tmux -L "$ui" set -g remain-on-exit off
frames=()
for _ in 1 2 3 4 5; do
  tmux -L "$ui" respawn-pane -k "sleep 1000000"
  t0=$(ms)
  tmux -L "$ui" respawn-pane -k "$uc --demo"
  until tmux -L "$ui" capture-pane -p | grep -q "worker .*running"; do sleep 0.005; done
  t1=$(ms)
  frames+=($((t1 - t0)))
done
sorted=$(printf '%s\n' "${frames[@]}" | sort -n | tr '\n' ' ')
echo "uc start to first full frame, 5 runs (ms, sorted): $sorted"

ui_pid=$(tmux -L "$ui" display -p '#{pane_pid}')
engine_pid=$("$uc" --demo status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["engine"]["pid"])')
echo "measuring idle uc TUI (pid $ui_pid) and engine (pid $engine_pid) for ${dur}s after ${warm}s"
python3 "$measure" uc-tui "$ui_pid" "$warm" "$dur" "$engine_pid" | tee "$state/uc.json"

if command -v btop >/dev/null; then
  tmux -L "$peer" -f /dev/null new-session -d -x 200 -y 50 btop
  btop_pid=$(tmux -L "$peer" display -p '#{pane_pid}')
  python3 "$measure" btop "$btop_pid" "$warm" "$dur" | tee "$state/btop.json"
  python3 - "$state/uc.json" "$state/btop.json" <<'PY'
import json, sys
uc, btop = (json.load(open(p))["tree"] for p in sys.argv[1:3])
cpu = uc["cpu_pct"] / btop["cpu_pct"] if btop["cpu_pct"] else float("nan")
print(f"uc TUI: {uc['cpu_pct']}% CPU, {uc['pss_mib']} MiB PSS, {uc['wakeups_per_s']} wakeups/s")
print(f"btop:   {btop['cpu_pct']}% CPU, {btop['pss_mib']} MiB PSS, {btop['wakeups_per_s']} wakeups/s")
print(f"uc/btop CPU ratio: {cpu:.2f} (target <= 0.5); PSS target <= 16 MiB")
PY
else
  echo "btop not installed; no peer figure"
fi

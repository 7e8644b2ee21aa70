#!/usr/bin/env bash
# Supervisor overhead per service: CPU % (of one core) and RSS of the `uc` engine (its
# process tree: the engine and its tmux control client) with 0 and with N idle services,
# over the same window; the difference divided by N is the cost of one service. The tmux
# server, which holds one pane per service, is reported next to it.
#
#   bash bench/supervisor_overhead.sh [N] [WARMUP_S] [DURATION_S]
#
# Runs on a private tmux socket and a temp state dir. Needs ../shared/bench/measure.py.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
warm=${2:-10}
dur=${3:-45}
measure=${MEASURE:-../shared/bench/measure.py}
[ -f "$measure" ] || { echo "missing $measure" >&2; exit 2; }
target=${CARGO_TARGET_DIR:-target}

cargo build --release -q --bin uc
uc=$(realpath "$target/release/uc")
work=$(mktemp -d)
export UC_STATE_DIR=$work/state UC_TMUX_SOCKET=uc-overhead-bench-$$
cleanup() {
  "$uc" -f "$work/univers.yaml" down >/dev/null 2>&1 || true
  tmux -L "$UC_TMUX_SOCKET" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# One JSON line from measure.py for a workspace of $1 idle services.
measure_with() {
  {
    echo "workspace: overhead$$"
    if [ "$1" -eq 0 ]; then
      echo "services: {}"
    else
      echo "services:"
      for i in $(seq 1 "$1"); do
        printf '  idle%s:\n    command: exec sleep 1000000\n' "$i"
      done
    fi
  } >"$work/univers.yaml"
  (cd "$work" && "$uc" -f "$work/univers.yaml" up >/dev/null)
  local engine server
  engine=$(tmux -L "$UC_TMUX_SOCKET" list-panes -a -F '#{@uc_engine} #{pane_pid}' | awk '$1 == 1 { print $2 }')
  server=$(tmux -L "$UC_TMUX_SOCKET" display -p '#{pid}')
  python3 "$measure" "uc-$1" "$engine" "$warm" "$dur" "$server"
  "$uc" -f "$work/univers.yaml" down >/dev/null
}

zero=$(measure_with 0)
many=$(measure_with "$n")
echo "$zero"
echo "$many"
python3 - "$n" "$zero" "$many" <<'PY'
import json, sys
n, a, b = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"{'':<22}{'0 services':>12}{f'{n} services':>14}{'per service':>14}")
for who, key in (('engine', 'tree'), ('tmux server', 'extra')):
    cpu0, cpu1 = a[key]['cpu_pct'], b[key]['cpu_pct']
    rss0, rss1 = a[key]['rss_mib'], b[key]['rss_mib']
    print(f"{who + ' CPU %':<22}{cpu0:>12.3f}{cpu1:>14.3f}{(cpu1 - cpu0) / n:>14.4f}")
    print(f"{who + ' RSS KiB':<22}{rss0 * 1024:>12.0f}{rss1 * 1024:>14.0f}{(rss1 - rss0) * 1024 / n:>14.1f}")
PY

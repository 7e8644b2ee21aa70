#!/usr/bin/env bash
# Supervisor overhead per service: CPU % (of one core) and RSS of the `uc` engine (its
# process tree: the engine and its tmux control client) with 0 and with N idle services,
# over the same window; the difference divided by N is the cost of one service. The tmux
# server, which holds one pane per service, and the runners (one `uc-runner` per service:
# RSS, PSS, private memory) are reported next to it.
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

cargo build --release -q --bin uc --bin uc-runner
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
  # The runners (one uc-runner per service, children of the tmux server), over the same window.
  python3 - "$server" "$warm" "$dur" >"$work/runners-$1.json" <<'PY' &
import json, os, sys, time
server, warm, dur = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
def field(pid, name):
    try:
        return open(f"/proc/{pid}/{name}").read()
    except OSError:
        return ""
def runners():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()
            and field(p, "comm").strip() == "uc-runner"
            and int(field(p, "stat").rsplit(")", 1)[-1].split()[1] or 0) == server]
def ticks(pids):
    return sum(sum(map(int, field(p, "stat").rsplit(")", 1)[-1].split()[11:13])) for p in pids)
def kib(pid, key):
    return sum(int(l.split()[1]) for l in field(pid, "smaps_rollup").splitlines() if l.startswith(key))
time.sleep(warm)
pids = runners()
t0, c0 = time.monotonic(), ticks(pids)
time.sleep(dur)
cpu = 100.0 * (ticks(pids) - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0)
print(json.dumps(dict(n=len(pids), cpu_pct=cpu, rss_kib=sum(kib(p, "Rss:") for p in pids),
                      pss_kib=sum(kib(p, "Pss:") for p in pids),
                      private_kib=sum(kib(p, "Private_") for p in pids))))
PY
  python3 "$measure" "uc-$1" "$engine" "$warm" "$dur" "$server"
  wait
  "$uc" -f "$work/univers.yaml" down >/dev/null
}

zero=$(measure_with 0)
many=$(measure_with "$n")
echo "$zero"
echo "$many"
python3 - "$n" "$zero" "$many" "$work/runners-$n.json" <<'PY'
import json, sys
n, a, b = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"{'':<22}{'0 services':>12}{f'{n} services':>14}{'per service':>14}")
for who, key in (('engine', 'tree'), ('tmux server', 'extra')):
    cpu0, cpu1 = a[key]['cpu_pct'], b[key]['cpu_pct']
    rss0, rss1 = a[key]['rss_mib'], b[key]['rss_mib']
    print(f"{who + ' CPU %':<22}{cpu0:>12.3f}{cpu1:>14.3f}{(cpu1 - cpu0) / n:>14.4f}")
    print(f"{who + ' RSS KiB':<22}{rss0 * 1024:>12.0f}{rss1 * 1024:>14.0f}{(rss1 - rss0) * 1024 / n:>14.1f}")
r = json.loads(open(sys.argv[4]).read())
per = max(r['n'], 1)
print(f"{'runners CPU %':<22}{'':>12}{r['cpu_pct']:>14.3f}{r['cpu_pct'] / per:>14.4f}")
for what in ('rss', 'pss', 'private'):
    print(f"{'runners ' + what.upper() + ' KiB':<22}{'':>12}{r[what + '_kib']:>14.0f}{r[what + '_kib'] / per:>14.1f}")
PY

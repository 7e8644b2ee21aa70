#!/usr/bin/env bash
# What supervising N idle services costs, uc next to PM2 in the same run.
# - uc: CPU % (of one core) and memory of the engine (its process tree: the engine and its
#   tmux control client) with 0 and with N services, over the same window; the tmux server,
#   which holds one pane per service; and the helpers beside each service, children of the
#   tmux server: its runner (`uc runner`, comm uc-runner) and its log capture
#   (`uc log-capture`).
# - PM2: its daemon ("God") with the same N services, over the same window.
# Memory is PSS (shared pages split between the processes sharing them), RSS and private.
#
#   bash bench/supervisor_overhead.sh [N] [WARMUP_S] [DURATION_S]
#
# uc runs on a private tmux socket and a temp state dir; PM2 is installed into /tmp/uc-pm2
# (kept between runs) with its own PM2_HOME; without npm the PM2 column is left out.
# Needs ../shared/bench/measure.py.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
warm=${2:-10}
dur=${3:-30}
measure=${MEASURE:-../shared/bench/measure.py}
[ -f "$measure" ] || { echo "missing $measure" >&2; exit 2; }
target=${CARGO_TARGET_DIR:-target}

cargo build --release -q --bin uc
uc=$(realpath "$target/release/uc")
work=$(mktemp -d)
export UC_STATE_DIR=$work/state UC_TMUX_SOCKET=uc-overhead-bench-$$
export PM2_HOME=$work/pm2
pm2_prefix=/tmp/uc-pm2
pm2=$pm2_prefix/node_modules/.bin/pm2
cleanup() {
  "$uc" -f "$work/univers.yaml" down >/dev/null 2>&1 || true
  tmux -L "$UC_TMUX_SOCKET" kill-server 2>/dev/null || true
  [ -x "$pm2" ] && "$pm2" kill >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The helpers of one kind (runner | capture), children of the tmux server $1, over a window.
helpers() {
  python3 - "$@" <<'PY'
import json, os, sys, time
server, warm, dur = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
def field(pid, name):
    try:
        return open(f"/proc/{pid}/{name}").read()
    except OSError:
        return ""
def kind(pid):
    if int(field(pid, "stat").rsplit(")", 1)[-1].split()[1] or 0) != server:
        return None
    if field(pid, "comm").strip() == "uc-runner":
        return "runner"
    if b"log-capture" in field(pid, "cmdline").encode():
        return "capture"
    return None
def ticks(pids):
    return sum(sum(map(int, field(p, "stat").rsplit(")", 1)[-1].split()[11:13])) for p in pids)
def kib(pid, key):
    return sum(int(l.split()[1]) for l in field(pid, "smaps_rollup").splitlines() if l.startswith(key))
time.sleep(warm)
groups = {"runner": [], "capture": []}
for p in os.listdir("/proc"):
    if p.isdigit() and (k := kind(p)):
        groups[k].append(p)
t0, c0 = time.monotonic(), {k: ticks(v) for k, v in groups.items()}
time.sleep(dur)
dt = time.monotonic() - t0
print(json.dumps({k: dict(n=len(v), cpu_pct=100.0 * (ticks(v) - c0[k]) / os.sysconf("SC_CLK_TCK") / dt,
                          rss_kib=sum(kib(p, "Rss:") for p in v), pss_kib=sum(kib(p, "Pss:") for p in v),
                          private_kib=sum(kib(p, "Private_") for p in v)) for k, v in groups.items()}))
PY
}

# One JSON line from measure.py for a uc workspace of $1 idle services (and the helpers').
measure_uc() {
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
  helpers "$server" "$warm" "$dur" >"$work/helpers-$1.json" &
  python3 "$measure" "uc-$1" "$engine" "$warm" "$dur" "$server"
  wait
  "$uc" -f "$work/univers.yaml" down >/dev/null
}

# One JSON line from measure.py for PM2's daemon running $1 idle services.
measure_pm2() {
  [ -x "$pm2" ] || npm install --prefix "$pm2_prefix" --no-audit --no-fund --loglevel=error pm2 >/dev/null 2>&1 || return 1
  mkdir -p "$work/pm2app"
  {
    echo "module.exports = { apps: ["
    for i in $(seq 1 "$1"); do
      echo "  { name: 'idle$i', script: 'sleep', args: '1000000', interpreter: 'none', autorestart: true },"
    done
    echo "] };"
  } >"$work/pm2app/ecosystem.config.js"
  (cd "$work/pm2app" && "$pm2" start ecosystem.config.js >/dev/null)
  NOTREE=1 python3 "$measure" "pm2-$1" "$(cat "$PM2_HOME/pm2.pid")" "$warm" "$dur"
  "$pm2" kill >/dev/null 2>&1
}

zero=$(measure_uc 0)
many=$(measure_uc "$n")
pm2_many=$(measure_pm2 "$n" || echo null)
echo "$zero"
echo "$many"
echo "$pm2_many"
python3 - "$n" "$zero" "$many" "$work/helpers-$n.json" "$pm2_many" <<'PY'
import json, sys
n, a, b = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
h, pm2 = json.loads(open(sys.argv[4]).read()), json.loads(sys.argv[5])
print(f"{'':<24}{'0 services':>12}{f'{n} services':>14}{'per service':>14}")
for who, key in (('engine', 'tree'), ('tmux server', 'extra')):
    cpu0, cpu1 = a[key]['cpu_pct'], b[key]['cpu_pct']
    print(f"{who + ' CPU %':<24}{cpu0:>12.3f}{cpu1:>14.3f}{(cpu1 - cpu0) / n:>14.4f}")
    for m in ('rss', 'pss'):
        m0, m1 = a[key][m + '_mib'] * 1024, b[key][m + '_mib'] * 1024
        print(f"{who + ' ' + m.upper() + ' KiB':<24}{m0:>12.0f}{m1:>14.0f}{(m1 - m0) / n:>14.1f}")
for kind in ('runner', 'capture'):
    r = h[kind]
    per = max(r['n'], 1)
    print(f"{kind + 's (' + str(r['n']) + ') CPU %':<24}{'':>12}{r['cpu_pct']:>14.3f}{r['cpu_pct'] / per:>14.4f}")
    for m in ('rss', 'pss', 'private'):
        print(f"{kind + 's ' + m.upper() + ' KiB':<24}{'':>12}{r[m + '_kib']:>14.0f}{r[m + '_kib'] / per:>14.1f}")
helpers_pss = (h['runner']['pss_kib'] + h['capture']['pss_kib']) / 1024
total = b['tree']['pss_mib'] + b['extra']['pss_mib'] + helpers_pss
print(f"\nPSS with {n} services, MiB: engine {b['tree']['pss_mib']:.1f} + tmux {b['extra']['pss_mib']:.1f}"
      f" + helpers {helpers_pss:.1f} (per service {helpers_pss * 1024 / n:.0f} KiB) = uc {total:.1f}")
if pm2:
    print(f"PM2 daemon with {n} services: PSS {pm2['tree']['pss_mib']:.1f} MiB, RSS {pm2['tree']['rss_mib']:.1f} MiB,"
          f" CPU {pm2['tree']['cpu_pct']:.3f} % (uc engine + tmux + helpers: CPU"
          f" {b['tree']['cpu_pct'] + b['extra']['cpu_pct'] + h['runner']['cpu_pct'] + h['capture']['cpu_pct']:.3f} %)")
PY

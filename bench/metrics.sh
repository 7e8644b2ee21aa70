#!/usr/bin/env bash
# Cost of uc's metrics next to btop and bottom (btm), all refreshing once a second, measured
# the same way in the same run: idle, and with 1,000 extra sleeping processes on the machine.
# Also the CPU cost of one Prometheus scrape of the engine's /metrics.
#
#   bash bench/metrics.sh [WARMUP_S] [DURATION_S]
#
# uc is measured as the TUI plus its engine (the dashboard needs both). Everything runs on
# private tmux servers and a temp state dir. Needs ../shared/bench/measure.py; installs btop
# (apt) and bottom (`cargo install bottom`) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
warm=${1:-10}
dur=${2:-30}
measure=${MEASURE:-../shared/bench/measure.py}
[ -f "$measure" ] || { echo "missing $measure" >&2; exit 2; }
command -v btop >/dev/null || apt-get install -y -qq btop >/dev/null 2>&1 || true
command -v btm >/dev/null || cargo install --quiet --locked bottom || true

cargo build --release -q
uc=$PWD/target/release/uc
work=$(mktemp -d)
export UC_STATE_DIR=$work/state UC_TMUX_SOCKET=uc-mbench-$$
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The demo workspace, plus a Prometheus endpoint.
sed 's/^workspace: demo$/workspace: mbench/' configs/demo/univers.yaml > "$work/univers.yaml"
printf '\nmetrics:\n  interval: 1s\n  listen: 127.0.0.1:%s\n' "$port" >> "$work/univers.yaml"
servers=()
sleepers=""
cleanup() {
  [ -n "$sleepers" ] && kill -- "-$sleepers" 2>/dev/null || true
  "$uc" -f "$work/univers.yaml" down >/dev/null 2>&1 || true
  for s in "${servers[@]}"; do tmux -L "$s" kill-server 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$uc" -f "$work/univers.yaml" up >/dev/null
engine=$("$uc" -f "$work/univers.yaml" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["engine"]["pid"])')

# run LABEL COMMAND...: the program in its own 200x50 tmux, measured with measure.py.
run() {
  local label=$1; shift
  local s=uc-mbench-$label-$$
  servers+=("$s")
  tmux -L "$s" -f /dev/null new-session -d -x 200 -y 50 -e UC_STATE_DIR="$UC_STATE_DIR" \
    -e UC_TMUX_SOCKET="$UC_TMUX_SOCKET" -e XDG_CONFIG_HOME="$work/xdg" "$@"
  local pid
  pid=$(tmux -L "$s" display -p '#{pane_pid}')
  local extra=()
  [ "$label" = uc ] && extra=("$engine")
  python3 "$measure" "$label" "$pid" "$warm" "$dur" "${extra[@]}"
  tmux -L "$s" kill-server
}

# btop refreshes every 2 s by default; give it the same 1 s as the others.
mkdir -p "$work/xdg/btop"
printf 'update_ms = 1000\n' > "$work/xdg/btop/btop.conf"

measure_all() {
  local tag=$1
  run uc "$uc" -f "$work/univers.yaml" | sed "s/\"uc\"/\"uc-$tag\"/"
  command -v btop >/dev/null && run btop btop | sed "s/\"btop\"/\"btop-$tag\"/"
  command -v btm >/dev/null && run btm btm --rate 1000 | sed "s/\"btm\"/\"btm-$tag\"/"
}

echo "== idle ($(ls /proc | grep -c '^[0-9]') processes)"
measure_all idle | tee "$work/idle.jsonl"

setsid sh -c 'i=0; while [ $i -lt 1000 ]; do sleep 100000 & i=$((i+1)); done; wait' &
sleepers=$!
sleep 3
echo "== with 1,000 extra sleeping processes ($(ls /proc | grep -c '^[0-9]') processes)"
measure_all busy | tee "$work/busy.jsonl"

python3 - "$work/idle.jsonl" "$work/busy.jsonl" <<'PY'
import json, sys
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)
        t, e = r["tree"], r.get("extra", {})
        cpu = t["cpu_pct"] + e.get("cpu_pct", 0)
        pss = t["pss_mib"] + e.get("pss_mib", 0)
        wake = t["wakeups_per_s"] + e.get("wakeups_per_s", 0)
        parts = f" (TUI {t['cpu_pct']}% + engine {e['cpu_pct']}%)" if e else ""
        print(f"{r['label']:<10} cpu {cpu:.2f}%{parts}  pss {pss:.1f} MiB  wakeups {wake:.1f}/s")
PY

# Scrape cost: engine CPU time over many scrapes of /metrics.
ticks() { awk '{print $14 + $15}' "/proc/$engine/stat"; }
hz=$(getconf CLK_TCK)
n=2000
before=$(ticks)
python3 - "$port" "$n" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port)
size = 0
for _ in range(n):
    conn.request("GET", "/metrics")
    size = len(conn.getresponse().read())
print(f"/metrics: {size} bytes per scrape")
PY
after=$(ticks)
python3 -c "print(f'/metrics scrape cost: {($after - $before) / $hz / $n * 1000:.3f} ms engine CPU per scrape ($n scrapes)')"

#!/usr/bin/env bash
# Restart latency after `kill -9`, uc next to PM2, measured the same way in the same run
# (bench/restart_trials.py): from the kill to the new process writing its start time.
#
#   bash bench/restart.sh [TRIALS]
#
# uc runs on a private tmux socket and a temp state dir; PM2 is installed into a temp prefix
# (/tmp/uc-pm2, kept between runs) and runs with its own PM2_HOME. Needs Node and npm.
# `cargo bench --bench restart_latency` measures uc alone through the same path.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-50}
target=${CARGO_TARGET_DIR:-target}

cargo build --release -q --bin uc
uc=$(realpath "$target/release/uc")
pm2_prefix=/tmp/uc-pm2
[ -x "$pm2_prefix/node_modules/.bin/pm2" ] ||
  npm install --prefix "$pm2_prefix" --no-audit --no-fund --loglevel=error pm2 >/dev/null
pm2=$pm2_prefix/node_modules/.bin/pm2

work=$(mktemp -d)
export UC_STATE_DIR=$work/state UC_TMUX_SOCKET=uc-restart-bench-$$
export PM2_HOME=$work/pm2
cleanup() {
  "$uc" -f "$work/uc/univers.yaml" down >/dev/null 2>&1 || true
  tmux -L "$UC_TMUX_SOCKET" kill-server 2>/dev/null || true
  "$pm2" kill >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The service writes the time it runs: with a C compiler, as its very first instruction
# (bench/stamp.c, exec'ed by the shell); else through `date`, which adds a fork and an exec
# (~1.5 ms here) to both columns.
if command -v cc >/dev/null 2>&1 && cc -O2 -o "$work/stamp" bench/stamp.c 2>/dev/null; then
  service="exec $work/stamp started"
  how="bench/stamp.c"
else
  service='date +%s%N > started; exec sleep 1000000'
  how="date +%s%N"
fi

mkdir -p "$work/uc"
cat >"$work/uc/univers.yaml" <<YAML
workspace: restartbench$$
services:
  api:
    command: $service
    restart: { policy: always, backoff: 0s..0s }
metrics: { history: false }
alerts: { enabled: false }
YAML
(cd "$work/uc" && "$uc" up >/dev/null)

mkdir -p "$work/pm2app"
printf '#!/bin/sh\n%s\n' "$service" >"$work/pm2app/svc.sh"
chmod +x "$work/pm2app/svc.sh"
# Restart at once, and never treat the quick kills as an unstable app to stop restarting.
cat >"$work/pm2app/ecosystem.config.js" <<JS
module.exports = { apps: [{
  name: 'api', script: '$work/pm2app/svc.sh', interpreter: 'none', cwd: '$work/pm2app',
  autorestart: true, restart_delay: 0, min_uptime: 0, max_restarts: 100000,
}] };
JS
"$pm2" start "$work/pm2app/ecosystem.config.js" >/dev/null

uc_pid() {
  "$uc" -f "$work/uc/univers.yaml" status --json |
    python3 -c 'import json,sys; print(next(s.get("pid") or 0 for s in json.load(sys.stdin)["services"] if s["name"]=="api"))'
}
export -f uc_pid
export uc work

echo "kill -9 → new process running ($how), $trials trials (ms)"
printf '%-6s %6s %8s %8s %8s %8s\n' who trials p50 p90 p99 max
python3 bench/restart_trials.py uc "$work/uc/started" "$trials" bash -c uc_pid
python3 bench/restart_trials.py pm2 "$work/pm2app/started" "$trials" "$pm2" pid api

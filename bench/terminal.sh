#!/usr/bin/env bash
# The live terminal's figures, against the release `uc serve` and a real engine on a private
# tmux server: a line typed into a service's window until its answer is back, through the
# terminal API (what the web page does) and, in the same run, through `tmux send-keys` +
# `capture-pane` (the peer). The xterm.js chunk's transfer is in bench/web.sh.
#
#   bash bench/terminal.sh        (ROUNDS=200)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-200}
nice -n 10 cargo build --release -q --bin uc
uc=$PWD/target/release/uc
bench=$PWD/bench
state=$(mktemp -d)
work=$(mktemp -d)
export UC_STATE_DIR=$state UC_TMUX_SOCKET=uc-bench-term-$$
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  (cd "$work" && "$uc" down >/dev/null 2>&1) || true
  tmux -L "$UC_TMUX_SOCKET" kill-server 2>/dev/null || true
  rm -rf "$state" "$work"
}
trap cleanup EXIT

cat >"$work/echo.py" <<'PY'
import sys
print('ready', flush=True)
for line in sys.stdin:
    print('echo:', line.strip(), flush=True)
PY
cat >"$work/univers.yaml" <<'YAML'
workspace: termbench
services:
  echo:
    command: exec python3 -u echo.py
YAML
cd "$work"
"$uc" up >/dev/null
until "$uc" status --json | grep -q '"window": *"@'; do sleep 0.05; done
window=$("$uc" status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["services"][0]["window"])')
token=$("$uc" token create --name termbench --role operator 2>/dev/null)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$uc" serve --listen "127.0.0.1:$port" --default termbench 2>/dev/null &
serve_pid=$!
until curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null; do sleep 0.05; done
python3 "$bench/terminal.py" "$port" "$token" "$UC_TMUX_SOCKET" "$window" "$rounds"

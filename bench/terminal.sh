#!/usr/bin/env bash
# The live terminal's figures, against the release `uc serve` and a real engine on a private
# tmux server, next to `chatty` printing ~5,000 lines/s:
#   (a) a line typed into a service's window until its answer is back, through the terminal
#       API (what the web page does) and, in the same run, through `tmux send-keys` +
#       `capture-pane` (the peer);
#   (b) the engine's CPU (its tree: the tmux clients it runs), the tmux server's and that of
#       `chatty`'s log capture (whose tap feeds the terminals), for WINDOW_S each: before any
#       terminal opened, after terminals closed, and with one terminal streaming `chatty`
#       (../shared/bench/measure.py).
# The xterm.js chunk's transfer is in bench/web.sh.
#
#   bash bench/terminal.sh        (ROUNDS=200 WINDOW_S=20)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-200}
window_s=${WINDOW_S:-20}
measure=$(realpath -m "${MEASURE:-../shared/bench/measure.py}")
[ -f "$measure" ] || { echo "missing $measure" >&2; exit 2; }
nice -n 10 cargo build --release -q --bin uc
uc=$PWD/target/release/uc
bench=$PWD/bench
state=$(mktemp -d)
work=$(mktemp -d)
export UC_STATE_DIR=$state UC_TMUX_SOCKET=uc-bench-term-$$
serve_pid=
watch_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null || true
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
cat >"$work/chatty.py" <<'PY'
import time
while True:
    print(('chatty ' + 'x' * 50 + '\n') * 50, end='', flush=True)
    time.sleep(0.01)
PY
cat >"$work/univers.yaml" <<'YAML'
workspace: termbench
services:
  echo:
    command: exec python3 -u echo.py
  chatty:
    command: exec python3 -u chatty.py
YAML
cd "$work"
"$uc" up >/dev/null
field() { "$uc" status --json | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"; }
until [ "$(field 'all(x["window"] for x in s["services"])')" = True ]; do sleep 0.05; done
window=$(field '[x["window"] for x in s["services"] if x["name"] == "echo"][0]')
engine=$(field 's["engine"]["pid"]')
server=$(tmux -L "$UC_TMUX_SOCKET" display-message -p '#{pid}')
capture=$(pgrep -f "log-capture .*/chatty\.log\$")
cpu() { python3 "$measure" "$1" "$engine" 2 "$window_s" "$server" "$capture"; }
token=$("$uc" token create --name termbench --role operator 2>/dev/null)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$uc" serve --listen "127.0.0.1:$port" --default termbench 2>/dev/null &
serve_pid=$!
until curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null; do sleep 0.05; done
cpu "(b) no terminal opened yet"
python3 "$bench/terminal.py" "$port" "$token" "$UC_TMUX_SOCKET" "$window" "$rounds"
cpu "(b) terminals closed"
curl -sN -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/services/chatty/terminal" >/dev/null &
watch_pid=$!
cpu "(b) one terminal streaming chatty"

#!/usr/bin/env bash
# The web page's figures (issue 17), against the release `uc serve` and a real engine on a
# private tmux server:
#   (a) first-load transfer of the JS + CSS, compressed as the server sends them to a
#       browser (Accept-Encoding: gzip, deflate, br); target ≤ 150 KB;
#   (b) from a service state change requested through the API to the dashboard's DOM
#       showing it, p99 over CHANGES (100) stops and starts; target ≤ 250 ms;
#   (c) chromium's renderer CPU (../shared/bench/measure.py) with the dashboard open and idle
#       for WINDOW_S (60) s, then with the logs page receiving ~1,000 lines/s for WINDOW_S s.
#
#   bash bench/web.sh            (CHANGES=100 WINDOW_S=60; needs web/node_modules, chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
measure=$(realpath -m "${MEASURE:-../shared/bench/measure.py}")
[ -f "$measure" ] || { echo "missing $measure" >&2; exit 2; }
[ -d web/node_modules/playwright-core ] || { echo "run npm ci in web/ first" >&2; exit 2; }
nice -n 10 cargo build --release -q --bin uc
uc=$PWD/target/release/uc
bench=$PWD/bench
state=$(mktemp -d)
work=$(mktemp -d)
export UC_STATE_DIR=$state UC_TMUX_SOCKET=uc-bench-web-$$
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  (cd "$work" && "$uc" down >/dev/null 2>&1) || true
  tmux -L "$UC_TMUX_SOCKET" kill-server 2>/dev/null || true
  rm -rf "$state" "$work"
}
trap cleanup EXIT

# flood: 100 lines every 100 ms (a little under 1,000 lines/s: the page reports the rate).
cat >"$work/univers.yaml" <<'YAML'
workspace: webbench
services:
  api:
    command: exec sleep 1000000
  web:
    command: exec sleep 1000001
  flood:
    command: |
      i=0
      while :; do seq $i $((i + 99)) | sed 's/^/INFO flood line /'; i=$((i + 100)); sleep 0.1; done
YAML
cd "$work"
"$uc" up >/dev/null
"$uc" down flood >/dev/null
token=$("$uc" token create --name webbench --role operator 2>/dev/null)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$uc" serve --listen "127.0.0.1:$port" --default webbench 2>/dev/null &
serve_pid=$!
until curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null; do sleep 0.05; done
url=http://127.0.0.1:$port

# (a): what a first visit downloads besides the index: the bundles it names.
total=0
plain=0
for asset in $(curl -sf "$url/" | grep -o '/assets/[^"]*'); do
  sent=$(curl -sf -H 'Accept-Encoding: gzip, deflate, br' -o /dev/null -w '%{size_download}' "$url$asset")
  raw=$(curl -sf -o /dev/null -w '%{size_download}' "$url$asset")
  echo "    $asset: $sent bytes sent ($raw uncompressed)"
  total=$((total + sent))
  plain=$((plain + raw))
done
index=$(curl -sf -H 'Accept-Encoding: gzip, deflate, br' -o /dev/null -w '%{size_download}' "$url/")
echo "(a) first load, JS + CSS compressed: $total bytes = $((total / 1024)) KiB ($plain uncompressed; index.html $index more) (target ≤ 150 KB)"
# Not in the first load: the terminal page's xterm.js, fetched when a terminal opens.
app=$(curl -sf "$url/" | grep -o '/assets/app-[^"]*\.js')
chunk=/assets/$(curl -sf "$url$app" | grep -o 'xterm-[A-Z0-9]*\.js' | head -1)
sent=$(curl -sf -H 'Accept-Encoding: gzip, deflate, br' -o /dev/null -w '%{size_download}' "$url$chunk")
raw=$(curl -sf -o /dev/null -w '%{size_download}' "$url$chunk")
echo "    the terminal's chunk $chunk, loaded when a terminal opens: $sent bytes sent ($raw uncompressed)"

UC_URL=$url UC_WORKSPACE=webbench UC_TOKEN=$token UC_SERVICE=web UC_BIN=$uc UC_FILE=$work/univers.yaml \
  MEASURE=$measure nice -n 10 node "$bench/web.mjs"

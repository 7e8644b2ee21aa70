#!/usr/bin/env bash
# Regenerates the README's screens from the real binary: the built-in demo, run as a new user
# runs it (`uc --demo`), in a private tmux server with a temporary state dir and a unique tmux
# socket (your own tmux and your demo workspace are never touched), read with capture-pane.
#
#   bash assets/capture.sh [path/to/uc]     (default: target/release/uc, else target/debug/uc)
#
# screenshot.txt: the services once the worker waits out its restart backoff (crash-looping
# with a countdown); alerts.txt: the alerts pane (`A`) once TickerErrors fires, while the
# worker is down again (ServiceDown at 1). A busy machine shows HighCpu pending too: capture
# on a quiet one.
set -euo pipefail
cd "$(dirname "$0")/.."
uc=${1:-}
if [ -z "$uc" ]; then
  uc=target/release/uc
  [ -x "$uc" ] || uc=target/debug/uc
fi
uc=$(realpath "$uc")

state=$(mktemp -d)
base="uc-capture-$$"
name=""
cleanup() {
  UC_STATE_DIR="$state" UC_TMUX_SOCKET="$base-ws" "$uc" --demo down >/dev/null 2>&1 || true
  local sockets="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)"
  for n in $(seq 1 "$screens"); do
    tmux -L "$base-screen-$n" kill-server 2>/dev/null || true
    rm -f "$sockets/$base-screen-$n"
  done
  rm -f "$sockets/$base-ws"
  rm -rf "$state"
}
trap cleanup EXIT

# The screen to capture: a pane of a server of its own (one per screen), running the demo's
# TUI in place; the workspace itself runs on its own server ($base-ws) throughout.
screens=0
screen() {
  [ -z "$name" ] || tmux -L "$name" kill-server 2>/dev/null || true
  screens=$((screens + 1))
  name="$base-screen-$screens"
  tmux -L "$name" -f /dev/null new-session -d -x "$1" -y "$2" \
    -e UC_STATE_DIR="$state" -e UC_TMUX_SOCKET="$base-ws" -e UC_THEME=default \
    "$uc --demo"
}

# Wait (up to 3 minutes) until every pattern is on the screen.
wait_for() {
  for _ in $(seq 1 1800); do
    local text all=1
    text=$(tmux -L "$name" capture-pane -p)
    for pattern in "$@"; do
      grep -qE -- "$pattern" <<<"$text" || all=0
    done
    if [ "$all" = 1 ]; then
      return 0
    fi
    sleep 0.1
  done
  echo "timed out waiting for: $*" >&2
  tmux -L "$name" capture-pane -p >&2
  return 1
}

capture() {
  # capture-pane pads nothing: the files keep each line's trailing spaces off.
  tmux -L "$name" capture-pane -p | sed 's/[[:space:]]*$//' >"$1"
  echo "wrote $1"
}

screen 110 16
wait_for 'worker +crash-looping [0-9]+s' 'web +running' 'pinger +running' 'ticker +running'
capture assets/screenshot.txt

screen 110 31
wait_for '4/4 running|3/4 running'
tmux -L "$name" send-keys A
wait_for '● firing +warning +ServiceDown +service=worker +1 ' '● firing +warning +TickerErrors'
capture assets/alerts.txt

#!/usr/bin/env bash
# Environment switch time on the built-in demo: from `uc env use ENV --yes` being run to
# every service whose definition changed running again (the command returns only then).
# Alternates staging and dev, TRIALS switches each way, and prints p50 / max per direction.
#
#   bash bench/env_switch.sh [TRIALS]
#
# Runs on a private tmux socket and a temp state dir; the user's own demo is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-10}
target=${CARGO_TARGET_DIR:-target}

cargo build --release -q --bin uc
uc=$(realpath "$target/release/uc")
work=$(mktemp -d)
export UC_STATE_DIR=$work/state UC_TMUX_SOCKET=uc-switch-bench-$$
cleanup() {
  "$uc" --demo down >/dev/null 2>&1 || true
  tmux -L "$UC_TMUX_SOCKET" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$uc" --demo up >/dev/null
"$uc" --demo env use dev --yes >/dev/null
echo "plan dev → staging:"
"$uc" --demo env use staging --dry-run | sed 's/^/  /'

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
: > "$work/staging" && : > "$work/dev"
for _ in $(seq "$trials"); do
  for env in staging dev; do
    start=$(date +%s%N)
    "$uc" --demo env use "$env" --yes >/dev/null
    ms "$start" >> "$work/$env"
  done
done
for env in staging dev; do
  sort -n "$work/$env" | awk -v env="$env" '
    { v[NR] = $1 }
    END { printf "switch to %-8s p50 %d ms  max %d ms  (%d switches)\n", env, v[int((NR + 1) / 2)], v[NR], NR }'
done

#!/usr/bin/env bash
# Peak resident memory of the engine and of the client under `uc logs --since 30d` over a
# log store of at least 1 GiB, for one or more `uc` binaries in the same run (e.g. main's
# and this branch's: the store format is the same).
#
#   bash bench/logs_memory.sh [UC ...]
#
# UC defaults to this tree's release build; the first one builds and counts the store (give
# this branch's first: `uc logs -c` asks the engine for a count since it). The store is built
# once, through the real engine:
# four declared file sources are fed SIZE bytes (default 1 GiB) of generated service lines
# stamped over the last five days, and the engine stores them (retention raised to fit).
# Then, for each binary: the engine is restarted with it (services keep running), its peak
# RSS is reset (/proc/PID/clear_refs), the query runs with its output thrown away, and the
# engine's peak and the client's (`/usr/bin/time -f %M`) are printed. Needs root only for
# clear_refs when another user runs the engine; uses /tmp/uc-bench-logs (kept for reruns;
# KEEP=0 removes it at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE:-1073741824}
root=${ROOT:-/tmp/uc-bench-logs}
if [ $# -eq 0 ]; then
    cargo build --release -q --bin uc
    set -- "${CARGO_TARGET_DIR:-target}/release/uc"
fi
for uc in "$@"; do [ -x "$uc" ] || { echo "not a uc binary: $uc" >&2; exit 2; }; done
builder=$(realpath "$1")

mkdir -p -m 0700 "$root/state" "$root/ws/src"
export UC_STATE_DIR=$root/state UC_TMUX_SOCKET=uc-bench-logs
cat > "$root/ws/univers.yaml" <<'YAML'
workspace: bench-logs
services:
  idle:
    command: exec sleep 86400
logs:
  files:
    src0: [./src/src0.log]
    src1: [./src/src1.log]
    src2: [./src/src2.log]
    src3: [./src/src3.log]
  retention: { size: 1GiB, age: 30d, segment: 64MiB }
YAML
uc_ws() { (cd "$root/ws" && "$@"); }

stored() { uc_ws "$builder" logs -c --since 30d; }
# Whatever engine a previous run left goes: the store is built and counted by the first binary.
uc_ws "$builder" down >/dev/null 2>&1 || true
uc_ws "$builder" up >/dev/null
if [ ! -f "$root/ws/lines" ]; then
    echo "generating and storing $size bytes of lines..." >&2
    python3 - "$root/ws/src" "$size" <<'PY'
import random, sys, time
out, target = sys.argv[1], int(sys.argv[2])
random.seed(42)
levels = ['INFO'] * 80 + ['DEBUG'] * 12 + ['WARN'] * 6 + ['ERROR'] * 2
paths = ['/api/v1/items', '/api/v1/users', '/healthz', '/api/v2/orders', '/login']
msgs = ['request completed', 'cache miss', 'upstream timeout', 'retrying request']
pool = [f" {random.choice(levels):<5} req={random.getrandbits(48):012x} GET "
        f"{random.choice(paths)}/{random.randint(1, 99999)} status={random.choice([200, 200, 200, 404, 500])} "
        f"latency_ms={random.expovariate(1 / 30):.1f} msg=\"{random.choice(msgs)}\"\n" for _ in range(50000)]
lines = target // 130
t0 = time.time() - 5 * 86400
step = (5 * 86400 - 3600) / lines
files = [open(f"{out}/src{i}.log", "a") for i in range(4)]
written, i, bufs = 0, 0, [[] for _ in files]
while written < target:
    ts = t0 + i * step
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1e6):06d}Z"
    line = stamp + pool[i % len(pool)]
    bufs[i % 4].append(line)
    written += len(line)
    i += 1
    if i % 80000 == 0:
        for f, b in zip(files, bufs):
            f.write("".join(b))
            b.clear()
for f, b in zip(files, bufs):
    f.write("".join(b))
    f.close()
print(i, file=open(f"{out}/../lines", "w"))
PY
fi
want=$(cat "$root/ws/lines")
until [ "$(stored)" -ge "$want" ]; do sleep 2; done
echo "store: $(du -sh "$root/state/bench-logs/logs/store" | cut -f1), $(stored) lines" >&2

engine_pid() { uc_ws "$1" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["engine"]["pid"])'; }
kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

for uc in "$@"; do
    old=$(engine_pid "$builder")
    kill -TERM "$old"
    while kill -0 "$old" 2>/dev/null; do sleep 0.1; done
    pid=$(engine_pid "$uc")
    sleep 2 # let the new engine settle (store opened, files followed) before the baseline
    echo 5 > "/proc/$pid/clear_refs"
    before=$(kib "$pid" VmRSS)
    start=$(date +%s.%N)
    client=$( { uc_ws /usr/bin/time -f %M "$uc" logs --since 30d > /dev/null; } 2>&1 | tail -1)
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    peak=$(kib "$pid" VmHWM)
    after=$(kib "$pid" VmRSS)
    printf '%-40s engine %6d -> peak %7d -> %6d KiB   client peak %7d KiB   %5.1f s\n' \
        "$uc" "$before" "$peak" "$after" "$client" "$secs"
done
if [ "${KEEP:-1}" = 0 ]; then
    uc_ws "$builder" down >/dev/null
    rm -rf "$root"
fi

#!/usr/bin/env bash
# The doctor's figures: top-1 accuracy over the fault-injection suite and the time from each
# fault to the first finding naming it. Runs every fault scenario (tests/doctor*.rs: real
# services, real faults), each of which passes only when `uc doctor --json`'s FIRST finding
# names the injected cause; prints one row per scenario, then the accuracy and the median.
# Usage: bash bench/doctor.sh [runs]   (each run is the whole suite; default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
tests=()
for f in tests/doctor*.rs; do tests+=(--test "$(basename "$f" .rs)"); done
cargo test -q "${tests[@]}" --no-run 2>/dev/null
out=$(mktemp)
for _ in $(seq "$runs"); do
  cargo test "${tests[@]}" -- --nocapture --test-threads 2 2>&1 | tee -a "$out" >/dev/null || true
done
python3 - "$out" <<'PY'
import re, statistics, sys
text = open(sys.argv[1]).read()
found = re.findall(r"^doctor: (.+?) first finding after (\d+) ms$", text, re.M)
failed = re.findall(r"^test (fault_\S+) \.\.\. FAILED$", text, re.M)
passed = re.findall(r"^test (fault_\S+) \.\.\. ok$", text, re.M)
for name, ms in found:
    print(f"{name:<40} {int(ms):>7} ms")
for name in failed:
    print(f"{name:<40}  MISSED")
total = len(passed) + len(failed)
if total:
    ms = [int(m) for _, m in found]
    print(f"\ntop-1 accuracy {100 * len(passed) / total:.1f} % ({len(passed)} of {total} scenario runs); "
          f"time to first finding: median {statistics.median(ms):.0f} ms, max {max(ms)} ms")
PY
rm -f "$out"

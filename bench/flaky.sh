#!/usr/bin/env bash
# Runs each timing-sensitive test binary N times and prints, per test, how many runs failed.
# A flaky test is a race in the product or the test: the target is 0 everywhere.
#
#   bash bench/flaky.sh [N] [BINARY...]    (default N=20; binaries: runner restarts engine
#                                           heal heal_engine alerts_engine logs_engine e2e*)
#
# Test binaries run one after another, each with the default test threads, as in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
shift || true
if (($#)); then
  binaries=("$@")
else
  binaries=(runner restarts engine heal heal_engine alerts_engine logs_engine)
  for f in tests/e2e*.rs; do binaries+=("$(basename "$f" .rs)"); done
fi

args=()
for b in "${binaries[@]}"; do args+=(--test "$b"); done
# The executables cargo built for these tests, one "name path" per line.
cargo test --no-run --message-format=json "${args[@]}" 2>/dev/null \
  | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "test" in m["target"]["kind"]:
        print(m["target"]["name"], m["executable"])
' >"${TMPDIR:-/tmp}/flaky-bins.$$"

out=$(mktemp -d)
trap 'rm -rf "$out" "${TMPDIR:-/tmp}/flaky-bins.$$"' EXIT
# The output of every failed run is kept here.
keep=${FLAKY_LOGS:-target/flaky}
rm -rf "$keep" && mkdir -p "$keep"
start=$SECONDS
while read -r name exe; do
  for i in $(seq 1 "$n"); do
    log="$out/$name.$i"
    if ! "$exe" >"$log" 2>&1; then
      grep -E '^test .* FAILED$' "$log" | awk -v b="$name" '{print b "::" $2}' >>"$out/failures"
      grep -qE '^test .* FAILED$' "$log" || echo "$name::(binary exited without a test failure)" >>"$out/failures"
      cp "$log" "$keep/$name-$i.log"
    fi
  done
  printf '%-16s %3d runs  %5ds\n' "$name" "$n" "$((SECONDS - start))"
done <"${TMPDIR:-/tmp}/flaky-bins.$$"

echo
if [ -s "$out/failures" ]; then
  echo "failures per test (of $n runs each; output in $keep/):"
  sort "$out/failures" | uniq -c | sort -rn
  exit 1
fi
echo "0 failures in $n runs of each of: ${binaries[*]}"

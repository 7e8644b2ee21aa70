#!/usr/bin/env bash
# Index a 1 GiB log file and search it, next to lnav and ripgrep in the same run: `uc logs
# index` on 2 threads and on 1 (with lnav indexing the file to count its lines as the peer),
# then `uc logs --path F -c --grep ERROR` and `--grep 'status=5[0-9]{2}'` against `rg -c`,
# warm page cache, best of 3. Prints times, ratios, index bytes per line. BEFORE=path/to/uc
# adds another build's index time (a before/after pair in one run).
#
#   bash bench/logs_index.sh [FILE]
#
# FILE defaults to /tmp/big.log, generated once with ../shared/bench/genlog.py (1 GiB,
# ~7.8 M lines). Installs ripgrep (apt) when missing. Release build of uc.
#
# Measured (bench profile, a loaded 2-core machine, so compare CPU seconds): uc on 2 threads
# 4.69 CPU-s (7.10 before the index work of issue 21), on 1 thread 4.41, lnav 4.53.
set -euo pipefail
cd "$(dirname "$0")/.."
big=${1:-/tmp/big.log}
genlog=${GENLOG:-../shared/bench/genlog.py}
[ -f "$big" ] || python3 "$genlog" "$big" 1073741824
command -v rg >/dev/null || apt-get install -y -qq ripgrep >/dev/null
command -v lnav >/dev/null || apt-get install -y -qq lnav >/dev/null
cargo build --release -q --bin uc
uc=${CARGO_TARGET_DIR:-target}/release/uc
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
export UC_STATE_DIR=$state
cat "$big" > /dev/null

python3 - "$uc" "$big" "${BEFORE:-}" <<'PY'
import resource, subprocess, sys, time
uc, big, before = sys.argv[1], sys.argv[2], sys.argv[3]

def cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

def best(cmd, runs=3):
    """Best wall time of `runs`, and the output of the last run. The CPU time (user + sys,
    all threads) of each run goes to `cpus`: on a shared machine it says what the wall time
    cannot."""
    times, out = [], ""
    global cpus
    cpus = []
    for _ in range(runs):
        t, c = time.perf_counter(), cpu()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - t)
        cpus.append(cpu() - c)
    return min(times), out

def index(label, cmd):
    t, out = best(cmd)
    fields = dict(line.split(None, 1) for line in out.splitlines() if line.strip())
    print(f"index {label:<22} {t:6.3f} s  cpu {min(cpus):6.3f} s  {fields['lines'].strip()} lines  "
          f"{fields['bytes/line'].strip()} B/line (targets <= 2 s, <= 8 B/line)")

index("uc, 2 threads", [uc, "logs", "index", big])
index("uc, 1 thread", [uc, "logs", "index", "--threads", "1", big])
if before:
    index("before", [before, "logs", "index", big])
t, out = best(["lnav", "-n", "-c", ";SELECT count(*) AS n FROM all_logs", big], runs=1)
print(f"index {'lnav (count its lines)':<22} {t:6.3f} s  cpu {min(cpus):6.3f} s  {out.split()[-1]} lines")
for regex in ["ERROR", "status=5[0-9]{2}"]:
    tu, nu = best([uc, "logs", "--path", big, "-c", "--grep", regex])
    cu = min(cpus)
    tr, nr = best(["rg", "-c", regex, big])
    cr = min(cpus)
    same = "same count" if nu.strip() == nr.strip() else f"COUNTS DIFFER: uc {nu.strip()} rg {nr.strip()}"
    print(f"{regex:<17} uc {tu:6.3f} s (cpu {cu:5.3f})  rg {tr:6.3f} s (cpu {cr:5.3f})  "
          f"ratio {tu / tr:4.2f} (target <= 1.0)  {same}")
PY

# Sourced by the Loghub benchmarks: sets `loghub` to the nearest shared/data/loghub above
# the repository (CI clones it beside ../shared), or exits saying none is there.
loghub=""
dir=$root
while [ "$dir" != / ]; do
    if [ -d "$dir/shared/data/loghub" ]; then loghub=$dir/shared/data/loghub; break; fi
    dir=$(dirname "$dir")
done
[ -n "$loghub" ] || { echo "no shared/data/loghub above $root" >&2; exit 1; }

#!/usr/bin/env bash
# crowd_clone.sh URL DIR N: N `git clone --no-checkout URL` at once into
# DIR/1..N; waits for all. Exit code: how many failed (their stderr is in
# DIR.err), so scripts/bench can report failures beside the time. The
# clones' own CPU time (user+sys seconds, all of their git processes) goes
# to DIR.cpu: with the cores, the least time any server could be given.
set -u
url=$1 dir=$2 n=$3
mkdir -p "$dir"
pids=()
for i in $(seq 1 "$n"); do
  git clone -q --no-checkout "$url" "$dir/$i" 2>>"$dir.err" &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
# `times` (not in a pipeline: a subshell would have no children): this
# shell's user and sys time, then its waited-for children's.
times >"$dir.times"
awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%.3f\n", t }' \
  "$dir.times" >"$dir.cpu"
rm -f "$dir.times"
exit $(( failed > 255 ? 255 : failed ))

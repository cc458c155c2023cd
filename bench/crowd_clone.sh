#!/usr/bin/env bash
# crowd_clone.sh URL DIR N: N `git clone --no-checkout URL` at once into
# DIR/1..N; waits for all. Exit code: how many failed (their stderr is in
# DIR.err), so scripts/bench can report failures beside the time.
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
exit $(( failed > 255 ? 255 : failed ))

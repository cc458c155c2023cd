#!/usr/bin/env bash
# Shallow clone and deepen; partial clone with lazy blob fetches.
source "$(dirname "$0")/lib.sh"
start_server
create_repo hist

git clone -q "$BASE/repos/hist.git" "$WORK/seed"
for i in 1 2 3 4 5; do commit_file "$WORK/seed" "file$i.txt" "content $i $(head -c 2000 /dev/urandom | base64 -w0)"; done
git -C "$WORK/seed" push -q origin main

for v in 0 2; do
  dir="$WORK/shallow-v$v"
  git -c protocol.version=$v clone -q --depth 1 "$BASE/repos/hist.git" "$dir" || fail "shallow clone v$v"
  assert_eq 1 "$(git -C "$dir" rev-list --count HEAD)" "v$v depth-1 history"
  assert_eq true "$(git -C "$dir" rev-parse --is-shallow-repository)" "v$v clone is shallow"
  git -C "$dir" -c protocol.version=$v fetch -q --deepen 2 || fail "fetch --deepen v$v"
  assert_eq 3 "$(git -C "$dir" rev-list --count HEAD)" "v$v history after --deepen 2"
  git -C "$dir" -c protocol.version=$v fetch -q --unshallow || fail "unshallow v$v"
  assert_eq 5 "$(git -C "$dir" rev-list --count HEAD)" "v$v full history after --unshallow"
done
pass "shallow clone, deepen, unshallow (v0 and v2)"

for v in 0 2; do
  dir="$WORK/partial-v$v"
  git -c protocol.version=$v clone -q --no-checkout --filter=blob:none "$BASE/repos/hist.git" "$dir" \
    || fail "partial clone v$v"
  missing=$(git -C "$dir" rev-list --objects --all --missing=print | grep -c '^?' || true)
  [ "$missing" -ge 5 ] || fail "v$v partial clone should lack the blobs, $missing missing"
  git -C "$dir" -c protocol.version=$v checkout -q main || fail "v$v lazy fetch of blobs on checkout"
  cmp -s "$dir/file3.txt" "$WORK/seed/file3.txt" || fail "v$v lazily fetched content differs"
done
pass "partial clone with --filter=blob:none (v0 and v2)"

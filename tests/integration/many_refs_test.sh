#!/usr/bin/env bash
# 300 branches cloned with --mirror (the client gzips that request) and
# 2,000 tags pushed and cloned.
source "$(dirname "$0")/lib.sh"
start_server
create_repo branchy
create_repo taggy

git clone -q "$BASE/repos/branchy.git" "$WORK/a"
commit_file "$WORK/a" base.txt "base"
base=$(git -C "$WORK/a" rev-parse HEAD)
for i in $(seq 1 300); do
  # Each branch its own commit, so the mirror clone has 300 distinct wants.
  c=$(printf 'branch %s\n' "$i" | git -C "$WORK/a" hash-object -w --stdin)
  t=$(printf '100644 blob %s\tb.txt\n' "$c" | git -C "$WORK/a" mktree)
  cm=$(git -C "$WORK/a" commit-tree "$t" -p "$base" -m "branch $i")
  echo "create refs/heads/br$i $cm"
done | git -C "$WORK/a" update-ref --stdin
git -C "$WORK/a" push -q origin 'refs/heads/*:refs/heads/*' || fail "push of 300 branches"
assert_eq 301 "$(git ls-remote --heads "$BASE/repos/branchy.git" | wc -l)" "branches on the server"

for v in 0 2; do
  git -c protocol.version=$v clone -q --mirror "$BASE/repos/branchy.git" "$WORK/mirror-v$v" \
    || fail "mirror clone v$v"
  assert_eq 301 "$(git -C "$WORK/mirror-v$v" for-each-ref refs/heads | wc -l)" "v$v mirrored branches"
  assert_eq "$(git -C "$WORK/a" rev-parse br150)" "$(git -C "$WORK/mirror-v$v" rev-parse br150)" "v$v br150"
done
wait_for_log "POST /repos/branchy.git/git-upload-pack 200 .*encoded" \
  || fail "no mirror clone request arrived gzip-encoded"
pass "300 branches mirrored (gzip-encoded negotiation)"

git clone -q "$BASE/repos/taggy.git" "$WORK/t"
commit_file "$WORK/t" t.txt "tagged"
for i in $(seq 1 2000); do echo "create refs/tags/v$i HEAD"; done | git -C "$WORK/t" update-ref --stdin
git -C "$WORK/t" tag -a annotated -m "an annotated tag"
git -C "$WORK/t" push -q origin main --tags || fail "push of 2,000 tags"
for v in 0 2; do
  git -c protocol.version=$v clone -q "$BASE/repos/taggy.git" "$WORK/t-v$v" || fail "clone of 2,000 tags v$v"
  assert_eq 2001 "$(git -C "$WORK/t-v$v" tag | wc -l)" "v$v cloned tags"
done
git --git-dir="$DATA/repos/taggy.git" fsck --strict --no-progress || fail "fsck"
pass "2,000 tags pushed and cloned"

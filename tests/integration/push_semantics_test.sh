#!/usr/bin/env bash
# Non-fast-forward pushes are rejected and --force accepted; --atomic is all
# or nothing; branches can be deleted.
source "$(dirname "$0")/lib.sh"
start_server
create_repo pushy
url="$BASE/repos/pushy.git"

git clone -q "$url" "$WORK/a"
commit_file "$WORK/a" a.txt "base"
git -C "$WORK/a" push -q origin main
git clone -q "$url" "$WORK/b"

commit_file "$WORK/a" a.txt "from a"
git -C "$WORK/a" push -q origin main
tip_a=$(git -C "$WORK/a" rev-parse HEAD)

commit_file "$WORK/b" b.txt "from b"
if git -C "$WORK/b" push origin main 2>"$WORK/nonff.err"; then fail "a non-fast-forward push was accepted"; fi
grep -qE '^ ! \[rejected\] +main -> main \((fetch first|non-fast-forward)\)$' "$WORK/nonff.err" \
  || fail "the client was not told: $(cat "$WORK/nonff.err")"
assert_eq "$tip_a" "$(git ls-remote "$url" refs/heads/main | cut -f1)" "main after the rejected push"
pass "non-fast-forward rejected"

git -C "$WORK/b" push -q --force origin main || fail "forced push"
assert_eq "$(git -C "$WORK/b" rev-parse HEAD)" "$(git ls-remote "$url" refs/heads/main | cut -f1)" "main after --force"
pass "--force accepted"

# --atomic: one good update and one the server itself refuses (refs/heads/dir
# exists, so refs/heads/dir/x cannot be created: a D/F conflict git's client
# does not check). Without --atomic the good update lands; with it, nothing.
git -C "$WORK/b" push -q origin main:refs/heads/dir
git -C "$WORK/a" fetch -q origin
git -C "$WORK/a" reset -q --hard origin/main
commit_file "$WORK/a" c.txt "atomic one"
if git -C "$WORK/a" push origin HEAD:refs/heads/plain HEAD:refs/heads/dir/y 2>"$WORK/plain.err"; then
  fail "a push creating refs/heads/dir/y next to refs/heads/dir succeeded"
fi
[ -n "$(git ls-remote "$url" refs/heads/plain)" ] || fail "without --atomic the good update should land"
grep -qE '^ ! \[remote rejected\] +HEAD -> dir/y \(failed to update ref\)$' "$WORK/plain.err" \
  || fail "the refused ref was not reported: $(cat "$WORK/plain.err")"
if git -C "$WORK/a" push --atomic origin HEAD:refs/heads/newbranch HEAD:refs/heads/dir/x 2>"$WORK/atomic.err"; then
  fail "an atomic push with one failing ref succeeded"
fi
[ -z "$(git ls-remote "$url" refs/heads/newbranch)" ] || fail "--atomic: newbranch was created although dir/x failed"
for ref in newbranch dir/x; do
  grep -qE "^ ! \[remote rejected\] +HEAD -> $ref \(atomic transaction failed\)$" "$WORK/atomic.err" \
    || fail "--atomic: $ref not reported as refused: $(cat "$WORK/atomic.err")"
done
git -C "$WORK/a" push -q --atomic origin HEAD:refs/heads/newbranch HEAD:refs/heads/other || fail "a good atomic push"
[ -n "$(git ls-remote "$url" refs/heads/newbranch)" ] && [ -n "$(git ls-remote "$url" refs/heads/other)" ] \
  || fail "--atomic: both refs should exist"
pass "--atomic is all or nothing"

git -C "$WORK/a" push -q origin --delete dir || fail "delete a branch"
[ -z "$(git ls-remote "$url" refs/heads/dir)" ] || fail "dir still exists"
git --git-dir="$DATA/repos/pushy.git" fsck --strict --no-progress || fail "fsck"
pass "branch deletion"

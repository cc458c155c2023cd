#!/usr/bin/env bash
# clone, fetch and ls-remote with protocol.version 0, 1 and 2; the
# advertisement preamble only for v0/v1; Git-Protocol reaches git.
source "$(dirname "$0")/lib.sh"
start_server
create_repo proto

git clone -q "$BASE/repos/proto.git" "$WORK/seed"
commit_file "$WORK/seed" a.txt "one"
git -C "$WORK/seed" tag v1
git -C "$WORK/seed" push -q origin main v1
tip1=$(git -C "$WORK/seed" rev-parse HEAD)

for v in 0 1 2; do
  dir="$WORK/clone-v$v"
  GIT_TRACE_PACKET="$WORK/trace-v$v" git -c protocol.version=$v clone -q "$BASE/repos/proto.git" "$dir" \
    || fail "clone with protocol v$v"
  assert_eq "$tip1" "$(git -C "$dir" rev-parse HEAD)" "v$v clone tip"
  case $v in
    2) grep -q "version 2" "$WORK/trace-v$v" || fail "v2 was not negotiated" ;;
    1) grep -q "version 1" "$WORK/trace-v$v" || fail "v1 was not negotiated" ;;
    0) ! grep -q "version [12]" "$WORK/trace-v$v" || fail "v0 clone negotiated a newer version" ;;
  esac
  ls=$(git -c protocol.version=$v ls-remote "$BASE/repos/proto.git")
  echo "$ls" | grep -q "$tip1	refs/heads/main" || fail "v$v ls-remote: $ls"
  echo "$ls" | grep -q "refs/tags/v1" || fail "v$v ls-remote lacks the tag"
done
pass "clone and ls-remote with protocol v0, v1, v2"

commit_file "$WORK/seed" b.txt "two"
git -C "$WORK/seed" push -q origin main
tip2=$(git -C "$WORK/seed" rev-parse HEAD)
for v in 0 1 2; do
  git -C "$WORK/clone-v$v" -c protocol.version=$v fetch -q origin || fail "fetch with v$v"
  assert_eq "$tip2" "$(git -C "$WORK/clone-v$v" rev-parse origin/main)" "v$v fetched tip"
done
pass "fetch with protocol v0, v1, v2"

# The raw advertisements: preamble for v0, none for v2, receive-pack
# always has one (it has no v2).
curl -s "$BASE/repos/proto.git/info/refs?service=git-upload-pack" -D "$WORK/h0" -o "$WORK/adv0"
head -c 30 "$WORK/adv0" | grep -q "^001e# service=git-upload-pack" || fail "v0 advertisement preamble"
grep -qi "^content-type: application/x-git-upload-pack-advertisement" "$WORK/h0" || fail "advertisement content type"
grep -qi "^cache-control: no-cache" "$WORK/h0" || fail "no-cache header"
curl -s -H "Git-Protocol: version=2" "$BASE/repos/proto.git/info/refs?service=git-upload-pack" -o "$WORK/adv2"
assert_eq "000eversion 2" "$(head -c 13 "$WORK/adv2")" "v2 advertisement starts with the version line"
grep -q "ls-refs" "$WORK/adv2" || fail "v2 capabilities"
curl -s -H "Git-Protocol: version=2" "$BASE/repos/proto.git/info/refs?service=git-receive-pack" -o "$WORK/advr"
head -c 31 "$WORK/advr" | grep -q "^001f# service=git-receive-pack" || fail "receive-pack preamble under a v2 request"
assert_eq 400 "$(http_status GET '/repos/proto.git/info/refs?service=git-upload-pack' -H 'Git-Protocol: version=2;rm -rf')" \
  "an invalid Git-Protocol header"
pass "advertisements"

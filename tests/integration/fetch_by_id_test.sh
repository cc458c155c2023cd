#!/usr/bin/env bash
# Fetching objects by id: a commit only a deleted branch led to is refused
# over protocol v0, v1 and v2 alike (git 2.39's v2 upload-pack checks no
# want against the refs, so the server does), while ids that refs lead to
# still fetch; v2 object-info is refused unless [git] object_info = true.
source "$(dirname "$0")/lib.sh"

start_server
create_repo ids
git clone -q "$BASE/repos/ids.git" "$WORK/w" 2>/dev/null
commit_file "$WORK/w" a.txt "one"
commit_file "$WORK/w" a.txt "two"
git -C "$WORK/w" push -q origin main
OLD=$(git -C "$WORK/w" rev-parse HEAD~1)
TIP=$(git -C "$WORK/w" rev-parse HEAD)
git -C "$WORK/w" checkout -q -b secret
commit_file "$WORK/w" secret.txt "deleted branch content"
git -C "$WORK/w" push -q origin secret
GONE=$(git -C "$WORK/w" rev-parse HEAD)
git -C "$WORK/w" push -q origin :secret
git --git-dir="$DATA/repos/ids.git" cat-file -e "$GONE" || fail "the deleted branch's commit is not in the repo any more"

for v in 0 1 2; do
  rm -rf "$WORK/f$v"
  git init -q "$WORK/f$v"
  if git -C "$WORK/f$v" -c protocol.version=$v fetch -q "$BASE/repos/ids.git" "$GONE" 2>"$WORK/f$v.err"; then
    fail "v$v: fetched $GONE, the commit of a deleted branch"
  fi
  grep -q "not our ref $GONE" "$WORK/f$v.err" || fail "v$v: unexpected error: $(cat "$WORK/f$v.err")"
  ! git -C "$WORK/f$v" cat-file -e "$GONE" 2>/dev/null || fail "v$v: the deleted commit arrived"
  # What the refs lead to still fetches by id: the tip and an ancestor.
  git -C "$WORK/f$v" -c protocol.version=$v fetch -q "$BASE/repos/ids.git" "$TIP" || fail "v$v: fetch of the tip by id"
  git -C "$WORK/f$v" -c protocol.version=$v fetch -q "$BASE/repos/ids.git" "$OLD" || fail "v$v: fetch of an ancestor by id"
  git -C "$WORK/f$v" cat-file -e "$OLD" || fail "v$v: the ancestor did not arrive"
done
pass "a deleted branch's commit: refused by id over v0, v1 and v2; the tip and its ancestors fetch"

# One refused want among good ones refuses the request.
pkt() { printf '%04x%s' $(( ${#1} + 4 )) "$1"; }
v2_post() {  # body file -> response in $WORK/v2.out, status printed
  curl -s -o "$WORK/v2.out" -w '%{http_code}' -X POST -H 'Git-Protocol: version=2' \
    -H 'Content-Type: application/x-git-upload-pack-request' --data-binary "@$1" "$BASE/repos/ids.git/git-upload-pack"
}
{ pkt "command=fetch"; pkt "object-format=sha1"; printf 0001; pkt "want $TIP"; pkt "want $GONE"; pkt "done"; printf 0000; } >"$WORK/mixed"
assert_eq 200 "$(v2_post "$WORK/mixed")" "v2 fetch with a refused want"
grep -q "ERR upload-pack: not our ref $GONE" "$WORK/v2.out" || fail "mixed wants: $(cat -v "$WORK/v2.out" | head -c 300)"
! grep -q packfile "$WORK/v2.out" || fail "mixed wants: a pack was sent"
pass "v2: one unreachable want among good ones refuses the fetch with git's ERR line"

# object-info answers sizes of any object by id: off by default, and then
# not advertised either.
caps() { curl -s -H 'Git-Protocol: version=2' "$BASE/repos/ids.git/info/refs?service=git-upload-pack"; }
caps >"$WORK/caps"
grep -q "fetch=" "$WORK/caps" || fail "v2 capabilities: $(cat -v "$WORK/caps")"
! grep -q "object-info" "$WORK/caps" || fail "object-info advertised: $(cat -v "$WORK/caps")"
git -c protocol.version=2 ls-remote "$BASE/repos/ids.git" >/dev/null || fail "ls-remote over v2 with the edited capabilities"
{ pkt "command=object-info"; printf 0001; pkt "size"; pkt "oid $GONE"; printf 0000; } >"$WORK/info"
assert_eq 200 "$(v2_post "$WORK/info")" "v2 object-info"
grep -q "ERR upload-pack: object-info is not enabled" "$WORK/v2.out" || fail "object-info answered: $(cat -v "$WORK/v2.out")"
! grep -q "$GONE [0-9]" "$WORK/v2.out" || fail "object-info gave a size"
stop_server
printf '[git]\nobject_info = true\n' >"$WORK/oi.toml"
start_server --config "$WORK/oi.toml"
caps | grep -q "object-info" || fail "object-info not advertised when enabled"
assert_eq 200 "$(v2_post "$WORK/info")" "v2 object-info when enabled"
grep -q "$GONE [0-9]" "$WORK/v2.out" || fail "object-info when enabled: $(cat -v "$WORK/v2.out")"
pass "v2 object-info: refused and not advertised unless [git] object_info = true"

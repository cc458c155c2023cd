#!/usr/bin/env bash
# Protocol v2 ls-refs answered from the refs, without git upload-pack: the
# same bytes over HTTP as git's answer (the server with [git]
# ls_refs_in_process = false) for the requests real clients send, and
# clone, fetch and ls-remote work as before. /metrics says who answered.
source "$(dirname "$0")/lib.sh"

start_server
create_repo refs
git clone -q "$BASE/repos/refs.git" "$WORK/c" 2>/dev/null
commit_file "$WORK/c" a.txt one
git -C "$WORK/c" tag -a -m "release one" v1
commit_file "$WORK/c" b.txt two
git -C "$WORK/c" tag light
git -C "$WORK/c" branch feature HEAD~1
git -C "$WORK/c" branch a-b
git -C "$WORK/c" branch a/b
git -C "$WORK/c" push -q origin main feature a-b a/b v1 light

# The bodies clients send: a fetch's (prefixes, peel, symrefs, unborn), a
# clone's, ls-remote's (no prefixes) and one with a prefix nothing has.
pkt() { printf '%04x%s\n' $(( ${#1} + 5 )) "$1"; }
make_request() {
  { pkt command=ls-refs; pkt agent=git/2.39.5; pkt object-format=sha1; printf 0001
    for a in "$@"; do pkt "$a"; done; printf 0000; } >"$WORK/req.$N"
}
N=0; make_request peel symrefs unborn "ref-prefix HEAD" "ref-prefix refs/heads/" "ref-prefix refs/tags/"
N=1; make_request symrefs unborn "ref-prefix refs/heads/"
N=2; make_request symrefs peel
N=3; make_request "ref-prefix refs/nothing/"
post_all() {  # OUTDIR
  mkdir -p "$1"
  for n in 0 1 2 3; do
    curl -s -o "$1/$n" -w '%{http_code} %{content_type}\n' -X POST -H 'Git-Protocol: version=2' \
      -H 'Content-Type: application/x-git-upload-pack-request' --data-binary "@$WORK/req.$n" \
      "$BASE/repos/refs.git/git-upload-pack" >"$1/$n.status"
  done
  git -c protocol.version=2 ls-remote --symref "$BASE/repos/refs.git" >"$1/ls-remote"
}
post_all "$WORK/ours"
for n in 0 1 2 3; do
  assert_eq "200 application/x-git-upload-pack-result" "$(cat "$WORK/ours/$n.status")" "answer $n"
done
grep -q "refs/tags/v1 peeled:" "$WORK/ours/0" || fail "no peeled tag: $(cat "$WORK/ours/0")"
grep -q "HEAD symref-target:refs/heads/main" "$WORK/ours/2" || fail "no HEAD symref: $(cat "$WORK/ours/2")"
git clone -q "$BASE/repos/refs.git" "$WORK/clone"
assert_eq "$(git -C "$WORK/c" rev-parse main)" "$(git -C "$WORK/clone" rev-parse HEAD)" "the clone's HEAD"
git -C "$WORK/clone" fetch -q origin
curl -s "$BASE/metrics" >"$WORK/metrics.txt"
served=$(sed -n 's/^agentgit_ls_refs_total{answered_by="server"} //p' "$WORK/metrics.txt")
[ "${served:-0}" -ge 7 ] || fail "ls-refs answered by the server: ${served:-0}: $(grep ls_refs "$WORK/metrics.txt")"
pass "ls-refs from the refs: peeled tags, symrefs, prefixes; clone and fetch use it"

stop_server
printf '[git]\nls_refs_in_process = false\n' >"$WORK/git.toml"
start_server --config "$WORK/git.toml"
post_all "$WORK/git"
for n in 0 1 2 3; do
  cmp -s "$WORK/ours/$n" "$WORK/git/$n" || fail "answer $n differs from git's: $(cat "$WORK/ours/$n") vs $(cat "$WORK/git/$n")"
done
cmp -s "$WORK/ours/ls-remote" "$WORK/git/ls-remote" || fail "ls-remote differs: $(diff "$WORK/ours/ls-remote" "$WORK/git/ls-remote")"
curl -s "$BASE/metrics" | grep -q '^agentgit_ls_refs_total{answered_by="server"}' && fail "answered by the server while disabled"
pass "the same bytes as git's own answers, which [git] ls_refs_in_process = false restores"

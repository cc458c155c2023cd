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
served=$(sed -n 's/^agentgit_git_answers_total{command="ls-refs",answered_by="server"} //p' "$WORK/metrics.txt")
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
grep -q '^agentgit_git_answers_total{command="ls-refs",answered_by="server"}' <<<"$(curl -s "$BASE/metrics")" && fail "answered by the server while disabled"
pass "the same bytes as git's own answers, which [git] ls_refs_in_process = false restores"

# The v2 capability list: git's, kept per repo and given again without git
# until the repo's config changes.
stop_server
start_server
caps() {
  curl -s -H 'Git-Protocol: version=2' -o "$WORK/caps.$1" -w '%{http_code} %{content_type}' \
    "$BASE/repos/refs.git/info/refs?service=git-upload-pack"
}
assert_eq "200 application/x-git-upload-pack-advertisement" "$(caps 1)" "first capability list (git's)"
assert_eq "200 application/x-git-upload-pack-advertisement" "$(caps 2)" "second capability list (kept)"
cmp -s "$WORK/caps.1" "$WORK/caps.2" || fail "the kept list differs: $(cat "$WORK/caps.1") vs $(cat "$WORK/caps.2")"
grep -q "version 2" "$WORK/caps.2" || fail "not a v2 list: $(cat "$WORK/caps.2")"
grep -q "object-info" "$WORK/caps.2" && fail "object-info listed: $(cat "$WORK/caps.2")"
grep -q "fetch=shallow wait-for-done filter" "$WORK/caps.2" || fail "filter not listed: $(cat "$WORK/caps.2")"
answered() { curl -s "$BASE/metrics" | sed -n "s/^agentgit_git_answers_total{command=\"capabilities\",answered_by=\"$1\"} //p"; }
assert_eq 1 "$(answered server)" "lists given without git"
assert_eq 1 "$(answered git)" "lists from git"
# A changed config is a new list: git is asked again.
git config -f "$DATA/repos/refs.git/config" uploadpack.allowFilter false
caps 3 >/dev/null
grep -q "fetch=shallow wait-for-done$" "$WORK/caps.3" || grep -q "fetch=shallow wait-for-done"$'\n' "$WORK/caps.3" \
  || fail "the list after the config change: $(cat "$WORK/caps.3")"
grep -q "filter" "$WORK/caps.3" && fail "filter still listed after allowFilter = false: $(cat "$WORK/caps.3")"
assert_eq 2 "$(answered git)" "git asked again after the config changed"
git config -f "$DATA/repos/refs.git/config" uploadpack.allowFilter true
git -c protocol.version=2 clone -q --filter=blob:none "$BASE/repos/refs.git" "$WORK/partial"
git -C "$WORK/partial" fetch -q origin
[ "$(answered server)" -ge 2 ] || fail "watchers' fetches did not get the kept list: $(answered server)"
pass "the v2 capability list kept per repo, the same bytes, asked again of git when the config changes"

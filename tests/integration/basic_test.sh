#!/usr/bin/env bash
# The first story: create a repo, clone it empty, push, clone again; the
# repo API around it; `.git` suffix or not is the same repo.
source "$(dirname "$0")/lib.sh"
start_server

assert_eq 200 "$(http_status GET /healthz)" "healthz"

create_repo demo
assert_eq 409 "$(http_status POST /api/v1/repos -H "Content-Type: application/json" -d '{"name":"demo"}')" "creating an existing repo"
assert_eq 409 "$(http_status POST /api/v1/repos -H "Content-Type: application/json" -d '{"name":"demo.git"}')" "demo.git is demo"
assert_eq 400 "$(http_status POST /api/v1/repos -H "Content-Type: application/json" -d '{"name":"../x"}')" "invalid name"
assert_eq 400 "$(http_status POST /api/v1/repos -H "Content-Type: application/json" -d 'not json')" "bad JSON"
grep -q '"empty":true' <<<"$(curl -s "$BASE/api/v1/repos/demo")" || fail "new repo is not empty"
grep -q "\"clone_url\":\"http://127.0.0.1:$PORT/repos/demo.git\"" <<<"$(curl -s "$BASE/api/v1/repos/demo")" \
  || fail "clone_url wrong: $(curl -s "$BASE/api/v1/repos/demo")"
pass "repo API"

git clone -q "$BASE/repos/demo.git" "$WORK/empty" 2>"$WORK/clone.err" || fail "clone of empty repo: $(cat "$WORK/clone.err")"
grep -q "empty repository" "$WORK/clone.err" || fail "git did not see an empty repository"
commit_file "$WORK/empty" README.md "hello agentgit"
git -C "$WORK/empty" push -q origin main || fail "first push"
pass "empty clone and first push"

git clone -q "$BASE/repos/demo" "$WORK/again" || fail "clone without .git suffix"
assert_eq "hello agentgit" "$(cat "$WORK/again/README.md")" "cloned content"
assert_eq "$(git -C "$WORK/empty" rev-parse HEAD)" "$(git -C "$WORK/again" rev-parse HEAD)" "cloned tip"
assert_eq main "$(git -C "$WORK/again" symbolic-ref --short HEAD)" "default branch"
grep -q '"empty":false' <<<"$(curl -s "$BASE/api/v1/repos/demo")" || fail "repo still shows empty"
grep -q '"name":"demo"' <<<"$(curl -s "$BASE/api/v1/repos")" || fail "repo not listed"
git --git-dir="$DATA/repos/demo.git" fsck --strict --no-progress || fail "fsck"
pass "second clone"

# Served repos carry the configuration DESIGN.md promises.
cfg() { git --git-dir="$DATA/repos/demo.git" config --get "$1"; }
assert_eq true "$(cfg uploadpack.allowFilter)" "uploadpack.allowFilter"
assert_eq true "$(cfg receive.fsckObjects)" "receive.fsckObjects"
assert_eq false "$(cfg uploadpack.allowAnySHA1InWant)" "uploadpack.allowAnySHA1InWant"
assert_eq "committed,reference" "$(cfg core.fsync)" "core.fsync"
pass "served repo config"

assert_eq 204 "$(http_status DELETE /api/v1/repos/demo)" "delete"
assert_eq 404 "$(http_status DELETE /api/v1/repos/demo)" "delete again"
assert_eq 404 "$(http_status GET /api/v1/repos/demo)" "show deleted"
assert_eq 404 "$(http_status GET '/repos/demo.git/info/refs?service=git-upload-pack')" "info/refs of deleted repo"
[ ! -e "$DATA/repos/demo.git" ] || fail "repo directory still there"
pass "delete"

#!/usr/bin/env bash
# A push's reflog entries name the HTTP user (as git http-backend does from
# REMOTE_USER; git's t5541 "http push gives sane defaults to reflog"), or
# "anonymous", never the server's own OS account.
source "$(dirname "$0")/lib.sh"

APW="alice's password"
AHASH=$(printf '%s\n' "$APW" | "$AGENTGIT_BIN" hash-password)
cat >"$WORK/auth.toml" <<TOML
[auth]
anonymous = "write"

[[auth.users]]
name = "alice"
password_hash = "$AHASH"
access = { "*" = "write" }
TOML
start_server --config "$WORK/auth.toml"
create_repo rl
REPO=$DATA/repos/rl.git

git clone -q "$BASE/repos/rl.git" "$WORK/anon" 2>/dev/null
commit_file "$WORK/anon" a.txt "anonymous"
git -C "$WORK/anon" push -q origin main || fail "anonymous push"
last=$(tail -n 1 "$REPO/logs/refs/heads/main")
[[ $last == *" anonymous <anonymous@http.127.0.0.1> "* ]] || fail "anonymous push reflog: $last"
pass "an anonymous push's reflog names anonymous: ${last#* * }"

# Anonymous callers may write here, so git would never be asked for a
# password: alice's credentials go in every request.
AUTH="Authorization: Basic $(printf 'alice:%s' "$APW" | base64 -w0)"
as_alice() { git -c http.extraHeader="$AUTH" "$@"; }
commit_file "$WORK/anon" a.txt "alice"
as_alice -C "$WORK/anon" push -q origin main || fail "alice's push"
last=$(tail -n 1 "$REPO/logs/refs/heads/main")
[[ $last == *" alice <alice@http.127.0.0.1> "* ]] || fail "alice's push reflog: $last"
as_alice -C "$WORK/anon" push -q origin main:side || fail "alice's push of a new branch"
last=$(tail -n 1 "$REPO/logs/refs/heads/side")
[[ $last == *" alice <alice@http.127.0.0.1> "* ]] || fail "alice's new branch reflog: $last"
# git reflog shows the same.
GIT_DIR=$REPO git log -g -1 --format='%gn <%ge>' main | grep -qx 'alice <alice@http.127.0.0.1>' \
  || fail "git log -g: $(GIT_DIR=$REPO git log -g -1 --format='%gn <%ge>' main)"
! grep -q "$(id -un) <" "$REPO/logs/refs/heads/main" || fail "the server's account is in the reflog: $(cat "$REPO/logs/refs/heads/main")"
grep -q 'POST /repos/rl.git/git-receive-pack 200 .* user=alice' "$WORK/server.log" || fail "alice's pushes were not hers"
pass "an authenticated push's reflog names the HTTP user (alice <alice@http.127.0.0.1>)"

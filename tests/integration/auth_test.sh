#!/usr/bin/env bash
# Access control end to end: `agentgit hash-password`, [[auth.users]] with
# per-repo globs (most specific wins), HTTP Basic and Bearer on git and API
# routes, git's credential helpers retrying after a 401, 403 with the
# server's message in git's stderr, API tokens (limited, listed without
# secrets, stored hashed, surviving a restart, revocable), the audit log's
# user, anonymous = "read", read_only with users.
source "$(dirname "$0")/lib.sh"


# The sorted, comma-joined FIELD of every element of the body's list KEY.
list_field() {
  /usr/bin/python3 -c 'import json,sys
print(",".join(sorted(str(e[sys.argv[2]]) for e in json.load(open(sys.argv[3]))[sys.argv[1]])))' "$1" "$2" "$WORK/body"
}

has_www_authenticate() {
  tr -d '\r' <"$WORK/headers" | grep -qi '^WWW-Authenticate: Basic realm="agentgit"$'
}

# The users of the audit lines for VIA REPO NEW, comma-joined.
audit_users() {
  /usr/bin/python3 - "$DATA/audit.log" "$@" <<'PY'
import json, sys
path, via, repo, new = sys.argv[1:5]
print(",".join(e["user"] for e in map(json.loads, open(path)) if (e["via"], e["repo"], e["new"]) == (via, repo, new)))
PY
}

# The arguments sorted (as python sorts) and comma-joined.
csv() { printf '%s\n' "$@" | LC_ALL=C sort | paste -sd, -; }

urlenc() { /usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# A URL with credentials: cred_url USER PASSWORD REPO
cred_url() { echo "http://$(urlenc "$1"):$(urlenc "$2")@127.0.0.1:$PORT/repos/$3.git"; }

# ---- hash-password -----------------------------------------------------------
APW='correct horse alice'
BPW='bob-pw-42:x'   # a colon in a password: Basic splits at the first one
AHASH=$(printf '%s\nsecond line is ignored\n' "$APW" | "$AGENTGIT_BIN" hash-password)
BHASH=$(printf '%s\n' "$BPW" | "$AGENTGIT_BIN" hash-password)
BHASH2=$(printf '%s' "$BPW" | "$AGENTGIT_BIN" hash-password)
hash_re='^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$'
for h in "$AHASH" "$BHASH" "$BHASH2"; do
  [[ $h =~ $hash_re ]] || fail "hash-password printed '$h'"
done
[ "$BHASH" != "$BHASH2" ] || fail "two hashes of the same password are equal: no salt?"
rc=0
out=$("$AGENTGIT_BIN" hash-password </dev/null 2>"$WORK/hp.err") || rc=$?
assert_eq 2 "$rc" "hash-password with empty stdin"
assert_eq "" "$out" "hash-password with empty stdin prints no hash"
rc=0
out=$(printf 'pw\n' | "$AGENTGIT_BIN" hash-password secret 2>"$WORK/hp.err") || rc=$?
assert_eq 2 "$rc" "hash-password with an argument"
assert_eq "" "$out" "hash-password with an argument prints no hash"
pass "hash-password: a salted \$scrypt\$ln=15,r=8,p=1 hash of stdin's first line; empty stdin or arguments: exit 2"

# ---- bad [[auth.users]] stop start-up -----------------------------------------
CONF=$WORK/auth.toml
start_failure() {  # expected key, config text
  printf '%s\n' "$2" >"$CONF"
  local rc=0 err
  err=$(timeout 10 "$AGENTGIT_BIN" serve --data "$WORK/nodata" --listen 127.0.0.1:0 --config "$CONF" 2>&1 </dev/null) || rc=$?
  [ "$rc" = 2 ] || fail "config with a bad $1: exit $rc (expected 2): $err"
  [[ $err == *"$1"* ]] || fail "config with a bad $1: the message does not name it: $err"
  [[ $err == *"$CONF"* ]] || fail "config with a bad $1: the message does not name the file: $err"
}
start_failure auth.users.alice.password_hash "$(printf '[[auth.users]]\nname = "alice"\npassword_hash = "$scrypt$ln=15,r=8,p=1$nope"\n')"
start_failure auth.users.alice.password_hash "$(printf '[[auth.users]]\nname = "alice"\npassword_hash = "hunter2"\n')"
start_failure auth.users.alice.password_hash "$(printf '[[auth.users]]\nname = "alice"\naccess = { "*" = "read" }\n')"
start_failure 'bad/glob' "$(printf '[[auth.users]]\nname = "alice"\npassword_hash = %s\naccess = { "bad/glob" = "read" }\n' "'$AHASH'")"
start_failure 'auth.users.access' "$(printf '[[auth.users]]\nname = "alice"\npassword_hash = %s\naccess = { "x" = "owner" }\n' "'$AHASH'")"
start_failure 'alice' "$(printf '[[auth.users]]\nname = "alice"\npassword_hash = %s\n[[auth.users]]\nname = "alice"\npassword_hash = %s\n' "'$AHASH'" "'$BHASH'")"
start_failure 'auth.users.passwd' "$(printf '[[auth.users]]\nname = "alice"\npassword_hash = %s\npasswd = "x"\n' "'$AHASH'")"
[ ! -e "$WORK/nodata/repos" ] || fail "a refused start-up created a data directory"
pass "bad hash, bad glob, bad level, duplicate user, unknown key: exit 2 naming the key and the file"

# ---- no users on loopback: everything allowed ----------------------------------
start_server
for r in proj alice-private bob-ro bob-rw bob-lockdown bob-x team-a tie-tie scratch; do create_repo "$r"; done
assert_eq 204 "$(http_status DELETE /api/v1/repos/scratch)" "anonymous DELETE without users"
git clone -q "$BASE/repos/proj.git" "$WORK/p0" 2>/dev/null
commit_file "$WORK/p0" README.md "v1"
git -C "$WORK/p0" push -q origin main || fail "anonymous push without users"
assert_eq anonymous "$(audit_users push proj "$(git -C "$WORK/p0" rev-parse HEAD)")" "audit user of an anonymous push"
git clone -q "$BASE/repos/bob-x.git" "$WORK/x0" 2>/dev/null
commit_file "$WORK/x0" x.txt "x1"
git -C "$WORK/x0" push -q origin main || fail "anonymous push to bob-x without users"
expect 201 "anonymous session without users" POST /api/v1/sessions "${JSON[@]}" -d '{"task":"local"}'
P0_REPO=$(body_get repo)
expect 401 "anonymous GET /tokens without users" GET /api/v1/tokens
stop_server
pass "no users on loopback: anonymous creates, pushes, starts sessions and deletes repos; /tokens still needs a user"

# ---- users, no anonymous key: anonymous has nothing ------------------------------
cat >"$CONF" <<EOF
[[auth.users]]
name = "alice"
password_hash = '$AHASH'
access = { "*" = "read", "proj" = "write", "alice-*" = "admin", "session-*" = "write" }

[[auth.users]]
name = "bob"
password_hash = '$BHASH'
access = { "proj" = "read", "bob-*" = "write", "bob-lock*" = "read", "bob-rw" = "write", "bob-rw*" = "read", "t*" = "read", "team-*" = "write", "tie-*" = "write", "*-tie" = "read" }
EOF
start_server --config "$CONF"
ALICE=(-u "alice:$APW")
BOB=(-u "bob:$BPW")

expect 200 "/healthz without credentials" GET /healthz
for route in "GET /api/v1/repos" "GET /api/v1/repos/proj" "GET /api/v1/repos/nope" "DELETE /api/v1/repos/proj" \
             "GET /api/v1/sessions" "GET /api/v1/sessions/nope" "GET /api/v1/sessions/nope/log" \
             "GET /api/v1/tokens" "DELETE /api/v1/tokens/abc"; do
  expect 401 "anonymous $route" $route
  has_www_authenticate || fail "anonymous $route: 401 without WWW-Authenticate"
done
expect 401 "anonymous POST /repos" POST /api/v1/repos "${JSON[@]}" -d '{"name":"anon-new"}'
expect 401 "anonymous POST /sessions" POST /api/v1/sessions "${JSON[@]}" -d '{"task":"x"}'
expect 401 "anonymous POST /tokens" POST /api/v1/tokens "${JSON[@]}" -d '{}'
for svc in upload-pack receive-pack; do
  expect 401 "anonymous info/refs $svc" GET "/repos/proj.git/info/refs?service=git-$svc"
  has_www_authenticate || fail "anonymous git-$svc advertisement: 401 without WWW-Authenticate"
  expect 401 "anonymous POST git-$svc" POST "/repos/proj.git/git-$svc" \
    -H "Content-Type: application/x-git-$svc-request" --data-binary 0000
done
expect 401 "anonymous info/refs of a missing repo" GET "/repos/missing.git/info/refs?service=git-upload-pack"
if git clone -q "$BASE/repos/proj.git" "$WORK/anon" 2>"$WORK/anon.err"; then fail "anonymous clone with users and no anonymous key"; fi
[ ! -e "$DATA/repos/anon-new.git" ] || fail "anonymous POST /repos created the repo"
pass "users, no anonymous key: anonymous gets 401 + WWW-Authenticate on git and API routes; /healthz is open"

# git asks its credential helper after the 401 and retries.
log_lines=$(wc -l <"$WORK/server.log")
helper="!f() { echo \"\$1\" >>'$WORK/helper.log'; test \"\$1\" = get || return 0; echo username=alice; echo 'password=$APW'; }; f"
git -c credential.helper="$helper" clone -q "$BASE/repos/proj.git" "$WORK/alice" || fail "clone through a credential helper"
assert_eq v1 "$(cat "$WORK/alice/README.md")" "content cloned by alice"
grep -qx get "$WORK/helper.log" || fail "the credential helper was not asked: $(cat "$WORK/helper.log" 2>/dev/null)"
grep -qx store "$WORK/helper.log" || fail "git did not report the credentials as good to the helper"
for _ in $(seq 1 50); do  # the server logs a request after responding
  tail -n +$((log_lines + 1)) "$WORK/server.log" >"$WORK/clone.log"
  grep -q 'POST /repos/proj.git/git-upload-pack 200' "$WORK/clone.log" && break
  sleep 0.1
done
grep -q 'GET /repos/proj.git/info/refs?service=git-upload-pack 401' "$WORK/clone.log" || fail "no 401 before the helper was asked: $(cat "$WORK/clone.log")"
grep -q 'POST /repos/proj.git/git-upload-pack 200' "$WORK/clone.log" || fail "no authenticated fetch after the helper answered: $(cat "$WORK/clone.log")"
# A push through the `store` helper: a credentials file in $HOME.
printf 'http://alice:%s@127.0.0.1:%s\n' "$(urlenc "$APW")" "$PORT" >"$HOME/.git-credentials"
git -C "$WORK/alice" config credential.helper store
commit_file "$WORK/alice" alice.txt "from alice"
git -C "$WORK/alice" push -q origin main || fail "alice's push through the store helper"
alice_push=$(git -C "$WORK/alice" rev-parse HEAD)
assert_eq "$alice_push" "$(git --git-dir="$DATA/repos/proj.git" rev-parse main)" "proj main after alice's push"
assert_eq alice "$(audit_users push proj "$alice_push")" "audit user of alice's push"
rm "$HOME/.git-credentials"
pass "git retries after the 401 with its credential helper; alice clones and pushes; the audit log names alice"

# bob reads proj (credentials in the URL, with an encoded colon) but may not write.
git clone -q "$(cred_url bob "$BPW" proj)" "$WORK/bob" || fail "bob's clone of proj"
assert_eq "from alice" "$(cat "$WORK/bob/alice.txt")" "content cloned by bob"
commit_file "$WORK/bob" bob.txt "from bob"
if git -C "$WORK/bob" push origin main 2>"$WORK/bob.err"; then fail "bob pushed to proj with read access"; fi
grep -qF "remote: user bob may not write to repository proj" "$WORK/bob.err" || fail "git did not show the 403 message: $(cat "$WORK/bob.err")"
grep -q 403 "$WORK/bob.err" || fail "git did not see a 403: $(cat "$WORK/bob.err")"
assert_eq "$alice_push" "$(git --git-dir="$DATA/repos/proj.git" rev-parse main)" "proj main after bob's refused push"
expect 403 "bob's receive-pack advertisement for proj" GET '/repos/proj.git/info/refs?service=git-receive-pack' "${BOB[@]}"
expect 403 "bob's receive-pack POST to proj" POST /repos/proj.git/git-receive-pack "${BOB[@]}" \
  -H 'Content-Type: application/x-git-receive-pack-request' --data-binary 0000
pass "bob clones proj with URL credentials; his push gets 403 and git prints the server's message"

# Wrong credentials: 401 every time, whatever was verified before.
if git clone -q "$(cred_url bob wrong-password proj)" "$WORK/bad" 2>"$WORK/bad.err"; then fail "clone with a wrong password"; fi
grep -qi "authentication failed" "$WORK/bad.err" || fail "wrong password: $(cat "$WORK/bad.err")"
expect 401 "alice with bob's password" GET '/repos/proj.git/info/refs?service=git-upload-pack' -u "alice:$BPW"
expect 401 "bob with alice's password" GET '/repos/proj.git/info/refs?service=git-upload-pack' -u "bob:$APW"
expect 401 "alice with a wrong password after a good one" GET /api/v1/repos -u "alice:${APW}x"
expect 401 "alice with a password prefix" GET /api/v1/repos -u "alice:${APW% *}"
expect 401 "an unknown user" GET '/repos/proj.git/info/refs?service=git-upload-pack' -u "mallory:$APW"
expect 401 "an empty password" GET /api/v1/repos -u "alice:"
for h in "Basic !!!not-base64!!!" "Basic $(printf 'alice' | base64)" "Digest username=alice" "Bearer" "Bearer   " \
         "Bearer not-a-token" "Bearer agt_bogusbogusbogusbogusbogusbogusbogusbogusbog" "Basic"; do
  expect 401 "Authorization: $h (git)" GET '/repos/proj.git/info/refs?service=git-upload-pack' -H "Authorization: $h"
  expect 401 "Authorization: $h (API)" GET /api/v1/repos -H "Authorization: $h"
done
expect 200 "alice's password still works" GET /api/v1/repos "${ALICE[@]}"
pass "wrong password, unknown user, malformed or bogus Authorization: 401 on git and API routes"

# Access is decided before existence; the most specific glob decides.
for r in alice-private does-not-exist; do
  expect 403 "bob reads $r" GET "/repos/$r.git/info/refs?service=git-upload-pack" "${BOB[@]}"
  grep -q "user bob may not read repository $r" "$WORK/body" || fail "bob reads $r: $(body)"
  expect 403 "bob GET /api/v1/repos/$r" GET "/api/v1/repos/$r" "${BOB[@]}"
done
expect 404 "alice reads a missing repo (she may read everything)" GET '/repos/does-not-exist.git/info/refs?service=git-upload-pack' "${ALICE[@]}"
expect 404 "alice GET /api/v1/repos/does-not-exist" GET /api/v1/repos/does-not-exist "${ALICE[@]}"
can() {  # USER-ARRAY-NAME REPO: prints "none", "read" or "write" as seen by git
  local -n who=$1
  local w=none
  req GET "/repos/$2.git/info/refs?service=git-upload-pack" "${who[@]}"
  [ "$CODE" = 200 ] && w=read
  [ "$CODE" = 200 ] || [ "$CODE" = 403 ] || fail "upload-pack advertisement of $2: HTTP $CODE $(body)"
  req GET "/repos/$2.git/info/refs?service=git-receive-pack" "${who[@]}"
  [ "$CODE" = 200 ] && w=write
  [ "$CODE" = 200 ] || [ "$CODE" = 403 ] || fail "receive-pack advertisement of $2: HTTP $CODE $(body)"
  echo "$w"
}
assert_eq write "$(can BOB bob-x)" "bob on bob-x (bob-* = write)"
assert_eq read "$(can BOB bob-lockdown)" "bob on bob-lockdown (bob-lock* = read beats bob-* = write)"
assert_eq write "$(can BOB team-a)" "bob on team-a (team-* = write beats t* = read)"
assert_eq write "$(can BOB bob-rw)" "bob on bob-rw (exact bob-rw = write beats bob-rw* = read)"
assert_eq read "$(can BOB tie-tie)" "bob on tie-tie (tie-* = write and *-tie = read tie: the lower wins)"
assert_eq read "$(can BOB proj)" "bob on proj"
assert_eq none "$(can BOB alice-private)" "bob on alice-private (no rule)"
assert_eq read "$(can ALICE bob-x)" "alice on bob-x (* = read)"
assert_eq write "$(can ALICE proj)" "alice on proj"
git clone -q "$(cred_url bob "$BPW" bob-x)" "$WORK/bx" || fail "bob clones bob-x"
commit_file "$WORK/bx" bob.txt "bob's"
git -C "$WORK/bx" push -q origin main || fail "bob pushes to bob-x"
assert_eq bob "$(audit_users push bob-x "$(git -C "$WORK/bx" rev-parse HEAD)")" "audit user of bob's push"
pass "403 before existence; the most specific glob decides (more literals, exact names, ties to the lower level)"

# ---- API: repos ---------------------------------------------------------------
expect 200 "bob lists repos" GET /api/v1/repos "${BOB[@]}"
assert_eq "bob-lockdown,bob-ro,bob-rw,bob-x,proj,team-a,tie-tie" "$(list_field repos name)" "repos bob can read"
expect 200 "alice lists repos" GET /api/v1/repos "${ALICE[@]}"
assert_eq "$(csv alice-private bob-lockdown bob-ro bob-rw bob-x proj team-a tie-tie "$P0_REPO")" "$(list_field repos name)" "repos alice can read"
expect 201 "bob creates bob-new" POST /api/v1/repos "${BOB[@]}" "${JSON[@]}" -d '{"name":"bob-new"}'
expect 403 "bob creates proj2" POST /api/v1/repos "${BOB[@]}" "${JSON[@]}" -d '{"name":"proj2"}'
expect 403 "bob creates an existing repo he cannot write" POST /api/v1/repos "${BOB[@]}" "${JSON[@]}" -d '{"name":"alice-private"}'
expect 403 "alice creates a repo she can only read" POST /api/v1/repos "${ALICE[@]}" "${JSON[@]}" -d '{"name":"other"}'
[ ! -e "$DATA/repos/proj2.git" ] && [ ! -e "$DATA/repos/other.git" ] || fail "a refused POST /repos created the repo"
expect 201 "alice creates alice-tmp" POST /api/v1/repos "${ALICE[@]}" "${JSON[@]}" -d '{"name":"alice-tmp"}'
expect 403 "bob deletes bob-new (write, not admin)" DELETE /api/v1/repos/bob-new "${BOB[@]}"
expect 403 "alice deletes proj (write, not admin)" DELETE /api/v1/repos/proj "${ALICE[@]}"
expect 403 "bob deletes alice-tmp" DELETE /api/v1/repos/alice-tmp "${BOB[@]}"
[ -d "$DATA/repos/bob-new.git" ] && [ -d "$DATA/repos/proj.git" ] && [ -d "$DATA/repos/alice-tmp.git" ] || fail "a refused DELETE deleted"
expect 204 "alice deletes alice-tmp (admin)" DELETE /api/v1/repos/alice-tmp "${ALICE[@]}"
[ ! -e "$DATA/repos/alice-tmp.git" ] || fail "alice-tmp still there"
pass "API repos: lists only readable repos; create needs write, delete admin"

# ---- API: sessions ------------------------------------------------------------
expect 201 "alice starts a session without a name (session-* = write)" POST /api/v1/sessions "${ALICE[@]}" "${JSON[@]}" -d '{"task":"alice task"}'
alice_sid=$(body_get id)
alice_repo=$(body_get repo)
assert_eq "session-$alice_sid" "$alice_repo" "default session repo"
expect 403 "bob starts a session without a name" POST /api/v1/sessions "${BOB[@]}" "${JSON[@]}" -d '{"task":"bob task"}'
expect 403 "bob starts a session named proj2" POST /api/v1/sessions "${BOB[@]}" "${JSON[@]}" -d '{"task":"t","name":"proj2"}'
expect 403 "bob copies alice-private" POST /api/v1/sessions "${BOB[@]}" "${JSON[@]}" \
  -d '{"task":"t","name":"bob-copy","from":{"repo":"alice-private"}}'
[ ! -e "$DATA/repos/bob-copy.git" ] && [ ! -e "$DATA/repos/proj2.git" ] || fail "a refused session start created its repo"
expect 201 "bob copies proj into bob-copy" POST /api/v1/sessions "${BOB[@]}" "${JSON[@]}" \
  -d '{"task":"t","name":"bob-copy","from":{"repo":"proj"}}'
expect 201 "bob starts bob-agent" POST /api/v1/sessions "${BOB[@]}" "${JSON[@]}" -d '{"task":"bob task","name":"bob-agent"}'
bob_sid=$(body_get id)
expect 201 "alice starts alice-agent" POST /api/v1/sessions "${ALICE[@]}" "${JSON[@]}" -d '{"task":"t","name":"alice-agent"}'
alice_agent=$(body_get id)
expect 200 "bob lists sessions" GET /api/v1/sessions "${BOB[@]}"
assert_eq "bob-agent,bob-copy" "$(list_field sessions repo)" "sessions bob can read"
expect 200 "alice lists sessions" GET /api/v1/sessions "${ALICE[@]}"
assert_eq "$(csv alice-agent bob-agent bob-copy "$alice_repo" "$P0_REPO")" "$(list_field sessions repo)" "sessions alice can read"

expect 200 "bob PUTs a file in bob-agent" PUT "/api/v1/sessions/$bob_sid/files/notes.txt" "${BOB[@]}" --data-binary 'bob notes'
expect 200 "bob checkpoints bob-agent" POST "/api/v1/sessions/$bob_sid/checkpoint" "${BOB[@]}" "${JSON[@]}" \
  -d '{"tool":"Write","summary":"notes"}'
# bob may not touch alice's session at all, nor learn that it exists: he
# gets the very answer a made-up id gets.
expect 404 "bob: a session that does not exist" GET /api/v1/sessions/0123456789ab "${BOB[@]}"
missing_body=$(body | sed 's/0123456789ab/ID/')
S=/api/v1/sessions/$alice_sid
for route in "GET $S" "GET $S/log" "GET $S/diff" "GET $S/files/x.txt" "GET $S/events" "POST $S/sync" \
             "PUT $S/files/x.txt" "DELETE $S/files/x.txt" "DELETE $S" "DELETE $S?purge=true"; do
  expect 404 "bob: $route" $route "${BOB[@]}" "${JSON[@]}" --max-time 5
  assert_eq "$missing_body" "$(body | sed "s/$alice_sid/ID/")" "bob's answer for $route"
done
expect 404 "bob: checkpoint alice's session" POST "$S/checkpoint" "${BOB[@]}" "${JSON[@]}" -d '{"tool":"Write","summary":"x"}'
# alice may read bob's session but not change it.
S=/api/v1/sessions/$bob_sid
for route in "GET $S" "GET $S/log" "GET $S/diff" "GET $S/files/notes.txt"; do
  expect 200 "alice: $route" $route "${ALICE[@]}"
done
assert_eq "bob notes" "$(body)" "alice reads bob's file"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "${ALICE[@]}" "$BASE$S/events" || true)
assert_eq 200 "$code" "alice watches bob's session events"
for route in "POST $S/sync" "PUT $S/files/notes.txt" "DELETE $S/files/notes.txt" "DELETE $S" "DELETE $S?purge=true"; do
  expect 403 "alice: $route" $route "${ALICE[@]}" "${JSON[@]}"
done
expect 403 "alice: checkpoint bob's session" POST "$S/checkpoint" "${ALICE[@]}" "${JSON[@]}" -d '{"tool":"Write","summary":"x"}'
assert_eq "bob notes" "$(cat "$DATA/work/$bob_sid/notes.txt")" "bob's file after alice's refused writes"
expect 403 "bob purges bob-agent (write, not admin)" DELETE "$S?purge=true" "${BOB[@]}"
expect 200 "alice checkpoints her own session" POST "/api/v1/sessions/$alice_agent/checkpoint" "${ALICE[@]}" "${JSON[@]}" \
  -d '{"tool":"Write","summary":"alice writes"}'
assert_eq alice "$(audit_users checkpoint alice-agent "$(body_get commit)")" "audit user of alice's checkpoint"
expect 200 "alice purges alice-agent (admin)" DELETE "/api/v1/sessions/$alice_agent?purge=true" "${ALICE[@]}"
[ ! -e "$DATA/repos/alice-agent.git" ] || fail "purge left the repo"
expect 403 "alice purges her session-ID session (write, not admin)" DELETE "/api/v1/sessions/$alice_sid?purge=true" "${ALICE[@]}"
expect 200 "alice ends her session-ID session (write)" DELETE "/api/v1/sessions/$alice_sid" "${ALICE[@]}"
pass "API sessions: start needs write on the (default) repo name and read on from; reads need read, changes write, purge admin; unreadable sessions look like missing ones"

# ---- tokens -------------------------------------------------------------------
expect 201 "bob creates a write token" POST /api/v1/tokens "${BOB[@]}" "${JSON[@]}" -d '{"name":"ci","access":"write"}'
WTOK=$(body_get token)
WID=$(body_get id)
[[ $WTOK == agt_* ]] || fail "token: $(body)"
assert_eq "ci write bob" "$(body_get name) $(body_get access) $(body_get user)" "token fields"
[[ $(body_get created) =~ ^[0-9]+$ ]] || fail "created: $(body)"
expect 201 "bob creates a read token" POST /api/v1/tokens "${BOB[@]}" "${JSON[@]}" -d '{"name":"laptop","access":"read"}'
RTOK=$(body_get token)
RID=$(body_get id)
expect 201 "bob creates an admin token" POST /api/v1/tokens "${BOB[@]}" "${JSON[@]}" -d '{"access":"admin"}'
ATOK=$(body_get token)
expect 400 "a token with access none" POST /api/v1/tokens "${BOB[@]}" "${JSON[@]}" -d '{"access":"none"}'
expect 200 "bob lists his tokens" GET /api/v1/tokens "${BOB[@]}"
assert_eq 3 "$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tokens"]))' "$WORK/body")" "bob's token count"
assert_eq "admin,read,write" "$(list_field tokens access)" "bob's tokens"
for t in "$WTOK" "$RTOK" "$ATOK"; do
  ! grep -qF "$t" "$WORK/body" || fail "GET /tokens shows a secret"
  ! grep -qF "${t#agt_}" "$DATA/tokens.json" || fail "a token secret is stored in tokens.json"
done
! grep -q '"token"' "$WORK/body" || fail "GET /tokens has a token field: $(body)"
grep -qF "$WID" "$DATA/tokens.json" || fail "tokens.json does not hold the token id"
expect 200 "alice lists her tokens" GET /api/v1/tokens "${ALICE[@]}"
assert_eq "" "$(list_field tokens id)" "alice sees bob's tokens"
expect 404 "alice revokes bob's token" DELETE "/api/v1/tokens/$WID" "${ALICE[@]}"

# Tokens issue no tokens (a child token would outlive its parent's
# revocation): only a password login does.
expect 403 "a read token issues a write token" POST /api/v1/tokens -H "Authorization: Bearer $RTOK" "${JSON[@]}" -d '{"access":"write"}'
expect 403 "a write token issues a read token" POST /api/v1/tokens -H "Authorization: Bearer $WTOK" "${JSON[@]}" -d '{"access":"read"}'
expect 403 "a token given as the Basic password issues a token" POST /api/v1/tokens -u "bob:$WTOK" "${JSON[@]}" -d '{}'
# Bearer on git routes; a token as the Basic password with any user name.
expect 200 "Bearer on upload-pack" GET '/repos/bob-x.git/info/refs?service=git-upload-pack' -H "Authorization: Bearer $RTOK"
wait_for_log "GET /repos/bob-x.git/info/refs?service=git-upload-pack 200 .* user=bob token=$RID id=[0-9a-f]*\$" \
  || fail "the access log does not name the token: $(tail -3 "$WORK/server.log")"
expect 403 "a read token on receive-pack" GET '/repos/bob-x.git/info/refs?service=git-receive-pack' -H "Authorization: Bearer $RTOK"
grep -qi token "$WORK/body" || fail "the 403 for a read token does not mention the token: $(body)"
expect 200 "Bearer write on receive-pack" GET '/repos/bob-x.git/info/refs?service=git-receive-pack' -H "Authorization: Bearer $WTOK"
expect 403 "a write token where bob reads" GET '/repos/proj.git/info/refs?service=git-receive-pack' -H "Authorization: Bearer $WTOK"
! grep -qi token "$WORK/body" || fail "a 403 that a password would get too blames the token: $(body)"
expect 403 "an admin token of a user with write deletes" DELETE /api/v1/repos/bob-new -H "Authorization: Bearer $ATOK"
expect 200 "an admin token lists" GET /api/v1/repos -u "x:$ATOK"
assert_eq "$(csv bob-agent bob-copy bob-lockdown bob-new bob-ro bob-rw bob-x proj team-a tie-tie)" "$(list_field repos name)" "repos a token of bob lists"
git clone -q "$(cred_url reader "$RTOK" bob-x)" "$WORK/rt" || fail "clone with a read token as the password"
commit_file "$WORK/rt" rt.txt "read token"
if git -C "$WORK/rt" push origin main 2>"$WORK/rt.err"; then fail "a read token pushed"; fi
grep -q "remote: .*token" "$WORK/rt.err" || fail "git did not show the token's limit: $(cat "$WORK/rt.err")"
git -C "$WORK/rt" remote set-url origin "$(cred_url someone-else "$WTOK" bob-x)"
git -C "$WORK/rt" push -q origin main || fail "push with a write token as the password"
assert_eq bob "$(audit_users push bob-x "$(git -C "$WORK/rt" rev-parse HEAD)")" "audit user of a push with bob's token"
expect 200 "a checkpoint with bob's token" POST "/api/v1/sessions/$bob_sid/checkpoint" -H "Authorization: Bearer $WTOK" \
  "${JSON[@]}" -d '{"tool":"Write","summary":"by token","call_id":"tok-1"}'
assert_eq bob "$(audit_users checkpoint bob-agent "$(body_get commit)")" "audit user of a checkpoint with bob's token"
expect 403 "a checkpoint with bob's read token" POST "/api/v1/sessions/$bob_sid/checkpoint" -H "Authorization: Bearer $RTOK" \
  "${JSON[@]}" -d '{"tool":"Write","summary":"by read token"}'
pass "tokens: shown once, listed without secrets, stored hashed; limited to min(token, user); Bearer and Basic on git and API; audited as their user"

# Tokens survive a restart.
stop_server
start_server --config "$CONF"
expect 200 "the write token after a restart" GET /api/v1/tokens -H "Authorization: Bearer $WTOK"
assert_eq 3 "$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tokens"]))' "$WORK/body")" "tokens after a restart"
git -C "$WORK/rt" remote set-url origin "$(cred_url someone-else "$WTOK" bob-x)"
commit_file "$WORK/rt" rt2.txt "after restart"
git -C "$WORK/rt" push -q origin main || fail "push with a write token after a restart"
# Revocation: 401 everywhere.
expect 204 "bob revokes the write token" DELETE "/api/v1/tokens/$WID" "${BOB[@]}"
! grep -qF "$WID" "$DATA/tokens.json" || fail "a revoked token is still in tokens.json"
expect 401 "a revoked token on the API" GET /api/v1/repos -H "Authorization: Bearer $WTOK"
expect 401 "a revoked token on /tokens" GET /api/v1/tokens -H "Authorization: Bearer $WTOK"
expect 401 "a revoked token as a git password" GET '/repos/bob-x.git/info/refs?service=git-upload-pack' -u "bob:$WTOK"
if git ls-remote "$(cred_url bob "$WTOK" bob-x)" >/dev/null 2>&1; then fail "git ls-remote with a revoked token"; fi
expect 404 "revoking it again" DELETE "/api/v1/tokens/$WID" "${BOB[@]}"
expect 200 "the read token still works" GET /api/v1/repos -H "Authorization: Bearer $RTOK"
stop_server
pass "tokens survive a restart; a revoked token gets 401 on git and API routes"

# ---- anonymous = "read": max(anonymous, user) -----------------------------------
CONF2=$WORK/auth-read.toml
{ printf '[auth]\nanonymous = "read"\n\n'; cat "$CONF"; } >"$CONF2"
start_server --config "$CONF2"
git clone -q "$BASE/repos/proj.git" "$WORK/anon" || fail "anonymous clone with anonymous = read"
commit_file "$WORK/anon" anon.txt "anonymous"
if git -C "$WORK/anon" push origin main 2>"$WORK/anon.err"; then fail "anonymous push with anonymous = read"; fi
expect 401 "anonymous receive-pack with anonymous = read" GET '/repos/proj.git/info/refs?service=git-receive-pack'
expect 200 "anonymous lists repos" GET /api/v1/repos
assert_eq "$(cd "$DATA/repos" && csv *.git | sed 's/\.git//g')" "$(list_field repos name)" "repos anonymous can read"
expect 401 "anonymous POST /repos with anonymous = read" POST /api/v1/repos "${JSON[@]}" -d '{"name":"anon-new"}'
expect 401 "anonymous GET /tokens with anonymous = read" GET /api/v1/tokens
assert_eq read "$(can BOB alice-private)" "bob on alice-private with anonymous = read"
assert_eq write "$(can BOB bob-x)" "bob on bob-x with anonymous = read"
stop_server
pass "anonymous = read: anonymous clones and lists but gets 401 for writes; users get at least read"

# ---- read_only with users (and a non-loopback listener) ---------------------------
{ printf 'read_only = true\nlisten = "0.0.0.0:0"\n\n'; cat "$CONF"; } >"$CONF2"
launch_server --config "$CONF2"
grep -q 'listening on http://0.0.0.0:' "$WORK/server.out" || fail "users allow a non-loopback listener: $(cat "$WORK/server.out")"
expect 401 "anonymous upload-pack on 0.0.0.0 with users" GET '/repos/proj.git/info/refs?service=git-upload-pack'
git -C "$WORK/alice" remote set-url origin "$(cred_url alice "$APW" proj)"
git -C "$WORK/alice" fetch -q origin || fail "alice fetches from a read-only server"
commit_file "$WORK/alice" ro.txt "read-only"
if git -C "$WORK/alice" push origin main 2>"$WORK/ro.err"; then fail "alice pushed to a read-only server"; fi
grep -qi "read-only" "$WORK/ro.err" || fail "no read-only message: $(cat "$WORK/ro.err")"
expect 403 "alice's receive-pack on a read-only server" GET '/repos/proj.git/info/refs?service=git-receive-pack' "${ALICE[@]}"
expect 403 "anonymous receive-pack on a read-only server" GET '/repos/proj.git/info/refs?service=git-receive-pack'
expect 403 "alice creates a repo on a read-only server" POST /api/v1/repos "${ALICE[@]}" "${JSON[@]}" -d '{"name":"alice-ro"}'
assert_eq "$alice_push" "$(git --git-dir="$DATA/repos/proj.git" rev-parse main)" "proj main on the read-only server"
pass "read_only refuses pushes with 403 for everyone, users included"

# ---- the event stream is an API route like the others -------------------------------
# (Last, so that everything above has run if this fails.) Users and no
# anonymous key: an anonymous caller gets 401 on every API route, whether or
# not the session exists.
expect 401 "anonymous GET /api/v1/sessions/nope/events" GET /api/v1/sessions/nope/events --max-time 5
has_www_authenticate || fail "anonymous events: 401 without WWW-Authenticate"
expect 401 "anonymous GET /api/v1/sessions/$bob_sid/events" GET "/api/v1/sessions/$bob_sid/events" --max-time 5
pass "anonymous callers get 401 on the event stream, whether or not the session exists"

# ---- refusals come before the body ------------------------------------------------
# A caller who may not write cannot make the server take a 30 MB upload
# first (curl waits for 100-continue, which a refusal never sends).
head -c 30000000 /dev/urandom >"$WORK/big.bin"
for who in anonymous alice; do
  auth=()
  [ "$who" = alice ] && auth=("${ALICE[@]}")
  out=$(curl -s -o /dev/null -w '%{http_code} %{size_upload}' --max-time 20 -X PUT --data-binary @"$WORK/big.bin" \
    "${auth[@]}" "$BASE/api/v1/sessions/$bob_sid/files/big.bin") || true
  want=401
  [ "$who" = alice ] && want=403  # the server is read-only now
  assert_eq "$want" "${out%% *}" "$who's 30 MB upload"
  [ "${out##* }" -lt 4000000 ] || fail "$who's refused upload was read: ${out##* } bytes sent"
done
pass "a refused 30 MB upload is answered before its body is read"

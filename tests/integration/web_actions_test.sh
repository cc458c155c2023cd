#!/usr/bin/env bash
# A person acting on a session's branch through the API, as a `git push`
# would: POST /sessions/ID/revert (git revert --no-edit C, pushed) and POST
# /sessions/ID/instruction (one file written whole, pushed). A clone sees
# the commits; the agent's work tree takes them in at its next turn; an
# event stream sees `push` events; the audit log has their lines; errors
# have their codes; read-only servers and readers are refused.
source "$(dirname "$0")/lib.sh"
start_server

EV_PID=""
actions_cleanup() {
  local rc=$?
  if [ -n "$EV_PID" ]; then kill "$EV_PID" 2>/dev/null || true; wait "$EV_PID" 2>/dev/null || true; fi
  (exit $rc)
  cleanup
}
trap actions_cleanup EXIT

# post PATH JSON [curl args...]: sets CODE, the body in $WORK/body.
post() {
  local path=$1 data=$2
  shift 2
  req POST "$path" "${JSON[@]}" -d "$data" "$@"
}
# expect_error STATUS CODE WHAT PATH JSON [curl args...]
expect_error() {
  local status=$1 code=$2 what=$3
  shift 3
  post "$@"
  [ "$CODE" = "$status" ] || fail "$what: expected HTTP $status, got $CODE: $(cat "$WORK/body")"
  assert_eq "$code" "$(body_get code)" "$what: code"
}
tip() { git --git-dir="$DATA/repos/$1.git" rev-parse refs/heads/main; }
# audit_count VIA OLD NEW USER: how many audit lines say so.
audit_count() {
  /usr/bin/python3 - "$DATA/audit.log" "$@" <<'PY'
import json, sys
path, via, old, new, user = sys.argv[1:6]
print(sum(1 for l in open(path) if (lambda e: e["via"] == via and e["old"] == old and e["new"] == new
          and e["user"] == user)(json.loads(l))))
PY
}

s=$(api POST /api/v1/sessions '{"task":"Write a report","name":"web"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
R=/api/v1/sessions/$id
echo "draft" >"$wd/report.md"
draft=$(api POST "$R/checkpoint" '{"tool":"Write","summary":"draft"}' | json_get commit)
echo "wrong" >"$wd/report.md"
wrong=$(api POST "$R/checkpoint" '{"tool":"Write","summary":"a wrong turn"}' | json_get commit)

# A watcher, from before the person acts (curl itself in the background).
curl -sN "$BASE$R/events" >"$WORK/events" &
EV_PID=$!
for _ in $(seq 1 100); do grep -q connected "$WORK/events" 2>/dev/null && break; sleep 0.05; done
grep -q connected "$WORK/events" || fail "the event stream did not open: $(cat "$WORK/events")"

# ---- revert ---------------------------------------------------------------------------
post "$R/revert" "{\"commit\":\"${wrong:0:10}\"}"
assert_eq 201 "$CODE" "a revert: $(body)"
assert_eq committed "$(body_get result)" "revert result"
assert_eq "$wrong" "$(body_get reverted)" "the full id of the reverted commit"
assert_eq "$wrong" "$(body_get previous)" "the tip it was built on"
assert_eq main "$(body_get branch)" "branch"
reverted=$(body_get commit)
assert_eq "$reverted" "$(tip web)" "the branch is at the revert"

git clone -q "$BASE/repos/web.git" "$WORK/person"
assert_eq "Revert \"[Write] a wrong turn\"" "$(git -C "$WORK/person" log -1 --format=%s)" "the revert's subject"
assert_eq "This reverts commit $wrong." "$(git -C "$WORK/person" log -1 --format=%b | sed '/^$/d')" "the revert's body"
assert_eq "anonymous <anonymous@agentgit>" "$(git -C "$WORK/person" log -1 --format='%an <%ae>')" "author: the caller"
assert_eq "anonymous <anonymous@agentgit>" "$(git -C "$WORK/person" log -1 --format='%cn <%ce>')" "committer: the caller"
assert_eq "$wrong" "$(git -C "$WORK/person" rev-parse HEAD^)" "its parent is the tip it was built on"
assert_eq draft "$(cat "$WORK/person/report.md")" "the clone has the reverted content"
git --git-dir="$DATA/repos/web.git" fsck --no-dangling --no-progress >/dev/null 2>&1 || fail "the repo fails fsck"
assert_eq 1 "$(audit_count revert "$wrong" "$reverted" anonymous)" "the revert's audit line"
pass "a revert is a commit on the branch as git revert words it; a clone shows it"

assert_eq wrong "$(cat "$wd/report.md")" "the work tree waits for the agent's turn"
r=$(api POST "$R/checkpoint" '{"tool":"Read","summary":"next turn"}')
assert_eq report.md "$(echo "$r" | json_get incoming)" "the checkpoint takes the revert in"
assert_eq draft "$(curl -sf "$BASE$R/files/report.md")" "the work tree follows the revert"
pass "the work tree takes the revert in at the next checkpoint"

post "$R/revert" "{\"commit\":\"$wrong\"}"
assert_eq "200 no-op" "$CODE $(body_get result)" "reverting it again changes nothing"
tipnow=$(tip web)
assert_eq "$tipnow" "$(body_get commit)" "a no-op answers the tip"
pass "a revert that changes nothing is a no-op"

# ---- instruction ----------------------------------------------------------------------
post "$R/instruction" '{"path":"INSTRUCTIONS.md","text":"Focus on cost\n"}'
assert_eq 201 "$CODE" "an instruction: $(body)"
assert_eq "committed INSTRUCTIONS.md" "$(body_get result) $(body_get path)" "instruction answer"
inst=$(body_get commit)
assert_eq "$tipnow" "$(body_get previous)" "built on the tip"
git -C "$WORK/person" pull -q
assert_eq "Instruction: INSTRUCTIONS.md" "$(git -C "$WORK/person" log -1 --format=%s)" "the default message"
assert_eq "Focus on cost" "$(cat "$WORK/person/INSTRUCTIONS.md")" "the clone has the instruction"
assert_eq "100644" "$(git -C "$WORK/person" ls-tree HEAD INSTRUCTIONS.md | cut -d' ' -f1)" "mode 100644"
post "$R/instruction" '{"path":"INSTRUCTIONS.md","text":"Focus on cost\n"}'
assert_eq "200 no-op $inst" "$CODE $(body_get result) $(body_get commit)" "the same text again is a no-op"
[ ! -e "$wd/INSTRUCTIONS.md" ] || fail "the instruction reached the work tree before a turn"
r=$(api POST "$R/sync")
assert_eq INSTRUCTIONS.md "$(echo "$r" | json_get incoming)" "the sync takes the instruction in"
assert_eq "Focus on cost" "$(cat "$wd/INSTRUCTIONS.md")" "the instruction is in the work tree"
post "$R/instruction" '{"path":"notes/plan.md","text":"step 1\n","message":"Plan, by a person"}'
assert_eq 201 "$CODE" "an instruction with a message in a new directory"
git -C "$WORK/person" pull -q
assert_eq "Plan, by a person" "$(git -C "$WORK/person" log -1 --format=%s)" "the given message"
assert_eq 1 "$(audit_count instruction "$tipnow" "$inst" anonymous)" "the instruction's audit line"
pass "an instruction is a commit of one file; the work tree takes it in at the next turn"

# ---- the event stream saw pushes ------------------------------------------------------
for _ in $(seq 1 100); do [ "$(grep -c '^event: push' "$WORK/events")" -ge 3 ] && break; sleep 0.05; done
assert_eq 3 "$(grep -c '^event: push' "$WORK/events")" "a push event per commit made (not for no-ops)"
grep -q "\"branch_tip\":\"$reverted\"" "$WORK/events" || fail "no push event with the revert: $(cat "$WORK/events")"
grep -q "\"branch_tip\":\"$inst\"" "$WORK/events" || fail "no push event with the instruction: $(cat "$WORK/events")"
kill "$EV_PID" 2>/dev/null || true
wait "$EV_PID" 2>/dev/null || true
EV_PID=""
pass "watchers see a push event for each"

# ---- errors ---------------------------------------------------------------------------
before=$(tip web)
expect_error 400 INVALID_PATH "a path leaving the work tree" "$R/instruction" '{"path":"../x","text":"t"}'
expect_error 400 INVALID_PATH "a .git component" "$R/instruction" '{"path":".git/config","text":"t"}'
expect_error 400 INVALID_PATH "an absolute path" "$R/instruction" '{"path":"/etc/passwd","text":"t"}'
expect_error 400 INVALID_PATH "an empty segment" "$R/instruction" '{"path":"a//b","text":"t"}'
expect_error 400 MISSING_PATH "no path" "$R/instruction" '{"text":"t"}'
expect_error 400 MISSING_TEXT "no text" "$R/instruction" '{"path":"a.md"}'
expect_error 400 INVALID_TEXT "text not a string" "$R/instruction" '{"path":"a.md","text":5}'
expect_error 400 INVALID_MESSAGE "an empty message" "$R/instruction" '{"path":"a.md","text":"t","message":" "}'
expect_error 409 CONFLICT "a directory at the path" "$R/instruction" '{"path":"notes","text":"t"}'
expect_error 400 BAD_JSON "not JSON" "$R/instruction" 'nope'
expect_error 404 REVISION_NOT_FOUND "an unknown commit" "$R/revert" '{"commit":"0123456789abcdef0123456789abcdef01234567"}'
expect_error 400 INVALID_REVISION "not hex" "$R/revert" '{"commit":"HEAD~1"}'
expect_error 400 MISSING_COMMIT "no commit" "$R/revert" '{}'
expect_error 404 SESSION_NOT_FOUND "an unknown session" /api/v1/sessions/nosuchsession/revert "{\"commit\":\"$wrong\"}"
assert_eq 415 "$(http_status POST "$R/revert" -d "{\"commit\":\"$wrong\"}")" "a body without Content-Type: application/json"
# A commit pushed to another branch is not the session branch's.
git -C "$WORK/person" checkout -q -b side
commit_file "$WORK/person" side.txt "side"
git -C "$WORK/person" push -q origin side
expect_error 400 NOT_ON_BRANCH "a commit of another branch" "$R/revert" "{\"commit\":\"$(git -C "$WORK/person" rev-parse HEAD)\"}"
# The draft commit made report.md; the agent changed it since: a conflict.
echo "final" >"$wd/report.md"
api POST "$R/checkpoint" '{"tool":"Write","summary":"final"}' >/dev/null
before=$(tip web)
expect_error 409 REVERT_CONFLICT "a revert conflicting with later work" "$R/revert" "{\"commit\":\"$draft\"}"
assert_eq report.md "$(body_get files)" "the conflict names the file"
assert_eq "$before" "$(tip web)" "nothing written for refused calls"
pass "errors: INVALID_PATH, MISSING_*, CONFLICT, REVISION_NOT_FOUND, INVALID_REVISION, NOT_ON_BRANCH, REVERT_CONFLICT"

s2=$(api POST /api/v1/sessions '{"task":"short-lived"}')
id2=$(echo "$s2" | json_get id)
api DELETE "/api/v1/sessions/$id2" >/dev/null
expect_error 410 SESSION_ENDED "an instruction to an ended session" "/api/v1/sessions/$id2/instruction" '{"path":"a.md","text":"t"}'
pass "an ended session is 410 SESSION_ENDED"

# ---- read-only server, then users -----------------------------------------------------
stop_server
AGENTGIT_READ_ONLY=true start_server
expect_error 403 READ_ONLY "a revert on a read-only server" "$R/revert" "{\"commit\":\"$wrong\"}"
expect_error 403 READ_ONLY "an instruction on a read-only server" "$R/instruction" '{"path":"a.md","text":"t"}'
assert_eq "$before" "$(tip web)" "nothing written on a read-only server"
stop_server

PW=secret-pw
HASH=$(printf '%s\n' "$PW" | "$AGENTGIT_BIN" hash-password)
cat >"$WORK/users.toml" <<EOF
[[auth.users]]
name = "alice"
password_hash = '$HASH'
access = { "*" = "write" }

[[auth.users]]
name = "reader"
password_hash = '$HASH'
access = { "*" = "read" }
EOF
start_server --config "$WORK/users.toml"
expect_error 403 FORBIDDEN "a reader's instruction" "$R/instruction" '{"path":"a.md","text":"t"}' -u "reader:$PW"
expect_error 401 UNAUTHORIZED "an anonymous revert" "$R/revert" "{\"commit\":\"$wrong\"}"
assert_eq "$before" "$(tip web)" "nothing written for refused callers"
post "$R/instruction" '{"path":"a.md","text":"by alice\n"}' -u "alice:$PW"
assert_eq 201 "$CODE" "a writer's instruction: $(body)"
new=$(body_get commit)
assert_eq "alice <alice@agentgit>" "$(git --git-dir="$DATA/repos/web.git" log -1 --format='%an <%ae>' "$new")" "author: the signed-in user"
assert_eq 1 "$(audit_count instruction "$before" "$new" alice)" "the audit line names alice"
pass "read-only servers (READ_ONLY) and readers (FORBIDDEN) are refused with 403; writers commit as themselves"

#!/usr/bin/env bash
# Promotion end to end: a durable repo `prod` made with git push, a session
# started from it that changes three files, two of them promoted whole and
# one hunk of the third, checked in a fresh clone of prod with its
# Promoted-From trailer; touched and the diff's files; a baseline conflict
# (someone pushed to a chosen file: 409, prod unchanged); re-promotion after
# further edits; a no-op; every error code; "all" onto a non-default
# branch; and access: an agent user who may write only agent-* and session
# repos gets 403 promoting into prod, and a token scoped to its own sessions
# reaches those sessions' repos and nothing else (no promotion at all).
source "$(dirname "$0")/lib.sh"

# post PATH JSON [curl args...]: sets CODE; the body is in $WORK/body.
post() {
  local path=$1 body=$2
  shift 2
  CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST "${JSON[@]}" "$@" -d "$body" "$BASE$path")
}

# expect_error STATUS CODE WHAT PATH JSON [curl args...]
expect_error() {
  local status=$1 code=$2 what=$3
  shift 3
  post "$@"
  [ "$CODE" = "$status" ] || fail "$what: expected HTTP $status, got $CODE: $(cat "$WORK/body")"
  assert_eq "$code" "$(body_get code)" "$what: code"
}

# py EXPRESSION: evaluates EXPRESSION with `d` the JSON on stdin.
py() { /usr/bin/python3 -c 'import json,sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

lines() { seq 1 30 | sed 's/^/line /'; }

# Read on disk: it needs no credentials once users are configured.
prod_tip() { git --git-dir="$DATA/repos/prod.git" rev-parse refs/heads/main; }

start_server

# ---- prod, and a session started from it ----------------------------------------
create_repo prod
git clone -q "$BASE/repos/prod.git" "$WORK/person"
printf 'a\n' >"$WORK/person/a.txt"
printf 'b\n' >"$WORK/person/b.txt"
lines >"$WORK/person/c.txt"
printf 'd\n' >"$WORK/person/d.txt"
git -C "$WORK/person" add . && git -C "$WORK/person" commit -q -m "prod files"
git -C "$WORK/person" push -q origin main
base=$(prod_tip)

s=$(api POST /api/v1/sessions '{"task":"Tidy the docs","name":"agent-docs","from":{"repo":"prod"}}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
shown=$(api GET "/api/v1/sessions/$id")
assert_eq "prod main $base $base" "$(echo "$shown" | py 'd["from"]["repo"], d["from"]["branch"], d["from"]["base"], d["base"]' | tr -d "()',")" \
  "GET /sessions/ID shows where the session started from"
fresh=$(api POST /api/v1/sessions '{"task":"Fresh start"}')
fresh_id=$(echo "$fresh" | json_get id)
assert_eq "None True" "$(echo "$fresh" | py 'd["from"], d["base"] == d["head"]' | tr -d "(),")" \
  "a fresh session has no from and its first commit as base"
pass "a session remembers the repo, branch and commit it started from"

printf 'A\n' >"$wd/a.txt"
printf 'B\n' >"$wd/b.txt"
lines | sed -e 's/^line 2$/line two/' -e 's/^line 25$/line 25!/' >"$wd/c.txt"
api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Edit","summary":"Edited a, b and c"}' >/dev/null
head1=$(api GET "/api/v1/sessions/$id" | json_get head)

t=$(api GET "/api/v1/sessions/$id/touched")
assert_eq "$base $head1" "$(echo "$t" | py 'd["base"] + " " + d["head"]')" "touched: base and head"
assert_eq "a.txt:modified:1 b.txt:modified:1 c.txt:modified:2" \
  "$(echo "$t" | py '" ".join("%s:%s:%d" % (f["path"], f["status"], len(f["hunks"])) for f in d["files"])')" "touched files"
assert_eq "c.txt#1=@@ -1,5 +1,5 @@ c.txt#2=@@ -22,7 +22,7 @@" \
  "$(echo "$t" | py '" ".join(h["id"] + "=" + h["header"] for h in d["files"][2]["hunks"])')" "hunk ids and headers"
diff=$(api GET "/api/v1/sessions/$id/diff?from=$base")
assert_eq "a.txt b.txt c.txt|2|True" "$(echo "$diff" | py '" ".join(f["path"] for f in d["files"]) + "|" + str(len(d["files"][2]["hunks"])) + "|" + str("@@ -22,7 +22,7 @@" in d["patch"])')" \
  "the diff lists its files and hunks beside the patch"
pass "touched: the files changed since the base, hunks numbered per file as the diff shows them"

# ---- promote two files whole and one hunk of the third ----------------------------
r=$(api POST "/api/v1/sessions/$id/promote" '{"target":"prod","files":["a.txt","b.txt"],"hunks":["c.txt#2"],"message":"Docs: approved edits"}')
assert_eq "promoted prod main a.txt,b.txt c.txt#2" \
  "$(echo "$r" | py '" ".join([d["result"], d["target"], d["branch"], ",".join(d["files"]), ",".join(d["hunks"])])')" "promote answer"
promoted=$(echo "$r" | json_get commit)
assert_eq "$promoted" "$(prod_tip)" "prod's main is the promotion commit"
git clone -q "$BASE/repos/prod.git" "$WORK/check"
assert_eq A "$(cat "$WORK/check/a.txt")" "a.txt promoted"
assert_eq B "$(cat "$WORK/check/b.txt")" "b.txt promoted"
lines | sed 's/^line 25$/line 25!/' | cmp - "$WORK/check/c.txt" || fail "c.txt: only its second hunk should be promoted"
assert_eq d "$(cat "$WORK/check/d.txt")" "d.txt untouched"
assert_eq "$base" "$(git -C "$WORK/check" rev-parse HEAD~1)" "one commit on top of prod"
assert_eq "Docs: approved edits" "$(git -C "$WORK/check" log -1 --format=%s)" "commit message"
assert_eq "$id@$head1" "$(git -C "$WORK/check" log -1 --format='%(trailers:key=Promoted-From,valueonly,separator=)')" \
  "Promoted-From trailer"
grep -q "\"via\":\"promote\".*\"repo\":\"prod\".*\"new\":\"$promoted\".*\"session\":\"$id@$head1\"" "$DATA/audit.log" ||
  fail "no audit line for the promotion: $(tail -n 3 "$DATA/audit.log")"
pass "promotion: two files and one hunk as one commit with a Promoted-From trailer, audited"

# ---- a baseline conflict: someone changed a chosen file in prod -------------------
git -C "$WORK/check" pull -q
printf 'human edit\n' >"$WORK/check/d.txt"
git -C "$WORK/check" commit -q -am "a person edits d.txt"
git -C "$WORK/check" push -q origin main
printf 'agent d\n' >"$wd/d.txt"
printf 'A2\n' >"$wd/a.txt"
api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Edit","summary":"More edits"}' >/dev/null
before=$(prod_tip)
expect_error 409 BASELINE_CONFLICT "a file someone changed in prod" "/api/v1/sessions/$id/promote" \
  '{"target":"prod","files":["a.txt","d.txt"],"message":"more"}'
assert_eq d.txt "$(body_get files)" "the conflict names the file"
assert_eq "$before" "$(prod_tip)" "nothing written on a baseline conflict"
pass "a baseline conflict: 409 naming the file someone changed; prod unchanged"

# ---- re-promotion after further edits, and a no-op ----------------------------------
r=$(api POST "/api/v1/sessions/$id/promote" '{"target":"prod","files":["a.txt"],"hunks":["c.txt#1"],"message":"a again"}')
assert_eq promoted "$(echo "$r" | json_get result)" "re-promotion of a file promoted before"
git -C "$WORK/check" pull -q
assert_eq A2 "$(cat "$WORK/check/a.txt")" "a.txt re-promoted"
lines | sed -e 's/^line 2$/line two/' -e 's/^line 25$/line 25!/' | cmp - "$WORK/check/c.txt" || fail "c.txt after its first hunk"
assert_eq "human edit" "$(cat "$WORK/check/d.txt")" "the person's edit stays"
tip=$(prod_tip)
r=$(api POST "/api/v1/sessions/$id/promote" '{"target":"prod","files":["a.txt","c.txt"],"message":"same again"}')
assert_eq "no-op $tip" "$(echo "$r" | py 'd["result"] + " " + d["commit"]')" "the same content again is a no-op"
assert_eq "$tip" "$(prod_tip)" "a no-op makes no commit"
pass "re-promotion after further edits works; the same content again is a no-op"

# ---- every error ---------------------------------------------------------------------
P="/api/v1/sessions/$id/promote"
expect_error 400 MISSING_TARGET "no target" "$P" '{"files":["a.txt"],"message":"m"}'
expect_error 400 INVALID_TARGET "a bad target name" "$P" '{"target":"../etc","files":["a.txt"],"message":"m"}'
expect_error 400 INVALID_TARGET "the session's own repo" "$P" '{"target":"agent-docs","files":["a.txt"],"message":"m"}'
expect_error 404 REPO_NOT_FOUND "an unknown target" "$P" '{"target":"nope","files":["a.txt"],"message":"m"}'
expect_error 400 MISSING_MESSAGE "no message" "$P" '{"target":"prod","files":["a.txt"]}'
expect_error 400 INVALID_MESSAGE "an empty message" "$P" '{"target":"prod","files":["a.txt"],"message":""}'
expect_error 400 INVALID_MESSAGE "a NUL in the message" "$P" '{"target":"prod","files":["a.txt"],"message":"a\u0000b"}'
expect_error 400 INVALID_PROMOTE "nothing chosen" "$P" '{"target":"prod","message":"m"}'
expect_error 400 INVALID_PROMOTE "all beside files" "$P" '{"target":"prod","all":true,"files":["a.txt"],"message":"m"}'
expect_error 400 INVALID_PROMOTE "a file whole and by hunk" "$P" '{"target":"prod","files":["c.txt"],"hunks":["c.txt#1"],"message":"m"}'
expect_error 400 NOT_TOUCHED "an untouched file" "$P" '{"target":"prod","files":["b.txt","nothing.txt"],"message":"m"}'
expect_error 400 UNKNOWN_HUNK "an unknown hunk" "$P" '{"target":"prod","hunks":["c.txt#9"],"message":"m"}'
expect_error 404 BRANCH_NOT_FOUND "an unknown branch" "$P" '{"target":"prod","branch":"nope","files":["a.txt"],"message":"m"}'
expect_error 400 NOTHING_TO_PROMOTE "all of nothing" "/api/v1/sessions/$fresh_id/promote" '{"target":"prod","all":true,"message":"m"}'
# A file where prod has something else in the way: a file where the session has a directory.
git -C "$WORK/check" pull -q
printf 'a file\n' >"$WORK/check/e"
git -C "$WORK/check" add e && git -C "$WORK/check" commit -q -m "e is a file"
git -C "$WORK/check" push -q origin main
mkdir -p "$wd/e"
printf 'f\n' >"$wd/e/f.txt"
api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Edit","summary":"e/f.txt"}' >/dev/null
before=$(prod_tip)
expect_error 409 CONFLICT "a file where prod has a file on its path" "$P" '{"target":"prod","files":["e/f.txt"],"message":"m"}'
grep -q "has a file at e" "$WORK/body" || fail "the kind clash is not explained: $(cat "$WORK/body")"
assert_eq "$before" "$(prod_tip)" "nothing written on a kind clash"
# An empty target gets the branch.
create_repo empty
r=$(api POST "$P" '{"target":"empty","files":["a.txt"],"message":"first"}')
assert_eq "promoted main" "$(echo "$r" | py 'd["result"] + " " + d["branch"]')" "an empty target gets its HEAD branch"
assert_eq "A2" "$(git clone -q "$BASE/repos/empty.git" "$WORK/empty" && cat "$WORK/empty/a.txt")" "the empty target's content"
pass "errors: MISSING_TARGET, INVALID_TARGET, REPO_NOT_FOUND, MISSING_MESSAGE, INVALID_MESSAGE, INVALID_PROMOTE, NOT_TOUCHED, UNKNOWN_HUNK, BRANCH_NOT_FOUND, NOTHING_TO_PROMOTE, CONFLICT"

# ---- "all": true onto a branch other than the default ---------------------------------
# release is prod as the session found it; "all" writes every touched file
# there as one commit, and main does not move.
git -C "$WORK/person" push -q origin "$base:refs/heads/release"
main_before=$(prod_tip)
head_now=$(api GET "/api/v1/sessions/$id" | json_get head)
r=$(api POST "$P" '{"target":"prod","branch":"release","all":true,"message":"Release: everything"}')
assert_eq "promoted release a.txt,b.txt,c.txt,d.txt,e/f.txt" \
  "$(echo "$r" | py '" ".join([d["result"], d["branch"], ",".join(d["files"])])')" "promote all onto release"
assert_eq "$main_before" "$(prod_tip)" "promoting onto release leaves main alone"
git clone -q -b release "$BASE/repos/prod.git" "$WORK/release"
assert_eq "$(echo "$r" | json_get commit)" "$(git -C "$WORK/release" rev-parse HEAD)" "release's tip is the promotion"
assert_eq "$base" "$(git -C "$WORK/release" rev-parse HEAD~1)" "one commit on top of release"
for f in a.txt b.txt c.txt d.txt e/f.txt; do
  cmp "$wd/$f" "$WORK/release/$f" || fail "release: $f is not the session's"
done
assert_eq "Release: everything" "$(git -C "$WORK/release" log -1 --format=%s)" "release: commit message"
assert_eq "$id@$head_now" "$(git -C "$WORK/release" log -1 --format='%(trailers:key=Promoted-From,valueonly,separator=)')" \
  "release: Promoted-From trailer"
pass "\"all\": true onto a non-default branch: every touched file in one commit on release, seen in a clone"

# ---- a promotion racing a push: each lands whole or is refused, nothing lost ---------
# A person pushes p.txt while the agent's r.bin is promoted, eight times. The
# branch moves by compare-and-swap, so in each round either the promotion
# lands or it answers 409 CONFLICT and writes nothing; a push the promotion
# beat is refused by git as non-fast-forward and lands after a rebase. r.bin
# is 4 MiB of random bytes, so copying it into prod holds the promotion
# between reading the branch and moving it long enough for pushes to land.
git -C "$WORK/check" pull -q
rounds=8
promoted_rounds=0 conflicts=0
for i in $(seq 1 $rounds); do
  head -c 4194304 /dev/urandom >"$wd/r.bin"
  api POST "/api/v1/sessions/$id/checkpoint" "{\"tool\":\"Edit\",\"summary\":\"r $i\"}" >/dev/null
  session_head=$(api GET "/api/v1/sessions/$id" | json_get head)
  printf 'person %s\n' "$i" >"$WORK/check/p.txt"
  git -C "$WORK/check" add p.txt && git -C "$WORK/check" commit -q -m "person edit $i"
  (curl -s -o "$WORK/race.body" -w '%{http_code}' -X POST "${JSON[@]}" \
    -d '{"target":"prod","files":["r.bin"],"message":"race"}' "$BASE$P" >"$WORK/race.code") &
  promoting=$!
  push_rc=0
  git -C "$WORK/check" push -q origin main 2>/dev/null || push_rc=$?
  wait "$promoting"
  code=$(cat "$WORK/race.code")
  tip=$(prod_tip)
  case $code in
    200)
      promoted_rounds=$((promoted_rounds + 1))
      c=$(json_get commit <"$WORK/race.body")
      git --git-dir="$DATA/repos/prod.git" merge-base --is-ancestor "$c" "$tip" || fail "round $i: the promotion $c is not in prod"
      git --git-dir="$DATA/repos/prod.git" show "$c:r.bin" | cmp -s - "$wd/r.bin" || fail "round $i: the promoted r.bin" ;;
    409)
      conflicts=$((conflicts + 1))
      assert_eq CONFLICT "$(json_get code <"$WORK/race.body")" "round $i: a refused promotion's code"
      git --git-dir="$DATA/repos/prod.git" log --format='%(trailers:key=Promoted-From,valueonly,separator=)' main |
        grep -qx "$id@$session_head" && fail "round $i: a refused promotion left a commit" ;;
    *) fail "round $i: the promotion answered $code: $(cat "$WORK/race.body")" ;;
  esac
  if [ "$push_rc" = 0 ]; then
    git --git-dir="$DATA/repos/prod.git" merge-base --is-ancestor "$(git -C "$WORK/check" rev-parse HEAD)" "$tip" ||
      fail "round $i: the push that succeeded is not in prod"
  else
    [ "$code" = 200 ] || fail "round $i: both the push and the promotion were refused"
  fi
  git -C "$WORK/check" pull -q --rebase
  git -C "$WORK/check" push -q origin main
done
assert_eq "$rounds" "$(git --git-dir="$DATA/repos/prod.git" log --format=%s main | grep -c '^person edit ')" \
  "every person's commit is in prod"
assert_eq "person $rounds" "$(git --git-dir="$DATA/repos/prod.git" show main:p.txt)" "the person's last p.txt"
git --git-dir="$DATA/repos/prod.git" fsck --no-dangling --no-progress >/dev/null 2>&1 || fail "prod fails fsck after the race"
before=$(prod_tip)
pass "a promotion racing a push: $promoted_rounds promoted, $conflicts refused with 409 CONFLICT, nothing lost"

# ---- access: write on the target, not only on the session ---------------------------
stop_server
PW=secret-pw
HASH=$(printf '%s\n' "$PW" | "$AGENTGIT_BIN" hash-password)
cat >"$WORK/users.toml" <<EOF
[[auth.users]]
name = "alice"
password_hash = '$HASH'
access = { "*" = "admin" }

[[auth.users]]
name = "bot"
password_hash = '$HASH'
access = { "agent-*" = "write", "session-*" = "write" }
EOF
start_server --config "$WORK/users.toml"
expect_error 403 FORBIDDEN "an agent promoting into prod" "$P" '{"target":"prod","files":["a.txt"],"message":"m"}' -u "bot:$PW"
assert_eq "$before" "$(prod_tip)" "nothing written for a refused promotion"
expect_error 401 UNAUTHORIZED "an anonymous promotion" "$P" '{"target":"prod","files":["a.txt"],"message":"m"}'
post /api/v1/tokens '{"name":"agent","access":"write"}' -u "bot:$PW"
token=$(body_get token)
expect_error 403 FORBIDDEN "an agent's token promoting into prod" "$P" '{"target":"prod","files":["a.txt"],"message":"m"}' \
  -H "Authorization: Bearer $token"
create_repo_as() { post /api/v1/repos "{\"name\":\"$1\"}" -u "alice:$PW"; assert_eq 201 "$CODE" "create $1"; }
create_repo_as agent-scratch
post "$P" '{"target":"agent-scratch","files":["a.txt"],"message":"m"}' -H "Authorization: Bearer $token"
assert_eq "200 promoted" "$CODE $(body_get result)" "the agent may promote where it may write"
post "$P" '{"target":"prod","files":["a.txt","d.txt"],"message":"approved"}' -u "alice:$PW"
assert_eq "409 BASELINE_CONFLICT" "$CODE $(body_get code)" "a person with write on prod gets past access (to the baseline check): $(cat "$WORK/body")"
printf 'A3\n' >"$wd/a.txt"
post "/api/v1/sessions/$id/checkpoint" '{"tool":"Edit","summary":"a.txt again"}' -u "bot:$PW"
assert_eq 200 "$CODE" "the agent checkpoints its own session"
post "$P" '{"target":"prod","files":["a.txt"],"message":"approved"}' -u "alice:$PW"
assert_eq "200 promoted" "$CODE $(body_get result)" "a person with write on prod promotes: $(cat "$WORK/body")"
assert_eq "A3" "$(git --git-dir="$DATA/repos/prod.git" show main:a.txt)" "a.txt as the person promoted it"
grep -q "\"via\":\"promote\",\"user\":\"alice\"" "$DATA/audit.log" || fail "the audit line names the person"
pass "access: promoting needs write on the target (403 for an agent limited to agent-* and session repos)"

# ---- a token scoped to its own sessions: those sessions' repos and nothing else ------
post /api/v1/tokens '{"name":"agent-a","access":"write","scope":"own-sessions"}' -u "bot:$PW"
assert_eq "201 own-sessions write" "$CODE $(body_get scope) $(body_get access)" "an own-sessions token is issued"
own=$(body_get token)
own_id=$(body_get id)
post /api/v1/tokens '{"name":"agent-b","scope":"own-sessions"}' -u "bot:$PW"
other=$(body_get token)
expect_error 400 INVALID_SCOPE "an unknown scope" /api/v1/tokens '{"scope":"mine"}' -u "bot:$PW"
OWN=(-H "Authorization: Bearer $own")
# Its session: started (copying a repo its user may read), written,
# checkpointed, cloned and pushed with the token.
post /api/v1/sessions '{"task":"Scoped work","from":{"repo":"agent-scratch"}}' "${OWN[@]}"
assert_eq 201 "$CODE" "an own-sessions token starts a session: $(cat "$WORK/body")"
sid=$(body_get id)
srepo=$(body_get repo)
assert_eq "$own_id" "$(py 'd["token"]' <"$DATA/sessions/$sid.json")" "the session's metadata names the token that started it"
scode=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "${OWN[@]}" --data-binary 'scoped' "$BASE/api/v1/sessions/$sid/files/s.txt")
assert_eq 200 "$scode" "the token writes a file in its session"
post "/api/v1/sessions/$sid/checkpoint" '{"tool":"Write","summary":"s.txt"}' "${OWN[@]}"
assert_eq "200 committed" "$CODE $(body_get result)" "the token checkpoints its session"
authed=${BASE/http:\/\//http:\/\/bot:$own@}
git clone -q "$authed/repos/$srepo.git" "$WORK/scoped" || fail "the token clones its session's repo"
assert_eq "scoped A2" "$(cat "$WORK/scoped/s.txt") $(cat "$WORK/scoped/a.txt")" "the clone has the session's files"
printf 'pushed\n' >"$WORK/scoped/p.txt"
git -C "$WORK/scoped" add p.txt && git -C "$WORK/scoped" commit -q -m "pushed by the agent"
git -C "$WORK/scoped" push -q origin HEAD 2>"$WORK/push.err" || fail "the token pushes to its session's repo: $(cat "$WORK/push.err")"
assert_eq "$srepo" "$(curl -s "${OWN[@]}" "$BASE/api/v1/sessions" | py '",".join(s["repo"] for s in d["sessions"])')" \
  "the token lists only its own session"
assert_eq "$srepo" "$(curl -s "${OWN[@]}" "$BASE/api/v1/repos" | py '",".join(r["name"] for r in d["repos"])')" \
  "the token lists only its own session's repo"
# Another token of the same user, and the user's own session: out of reach.
post /api/v1/sessions '{"task":"Other agent"}' -H "Authorization: Bearer $other"
assert_eq 201 "$CODE" "the other scoped token starts its own session"
osid=$(body_get id)
orepo=$(body_get repo)
assert_eq 404 "$(http_status GET "/api/v1/sessions/$osid" "${OWN[@]}")" "another token's session is not found"
post "/api/v1/sessions/$osid/checkpoint" '{"tool":"Write","summary":"x"}' "${OWN[@]}"
assert_eq "404 SESSION_NOT_FOUND" "$CODE $(body_get code)" "no checkpoint in another token's session"
assert_eq 404 "$(http_status GET "/api/v1/sessions/$id" "${OWN[@]}")" "a session the token did not start is not found"
assert_eq 403 "$(http_status GET "/repos/$orepo.git/info/refs?service=git-upload-pack" -u "bot:$own")" \
  "another token's session repo cannot be fetched"
git clone -q "$authed/repos/$orepo.git" "$WORK/not-mine" 2>/dev/null && fail "the token cloned another token's session repo"
assert_eq 403 "$(http_status GET "/repos/agent-scratch.git/info/refs?service=git-upload-pack" -u "bot:$own")" \
  "the repo it started from is not readable after the start"
post /api/v1/repos '{"name":"agent-new"}' "${OWN[@]}"
assert_eq "403 FORBIDDEN" "$CODE $(body_get code)" "the token creates no repo"
grep -q "sessions it started" "$WORK/body" || fail "the refusal names the scope: $(cat "$WORK/body")"
# No promotion, even where its user may write; no minting; only itself to see and revoke.
expect_error 403 FORBIDDEN "an own-sessions token promoting" "/api/v1/sessions/$sid/promote" \
  '{"target":"agent-scratch","all":true,"message":"m"}' "${OWN[@]}"
expect_error 403 FORBIDDEN "an own-sessions token minting a token" /api/v1/tokens '{"name":"x"}' "${OWN[@]}"
assert_eq "$own_id" "$(curl -s "${OWN[@]}" "$BASE/api/v1/tokens" | py '",".join(t["id"] for t in d["tokens"])')" \
  "the token sees only itself"
other_id=$(curl -s -H "Authorization: Bearer $other" "$BASE/api/v1/tokens" | py 'd["tokens"][0]["id"]')
assert_eq 403 "$(http_status DELETE "/api/v1/tokens/$other_id" "${OWN[@]}")" "the token revokes no other token"
# Its user, with the password, still reaches every session.
post "/api/v1/sessions/$sid/checkpoint" '{"tool":"Review","summary":"by bot"}' -u "bot:$PW"
assert_eq 200 "$CODE" "the user reaches the token's session"
assert_eq 204 "$(http_status DELETE "/api/v1/tokens/$own_id" "${OWN[@]}")" "the token revokes itself"
assert_eq 401 "$(http_status GET "/api/v1/sessions/$sid" "${OWN[@]}")" "a revoked token"
pass "an own-sessions token: starts, writes, checkpoints, clones and pushes its session; 404/403 elsewhere; no promote, no minting"

#!/usr/bin/env bash
# Pushed paths that collide with what the agent's work tree holds, with the
# real git: an untracked file the agent made is committed first and kept
# beside the pushed directory, and file/directory and link/file conflicts
# keep both sides in the work tree as PATH~agent or PATH~pushed.
# Unexpected failures are JSON 500s.
source "$(dirname "$0")/lib.sh"
start_server

# session NAME: starts a session; sets id, wd, url and a clone in $WORK/NAME.
session() {
  local s
  s=$(api POST /api/v1/sessions "{\"task\":\"collide\",\"name\":\"$1\"}")
  id=$(echo "$s" | json_get id)
  wd=$(echo "$s" | json_get workdir)
  url=$(echo "$s" | json_get clone_url)
  git clone -q "$url" "$WORK/$1"
}
tip() { git ls-remote "$url" refs/heads/main | cut -f1; }
head_of() { api GET "/api/v1/sessions/$id" | json_get head; }
# status_of METHOD PATH [JSON]: the status code; the body in $WORK/body.json.
status_of() {
  local args=(-s -o "$WORK/body.json" -w '%{http_code}' -X "$1")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' -d "$3")
  curl "${args[@]}" "$BASE$2" || true
}
body() { cat "$WORK/body.json"; }
checkpoint() { api POST "/api/v1/sessions/$id/checkpoint" "{\"tool\":\"Edit\",\"summary\":\"$1\"}"; }

# ---- an untracked file the agent made where a push puts a directory -------------
session mine
echo "agent notes" >"$wd/notes"
git -C "$WORK/mine" pull -q
commit_file "$WORK/mine" notes/todo.txt "pushed todo"
git -C "$WORK/mine" push -q origin main
pushed=$(git -C "$WORK/mine" rev-parse HEAD)
r=$(checkpoint "wrote notes")
assert_eq committed "$(echo "$r" | json_get result)" "checkpoint result"
assert_eq notes "$(echo "$r" | json_get changed)" "the agent's file is its change"
assert_eq "notes,notes~agent" "$(echo "$r" | json_get conflicts)" "conflicts"
assert_eq "pushed todo" "$(cat "$wd/notes/todo.txt")" "the pushed file in the work tree"
assert_eq "agent notes" "$(cat "$wd/notes~agent")" "the agent's file beside it"
git -C "$WORK/mine" pull -q
assert_eq "agent notes" "$(cat "$WORK/mine/notes~agent")" "the agent's file in the merged tip"
assert_eq "$pushed" "$(git -C "$WORK/mine" rev-parse HEAD^2)" "the merge's second parent is the push"
assert_eq "agent notes" "$(git -C "$WORK/mine" show HEAD^1:notes)" "the agent's commit holds its file"
pass "an untracked file of the agent's in the way of a pushed directory: committed, kept as notes~agent"

# ---- a link the agent retargets against a directory pushed in its place -----------
session links
ln -s a "$wd/docs"
checkpoint "docs link" >/dev/null
git -C "$WORK/links" pull -q
git -C "$WORK/links" rm -q docs
commit_file "$WORK/links" docs/evil.txt "pushed evil"
git -C "$WORK/links" push -q origin main
pushed=$(git -C "$WORK/links" rev-parse HEAD)
rm "$wd/docs" && ln -s b "$wd/docs"
r=$(checkpoint "retarget docs")
assert_eq "docs,docs~agent" "$(echo "$r" | json_get conflicts)" "conflicts"
assert_eq "pushed evil" "$(cat "$wd/docs/evil.txt")" "the pushed directory in the work tree"
assert_eq b "$(readlink "$wd/docs~agent")" "the agent's link beside it"
git -C "$WORK/links" pull -q
assert_eq "pushed evil" "$(cat "$WORK/links/docs/evil.txt")" "the pushed file in the merged tip"
assert_eq b "$(readlink "$WORK/links/docs~agent")" "the agent's link in the merged tip"
git -C "$WORK/links" log -1 --format=%B | grep -q "docs~agent" || fail "the merge message names docs~agent"
pass "link against directory: the directory stays, the agent's link is kept as docs~agent"

# ---- a file changed into a link: listed once; against a pushed edit ---------------
echo "plain" >"$wd/kind"
checkpoint "kind file" >/dev/null
rm "$wd/kind" && ln -s target "$wd/kind"
r=$(checkpoint "kind link")
assert_eq kind "$(echo "$r" | json_get changed)" "a type change is one changed path"
rm "$wd/kind" && echo "plain again" >"$wd/kind"
r=$(checkpoint "kind file again")
assert_eq kind "$(echo "$r" | json_get changed)" "a type change back is one changed path"
git -C "$WORK/links" pull -q
echo "person edit" >"$WORK/links/kind"
git -C "$WORK/links" commit -q -am "person edits kind"
git -C "$WORK/links" push -q origin main
rm "$wd/kind" && ln -s elsewhere "$wd/kind"
r=$(checkpoint "kind link again")
assert_eq "kind,kind~agent" "$(echo "$r" | json_get conflicts)" "link against file: conflicts"
[ ! -L "$wd/kind" ] || fail "the regular file should keep the path"
assert_eq "person edit" "$(cat "$wd/kind")" "the pushed file at the path"
assert_eq elsewhere "$(readlink "$wd/kind~agent")" "the agent's link beside it"
pass "type changes: one entry in changed; link against file keeps both (kind, kind~agent)"

# ---- a directory of the agent's against a pushed file -----------------------------
mkdir -p "$wd/res" && echo "agent a" >"$wd/res/a.txt"
git -C "$WORK/links" pull -q
commit_file "$WORK/links" res "pushed res"
git -C "$WORK/links" push -q origin main
r=$(checkpoint "res dir")
assert_eq "res,res~pushed" "$(echo "$r" | json_get conflicts)" "directory against file: conflicts"
assert_eq "agent a" "$(cat "$wd/res/a.txt")" "the agent's directory stays"
assert_eq "pushed res" "$(cat "$wd/res~pushed")" "the pushed file beside it"
git --git-dir="$DATA/repos/links.git" fsck --strict --no-progress --no-dangling || fail "fsck"
pass "directory against pushed file: the pushed file is kept as res~pushed"

# ---- an unexpected failure is a JSON 500, and the server carries on ---------------
meta=$DATA/sessions/$id.json
mv "$meta" "$WORK/meta.json"
mkdir -p "$meta/x"  # the session file cannot be saved
code=$(status_of POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Read","summary":"cannot save"}')
assert_eq 500 "$code" "checkpoint whose session file cannot be written: $(body)"
assert_eq INTERNAL_ERROR "$(body | json_get code)" "error code"
[ -n "$(body | json_get error)" ] || fail "no error text: $(body)"
! grep -q "$DATA" "$WORK/body.json" || fail "a server path in the answer: $(body)"
wait_for_log "api POST /api/v1/sessions/$id/checkpoint failed" || fail "the failure was not logged"
rm -r "$meta" && mv "$WORK/meta.json" "$meta"
assert_alive
pass "an unexpected failure is a logged JSON 500 without server paths"

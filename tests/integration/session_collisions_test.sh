#!/usr/bin/env bash
# Pushed paths that collide with what the agent's work tree holds, with the
# real git: an ignored file or directory in the way is replaced (as git
# checkout does), an untracked file the agent made is committed first and
# kept beside the pushed directory, something neither recorded nor ignored
# refuses the turn with 409 and leaves everything as it was, and file/
# directory and link/file conflicts keep both sides in the work tree as
# PATH~agent or PATH~pushed. Every call answers (no dropped connections),
# unexpected failures are JSON 500s.
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

# ---- an ignored file where a push puts a directory ----------------------------
session ign
printf 'out\n' >"$wd/.gitignore"
checkpoint "ignore out" >/dev/null
echo "build output" >"$wd/out"
git -C "$WORK/ign" pull -q
mkdir -p "$WORK/ign/out" && echo "pushed into out/" >"$WORK/ign/out/x.txt"
git -C "$WORK/ign" add -f out/x.txt && git -C "$WORK/ign" commit -q -m "out is a directory now"
git -C "$WORK/ign" push -q origin main
pushed=$(git -C "$WORK/ign" rev-parse HEAD)
code=$(status_of POST "/api/v1/sessions/$id/sync")
assert_eq 200 "$code" "sync over an ignored file: $(body)"
assert_eq synced "$(body | json_get result)" "sync result"
assert_eq out/x.txt "$(body | json_get incoming)" "sync incoming"
assert_eq "pushed into out/" "$(cat "$wd/out/x.txt")" "the pushed file in the work tree"
assert_eq "$pushed" "$(head_of)" "the session head is the pushed commit"
assert_eq "$pushed" "$(tip)" "the branch gained no commit"
assert_eq no-op "$(api POST "/api/v1/sessions/$id/sync" | json_get result)" "a second sync"
assert_eq "$pushed" "$(tip)" "a second sync adds no commit"
pass "an ignored file in the way of a pushed directory is replaced; head and branch agree"

# ---- an ignored directory where a push puts a file -----------------------------
session igndir
printf 'build/\n' >"$wd/.gitignore"
checkpoint "ignore build/" >/dev/null
mkdir -p "$wd/build/sub" && echo obj >"$wd/build/sub/out.o" && ln -s /etc "$wd/build/etc-link"
git -C "$WORK/igndir" pull -q
commit_file "$WORK/igndir" build "build is a file now"
git -C "$WORK/igndir" push -q origin main
pushed=$(git -C "$WORK/igndir" rev-parse HEAD)
r=$(checkpoint "after the push")
assert_eq build "$(echo "$r" | json_get incoming)" "checkpoint incoming"
[ -f "$wd/build" ] && [ ! -L "$wd/build" ] || fail "build should be the pushed file: $(ls -la "$wd")"
assert_eq "build is a file now" "$(cat "$wd/build")" "the pushed file"
[ -e /etc/hostname ] || fail "removing the ignored directory went through its symlink"
assert_eq "$pushed" "$(git -C "$WORK/igndir" fetch -q && git -C "$WORK/igndir" rev-parse origin/main^)" \
  "the checkpoint is recorded on top of the pushed commit"
assert_eq "$(tip)" "$(head_of)" "session head is the branch tip"
pass "an ignored directory in the way of a pushed file is replaced"

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

# ---- something neither recorded nor ignored: 409, nothing moves -----------------
session blocked
mkfifo "$wd/pipe"
before_head=$(head_of)
git -C "$WORK/blocked" pull -q
mkdir -p "$WORK/blocked/pipe"
echo early >"$WORK/blocked/a-early.txt"
echo late >"$WORK/blocked/pipe/x.txt"
git -C "$WORK/blocked" add a-early.txt pipe/x.txt && git -C "$WORK/blocked" commit -q -m "pipe is a directory"
git -C "$WORK/blocked" push -q origin main
pushed=$(git -C "$WORK/blocked" rev-parse HEAD)
for call in sync checkpoint; do
  if [ $call = sync ]; then code=$(status_of POST "/api/v1/sessions/$id/sync")
  else code=$(status_of POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Read","summary":"blocked"}'); fi
  assert_eq 409 "$code" "$call over a fifo: $(body)"
  assert_eq WORKTREE_BLOCKED "$(body | json_get code)" "$call error code"
  body | json_get error | grep -q "^pipe " || fail "the error should name the path: $(body)"
  assert_eq "$pushed" "$(tip)" "$call: the branch gained no commit"
  assert_eq "$before_head" "$(head_of)" "$call: the session head stays"
  [ -p "$wd/pipe" ] || fail "$call: the fifo was removed"
  [ ! -e "$wd/a-early.txt" ] || fail "$call: the half-applied push was not put back"
done
rm "$wd/pipe"
r=$(api POST "/api/v1/sessions/$id/sync")
assert_eq synced "$(echo "$r" | json_get result)" "sync once the fifo is gone"
assert_eq "late" "$(cat "$wd/pipe/x.txt")" "the push reached the work tree"
assert_eq "$pushed" "$(head_of)" "head after the sync"
pass "a fifo in the way: 409 WORKTREE_BLOCKED, branch, head and work tree unchanged; fine once removed"

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

# ---- the work tree is updated before the branch moves -----------------------------
# A lock file holds the branch as a push would: the checkpoint updates the
# work tree, cannot move the branch, and after its retries puts the work
# tree back as it was (409 BUSY, nothing moved).
session order
bare=$DATA/repos/order.git
commit_file "$WORK/order" p1.txt "pushed one"
git -C "$WORK/order" push -q origin main
p1=$(git -C "$WORK/order" rev-parse HEAD)
commit_file "$WORK/order" p2.txt "pushed two"
git -C "$WORK/order" push -q origin HEAD:refs/heads/side
p2=$(git -C "$WORK/order" rev-parse HEAD)
echo "agent work" >"$wd/a.txt"
before_head=$(head_of)
[ -f "$bare/refs/heads/main" ] || fail "expected a loose ref for main"
echo "$p2" >"$bare/refs/heads/main.lock"
code=$(status_of POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"locked out"}')
assert_eq 409 "$code" "checkpoint while the branch is locked: $(body)"
assert_eq BUSY "$(body | json_get code)" "error code"
assert_eq "$p1" "$(git --git-dir="$bare" rev-parse refs/heads/main)" "the branch did not move"
assert_eq "$before_head" "$(head_of)" "the session head did not move"
[ ! -e "$wd/p1.txt" ] || fail "the work tree kept the merge the branch never got"
assert_eq "agent work" "$(cat "$wd/a.txt")" "the agent's file after the failed turn"
pass "a turn whose branch cannot move puts the work tree back (409 BUSY)"

# The branch moves (to p2, as a push holding the lock would) after the work
# tree took the merge with p1: the retry merges again and updates the work
# tree from the first result.
curl -s -o "$WORK/order.json" -X POST -H 'Content-Type: application/json' \
  -d '{"tool":"Write","summary":"raced"}' "$BASE/api/v1/sessions/$id/checkpoint" &
cp_pid=$!
for _ in $(seq 1 500); do [ -e "$wd/p1.txt" ] && break; sleep 0.005; done
[ -e "$wd/p1.txt" ] || fail "the work tree did not take the merge before the branch moved"
assert_eq "$p1" "$(git --git-dir="$bare" rev-parse refs/heads/main)" "the branch before the lock is released"
mv "$bare/refs/heads/main.lock" "$bare/refs/heads/main"
wait "$cp_pid"
r=$(cat "$WORK/order.json")
assert_eq committed "$(echo "$r" | json_get result)" "the raced checkpoint: $r"
assert_eq "p1.txt,p2.txt" "$(echo "$r" | json_get incoming)" "the raced checkpoint's incoming"
m=$(echo "$r" | json_get commit)
assert_eq "$m" "$(git --git-dir="$bare" rev-parse refs/heads/main)" "the branch is the checkpoint's merge"
assert_eq "$p2" "$(git --git-dir="$bare" rev-parse "$m^2")" "merged with the new tip"
assert_eq "$m" "$(head_of)" "the session head"
assert_eq "pushed two" "$(cat "$wd/p2.txt")" "the work tree has the new tip's file"
assert_eq "agent work" "$(cat "$wd/a.txt")" "the agent's file"
git --git-dir="$bare" fsck --strict --no-progress --no-dangling >/dev/null || fail "fsck"
pass "a push between the work tree update and the branch move: merged again, work tree follows"

#!/usr/bin/env bash
# The seed's story end to end: a session starts, the agent writes and
# checkpoints, a person clones, pushes instructions that reach the work tree
# at the next checkpoint, reverts the agent's commit and sees the work tree
# follow; then conflicts, idempotent call ids, on-change mode, the files API,
# log and diff, and a restart.
source "$(dirname "$0")/lib.sh"
start_server

s=$(api POST /api/v1/sessions '{"task":"Analyze sales data","name":"agent-research"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
url=$(echo "$s" | json_get clone_url)
[ -d "$wd" ] || fail "no work tree at $wd"
[ ! -e "$wd/.git" ] || fail "the work tree has a .git"
assert_eq "$BASE/repos/agent-research.git" "$url" "clone_url"
git clone -q "$url" "$WORK/person"
assert_eq "Initial task: Analyze sales data" "$(git -C "$WORK/person" log -1 --format=%s)" "first commit"
pass "session start"

echo "# Sales report" >"$wd/report.md"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"Created report.md","call_id":"call-1"}')
assert_eq committed "$(echo "$r" | json_get result)" "checkpoint result"
assert_eq report.md "$(echo "$r" | json_get changed)" "changed"
c1=$(echo "$r" | json_get commit)
git -C "$WORK/person" pull -q
assert_eq "[Write] Created report.md" "$(git -C "$WORK/person" log -1 --format=%s)" "commit message"
body=$(git -C "$WORK/person" log -1 --format=%B)
grep -q "^Agent-Session: $id$" <<<"$body" || fail "Agent-Session trailer"
grep -q "^Tool-Call: call-1$" <<<"$body" || fail "Tool-Call trailer"
cmp "$wd/report.md" "$WORK/person/report.md" || fail "cloned report.md differs"
assert_eq "agent <agent@agentgit.localhost>" "$(git -C "$WORK/person" log -1 --format='%an <%ae>')" "default author"
assert_eq "agentgit <agentgit@localhost>" "$(git -C "$WORK/person" log -1 --format='%cn <%ce>')" "default committer"
pass "agent writes and checkpoints; a person clones and sees it"

r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"Created report.md","call_id":"call-1"}')
assert_eq "$c1" "$(echo "$r" | json_get commit)" "a repeated call_id returns the earlier commit"
assert_eq "$c1" "$(git ls-remote "$url" refs/heads/main | cut -f1)" "a repeated call_id makes no commit"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Read","summary":"Read input data"}')
assert_eq committed "$(echo "$r" | json_get result)" "a read-only call is recorded"
git -C "$WORK/person" pull -q
assert_eq "[Read] Read input data" "$(git -C "$WORK/person" log -1 --format=%s)" "empty commit for a read-only call"
pass "call ids are idempotent; read-only calls are empty commits"

echo "Focus on cost analysis" >"$WORK/person/instructions.md"
git -C "$WORK/person" add instructions.md
git -C "$WORK/person" commit -q -m "Added instructions"
git -C "$WORK/person" push -q origin main
pushed=$(git -C "$WORK/person" rev-parse HEAD)
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Bash","summary":"Ran analysis"}')
assert_eq instructions.md "$(echo "$r" | json_get incoming)" "incoming"
cmp "$WORK/person/instructions.md" "$wd/instructions.md" || fail "pushed instructions.md did not reach the work tree"
# A clean work tree fast-forwards: the tool call is recorded right on top
# of the pushed commit, no merge.
c=$(echo "$r" | json_get commit)
assert_eq "$c $pushed" "$(git --git-dir="$DATA/repos/agent-research.git" rev-list --parents -n 1 "$c")" \
  "a clean work tree: the checkpoint's only parent is the pushed commit"
pass "a pushed file reaches the work tree at the next checkpoint (fast-forward, no merge)"

echo "more findings" >>"$wd/report.md"
api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Edit","summary":"Bad edit"}' >/dev/null
git -C "$WORK/person" pull -q
git -C "$WORK/person" revert --no-edit HEAD >/dev/null
git -C "$WORK/person" push -q origin main
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Read","summary":"Looked again"}')
assert_eq "# Sales report" "$(cat "$wd/report.md")" "the revert reached the work tree"
git -C "$WORK/person" pull -q
git -C "$WORK/person" revert --no-edit "$(git -C "$WORK/person" log --grep="Added instructions" --format=%H)" >/dev/null
git -C "$WORK/person" push -q origin main
r=$(api POST "/api/v1/sessions/$id/sync")
[ ! -e "$wd/instructions.md" ] || fail "reverting the instructions commit did not remove the file"
# Nothing of the agent's to keep: the session head is the pushed commit itself.
assert_eq "$(git -C "$WORK/person" rev-parse HEAD)" "$(echo "$r" | json_get commit)" "sync of a clean work tree: head"
assert_eq "$(git -C "$WORK/person" rev-parse HEAD)" "$(git ls-remote "$url" refs/heads/main | cut -f1)" \
  "sync of a clean work tree adds no commit"
pass "git revert && git push: the work tree follows"

# A conflict: both sides change the same line.
git -C "$WORK/person" pull -q
echo "agent version" >"$wd/report.md"
echo "person version" >"$WORK/person/report.md"
git -C "$WORK/person" commit -q -am "person edits the report"
git -C "$WORK/person" push -q origin main
person_commit=$(git -C "$WORK/person" rev-parse HEAD)
head_before=$(api GET "/api/v1/sessions/$id" | json_get head)
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Edit","summary":"agent edits the report"}')
assert_eq report.md "$(echo "$r" | json_get conflicts)" "conflicts"
# A dirty work tree: the agent's snapshot commit on the old head, then a
# merge of it with the pushed commit.
m=$(echo "$r" | json_get commit)
bare=$DATA/repos/agent-research.git
snapshot_commit=$(git --git-dir="$bare" rev-parse "$m^1")
assert_eq "$m $snapshot_commit $person_commit" "$(git --git-dir="$bare" rev-list --parents -n 1 "$m")" \
  "a dirty work tree: a merge of the agent's commit and the pushed one"
assert_eq "$snapshot_commit $head_before" "$(git --git-dir="$bare" rev-list --parents -n 1 "$snapshot_commit")" \
  "the agent's snapshot commit is on the old head"
assert_eq "[Edit] agent edits the report" "$(git --git-dir="$bare" log -1 --format=%s "$snapshot_commit")" \
  "the agent's snapshot commit is the tool call"
grep -q "^<<<<<<<" "$wd/report.md" && grep -q "agent version" "$wd/report.md" && grep -q "person version" "$wd/report.md" \
  || fail "conflict markers with both sides expected: $(cat "$wd/report.md")"
git -C "$WORK/person" pull -q
git -C "$WORK/person" merge-base --is-ancestor "$person_commit" HEAD || fail "the person's commit is not in history"
# (no `git log | grep -q` under pipefail: grep's early exit fails git log)
agent_commit=$(git -C "$WORK/person" log --format=%H --grep="agent edits the report")
[ -n "$agent_commit" ] || fail "the agent's commit is not in history"
assert_eq "agent version" "$(git -C "$WORK/person" show "$agent_commit:report.md")" "the agent's version in history"
pass "conflict: markers in the work tree, both sides in history"

# Files API: binary-safe, confined to the tree.
head -c 5000 /dev/urandom >"$WORK/blob.bin"
assert_eq 200 "$(http_status PUT "/api/v1/sessions/$id/files/data/blob.bin" --data-binary "@$WORK/blob.bin")" "PUT file"
cmp "$WORK/blob.bin" "$wd/data/blob.bin" || fail "PUT wrote different bytes"
curl -s "$BASE/api/v1/sessions/$id/files/data/blob.bin" -o "$WORK/got.bin"
cmp "$WORK/blob.bin" "$WORK/got.bin" || fail "GET returned different bytes"
ln -s /etc "$wd/escape"
ln -s /etc/passwd "$wd/passwd-link"
for p in "escape/hostname" "passwd-link" "../outside" "%2e%2e/outside" "a/%2e%2e/%2e%2e/outside" ".git/config" \
         "sub/.git/x" ".GIT/x" "a%5cb" "a%00b"; do
  for m in PUT GET DELETE; do
    # Deleting a link inside the tree is fine (it removes the link only).
    [ "$m $p" = "DELETE passwd-link" ] && continue
    code=$(http_status $m "/api/v1/sessions/$id/files/$p" --path-as-is -d "pwned")
    assert_eq 400 "$code" "$m files/$p"
  done
done
[ -L "$wd/escape" ] && [ -L "$wd/passwd-link" ] || fail "a refused DELETE removed a link"
[ ! -e "$WORK/outside" ] && [ ! -e "$DATA/work/outside" ] || fail "a write escaped the work tree"
grep -q pwned /etc/hostname /etc/passwd && fail "a write went through a symlink"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Bash","summary":"made links"}')
git -C "$WORK/person" pull -q
assert_eq "/etc" "$(readlink "$WORK/person/escape")" "a symlink is stored as a link"
[ -L "$WORK/person/passwd-link" ] || fail "passwd-link should be a link in the repo"
assert_eq '{"path":"data/blob.bin","result":"deleted"}' "$(curl -s -X DELETE "$BASE/api/v1/sessions/$id/files/data/blob.bin")" "DELETE file"
[ ! -e "$wd/data" ] || fail "DELETE left the file or its empty directory"
# Gone already: a retried DELETE is a 200 no-op, not a 404.
assert_eq 200 "$(http_status DELETE "/api/v1/sessions/$id/files/data/blob.bin")" "DELETE a missing file"
pass "files API: binary-safe, hostile paths refused, symlinks stored as links"

# .gitignore is honoured.
printf 'build/\n*.log\n' >"$wd/.gitignore"
mkdir -p "$wd/build" && echo x >"$wd/build/out.o" && echo y >"$wd/debug.log" && echo z >"$wd/kept.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Bash","summary":"built"}')
git -C "$WORK/person" pull -q
[ -e "$WORK/person/kept.txt" ] && [ ! -e "$WORK/person/debug.log" ] && [ ! -e "$WORK/person/build" ] \
  || fail ".gitignore not honoured"
pass ".gitignore honoured"

# Log and diff.
log=$(api GET "/api/v1/sessions/$id/log?limit=3")
echo "$log" | grep -q '"summary":"\[Bash\] built"' || fail "log: $log"
d=$(api GET "/api/v1/sessions/$id/diff")
echo "$d" | grep -q "kept.txt" || fail "diff of the last commit: $d"
# from/to take git's revision names, resolved in the session's repo.
assert_eq "$d" "$(api GET "/api/v1/sessions/$id/diff?from=HEAD~1&to=HEAD")" "diff HEAD~1..HEAD"
short=$(git -C "$WORK/person" rev-parse --short=12 HEAD~1)
assert_eq "$d" "$(api GET "/api/v1/sessions/$id/diff?from=$short&to=main")" "diff from a short id to a branch name"
assert_eq "$d" "$(api GET "/api/v1/sessions/$id/diff?to=main%5E%7Bcommit%7D")" "diff of main^{commit} (encoded)"
d2=$(api GET "/api/v1/sessions/$id/diff?from=HEAD~2&to=HEAD" | json_get patch)
grep -q "b/kept.txt" <<<"$d2" && grep -q "b/escape" <<<"$d2" || fail "diff over two commits: $d2"
! grep -q "b/escape" <<<"$(echo "$d" | json_get patch)" || fail "the last commit's diff has the links"
for bad in "HEAD%3Areport.md" "HEAD%5E%7Btree%7D" "HEAD%5E%7B%2Fbuilt%7D" "HEAD..main" "%3A%2Fbuilt" "a%20b" \
           "$(printf 'a%.0s' $(seq 1 201))"; do
  assert_eq 400 "$(http_status GET "/api/v1/sessions/$id/diff?from=$bad")" "diff from=$bad"
done
for missing in nope HEAD~999 0000000000000000000000000000000000000000; do
  assert_eq 404 "$(http_status GET "/api/v1/sessions/$id/diff?to=$missing")" "diff to=$missing"
done
grep -q '"code":"REVISION_NOT_FOUND"' <<<"$(curl -s "$BASE/api/v1/sessions/$id/diff?to=nope")" || fail "404 code"
pass "log and diff (from/to: HEAD~1, branch names, short ids; 400 for other syntax, 404 for unknown)"

# A session can start from an existing repo's branch.
create_repo template
git clone -q "$BASE/repos/template.git" "$WORK/tpl"
commit_file "$WORK/tpl" src/main.py "print('hello')"
git -C "$WORK/tpl" push -q origin main:feature
s3=$(api POST /api/v1/sessions '{"task":"extend it","from":{"repo":"template","branch":"feature"}}')
assert_eq feature "$(echo "$s3" | json_get branch)" "branch of a session started from a repo"
assert_eq "print('hello')" "$(cat "$(echo "$s3" | json_get workdir)/src/main.py")" "work tree of a copied session"
assert_eq "$(git -C "$WORK/tpl" rev-parse HEAD)" "$(echo "$s3" | json_get head)" "head of a copied session"
assert_eq 404 "$(http_status POST /api/v1/sessions -H 'Content-Type: application/json' -d '{"task":"x","from":{"repo":"nope"}}')" \
  "from an unknown repo"
# A commit of another repo is no revision of this session's.
assert_eq 404 "$(http_status GET "/api/v1/sessions/$id/diff?to=$(git -C "$WORK/tpl" rev-parse HEAD)")" \
  "diff to another repo's commit"
pass "a session started from an existing repo's branch"

# on-change mode records only calls that change something.
s2=$(api POST /api/v1/sessions '{"task":"quiet","commit_mode":"on-change"}')
id2=$(echo "$s2" | json_get id)
r=$(api POST "/api/v1/sessions/$id2/checkpoint" '{"tool":"Read","summary":"nothing"}')
assert_eq no-op "$(echo "$r" | json_get result)" "on-change: unchanged tree is a no-op"
pass "on-change mode"

# Sessions and history survive a restart.
head_before=$(git ls-remote "$url" refs/heads/main | cut -f1)
stop_server
start_server
assert_eq active "$(api GET "/api/v1/sessions/$id" | json_get state)" "session state after restart"
echo "after restart" >"$wd/after.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"after restart"}')
assert_eq after.txt "$(echo "$r" | json_get changed)" "first checkpoint after a restart"
git clone -q "$BASE/repos/agent-research.git" "$WORK/after"
git -C "$WORK/after" merge-base --is-ancestor "$head_before" HEAD || fail "history lost over the restart"
pass "sessions survive a restart"

api DELETE "/api/v1/sessions/$id" >/dev/null
[ ! -e "$wd" ] || fail "ending a session leaves its work tree"
assert_eq ended "$(api GET "/api/v1/sessions/$id" | json_get state)" "ended state"
git ls-remote "$BASE/repos/agent-research.git" >/dev/null || fail "the repo should stay after the session ends"
api DELETE "/api/v1/sessions/$id2?purge=true" >/dev/null
assert_eq 404 "$(http_status GET "/api/v1/sessions/$id2")" "purged session"
git --git-dir="$DATA/repos/agent-research.git" fsck --strict --no-progress --no-dangling || fail "fsck"
pass "end and purge"

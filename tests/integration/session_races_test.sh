#!/usr/bin/env bash
# Checkpoints racing pushes: an agent checkpoints (one new file each,
# written straight into its work tree; at least 20, and on until the person
# is done) while a person pushes 5 commits to the session's branch,
# fetching and rebasing when a push is rejected. The person waits, after the
# last push, until the agent has checkpointed twice more, so at least one
# checkpoint takes in a push while the person is still at it. Nothing either
# side wrote may be lost: every commit in history, every file in the work
# tree and in the tip, fsck clean. And a `git fetch` watch loop sees every
# checkpoint the moment the checkpoint call returns.
source "$(dirname "$0")/lib.sh"
start_server

s=$(api POST /api/v1/sessions '{"task":"race me","name":"race"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
url=$(echo "$s" | json_get clone_url)
git clone -q "$url" "$WORK/person"
git clone -q "$url" "$WORK/watcher"

# ---- a fetch watch loop sees each checkpoint at once (nobody else pushing) --
for i in 1 2 3 4 5; do
  echo "watched $i" >"$wd/watched-$i.txt"
  r=$(api POST "/api/v1/sessions/$id/checkpoint" "{\"tool\":\"Write\",\"summary\":\"watched $i\"}")
  c=$(echo "$r" | json_get commit)
  git -C "$WORK/watcher" fetch -q origin
  assert_eq "$c" "$(git -C "$WORK/watcher" rev-parse origin/main)" "fetch right after checkpoint $i"
  assert_eq "[Write] watched $i" "$(git -C "$WORK/watcher" log -1 --format=%s origin/main)" "fetched message $i"
done
pass "a git fetch watch loop sees every checkpoint commit immediately"

# ---- the race ----------------------------------------------------------------
# The person: 5 commits, each pushed as soon as made; on rejection fetch,
# rebase and retry.
pusher() {
  local i tries
  for i in 1 2 3 4 5; do
    echo "pushed content $i" >"$WORK/person/pushed-$i.txt"
    git -C "$WORK/person" add "pushed-$i.txt"
    git -C "$WORK/person" commit -q -m "Pushed $i"
    tries=0
    until git -C "$WORK/person" push -q origin main 2>>"$WORK/push.err"; do
      tries=$((tries + 1))
      [ "$tries" -lt 50 ] || { echo "push $i: gave up after $tries tries" >>"$WORK/pusher.fail"; return 1; }
      echo "retry $i" >>"$WORK/push.retries"
      git -C "$WORK/person" pull -q --rebase origin main 2>>"$WORK/push.err" \
        || { echo "pull --rebase failed for push $i" >>"$WORK/pusher.fail"; return 1; }
    done
    echo "$(git -C "$WORK/person" rev-parse HEAD)" >>"$WORK/pushed.list"
    sleep 0.1
  done
  # Still here until two more checkpoints have started and ended: the
  # second began after the last push landed, so one of them took it in.
  local seen deadline=$((SECONDS + 60))
  seen=$(cat "$WORK/checkpoints.done")
  until [ "$(cat "$WORK/checkpoints.done")" -ge $((seen + 2)) ]; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "the agent stopped checkpointing" >>"$WORK/pusher.fail"; return 1; }
    sleep 0.02
  done
}
: >"$WORK/push.retries"
echo 0 >"$WORK/checkpoints.done"
pusher &
pusher_pid=$!

saw_incoming=0
i=0
while [ "$i" -lt 20 ] || kill -0 "$pusher_pid" 2>/dev/null; do
  i=$((i + 1))
  [ "$i" -le 300 ] || fail "the pusher did not finish within 300 checkpoints"
  echo "agent content $i" >"$wd/agent-$i.txt"
  r=$(api POST "/api/v1/sessions/$id/checkpoint" "{\"tool\":\"Write\",\"summary\":\"agent file $i\",\"call_id\":\"race-$i\"}")
  assert_eq committed "$(echo "$r" | json_get result)" "checkpoint $i result"
  echo "$r" | json_get changed | tr ',' '\n' | grep -qx "agent-$i.txt" || fail "checkpoint $i: changed lacks agent-$i.txt: $r"
  [ -n "$(echo "$r" | json_get incoming)" ] && saw_incoming=$((saw_incoming + 1))
  [ -z "$(echo "$r" | json_get conflicts)" ] || fail "checkpoint $i: unexpected conflicts: $r"
  c=$(echo "$r" | json_get commit)
  # The watcher sees this checkpoint (the person may have pushed on top since).
  git -C "$WORK/watcher" fetch -q origin
  git -C "$WORK/watcher" merge-base --is-ancestor "$c" origin/main \
    || fail "checkpoint $i: commit $c not in the fetched history"
  echo "$i" >"$WORK/checkpoints.tmp" && mv "$WORK/checkpoints.tmp" "$WORK/checkpoints.done"
  sleep 0.03
done
n=$i
wait "$pusher_pid" || fail "the pusher failed: $(cat "$WORK/pusher.fail" 2>/dev/null) $(tail -5 "$WORK/push.err")"
echo "# $n checkpoints; pushes retried $(wc -l <"$WORK/push.retries") time(s); $saw_incoming checkpoint(s) took in pushes during the race"
[ "$saw_incoming" -ge 1 ] || fail "no checkpoint took in a push while the person was pushing"
pass "$saw_incoming of $n checkpoints took in pushes while the person was pushing"

# Take in whatever was pushed last.
api POST "/api/v1/sessions/$id/sync" >/dev/null
git clone -q "$url" "$WORK/final"
final=$WORK/final
subjects=$(git -C "$final" log --format=%s)
for i in $(seq 1 "$n"); do
  count=$(grep -cxF "[Write] agent file $i" <<<"$subjects" || true)
  assert_eq 1 "$count" "commits '[Write] agent file $i' in history"
done
for i in 1 2 3 4 5; do
  count=$(grep -cxF "Pushed $i" <<<"$subjects" || true)
  assert_eq 1 "$count" "commits 'Pushed $i' in history"
done
while read -r c; do
  git -C "$final" merge-base --is-ancestor "$c" HEAD || fail "pushed commit $c is not in the final history"
done <"$WORK/pushed.list"
pass "all $((n + 5)) commits ($n checkpoints + 5 pushes) are in the final history"

for i in $(seq 1 "$n"); do
  assert_eq "agent content $i" "$(cat "$wd/agent-$i.txt")" "work tree agent-$i.txt"
  assert_eq "agent content $i" "$(git -C "$final" show "HEAD:agent-$i.txt")" "tip agent-$i.txt"
done
for i in 1 2 3 4 5; do
  [ -f "$wd/pushed-$i.txt" ] || fail "pushed-$i.txt did not reach the work tree"
  assert_eq "pushed content $i" "$(cat "$wd/pushed-$i.txt")" "work tree pushed-$i.txt"
  assert_eq "pushed content $i" "$(git -C "$final" show "HEAD:pushed-$i.txt")" "tip pushed-$i.txt"
done
count=$(git -C "$final" ls-tree --name-only HEAD | grep -cE '^(agent|pushed)-[0-9]+\.txt$' || true)
assert_eq $((n + 5)) "$count" "files of the race in the tip"
pass "all $((n + 5)) files are in the work tree and in the tip"

# The session's head is the branch tip, and the work tree matches it exactly.
assert_eq "$(git -C "$final" rev-parse HEAD)" "$(api GET "/api/v1/sessions/$id" | json_get head)" "session head"
diff -r -x .git "$final" "$wd" >/dev/null || fail "work tree differs from the tip: $(diff -r -x .git "$final" "$wd" | head -5)"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Read","summary":"after the race"}')
assert_eq "" "$(echo "$r" | json_get changed)" "nothing left uncommitted after the race"
git --git-dir="$DATA/repos/race.git" fsck --strict --no-progress --no-dangling || fail "fsck --strict"
pass "work tree equals the tip; fsck --strict clean"

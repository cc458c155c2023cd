#!/usr/bin/env bash
# Background upkeep of repos grown by checkpoints and pushes
# (server/repo_upkeep.hpp): past [git] upkeep_every, the loose objects a
# session wrote end up in a pack with a multi-pack index, a bitmap and a
# commit-graph; nothing is lost (not even an old unreachable object), the
# session goes on committing, clones and fsck are fine; pushes count too
# and run without git's own gc; upkeep_every = 0 leaves repos alone.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/upkeep.toml" <<'EOF'
[git]
upkeep_every = 20
EOF
start_server --config "$WORK/upkeep.toml"

# An upkeep may be packing while this counts: its prune of packed objects
# removes directories find has listed but not yet entered.
loose() { find "$DATA/repos/$1.git/objects" -ignore_readdir_race -path '*/objects/[0-9a-f][0-9a-f]/*' -type f | wc -l; }
upkeeps_ok() {
  curl -s "$BASE/metrics" | sed -n 's/^agentgit_repo_upkeep_seconds_count{result="ok"} //p' | grep . || echo 0
}
# wait_upkeeps N: until N upkeeps have ended well.
wait_upkeeps() {
  local i
  for i in $(seq 1 200); do
    [ "$(upkeeps_ok)" -ge "$1" ] && return 0
    sleep 0.05
  done
  fail "no upkeep number $1 (metrics say $(upkeeps_ok)); server log: $(tail -5 "$WORK/server.log")"
}

s=$(api POST /api/v1/sessions '{"task":"Grow a repo","name":"grow"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
R=/api/v1/sessions/$id
G=$DATA/repos/grow.git

# An unreachable object a month old: git gc would prune it, upkeep must not.
orphan=$(echo "written by hand, referenced by nothing" | git --git-dir="$G" hash-object -w --stdin)
touch -d '1 month ago' "$G/objects/${orphan:0:2}/${orphan:2}"

for n in $(seq 1 19); do
  echo "line $n" >>"$wd/notes.txt"
  api POST "$R/checkpoint" "{\"tool\":\"Edit\",\"summary\":\"edit $n\"}" >/dev/null
done
sleep 0.7
assert_eq 0 "$(upkeeps_ok)" "19 checkpoints are not yet worth an upkeep"
before=$(loose grow)
[ "$before" -ge 57 ] || fail "19 checkpoints should have left at least 57 loose objects, found $before"

echo "line 20" >>"$wd/notes.txt"
api POST "$R/checkpoint" '{"tool":"Edit","summary":"edit 20"}' >/dev/null
wait_upkeeps 1
# Only the loose objects nothing refers to may stay loose... and not even
# those: geometric repacking packs every loose object.
assert_eq 0 "$(loose grow)" "loose objects after the upkeep"
ls "$G"/objects/pack/multi-pack-index >/dev/null || fail "no multi-pack index"
ls "$G"/objects/pack/multi-pack-index-*.bitmap >/dev/null 2>&1 || fail "no bitmap: $(ls "$G/objects/pack")"
[ -s "$G/objects/info/commit-graphs/commit-graph-chain" ] || fail "no commit-graph: $(ls -R "$G/objects/info")"
git --git-dir="$G" cat-file -e "$orphan" || fail "the unreachable object was lost"
# git loads the bitmap and finds it right for the session's branch (its tip then).
git --git-dir="$G" rev-list --test-bitmap "refs/heads/$(git --git-dir="$G" symbolic-ref --short HEAD)" >"$WORK/bitmap" 2>&1 ||
  fail "git cannot use the bitmap: $(tail -3 "$WORK/bitmap")"
grep -q "^OK!" "$WORK/bitmap" || fail "the bitmap test: $(tail -3 "$WORK/bitmap")"
git --git-dir="$G" fsck --no-progress --strict >/dev/null 2>"$WORK/fsck" || fail "fsck after upkeep: $(cat "$WORK/fsck")"
pass "20 checkpoints: packed ($before loose objects to 0), multi-pack index with a bitmap, commit-graph, nothing lost"

# The session goes on: new commits on top of packed history.
echo "after" >"$wd/after.txt"
after=$(api POST "$R/checkpoint" '{"tool":"Write","summary":"after upkeep"}' | json_get commit)
[ -n "$after" ] || fail "no commit after the upkeep"
git clone -q "$BASE/repos/grow.git" "$WORK/clone"
assert_eq 22 "$(git -C "$WORK/clone" rev-list --count HEAD)" "commits in a clone"
assert_eq "line 1" "$(head -1 "$WORK/clone/notes.txt")" "a file in the clone"
assert_eq "$after" "$(git -C "$WORK/clone" rev-parse HEAD)" "the clone's head"
pass "the session commits on; a clone has every commit"

# Pushes count as 16: two of them make the next upkeep.
git -C "$WORK/clone" checkout -q -b people
for n in 1 2; do
  commit_file "$WORK/clone" "people-$n.txt" "from a person $n"
  git -C "$WORK/clone" push -q origin people 2>"$WORK/push.err" || fail "push $n: $(cat "$WORK/push.err")"
done
wait_upkeeps 2
assert_eq 0 "$(loose grow)" "loose objects after the pushes' upkeep"
git --git-dir="$G" fsck --no-progress >/dev/null 2>"$WORK/fsck" || fail "fsck after the pushes' upkeep: $(cat "$WORK/fsck")"
git --git-dir="$G" cat-file -e "$orphan" || fail "the unreachable object was lost to the second upkeep"
git clone -q --branch people "$BASE/repos/grow.git" "$WORK/clone2"
assert_eq "from a person 2" "$(cat "$WORK/clone2/people-2.txt")" "a pushed file in a new clone"
pass "two pushes make an upkeep; the pushed commits are served from the packs"

# A repo deleted while due is skipped, and the server is still well.
grep -q '^agentgit_repo_upkeep_due 0$' <<<"$(curl -s "$BASE/metrics")" || fail "the due gauge: $(curl -s "$BASE/metrics" | grep upkeep_due)"
grep -q "upkeep of .* failed" "$WORK/server.log" && fail "an upkeep failed: $(grep upkeep "$WORK/server.log")"

# Killed during an upkeep (or just before it): nothing lost, and the
# next start cleans up after it.
for n in $(seq 1 19); do
  echo "more $n" >>"$wd/notes.txt"
  api POST "$R/checkpoint" "{\"tool\":\"Edit\",\"summary\":\"more $n\"}" >/dev/null
done
echo "more 20" >>"$wd/notes.txt"
last=$(api POST "$R/checkpoint" '{"tool":"Edit","summary":"more 20"}' | json_get commit)
sleep 0.$((RANDOM % 6))
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
start_server --config "$WORK/upkeep.toml"
git --git-dir="$G" fsck --no-progress >/dev/null 2>"$WORK/fsck" || fail "fsck after a kill during upkeep: $(cat "$WORK/fsck")"
rm -rf "$WORK/clone3"
git clone -q "$BASE/repos/grow.git" "$WORK/clone3"
assert_eq "$last" "$(git -C "$WORK/clone3" rev-parse HEAD)" "the last checkpoint after a kill during upkeep"
# The restart finds grow.git's loose objects and packs them in the
# background: a running repack's temp files are not leftovers, so wait
# for it to end (as crash_lib does), then look.
wait_upkeep_idle || fail "upkeep still due 30 s after the restart: $(curl -s "$BASE/metrics" | grep upkeep_due)"
leftover=$(find "$G/objects" -name 'tmp_*' -o -name '.tmp-*' -o -name '*.lock' | head -3)
assert_eq "" "$leftover" "temp files after the restart"
pass "killed during an upkeep: fsck clean, the last checkpoint served, no temp files left"

# upkeep_every = 0: repos are left to git (and to pushes' own gc --auto).
stop_server
printf '[git]\nupkeep_every = 0\n' >"$WORK/off.toml"
start_server --config "$WORK/off.toml"
s=$(api POST /api/v1/sessions '{"task":"No upkeep","name":"still"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
for n in $(seq 1 25); do
  echo "line $n" >>"$wd/notes.txt"
  api POST "/api/v1/sessions/$id/checkpoint" "{\"tool\":\"Edit\",\"summary\":\"edit $n\"}" >/dev/null
done
sleep 0.7
[ "$(loose still)" -ge 75 ] || fail "upkeep_every = 0 still packed: $(loose still) loose objects"
grep -q 'agentgit_repo_upkeep_seconds_count' <<<"$(curl -s "$BASE/metrics")" && fail "an upkeep ran with upkeep_every = 0"
pass "upkeep_every = 0: no upkeep"

# What a restart would forget: a repo found with loose objects (here, 75
# of them from upkeep_every = 0) is due as soon as upkeep is back on.
stop_server
start_server --config "$WORK/upkeep.toml"
for _ in $(seq 1 200); do [ "$(loose still)" = 0 ] && break; sleep 0.05; done
assert_eq 0 "$(loose still)" "loose objects of the repo found at start-up"
git --git-dir="$DATA/repos/still.git" fsck --no-progress >/dev/null 2>"$WORK/fsck" || fail "fsck: $(cat "$WORK/fsck")"
pass "a repo found at start-up with loose objects past upkeep_every gets its upkeep"

# The kill -9 loop behind crash_test.sh (a few rounds) and scripts/crashloop
# (many): source it after lib.sh, call crash_setup once, then crash_rounds N
# and crash_summary.
#
# Each round SIGKILLs the server twice at a random moment:
#   1. during a push of a commit with a few MB of random data: the delay is
#      drawn over the duration of an unkilled push of the same size, so the
#      kill lands before, during and after the push;
#   2. during a session checkpoint of a batch of new files in the work tree
#      (replacing the previous round's), the delay drawn over the duration
#      of the last checkpoint that did the same work unkilled.
# After each kill the server is restarted at once on the same data
# directory, as a supervisor would, and what a user relies on is checked:
#   - git children of the dead server (in process groups of their own, so
#     the SIGKILL does not reach them) end on their own;
#   - no lock file, quarantine directory or temporary pack is left;
#   - `git fsck --strict` is clean;
#   - the ref holds its old or its new value, and a push git reported as
#     done (exit 0) is never lost: its commit is the ref's value;
#   - a checkpoint answered with 200 and a commit is in the session's log
#     and its call id still returns that commit; the next checkpoint works,
#     and the work tree and the commit hold the files as written;
#   - the next push works.
# CRASH_KEEP_GOING=1 (scripts/crashloop) counts violations and goes on;
# otherwise the first one fails the test.

CRASH_REPO=crash
CRASH_PUSH_MB=${CRASH_PUSH_MB:-6}
CRASH_FILES=${CRASH_FILES:-500}
if [ "${AGENTGIT_SANITIZED:-0}" = 1 ] || [ "${AGENTGIT_SANITIZED:-}" = ON ]; then
  CRASH_PUSH_MB=${CRASH_PUSH_MB_SANITIZED:-4}
  CRASH_FILES=${CRASH_FILES_SANITIZED:-300}
fi
CLIENT=$WORK/client
EXPECTED=$WORK/expected     # every batch of files written to the work tree, as written
PUSH_SECS=""
CKPT_SECS=""
SID=""
SWD=""
SREPO=""

# Counters for the summary.
n_rounds=0
n_push_acked=0
n_push_landed=0     # not acknowledged, but the ref moved (the kill came after the update)
n_push_lost=0
n_ckpt_acked=0
n_ckpt_lost=0
n_fsck_failures=0
n_leftovers=0       # lock files, quarantine dirs, temp packs left after restart
n_orphans=0         # rounds where git children outlived the killed server
n_stuck=0           # ... and did not end on their own
n_other=0           # anything else that broke (a later push or checkpoint failed)

# violation COUNTER MESSAGE: counts it; fails at once unless CRASH_KEEP_GOING=1.
violation() {
  eval "$1=\$(( $1 + 1 ))"
  echo "  VIOLATION: $2" >&2
  [ "${CRASH_KEEP_GOING:-0}" = 1 ] || fail "$2"
}

# A random delay in seconds, uniform over 0 .. 1.5 x $1.
random_delay() {
  awk -v r="$RANDOM" -v t="$1" 'BEGIN { printf "%.3f", r / 32767 * t * 1.5 }'
}

seconds_since() {  # EPOCHREALTIME at the start
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}

kill_server() {
  kill -KILL "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

bare() { echo "$DATA/repos/$1.git"; }

ref_of() {  # REPO REF: its value in the bare repo, read without the server
  git --git-dir "$(bare "$1")" rev-parse -q --verify "$2" 2>/dev/null || echo none
}

# A commit on top of the client's HEAD adding $CRASH_PUSH_MB MB of random data.
make_payload_commit() {  # NAME
  head -c $((CRASH_PUSH_MB * 1024 * 1024)) /dev/urandom >"$CLIENT/$1.bin"
  git -C "$CLIENT" add "$1.bin"
  git -C "$CLIENT" commit -q -m "payload $1"
}

# $CRASH_FILES new files in directory b$1 of the work tree (and of
# $EXPECTED), replacing the previous round's: the tree stays the same size
# however many rounds run (b0, from the set-up, stays).
write_batch() {  # ROUND
  if [ "$1" -gt 1 ]; then rm -rf "$EXPECTED/b$(($1 - 1))" "$SWD/b$(($1 - 1))"; fi
  /usr/bin/python3 - "$EXPECTED/b$1" "$1" "$CRASH_FILES" <<'PY'
import os, sys
root, rnd, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 20))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%04d.txt" % i), "w") as f:
        f.write(("round %s, file %d: %s\n" % (rnd, i, os.urandom(8).hex())) * 8)
PY
  cp -r "$EXPECTED/b$1" "$SWD/b$1"
}

checkpoint_call() {  # OUT-PREFIX JSON: POST .../checkpoint; status in OUT.code, body in OUT.json
  curl -s -o "$1.json" -w '%{http_code}' --max-time 120 -X POST -H 'Content-Type: application/json' -d "$2" \
    "$BASE/api/v1/sessions/$SID/checkpoint" >"$1.code" 2>/dev/null || true
}

# Kills the server, restarts it at once on the same data (as a supervisor
# would) and waits for git children of the dead server, if any, to end on
# their own (their pipes to the server are gone) within $1 seconds: only
# then is what is on disk final.
crash_restart() {
  local left waits note=""
  kill_server
  left=$(children_in_data)
  waits=$(grep -c "left by a previous server" "$WORK/server.log" || true)
  start_server --listen "127.0.0.1:$PORT"   # the same address: clients keep their URLs
  [ -n "$left" ] || return 0
  n_orphans=$((n_orphans + 1))
  # (The restarted server waits for them before it cleans up, if they are
  # still there when it looks.)
  [ "$(grep -c "left by a previous server" "$WORK/server.log" || true)" = "$waits" ] ||
    note="; the restarted server waited for them"
  echo "  git children outlived the server: $(echo "$left" | awk '{print $2, $3}' | sort | uniq -c | paste -sd, | tr -s ' ')$note"
  for _ in $(seq 1 $(( $1 * 10 ))); do
    [ -z "$(children_in_data)" ] && return 0
    sleep 0.1
  done
  violation n_stuck "git children still running ${1} s after the server was killed: $(children_in_data)"
}

# What a crash must never leave behind in a repo, and fsck.
check_repo() {  # REPO
  local dir left
  dir=$(bare "$1")
  # A running upkeep's temp files are not leftovers (one still running
  # after 30 s would leave its files to the check below).
  wait_upkeep_idle || true
  left=$(find "$dir" \( -name '*.lock' -o -name 'tmp_objdir-*' -o -name 'incoming-*' -o -name 'tmp_pack_*' \
    -o -name '.tmp-*' -o -name 'tmp_graph_*' \) -print)
  [ -z "$left" ] || violation n_leftovers "left in $1 after restart: $left"
  if ! git --git-dir "$dir" fsck --strict --no-progress >"$WORK/fsck.out" 2>&1; then
    violation n_fsck_failures "git fsck --strict $1: $(head -5 "$WORK/fsck.out")"
  fi
}

crash_setup() {
  start_server
  create_repo "$CRASH_REPO"
  git clone -q "$BASE/repos/$CRASH_REPO.git" "$CLIENT" 2>/dev/null
  make_payload_commit setup
  local t0=$EPOCHREALTIME
  git -C "$CLIENT" push -q origin HEAD:main || fail "the first push"
  PUSH_SECS=$(seconds_since "$t0")

  local s
  s=$(api POST /api/v1/sessions '{"task":"crash test","name":"crash-agent"}')
  SID=$(echo "$s" | json_get id)
  SWD=$(echo "$s" | json_get workdir)
  SREPO=$(echo "$s" | json_get repo)
  write_batch 0
  t0=$EPOCHREALTIME
  checkpoint_call "$WORK/ck0" '{"tool":"Write","summary":"batch 0"}'
  CKPT_SECS=$(seconds_since "$t0")
  assert_eq 200 "$(cat "$WORK/ck0.code")" "the first checkpoint"
  echo "# unkilled: a ${CRASH_PUSH_MB} MB push takes ${PUSH_SECS} s, a checkpoint of ${CRASH_FILES} files ${CKPT_SECS} s"
}

# Round part 1: kill -9 during a push.
crash_push() {  # ROUND
  local r=$1 old new delay rc state now outcome
  git -C "$CLIENT" fetch -q origin
  git -C "$CLIENT" reset -q --hard origin/main
  make_payload_commit "round$r"
  old=$(ref_of "$CRASH_REPO" refs/heads/main)
  new=$(git -C "$CLIENT" rev-parse HEAD)
  rm -f "$WORK/push.rc"
  delay=$(random_delay "$PUSH_SECS")
  ( rc=0; timeout 60 git -C "$CLIENT" push -q origin HEAD:main >"$WORK/push.out" 2>&1 || rc=$?; echo $rc >"$WORK/push.rc" ) &
  local pusher=$!
  sleep "$delay"
  state="mid-push"
  [ -f "$WORK/push.rc" ] && state="after the push ended ($(cat "$WORK/push.rc"))"
  crash_restart 10
  wait "$pusher" || true
  rc=$(cat "$WORK/push.rc")
  now=$(ref_of "$CRASH_REPO" refs/heads/main)
  if [ "$rc" = 0 ]; then
    n_push_acked=$((n_push_acked + 1))
    outcome="acknowledged"
    # git's HTTP client reconnects: a push cut off early may be served
    # whole by the restarted server.
    [ "$state" = mid-push ] && outcome="acknowledged by the restarted server"
    [ "$now" = "$new" ] || violation n_push_lost "round $r: an acknowledged push was lost: main is $now, pushed $new"
  elif [ "$now" = "$new" ]; then
    n_push_landed=$((n_push_landed + 1))
    outcome="failed for the client, landed"
  elif [ "$now" = "$old" ]; then
    outcome="failed, main unchanged"
  else
    outcome="main is neither old nor new"
    violation n_other "round $r: main is $now: neither the old $old nor the pushed $new"
  fi
  echo "# round $r: push killed after ${delay} s (${state}): $outcome"
  check_repo "$CRASH_REPO"
  # The next push works (the client's HEAD, whether or not it landed).
  commit_file "$CLIENT" "after-$r.txt" "after round $r"
  git -C "$CLIENT" push -q origin HEAD:main 2>"$WORK/push2.err" ||
    violation n_other "round $r: the push after the restart failed: $(cat "$WORK/push2.err")"
}

# Round part 2: kill -9 during a checkpoint.
crash_checkpoint() {  # ROUND
  local r=$1 old delay state code commit="" now parent subject outcome t0
  write_batch "$r"
  old=$(ref_of "$SREPO" refs/heads/main)
  rm -f "$WORK/ck.code" "$WORK/ck.json"
  delay=$(random_delay "$CKPT_SECS")
  checkpoint_call "$WORK/ck" "{\"tool\":\"Write\",\"summary\":\"batch $r\",\"call_id\":\"batch-$r\"}" &
  local caller=$!
  sleep "$delay"
  state="mid-checkpoint"
  [ -s "$WORK/ck.code" ] && state="after it answered"
  crash_restart 10
  wait "$caller" || true
  code=$(cat "$WORK/ck.code" 2>/dev/null || echo none)
  [ "$code" = 200 ] && commit=$(json_get commit <"$WORK/ck.json")
  now=$(ref_of "$SREPO" refs/heads/main)
  if [ -n "$commit" ]; then
    n_ckpt_acked=$((n_ckpt_acked + 1))
    outcome="answered 200"
    curl -s "$BASE/api/v1/sessions/$SID/log?limit=10000" >"$WORK/log.json"
    grep -q "\"commit\":\"$commit\"" "$WORK/log.json" ||
      violation n_ckpt_lost "round $r: checkpoint $commit answered 200 but is not in the session's log"
  elif [ "$now" = "$old" ]; then
    outcome="no answer, branch unchanged"
  else
    parent=$(git --git-dir "$(bare "$SREPO")" rev-parse -q --verify "$now^1" 2>/dev/null || echo none)
    subject=$(git --git-dir "$(bare "$SREPO")" log -1 --format=%s "$now")
    outcome="no answer, committed"
    [ "$parent" = "$old" ] && [ "$subject" = "[Write] batch $r" ] ||
      violation n_other "round $r: the session's branch is $now ($subject), neither $old nor its checkpoint"
  fi
  echo "# round $r: checkpoint killed after ${delay} s (${state}): $outcome"
  check_repo "$SREPO"
  # The same call again: an answered one returns its commit; an unanswered
  # one is retried like any failed request and must work now.
  t0=$EPOCHREALTIME
  checkpoint_call "$WORK/retry" "{\"tool\":\"Write\",\"summary\":\"batch $r\",\"call_id\":\"batch-$r\"}"
  # An unanswered call done again after a restart is what the killed one
  # was doing (the first snapshot after a start reads the whole tree): the
  # next round's kill is drawn over its duration.
  [ -n "$commit" ] || CKPT_SECS=$(seconds_since "$t0")
  if [ "$(cat "$WORK/retry.code")" != 200 ]; then
    violation n_other "round $r: retrying the checkpoint: HTTP $(cat "$WORK/retry.code") $(cat "$WORK/retry.json")"
  elif [ -n "$commit" ] && [ "$(json_get commit <"$WORK/retry.json")" != "$commit" ]; then
    violation n_ckpt_lost "round $r: call id batch-$r answered $commit, after the restart $(json_get commit <"$WORK/retry.json")"
  fi
  # The next checkpoint works and the work tree is intact.
  echo "after round $r" >"$SWD/after-$r.txt"
  checkpoint_call "$WORK/next" "{\"tool\":\"Write\",\"summary\":\"after round $r\"}"
  [ "$(cat "$WORK/next.code")" = 200 ] && [ "$(json_get result <"$WORK/next.json")" = committed ] ||
    violation n_other "round $r: the next checkpoint: HTTP $(cat "$WORK/next.code") $(cat "$WORK/next.json")"
  diff -r -x 'after-*' "$EXPECTED" "$SWD" >/dev/null ||
    violation n_other "round $r: the work tree differs from what was written: $(diff -rq -x 'after-*' "$EXPECTED" "$SWD" | head -3)"
  # ... and the batch is committed as written.
  rm -rf "$WORK/tree" && mkdir -p "$WORK/tree"
  git --git-dir "$(bare "$SREPO")" archive refs/heads/main "b$r" | tar -x -C "$WORK/tree"
  diff -r "$EXPECTED/b$r" "$WORK/tree/b$r" >/dev/null ||
    violation n_other "round $r: the committed b$r differs from what was written"
}

crash_rounds() {  # N
  local r
  for r in $(seq 1 "$1"); do
    crash_push "$r"
    crash_checkpoint "$r"
    n_rounds=$r
  done
}

# Prints the summary; returns non-zero when anything was lost or broken.
crash_summary() {
  echo "# rounds: $n_rounds"
  echo "# pushes acknowledged: $n_push_acked (lost: $n_push_lost); unacknowledged that landed: $n_push_landed"
  echo "# checkpoints answered: $n_ckpt_acked (lost: $n_ckpt_lost)"
  echo "# fsck failures: $n_fsck_failures; leftovers: $n_leftovers; rounds with orphaned git children: $n_orphans (stuck: $n_stuck); other failures: $n_other"
  [ $((n_push_lost + n_ckpt_lost + n_fsck_failures + n_leftovers + n_stuck + n_other)) = 0 ]
}

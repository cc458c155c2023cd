#!/usr/bin/env bash
# Crash safety: the server is killed with SIGKILL during pushes and during
# session checkpoints, CRASH_ROUNDS times (default 3), and restarted at once;
# nothing acknowledged is lost, every ref holds its old or its new value,
# fsck is clean, no lock or quarantine is left, and pushes and the session
# keep working. The loop is in crash_lib.sh; scripts/crashloop runs it for
# many rounds.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/crash_lib.sh"

rounds=${CRASH_ROUNDS:-3}
crash_setup
crash_rounds "$rounds"
crash_summary || fail "something was lost or broken (see VIOLATION above)"
pass "$rounds rounds of kill -9 during a push and a checkpoint: $n_push_acked acknowledged pushes and $n_ckpt_acked answered checkpoints kept, fsck clean"

# After all that, the data is whole for a fresh client too.
git clone -q "$BASE/repos/$CRASH_REPO.git" "$WORK/fresh" 2>/dev/null || fail "a fresh clone after the crashes"
assert_eq "$(ref_of "$CRASH_REPO" refs/heads/main)" "$(git -C "$WORK/fresh" rev-parse HEAD)" "the fresh clone's HEAD"
git -C "$WORK/fresh" fsck --strict --no-progress >/dev/null 2>&1 || fail "fsck of the fresh clone"
s=$(api GET "/api/v1/sessions/$SID")
assert_eq active "$(echo "$s" | json_get state)" "the session's state"
pass "a fresh clone after the crashes is complete; the session is active"

# The narrowest window, made on purpose: the branch moved but the session's
# file and call log were not saved (a kill between the two). The restarted
# server recognises its own unrecorded checkpoint: a retried call id
# returns it instead of committing again, and the next checkpoint builds on
# it instead of merging it as if someone had pushed it.
echo "window" >"$SWD/window.txt"
r=$(api POST "/api/v1/sessions/$SID/checkpoint" '{"tool":"Write","summary":"window","call_id":"window-1"}')
c=$(echo "$r" | json_get commit)
before=$(git --git-dir="$DATA/repos/$SREPO.git" rev-parse "$c^")
stop_server
/usr/bin/python3 - "$DATA/sessions/$SID.json" "$before" <<'PY'
import json, sys
path, head = sys.argv[1:3]
s = json.load(open(path))
s["head"] = head
json.dump(s, open(path, "w"))
PY
grep -v '^window-1 ' "$DATA/sessions/$SID.calls" >"$WORK/calls" || true
cp "$WORK/calls" "$DATA/sessions/$SID.calls"
start_server --listen "127.0.0.1:$PORT"
r=$(api POST "/api/v1/sessions/$SID/checkpoint" '{"tool":"Write","summary":"window","call_id":"window-1"}')
assert_eq "$c" "$(echo "$r" | json_get commit)" "the retried call id after the window"
assert_eq no-op "$(echo "$r" | json_get result)" "the retried call id's result"
echo "after" >"$SWD/after.txt"
r=$(api POST "/api/v1/sessions/$SID/checkpoint" '{"tool":"Write","summary":"after the window"}')
n=$(echo "$r" | json_get commit)
assert_eq "$c" "$(git --git-dir="$DATA/repos/$SREPO.git" rev-parse "$n^")" "the next checkpoint's parent"
assert_eq 0 "$(git --git-dir="$DATA/repos/$SREPO.git" rev-list --count --merges "$c..$n")" "merges after the window"
pass "a checkpoint the server committed but did not record before dying is recognised, not redone or merged"

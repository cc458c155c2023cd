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

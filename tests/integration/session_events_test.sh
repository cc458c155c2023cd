#!/usr/bin/env bash
# The session event stream (GET /api/v1/sessions/ID/events, server-sent
# events): a `commit` event within a second of a checkpoint, a `push` event
# for a push, a `sync` event once pushed commits reached the work tree; 404
# for an unknown session; what sync and on-change checkpoints send. Then
# the idle reaper: a session idle longer than session_idle_timeout has its
# uncommitted work committed and loses its work tree but keeps its repo,
# and comes back with the head's files on the next call; commits carry the
# [commits] identity of the config file.
source "$(dirname "$0")/lib.sh"
start_server

EV_PIDS=()
events_cleanup() {
  local rc=$? p
  for p in "${EV_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  (exit $rc)
  cleanup
}
trap events_cleanup EXIT
# watch_events ID FILE: streams the session's events into FILE until stop_watching.
watch_events() {
  local i
  curl -sN "$BASE/api/v1/sessions/$1/events" >"$2" &
  EV_PIDS+=($!)
  for i in $(seq 1 100); do grep -q 'connected' "$2" 2>/dev/null && break; sleep 0.05; done
  grep -q 'connected' "$2" || fail "the event stream did not open: $(cat "$2")"
}
stop_watching() {
  local p
  for p in "${EV_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  EV_PIDS=()
}
# audit_lines VIA OLD NEW [USER]: how many audit lines say so.
audit_lines() {
  /usr/bin/python3 - "$DATA/audit.log" "$@" <<'PY'
import json, sys
path, via, old, new = sys.argv[1:5]
user = sys.argv[5] if len(sys.argv) > 5 else None
print(sum(1 for l in open(path) if (lambda e: e["via"] == via and e["old"] == old and e["new"] == new
          and (user is None or e["user"] == user))(json.loads(l))))
PY
}
tip_of() { git ls-remote "$BASE/repos/$1.git" refs/heads/main | cut -f1; }

# events FILE: one line per complete event, "NAME<TAB>DATA", in order.
events() {
  /usr/bin/python3 - "$1" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
for block in text.split("\n\n")[:-1]:      # the last piece may be incomplete
    name, data = "message", []
    for line in block.split("\n"):
        if line.startswith(":"):
            continue
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
    if data:
        print(name + "\t" + "\n".join(data))
PY
}
# count_events FILE NAME
count_events() { events "$1" | awk -F'\t' -v n="$2" '$1 == n' | wc -l; }
# nth_event_data FILE NAME N: the JSON of the Nth event called NAME (1-based).
nth_event_data() { events "$1" | awk -F'\t' -v n="$2" -v k="$3" '$1 == n { if (++i == k) { print $2; exit } }'; }
# wait_event FILE NAME COUNT SECONDS: until COUNT events NAME are in FILE;
# prints the seconds it took.
wait_event() {
  local t0=$EPOCHREALTIME deadline
  deadline=$(awk -v t="$t0" -v s="$4" 'BEGIN { printf "%.3f", t + s }')
  while :; do
    if [ "$(count_events "$1" "$2")" -ge "$3" ]; then
      awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
      return 0
    fi
    if awk -v now="$EPOCHREALTIME" -v d="$deadline" 'BEGIN { exit !(now > d) }'; then return 1; fi
    sleep 0.02
  done
}
# JSON field of a JSON text: jf JSON FIELD
jf() { echo "$1" | json_get "$2"; }

s=$(api POST /api/v1/sessions '{"task":"watch me","name":"watched"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
url=$(echo "$s" | json_get clone_url)
git clone -q "$url" "$WORK/person"

ev=$WORK/events.txt
watch_events "$id" "$ev"
code=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' --max-time 2 "$BASE/api/v1/sessions/$id/events" || true)
case "$code" in "200 text/event-stream"*) ;; *) fail "events: expected 200 text/event-stream, got '$code'" ;; esac

# ---- commit ------------------------------------------------------------------
echo "first" >"$wd/first.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"first file"}')
c1=$(jf "$r" commit)
took=$(wait_event "$ev" commit 1 1) || fail "no commit event within 1 s of the checkpoint: $(cat "$ev")"
d=$(nth_event_data "$ev" commit 1)
assert_eq "$c1" "$(jf "$d" commit)" "commit event: commit"
assert_eq "Write" "$(jf "$d" tool)" "commit event: tool"
assert_eq "first file" "$(jf "$d" summary)" "commit event: summary"
assert_eq "first.txt" "$(jf "$d" changed)" "commit event: changed"
assert_eq "checkpoint" "$(jf "$d" via)" "commit event: via"
pass "a commit event arrives ${took}s after the checkpoint returns"

# A read-only call is still a commit (every-call mode): another event.
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Read","summary":"looked"}')
wait_event "$ev" commit 2 1 >/dev/null || fail "no commit event for an empty-commit checkpoint"
assert_eq "$(jf "$r" commit)" "$(jf "$(nth_event_data "$ev" commit 2)" commit)" "second commit event"
pass "one commit event per checkpoint"

# ---- push --------------------------------------------------------------------
git -C "$WORK/person" pull -q
commit_file "$WORK/person" "from-person.txt" "hello agent"
git -C "$WORK/person" push -q origin main
pushed=$(git -C "$WORK/person" rev-parse HEAD)
wait_event "$ev" push 1 2 >/dev/null || fail "no push event after a push: $(cat "$ev")"
d=$(nth_event_data "$ev" push 1)
assert_eq "$pushed" "$(jf "$d" branch_tip)" "push event: branch_tip"
assert_eq 0 "$(count_events "$ev" sync)" "no sync event before the push reaches the work tree"
[ ! -e "$wd/from-person.txt" ] || fail "the push reached the work tree before a turn boundary"
pass "a push event arrives after a push"

# ---- sync --------------------------------------------------------------------
r=$(api POST "/api/v1/sessions/$id/sync")
assert_eq "hello agent" "$(cat "$wd/from-person.txt")" "pushed file in the work tree after sync"
wait_event "$ev" sync 1 1 >/dev/null || fail "no sync event after /sync took in a push: $(cat "$ev")"
d=$(nth_event_data "$ev" sync 1)
assert_eq "from-person.txt" "$(jf "$d" incoming)" "sync event: incoming"
assert_eq "$(jf "$r" commit)" "$(jf "$d" commit)" "sync event: commit"
assert_eq "" "$(jf "$d" conflicts)" "sync event: conflicts"
pass "a sync event arrives after /sync brought the pushed commit into the work tree"

# A checkpoint that takes in a push (agent changed something too): commit
# and sync events.
git -C "$WORK/person" pull -q
commit_file "$WORK/person" "second-from-person.txt" "more"
git -C "$WORK/person" push -q origin main
wait_event "$ev" push 2 2 >/dev/null || fail "no second push event"
echo "agent again" >"$wd/agent-again.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"agent again"}')
assert_eq "second-from-person.txt" "$(jf "$r" incoming)" "checkpoint incoming"
[ -f "$wd/second-from-person.txt" ] || fail "the push did not reach the work tree at the checkpoint"
wait_event "$ev" commit 3 1 >/dev/null || fail "no commit event for the merging checkpoint"
wait_event "$ev" sync 2 1 >/dev/null || fail "no sync event for a checkpoint that took in a push: $(cat "$ev")"
d=$(nth_event_data "$ev" sync 2)
assert_eq "second-from-person.txt" "$(jf "$d" incoming)" "second sync event: incoming"
assert_eq "$(jf "$r" commit)" "$(jf "$d" commit)" "second sync event: commit"
# Order: push before the sync that took it in.
order=$(events "$ev" | cut -f1 | tr '\n' ' ')
case "$order" in *"push "*"sync "*"push "*"sync "*) ;; *) fail "event order: $order" ;; esac
pass "a checkpoint that takes in a push sends commit and sync events ($order)"

# ---- reconnecting: Last-Event-ID ----------------------------------------------
# Every event has an id; a watcher that reconnects with the last one it saw
# (as a browser's EventSource does) gets what it missed, in order.
ids=$(grep '^id: ' "$ev" | cut -c5-)
n_ids=$(echo "$ids" | wc -l)
[ "$n_ids" -ge 6 ] || fail "expected an id line per event, got $n_ids: $(cat "$ev")"
assert_eq "$n_ids" "$(echo "$ids" | sort -u | wc -l)" "event ids are distinct"
second_id=$(echo "$ids" | sed -n 2p)
re=$WORK/replay.txt
curl -sN --max-time 1 -H "Last-Event-ID: $second_id" "$BASE/api/v1/sessions/$id/events" >"$re" || true
assert_eq "$(echo "$ids" | tail -n +3)" "$(grep '^id: ' "$re" | cut -c5-)" "replayed ids after the second event"
assert_eq "$(events "$ev" | tail -n +3)" "$(events "$re")" "replayed events after the second event"
curl -sN --max-time 1 "$BASE/api/v1/sessions/$id/events?last_event_id=$(echo "$ids" | tail -1)" >"$re" || true
assert_eq "" "$(events "$re")" "nothing replayed to an up-to-date watcher (query form)"
# An id of an earlier run of the server (or none of ours): one reset event.
curl -sN --max-time 1 -H "Last-Event-ID: 1-5" "$BASE/api/v1/sessions/$id/events" >"$re" || true
assert_eq "reset" "$(events "$re" | cut -f1 | tr '\n' ' ' | xargs)" "a foreign id gets one reset event"
pass "a reconnecting watcher gets the $((n_ids - 2)) events it missed, in order; a foreign id a reset"

# ---- sync with nothing pushed: nothing committed, no event -----------------------
echo "uncommitted" >"$wd/wip.txt"
tip0=$(tip_of watched)
n_commit=$(count_events "$ev" commit)
n_sync=$(count_events "$ev" sync)
r=$(api POST "/api/v1/sessions/$id/sync")
assert_eq no-op "$(jf "$r" result)" "sync with nothing pushed: result"
assert_eq "$tip0" "$(jf "$r" commit)" "sync with nothing pushed: commit"
assert_eq "" "$(jf "$r" changed)" "sync with nothing pushed: changed"
assert_eq "" "$(jf "$r" incoming)" "sync with nothing pushed: incoming"
assert_eq "$tip0" "$(tip_of watched)" "sync with nothing pushed commits nothing"
assert_eq "uncommitted" "$(cat "$wd/wip.txt")" "the agent's work stays in the work tree"
# A push is a fence: events are sent in order, so any event of the sync
# would be in the stream before the push's.
git -C "$WORK/person" pull -q
commit_file "$WORK/person" "third-from-person.txt" "third"
git -C "$WORK/person" push -q origin main
pushed=$(git -C "$WORK/person" rev-parse HEAD)
wait_event "$ev" push 3 2 >/dev/null || fail "no third push event"
assert_eq "$n_commit" "$(count_events "$ev" commit)" "commit events after a no-op sync"
assert_eq "$n_sync" "$(count_events "$ev" sync)" "sync events after a no-op sync"
pass "a sync with nothing pushed commits nothing and sends no event"

# ---- sync with a push while the agent has uncommitted work --------------------------
r=$(api POST "/api/v1/sessions/$id/sync")
assert_eq synced "$(jf "$r" result)" "sync result"
assert_eq "wip.txt" "$(jf "$r" changed)" "sync: the agent's work committed first"
assert_eq "third-from-person.txt" "$(jf "$r" incoming)" "sync incoming"
merged=$(jf "$r" commit)
git -C "$WORK/person" pull -q
assert_eq "$merged" "$(git -C "$WORK/person" rev-parse HEAD)" "sync result is the branch tip"
assert_eq "$pushed" "$(git -C "$WORK/person" rev-parse HEAD^2)" "the merge's second parent is the push"
wip=$(git -C "$WORK/person" rev-parse HEAD^1)
assert_eq "[agentgit] Work in progress before sync" "$(git -C "$WORK/person" log -1 --format=%s "$wip")" "the WIP commit"
assert_eq "$tip0" "$(git -C "$WORK/person" rev-parse "$wip^")" "the WIP commit's parent is the old head"
wait_event "$ev" commit $((n_commit + 1)) 1 >/dev/null || fail "no commit event for sync's work in progress"
d=$(nth_event_data "$ev" commit $((n_commit + 1)))
assert_eq "$wip" "$(jf "$d" commit)" "commit event of a sync: commit"
assert_eq "sync" "$(jf "$d" via)" "commit event of a sync: via"
assert_eq "agentgit" "$(jf "$d" tool)" "commit event of a sync: tool"
assert_eq "wip.txt" "$(jf "$d" changed)" "commit event of a sync: changed"
wait_event "$ev" sync $((n_sync + 1)) 1 >/dev/null || fail "no sync event"
assert_eq "$merged" "$(jf "$(nth_event_data "$ev" sync $((n_sync + 1)))" commit)" "sync event: commit"
assert_eq 1 "$(audit_lines sync "$pushed" "$merged")" "audit line for the sync's commit"
pass "a sync that merges the agent's work: commit event (via sync), sync event, audit line"

# ---- on-change: an unchanged checkpoint that takes in a push ------------------------
s=$(api POST /api/v1/sessions '{"task":"quiet","name":"quiet","commit_mode":"on-change"}')
qid=$(echo "$s" | json_get id)
qwd=$(echo "$s" | json_get workdir)
qev=$WORK/quiet-events.txt
watch_events "$qid" "$qev"
git clone -q "$BASE/repos/quiet.git" "$WORK/quiet"
commit_file "$WORK/quiet" "for-quiet.txt" "hello quiet"
git -C "$WORK/quiet" push -q origin main
qpushed=$(git -C "$WORK/quiet" rev-parse HEAD)
wait_event "$qev" push 1 2 >/dev/null || fail "no push event (quiet)"
r=$(api POST "/api/v1/sessions/$qid/checkpoint" '{"tool":"Read","summary":"looked"}')
assert_eq no-op "$(jf "$r" result)" "on-change unchanged checkpoint taking in a push: result"
assert_eq "for-quiet.txt" "$(jf "$r" incoming)" "on-change checkpoint: incoming"
assert_eq "$qpushed" "$(jf "$r" commit)" "on-change checkpoint: commit is the pushed one"
assert_eq "$qpushed" "$(tip_of quiet)" "on-change checkpoint: no commit made"
assert_eq "hello quiet" "$(cat "$qwd/for-quiet.txt")" "on-change checkpoint: the push reached the work tree"
wait_event "$qev" sync 1 1 >/dev/null || fail "no sync event for an on-change checkpoint that took in a push"
# A commit event would have come before the sync event.
assert_eq 0 "$(count_events "$qev" commit)" "commit events of a call that made no commit"
assert_eq "$qpushed" "$(jf "$(nth_event_data "$qev" sync 1)" commit)" "on-change sync event: commit"
pass "on-change: an unchanged checkpoint that takes in a push is a no-op with a sync event and no commit event"

# ---- unknown sessions ----------------------------------------------------------
assert_eq 404 "$(http_status GET /api/v1/sessions/000000000000/events --max-time 3)" "events of an unknown session"
assert_eq 404 "$(http_status GET /api/v1/sessions/nope/events --max-time 3)" "events of an invalid session id"
pass "404 for an unknown session's events"

stop_watching
assert_alive

# ---- idle reaper ----------------------------------------------------------------
stop_server
cat >"$WORK/idle.toml" <<'EOF'
session_idle_timeout = "2s"

[commits]
author = "Robo Agent <robo@agents.example>"
committer = "Gate Keeper <gate@agents.example>"
EOF
start_server --config "$WORK/idle.toml"
s=$(api POST /api/v1/sessions '{"task":"go idle","name":"sleepy"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
sev=$WORK/sleepy-events.txt
watch_events "$id" "$sev"
mkdir -p "$wd/notes"
echo "remember me" >"$wd/notes/memo.txt"
printf '*.log\n' >"$wd/.gitignore"
printf '#!/bin/sh\necho hi\n' >"$wd/run.sh" && chmod +x "$wd/run.sh"
ln -s notes/memo.txt "$wd/memo-link"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"before idling"}')
checkpointed=$(jf "$r" commit)
git clone -q "$BASE/repos/sleepy.git" "$WORK/sleepy"
assert_eq "Robo Agent <robo@agents.example> Gate Keeper <gate@agents.example>" \
  "$(git -C "$WORK/sleepy" log -1 --format='%an <%ae> %cn <%ce>')" "configured identity of a checkpoint"
assert_eq "Robo Agent <robo@agents.example> Gate Keeper <gate@agents.example>" \
  "$(git -C "$WORK/sleepy" log -1 --format='%an <%ae> %cn <%ce>' HEAD~1)" "configured identity of the first commit"
pass "[commits] author and committer from the config file are on session commits"

# Written but never checkpointed: the reaper commits it before reclaiming.
echo "unsaved work" >"$wd/unsaved.txt"
sleep 4.2
assert_eq idle "$(api GET "/api/v1/sessions/$id" | json_get state)" "state after idling"
[ ! -e "$wd" ] || fail "the idle session's work tree is still there: $(ls -la "$wd")"
git -C "$WORK/sleepy" pull -q
head=$(git -C "$WORK/sleepy" rev-parse HEAD)
assert_eq "$checkpointed" "$(git -C "$WORK/sleepy" rev-parse HEAD^)" "the reaper's commit is on top of the last checkpoint"
assert_eq "[agentgit] Work in progress before the idle work tree was reclaimed" \
  "$(git -C "$WORK/sleepy" log -1 --format=%s)" "the reaper's commit message"
assert_eq "unsaved work" "$(cat "$WORK/sleepy/unsaved.txt")" "uncommitted work in the reaper's commit"
assert_eq "Robo Agent <robo@agents.example> Gate Keeper <gate@agents.example>" \
  "$(git -C "$WORK/sleepy" log -1 --format='%an <%ae> %cn <%ce>')" "configured identity of the reaper's commit"
assert_eq "remember me" "$(cat "$WORK/sleepy/notes/memo.txt")" "file in the idle session's repo"
assert_eq "$head" "$(api GET "/api/v1/sessions/$id" | json_get head)" "head of an idle session"
wait_event "$sev" commit 2 2 >/dev/null || fail "no commit event for the reaper's commit: $(cat "$sev")"
d=$(nth_event_data "$sev" commit 2)
assert_eq "$head" "$(jf "$d" commit)" "reaper commit event: commit"
assert_eq "idle" "$(jf "$d" via)" "reaper commit event: via"
assert_eq "unsaved.txt" "$(jf "$d" changed)" "reaper commit event: changed"
assert_eq 1 "$(audit_lines idle "$checkpointed" "$head" agentgit)" "audit line for the reaper's commit"
stop_watching
pass "an idle session's uncommitted work is committed (audit line, commit event) and its work tree reclaimed; its repo stays"

# A files API read brings the work tree back with the head's files.
got=$(curl -s "$BASE/api/v1/sessions/$id/files/notes/memo.txt")
assert_eq "remember me" "$got" "files API read of an idle session"
[ -d "$wd" ] || fail "the work tree was not recreated by a files API read"
assert_eq "remember me" "$(cat "$wd/notes/memo.txt")" "recreated work tree: notes/memo.txt"
[ -x "$wd/run.sh" ] || fail "recreated work tree: run.sh lost its executable bit"
assert_eq "notes/memo.txt" "$(readlink "$wd/memo-link")" "recreated work tree: symlink"
assert_eq active "$(api GET "/api/v1/sessions/$id" | json_get state)" "state after coming back"
pass "a files API read recreates the work tree with the head commit's files"

# The agent resumes: writes straight into the recreated work tree, then
# checkpoints. The read was activity: the reaper must not take the tree
# away under it within the next reaper round.
echo "resumed" 2>/dev/null >"$wd/resumed.txt" \
  || fail "the work tree was reclaimed again right after a files API read (the read did not count as activity)"
sleep 1.5
[ -f "$wd/resumed.txt" ] || fail "the work tree was reclaimed again right after a files API read (the read did not count as activity)"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"after idling"}')
assert_eq committed "$(jf "$r" result)" "checkpoint after idling"
assert_eq "resumed.txt" "$(jf "$r" changed)" "checkpoint after idling: changed"
pass "after idling the agent resumes and checkpoints"

# A checkpoint alone (no read first) also brings an idle session back.
sleep 4.2
assert_eq idle "$(api GET "/api/v1/sessions/$id" | json_get state)" "state after idling again"
[ ! -e "$wd" ] || fail "work tree not reclaimed the second time"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Read","summary":"back again"}')
assert_eq committed "$(jf "$r" result)" "checkpoint of an idle session"
assert_eq "" "$(jf "$r" changed)" "a recreated work tree is not a change"
assert_eq "resumed" "$(cat "$wd/resumed.txt")" "recreated work tree has resumed.txt"
assert_eq "remember me" "$(cat "$wd/notes/memo.txt")" "recreated work tree has notes/memo.txt"
assert_eq active "$(api GET "/api/v1/sessions/$id" | json_get state)" "state after a checkpoint"
echo "noise" >"$wd/debug.log"
echo "kept" >"$wd/kept.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Bash","summary":"wrote a log"}')
assert_eq "kept.txt" "$(jf "$r" changed)" ".gitignore honoured after the work tree came back"
git --git-dir="$DATA/repos/sleepy.git" fsck --strict --no-progress --no-dangling || fail "fsck"
pass "a checkpoint recreates an idle session's work tree; .gitignore still honoured"

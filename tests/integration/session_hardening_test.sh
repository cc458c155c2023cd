#!/usr/bin/env bash
# Nothing a client sends may wedge a session or lose agent work:
# - pushed paths the work tree cannot hold (a backslash, a 256-byte name)
#   stay in history, are reported, and the agent's work is committed;
# - a live session's repository cannot be deleted under it (409
#   REPO_IN_USE); an ended session goes with its repository;
# - call ids are printable ASCII, and their record cannot be forged by any
#   byte (a restart keeps a retry a no-op);
# - control characters in tool, summary and task are refused, so the
#   Agent-Session and Tool-Call trailers are always there.
source "$(dirname "$0")/lib.sh"
start_server

# post_status METHOD PATH JSON: the status code; the body in $WORK/post.json
post_status() {
  curl -s -o "$WORK/post.json" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' --data-binary "$3" "$BASE$2"
}

# ---- 1. paths the work tree cannot hold
s=$(api POST /api/v1/sessions '{"task":"odd paths","name":"odd"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
url=$(echo "$s" | json_get clone_url)
git clone -q "$url" "$WORK/person"
long=$(printf 'n%.0s' $(seq 1 256))
(
  cd "$WORK/person"
  echo "fine" >fine.txt
  git add fine.txt
  blob=$(echo "held in history only" | git hash-object -w --stdin)
  inner=$(printf '100644 blob %s\tinner.txt\n' "$blob" | git mktree)
  # The tree of HEAD plus fine.txt, then the entries no work tree can hold.
  git commit -q -m "fine"
  tree=$( (git ls-tree HEAD
           printf '100644 blob %s\t%s\n' "$blob" 'a\b'
           printf '100644 blob %s\t%s\n' "$blob" "$long"
           printf '040000 tree %s\t%s\n' "$inner" 'x\y') | git mktree)
  commit=$(git commit-tree -p HEAD -m "Paths a work tree cannot hold" "$tree")
  git push -q origin "$commit:main" 2>"$WORK/push.err" || { cat "$WORK/push.err"; exit 1; }
) || fail "could not push the odd paths"
echo "agent work" >"$wd/agent.txt"
code=$(post_status POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"agent.txt","call_id":"c-1"}')
assert_eq 200 "$code" "checkpoint after a push of unholdable paths ($(cat "$WORK/post.json"))"
r=$(cat "$WORK/post.json")
assert_eq committed "$(echo "$r" | json_get result)" "result"
head=$(echo "$r" | json_get commit)
problems=$(echo "$r" | json_get problems)
grep -qF 'a\b: a name the work tree cannot hold' <<<"$problems" || fail "a\\b not reported: $problems"
grep -qF "$long: a name the work tree cannot hold" <<<"$problems" || fail "the 256-byte name not reported: $problems"
grep -qF 'x\y/inner.txt: a name the work tree cannot hold' <<<"$problems" || fail "x\\y/inner.txt not reported"
[ -f "$wd/fine.txt" ] || fail "the pushed fine.txt did not reach the work tree"
[ -f "$wd/agent.txt" ] || fail "agent.txt is gone"
repo="$DATA/repos/odd.git"
git --git-dir="$repo" cat-file -e "$head:agent.txt" || fail "the agent's file is not committed"
for p in 'a\b' "$long" 'x\y/inner.txt' fine.txt; do
  git --git-dir="$repo" cat-file -e "$head:$p" || fail "$p is not in the session's head"
done
pass "a push of paths the work tree cannot hold: reported, kept in history, the agent's work committed"

echo "more" >>"$wd/agent.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Edit","summary":"more"}')
head=$(echo "$r" | json_get commit)
assert_eq agent.txt "$(echo "$r" | json_get changed)" "the next checkpoint changes only agent.txt"
git --git-dir="$repo" cat-file -e "$head:a\\b" || fail "a\\b dropped by a later checkpoint"
r=$(api POST "/api/v1/sessions/$id/sync")
assert_eq no-op "$(echo "$r" | json_get result)" "sync"
stop_server
start_server
echo "after restart" >"$wd/late.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"late"}')
assert_eq late.txt "$(echo "$r" | json_get changed)" "after a restart only the new file changed"
head=$(echo "$r" | json_get commit)
git --git-dir="$repo" cat-file -e "$head:$long" || fail "the 256-byte name dropped after a restart"
(
  cd "$WORK/person"
  git remote set-url origin "$BASE/repos/odd.git"
  git fetch -q origin
  # The 256-byte name cannot be checked out here either: plumbing only.
  tree=$(git ls-tree -z origin/main |
         python3 -c 'import sys; sys.stdout.buffer.write(b"".join(e + b"\0" for e in sys.stdin.buffer.read().split(b"\0") if e and not e.endswith(b"\ta\\b")))' |
         git mktree -z)
  commit=$(git commit-tree -p origin/main -m "drop a\\b" "$tree")
  git push -q origin "$commit:main"
) || fail "could not push the removal"
r=$(api POST "/api/v1/sessions/$id/sync")
assert_eq synced "$(echo "$r" | json_get result)" "sync of the removal"
head=$(echo "$r" | json_get commit)
if git --git-dir="$repo" cat-file -e "$head:a\\b" 2>/dev/null; then fail "a\\b came back after its removal"; fi
git --git-dir="$repo" cat-file -e "$head:x\\y/inner.txt" || fail "x\\y/inner.txt lost"
pass "later checkpoints, a sync and a restart keep those paths; a pushed removal removes them"

# ---- 3. deleting a session's repository
code=$(http_status DELETE /api/v1/repos/odd)
assert_eq 409 "$code" "deleting a live session's repository"
grep -q '"code":"REPO_IN_USE"' <<<"$(curl -s -X DELETE "$BASE/api/v1/repos/odd")" || fail "no REPO_IN_USE code"
grep -q "DELETE /api/v1/sessions/$id?purge=true" <<<"$(curl -s -X DELETE "$BASE/api/v1/repos/odd")" || fail "no way out named"
[ -d "$repo" ] || fail "the repository went anyway"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Read","summary":"still works"}')
assert_eq committed "$(echo "$r" | json_get result)" "the session still works"
api DELETE "/api/v1/sessions/$id" >/dev/null
assert_eq 204 "$(http_status DELETE /api/v1/repos/odd)" "deleting an ended session's repository"
assert_eq 404 "$(http_status GET "/api/v1/sessions/$id")" "the ended session went with its repository"
[ ! -d "$repo" ] || fail "the repository is still there"
grep -q "$id" <<<"$(curl -s "$BASE/api/v1/sessions")" && fail "the session is still listed"
s=$(api POST /api/v1/sessions '{"task":"purge me","name":"purged"}')
pid=$(echo "$s" | json_get id)
api DELETE "/api/v1/sessions/$pid?purge=true" >/dev/null
assert_eq 404 "$(http_status GET /api/v1/repos/purged)" "purge removes the repository"
assert_alive
pass "a live session's repository: 409 REPO_IN_USE; ended sessions go with their repository"

# ---- 4. call ids
s=$(api POST /api/v1/sessions '{"task":"call ids","name":"calls"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
for bad in '"a\u000bb"' '"a\u000cb"' '"a b"' '"a\tb"' '"\u00e9t\u00e9"' '""' "\"$(printf 'x%.0s' $(seq 1 201))\""; do
  code=$(post_status POST "/api/v1/sessions/$id/checkpoint" "{\"tool\":\"Write\",\"summary\":\"s\",\"call_id\":$bad}")
  assert_eq 400 "$code" "call_id $bad"
  grep -q '"code":"INVALID_CALL_ID"' "$WORK/post.json" || fail "call_id $bad: $(cat "$WORK/post.json")"
done
echo one >"$wd/one.txt"
c1=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"one","call_id":"toolu_01{\"x\"}:=!~"}' | json_get commit)
stop_server
start_server
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"one","call_id":"toolu_01{\"x\"}:=!~"}')
assert_eq no-op "$(echo "$r" | json_get result)" "a retried call id after a restart"
assert_eq "$c1" "$(echo "$r" | json_get commit)" "the retry answers the first commit"
# A record written in the format before (id SPACE commit) is still read.
printf 'legacy-id %s\n' "$c1" >>"$DATA/sessions/$id.calls"
stop_server
start_server
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"one","call_id":"legacy-id"}')
assert_eq no-op "$(echo "$r" | json_get result)" "a call id of the old record format"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"one","call_id":"toolu_01{\"x\"}:=!~"}')
assert_eq "$c1" "$(echo "$r" | json_get commit)" "the JSON record survives another restart"
pass "call ids: printable ASCII or 400 INVALID_CALL_ID; the record survives restarts, old lines still read"

# ---- 5. control characters in tool, summary and task
for body in '{"tool":"Wr\u0000ite","summary":"s"}' '{"tool":"Write\u0007","summary":"s"}' '{"tool":"Write\tx","summary":"s"}'; do
  assert_eq 400 "$(post_status POST "/api/v1/sessions/$id/checkpoint" "$body")" "tool in $body"
  grep -q '"code":"INVALID_TOOL"' "$WORK/post.json" || fail "tool: $(cat "$WORK/post.json")"
done
for body in '{"tool":"Write","summary":"a\u0000b"}' '{"tool":"Write","summary":"a\u001bb"}' '{"tool":"Write","summary":"a\nAgent-Session: x"}'; do
  assert_eq 400 "$(post_status POST "/api/v1/sessions/$id/checkpoint" "$body")" "summary in $body"
  grep -q '"code":"INVALID_SUMMARY"' "$WORK/post.json" || fail "summary: $(cat "$WORK/post.json")"
done
assert_eq 400 "$(post_status POST /api/v1/sessions '{"task":"a\u0000b"}')" "a NUL in task"
grep -q '"code":"INVALID_TASK"' "$WORK/post.json" || fail "task: $(cat "$WORK/post.json")"
big=$(python3 -c 'import json; print(json.dumps({"task": "t" * (64 * 1024 + 1)}))')
assert_eq 400 "$(post_status POST /api/v1/sessions "$big")" "a task over 64 KiB"
grep -q '"code":"INVALID_TASK"' "$WORK/post.json" || fail "task: $(cat "$WORK/post.json")"
echo two >"$wd/two.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write é","summary":"tab-free, ünïcode kept","call_id":"c-2"}')
c2=$(echo "$r" | json_get commit)
msg=$(git --git-dir="$DATA/repos/calls.git" log -1 --format=%B "$c2")
grep -q "^Agent-Session: $id$" <<<"$msg" || fail "Agent-Session trailer missing: $msg"
grep -q "^Tool-Call: c-2$" <<<"$msg" || fail "Tool-Call trailer missing: $msg"
pass "control characters in tool, summary and task: 400; trailers always there"

# Lists show the start of a long task; the session's own GET all of it.
long_task=$(python3 -c 'print("é" * 30000)')
s=$(api POST /api/v1/sessions "{\"task\":\"$long_task\",\"name\":\"longtask\"}")
tid=$(echo "$s" | json_get id)
listed=$(curl -s "$BASE/api/v1/sessions" | python3 -c 'import json,sys
for s in json.load(sys.stdin)["sessions"]:
    if s["id"] == sys.argv[1]: print(len(s["task"].encode()), s.get("task_truncated"))' "$tid")
assert_eq "203 True" "$listed" "a listed task is cut to 200 bytes (on a character boundary) plus an ellipsis"
full=$(curl -s "$BASE/api/v1/sessions/$tid" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["task"]))')
assert_eq 30000 "$full" "GET /sessions/ID shows the whole task"
pass "session lists show a 200-byte preview of each task"

# ---- 2. the idle reaper never removes what it did not commit
stop_server
cat >"$WORK/idle.toml" <<'TOML'
session_idle_timeout = "2s"
TOML
start_server --config "$WORK/idle.toml"
s=$(api POST /api/v1/sessions '{"task":"busy writer","name":"busy"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
echo "start" >"$wd/first.txt"
api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"first"}' >/dev/null
# An agent writing a new file every 50 ms for 6 s (three idle timeouts),
# making no API call; it records each file it wrote once the write ended.
python3 - "$wd" "$WORK/written" <<'PY' &
import os, sys, time
wd, log = sys.argv[1], sys.argv[2]
with open(log, "w") as out:
    end = time.time() + 6
    n = 0
    while time.time() < end:
        n += 1
        try:
            os.makedirs(wd, exist_ok=True)
            with open(os.path.join(wd, f"note-{n}.txt"), "w") as f:
                f.write(f"note {n}\n")
            out.write(f"note-{n}.txt\n")
            out.flush()
        except OSError as e:
            out.write(f"# {n}: {e}\n")
        time.sleep(0.05)
PY
writer=$!
wait "$writer"
# Every file written is on disk, or committed by the reaper.
lost=""
head=$(git --git-dir="$DATA/repos/busy.git" rev-parse main)
while read -r f; do
  case "$f" in "#"*) continue ;; esac
  [ -f "$wd/$f" ] && continue
  git --git-dir="$DATA/repos/busy.git" cat-file -e "$head:$f" 2>/dev/null && continue
  lost="$lost $f"
done <"$WORK/written"
[ -z "$lost" ] || fail "files the agent wrote were lost:$lost"
[ "$(wc -l <"$WORK/written")" -gt 50 ] || fail "the writer wrote too little: $(wc -l <"$WORK/written")"
assert_eq active "$(api GET "/api/v1/sessions/$id" | json_get state)" "a session being written to stays active"
pass "the idle reaper leaves a work tree an agent keeps writing to ($(wc -l <"$WORK/written") files, none lost)"

# Once writes stop, the work tree goes idle, with everything committed;
# a FIFO (nothing a commit can hold) keeps it where it is.
s=$(api POST /api/v1/sessions '{"task":"fifo","name":"fifo"}')
fid=$(echo "$s" | json_get id)
fwd=$(echo "$s" | json_get workdir)
mkfifo "$fwd/pipe"
echo "keep" >"$fwd/kept.txt"
for i in $(seq 1 100); do
  [ "$(api GET "/api/v1/sessions/$id" | json_get state)" = idle ] && break
  sleep 0.1
done
assert_eq idle "$(api GET "/api/v1/sessions/$id" | json_get state)" "the writer's session after the writes stopped"
[ ! -e "$wd" ] || fail "the idle work tree is still there"
head=$(git --git-dir="$DATA/repos/busy.git" rev-parse main)
last=$(grep -v '^#' "$WORK/written" | tail -1)
git --git-dir="$DATA/repos/busy.git" cat-file -e "$head:$last" || fail "the last note $last is not committed"
# The FIFO's session went quiet after the writer's: wait for its own
# reaper pass (it commits kept.txt, then keeps the work tree).
for i in $(seq 1 100); do
  git --git-dir="$DATA/repos/fifo.git" cat-file -e "main:kept.txt" 2>/dev/null && break
  sleep 0.1
done
sleep 1.5  # at least one more reaper pass, which must keep it too
assert_eq active "$(api GET "/api/v1/sessions/$fid" | json_get state)" "a work tree holding a FIFO is not reclaimed"
[ -p "$fwd/pipe" ] && [ -f "$fwd/kept.txt" ] || fail "the FIFO's work tree lost files"
git --git-dir="$DATA/repos/fifo.git" cat-file -e "main:kept.txt" || fail "kept.txt was not committed"
pass "writes stopped: reclaimed with everything committed; a FIFO keeps its work tree (and its files)"

# ---- 10. one inotify instance for every session
inotify_instances() {
  local n=0 fd
  for fd in /proc/"$SERVER_PID"/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:inotify" ] && n=$((n + 1))
  done
  echo "$n"
}
ids=()
for i in $(seq 1 140); do
  s=$(api POST /api/v1/sessions "{\"task\":\"watch $i\",\"name\":\"watch-$i\"}")
  ids+=("$(echo "$s" | json_get id)")
  echo "$i" >"$(echo "$s" | json_get workdir)/n.txt"
  api POST "/api/v1/sessions/${ids[-1]}/checkpoint" '{"tool":"Write","summary":"n"}' >/dev/null
done
assert_eq 1 "$(inotify_instances)" "inotify instances of the server with 140 sessions"
assert_eq 0 "$(curl -s "$BASE/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions_without_change_tracking"])')" \
  "sessions without change tracking"
assert_eq true "$(curl -s "$BASE/api/v1/sessions/${ids[-1]}" | python3 -c 'import json,sys; print(str(json.load(sys.stdin)["change_tracking"]).lower())')" \
  "the 140th session's change_tracking"
# Other processes of the same user can still have their own instances.
python3 -c 'import ctypes; fd = ctypes.CDLL(None).inotify_init(); assert fd >= 0, "EMFILE"' ||
  fail "another process of the user got no inotify instance"
pass "140 sessions share one inotify instance, all with change tracking"

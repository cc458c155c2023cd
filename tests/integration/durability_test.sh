#!/usr/bin/env bash
# What a checkpoint or a push acknowledges is on the disk, in the order
# that survives a power cut: every new object file and its directory
# flushed before the ref moves onto it, the ref flushed before the reply.
# A kill -9 cannot show this (the page cache survives it), so the test
# watches the server's system calls with strace and checks their order.
source "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || fail "strace is missing (scripts/setup installs it)"
strace -f -qq -o /dev/null true || fail "strace cannot trace here"

TRACE=$WORK/trace
# The server under strace: -f follows its threads and git children, -y
# prints the path behind each fd, -yy the peer of each socket.
SERVER_WRAPPER=(strace -f -yy -qq -e signal=none -s 64 -o "$TRACE"
  -e trace=fsync,fdatasync,rename,renameat,renameat2,link,linkat,sendmsg,sendto,write,writev)
start_server
STRACE_PID=$SERVER_PID
SERVER_PID=$(pgrep -P "$STRACE_PID" -f "serve --data $DATA" | head -1)
[ -n "$SERVER_PID" ] || fail "no server process under strace"
# The server is strace's child, not ours: stopping it means waiting for
# strace, which ends with it (lib.sh's cleanup calls this too).
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -TERM "$SERVER_PID"; fi
  if [ -n "${STRACE_PID:-}" ]; then wait "$STRACE_PID" 2>/dev/null || true; fi
  SERVER_PID="" STRACE_PID=""
}

# check_order REPO REF COMMIT OBJECTS... : the trace must show, for COMMIT
# and each other object id, its temp file fsynced, then linked or renamed
# into objects/XX/, then objects/XX fsynced; all of it before REF.lock
# (fsynced) is renamed onto REF (the first such rename after COMMIT's file
# is in place); REF's directory fsynced after (the directory checks
# unless CHECK_DIRS=0); and for checkpoints (CHECK_REPLY=1) all of that
# and the session's own files (.calls, the session JSON and its
# directory, the audit log and, with AUDIT_NEW=1, the data directory
# that names it) before the server sends its reply. On failure it prints what
# the trace says of REPO's refs and objects.
check_order() {
  python3 - "$TRACE" "$@" <<'PY'
import os, re, sys
trace, repo, ref, *objects = sys.argv[1:]
# One spelling for every path: the kernel's (what -y prints), whatever
# TMPDIR looked like ("/tmp/", a symlink).
repo = os.path.realpath(repo)
check_reply = os.environ.get("CHECK_REPLY") == "1"
check_dirs = os.environ.get("CHECK_DIRS", "1") == "1"
pending, events = {}, []
for line in open(trace, encoding="utf-8", errors="replace"):
    # "PID  syscall(...)": strace pads the pid column to five characters.
    pid, _, rest = line.rstrip("\n").partition(" ")
    rest = rest.lstrip(" ")
    if rest.endswith("<unfinished ...>"):
        pending[pid] = rest[: -len("<unfinished ...>")]
        continue
    m = re.match(r"<\.\.\. \w+ resumed>(.*)", rest)
    if m:
        rest = pending.pop(pid, "") + m.group(1)
    m = re.match(r"(\w+)\((.*)\)\s+=\s+(-?\d+)", rest)
    if m and m.group(3) != "-1":
        events.append((m.group(1), m.group(2)))

def fd_path(args):
    m = re.match(r"\d+<(.*?)>", args)
    return os.path.realpath(m.group(1)) if m else ""

def two_paths(args):
    # git children run in the repo and name paths relative to it
    return [os.path.realpath(os.path.join(repo, p)) for p in re.findall(r'"([^"]*)"', args)[:2]]

def fail(why):
    print(f"FAIL: {why}", file=sys.stderr)
    print("the trace's lines about the repo's refs and objects:", file=sys.stderr)
    def about_repo(name, args):
        if name in ("fsync", "fdatasync"):
            return fd_path(args).startswith(repo + "/")
        return name in MOVES and any(p.startswith(repo + "/") for p in two_paths(args))
    for name, args in [e for e in events if about_repo(*e)][-60:]:
        print(f"  {name}({args[:300]})", file=sys.stderr)
    sys.exit(1)

def find(pred, after=-1, what=""):
    for i, (name, args) in enumerate(events):
        if i > after and pred(name, args):
            return i
    fail(f"not in the trace: {what}")

def is_sync(path):
    return lambda name, args: name in ("fsync", "fdatasync") and fd_path(args) == path

MOVES = ("link", "linkat", "rename", "renameat", "renameat2")

def is_move(dst_pred):
    return lambda name, args: name in MOVES \
        and len(two_paths(args)) == 2 and dst_pred(two_paths(args)[1])

ref_path = os.path.join(repo, ref)
commit_path = os.path.join(repo, "objects", objects[0][:2], objects[0][2:])
commit_in_place = find(is_move(lambda p: p == commit_path), what=f"commit {objects[0]} moved into place")
moved = find(is_move(lambda p: p == ref_path), after=commit_in_place, what=f"{ref}.lock renamed onto {ref}")
lock = find(is_sync(ref_path + ".lock"), after=commit_in_place, what=f"fsync of {ref}.lock")
if lock > moved:
    fail(f"{ref}.lock fsynced after the rename")
for oid in objects:
    final = os.path.join(repo, "objects", oid[:2], oid[2:])
    link = find(is_move(lambda p: p == final), what=f"object {oid} moved into place")
    if link > moved:
        fail(f"object {oid} moved into place only after the ref moved")
    # Back through earlier moves (git's quarantine: tmp_obj_X, then
    # incoming-Y/XX/REST, then objects/XX/REST) to a path that was fsynced.
    path, at = two_paths(events[link][1])[0], link
    while not any(n in ("fsync", "fdatasync") and fd_path(a) == path for n, a in events[:at]):
        earlier = [i for i in range(at) if is_move(lambda p: p == path)(*events[i])]
        if not earlier:
            fail(f"object {oid}: written as {path}, never fsynced before it was moved into place")
        at = earlier[-1]
        path = two_paths(events[at][1])[0]
    if not check_dirs:
        continue
    d = find(is_sync(os.path.dirname(final)), after=link, what=f"fsync of objects/{oid[:2]} after {oid}")
    if d > moved:
        fail(f"object {oid}: objects/{oid[:2]} fsynced only after the ref moved")
if check_dirs:
    find(is_sync(os.path.dirname(ref_path)), after=moved, what=f"fsync of {os.path.dirname(ref)} after the rename")
if check_reply:
    reply = find(lambda name, args: name in ("sendmsg", "sendto", "write", "writev")
                 and "TCP:" in args and "HTTP/1.1 200" in args, after=moved, what="the reply")
    sessions = [p for p in (fd_path(a) for n, a in events[moved:reply] if n in ("fsync", "fdatasync"))]
    for suffix in (".calls", ".json.tmp"):
        if not any(p.endswith(suffix) for p in sessions):
            fail(f"no fsync of the session's {suffix} file before the reply")
    if not any(p.endswith("/sessions") for p in sessions):
        fail("the sessions directory was not fsynced after the session file's rename")
    # The audit log's line too, and its name in the data directory when
    # this checkpoint made the file (AUDIT_NEW=1).
    window = list(enumerate(events))[moved:reply]
    audit = [i for i, (n, a) in window if n in ("fsync", "fdatasync") and fd_path(a).endswith("/audit.log")]
    if not audit:
        fail("the audit log's line was not flushed before the reply")
    if os.environ.get("AUDIT_NEW") == "1":
        data_dir = os.path.dirname(fd_path(events[audit[0]][1]))
        if not any(n == "fsync" and fd_path(a) == data_dir for i, (n, a) in window if i > audit[0]):
            fail("the checkpoint made audit.log, but the data directory was not fsynced after")
print(f"{len(objects)} objects, the ref" + (" and their directories" if check_dirs else "") + " flushed in order")
PY
}

# traced: every thread of the server still has strace as its tracer (a
# check with no strace behind it would prove nothing); else prints why.
traced() {
  local t bad=""
  for t in /proc/"$SERVER_PID"/task/*; do
    grep -q "^TracerPid:[[:space:]]*$STRACE_PID\$" "$t/status" 2>/dev/null || bad="$bad ${t##*/}"
  done
  [ -z "$bad" ] || { echo "threads no longer traced by strace $STRACE_PID:$bad" >&2; return 1; }
}

# On a failed check: what there is to know about the trace, for the log.
trace_report() {
  echo "trace: $(wc -l <"$TRACE") lines, strace $(kill -0 "$STRACE_PID" 2>/dev/null && echo running || echo gone); its last lines:" >&2
  tail -n 8 "$TRACE" | cut -c1-200 >&2
}

# attempt N: one checkpoint and one push, each checked; 0 when both pass.
attempt() {
  local n=$1 sid wd srepo c p objs audit_new
  api POST /api/v1/sessions "{\"task\":\"durability $n\"}" >"$WORK/s.json"
  sid=$(json_get id <"$WORK/s.json")
  wd=$(json_get workdir <"$WORK/s.json")
  srepo=$DATA/repos/$(json_get repo <"$WORK/s.json").git
  mkdir -p "$wd/src"
  echo "line $n" >"$wd/src/main.txt"
  audit_new=0
  [ -e "$DATA/audit.log" ] || audit_new=1
  api POST "/api/v1/sessions/$sid/checkpoint" "{\"tool\":\"edit\",\"summary\":\"durable\",\"call_id\":\"call-$n\"}" >"$WORK/cp.json"
  assert_eq committed "$(json_get result <"$WORK/cp.json")" "checkpoint result"
  c=$(json_get commit <"$WORK/cp.json")
  # The reply is sent, then logged: wait for the log line so the trace has it all.
  wait_for_log "$sid/checkpoint 200" || true
  sleep 0.2
  traced || { trace_report; return 1; }
  objs=("$c" "$(git --git-dir="$srepo" rev-parse "$c^{tree}")" "$(git --git-dir="$srepo" rev-parse "$c:src")"
        "$(git --git-dir="$srepo" rev-parse "$c:src/main.txt")")
  if ! CHECK_REPLY=1 AUDIT_NEW=$audit_new check_order "$srepo" refs/heads/main "${objs[@]}" >"$WORK/out"; then
    echo "attempt $n: checkpoint check failed" >&2; trace_report; return 1
  fi
  pass "checkpoint: $(cat "$WORK/out"), the session's files and the audit log too, all before the reply"

  create_repo "durable-$n"
  rm -rf "$WORK/c"
  git clone -q "$BASE/repos/durable-$n.git" "$WORK/c" 2>/dev/null
  echo "pushed $n" >"$WORK/c/p.txt"
  git -C "$WORK/c" add p.txt
  git -C "$WORK/c" commit -q -m "a pushed commit"
  git -C "$WORK/c" push -q origin HEAD:main 2>"$WORK/push.err" || fail "push: $(cat "$WORK/push.err")"
  p=$(git -C "$WORK/c" rev-parse HEAD)
  sleep 0.3
  traced || { trace_report; return 1; }
  # git 2.39 (core.fsync=committed,reference) flushes the files it writes,
  # not the directories that name them.
  if ! CHECK_DIRS=0 check_order "$DATA/repos/durable-$n.git" refs/heads/main "$p" \
       "$(git -C "$WORK/c" rev-parse HEAD^{tree})" "$(git -C "$WORK/c" rev-parse HEAD:p.txt)" >"$WORK/out"; then
    echo "attempt $n: push check failed" >&2; trace_report; return 1
  fi
  pass "push: $(cat "$WORK/out")"
}

traced || fail "strace does not trace every thread of the server"
attempt 1 || fail "checkpoint and push: the order above is missing"

stop_server

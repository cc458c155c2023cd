#!/usr/bin/env bash
# SIGTERM drains: new connections are refused at once, a short request in
# flight finishes normally, clones that cannot finish are ended when
# shutdown_grace is over, their git children get SIGTERM (proved by a `git`
# wrapper that logs the signals it gets) and not SIGKILL, all at once and
# before the data directory lock is released (a server started next would
# clean up their lock files under them), nothing is left running and the
# server exits within the grace and a little. A second signal during the
# grace stops the server at once, the same clean way.
source "$(dirname "$0")/lib.sh"

SLOW=0   # extra seconds allowed under the sanitizers
if [ "${AGENTGIT_SANITIZED:-0}" = 1 ] || [ "${AGENTGIT_SANITIZED:-}" = ON ]; then SLOW=3; fi
CLONES=5
UP_REQ=application/x-git-upload-pack-request

# ---- a `git` that runs the real one as a child and logs signals -----------
# The server resolves `git` from PATH at start-up; this script is its git.
# TERM is logged, then forwarded after half a second (a git that takes a
# moment to clean up); "exit" is logged when the real git is gone, so a
# wrapper killed with SIGKILL (it cannot trap that) leaves a TERM without
# an exit, or nothing at all.
REAL_GIT=$(command -v git)
FAKEBIN=$WORK/fakebin
SIGLOG=$WORK/git-signals.log
mkdir -p "$FAKEBIN"
: >"$SIGLOG"
cat >"$FAKEBIN/git" <<EOF
#!/bin/bash
child=""
trap 'echo "TERM \$\$ \$*" >>"$SIGLOG"; sleep 0.5; [ -z "\$child" ] || kill -TERM "\$child" 2>/dev/null' TERM
# <&0: a background command's stdin would otherwise be /dev/null.
"$REAL_GIT" "\$@" <&0 &
child=\$!
wait "\$child"; rc=\$?
# A trapped signal interrupts wait: wait again for git itself.
if kill -0 "\$child" 2>/dev/null; then wait "\$child"; rc=\$?; fi
echo "exit \$\$ \$rc \$*" >>"$SIGLOG"
exit \$rc
EOF
chmod +x "$FAKEBIN/git"

# Processes of the wrapper still running (one grep: it must be quick; the
# [t] keeps grep from finding itself).
wrappers() {
  grep -las -- "^/bin/bash.$FAKEBIN/gi[t]" /proc/[0-9]*/cmdline | cut -d/ -f3 || true
}

# start_wrapped CONFIG: the server with the wrapper as its git.
start_wrapped() {
  local saved=$PATH
  export PATH="$FAKEBIN:$saved"
  start_server --config "$1"
  export PATH=$saved
}

# A repo whose pack is far too big for a client reading 20 KB/s to get
# within the grace, and a small one.
cat >"$WORK/grace2.toml" <<'TOML'
[limits]
shutdown_grace = "2s"
pack_cache_bytes = 0  # each slow clone holds a git child of its own
TOML
start_server
create_repo big
create_repo small
git clone -q "$BASE/repos/big.git" "$WORK/big" 2>/dev/null
head -c 20000000 /dev/urandom >"$WORK/big/payload.bin"
git -C "$WORK/big" add payload.bin
git -C "$WORK/big" commit -q -m payload
git -C "$WORK/big" push -q origin main
BIG_TIP=$(git -C "$WORK/big" rev-parse HEAD)
git clone -q "$BASE/repos/small.git" "$WORK/small" 2>/dev/null
commit_file "$WORK/small" README.md "small repo"
git -C "$WORK/small" push -q origin main
SMALL_TIP=$(git -C "$WORK/small" rev-parse HEAD)
stop_server
printf '0032want %s\n00000009done\n' "$BIG_TIP" >"$WORK/want-big"

# slow_clones N: N fetches of the big pack, each read at 20 KB/s, in the
# background; returns once their git children run. Sets SLOW_PIDS.
slow_clones() {
  local i
  SLOW_PIDS=()
  for i in $(seq 1 "$1"); do
    timeout 120 curl -s -o /dev/null --limit-rate 20k -X POST -H "Content-Type: $UP_REQ" \
      --data-binary "@$WORK/want-big" "$BASE/repos/big.git/git-upload-pack" &
    SLOW_PIDS+=($!)
  done
  for i in $(seq 1 100); do
    [ "$(curl -s "$BASE/healthz" | json_get git_children)" = "$1" ] && return 0
    sleep 0.1
  done
  fail "the slow clones' git children did not start"
}

# The slow clients still read what the kernel buffered: stop them.
stop_slow_clones() {
  kill "${SLOW_PIDS[@]}" 2>/dev/null || true
  wait "${SLOW_PIDS[@]}" 2>/dev/null || true
}

# Once the data directory lock is free (a new server could start), records
# what of ours still runs in $WORK/at-unlock. In the background.
watch_unlock() {
  rm -f "$WORK/at-unlock"
  ( until flock -n "$DATA/.agentgit.lock" true 2>/dev/null; do sleep 0.005; done
    { children_in_data; wrappers; } >"$WORK/at-unlock.tmp"
    mv "$WORK/at-unlock.tmp" "$WORK/at-unlock" ) &
  UNLOCK_WATCHER=$!
}

# seconds_since EPOCHREALTIME
seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# wait_exit SECONDS: waits for the server to exit; prints how long it took
# from $T0 (the signal) and its exit code in EXIT_RC.
wait_exit() {
  for _ in $(seq 1 $(( $1 * 20 ))); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID"
    fail "the server was still running $1 s after the signal"
  fi
  EXIT_RC=0
  wait "$SERVER_PID" || EXIT_RC=$?
  SERVER_PID=""
}

# After the server is gone: no git child, no wrapper left, and none was
# running when the data directory lock was released.
assert_nothing_left() {
  [ -z "$(children_in_data)" ] || fail "git children outlived the server: $(children_in_data)"
  [ -z "$(wrappers)" ] || fail "git wrappers outlived the server: $(wrappers)"
  wait "$UNLOCK_WATCHER" || true
  [ -f "$WORK/at-unlock" ] || fail "the data directory lock was not released"
  [ ! -s "$WORK/at-unlock" ] || fail "git children still ran when the data directory lock was released: $(cat "$WORK/at-unlock")"
}

# assert_terminated N: N upload-pack wrappers got SIGTERM and then ended on
# their own (a SIGKILL would leave a TERM line without its exit line).
assert_terminated() {
  local pids p
  pids=$(sed -n 's/^TERM \([0-9]*\) upload-pack.*/\1/p' "$SIGLOG")
  assert_eq "$1" "$(echo "$pids" | grep -c .)" "upload-packs that got SIGTERM ($(cat "$SIGLOG"))"
  for p in $pids; do
    grep -q "^exit $p " "$SIGLOG" || fail "git $p was killed before it could end on SIGTERM: $(cat "$SIGLOG")"
  done
}

# ---- SIGTERM with a short request in flight and a clone that cannot finish
start_wrapped "$WORK/grace2.toml"
slow_clones "$CLONES"
# The short request: a fetch of the small repo whose body the client sends
# in two halves, the second only after the signal; it must be answered in
# full (a NAK, then a pack whose trailing checksum is right).
/usr/bin/python3 - "$PORT" "$SMALL_TIP" "$WORK/go" >"$WORK/short.out" 2>&1 <<'PY' &
import hashlib, http.client, os, sys, time
port, tip, go = sys.argv[1], sys.argv[2], sys.argv[3]
body = ("0032want %s\n" % tip).encode() + b"0000" + b"0009done\n"
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
c.putrequest("POST", "/repos/small.git/git-upload-pack")
c.putheader("Content-Type", "application/x-git-upload-pack-request")
c.putheader("Content-Length", str(len(body)))
c.endheaders()
c.send(body[:20])
print("half sent", flush=True)
while not os.path.exists(go):
    time.sleep(0.02)
c.send(body[20:])
r = c.getresponse()
data = r.read()
ok = data.startswith(b"0008NAK\n") and data[8:12] == b"PACK" and \
    hashlib.sha1(data[8:-20]).digest() == data[-20:]
print("status %d, %d bytes, pack %s" % (r.status, len(data), "complete" if ok else "BROKEN"), flush=True)
PY
short=$!
for _ in $(seq 1 100); do grep -q "half sent" "$WORK/short.out" && break; sleep 0.05; done
grep -q "half sent" "$WORK/short.out" || fail "the short request did not start: $(cat "$WORK/short.out")"
sleep 0.2   # its header is read: it is in flight

T0=$EPOCHREALTIME
kill -TERM "$SERVER_PID"
watch_unlock
refused=""
for _ in $(seq 1 40); do
  rc=0
  curl -s -o /dev/null --max-time 1 "$BASE/healthz" || rc=$?
  if [ "$rc" = 7 ]; then refused=$(seconds_since "$T0"); break; fi
  sleep 0.025
done
[ -n "$refused" ] || fail "new connections were still accepted 1 s after SIGTERM"
# "At once" is checked by order: the refusal comes while the short request
# still waits for the rest of its body (it is sent only after this), half
# way into the 2 s grace at the latest. The figure includes starting curl
# and the signal's delivery on a machine busy with 5 packing git children
# and other tests (a CI run saw 0.64 s).
awk -v s="$refused" -v slow="$SLOW" 'BEGIN { exit !(s < 1.0 + slow / 3) }' || fail "new connections refused only after $refused s"
pass "SIGTERM: new connections refused after $refused s"

touch "$WORK/go"
wait "$short" || fail "the short request's client failed: $(cat "$WORK/short.out")"
grep -q "status 200, .* pack complete" "$WORK/short.out" || fail "the short request: $(cat "$WORK/short.out")"
pass "SIGTERM: a request in flight finishes normally ($(tail -1 "$WORK/short.out"))"

wait_exit $((2 + 5 + SLOW))
took=$(seconds_since "$T0")
assert_eq 0 "$EXIT_RC" "exit code after SIGTERM"
assert_nothing_left
stop_slow_clones
grep -q "grace period over: ending $CLONES requests" "$WORK/server.log" || fail "no 'grace period over' in the log"
assert_terminated "$CLONES"
# The grace, then the children all at once: each takes half a second.
awk -v s="$took" 'BEGIN { exit !(s >= 1.9) }' || fail "the server exited after $took s, before the 2 s grace was over"
awk -v s="$took" -v slow="$SLOW" 'BEGIN { exit !(s < 3.5 + slow) }' ||
  fail "the server took $took s to exit (grace 2 s, $CLONES git children taking 0.5 s each to end)"
pass "SIGTERM: exit 0 after $took s (grace 2 s); $CLONES clones' git children got SIGTERM and ended; nothing left"

# ---- a second signal during the grace stops the server at once ----------
cat >"$WORK/grace60.toml" <<'TOML'
[limits]
shutdown_grace = "60s"
pack_cache_bytes = 0
TOML
: >"$SIGLOG"
start_wrapped "$WORK/grace60.toml"
slow_clones 2
kill -TERM "$SERVER_PID"
watch_unlock
sleep 0.5
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server did not wait for the clones (grace 60 s)"
T0=$EPOCHREALTIME
kill -INT "$SERVER_PID"
# At once, against a 60 s grace: within 2 s (wait_exit fails past it). The
# children take 0.5 s to end, and a busy machine can add as much again
# (the refusal above once took 0.64 s).
wait_exit $((2 + SLOW))
took=$(seconds_since "$T0")
assert_eq 0 "$EXIT_RC" "exit code after a second signal"
assert_nothing_left
stop_slow_clones
grep -q "again: stopping now" "$WORK/server.log" || fail "no 'stopping now' in the log"
assert_terminated 2
pass "a second signal during the grace: exit after $took s; the clones' git children got SIGTERM; nothing left"

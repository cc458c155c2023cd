#!/usr/bin/env bash
# Connections are bounded so the server never runs out of descriptors:
# the soft open files limit is raised to the hard one at start; under a
# low hard limit, a flood of idle sockets is met by closing the longest
# idle ones, so /healthz and clones still work; near max_connections
# what is left (connection_reserve) is for /healthz and signed-in users.
source "$(dirname "$0")/lib.sh"
REAL_BIN=$AGENTGIT_BIN
# The server under a lower open files limit: NOFILE is passed to ulimit.
cat >"$WORK/limited.sh" <<'SH'
#!/usr/bin/env bash
ulimit $NOFILE || exit 1
exec "$REAL_BIN" "$@"
SH
chmod +x "$WORK/limited.sh"
export REAL_BIN
AGENTGIT_BIN=$WORK/limited.sh

soft_hard() { awk '/^Max open files/ {print $4, $5}' "/proc/$SERVER_PID/limits"; }

# 1. A low soft limit is raised to the hard one.
hard=$(ulimit -Hn)
export NOFILE="-S -n 256"
start_server
read -r soft now_hard <<<"$(soft_hard)"
assert_eq "$hard" "$now_hard" "hard open files limit"
assert_eq "$hard" "$soft" "soft open files limit after start (was 256)"
grep -q "open files limit raised from 256 to $hard" "$WORK/server.log" || fail "the raise is not logged"
pass "soft open files limit raised from 256 to $hard"
stop_server

# 2. Hard limit 256: 400 idle sockets do not lock anyone out.
cat >"$WORK/few.toml" <<'TOML'
[limits]
max_git_children = 4
TOML
export NOFILE="-n 256"
start_server --config "$WORK/few.toml"
grep -q "connections: at most" "$WORK/server.log" || fail "the connection cap is not logged"
cap=$(sed -n 's/.*connections: at most \([0-9]*\) .*/\1/p' "$WORK/server.log")
create_repo many
git clone -q "$BASE/repos/many.git" "$WORK/a" 2>/dev/null
commit_file "$WORK/a" a.txt "hello"
git -C "$WORK/a" push -q origin HEAD:main
mkfifo "$WORK/go"
/usr/bin/python3 - "$PORT" "$WORK/go" >"$WORK/idle.out" <<'PY' &
import select, socket, sys
port, go = int(sys.argv[1]), sys.argv[2]
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(400)]
print("open", flush=True)
open(go).read()  # until the test is done with the server
closed = 0
for s in socks:
    r, _, _ = select.select([s], [], [], 0)
    if r:
        try:
            closed += s.recv(1) == b""
        except OSError:
            closed += 1
print("closed", closed, flush=True)
PY
idle=$!
for _ in $(seq 1 300); do
  grep -q open "$WORK/idle.out" && break
  sleep 0.1
done
grep -q open "$WORK/idle.out" || fail "the idle sockets were not opened"
code=$(curl -s -o "$WORK/health.json" -w '%{http_code}' --max-time 10 "$BASE/healthz")
assert_eq 200 "$code" "/healthz with 400 idle sockets open (hard limit 256)"
git clone -q "$BASE/repos/many.git" "$WORK/b" || fail "a clone with 400 idle sockets open"
[ -f "$WORK/b/a.txt" ] || fail "the clone is incomplete"
echo done >"$WORK/go"
wait "$idle"
closed=$(sed -n 's/closed \([0-9]*\)/\1/p' "$WORK/idle.out")
[ "$closed" -gt 0 ] || fail "no idle socket was closed"
! grep -q "Too many open files" "$WORK/server.log" || fail "the server ran out of descriptors"
assert_alive
pass "hard limit 256 (cap $cap connections): 400 idle sockets, $closed of them closed for room; /healthz and a clone work"
stop_server
AGENTGIT_BIN=$REAL_BIN

# 3. The reserve: connections busy with a request (a header still on its
# way) fill all but the reserve; then anonymous requests get 503 while
# /healthz and a signed-in user get in.
PW='alice-pw-9'
AHASH=$(printf '%s\n' "$PW" | "$AGENTGIT_BIN" hash-password)
cat >"$WORK/cap.toml" <<TOML
[limits]
max_connections = 20
connection_reserve = 5
header_timeout = "60s"

[auth]
anonymous = "read"

[[auth.users]]
name = "alice"
password_hash = "$AHASH"
access = { "*" = "write" }
TOML
start_server --config "$WORK/cap.toml"
assert_eq 201 "$(http_status POST /api/v1/repos -u "alice:$PW" -H 'Content-Type: application/json' -d '{"name":"r"}')" \
  "create repo"
/usr/bin/python3 - "$PORT" "$WORK/go" >"$WORK/busy.out" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
socks = []
for _ in range(15):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
    socks.append(s)
print("busy", flush=True)
time.sleep(600)
PY
busy=$!
for _ in $(seq 1 300); do
  grep -q busy "$WORK/busy.out" && break
  sleep 0.1
done
# Accepted and counted a moment after the client's connect() returned.
for _ in $(seq 1 50); do
  [ "$(http_status GET '/repos/r.git/info/refs?service=git-upload-pack')" = 503 ] && break
  sleep 0.1
done
assert_eq 503 "$(http_status GET '/repos/r.git/info/refs?service=git-upload-pack')" "anonymous request in the reserve"
assert_eq 200 "$(http_status GET /healthz)" "/healthz in the reserve"
assert_eq 200 "$(http_status GET '/repos/r.git/info/refs?service=git-upload-pack' -u "alice:$PW")" \
  "signed-in request in the reserve"
kill "$busy"
wait "$busy" 2>/dev/null || true
for _ in $(seq 1 50); do
  [ "$(http_status GET '/repos/r.git/info/refs?service=git-upload-pack')" = 200 ] && break
  sleep 0.1
done
assert_eq 200 "$(http_status GET '/repos/r.git/info/refs?service=git-upload-pack')" "anonymous once the busy ones left"
pass "connection_reserve: anonymous 503, /healthz and signed-in users get in"

#!/usr/bin/env bash
# Clients that never read their fetch response cannot hold the git
# children everyone else needs: one client (a user, or an anonymous
# caller's address) past its share of max_git_children leaves the others
# theirs, and a response whose reader takes nothing in for stall_timeout
# is cut off, which ends its git child.
source "$(dirname "$0")/lib.sh"
BG=()
# Background clients must not outlive a failed test (ctest waits for them).
end_background() {
  local rc=$?
  set +e
  [ ${#BG[@]} -eq 0 ] || kill "${BG[@]}" 2>/dev/null || true
  (exit $rc)
  cleanup
}
trap end_background EXIT
UP_REQ=application/x-git-upload-pack-request
PW='alice-pw-7'
BPW='bob-pw-8'
AHASH=$(printf '%s\n' "$PW" | "$AGENTGIT_BIN" hash-password)
BHASH=$(printf '%s\n' "$BPW" | "$AGENTGIT_BIN" hash-password)
cat >"$WORK/stall.toml" <<TOML
[limits]
max_git_children = 4
stall_timeout = "2s"
git_wait_timeout = "1s"
pack_cache_bytes = 0  # each stalled reader holds a git child of its own

[auth]
anonymous = "read"

[[auth.users]]
name = "alice"
password_hash = "$AHASH"
access = { "*" = "write" }

[[auth.users]]
name = "bob"
password_hash = "$BHASH"
access = { "*" = "read" }
TOML
start_server --config "$WORK/stall.toml"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "alice:$PW" -X POST -H 'Content-Type: application/json' \
  -d '{"name":"big"}' "$BASE/api/v1/repos")
assert_eq 201 "$code" "create repo"
URL="http://alice:$PW@127.0.0.1:$PORT/repos/big.git"
git init -q "$WORK/src"
# Incompressible and larger than any socket buffers: a reader that takes
# nothing in blocks the server's writes, whatever the machine's speed.
head -c 16000000 /dev/urandom >"$WORK/src/blob.bin"
git -C "$WORK/src" add blob.bin && git -C "$WORK/src" commit -q -m blob
git -C "$WORK/src" push -q "$URL" HEAD:main
tip=$(git -C "$WORK/src" rev-parse HEAD)

children() { curl -s "$BASE/healthz" | json_get git_children; }

# Four clients of one user (bob) ask for the whole pack and never read it:
# each peeks at its status line (without taking it from the socket) and
# then holds on.
/usr/bin/python3 - "$PORT" "$tip" "$BPW" >"$WORK/stalled.out" 2>"$WORK/stalled.err" <<'PY' &
import base64, socket, sys, time
port, tip, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = ("0032want %s\n" % tip).encode() + b"00000009done\n"
auth = base64.b64encode(b"bob:" + pw.encode())
req = (b"POST /repos/big.git/git-upload-pack HTTP/1.1\r\nHost: localhost\r\n"
       b"Authorization: Basic " + auth + b"\r\n"
       b"Content-Type: application/x-git-upload-pack-request\r\n"
       b"Content-Length: %d\r\n\r\n" % len(body)) + body
socks = []
for _ in range(4):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(req)
    socks.append(s)
statuses = []
for s in socks:
    s.settimeout(30)
    head = s.recv(12, socket.MSG_PEEK)
    statuses.append(head[9:12].decode())
print(" ".join(sorted(statuses)), flush=True)
time.sleep(120)
PY
stalled=$!
BG+=("$stalled")
for _ in $(seq 1 300); do
  [ -s "$WORK/stalled.out" ] && break
  sleep 0.1
done
statuses=$(cat "$WORK/stalled.out")
[ -n "$statuses" ] || fail "the stalled clients got no answer"
served=$(tr ' ' '\n' <<<"$statuses" | grep -c '^200$' || true)
# 4 children, a share of 1: bob gets 3, the last is left for the others.
assert_eq 3 "$served" "stalled clients of one user served at once (4 children, share 1), statuses: $statuses"
held=$(children)
assert_eq 3 "$held" "git children bob holds"
pass "one user past its share leaves the others theirs ($statuses)"

# Others are not shut out meanwhile: an anonymous caller (whose share is
# its address's), and another user.
git ls-remote "$BASE/repos/big.git" >"$WORK/ls.out" 2>"$WORK/ls.err" ||
  fail "anonymous ls-remote while readers stall: $(cat "$WORK/ls.err")"
grep -q "$tip" "$WORK/ls.out" || fail "ls-remote: $(cat "$WORK/ls.out")"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "alice:$PW" "$BASE/repos/big.git/info/refs?service=git-upload-pack")
assert_eq 200 "$code" "alice's advertisement while bob's readers stall"
pass "git ls-remote (anonymous) and alice's requests work while bob's readers stall"

# The stalled response is cut off after stall_timeout: its child ends.
start=$(date +%s.%N)
left=1
for _ in $(seq 1 200); do
  left=$(children)
  [ "$left" = 0 ] && break
  sleep 0.1
done
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
assert_eq 0 "$left" "git children 20 s after the readers stalled (stall_timeout 2s)"
kill "$stalled" 2>/dev/null || true
wait "$stalled" 2>/dev/null || true
wait_no_children 10
grep -q "git upload-pack: ended early" "$WORK/server.log" || fail "the cut is not logged"
pass "a stalled response is cut off: git children back to 0 within $took s of the ls-remote"

# A reader that is slow but keeps taking bytes (16 KiB every 20 ms, about
# 0.8 MB/s: 20 s for the pack) is not cut off, though on loopback the
# server's writes wait for it much longer than stall_timeout (the kernel
# takes more only once half of a send buffer autotuned to 4 MiB drained):
# progress is what the reader acknowledged.
/usr/bin/python3 - "$PORT" "$tip" >"$WORK/slow.out" <<'PY'
import socket, sys, time
port, tip = int(sys.argv[1]), sys.argv[2]
body = ("0032want %s\n" % tip).encode() + b"00000009done\n"
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /repos/big.git/git-upload-pack HTTP/1.0\r\nHost: localhost\r\n"
          b"Content-Type: application/x-git-upload-pack-request\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body)
got, start = 0, time.time()
while True:
    chunk = s.recv(16384)
    if not chunk:
        break
    got += len(chunk)
    time.sleep(0.02)
print(got, "%.1f" % (time.time() - start))
PY
read -r got secs <"$WORK/slow.out"
[ "$got" -gt 16000000 ] || fail "a slow but steady reader got only $got bytes in $secs s"
pass "a slow but steady reader gets the whole pack ($got bytes in $secs s)"

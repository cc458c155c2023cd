#!/usr/bin/env bash
# Every limit is configurable and holds: header size (431), request body
# caps per service (413), gzip bombs bounded after inflation, slow headers
# cut off while real clones keep working, a cap on git children (503 +
# Retry-After).
source "$(dirname "$0")/lib.sh"
# Identical requests would share one git (pack_cache_test.sh covers that);
# here each request must hold a git child of its own.
cat >"$WORK/limits.toml" <<'TOML'
[limits]
max_header_bytes = "4KiB"
max_upload_pack_request = "64KiB"
max_receive_pack_request = "2MiB"
header_timeout = "2s"
idle_timeout = "3s"
max_git_children = 2
upload_pack_timeout = "30s"
pack_cache_bytes = 0
TOML
start_server --config "$WORK/limits.toml"
UP_REQ=application/x-git-upload-pack-request
create_repo lim
git clone -q "$BASE/repos/lim.git" "$WORK/a"
commit_file "$WORK/a" a.txt "small"
git -C "$WORK/a" push -q origin main
tip=$(git -C "$WORK/a" rev-parse HEAD)

# Header size.
assert_eq 431 "$(http_status GET /healthz -H "X-Big: $(head -c 5000 /dev/zero | tr '\0' a)")" "a 5 KB header"
assert_eq 200 "$(http_status GET /healthz -H "X-Small: $(head -c 1000 /dev/zero | tr '\0' a)")" "a 1 KB header"
pass "max_header_bytes: 431 over it"

# Upload-pack negotiation cap, plain and gzip (a bomb: 50 MB of wants-like
# zeros compress to ~50 KB; it must be refused without inflating it all).
body="$WORK/big-negotiation"
{ for i in $(seq 1 2000); do printf '0032want %s\n' "$tip"; done; printf '00000009done\n'; } >"$body"
assert_eq 413 "$(http_status POST /repos/lim.git/git-upload-pack -H "Content-Type: $UP_REQ" --data-binary "@$body")" \
  "a 100 KB negotiation"
# Flush packets ("0000") forever: valid framing, so only the cap can stop it.
head -c 50000000 /dev/zero | tr '\0' '0' | gzip -c >"$WORK/bomb.gz"
rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
assert_eq 413 "$(http_status POST /repos/lim.git/git-upload-pack -H "Content-Type: $UP_REQ" -H 'Content-Encoding: gzip' \
  --data-binary "@$WORK/bomb.gz")" "a gzip bomb"
rss_after=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
[ $((rss_after - rss_before)) -lt 20000 ] || fail "the gzip bomb grew the server by $((rss_after - rss_before)) kB"
git clone -q "$BASE/repos/lim.git" "$WORK/b" || fail "a normal clone under the negotiation cap"
pass "max_upload_pack_request: 413 over it, gzip bombs bounded after inflation"

# Receive-pack cap: a 3 MB incompressible push is refused, nothing changes.
head -c 3000000 /dev/urandom >"$WORK/a/big.bin"
git -C "$WORK/a" add big.bin && git -C "$WORK/a" commit -q -m big
if git -C "$WORK/a" push -q origin main 2>"$WORK/push.err"; then fail "a push over max_receive_pack_request was accepted"; fi
grep -q "413" "$WORK/push.err" || fail "git was not told why: $(cat "$WORK/push.err")"
assert_eq "$tip" "$(git ls-remote "$BASE/repos/lim.git" refs/heads/main | cut -f1)" "main after the refused push"
git -C "$WORK/a" reset -q --hard HEAD~1
pass "max_receive_pack_request: 413, nothing changed"

# Slowloris: a header dribbled a byte a second is cut off after
# header_timeout while a real clone at the same time works.
/usr/bin/python3 - "$PORT" >"$WORK/slowloris.out" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
start = time.time()
try:
    for ch in b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 100:
        s.send(bytes([ch]))
        time.sleep(0.5)
        if time.time() - start > 20:
            break
    data = s.recv(100)
except OSError:
    data = b""
print("closed after %.1f s, got %r" % (time.time() - start, data[:40]))
PY
slow=$!
git clone -q "$BASE/repos/lim.git" "$WORK/c" || fail "a clone while a slowloris client is connected"
wait "$slow"
secs=$(sed -n 's/closed after \([0-9.]*\) s.*/\1/p' "$WORK/slowloris.out")
awk -v s="$secs" 'BEGIN { exit !(s < 8) }' || fail "the slow header was not cut off in time: $(cat "$WORK/slowloris.out")"
pass "header_timeout: a dribbled header is cut off ($secs s); clones keep working"

# An idle keep-alive connection is closed after idle_timeout.
/usr/bin/python3 - "$PORT" >"$WORK/idle.out" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
start = time.time()
s.settimeout(15)
try:
    data = s.recv(100)
except OSError:
    data = b"timeout"
print("%.1f %r" % (time.time() - start, data))
PY
secs=$(cut -d' ' -f1 "$WORK/idle.out")
awk -v s="$secs" 'BEGIN { exit !(s >= 2.5 && s < 8) }' || fail "idle connection: $(cat "$WORK/idle.out")"
pass "idle_timeout: an idle connection is closed"

# Git children: with two held by slow readers, a third request waits in
# the queue: past git_wait_timeout it gets 503 with Retry-After; a second
# waiter of the same client finds its part of the queue (4 / 4 = 1) full
# and gets 503 at once; a waiter is served as soon as a reader goes.
head -c 8000000 /dev/urandom >"$WORK/a/payload.bin"
git -C "$WORK/a" add payload.bin && git -C "$WORK/a" commit -q -m payload
cat >"$WORK/limits2.toml" <<'TOML'
[limits]
max_git_children = 2
max_git_children_per_client = 2
max_git_waiting = 4
git_wait_timeout = "2s"
pack_cache_bytes = 0
TOML
stop_server
start_server --config "$WORK/limits2.toml"
git -C "$WORK/a" remote set-url origin "$BASE/repos/lim.git"
git -C "$WORK/a" push -q origin main
# (a v2 capability list, now kept for this server: see the watcher below)
git -c protocol.version=2 ls-remote "$BASE/repos/lim.git" >/dev/null
tip=$(git -C "$WORK/a" rev-parse HEAD)
printf '0032want %s\n00000009done\n' "$tip" >"$WORK/want"
readers=()
for i in 1 2; do
  # Readers that never read, with a small fixed receive buffer: with
  # autotuning (tcp_rmem up to 32 MiB here) a slow reader's kernel could
  # take the whole 8 MB pack and let its git child finish early. Held
  # until the checks below are done, not for a fixed time.
  timeout 120 python3 - "$PORT" "$UP_REQ" "$WORK/want" <<'PY' &
import socket, sys, time
port, ctype, body = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s.connect(("127.0.0.1", port))
s.sendall(b"POST /repos/lim.git/git-upload-pack HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          b"Content-Type: " + ctype.encode() + b"\r\nContent-Length: " + str(len(body)).encode() +
          b"\r\n\r\n" + body)
time.sleep(120)
PY
  readers+=($!)
done
# Deadlines, not counts of looks: on a loaded machine one look at /proc
# can take a second.
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
  [ "$(curl -s "$BASE/healthz" | json_get git_children)" = 2 ] && break
  sleep 0.1
done
# The count goes up as a child is spawned, a moment before it has exec'd
# git: look until it shows as upload-pack.
kids=""
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
  kids=$(children_in_data)
  grep -q -- "upload-pack --strict --timeout=600 " <<<"$kids" && break
  sleep 0.1
done
grep -q -- "upload-pack --strict --timeout=600 " <<<"$kids" || fail "upload-pack runs without --timeout: $kids"
# A watcher's v2 ls-remote needs no git child (its capability list is kept,
# its ls-refs read from the refs): answered at once, nothing waits.
start=$(date +%s.%N)
git -c protocol.version=2 ls-remote "$BASE/repos/lim.git" >"$WORK/watch" || fail "a v2 ls-remote while git children are all busy"
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
grep -q "refs/heads/main" "$WORK/watch" || fail "the watcher's refs: $(cat "$WORK/watch")"
awk -v t="$took" 'BEGIN { exit !(t < 1.5) }' || fail "the watcher waited $took s for a git child it does not need"
assert_eq 0 "$(curl -s "$BASE/healthz" | json_get git_waiting)" "nothing waiting after the watcher"
# wait_waiting N: until /healthz counts N requests waiting (30 s at most).
wait_waiting() {
  local deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(curl -s "$BASE/healthz" | json_get git_waiting)" = "$1" ] && return 0
    sleep 0.05
  done
}
# A third request waits, and is counted as waiting meanwhile.
start=$(date +%s.%N)
curl -s -D "$WORK/h503" -o "$WORK/b503" "$BASE/repos/lim.git/info/refs?service=git-upload-pack" &
waiter=$!
wait_waiting 1
assert_eq 1 "$(curl -s "$BASE/healthz" | json_get git_waiting)" "/healthz git_waiting while a request waits"
# The same client's second waiter: its part of the queue (4 / 4 = 1) is full.
curl -s -D "$WORK/hfull" -o "$WORK/bfull" "$BASE/repos/lim.git/info/refs?service=git-upload-pack"
head -1 "$WORK/hfull" | grep -q " 503" || fail "a request past the client's part of the queue: $(head -1 "$WORK/hfull")"
grep -q "running and waiting" "$WORK/bfull" || fail "queue full: $(cat "$WORK/bfull")"
wait "$waiter"
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
head -1 "$WORK/h503" | grep -q " 503" || fail "a third git request: $(head -1 "$WORK/h503")"
grep -qi "^retry-after: 1" "$WORK/h503" || fail "503 without Retry-After"
grep -q "git_wait_timeout" "$WORK/b503" || fail "the wait's 503 says why: $(cat "$WORK/b503")"
awk -v t="$took" 'BEGIN { exit !(t >= 1.9) }' || fail "the waiter was refused after $took s, before git_wait_timeout (2s)"
# A waiter is served once a reader goes.
curl -s -o "$WORK/served" -w '%{http_code}' "$BASE/repos/lim.git/info/refs?service=git-upload-pack" >"$WORK/served.code" &
waiter=$!
wait_waiting 1
kill "${readers[0]}" 2>/dev/null || true
wait "$waiter"
assert_eq 200 "$(cat "$WORK/served.code")" "a waiting request once a reader went"
grep -q "refs/heads/main" "$WORK/served" || fail "the waiter's advertisement: $(head -c 300 "$WORK/served")"
kill "${readers[@]}" 2>/dev/null || true
for p in "${readers[@]}"; do wait "$p" || true; done
wait_no_children 10
assert_eq 200 "$(http_status GET '/repos/lim.git/info/refs?service=git-upload-pack')" "after the slow readers left"
pass "max_git_children: over it requests wait (git_waiting), and get 503 with Retry-After past git_wait_timeout or a full queue"

# Shared helpers for the integration tests: each test starts the real
# server on a free loopback port with a temporary data directory and drives
# the real git client. Source it; it sets `set -euo pipefail`.
set -euo pipefail

AGENTGIT_BIN=${AGENTGIT_BIN:?AGENTGIT_BIN must point at the agentgit binary}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentgit-test.XXXXXX")
DATA=$WORK/data
SERVER_PID=""
PORT=""
BASE=""

# A git of our own: no user or system config, fixed identity, no prompts.
export HOME=$WORK/home
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.com
git config --global init.defaultBranch main
git config --global advice.detachedHead false

cleanup() {
  local rc=$?
  [ -z "${PROXY_PID:-}" ] || kill "$PROXY_PID" 2>/dev/null || true
  # What the test left running in the background (slow clients, a failed
  # test's helpers) would go on writing into $WORK and outlive the test,
  # and clients still being served would hold the server in its shutdown
  # grace: they go first, then the server (and a tracer in front of it).
  local p left=""
  for p in $(jobs -p); do
    [ "$p" = "${SERVER_PID:-}" ] || [ "$p" = "${STRACE_PID:-}" ] || [ "$p" = "${PROXY_PID:-}" ] && continue
    kill -0 "$p" 2>/dev/null && left="$left $p"
  done
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086
    kill $left 2>/dev/null || true
    sleep 0.2
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
  fi
  stop_server || true
  if [ $rc -ne 0 ] && [ -f "$WORK/server.log" ]; then
    echo "---- server log (last 40 lines) ----" >&2
    tail -n 40 "$WORK/server.log" >&2 || true
  fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pass() { echo "ok - $*"; }

assert_eq() {  # expected actual message
  [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# start_server [agentgit serve args...]: starts on 127.0.0.1:0 unless
# --listen is given; sets PORT, BASE and SERVER_PID.
start_server() {
  local listen=(--listen 127.0.0.1:0)
  if [[ " $* " == *" --listen "* ]]; then listen=(); fi
  launch_server "${listen[@]}" "$@"
}

# launch_server [agentgit serve args...]: starts the server with exactly
# these arguments (and --data), waits until it listens, sets PORT, BASE and
# SERVER_PID. A command in the array SERVER_WRAPPER (say, strace and its
# options) runs the server instead; SERVER_PID is then the wrapper's.
SERVER_WRAPPER=()
launch_server() {
  # Emptied here, not by the redirection below: that one runs in the
  # background child, so the loop could read the previous server's line
  # (and then an empty file).
  : >"$WORK/server.out"
  "${SERVER_WRAPPER[@]}" "$AGENTGIT_BIN" serve --data "$DATA" "$@" >"$WORK/server.out" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  local i
  for i in $(seq 1 200); do
    if grep -q 'listening on' "$WORK/server.out" 2>/dev/null; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start-up: $(cat "$WORK/server.log")"
    sleep 0.05
  done
  PORT=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$WORK/server.out")
  [ -n "$PORT" ] || fail "server did not report its port"
  BASE="http://127.0.0.1:$PORT"
}

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

# The server must still be up and answering.
assert_alive() {
  kill -0 "$SERVER_PID" 2>/dev/null || fail "server died"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] || fail "server stopped answering /healthz"
}

create_repo() {  # name
  local code
  code=$(curl -s -o "$WORK/create.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d "{\"name\":\"$1\"}" "$BASE/api/v1/repos")
  [ "$code" = 201 ] || fail "create repo $1: HTTP $code $(cat "$WORK/create.json")"
}

# http_status METHOD PATH [curl args...]: prints the status code only.
http_status() {
  local method=$1 path=$2
  shift 2
  curl -s -o /dev/null -w '%{http_code}' -X "$method" "$@" "$BASE$path"
}

# Processes whose working directory is inside the data directory: git
# children (upload-pack, pack-objects, receive-pack, index-pack) run there.
# One find for all of /proc (a readlink per process took ~0.6 s on a busy
# machine: long enough for a whole clone to come and go between looks).
children_in_data() {
  local link p
  while IFS= read -r link; do
    p=${link%/cwd}
    echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
  done < <(find /proc/[0-9]*/cwd -maxdepth 0 -lname "$DATA/*" 2>/dev/null || true)
}

# Waits up to $1 seconds for no git child to be left in the data dir.
wait_no_children() {
  local i
  for i in $(seq 1 $(( $1 * 10 ))); do
    [ -z "$(children_in_data)" ] && return 0
    sleep 0.1
  done
  fail "git processes left behind: $(children_in_data)"
}

# Repos grown past [git] upkeep_every are repacked in the background, at
# start-up too (server/repo_upkeep.hpp), and a running repack's temp files
# are not leftovers: wait_upkeep_idle [SECONDS] waits (30 s) for none to be
# due or running; non-zero if some still is.
wait_upkeep_idle() {
  local i
  for i in $(seq 1 $(( ${1:-30} * 10 ))); do
    grep -q '^agentgit_repo_upkeep_due 0$' <<<"$(curl -s "$BASE/metrics")" && return 0
    sleep 0.1
  done
  return 1
}

# The server logs a request after its response is sent, so a client can finish
# before the line is written: wait_for_log REGEX [SECONDS] waits for it (5 s).
wait_for_log() {
  local i
  for i in $(seq 1 $(( ${2:-5} * 10 ))); do
    grep -q -- "$1" "$WORK/server.log" && return 0
    sleep 0.1
  done
  return 1
}

# raw_http BYTES-EXPRESSION (a python bytes expression): sends exactly those
# bytes on a new connection, half-closes it, reads to the end and prints the
# response's status line (nothing when the server sent nothing).
raw_http() {
  /usr/bin/python3 - "$PORT" "$1" <<'PY'
import socket, sys
port, payload = int(sys.argv[1]), eval(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
data = b""
try:
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
except OSError:
    pass
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
print(data.split(b"\r\n", 1)[0].decode("latin-1"))
PY
}

# A commit with one file in a fresh clone: commit_file DIR FILE CONTENT
commit_file() {
  mkdir -p "$(dirname "$1/$2")"
  printf '%s' "$3" >"$1/$2"
  git -C "$1" add "$2"
  git -C "$1" commit -q -m "write $2"
}

# JSON field from stdin: json_get FIELD (a top-level key; lists are joined with ",").
json_get() {
  /usr/bin/python3 -c 'import json,sys
v = json.load(sys.stdin).get(sys.argv[1])
print(",".join(v) if isinstance(v, list) else ("" if v is None else v))' "$1"
}

# api METHOD PATH [JSON]: prints the response body; fails on a non-2xx status.
api() {
  local method=$1 path=$2 body=${3:-}
  local out code
  out=$(mktemp "$WORK/api.XXXXXX")
  if [ -n "$body" ]; then
    code=$(curl -s -o "$out" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' -d "$body" "$BASE$path")
  else
    code=$(curl -s -o "$out" -w '%{http_code}' -X "$method" "$BASE$path")
  fi
  case "$code" in 2*) cat "$out" ;; *) fail "$method $path: HTTP $code $(cat "$out")" ;; esac
}

# expect_bad_config TOML WHAT PATTERN: `agentgit serve` with TOML as its
# config file stops at start-up with exit 2 and an error matching PATTERN.
expect_bad_config() {
  local rc=0
  printf '%s\n' "$1" >"$WORK/bad.toml"
  "$AGENTGIT_BIN" serve --data "$DATA" --listen 127.0.0.1:0 --config "$WORK/bad.toml" >/dev/null 2>"$WORK/bad.err" || rc=$?
  assert_eq 2 "$rc" "$2 stops start-up"
  grep -q -- "$3" "$WORK/bad.err" || fail "$2: the error does not say '$3': $(cat "$WORK/bad.err")"
}

# For tests that check statuses and error bodies themselves:
JSON=(-H 'Content-Type: application/json')
# req METHOD PATH [curl args...]: sets CODE; the body is in $WORK/body, the
# headers in $WORK/headers.
req() {
  local method=$1 path=$2
  shift 2
  CODE=$(curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "$method" "$@" "$BASE$path")
}
# expect STATUS WHAT METHOD PATH [curl args...]
expect() {
  local want=$1 what=$2
  shift 2
  req "$@"
  [ "$CODE" = "$want" ] || fail "$what: expected HTTP $want, got $CODE: $(head -c 400 "$WORK/body")"
}
body() { cat "$WORK/body"; }
body_get() { json_get "$1" <"$WORK/body"; }

# start_stalling_proxy BYTES: a TCP proxy to the server on a port of its own
# (PROXY_PORT, PROXY_PID) that passes each connection's answer through until
# BYTES of it, then stops reading it, so a client behind it stalls mid-way
# whatever the machine's speed (the server's writes back up into its git
# child). It prints "stalled" to $WORK/proxy.out when that happens.
start_stalling_proxy() {
  : >"$WORK/proxy.out"
  /usr/bin/python3 -u - "$PORT" "$1" >"$WORK/proxy.out" 2>&1 <<'PY' &
import os, socket, sys, threading, time
target, budget = int(sys.argv[1]), int(sys.argv[2])
threading.Timer(300, os._exit, [0]).start()  # never outlives a failed test for long
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print("port %d" % listener.getsockname()[1])

def pump(src, dst, limit):
    sent = 0
    try:
        while True:
            want = 65536 if limit is None else min(65536, limit - sent)
            if want <= 0:
                print("stalled")
                while True:
                    time.sleep(3600)
            data = src.recv(want)
            if not data:
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def serve(client):
    upstream = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pump, args=(client, upstream, None), daemon=True).start()
    pump(upstream, client, budget)

while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
  PROXY_PID=$!
  local i
  for i in $(seq 1 100); do
    PROXY_PORT=$(sed -n 's/^port //p' "$WORK/proxy.out")
    [ -n "$PROXY_PORT" ] && return 0
    sleep 0.05
  done
  fail "the stalling proxy did not start: $(cat "$WORK/proxy.out")"
}

stop_stalling_proxy() {
  kill "$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
}

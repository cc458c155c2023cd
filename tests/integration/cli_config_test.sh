#!/usr/bin/env bash
# Start-up configuration: bad flags and config files stop start-up with a
# clear message; flags override the file's listen and data, and its other
# keys still apply; non-loopback listening needs explicit anonymous access;
# read_only refuses pushes clearly; one server per data directory; stale
# locks from a crash are cleaned at start-up; SIGTERM exits 0.
source "$(dirname "$0")/lib.sh"

# start_failure ARGS...: runs `agentgit serve --data DATA ARGS...`, which must
# exit on its own; sets RC and ERR (stdout+stderr).
start_failure() {
  RC=0
  ERR=$(timeout 10 "$AGENTGIT_BIN" serve --data "$DATA" "$@" 2>&1 </dev/null) || RC=$?
  [ "$RC" != 124 ] || fail "serve $* did not stop: it kept running"
  [ "$RC" != 0 ] || fail "serve $* exited 0: $ERR"
}

# ---- bad --listen ----------------------------------------------------------
for bad in nope 127.0.0.1:99999 127.0.0.1: :8080 127.0.0.1:-1 '[::1]' 300.1.1.1:80 127.0.0.1:80x; do
  start_failure --listen "$bad"
  assert_eq 2 "$RC" "exit code for --listen '$bad'"
  [[ $ERR == *--listen* ]] || fail "--listen '$bad': the message does not name --listen: $ERR"
  [[ $ERR != *"listening on"* ]] || fail "--listen '$bad': it started listening"
done
start_failure --listen
assert_eq 2 "$RC" "exit code for --listen without a value"
[[ $ERR == *--listen* ]] || fail "--listen without a value: $ERR"
start_failure --bogus-flag
assert_eq 2 "$RC" "exit code for an unknown flag"
[[ $ERR == *--bogus-flag* ]] || fail "unknown flag not named: $ERR"
pass "bad flags: exit 2 naming the flag"

# ---- bad config files ------------------------------------------------------
CONF=$WORK/agentgit.toml
printf 'listen = "127.0.0.1:0"\nlisten_port = 8080\n' >"$CONF"
start_failure --config "$CONF"
assert_eq 2 "$RC" "exit code for an unknown key"
[[ $ERR == *listen_port* ]] || fail "unknown key not named: $ERR"
[[ $ERR == *"$CONF"* ]] || fail "config file not named: $ERR"

printf '[auth]\nanonymous = "read"\nanonymus = "write"\n' >"$CONF"
start_failure --config "$CONF"
assert_eq 2 "$RC" "exit code for an unknown [auth] key"
[[ $ERR == *anonymus* && $ERR == *"$CONF"* ]] || fail "unknown [auth] key: $ERR"

printf 'read_only = "yes please"\n' >"$CONF"
start_failure --config "$CONF"
assert_eq 2 "$RC" "exit code for a wrong type"
[[ $ERR == *read_only* && $ERR == *"$CONF"* ]] || fail "wrong type: $ERR"

printf '[auth]\nanonymous = "everyone"\n' >"$CONF"
start_failure --config "$CONF"
assert_eq 2 "$RC" "exit code for a bad value"
[[ $ERR == *anonymous* && $ERR == *"$CONF"* ]] || fail "bad value: $ERR"

printf 'listen = "nope"\n' >"$CONF"
start_failure --config "$CONF"
assert_eq 2 "$RC" "exit code for a bad listen in the file"
[[ $ERR == *listen* && $ERR == *"$CONF"* ]] || fail "bad listen in the file: $ERR"

printf 'listen = "127.0.0.1:0\n' >"$CONF"
start_failure --config "$CONF"
assert_eq 2 "$RC" "exit code for a TOML syntax error"
[[ $ERR == *"$CONF"* ]] || fail "syntax error does not name the file: $ERR"

start_failure --config "$WORK/missing.toml"
[[ $ERR == *missing.toml* ]] || fail "a missing config file is not named: $ERR"
pass "bad config files stop start-up naming the key and the file"

# ---- flags override the file's listen and data; its other keys still apply ----
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# serve_exactly ARGS...: `agentgit serve ARGS...` (no --data added), waits
# until it listens; sets SERVER_PID.
serve_exactly() {
  : >"$WORK/server.out"
  "$AGENTGIT_BIN" serve "$@" >"$WORK/server.out" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    grep -q 'listening on' "$WORK/server.out" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "serve $* exited at start-up: $(tail -n 5 "$WORK/server.log")"
    sleep 0.05
  done
  fail "serve $* did not start listening"
}
FILE_PORT=$(free_port)
FLAG_PORT=$(free_port)
[ "$FILE_PORT" != "$FLAG_PORT" ] || FLAG_PORT=$(free_port)
FILE_DATA=$WORK/file-data
FLAG_DATA=$WORK/flag-data
cat >"$CONF" <<EOF
listen = "127.0.0.1:$FILE_PORT"
data = "$FILE_DATA"

[limits]
max_api_body = 200
max_header_bytes = "2KiB"
EOF
serve_exactly --config "$CONF" --listen "127.0.0.1:$FLAG_PORT" --data "$FLAG_DATA"
grep -qxF "agentgit listening on http://127.0.0.1:$FLAG_PORT (data $FLAG_DATA)" "$WORK/server.out" \
  || fail "the flags' address and data were not used: $(cat "$WORK/server.out")"
BASE="http://127.0.0.1:$FLAG_PORT"
assert_alive
rc=0
curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$FILE_PORT/healthz" || rc=$?
[ "$rc" = 7 ] || fail "something answers on the file's port $FILE_PORT (curl exit $rc)"
create_repo flagged
git clone -q "$BASE/repos/flagged.git" "$WORK/flagged" 2>/dev/null
commit_file "$WORK/flagged" a.txt "where does this land"
git -C "$WORK/flagged" push -q origin main || fail "push to the server started with flags"
assert_eq "$(git -C "$WORK/flagged" rev-parse HEAD)" "$(git --git-dir="$FLAG_DATA/repos/flagged.git" rev-parse main)" \
  "main in the flag's data directory"
[ ! -e "$FILE_DATA" ] || fail "the file's data directory was used: $(find "$FILE_DATA" | head)"
# The file's [limits] still apply: a 201-byte API body gets 413, a 4 KB
# header 431 (the defaults are 1 MiB and 16 KiB).
long_name=$(printf 'n%.0s' $(seq 1 190))
assert_eq 413 "$(http_status POST /api/v1/repos -H 'Content-Type: application/json' -d "{\"name\":\"$long_name\"}")" \
  "an API body over the file's max_api_body"
assert_eq 431 "$(http_status GET /healthz -H "X-Filler: $(printf 'x%.0s' $(seq 1 4096))")" \
  "a header over the file's max_header_bytes"
assert_eq 200 "$(http_status GET /healthz -H "X-Filler: $(printf 'x%.0s' $(seq 1 1024))")" "a 1 KB header"
stop_server
pass "--listen and --data override the file's listen and data; its [limits] still apply"

# ---- non-loopback listening needs explicit anonymous access ------------------
printf 'listen = "0.0.0.0:0"\n' >"$CONF"
start_failure --config "$CONF"
assert_eq 2 "$RC" "exit code for 0.0.0.0 without auth"
[[ $ERR == *anonymous* && $ERR == *loopback* ]] || fail "0.0.0.0 without auth: the message is unclear: $ERR"
start_failure --listen 0.0.0.0:0
[[ $ERR == *anonymous* ]] || fail "--listen 0.0.0.0:0 without auth: $ERR"

# Something to clone, pushed while the server is local and open.
start_server
create_repo demo
git clone -q "$BASE/repos/demo.git" "$WORK/w" 2>/dev/null
commit_file "$WORK/w" README.md "v1"
git -C "$WORK/w" push -q origin main || fail "push to the local server"
stop_server

printf 'listen = "0.0.0.0:0"\n[auth]\nanonymous = "read"\n' >"$CONF"
launch_server --config "$CONF"  # the listen address comes from the file
grep -q 'listening on http://0.0.0.0:' "$WORK/server.out" || fail "not listening on 0.0.0.0: $(cat "$WORK/server.out")"
git clone -q "$BASE/repos/demo.git" "$WORK/anon" || fail "anonymous clone with anonymous = read"
assert_eq v1 "$(cat "$WORK/anon/README.md")" "anonymous clone content"
assert_eq 401 "$(http_status GET '/repos/demo.git/info/refs?service=git-receive-pack')" "receive-pack advertisement"
curl -s -D - -o /dev/null "$BASE/repos/demo.git/info/refs?service=git-receive-pack" | tr -d '\r' |
  grep -qi '^WWW-Authenticate: Basic realm="agentgit"' || fail "401 without WWW-Authenticate"
assert_eq 401 "$(http_status POST /repos/demo.git/git-receive-pack -H 'Content-Type: application/x-git-receive-pack-request' --data-binary 0000)" \
  "receive-pack POST"
commit_file "$WORK/anon" README.md "v2"
if git -C "$WORK/anon" push origin main 2>"$WORK/push.err"; then fail "anonymous push accepted with anonymous = read"; fi
grep -qiE "username|authentication" "$WORK/push.err" || fail "git was not asked for credentials: $(cat "$WORK/push.err")"
assert_eq "$(git -C "$WORK/w" rev-parse HEAD)" "$(git ls-remote "$BASE/repos/demo.git" refs/heads/main | cut -f1)" \
  "main after the refused push"
stop_server
pass "0.0.0.0 needs [auth] anonymous; anonymous = read clones but cannot push (401)"

# ---- read_only -------------------------------------------------------------
printf 'read_only = true\n' >"$CONF"
start_server --config "$CONF"
git clone -q "$BASE/repos/demo.git" "$WORK/ro" || fail "clone from a read-only server"
commit_file "$WORK/ro" README.md "v3"
if git -C "$WORK/ro" push origin main 2>"$WORK/ro.err"; then fail "push accepted by a read-only server"; fi
grep -q 403 "$WORK/ro.err" || fail "git did not see a 403: $(cat "$WORK/ro.err")"
grep -qi 'read-only' "$WORK/ro.err" || fail "the read-only message did not reach git's stderr: $(cat "$WORK/ro.err")"
assert_eq 403 "$(http_status POST /repos/demo.git/git-receive-pack -H 'Content-Type: application/x-git-receive-pack-request' --data-binary 0000)" \
  "receive-pack POST on a read-only server"
assert_eq 403 "$(http_status POST /api/v1/repos -H 'Content-Type: application/json' -d '{"name":"new"}')" \
  "repo creation on a read-only server"
assert_eq "$(git -C "$WORK/w" rev-parse HEAD)" "$(git ls-remote "$BASE/repos/demo.git" refs/heads/main | cut -f1)" \
  "main after the read-only push"
stop_server
AGENTGIT_READ_ONLY=true start_server
git -C "$WORK/ro" remote set-url origin "$BASE/repos/demo.git"  # a new port
commit_file "$WORK/ro" README.md "v4"
if git -C "$WORK/ro" push origin main 2>"$WORK/ro.err"; then fail "push accepted with AGENTGIT_READ_ONLY=true"; fi
grep -qi 'read-only' "$WORK/ro.err" || fail "AGENTGIT_READ_ONLY: no read-only message: $(cat "$WORK/ro.err")"
stop_server
pass "read_only refuses pushes with 403 and a clear message"

# ---- one server per data directory -------------------------------------------
start_server
FIRST_PID=$SERVER_PID
FIRST_BASE=$BASE
start_failure --listen 127.0.0.1:0
[[ $ERR == *"already serving"* ]] || fail "a second server on the same data: $ERR"
kill -0 "$FIRST_PID" || fail "the first server died"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$FIRST_BASE/healthz")" "first server still answers"
pass "a second server on the same data directory refuses to start"

# ---- stale locks and quarantine dirs are cleaned at start-up -----------------
stop_server
REPO=$DATA/repos/demo.git
HEAD_BEFORE=$(git --git-dir="$REPO" rev-parse refs/heads/main)
echo "$HEAD_BEFORE" >"$REPO/refs/heads/main.lock"
mkdir -p "$REPO/objects/tmp_objdir-x/pack"
echo junk >"$REPO/objects/tmp_objdir-x/pack/tmp_pack_x"
mkdir -p "$REPO/objects/pack"
echo junk >"$REPO/objects/pack/tmp_pack_crash"
touch "$REPO/packed-refs.lock" "$REPO/config.lock"
start_server
for f in refs/heads/main.lock objects/tmp_objdir-x objects/pack/tmp_pack_crash packed-refs.lock config.lock; do
  [ ! -e "$REPO/$f" ] || fail "stale $f is still there after a restart"
done
git -C "$WORK/w" remote set-url origin "$BASE/repos/demo.git"  # a new port
commit_file "$WORK/w" after-crash.txt "pushed after recovery"
git -C "$WORK/w" push -q origin main || fail "push after recovery"
assert_eq "$(git -C "$WORK/w" rev-parse HEAD)" "$(git ls-remote "$BASE/repos/demo.git" refs/heads/main | cut -f1)" \
  "main after the push that followed recovery"
git --git-dir="$REPO" fsck --strict --no-progress || fail "fsck after recovery"
pass "stale locks and temp dirs are gone after a restart; pushes work"

# ---- SIGTERM exits 0 -------------------------------------------------------
kill -TERM "$SERVER_PID"
rc=0
for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "server still running 15 s after SIGTERM"
wait "$SERVER_PID" || rc=$?
SERVER_PID=""
assert_eq 0 "$rc" "exit code after SIGTERM"
rc=0
curl -s -o /dev/null --max-time 2 "$BASE/healthz" || rc=$?
[ "$rc" != 0 ] || fail "something still answers on the old port"
# And the data directory is free again.
start_server
assert_alive
pass "SIGTERM stops the server with exit code 0"

# ---- bad data directories name where the value came from; --listen hosts ----
stop_server
# start_failure_bare ARGS...: like start_failure, without the --data it adds,
# so a data value from the file or the environment is the one used.
start_failure_bare() {
  RC=0
  ERR=$(cd "$WORK" && timeout 10 "$AGENTGIT_BIN" serve "$@" 2>&1 </dev/null) || RC=$?
  [ "$RC" != 124 ] || fail "serve $* did not stop: it kept running"
}
# expect_data_error WHERE WHAT: exit 2, a configuration error naming WHERE
# and WHAT, and no raw filesystem error.
expect_data_error() {
  assert_eq 2 "$RC" "exit code for a bad data directory from $1"
  [[ $ERR == *"configuration error: $1"* && $ERR == *"$2"* ]] || fail "bad data from $1: expected '$2': $ERR"
  [[ $ERR != *"filesystem error"* && $ERR != *"listening on"* ]] || fail "bad data from $1: $ERR"
}
start_failure_bare --data /dev/null/x
expect_data_error --data "'/dev/null/x' cannot be created: '/dev/null' is not a directory"
start_failure_bare --data ''
expect_data_error --data "must not be empty"
echo x >"$WORK/a-file"
start_failure_bare --data "$WORK/a-file"
expect_data_error --data "'$WORK/a-file' is not a directory"
printf 'data = "/dev/null/x"\n' >"$CONF"
start_failure_bare --config "$CONF"
expect_data_error "$CONF: data" "'/dev/null' is not a directory"
printf 'data = ""\n' >"$CONF"
start_failure_bare --config "$CONF"
expect_data_error "$CONF: data" "must not be empty"
AGENTGIT_DATA=/dev/null/x start_failure_bare
expect_data_error AGENTGIT_DATA "'/dev/null' is not a directory"
AGENTGIT_DATA= start_failure_bare
expect_data_error AGENTGIT_DATA "must not be empty"
# The flag wins over the environment, and only the value used is checked.
AGENTGIT_DATA=/dev/null/x launch_server --listen 127.0.0.1:0
assert_alive
stop_server
pass "a bad data directory stops start-up naming --data, the file's data key or AGENTGIT_DATA (exit 2)"

for bad in example.com:80 localhost.:80 ::1:8080 '[127.0.0.1]:80' '[localhost]:80'; do
  start_failure --listen "$bad"
  assert_eq 2 "$RC" "exit code for --listen '$bad'"
  [[ $ERR == *"configuration error: --listen"* ]] || fail "--listen '$bad': $ERR"
done
start_failure --listen example.com:80
[[ $ERR == *"not an IP address or localhost"* ]] || fail "--listen example.com:80: the message does not say what is expected: $ERR"
start_failure --listen ::1:8080
[[ $ERR == *"[::1]:8080"* ]] || fail "--listen ::1:8080: the message does not show the bracketed form: $ERR"

launch_server --listen localhost:0
grep -q 'listening on http://127.0.0.1:' "$WORK/server.out" || fail "localhost is not 127.0.0.1: $(cat "$WORK/server.out")"
git ls-remote "http://localhost:$PORT/repos/demo.git" refs/heads/main | grep -q refs/heads/main ||
  fail "ls-remote through http://localhost:$PORT"
stop_server
AGENTGIT_LISTEN=LOCALHOST:0 launch_server
grep -q 'listening on http://127.0.0.1:' "$WORK/server.out" || fail "AGENTGIT_LISTEN=LOCALHOST:0: $(cat "$WORK/server.out")"
stop_server
printf 'listen = "localhost:0"\n' >"$CONF"
launch_server --config "$CONF"
grep -q 'listening on http://127.0.0.1:' "$WORK/server.out" || fail "listen = localhost:0 in the file: $(cat "$WORK/server.out")"
stop_server
pass "--listen, AGENTGIT_LISTEN and listen = take localhost (127.0.0.1); other names and unbracketed IPv6 are refused"

if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
  launch_server --listen '[::1]:0'
  grep -q 'listening on http://\[::1\]:' "$WORK/server.out" || fail "not listening on [::1]: $(cat "$WORK/server.out")"
  git ls-remote "http://[::1]:$PORT/repos/demo.git" refs/heads/main | grep -q refs/heads/main ||
    fail "ls-remote through http://[::1]:$PORT"
  stop_server
  pass "--listen [::1]:PORT serves over IPv6"
else
  echo "skip - no IPv6 loopback here: [::1] not tried"
fi

#!/usr/bin/env bash
# Request logs: with log_format = "json" every line the server writes is one
# JSON object, and each request's line says its id, method, target, route,
# status, bytes in and out on the wire, duration, user and client. The id
# comes back as X-Request-Id: a proxy's plain token is kept, anything else
# replaced. The default text line ends with the same id.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/lines.py" <<'PY'
import json, sys
# Every line of LOG is a JSON object with a time and a message; prints the
# request lines that match KEY=VALUE arguments, one JSON object per line.
want = dict(a.split("=", 1) for a in sys.argv[2:])
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    o = json.loads(line)
    assert isinstance(o, dict) and isinstance(o.get("time"), str) and isinstance(o.get("msg"), str), \
        "line %d: %r" % (n, line)
    if o["msg"] == "request" and all(str(o.get(k)) == v for k, v in want.items()):
        print(json.dumps(o))
PY
lines() { /usr/bin/python3 "$WORK/lines.py" "$WORK/server.log" "$@"; }
field() { /usr/bin/python3 -c 'import json,sys; v = json.loads(sys.stdin.readline())[sys.argv[1]]; print("null" if v is None else v)' "$1"; }

printf 'log_format = "json"\n' >"$WORK/json.toml"
start_server --config "$WORK/json.toml"
create_repo logs
git clone -q "$BASE/repos/logs.git" "$WORK/c" 2>/dev/null
head -c 300000 /dev/urandom >"$WORK/c/blob.bin"
git -C "$WORK/c" add blob.bin
git -C "$WORK/c" commit -q -m "300 kB that do not compress"
git -C "$WORK/c" push -q origin main
git -c protocol.version=2 clone -q "$BASE/repos/logs.git" "$WORK/c2"
wait_for_log '"route":"git_upload_pack","status":200' || fail "no upload-pack line"

# The push: its body (the pack) came in; the clone: the pack went out.
push=$(lines route=git_receive_pack status=200 | tail -1)
[ -n "$push" ] || fail "no receive-pack line: $(tail -5 "$WORK/server.log")"
[ "$(field bytes_in <<<"$push")" -ge 300000 ] || fail "push bytes_in: $push"
[ "$(field bytes_out <<<"$push")" -gt 0 ] || fail "push bytes_out: $push"
assert_eq POST "$(field method <<<"$push")" "push method"
assert_eq /repos/logs.git/git-receive-pack "$(field target <<<"$push")" "push target"
assert_eq 127.0.0.1 "$(field client <<<"$push")" "client"
assert_eq null "$(field user <<<"$push")" "no user on an open loopback server"
fetch=$(lines route=git_upload_pack status=200 | tail -1)
[ "$(field bytes_out <<<"$fetch")" -ge 300000 ] || fail "clone bytes_out: $fetch"
[ "$(field bytes_in <<<"$fetch")" -gt 0 ] || fail "clone bytes_in: $fetch"
/usr/bin/python3 -c 'import json,sys; d = json.loads(sys.argv[1])["duration_ms"]; assert isinstance(d, (int, float)) and d >= 0, d' "$fetch" \
  || fail "duration_ms: $fetch"
[[ $(field request_id <<<"$fetch") =~ ^[0-9a-f]{16}$ ]] || fail "a made request id: $fetch"
pass "json log: a push's pack counted in, a clone's out, with method, target, route, client and duration"

# X-Request-Id: kept when plain, replaced otherwise, in the answer and the log.
expect 200 "healthz with a proxy's id" GET /healthz -H 'X-Request-Id: edge-7f3a:42'
grep -qi '^x-request-id: edge-7f3a:42' "$WORK/headers" || fail "the id back: $(cat "$WORK/headers")"
wait_for_log '"request_id":"edge-7f3a:42"' || fail "no line with the proxy's id"
assert_eq healthz "$(lines request_id=edge-7f3a:42 | field route)" "the id's line"
expect 404 "an id with a space" GET /nowhere -H 'X-Request-Id: a b"c'
made=$(sed -n 's/^x-request-id: \([0-9a-f]*\)\r$/\1/ip' "$WORK/headers")
[[ $made =~ ^[0-9a-f]{16}$ ]] || fail "a replaced id: $(cat "$WORK/headers")"
wait_for_log "\"request_id\":\"$made\"" || fail "no line with the replaced id"
assert_eq 404 "$(lines request_id="$made" | field status)" "the replaced id's line"
# A git answer streamed by git carries it too.
curl -s -D "$WORK/headers" -o /dev/null -H 'X-Request-Id: clone-1' "$BASE/repos/logs.git/info/refs?service=git-upload-pack"
grep -qi '^x-request-id: clone-1' "$WORK/headers" || fail "id on a git answer: $(cat "$WORK/headers")"
pass "X-Request-Id: a proxy's plain id kept, a hostile one replaced, on API and git answers, in the log"

# Hostile bytes in a target still make one valid JSON line.
raw_http 'b"GET /repos/%ff\"},{\"x\":1/info/refs?service=git-upload-pack\xff HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"' >/dev/null
raw_http 'b"GET /healthz\x01 HTTP/1.1\r\n\r\n"' >/dev/null
sleep 0.3
lines >/dev/null || fail "a line that is not one JSON object: $(tail -3 "$WORK/server.log")"
pass "hostile targets: every line still one JSON object"
assert_alive
stop_server

# The default: text lines, the request's id at the end.
: >"$WORK/server.log"
start_server
curl -s -o /dev/null -H 'X-Request-Id: plain-1' "$BASE/healthz"
wait_for_log 'GET /healthz 200 [0-9]*ms id=plain-1$' || fail "text line: $(cat "$WORK/server.log")"
stop_server
AGENTGIT_LOG_FORMAT=json start_server
curl -s -o /dev/null "$BASE/healthz"
wait_for_log '"route":"healthz"' || fail "AGENTGIT_LOG_FORMAT=json: $(cat "$WORK/server.log")"
expect_bad_config 'log_format = "yaml"' "a bad log_format" "log_format"
pass "text lines by default end with the id; AGENTGIT_LOG_FORMAT=json; a bad value stops start-up"

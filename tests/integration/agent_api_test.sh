#!/usr/bin/env bash
# The API pieces an agent on another machine relies on, over real HTTP:
# idempotent file writes and deletes (a retried call is a 200 no-op and an
# on-change checkpoint after it commits nothing), the work tree listing,
# a checkpoint's exit_code (an Exit-Code trailer), the Host/Origin guard
# with allowed_hosts (a reverse proxy's public name), and the agent card.
source "$(dirname "$0")/lib.sh"

# A Python expression over the body as `b`, printed.
body_py() { /usr/bin/python3 -c "import json,sys; b = json.load(open(sys.argv[1])); print($1)" "$WORK/body"; }

start_server

# ---- 1. files API: idempotent writes and deletes ------------------------------
s=$(api POST /api/v1/sessions '{"task":"agent api","name":"agent-api","commit_mode":"on-change"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
F=/api/v1/sessions/$id/files

expect 200 "PUT a new file" PUT "$F/notes/a.txt" --data-binary 'hello'
assert_eq '{"path":"notes/a.txt","bytes":5,"result":"written"}' "$(body)" "first PUT"
expect 200 "checkpoint" POST "/api/v1/sessions/$id/checkpoint" "${JSON[@]}" -d '{"tool":"Write","summary":"notes"}'
assert_eq committed "$(body_get result)" "checkpoint after a write"
head1=$(body_get commit)
ino=$(stat -c %i "$wd/notes/a.txt")
expect 200 "PUT the same bytes again" PUT "$F/notes/a.txt" --data-binary 'hello'
assert_eq '{"path":"notes/a.txt","bytes":5,"result":"no-op"}' "$(body)" "a repeated PUT"
assert_eq "$ino" "$(stat -c %i "$wd/notes/a.txt")" "a no-op PUT leaves the file as it was (same inode)"
expect 200 "on-change checkpoint after a no-op PUT" POST "/api/v1/sessions/$id/checkpoint" "${JSON[@]}" \
  -d '{"tool":"Write","summary":"notes again"}'
assert_eq no-op "$(body_get result)" "on-change checkpoint after a no-op PUT"
assert_eq "$head1" "$(body_get commit)" "no new commit"
expect 200 "PUT other bytes" PUT "$F/notes/a.txt" --data-binary 'hello, world'
assert_eq written "$(body_get result)" "PUT other bytes"
assert_eq "hello, world" "$(cat "$wd/notes/a.txt")" "the file after the second write"
expect 200 "DELETE" DELETE "$F/notes/a.txt"
assert_eq '{"path":"notes/a.txt","result":"deleted"}' "$(body)" "DELETE"
[ ! -e "$wd/notes" ] || fail "DELETE left the file or its directory"
expect 200 "DELETE again" DELETE "$F/notes/a.txt"
assert_eq '{"path":"notes/a.txt","result":"no-op"}' "$(body)" "a repeated DELETE"
# Hostile paths are still refused, whatever the method.
ln -s /etc "$wd/escape"
for p in "escape/hostname" "../outside" "%2e%2e/outside" ".git/config" "a%5cb"; do
  for m in PUT DELETE; do
    code=$(http_status $m "$F/$p" --path-as-is --data-binary pwned)
    assert_eq 400 "$code" "$m files/$p"
  done
done
[ -L "$wd/escape" ] || fail "a refused DELETE removed the link"
pass "files API: PUT written|no-op (no commit in on-change mode), DELETE deleted|no-op, hostile paths refused"

# ---- 2. listing -----------------------------------------------------------------
expect 200 "PUT src/main.cpp" PUT "$F/src/main.cpp" --data-binary 'int main() {}'
expect 200 "PUT src/lib/x.h" PUT "$F/src/lib/x.h" --data-binary '#pragma once'
expect 200 "PUT README.md" PUT "$F/README.md" --data-binary '# r'
mkdir -p "$wd/.git" && echo '[core]' >"$wd/.git/config"  # never listed
mkfifo "$wd/a-fifo"                                       # neither a file nor a link
expect 200 "GET files" GET "$F"
assert_eq "README.md:3:file escape:4:symlink src/lib/x.h:12:file src/main.cpp:13:file False" \
  "$(body_py '" ".join("%s:%d:%s" % (f["path"], f["size"], f["type"]) for f in b["files"]) + " " + str(b["truncated"])')" \
  "the listing"
expect 200 "GET files?prefix=src/" GET "$F?prefix=src/"
assert_eq "src/lib/x.h src/main.cpp" "$(body_py '" ".join(f["path"] for f in b["files"])')" "prefix=src/"
expect 200 "GET files?prefix=src/m" GET "$F?prefix=src/m"
assert_eq "src/main.cpp" "$(body_py '" ".join(f["path"] for f in b["files"])')" "prefix=src/m"
expect 200 "a prefix through a link lists nothing" GET "$F?prefix=escape/"
assert_eq "0" "$(body_py 'len(b["files"])')" "prefix=escape/"
for bad in "../" "%2Fetc%2F" ".git/" "a%5Cb"; do
  expect 400 "prefix=$bad" GET "$F?prefix=$bad"
  assert_eq INVALID_PATH "$(body_get code)" "prefix=$bad"
done
expect 400 "GET files/ with no path" GET "$F/"
assert_eq INVALID_PATH "$(body_get code)" "GET files/"
rm "$wd/a-fifo"
# Bounded: more than 10000 files lists the first 10000 in order.
mkdir -p "$wd/many"
(cd "$wd/many" && seq -w 1 10050 | xargs touch)
expect 200 "GET files of a large tree" GET "$F?prefix=many/"
assert_eq "10000 True many/00001 many/10000" \
  "$(body_py '"%d %s %s %s" % (len(b["files"]), b["truncated"], b["files"][0]["path"], b["files"][-1]["path"])')" \
  "a listing past 10000 files"
rm -rf "$wd/many"
pass "GET files lists the work tree: sorted, links as links, .git and FIFOs left out, prefix, bounded at 10000"

# ---- 3. exit_code -------------------------------------------------------------
expect 200 "PUT for a failing run" PUT "$F/out.log" --data-binary 'FAILED'
expect 200 "checkpoint with exit_code" POST "/api/v1/sessions/$id/checkpoint" "${JSON[@]}" \
  -d '{"tool":"Bash","summary":"ran tests","call_id":"run-1","exit_code":1}'
assert_eq 1 "$(body_get exit_code)" "exit_code echoed"
c=$(body_get commit)
msg=$(git --git-dir="$DATA/repos/agent-api.git" log -1 --format=%B "$c")
assert_eq "Exit-Code: 1" "$(printf '%s\n' "$msg" | grep -v '^$' | tail -n 1)" "Exit-Code is the last trailer"
printf '%s\n' "$msg" | grep -qx "Tool-Call: run-1" || fail "Tool-Call trailer missing: $msg"
assert_eq 1 "$(git --git-dir="$DATA/repos/agent-api.git" log -1 --format='%(trailers:key=Exit-Code,valueonly)' "$c" | head -n1)" \
  "git reads the Exit-Code trailer"
for bad in '256' '-256' '1.5' '"1"' 'true' '99999999999999999999'; do
  expect 400 "exit_code $bad" POST "/api/v1/sessions/$id/checkpoint" "${JSON[@]}" \
    -d "{\"tool\":\"Bash\",\"summary\":\"x\",\"exit_code\":$bad}"
  assert_eq INVALID_EXIT_CODE "$(body_get code)" "exit_code $bad"
done
assert_eq "$c" "$(git --git-dir="$DATA/repos/agent-api.git" rev-parse main)" "refused checkpoints made no commit"
pass "checkpoint exit_code: an Exit-Code trailer after the others, echoed; out of range or not a whole number is 400"

# ---- 5. agent card (no credentials) -------------------------------------------
expect 200 "GET the agent card" GET /.well-known/agent.json
assert_eq "agentgit $BASE" "$(body_py 'b["name"] + " " + b["url"]')" "card name and url"
assert_eq "session_start read_file write_file delete_file list_files checkpoint diff log touched_files promote" \
  "$(body_py '" ".join(s["id"] for s in b["skills"])')" "card skills"
assert_eq "PUT /api/v1/sessions/{id}/files/{path}" \
  "$(body_py '[s["method"] + " " + s["path"] for s in b["skills"] if s["id"] == "write_file"][0]')" "write_file skill"
assert_eq "[] admin" "$(body_py 'str(b["authentication"]["schemes"]) + " " + b["authentication"]["anonymous"]')" \
  "no users: no scheme needed"
expect 405 "POST the agent card" POST /.well-known/agent.json
pass "GET /.well-known/agent.json: the card with every agent skill"

# ---- 4. Host/Origin guard and allowed_hosts -----------------------------------
expect 403 "Host: agents.example.com without allowed_hosts" GET /healthz -H 'Host: agents.example.com'
expect 403 "a foreign Origin" GET /healthz -H 'Origin: http://evil.example'
expect 200 "localhost with its port" GET /healthz -H "Host: localhost:$PORT"
stop_server

expect_bad_config 'allowed_hosts = ["agents.example.com", "git.example.org:8443", 3]' "a bad allowed_hosts value" \
  "$WORK/bad.toml: allowed_hosts"
expect_bad_config 'allowed_hosts = ["https://agents.example.com"]' "a URL for a host name" \
  "allowed_hosts: 'https://agents.example.com' is not a host name"

PW=correct-horse
HASH=$(printf '%s\n' "$PW" | "$AGENTGIT_BIN" hash-password)
cat >"$WORK/proxy.toml" <<EOF
allowed_hosts = ["agents.example.com", "git.example.org:8443"]

[auth]
anonymous = "read"

[[auth.users]]
name = "alice"
password_hash = "$HASH"
access = { "*" = "admin" }
EOF
start_server --config "$WORK/proxy.toml"
expect 200 "Host: agents.example.com with allowed_hosts" GET /healthz -H 'Host: agents.example.com'
expect 200 "with any port" GET /healthz -H 'Host: Agents.Example.com:443'
expect 200 "an entry with a port, that port" GET /healthz -H 'Host: git.example.org:8443'
expect 403 "an entry with a port, another port" GET /healthz -H 'Host: git.example.org'
expect 403 "a host not listed" GET /healthz -H 'Host: evil.example'
expect 403 "a hostile Origin, allowed Host" GET /healthz -H 'Host: agents.example.com' -H 'Origin: http://evil.example'
expect 403 "Origin: null" GET /healthz -H 'Host: agents.example.com' -H 'Origin: null'
expect 200 "the proxy's own Origin" GET /healthz -H 'Host: agents.example.com' -H 'Origin: https://agents.example.com'
expect 200 "loopback names still" GET /healthz
# Through the guard to the API and git, as behind a proxy that keeps Host.
expect 200 "the API behind the proxy name" GET /api/v1/sessions -H 'Host: agents.example.com' -u "alice:$PW"
git -c http.extraHeader='Host: agents.example.com' clone -q "$BASE/repos/agent-api.git" "$WORK/clone" \
  || fail "a clone with Host: agents.example.com"
[ -f "$WORK/clone/out.log" ] || fail "the clone lacks the agent's file"
# The card: its url is the name the client used; with users, both schemes.
expect 200 "the card behind the proxy name, without credentials" GET /.well-known/agent.json -H 'Host: agents.example.com'
assert_eq "http://agents.example.com" "$(body_get url)" "card url from the Host"
assert_eq "['basic', 'bearer'] read" "$(body_py 'str(b["authentication"]["schemes"]) + " " + b["authentication"]["anonymous"]')" \
  "with users: basic and bearer"
expect 403 "the card for a host not listed" GET /.well-known/agent.json -H 'Host: evil.example'
pass "allowed_hosts: the proxy's name is answered (API, git, card), other names and foreign Origins are not; bad values stop start-up"

# ---- 4b. public_url: what a TLS proxy's clients are told -------------------------------
stop_server
printf 'public_url = "https://agents.example.com"\n' >"$WORK/public.toml"
start_server --config "$WORK/public.toml"
expect 200 "public_url's host is answered without allowed_hosts" GET /.well-known/agent.json -H 'Host: agents.example.com'
assert_eq "https://agents.example.com" "$(body_get url)" "card url is public_url"
expect 201 "create a repo behind the proxy" POST /api/v1/repos -H 'Host: agents.example.com' \
  -H 'Content-Type: application/json' -d '{"name":"behind-proxy"}'
assert_eq "https://agents.example.com/repos/behind-proxy.git" "$(body_get clone_url)" "clone_url says https and the public name"
expect 200 "loopback callers are told the public_url too" GET /api/v1/repos/behind-proxy
assert_eq "https://agents.example.com/repos/behind-proxy.git" "$(body_get clone_url)" "clone_url from loopback"
expect 403 "other names are still refused" GET /healthz -H 'Host: evil.example'
expect_bad_config 'public_url = "https://agents.example.com/git"' "a public_url with a path" "public_url"
pass "public_url: clone_url and the card say https://agents.example.com; its host is allowed"

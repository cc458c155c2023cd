#!/usr/bin/env bash
# `agentgit mcp` driven by a scripted MCP client (Python, below) against a
# real server: the handshake, every tool, idempotent checkpoints, that
# request_promote writes nothing to the durable repo, tool failures as
# isError results with stable codes, and JSON-RPC errors that leave the
# server serving. The command request_promote hands a person promotes two
# of the session's files and one hunk of a third into the durable repo.
source "$(dirname "$0")/lib.sh"
start_server

# A durable repo with one commit, for the session to start from and a
# person to promote into.
create_repo app
git clone -q "$BASE/repos/app.git" "$WORK/app"
echo "hello" >"$WORK/app/README.md"
seq 1 30 >"$WORK/app/c.txt"
git -C "$WORK/app" add README.md c.txt
git -C "$WORK/app" commit -q -m "first"
git -C "$WORK/app" push -q origin HEAD:main
app_refs_before=$(git ls-remote "$BASE/repos/app.git")
grep -q "refs/heads/main" <<<"$app_refs_before" || fail "the durable repo has no main branch: $app_refs_before"

# The client: one JSON message per line to `agentgit mcp`'s stdin, one
# reply per line from its stdout. It prints "ok - …" per step and fails
# loudly on the first wrong answer; facts for the shell checks below go to
# $WORK/facts as KEY=VALUE lines.
cat >"$WORK/client.py" <<'PY'
import json, os, select, subprocess, sys

BIN, BASE, WORK = os.environ["AGENTGIT_BIN"], os.environ["BASE"], os.environ["WORK"]
facts = open(os.path.join(WORK, "facts"), "w")

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

class Client:
    def __init__(self, server):
        env = dict(os.environ)
        env.pop("AGENTGIT_SESSION", None)
        self.p = subprocess.Popen([BIN, "mcp", "--server", server], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, "mcp.log"), "ab"),
                                  env=env)
        self.next_id = 0

    def send_raw(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def read(self, timeout=30):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r:
            fail("no reply from agentgit mcp within %ds" % timeout)
        line = self.p.stdout.readline()
        if not line:
            fail("agentgit mcp closed its stdout")
        if b"\n" in line[:-1]:
            fail("a reply spans lines")
        return json.loads(line)

    def request(self, method, params=None):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send_raw(json.dumps(msg))
        reply = self.read()
        if reply.get("id") != self.next_id:
            fail("reply id %r for request %d: %r" % (reply.get("id"), self.next_id, reply))
        return reply

    def tool(self, name, /, **arguments):  # '/': a tool argument may be called name
        reply = self.request("tools/call", {"name": name, "arguments": arguments})
        if "result" not in reply:
            fail("%s: a JSON-RPC error instead of a tool result: %r" % (name, reply))
        result = reply["result"]
        text = json.loads(result["content"][0]["text"])
        if text != result["structuredContent"]:
            fail("%s: text and structuredContent differ" % name)
        return result

    def ok(self, name, /, **arguments):
        result = self.tool(name, **arguments)
        if result["isError"]:
            fail("%s failed: %r" % (name, result["structuredContent"]))
        return result["structuredContent"]

    def error(self, name, code, /, **arguments):
        result = self.tool(name, **arguments)
        got = result["structuredContent"]
        if not result["isError"] or got.get("code") != code:
            fail("%s: expected isError with %s, got %r" % (name, code, result))
        return got

    def close(self):
        self.p.stdin.close()
        if self.p.wait(timeout=30) != 0:
            fail("agentgit mcp exited with %d" % self.p.returncode)

def check(cond, msg):
    if not cond:
        fail(msg)

c = Client(BASE)
init = c.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                "clientInfo": {"name": "mcp_test", "version": "0"}})["result"]
check(init["protocolVersion"] == "2025-06-18", "protocolVersion echoed: %r" % init)
check(init["serverInfo"]["name"] == "agentgit" and "tools" in init["capabilities"], "initialize: %r" % init)
c.send_raw(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
check("result" in c.request("ping"), "ping")  # also proves the notification got no reply
print("ok - initialize, notifications/initialized (no reply), ping")

tools = {t["name"]: t for t in c.request("tools/list")["result"]["tools"]}
expected = ["session_start", "read_file", "write_file", "delete_file", "list_files", "checkpoint", "diff",
            "log", "touched_files", "request_promote"]
check(sorted(tools) == sorted(expected), "tools: %r" % sorted(tools))
for name, t in tools.items():
    schema = t["inputSchema"]
    check(schema["type"] == "object" and isinstance(schema["properties"], dict), name + " schema")
    check(t["description"], name + " description")
check(tools["write_file"]["inputSchema"]["required"] == ["path", "content"], "write_file required")
print("ok - tools/list: all 10 tools with input schemas")

# No session yet: NO_SESSION, not a guess.
c.error("log", "NO_SESSION")
s = c.ok("session_start", task="Tidy the docs", name="mcp-agent", from_repo="app")
session = s["id"]
facts.write("SESSION=%s\nREPO=%s\n" % (session, s["repo"]))
print("ok - session_start, NO_SESSION before it")

w = c.ok("write_file", path="docs/a b.md", content="# Notes\nline two\n")
check(w.get("path") == "docs/a b.md", "write_file answer: %r" % w)
r = c.ok("read_file", path="docs/a b.md")
check(r["content"] == "# Notes\nline two\n" and r["encoding"] == "utf-8", "read back: %r" % r)
c.ok("write_file", path="bin/blob", content="AAEC/w==", encoding="base64")
r = c.ok("read_file", path="bin/blob")
check(r["encoding"] == "base64" and r["content"] == "AAEC/w==" and r["bytes"] == 4, "binary read back: %r" % r)
check(w.get("result") == "written", "first write: %r" % w)
again = c.ok("write_file", path="docs/a b.md", content="# Notes\nline two\n")
check(again.get("result") == "no-op", "rewrite of the same bytes: %r" % again)
c.ok("write_file", path="notes.txt", content="n\n")
c.ok("write_file", path="c.txt", content="".join("two\n" if i == 2 else "25!\n" if i == 25 else "%d\n" % i
                                               for i in range(1, 31)))
print("ok - write_file (text and base64; the same bytes again: no-op), read_file")

lf = c.ok("list_files", prefix="docs/")
check([f["path"] for f in lf["files"]] == ["docs/a b.md"], "list_files docs/: %r" % lf)
everything = sorted(f["path"] for f in c.ok("list_files")["files"])
check(everything == ["README.md", "bin/blob", "c.txt", "docs/a b.md", "notes.txt"], "list_files: %r" % everything)
print("ok - list_files, with and without a prefix")

cp1 = c.ok("checkpoint", tool="Write", summary="Wrote notes", call_id="mcp-call-1")
check(cp1["result"] == "committed" and cp1["commit"], "first checkpoint: %r" % cp1)
cp2 = c.ok("checkpoint", tool="Write", summary="Wrote notes", call_id="mcp-call-1")
check(cp2["result"] == "no-op" and cp2["commit"] == cp1["commit"], "repeated call_id: %r" % cp2)
facts.write("COMMIT=%s\n" % cp1["commit"])
log = c.ok("log")
subjects = [e.get("summary") or e.get("subject") or e.get("message", "") for e in log["commits"]]
check(sum("Wrote notes" in (x or "") for x in subjects) == 1, "one commit for the call id: %r" % log)
print("ok - checkpoint twice with one call_id: the second is a no-op, one commit; log")

d = c.ok("diff")
check("a b.md" in d["patch"] and "+line two" in d["patch"] and "+25!" in d["patch"], "diff: %r" % d)
print("ok - diff")

t = c.ok("touched_files")
paths = [f["path"] for f in t["files"]]
check(paths == ["bin/blob", "c.txt", "docs/a b.md", "notes.txt"], "touched_files: %r" % paths)
check([h["id"] for h in t["files"][1]["hunks"]] == ["c.txt#1", "c.txt#2"], "c.txt's hunks: %r" % t["files"][1])
print("ok - touched_files: the changed files, c.txt with two numbered hunks")

p = c.ok("request_promote", target="app", branch="main", files=["docs/a b.md", "notes.txt"], hunks=["c.txt#2"],
         message="docs: notes from 'the agent'")
check(p["promoted"] is False, "promoted: %r" % p)
check(p["command"].startswith("agentgit session promote ") and "--session " + session in p["command"], p["command"])
check("--files 'docs/a b.md' --files notes.txt" in p["command"] and "--hunk 'c.txt#2'" in p["command"],
      "files quoted, the hunk: " + p["command"])
check("cannot promote" in p["note"], p["note"])
open(os.path.join(WORK, "promote_command"), "w").write(p["command"])
check(p["http"]["method"] == "POST" and p["http"]["url"].endswith("/sessions/%s/promote" % session), p["http"])
print("ok - request_promote returns the command a person runs")

dl = c.ok("delete_file", path="bin/blob")
check(dl.get("result") == "deleted", "delete_file: %r" % dl)
c.error("read_file", "NOT_FOUND", path="bin/blob")
gone = c.ok("delete_file", path="bin/blob")
check(gone.get("result") == "no-op", "second delete: %r" % gone)
print("ok - delete_file, then again: no-op; reading the deleted file is NOT_FOUND")

c.error("log", "NOT_FOUND", session="no-such-session")
c.error("request_promote", "NOT_FOUND", session="no-such-session", target="app", all=True, message="m")
c.error("write_file", "VALIDATION_FAILED", path="../escape", content="x")
c.error("checkpoint", "VALIDATION_FAILED", tool="Edit")  # no summary
c.error("request_promote", "VALIDATION_FAILED", target="app", message="nothing chosen")
v = c.error("write_file", "VALIDATION_FAILED", path=".git/config", content="x")  # refused by the server
check(v.get("status") == 400, "server-side validation: %r" % v)
print("ok - unknown session: NOT_FOUND; bad input: VALIDATION_FAILED")

c.send_raw('{"jsonrpc":"2.0","id":99,"method":')
e = c.read()
check(e["error"]["code"] == -32700 and e["id"] is None, "malformed JSON: %r" % e)
check(c.request("nope/nothing")["error"]["code"] == -32601, "unknown method")
check(c.request("tools/call", {"name": "rm_rf"})["error"]["code"] == -32602, "unknown tool")
check("result" in c.request("ping"), "still serving after errors")
print("ok - malformed JSON: -32700; unknown method -32601; unknown tool -32602; still serving")

# A line over the 16 MiB bound: one -32600 with a null id, then the next
# message is served as usual.
c.send_raw('{"jsonrpc":"2.0","id":100,"method":"ping","params":{"pad":"' + "x" * (17 * 1024 * 1024) + '"}}')
e = c.read()
check(e["error"]["code"] == -32600 and e["id"] is None, "overlong line: %r" % e)
check("result" in c.request("ping"), "serving after an overlong line")
print("ok - a line over 16 MiB: -32600, still serving")
c.close()

# A server that is not there: the tool says so, and the MCP server lives on.
d = Client("http://127.0.0.1:9")
d.request("initialize", {"protocolVersion": "2024-11-05"})
d.error("session_start", "SERVER_UNREACHABLE", task="t")
check("result" in d.request("ping"), "serving after an unreachable server")
d.close()
print("ok - server unreachable: SERVER_UNREACHABLE")
PY

AGENTGIT_BIN=$AGENTGIT_BIN BASE=$BASE WORK=$WORK /usr/bin/python3 "$WORK/client.py" ||
  fail "the MCP client failed (agentgit mcp's stderr: $(tail -n 20 "$WORK/mcp.log" 2>/dev/null))"

# request_promote wrote nothing: the durable repo's refs are as they were.
assert_eq "$app_refs_before" "$(git ls-remote "$BASE/repos/app.git")" "durable repo refs after request_promote"
pass "request_promote made no commit in the target repo"

# What request_promote hands a person is a command that, run as it is (its
# shell quoting survives bash), promotes two files and one hunk of c.txt.
PATH="$(dirname "$AGENTGIT_BIN"):$PATH" bash -c "$(cat "$WORK/promote_command")" >"$WORK/promote.out" 2>&1 ||
  fail "the approval command failed: $(cat "$WORK/promote.out")"
grep -qx 'result: promoted' "$WORK/promote.out" || fail "the approval command: $(cat "$WORK/promote.out")"
git -C "$WORK/app" pull -q
assert_eq "# Notes|n" "$(head -n1 "$WORK/app/docs/a b.md")|$(cat "$WORK/app/notes.txt")" "promoted files in a clone of app"
seq 1 30 | sed 's/^25$/25!/' | cmp - "$WORK/app/c.txt" || fail "c.txt: only its second hunk should be promoted"
[ ! -e "$WORK/app/bin/blob" ] || fail "bin/blob was not chosen but is in app"
git -C "$WORK/app" log -1 --format=%B | grep -q '^Promoted-From: ' || fail "no Promoted-From trailer"
pass "a person runs the approval command: two files and one hunk of a third land in app"

# The checkpoint is a real commit on the session's branch, made once.
source <(cat "$WORK/facts")
git clone -q "$BASE/repos/$REPO.git" "$WORK/session"
assert_eq "$COMMIT" "$(git -C "$WORK/session" log --format=%H --grep='^\[Write\] Wrote notes$')" \
  "exactly one commit for call id mcp-call-1"
assert_eq "# Notes" "$(head -n1 "$WORK/session/docs/a b.md")" "written file in the session's commit"
pass "the session repo holds the checkpoint once, with the written file"

# stdout carries protocol only: a closed stdin ends the server cleanly,
# and --help and bad flags behave like other commands.
out=$(printf '' | "$AGENTGIT_BIN" mcp --server "$BASE" 2>/dev/null)
assert_eq "" "$out" "no output without input"
"$AGENTGIT_BIN" mcp --help | grep -q "agentgit mcp" || fail "mcp --help"
set +e
"$AGENTGIT_BIN" mcp --bogus >/dev/null 2>&1
rc=$?
set -e
assert_eq 2 "$rc" "unknown flag exit status"
pass "stdin EOF ends the server; --help; a bad flag exits 2"
assert_alive

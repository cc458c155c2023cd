#!/usr/bin/env bash
# The agent-facing CLI (`agentgit session …`, `agentgit repo …`, the home
# view, `agentgit hook claude-code`, install-hooks) driven as an agent
# would, against a real server: TOON and JSON output carrying the same
# fields, errors on stdout with their stable codes and exit statuses, exec
# passing the command's status through, and the Claude Code hook making one
# commit per tool call.
# Promotion through the CLI: two files whole and one hunk of a third into a
# durable repo, seen in a git clone; the baseline conflict.
source "$(dirname "$0")/lib.sh"
start_server
export AGENTGIT_URL=$BASE
unset AGENTGIT_SESSION AGENTGIT_TOKEN

# ag ARGS...: runs the CLI from $WORK (outside any work tree); sets OUT
# (stdout), ERR (stderr) and RC.
ag() {
  RC=0
  OUT=$(cd "$WORK" && "$AGENTGIT_BIN" "$@" 2>"$WORK/ag.err") || RC=$?
  ERR=$(cat "$WORK/ag.err")
}
# The value of a top-level TOON field of OUT, without the quotes TOON puts
# around a string that would otherwise read as a number (an id of digits).
field() { sed -n "s/^$1: //p" <<<"$OUT" | head -n 1 | sed 's/^"\(.*\)"$/\1/'; }
# expect_error CODE STATUS WHAT: OUT is an error with that code and exit status.
expect_error() {
  assert_eq "$2" "$RC" "$3: exit status (output: $OUT)"
  assert_eq "$1" "$(field code)" "$3: code"
  [ -n "$(field error)" ] || fail "$3: no error line in: $OUT"
  grep -q '^help\[[1-9][0-9]*\]' <<<"$OUT" || fail "$3: no help lines in: $OUT"
}
# A field of a JSON document on stdin (dotted path, numeric indexes).
jq_get() {
  /usr/bin/python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1"
}

# ---- home view, empty server ----------------------------------------------------
ag
assert_eq 0 "$RC" "home view exit status"
assert_eq "$BASE" "$(field server)" "home view: server"
assert_eq true "$(field reachable)" "home view: reachable"
grep -q '^sessions\[0\]:' <<<"$OUT" || fail "home view: no empty sessions list: $OUT"
grep -q 'agentgit session start' <<<"$OUT" || fail "home view: no next step: $OUT"
pass "home view on an empty server"

# ---- start, write, read, ls --------------------------------------------------------
ag session start --task "Write the docs" --name docs-agent
assert_eq 0 "$RC" "start exit status ($OUT)"
id=$(field id)
wd=$(field workdir)
assert_eq docs-agent "$(field repo)" "start: repo"
[ -n "$id" ] && [ -d "$wd" ] || fail "start: no id or work tree: $OUT"
S=(--session "$id")

printf 'hello\nworld\n' >"$WORK/a.txt"
ag session write notes/a.txt "${S[@]}" <"$WORK/a.txt"
assert_eq 0 "$RC" "write exit status ($OUT)"
assert_eq notes/a.txt "$(field path)" "write: path"
assert_eq 12 "$(field bytes)" "write: bytes"
cmp "$WORK/a.txt" "$wd/notes/a.txt" || fail "write: the work tree's file differs"
assert_eq written "$(field result)" "write: result"
ag session write notes/a.txt "${S[@]}" <"$WORK/a.txt"
assert_eq "0 no-op" "$RC $(field result)" "the same bytes again: no-op"
head -c 5000 /dev/urandom >"$WORK/bin"
ag session write "${S[@]}" data/blob.bin <"$WORK/bin"
assert_eq 0 "$RC" "binary write"
(cd "$WORK" && "$AGENTGIT_BIN" session read data/blob.bin "${S[@]}" >"$WORK/bin.out") || fail "binary read"
cmp "$WORK/bin" "$WORK/bin.out" || fail "read gives back other bytes than were written"
ag session read notes/a.txt "${S[@]}"
assert_eq "$(cat "$WORK/a.txt")" "$OUT" "read: text"
ag session read nope.txt "${S[@]}"
expect_error NOT_FOUND 1 "reading a missing file"
ag session ls "${S[@]}"
assert_eq 0 "$RC" "ls exit status ($OUT)"
grep -q '^files\[2\]{' <<<"$OUT" || fail "ls: no files table: $OUT"
grep -q '^  notes/a.txt,12,' <<<"$OUT" || fail "ls: notes/a.txt row: $OUT"
ag session ls notes/ "${S[@]}"
grep -q '^files\[1\]{' <<<"$OUT" || fail "ls PREFIX: $OUT"
ag session rm gone.txt "${S[@]}"
assert_eq "0 no-op" "$RC $(field result)" "rm of a missing file: no-op"
pass "start, write (raw and binary), read, ls, rm"

# ---- checkpoint, idempotent call id ---------------------------------------------
ag session checkpoint "${S[@]}" --tool Write --summary "Wrote notes" --call-id call-1
assert_eq "0 committed" "$RC $(field result)" "checkpoint"
c1=$(field commit)
ag session checkpoint "${S[@]}" --tool Write --summary "Wrote notes" --call-id call-1
assert_eq "0 no-op" "$RC $(field result)" "a known call id: no-op, exit 0"
assert_eq "$c1" "$(field commit)" "a known call id answers the earlier commit"
git clone -q "$BASE/repos/docs-agent.git" "$WORK/clone"
assert_eq "[Write] Wrote notes" "$(git -C "$WORK/clone" log -1 --format=%s)" "checkpoint commit subject"
assert_eq 2 "$(git -C "$WORK/clone" rev-list --count HEAD)" "one commit for two calls with one call id"
pass "checkpoint; a repeated call id is a no-op"

# ---- session from the environment and from the work tree -------------------------
OUT=$(AGENTGIT_SESSION=$id "$AGENTGIT_BIN" session show) || fail "show with AGENTGIT_SESSION"
assert_eq "$id" "$(field id)" "AGENTGIT_SESSION"
mkdir -p "$wd/notes/deeper"
OUT=$(cd "$wd/notes/deeper" && "$AGENTGIT_BIN" session show) || fail "show from inside the work tree: $OUT"
assert_eq "$id" "$(field id)" "the session whose work tree holds the cwd"
ag session show
expect_error NO_SESSION 1 "no --session, no AGENTGIT_SESSION, cwd outside every work tree"
pass "session from --session, AGENTGIT_SESSION, the cwd; NO_SESSION otherwise"

# ---- exec: the command's status and output pass through --------------------------
set +e
(cd "$WORK" && "$AGENTGIT_BIN" session exec "${S[@]}" --tool Bash --call-id ex-1 -- \
  sh -c 'echo out; echo err >&2; echo made >made.txt; exit 3') >"$WORK/ex.out" 2>"$WORK/ex.err"
RC=$?
set -e
assert_eq 3 "$RC" "exec exits with the command's status"
assert_eq out "$(cat "$WORK/ex.out")" "exec: the command's stdout, and nothing else"
grep -q '^err$' "$WORK/ex.err" || fail "exec: the command's stderr: $(cat "$WORK/ex.err")"
grep -q '^result: committed$' "$WORK/ex.err" || fail "exec: the checkpoint's result on stderr: $(cat "$WORK/ex.err")"
assert_eq made "$(cat "$wd/made.txt")" "exec ran in the work tree"
git -C "$WORK/clone" pull -q
assert_eq "[Bash] sh -c 'echo out; echo err >&2; echo made >made.txt; exit 3'" \
  "$(git -C "$WORK/clone" log -1 --format=%s)" "exec commit subject: the command line"
body=$(git -C "$WORK/clone" log -1 --format=%B)
grep -q '^Tool-Call: ex-1$' <<<"$body" || fail "exec: Tool-Call trailer: $body"
grep -q '^Exit-Code: 3$' <<<"$body" || fail "exec: Exit-Code trailer: $body"
ag session exec "${S[@]}" -- true
assert_eq 0 "$RC" "exec of a succeeding command"
ag session exec "${S[@]}" -- no-such-command-xyz
expect_error EXEC_FAILED 127 "exec of a missing command"
assert_eq "cannot run no-such-command-xyz: No such file or directory" "$(field error)" "EXEC_FAILED: the error line"
grep -q "^help\[1\]: .*sh -c" <<<"$OUT" || fail "EXEC_FAILED: the help line points at sh -c: $OUT"
ag session exec "${S[@]}" make
expect_error USAGE 2 "exec without --"
pass "exec: status, stdout and stderr pass through; one commit with the command line"

# ---- diff and log, TOON and JSON ---------------------------------------------------
ag session diff "${S[@]}"
assert_eq "0 false" "$RC $(field truncated)" "diff of the last commit (exec true: nothing)"
ag session diff "${S[@]}" --to "$c1"
assert_eq 0 "$RC" "diff"
assert_eq false "$(field truncated)" "diff: truncated"
grep -q '^patch: ".*+++ b/notes/a.txt' <<<"$OUT" || fail "diff: patch: $OUT"
ag session diff "${S[@]}" --from "$c1~1" --to "$c1" --format json
patch=$(jq_get patch <<<"$OUT")
grep -q '^+hello$' <<<"$patch" || fail "diff --format json: $OUT"
ag session log "${S[@]}" --limit 3
assert_eq 0 "$RC" "log"
grep -q '^commits\[3\]' <<<"$OUT" || fail "log --limit 3: $OUT"
assert_eq '"[Bash] true"' "$(sed -n 's/^ *summary: //p' <<<"$OUT" | head -n 1)" "log: newest commit first"
ag session log "${S[@]}" --format json
assert_eq "[Write] Wrote notes" "$(jq_get commits.2.summary <<<"$OUT")" "log --format json"
pass "diff and log"

# ---- the same fields in TOON and JSON ---------------------------------------------
ag session show "${S[@]}"
toon_keys=$(sed -n 's/^\([a-z_]*\):.*/\1/p' <<<"$OUT" | sort | tr '\n' ' ')
toon_state=$(field state)
ag session show "${S[@]}" --format json
json_keys=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))) + " ")' <<<"$OUT")
assert_eq "$json_keys" "$toon_keys" "show: the same fields in TOON and JSON"
assert_eq "$toon_state" "$(jq_get state <<<"$OUT")" "show: the same state"
ag --format json session list
assert_eq "$id" "$(jq_get sessions.0.id <<<"$OUT")" "list --format json (global flag before the command)"
pass "--format json carries the same fields as TOON"

# ---- errors -----------------------------------------------------------------------
ag session show --session no-such-session
expect_error NOT_FOUND 1 "unknown session"
ag session start --task ""
expect_error VALIDATION_FAILED 2 "empty task"
ag session checkpoint "${S[@]}" --tool Write
expect_error USAGE 2 "checkpoint without --summary"
ag session frobnicate
expect_error USAGE 2 "unknown subcommand"
ag session promote "${S[@]}" --target docs --message m
expect_error USAGE 2 "promote without files, hunks or --all"
ag --server http://127.0.0.1:1 session list
expect_error SERVER_UNREACHABLE 1 "closed port"
ag --server http://127.0.0.1:1 session list --format json
assert_eq SERVER_UNREACHABLE "$(jq_get code <<<"$OUT")" "JSON error: code"
[ -n "$(jq_get error <<<"$OUT")" ] && [ "$(jq_get help <<<"$OUT")" != "[]" ] || fail "JSON error: $OUT"
ag --server http://127.0.0.1:1
assert_eq "0 false SERVER_UNREACHABLE" "$RC $(field reachable) $(field code)" "home view of a closed port"
pass "errors: NOT_FOUND, VALIDATION_FAILED, USAGE, SERVER_UNREACHABLE (TOON and JSON)"

# ---- --help on every command: short, a usage line, 2-3 examples -------------------
# The session subcommands come from `session --help` itself, so a new one
# without help fails here.
ag session --help </dev/null
session_subs=$(sed -n 's/^commands: //p' <<<"$OUT")
[ "$(wc -w <<<"$session_subs")" -ge 16 ] || fail "session --help lists its subcommands: $OUT"
help_commands=("" session repo "repo list" "repo create" "repo show" hook "hook claude-code" "hook post-receive"
  mcp serve hash-password version)
for sub in $session_subs; do help_commands+=("session $sub"); done
for cmd in "${help_commands[@]}"; do
  read -ra words <<<"$cmd"
  for flag in --help -h; do
    ag "${words[@]}" "$flag" </dev/null
    what="agentgit${cmd:+ $cmd} $flag"
    assert_eq 0 "$RC" "$what: exit status (stderr: $ERR)"
    grep -q "^usage: agentgit${cmd:+ $cmd}\b" <<<"$OUT" || fail "$what: no usage line for the command: $OUT"
    # Example lines: the indented lines after "examples:", each an agentgit command line.
    examples=$(awk '/^examples:$/ { on = 1; next } on && /^  .*agentgit / { n++ } END { print n + 0 }' <<<"$OUT")
    [ "$examples" -ge 2 ] && [ "$examples" -le 3 ] || fail "$what: $examples examples, want 2-3: $OUT"
    [ "$(wc -l <<<"$OUT")" -le 25 ] || fail "$what: $(wc -l <<<"$OUT") lines, want at most 25: $OUT"
  done
done
pass "--help and -h on all ${#help_commands[@]} commands: exit 0, a usage line, 2-3 examples, at most 25 lines"

# ---- promotion: two files and one hunk of a third, then a baseline conflict ---------
ag repo create shop
assert_eq 0 "$RC" "repo create shop"
git clone -q "$BASE/repos/shop.git" "$WORK/shop" 2>/dev/null
printf 'a\n' >"$WORK/shop/a.txt"
printf 'b\n' >"$WORK/shop/b.txt"
seq 1 30 >"$WORK/shop/c.txt"
git -C "$WORK/shop" add . && git -C "$WORK/shop" commit -q -m "shop files" && git -C "$WORK/shop" push -q origin main
ag session start --task "Edit the shop" --from shop:main --name agent-shop
assert_eq "0 shop" "$RC $(sed -n 's/^  repo: //p' <<<"$OUT")" "start --from shop:main ($OUT)"
shop_id=$(field id)
P=(--session "$shop_id")
echo A | "$AGENTGIT_BIN" session write a.txt "${P[@]}" >/dev/null
echo B | "$AGENTGIT_BIN" session write b.txt "${P[@]}" >/dev/null
seq 1 30 | sed -e 's/^2$/two/' -e 's/^25$/25!/' | "$AGENTGIT_BIN" session write c.txt "${P[@]}" >/dev/null
ag session checkpoint "${P[@]}" --tool Edit --summary "a, b and c"
assert_eq "0 committed" "$RC $(field result)" "checkpoint in the shop session"
ag session touched "${P[@]}"
grep -q '^      c.txt#2,"@@ -22,7 +22,7 @@"$' <<<"$OUT" || fail "touched: c.txt's second hunk: $OUT"
ag session promote "${P[@]}" --target shop --files a.txt,b.txt --hunk 'c.txt#2' --message "Shop: approved edits"
assert_eq "0 promoted" "$RC $(field result)" "promote two files and one hunk ($OUT)"
promoted_from="$shop_id@$(field head)"
git -C "$WORK/shop" pull -q
assert_eq "A B" "$(cat "$WORK/shop/a.txt") $(cat "$WORK/shop/b.txt")" "a.txt and b.txt promoted"
seq 1 30 | sed 's/^25$/25!/' | cmp - "$WORK/shop/c.txt" || fail "c.txt: only its second hunk should be promoted"
git -C "$WORK/shop" log -1 --format=%B | grep -qx "Promoted-From: $promoted_from" ||
  fail "no Promoted-From trailer: $(git -C "$WORK/shop" log -1 --format=%B)"
ag session promote "${P[@]}" --target shop --files a.txt,b.txt --hunk 'c.txt#2' --message "again"
assert_eq "0 no-op" "$RC $(field result)" "the same promotion again is a no-op, exit 0"
printf 'a person\n' >"$WORK/shop/a.txt"
git -C "$WORK/shop" commit -q -am "a person edits a.txt" && git -C "$WORK/shop" push -q origin main
echo A2 | "$AGENTGIT_BIN" session write a.txt "${P[@]}" >/dev/null
"$AGENTGIT_BIN" session checkpoint "${P[@]}" --tool Edit --summary "a again" >/dev/null
tip=$(git -C "$WORK/shop" rev-parse HEAD)
ag session promote "${P[@]}" --target shop --files a.txt --message "a again"
expect_error BASELINE_CONFLICT 1 "a file a person changed in shop"
grep -qx 'files\[1\]: a.txt' <<<"$OUT" || fail "the baseline conflict names a.txt: $OUT"
assert_eq "$tip" "$(git ls-remote "$BASE/repos/shop.git" refs/heads/main | cut -f1)" "nothing written on a baseline conflict"
ag session promote "${P[@]}" --target shop --hunk 'c.txt#9' --message m
expect_error VALIDATION_FAILED 2 "an unknown hunk"
ag session promote "${P[@]}" --target nope --all --message m
expect_error NOT_FOUND 1 "an unknown target repo"
# --all onto another branch: stable is shop as the session found it.
ag session show "${P[@]}"
shop_base=$(field base)
shop_head=$(field head)
git -C "$WORK/shop" push -q origin "$shop_base:refs/heads/stable"
ag session promote "${P[@]}" --target shop --branch stable --all --message "Shop: all of it"
assert_eq "0 promoted stable" "$RC $(field result) $(field branch)" "promote --all --branch stable ($OUT)"
grep -qx 'files\[3\]: a.txt,b.txt,c.txt' <<<"$OUT" || fail "promote --all: every touched file: $OUT"
assert_eq "$tip" "$(git ls-remote "$BASE/repos/shop.git" refs/heads/main | cut -f1)" "promote --branch stable leaves main alone"
git clone -q -b stable "$BASE/repos/shop.git" "$WORK/stable"
assert_eq "A2 B" "$(cat "$WORK/stable/a.txt") $(cat "$WORK/stable/b.txt")" "stable: a.txt and b.txt from the session"
seq 1 30 | sed -e 's/^2$/two/' -e 's/^25$/25!/' | cmp - "$WORK/stable/c.txt" || fail "stable: all of c.txt"
assert_eq "$shop_base" "$(git -C "$WORK/stable" rev-parse HEAD~1)" "stable: one commit on the base"
git -C "$WORK/stable" log -1 --format=%B | grep -qx "Promoted-From: $shop_id@$shop_head" ||
  fail "stable: no Promoted-From trailer: $(git -C "$WORK/stable" log -1 --format=%B)"
pass "promote through the CLI: two files and one hunk in a clone of shop; BASELINE_CONFLICT writes nothing; --all onto --branch stable"

# ---- hook claude-code --------------------------------------------------------------
hook_input() {  # TOOL_USE_ID CWD
  printf '{"session_id":"cc-1","transcript_path":"/tmp/t.jsonl","cwd":"%s","hook_event_name":"PostToolUse",' "$2"
  printf '"tool_name":"Bash","tool_input":{"command":"npm test\\nnpm run lint","description":"Run tests"},'
  printf '"tool_response":{"stdout":"ok"},"tool_use_id":"%s"}\n' "$1"
}
echo change >"$wd/hooked.txt"
hook_input toolu_01 "$wd/notes" | (cd "$WORK" && "$AGENTGIT_BIN" hook claude-code) >"$WORK/hook.out" 2>"$WORK/hook.err" ||
  fail "hook exit status: $(cat "$WORK/hook.err")"
git -C "$WORK/clone" pull -q
assert_eq "[Bash] npm test..." "$(git -C "$WORK/clone" log -1 --format=%s)" "hook commit subject"
git -C "$WORK/clone" log -1 --format=%B | grep -q '^Tool-Call: toolu_01$' || fail "hook: Tool-Call trailer"
[ -f "$WORK/clone/hooked.txt" ] || fail "hook: the work tree's change is in the commit"
before=$(git -C "$WORK/clone" rev-parse HEAD)
hook_input toolu_01 "$wd" | "$AGENTGIT_BIN" hook claude-code 2>/dev/null || fail "hook replay"
assert_eq "$before" "$(git ls-remote "$BASE/repos/docs-agent.git" refs/heads/main | cut -f1)" "a replayed hook: no commit"
hook_input toolu_02 "$WORK" | "$AGENTGIT_BIN" hook claude-code 2>"$WORK/hook.err" || fail "hook without a session must exit 0"
grep -q NO_SESSION "$WORK/hook.err" || fail "hook without a session says why on stderr: $(cat "$WORK/hook.err")"
echo 'not json' | "$AGENTGIT_BIN" hook claude-code 2>/dev/null || fail "hook with bad input must exit 0"
hook_input toolu_03 "$wd" | AGENTGIT_URL=http://127.0.0.1:1 "$AGENTGIT_BIN" hook claude-code 2>/dev/null ||
  fail "hook with no server must exit 0"
pass "hook claude-code: one commit per tool call, never blocks the agent"

# ---- install-hooks -----------------------------------------------------------------
proj=$WORK/proj
mkdir -p "$proj/.claude"
echo '{"model":"opus","hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"lint"}]}]}}' \
  >"$proj/.claude/settings.json"
ag session install-hooks --runtime claude-code --dir "$proj"
assert_eq "0 installed" "$RC $(field result)" "install-hooks"
cp "$proj/.claude/settings.json" "$WORK/settings.1"
/usr/bin/python3 - "$proj/.claude/settings.json" <<'PY' || fail "install-hooks: settings.json content"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["model"] == "opus", s
assert s["hooks"]["PreToolUse"][0]["hooks"][0]["command"] == "lint", s
assert s["hooks"]["PostToolUse"] == [{"matcher": "*", "hooks": [{"type": "command", "command": "agentgit hook claude-code"}]}], s
PY
ag session install-hooks --runtime claude-code --dir "$proj"
assert_eq "0 no-op" "$RC $(field result)" "install-hooks again"
cmp "$proj/.claude/settings.json" "$WORK/settings.1" || fail "a second install changed the file"
ag session install-hooks --runtime claude-code --dir "$proj" --remove
assert_eq "0 removed" "$RC $(field result)" "install-hooks --remove"
/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s == {"model":"opus","hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"lint"}]}]}}, s' \
  "$proj/.claude/settings.json" || fail "--remove left other keys as they were"
ag session install-hooks --runtime claude-code --dir "$proj" --remove
assert_eq "0 no-op" "$RC $(field result)" "--remove again"
ag session install-hooks --runtime codex --dir "$proj"
expect_error USAGE 2 "an unknown runtime"
ls "$proj/.claude" | grep -v '^settings.json$' && fail "install-hooks left a temporary file"
mkdir "$WORK/fresh"
ag session install-hooks --runtime claude-code --dir "$WORK/fresh"
assert_eq "0 installed" "$RC $(field result)" "install-hooks in a project without .claude"
pass "install-hooks: idempotent, keeps other keys, --remove removes only ours"

# ---- repo, home view with a session, end ---------------------------------------------
ag repo create app
assert_eq "0 app" "$RC $(field name)" "repo create"
ag repo list
grep -q '^repos\[' <<<"$OUT" || fail "repo list: $OUT"
ag repo show nope
expect_error NOT_FOUND 1 "repo show of a missing repo"
ag
grep -q "^  \"\\?$id\"\\?,Write the docs,[a-z]*," <<<"$OUT" || fail "home view lists the session: $OUT"
ag session end "${S[@]}"
assert_eq "0 ended" "$RC $(field state)" "end"
[ ! -d "$wd" ] || fail "end: the work tree is still there"
pass "repo list/create/show; home view lists sessions; end"

# ---- credentials: UNAUTHORIZED, FORBIDDEN, READ_ONLY ------------------------------------
stop_server
PW='correct horse bob'
HASH=$(printf '%s\n' "$PW" | "$AGENTGIT_BIN" hash-password)
cat >"$WORK/auth.toml" <<EOC
[[auth.users]]
name = "bob"
password_hash = '$HASH'
access = { "bob-*" = "write" }
EOC
start_server --config "$WORK/auth.toml"
export AGENTGIT_URL=$BASE
ag session list
expect_error UNAUTHORIZED 1 "no token"
TOKEN=$(curl -s -u "bob:$PW" -H 'Content-Type: application/json' -d '{"name":"cli","access":"write"}' \
  "$BASE/api/v1/tokens" | json_get token)
[[ $TOKEN == agt_* ]] || fail "no token issued"
OUT=$(AGENTGIT_TOKEN=agt_bogusbogusbogusbogusbogusbogusbogusbogusbog "$AGENTGIT_BIN" repo list) && RC=0 || RC=$?
expect_error UNAUTHORIZED 1 "a bad token"
OUT=$(AGENTGIT_TOKEN=$TOKEN "$AGENTGIT_BIN" repo create bob-app) || fail "bob's token creates bob-app: $OUT"
OUT=$(AGENTGIT_TOKEN=$TOKEN "$AGENTGIT_BIN" repo create alice-app) && RC=0 || RC=$?
expect_error FORBIDDEN 1 "bob's token on alice-app"
stop_server
printf 'read_only = true\n' >"$WORK/ro.toml"
start_server --config "$WORK/ro.toml"
export AGENTGIT_URL=$BASE
ag session start --task "on a read-only server"
expect_error READ_ONLY 1 "read-only server"
pass "UNAUTHORIZED, FORBIDDEN, READ_ONLY"

# ---- the remaining codes: CONFLICT, LOCAL_FILE, BUSY, SERVER_ERROR, WORKDIR_NOT_LOCAL ----
stop_server
start_server
export AGENTGIT_URL=$BASE
ag repo create app
ag repo create app
expect_error CONFLICT 1 "a repo name taken"
grep -q 'another name' <<<"$OUT" || fail "a taken name is not told to retry: $OUT"
printf '{"hooks": ' >"$proj/.claude/settings.json"
ag session install-hooks --runtime claude-code --dir "$proj"
expect_error LOCAL_FILE 1 "install-hooks with a settings.json that is not JSON"
assert_eq '{"hooks": ' "$(cat "$proj/.claude/settings.json")" "a broken settings.json is left as it was"
stop_server
printf '[limits]\nmax_connections = 1\n' >"$WORK/one.toml"
start_server --config "$WORK/one.toml"
export AGENTGIT_URL=$BASE
# A connection mid-header holds the one place (an idle one would be closed
# to make room).
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /healthz HTTP/1.1\r\n' >&3
sleep 0.2
ag session list
expect_error BUSY 1 "a server at its connection limit"
exec 3>&-
# A server that fails (500) and one whose work trees are on another
# machine: what a client sees of both, from a stand-in server.
cat >"$WORK/fake.py" <<'PY'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/api/v1/sessions/far":
            body, status = {"id": "far", "repo": "far", "state": "active", "workdir": "/nonexistent/agentgit/far"}, 200
        else:
            body, status = {"error": "the disk is on fire", "code": "INTERNAL"}, 500
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
/usr/bin/python3 "$WORK/fake.py" >"$WORK/fake.port" &
fake=$!
for _ in $(seq 1 100); do [ -s "$WORK/fake.port" ] && break; sleep 0.05; done
export AGENTGIT_URL=http://127.0.0.1:$(cat "$WORK/fake.port")
ag session list
expect_error SERVER_ERROR 1 "a server that answers 500"
assert_eq "the disk is on fire" "$(field error)" "the server's message is shown"
ag session exec --session far -- true
expect_error WORKDIR_NOT_LOCAL 1 "exec with the work tree on another machine"
kill "$fake"
wait "$fake" 2>/dev/null || true
pass "CONFLICT (help: another name), LOCAL_FILE, BUSY, SERVER_ERROR, WORKDIR_NOT_LOCAL"

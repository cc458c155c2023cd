#!/usr/bin/env bash
# Hostile HTTP framing and paths: Content-Length lies, Content-Length with
# chunked, negative and huge lengths, truncated gzip, 60,000 and 100,000
# ref-prefix lines, config and hooks paths, a repo directory symlinked out
# of the data root. None crashes the server or reaches outside the data
# root; each gets a clear status.
source "$(dirname "$0")/lib.sh"
start_server
create_repo target
git clone -q "$BASE/repos/target.git" "$WORK/a"
commit_file "$WORK/a" a.txt "one"
git -C "$WORK/a" push -q origin main
UP="Content-Type: application/x-git-upload-pack-request"

# raw REQUEST-BYTES (a python bytes literal) -> the status code, or "closed".
raw() {
  local line
  line=$(raw_http "$1")
  case "$line" in
    "HTTP/1.1 "*) line=${line#HTTP/1.1 }; echo "${line%% *}" ;;
    *) echo closed ;;
  esac
}
H='b"POST /repos/target.git/git-upload-pack HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-git-upload-pack-request\r\n'
for case in \
  "$H"'Content-Length: 100\r\n\r\n0000"' \
  "$H"'Content-Length: -5\r\n\r\n0000"' \
  "$H"'Content-Length: 99999999999999999999999\r\n\r\n0000"' \
  "$H"'Content-Length: 4\r\nContent-Length: 8\r\n\r\n0000"' \
  "$H"'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n0000\r\n0\r\n\r\n"' \
  "$H"'Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n0000"'; do
  code=$(raw "$case")
  case "$code" in 4*|closed) ;; *) fail "hostile framing got $code: $case" ;; esac
  assert_alive
done
pass "Content-Length lies, duplicate and negative lengths, CL with chunked: 4xx or closed, server fine"

printf '0032want %s\n00000009done\n' "$(git -C "$WORK/a" rev-parse HEAD)" | gzip -c | head -c 20 >"$WORK/trunc.gz"
assert_eq 400 "$(http_status POST /repos/target.git/git-upload-pack -H "$UP" -H 'Content-Encoding: gzip' \
  --data-binary "@$WORK/trunc.gz")" "truncated gzip"
pass "truncated gzip: 400"

# Large v2 ls-refs requests: git answers, the server stays up. Built with
# one join (appending to a bytes object 100,000 times is quadratic and took
# over a minute). lsrefs_body N MATCH: N ref-prefix lines, the last MATCH.
lsrefs_body() {
  /usr/bin/python3 - "$1" "$2" >"$WORK/lsrefs" <<'PY'
import sys
n, last = int(sys.argv[1]), sys.argv[2].encode()
def pkt(s): return b"%04x" % (len(s) + 4) + s
lines = [pkt(b"command=ls-refs\n"), b"0001"]
lines += [pkt(b"ref-prefix refs/heads/x%d\n" % i) for i in range(n - 1)]
lines += [pkt(b"ref-prefix " + last + b"\n"), b"0000"]
sys.stdout.buffer.write(b"".join(lines))
PY
  curl -s -o "$WORK/lsrefs.out" -w '%{http_code}' -H "$UP" -H 'Git-Protocol: version=2' \
    --data-binary "@$WORK/lsrefs" "$BASE/repos/target.git/git-upload-pack"
}
main_line="$(git -C "$WORK/a" rev-parse HEAD) refs/heads/main"
# 60,000 prefixes (git honours up to 65,536), only the last matching main:
# main is listed, so the whole body reached git intact and in order.
assert_eq 200 "$(lsrefs_body 60000 refs/heads/mai)" "60,000 ref-prefix lines"
grep -q "$main_line" "$WORK/lsrefs.out" || fail "the last of 60,000 prefixes was not honoured: $(head -c 300 "$WORK/lsrefs.out")"
assert_eq 200 "$(lsrefs_body 60000 refs/heads/zzz)" "60,000 ref-prefix lines, none matching"
assert_eq 0000 "$(cat "$WORK/lsrefs.out")" "60,000 prefixes matching nothing list nothing"
# 100,000 (3.3 MB): past git's own cap, which then ignores the prefixes.
assert_eq 200 "$(lsrefs_body 100000 refs/heads/zzz)" "100,000 ref-prefix lines"
grep -q "$main_line" "$WORK/lsrefs.out" || fail "100,000 prefixes: no ref list: $(head -c 300 "$WORK/lsrefs.out")"
assert_alive
pass "60,000 and 100,000 ref-prefix lines"

# Repository internals are never served.
for p in config HEAD hooks/post-receive objects/info/packs description info/refs "../../audit.log"; do
  code=$(http_status GET "/repos/target.git/$p" --path-as-is)
  case "$code" in 403|404|400) ;; *) fail "GET /repos/target.git/$p: $code" ;; esac
done
pass "config, hooks and object paths are not served"

# A refname git refuses never lands.
if git -C "$WORK/a" push origin HEAD:refs/heads/../x 2>/dev/null; then fail "refs/heads/../x was accepted"; fi
[ -z "$(git ls-remote "$BASE/repos/target.git" | grep -v 'refs/heads/main\|HEAD')" ] || fail "unexpected refs"
pass "refs/heads/../x refused"

# Trees with a .git entry or a .gitmodules that points a submodule path
# outside are refused by receive.fsckObjects; nothing lands.
evil_push() {  # NAME-IN-TREE CONTENT
  local blob tree commit
  blob=$(printf '%s' "$2" | git -C "$WORK/a" hash-object -w --stdin)
  tree=$(printf '100644 %s\0' "$1" | cat - <(printf '%s' "$blob" | /usr/bin/python3 -c 'import sys, binascii; sys.stdout.buffer.write(binascii.unhexlify(sys.stdin.read().strip()))') | \
    git -C "$WORK/a" hash-object -w -t tree --literally --stdin)
  commit=$(git -C "$WORK/a" commit-tree "$tree" -p HEAD -m evil)
  ! git -C "$WORK/a" push -q origin "$commit:refs/heads/evil" 2>"$WORK/evil.err" || return 1
  grep -qE "fsck|hasDotgit|gitmodules" "$WORK/evil.err" || fail "refused, but not by fsck: $(cat "$WORK/evil.err")"
}
evil_push .git "[core]
	worktree = /tmp" || fail "a tree with a .git entry was accepted"
evil_push .gitmodules '[submodule "x"]
	path = x
	url = --upload-pack=touch /tmp/pwned' || fail "a .gitmodules with an option-like url was accepted"
[ -z "$(git ls-remote "$BASE/repos/target.git" refs/heads/evil)" ] || fail "an evil branch landed"
pass ".git entries and .gitmodules tricks are refused (receive.fsckObjects)"

# A repo directory that is a symlink out of the data root is not served.
mkdir -p "$WORK/outside"
git init -q --bare "$WORK/outside/secret.git"
ln -s "$WORK/outside/secret.git" "$DATA/repos/secret.git"
assert_eq 404 "$(http_status GET '/repos/secret.git/info/refs?service=git-upload-pack')" "symlinked repo"
assert_eq 404 "$(http_status GET /api/v1/repos/secret)" "symlinked repo in the API"
listing=$(curl -s "$BASE/api/v1/repos")
[[ "$listing" != *secret* ]] || fail "symlinked repo listed: $listing"
pass "a repo symlinked out of the data root is not served"

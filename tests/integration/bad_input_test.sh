#!/usr/bin/env bash
# Bad input gets a clear answer and reaches nothing: wrong methods, content
# types and services; hostile repo names that must never reach a git
# process (proved with a logging `git` wrapper the server runs instead of
# git); garbage and truncated pkt-line bodies; well-framed pushes with a
# bad pack; bad and good Content-Encoding (a gzipped push lands);
# malformed HTTP; and clients that vanish mid-clone leave no child behind.
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
UP_REQ=application/x-git-upload-pack-request
RP_REQ=application/x-git-receive-pack-request

# ---- a `git` that logs every argv, then runs the real git -----------------
# The server resolves `git` from PATH once at start-up and hands children a
# PATH starting with that directory, so everything it runs passes through
# this script.
REAL_GIT=$(command -v git)
FAKEBIN=$WORK/fakebin
ARGV_LOG=$WORK/git-argv.log
mkdir -p "$FAKEBIN"
: >"$ARGV_LOG"
cat >"$FAKEBIN/git" <<EOF
#!/bin/sh
{ echo "call:"; for a in "\$@"; do printf 'arg: %s\n' "\$a"; done; } >>"$ARGV_LOG"
# What git inherits: open fds (as ls sees its own: plus 3, its listing),
# process group, ignored and blocked signals (as grep sees its own).
{ echo "fds: \$(ls /proc/self/fd | sort -n | tr '\n' ' ')"
  echo "pgid: \$(ps -o pgid= -p \$\$ | tr -d ' ') pid: \$\$"
  grep -E '^Sig(Ign|Blk):' /proc/self/status; } >>"$WORK/git-env.log"
exec "$REAL_GIT" "\$@"
EOF
chmod +x "$FAKEBIN/git"

SAVED_PATH=$PATH
export PATH="$FAKEBIN:$SAVED_PATH"
start_server
export PATH=$SAVED_PATH
# The test's own git calls must not pollute the log.
[ "$(command -v git)" = "$REAL_GIT" ] || fail "test PATH still points at the wrapper"

create_repo legit
git clone -q "$BASE/repos/legit.git" "$WORK/legit" 2>/dev/null
commit_file "$WORK/legit" README.md "legit content"
git -C "$WORK/legit" push -q origin main || fail "first push"
grep -q "arg: $DATA/repos/legit.git" "$ARGV_LOG" || fail "the git wrapper did not see the legit push: $(cat "$ARGV_LOG")"
TIP=$(git ls-remote "$BASE/repos/legit.git" refs/heads/main | cut -f1)
[ ${#TIP} = 40 ] || fail "ls-remote gave no tip: '$TIP'"
pass "wrapper sees legit git calls"

# Every git child has only stdin, stdout and stderr open, leads a process
# group of its own (so stopping it stops pack-objects below it), and
# neither ignores nor blocks any signal.
[ "$(grep -c '^fds:' "$WORK/git-env.log")" -ge 3 ] || fail "the wrapper logged no children: $(cat "$WORK/git-env.log")"
bad=$(grep '^fds:' "$WORK/git-env.log" | grep -v '^fds: 0 1 2 3 $' || true)
[ -z "$bad" ] || fail "a git child inherited more than fds 0-2: $bad"
bad=$(grep '^pgid:' "$WORK/git-env.log" | awk '$2 != $4' || true)
[ -z "$bad" ] || fail "a git child is not its own process group leader: $bad"
# (Bit N is signal N+1; glibc reserves signals 32 and 33 for itself, so
# only signals 1-31 count.)
bad=$( (grep '^SigBlk:' "$WORK/git-env.log" | grep -v '0000000000000000$'
        grep '^SigIgn:' "$WORK/git-env.log" | while read -r _ mask; do
          [ $(( 0x$mask & 0x7fffffff )) = 0 ] || echo "SigIgn: $mask"; done) || true)
[ -z "$bad" ] || fail "a git child ignores or blocks signals: $bad"
pass "git children: fds 0-2 only, own process group, default signals"

# ---- methods, content types, services, unknown repos ---------------------
# header_of METHOD PATH HEADER [curl args]: status and the named header.
header_of() {
  local method=$1 path=$2 name=$3
  shift 3
  curl -s -D - -o /dev/null -X "$method" "$@" "$BASE$path" | tr -d '\r' |
    awk -v n="$(echo "$name" | tr 'A-Z' 'a-z')" 'NR==1 {print $2} tolower($0) ~ "^"n":" {sub(/^[^:]*: */, ""); print}' |
    paste -sd' '
}
assert_eq "405 POST" "$(header_of GET /repos/legit/git-upload-pack Allow)" "GET git-upload-pack"
assert_eq "405 POST" "$(header_of GET /repos/legit.git/git-receive-pack Allow)" "GET git-receive-pack"
assert_eq "405 GET" "$(header_of POST '/repos/legit/info/refs?service=git-upload-pack' Allow)" "POST info/refs (upload)"
assert_eq "405 GET" "$(header_of POST '/repos/legit/info/refs?service=git-receive-pack' Allow -H "Content-Type: $RP_REQ")" \
  "POST info/refs (receive)"
assert_eq "405 POST" "$(header_of PUT /repos/legit/git-upload-pack Allow -H "Content-Type: $UP_REQ")" "PUT git-upload-pack"
pass "wrong method: 405 with Allow"

assert_eq 415 "$(http_status POST /repos/legit/git-upload-pack -H 'Content-Type: text/plain' --data-binary 0000)" \
  "upload-pack with text/plain"
assert_eq 415 "$(http_status POST /repos/legit/git-receive-pack -H "Content-Type: $UP_REQ" --data-binary 0000)" \
  "receive-pack with the upload-pack content type"
assert_eq 415 "$(http_status POST /repos/legit/git-upload-pack --data-binary 0000)" "upload-pack without Content-Type"
pass "wrong Content-Type: 415"

assert_eq 403 "$(http_status GET '/repos/legit/info/refs?service=git-foo')" "?service=git-foo"
assert_eq 403 "$(http_status POST /repos/legit/git-foo -H "Content-Type: $UP_REQ" --data-binary 0000)" "POST git-foo"
assert_eq 403 "$(http_status GET '/repos/legit/info/refs?service=--upload-pack=touch%20pwned')" "hostile service name"
assert_eq 404 "$(http_status GET '/repos/nope/info/refs?service=git-upload-pack')" "unknown repo info/refs"
assert_eq 404 "$(http_status POST /repos/nope.git/git-upload-pack -H "Content-Type: $UP_REQ" --data-binary 0000)" \
  "unknown repo upload-pack"
assert_eq 404 "$(http_status GET '/repos/legit/objects/info/packs')" "dumb-HTTP file path"
pass "unknown service 403, unknown repo 404"

# ---- hostile names never reach git ---------------------------------------
HOSTILE=(
  '/repos/../info/refs?service=git-upload-pack'
  '/repos/%2e%2e/info/refs?service=git-upload-pack'
  '/repos/.%2e/info/refs?service=git-upload-pack'
  '/repos/%2e%2e%2f%2e%2e%2fetc/info/refs?service=git-upload-pack'
  '/repos/legit%2f..%2f..%2fetc/info/refs?service=git-upload-pack'
  '/repos/%2fetc%2fpasswd/info/refs?service=git-upload-pack'
  '/repos/legit%00/info/refs?service=git-upload-pack'
  '/repos/legit%00.git/info/refs?service=git-receive-pack'
  '/repos/..%5c..%5clegit/info/refs?service=git-upload-pack'
  '/repos/legit%5c/info/refs?service=git-upload-pack'
  '/repos/-x/info/refs?service=git-upload-pack'
  '/repos/-x.git/info/refs?service=git-receive-pack'
  '/repos/--upload-pack=touch%20pwned/info/refs?service=git-upload-pack'
  '/repos/--exec=touch%20pwned.git/info/refs?service=git-receive-pack'
  '/repos/a/../b/info/refs?service=git-upload-pack'
  '/repos/a/../legit/info/refs?service=git-upload-pack'
  '/repos/legit/../legit/info/refs?service=git-upload-pack'
  '/repos/./legit/info/refs?service=git-upload-pack'
  '/repos/legit.lock/info/refs?service=git-upload-pack'
)
for path in "${HOSTILE[@]}"; do
  code=$(curl -s --path-as-is -g -o /dev/null -w '%{http_code}' --max-time 10 "$BASE$path")
  case "$code" in 400|404) ;; *) fail "GET $path: expected 400 or 404, got $code";; esac
done
for path in '/repos/--upload-pack=touch%20pwned/git-upload-pack' '/repos/-x/git-receive-pack' \
  '/repos/..%2f..%2fetc/git-upload-pack' '/repos/a/../legit/git-upload-pack' '/repos/legit%00/git-upload-pack'; do
  svc=upload; [[ $path == *receive* ]] && svc=receive
  code=$(curl -s --path-as-is -g -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
    -H "Content-Type: application/x-git-$svc-pack-request" --data-binary '0000' "$BASE$path")
  case "$code" in 400|404) ;; *) fail "POST $path: expected 400 or 404, got $code";; esac
done
assert_alive
# The only things the wrapper may ever have seen: the fixed service argv
# and the absolute path of the one real repo.
bad_args=$(sed -n 's/^arg: //p' "$ARGV_LOG" | sort -u |
  grep -vxF -e upload-pack -e receive-pack -e --strict -e --timeout=600 -e -c -e "core.hooksPath=$DATA/hooks" -e receive.autogc=false -e --stateless-rpc -e --http-backend-info-refs \
    -e "$DATA/repos/legit.git" || true)
[ -z "$bad_args" ] || fail "git was run with unexpected arguments: $bad_args"
for s in pwned '..' '\' upload-pack=; do
  if sed -n 's/^arg: //p' "$ARGV_LOG" | grep -qF -- "$s"; then fail "git saw hostile string '$s': $(cat "$ARGV_LOG")"; fi
done
[ -z "$(find "$WORK" -name pwned 2>/dev/null; find "$PWD" / -maxdepth 1 -name pwned 2>/dev/null)" ] \
  || fail "a 'pwned' file was created"
calls_before=$(grep -c '^call:' "$ARGV_LOG")
git clone -q "$BASE/repos/legit.git" "$WORK/legit2" || fail "clone after hostile requests"
assert_eq "legit content" "$(cat "$WORK/legit2/README.md")" "cloned content"
calls_after=$(grep -c '^call:' "$ARGV_LOG")
[ "$calls_after" -gt "$calls_before" ] || fail "the legit clone did not go through the wrapper"
grep -q "arg: $DATA/repos/legit.git" "$ARGV_LOG" || fail "legit clone not logged"
pass "hostile names answered 400/404 and never reached git (${#HOSTILE[@]} + 5 requests)"

# ---- garbage pkt-line bodies ---------------------------------------------
# post_body SERVICE FILE [curl args]: status of a POST with FILE as body.
post_body() {
  local svc=$1 file=$2
  shift 2
  curl -s -o "$WORK/resp" -w '%{http_code}' --max-time 15 -X POST -H "Content-Type: application/x-git-$svc-request" \
    "$@" --data-binary "@$file" "$BASE/repos/legit/git-$svc"
}
expect_4xx() {  # what code
  case "$2" in 4[0-9][0-9]) ;; *) fail "$1: expected a 4xx, got '$2' ($(head -c 300 "$WORK/resp" 2>/dev/null))";; esac
}
garbage() {  # name bytes (printf format)
  printf "$2" >"$WORK/body.$1"
  echo "$WORK/body.$1"
}
for spec in 'zzzz:zzzz' 'truncated-want:0032want' 'truncated-len:00' 'empty:' 'meaningless:0009hello' \
  'meaningless-flush:0009hello0000' 'len-0003:0003' 'overlong:ffffabc' 'binary:\x00\x01\x02\x03\xff\xfe' \
  'want-garbage:0032want zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n00000009done\n'; do
  name=${spec%%:*}
  expect_4xx "upload-pack body $name" "$(post_body upload-pack "$(garbage "$name" "${spec#*:}")")"
  assert_alive
done
for spec in 'zzzz:zzzz' 'meaningless:0009hello0000' 'truncated:0032want' 'binary:\x00\x01\x02\x03\xff\xfe' \
  'bad-command:0028not-a-sha not-a-sha refs/heads/main\n0000'; do
  name=${spec%%:*}
  expect_4xx "receive-pack body $name" "$(post_body receive-pack "$(garbage "rp-$name" "${spec#*:}")")"
  assert_alive
done
# A well-formed want of an object the repo does not have: git's own answer
# (an ERR line in a 200, or a 4xx), never a 5xx.
code=$(post_body upload-pack "$(garbage want-unknown '0032want 1234567890123456789012345678901234567890\n00000009done\n')")
case "$code" in 200|4[0-9][0-9]) ;; *) fail "want of an unknown object: got $code";; esac
grep -q "not our ref" "$WORK/resp" || fail "want of an unknown object: git's reason did not reach the client: $(cat "$WORK/resp")"
wait_no_children 10
assert_eq "$TIP" "$(git ls-remote "$BASE/repos/legit.git" refs/heads/main | cut -f1)" "main after garbage pushes"
rm -rf "$WORK/legit3"
git clone -q "$BASE/repos/legit.git" "$WORK/legit3" || fail "clone after garbage bodies"
assert_eq "legit content" "$(cat "$WORK/legit3/README.md")" "content after garbage bodies"
pass "garbage and truncated pkt-lines: 4xx, no hang, server fine"

# ---- well-framed push commands, bad pack --------------------------------
# The command list is valid; the pack after it is missing, not a pack,
# garbage after a real header, cut short, or has a broken checksum. Git
# must say so through report-status ("unpack <error>" and "ng") in a
# complete 200, or the server a 4xx: never a 5xx, never a response cut off
# after it started; nothing lands and the quarantine is gone.
git clone -q "$BASE/repos/legit.git" "$WORK/packer" 2>/dev/null
commit_file "$WORK/packer" small.txt "one small file"
SMALL=$(git -C "$WORK/packer" rev-parse HEAD)
printf '%s\n^%s\n' "$SMALL" "$TIP" | git -C "$WORK/packer" pack-objects -q --revs --stdout >"$WORK/small.pack"
git -C "$WORK/packer" reset -q --hard "$TIP"
mkdir -p "$WORK/packer/many"
for i in $(seq 1 150); do echo "file $i" >"$WORK/packer/many/f$i.txt"; done
git -C "$WORK/packer" add many && git -C "$WORK/packer" commit -q -m "150 files"
BIG=$(git -C "$WORK/packer" rev-parse HEAD)
printf '%s\n^%s\n' "$BIG" "$TIP" | git -C "$WORK/packer" pack-objects -q --revs --stdout >"$WORK/big.pack"
# (over receive.unpackLimit's 100 objects: index-pack, not unpack-objects)
[ "$(/usr/bin/python3 -c 'import sys; print(int.from_bytes(open(sys.argv[1], "rb").read(12)[8:], "big"))' \
  "$WORK/big.pack")" -gt 100 ] || fail "the big pack should hold more than 100 objects"
# push_commands NEW CAPABILITIES: main TIP -> NEW with report-status, flush.
push_commands() {
  local line="$TIP $1 refs/heads/main"
  printf '%04x%s\0%s\n0000' $(( 4 + ${#line} + 1 + ${#2} + 1 )) "$line" "$2"
}
# push_raw FILE [curl args]: POSTs FILE to legit's receive-pack; sets CODE
# and CURL_RC (0 only if the whole response, chunked framing included,
# arrived); the body is in $WORK/resp.
push_raw() {
  local file=$1
  shift
  CURL_RC=0
  CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' --max-time 30 -X POST -H "Content-Type: $RP_REQ" "$@" \
    --data-binary "@$file" "$BASE/repos/legit/git-receive-pack") || CURL_RC=$?
}
half() { head -c $(( $(stat -c %s "$1") / 2 )) "$1"; }
/usr/bin/python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 0xff; sys.stdout.buffer.write(b)' \
  "$WORK/big.pack" >"$WORK/big.badsum"
{ push_commands "$BIG" report-status; } >"$WORK/bp.nopack"
{ push_commands "$BIG" report-status; echo "this is not a pack"; } >"$WORK/bp.notpack"
{ push_commands "$BIG" report-status; head -c 12 "$WORK/big.pack"; printf 'garbage%.0s' $(seq 1 512); } >"$WORK/bp.garbage"
{ push_commands "$SMALL" report-status; half "$WORK/small.pack"; } >"$WORK/bp.trunc-small"
{ push_commands "$BIG" report-status; half "$WORK/big.pack"; } >"$WORK/bp.trunc-big"
{ push_commands "$BIG" "report-status side-band-64k"; half "$WORK/big.pack"; } >"$WORK/bp.trunc-sideband"
{ push_commands "$BIG" report-status; cat "$WORK/big.badsum"; } >"$WORK/bp.badsum"
log_from=$(( $(wc -l <"$WORK/server.log") + 1 ))
for name in nopack notpack garbage trunc-small trunc-big trunc-sideband badsum; do
  push_raw "$WORK/bp.$name"
  assert_eq 0 "$CURL_RC" "bad pack '$name': curl exit code (a response cut off after it started?)"
  case "$CODE" in
    200)
      grep -qa 'unpack ' "$WORK/resp" || fail "bad pack '$name': 200 without an unpack status: $(cat -v "$WORK/resp")"
      ! grep -qa 'unpack ok' "$WORK/resp" || fail "bad pack '$name': git said 'unpack ok'"
      grep -qa 'ng refs/heads/main' "$WORK/resp" || fail "bad pack '$name': main not reported as refused: $(cat -v "$WORK/resp")"
      ;;
    4[0-9][0-9]) ;;
    *) fail "bad pack '$name': expected 200 with report-status or a 4xx, got $CODE: $(cat -v "$WORK/resp")" ;;
  esac
  echo "# bad pack $name: $CODE $(grep -ao 'unpack [^0]*' "$WORK/resp" | head -n 1)"
  assert_alive
done
# The HTTP body itself ends early (the client half-closes mid-pack), with a
# Content-Length and chunked: no 2xx, and git's child goes away.
{ push_commands "$BIG" "report-status side-band-64k"; cat "$WORK/big.pack"; } >"$WORK/bp.full"
# cut_push FRAMING: the status line answering the headers, FRAMING (a python
# bytes expression over B, the whole body) and the first half of B.
cut_push() {
  raw_http "(lambda B: b'POST /repos/legit/git-receive-pack HTTP/1.1\r\nHost: localhost\r\nContent-Type: $RP_REQ\r\n'
    + $1 + B[:len(B) // 2])(open('$WORK/bp.full', 'rb').read())"
}
for framing in "b'Content-Length: %d\r\n\r\n' % len(B)" "b'Transfer-Encoding: chunked\r\n\r\n%x\r\n' % len(B)"; do
  status=$(cut_push "$framing")
  case "$status" in "" | "HTTP/1.1 4"*) ;; *) fail "push body cut short ($framing): got '$status'" ;; esac
  echo "# push body cut short: ${status:-connection closed}"
  assert_alive
done
wait_no_children 10
assert_eq "$TIP" "$(git ls-remote "$BASE/repos/legit.git" refs/heads/main | cut -f1)" "main after bad packs"
git --git-dir="$DATA/repos/legit.git" cat-file -e "$BIG" 2>/dev/null && fail "an object of a refused pack landed"
leftovers=$(find "$DATA/repos/legit.git/objects" -name 'tmp_objdir-*' -o -name 'tmp_pack_*' -o -name 'incoming-*')
[ -z "$leftovers" ] || fail "quarantine left behind: $leftovers"
git --git-dir="$DATA/repos/legit.git" fsck --strict --no-progress --no-dangling || fail "fsck after bad packs"
! tail -n "+$log_from" "$WORK/server.log" | grep -E 'git-receive-pack 5[0-9][0-9]|after its answer started' \
  || fail "a bad pack got a 5xx or failed after its answer started"
pass "well-framed commands with a missing, garbage, truncated or corrupt pack, or a body cut short: a clear answer, nothing lands"

# ---- Content-Encoding ----------------------------------------------------
want_body() {  # a complete v0 full-clone request for TIP
  printf '0032want %s\n' "$TIP"
  printf '0000'
  printf '0009done\n'
}
want_body >"$WORK/want.plain"
assert_eq 400 "$(post_body upload-pack "$WORK/want.plain" -H 'Content-Encoding: gzip')" "gzip header, plain body"
grep -qi gzip "$WORK/resp" || fail "bad gzip answer does not say why: $(cat "$WORK/resp")"
printf 'not gzip at all' >"$WORK/notgzip"
assert_eq 400 "$(post_body receive-pack "$WORK/notgzip" -H 'Content-Encoding: gzip')" "gzip header on receive-pack"
gzip -c "$WORK/want.plain" | head -c 20 >"$WORK/want.truncgz"
assert_eq 400 "$(post_body upload-pack "$WORK/want.truncgz" -H 'Content-Encoding: gzip')" "truncated gzip"
assert_eq 415 "$(post_body upload-pack "$WORK/want.plain" -H 'Content-Encoding: br')" "Content-Encoding: br"
assert_eq 415 "$(post_body receive-pack "$WORK/want.plain" -H 'Content-Encoding: compress')" "Content-Encoding: compress"
assert_alive
gzip -c "$WORK/want.plain" >"$WORK/want.gz"
assert_eq 200 "$(post_body upload-pack "$WORK/want.gz" -H 'Content-Encoding: gzip')" "valid gzip request"
assert_eq "0008NAK" "$(head -c 8 "$WORK/resp")" "gzip request answer starts with NAK"
tail -c +9 "$WORK/resp" >"$WORK/gz.pack"
git init -q --bare "$WORK/verify.git"
git -C "$WORK/verify.git" index-pack --stdin --fix-thin <"$WORK/gz.pack" >/dev/null || fail "the pack answered is not valid"
git -C "$WORK/verify.git" cat-file -e "$TIP" || fail "the pack lacks the wanted commit"
assert_eq 200 "$(post_body upload-pack "$WORK/want.plain")" "same request without gzip"
# A gzip-encoded push (what git sends for small pushes): the commands and a
# real pack, gzipped; the ref moves.
{ push_commands "$BIG" "report-status side-band-64k"; cat "$WORK/big.pack"; } | gzip -c >"$WORK/push.gz"
push_raw "$WORK/push.gz" -H 'Content-Encoding: gzip'
assert_eq "200 0" "$CODE $CURL_RC" "gzip-encoded push"
grep -qa 'unpack ok' "$WORK/resp" || fail "gzip push: no 'unpack ok': $(cat -v "$WORK/resp")"
grep -qa 'ok refs/heads/main' "$WORK/resp" || fail "gzip push: main not updated: $(cat -v "$WORK/resp")"
assert_eq "$BIG" "$(git ls-remote "$BASE/repos/legit.git" refs/heads/main | cut -f1)" "main after the gzip push"
git --git-dir="$DATA/repos/legit.git" fsck --strict --no-progress --no-dangling || fail "fsck after the gzip push"
pass "Content-Encoding: bad gzip 400, unknown 415, real gzip fetch and push"

# ---- malformed HTTP ------------------------------------------------------
status_of() { raw_http "$1" | awk '{print $2}'; }
assert_eq 400 "$(status_of 'b"GARBAGE\r\n\r\n"')" "garbage request line"
assert_eq 400 "$(status_of 'b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n"')" "TLS hello"
assert_eq 400 "$(status_of 'b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header Line\r\n\r\n"')" "header without colon"
assert_eq 400 "$(status_of 'b"POST /repos/legit/git-upload-pack HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-git-upload-pack-request\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n0032want\r\n0\r\n\r\n"')" \
  "bad chunked framing"
assert_eq 400 "$(status_of 'b"POST /repos/legit/git-receive-pack HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-git-receive-pack-request\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n0032want\r\n0\r\n\r\n"')" \
  "bad chunked framing to receive-pack"
assert_eq 431 "$(status_of 'b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n"')" "64 KB header"
assert_eq 431 "$(status_of 'b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(4000)) + b"\r\n"')" \
  "4000 headers"
assert_alive
wait_no_children 10
pass "malformed HTTP: 400 / 431, server survives"

# ---- clients that vanish mid-clone ---------------------------------------
create_repo big
git clone -q "$BASE/repos/big.git" "$WORK/big" 2>/dev/null
head -c 30000000 /dev/urandom >"$WORK/big/blob.bin"
git -C "$WORK/big" add blob.bin
git -C "$WORK/big" commit -q -m "30 MB of noise"
git -C "$WORK/big" push -q origin main || fail "push of the big repo"
BIG_TIP=$(git -C "$WORK/big" rev-parse HEAD)
wait_no_children 10
fds_before=$(ls "/proc/$SERVER_PID/fd" | wc -l)

# (a) git clone through a proxy that stops reading after 1 MB of the answer:
# the clone is certainly mid-way (it used to be stopped with SIGSTOP once
# pack-objects showed up, and on a fast machine finished first). Then the
# clone (git, remote-http, index-pack) and the proxy are killed.
start_stalling_proxy 1000000
rm -rf "$WORK/killed"
setsid timeout 300 git clone -q "http://127.0.0.1:$PROXY_PORT/repos/big.git" "$WORK/killed" 2>/dev/null &
cpid=$!
for _ in $(seq 1 600); do
  grep -q stalled "$WORK/proxy.out" && break
  kill -0 "$cpid" 2>/dev/null || break
  sleep 0.05
done
grep -q stalled "$WORK/proxy.out" || fail "the clone did not stall behind the proxy"
# The server's git children are blocked writing, not done. (Captured
# first: grep -q would end the listing early, and pipefail fail the test.)
for _ in $(seq 1 100); do
  kids=$(children_in_data)
  grep -q upload-pack <<<"$kids" && break
  sleep 0.05
done
grep -q upload-pack <<<"$kids" || fail "no upload-pack while the clone is stalled: $kids"
kill -9 -- "-$cpid" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true
stop_stalling_proxy
! git --git-dir="$WORK/killed/.git" cat-file -e "$BIG_TIP" 2>/dev/null || fail "the stalled clone got the whole pack"
wait_no_children 10
assert_alive
pass "git clone killed mid-way: no child left"

# (b) a raw full-clone request read at 200 KB/s, cut off once part of the
# pack has arrived (waited for, not a fixed time: a slow first byte under
# sanitizers must not leave it with nothing).
printf '0032want %s\n00000009done\n' "$BIG_TIP" >"$WORK/want.big"
: >"$WORK/partial.pack"
timeout 300 curl -s -o "$WORK/partial.pack" --limit-rate 200k -X POST -H "Content-Type: $UP_REQ" \
  --data-binary "@$WORK/want.big" "$BASE/repos/big/git-upload-pack" &
slow=$!
for _ in $(seq 1 600); do
  [ "$(stat -c %s "$WORK/partial.pack")" -gt 100000 ] && break
  kill -0 "$slow" 2>/dev/null || break
  sleep 0.1
done
kill "$slow" 2>/dev/null || fail "the slow reader ended by itself"
wait "$slow" 2>/dev/null || true
got=$(stat -c %s "$WORK/partial.pack")
[ "$got" -gt 0 ] && [ "$got" -lt 30000000 ] || fail "slow reader got $got bytes: not a partial pack"
wait_no_children 10
assert_alive
zombies=$(ps -o stat= --ppid "$SERVER_PID" | grep -c '^Z' || true)
assert_eq 0 "$zombies" "zombie children of the server"
[ -z "$(children_in_data | grep -e upload-pack -e pack-objects)" ] || fail "upload-pack/pack-objects left: $(children_in_data)"
for _ in $(seq 1 50); do
  fds_after=$(ls "/proc/$SERVER_PID/fd" | wc -l)
  [ "$fds_after" -le "$fds_before" ] && break
  sleep 0.1
done
[ "$fds_after" -le "$fds_before" ] || fail "server fds grew from $fds_before to $fds_after: $(ls -l "/proc/$SERVER_PID/fd")"
pass "slow reader cut off: no child, no zombie, no leaked fd"

rm -rf "$WORK/big2"
git clone -q "$BASE/repos/big.git" "$WORK/big2" || fail "clone of the big repo after the kills"
assert_eq "$BIG_TIP" "$(git -C "$WORK/big2" rev-parse HEAD)" "big clone tip"
cmp -s "$WORK/big/blob.bin" "$WORK/big2/blob.bin" || fail "big clone content differs"
wait_no_children 10
pass "a full clone still works"

# Git's own error text reaches the client without the server's paths.
create_repo broken
rm -rf "$DATA/repos/broken.git/objects"
code=$(curl -s -o "$WORK/broken.out" -w '%{http_code}' "$BASE/repos/broken/info/refs?service=git-upload-pack")
assert_eq 500 "$code" "advertisement of a broken repo"
grep -q "git upload-pack failed: .*'broken'" "$WORK/broken.out" || fail "git's reason missing: $(cat "$WORK/broken.out")"
! grep -q -e "$WORK" -e "$(realpath "$DATA")" -e "/repos/" "$WORK/broken.out" || fail "server path in the answer: $(cat "$WORK/broken.out")"
grep -q "$DATA/repos/broken.git\|$(realpath "$DATA")/repos/broken.git" "$WORK/server.log" || fail "the log should keep git's full text"
pass "git's errors reach the client without server paths"

# ---- a gzip bomb on receive-pack, and requests git has nothing to say to ----
# A 2 MB gzip body inflating to 2 GiB whose first bytes git refuses: once
# git has exited nothing more is inflated; the answer comes at once, and
# the server spends well under a second of CPU on it (it used to inflate
# it all: ~8.5 s).
/usr/bin/python3 - "$WORK/bomb.gz" <<'PY'
import sys, zlib
c = zlib.compressobj(9, zlib.DEFLATED, -15)
head = c.compress(b"zzzz") + c.flush(zlib.Z_FULL_FLUSH)
block = c.compress(b"\0" * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
more = c.compress(b"\0" * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
assert block == more  # after a full flush each MiB of zeros compresses alike
with open(sys.argv[1], "wb") as f:
    f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + head)
    for _ in range(2048):
        f.write(block)
    f.write(c.flush() + b"\0" * 8)  # the trailer never matters: nobody gets that far
PY
cpu_of() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
ticks=$(getconf CLK_TCK)
cpu_before=$(cpu_of)
start=$(date +%s.%N)
CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' --max-time 60 -X POST -H "Content-Type: $RP_REQ" \
  -H 'Content-Encoding: gzip' --data-binary "@$WORK/bomb.gz" "$BASE/repos/legit/git-receive-pack") || true
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
cpu=$(awk -v a="$cpu_before" -v b="$(cpu_of)" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }')
case "$CODE" in 4[0-9][0-9]) ;; *) fail "gzip bomb on receive-pack: expected a 4xx, got '$CODE'" ;; esac
awk -v c="$cpu" 'BEGIN { exit !(c < 1.0) }' || fail "the gzip bomb cost the server $cpu s of CPU (in $took s)"
wait_no_children 10
assert_alive
pass "a gzip bomb git refused at once: $CODE after $took s, $cpu s of server CPU ($(stat -c %s "$WORK/bomb.gz") bytes -> 2 GiB)"

# A lone response-end packet ("0002") is no request: 400, not an empty 200.
printf '0002' >"$WORK/body.0002"
for svc in upload-pack receive-pack; do
  assert_eq 400 "$(post_body "$svc" "$WORK/body.0002")" "a body of 0002 to git-$svc"
done
wait_no_children 10
assert_alive
pass "a body of only 0002: 400"

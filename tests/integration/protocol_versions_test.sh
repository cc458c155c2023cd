#!/usr/bin/env bash
# clone, fetch and ls-remote with protocol.version 0, 1 and 2, each shown by
# GIT_TRACE_PACKET to have negotiated that version; the advertisement
# preamble only for v0/v1; Git-Protocol reaches git; advertisements and
# results carry their content types and git http-backend's no-cache headers.
source "$(dirname "$0")/lib.sh"
start_server
create_repo proto

git clone -q "$BASE/repos/proto.git" "$WORK/seed"
commit_file "$WORK/seed" a.txt "one"
git -C "$WORK/seed" tag v1
git -C "$WORK/seed" push -q origin main v1
tip1=$(git -C "$WORK/seed" rev-parse HEAD)

# assert_negotiated TRACE VERSION WHAT: the GIT_TRACE_PACKET file of one
# command shows the server answered with protocol VERSION. The first
# packets git-remote-http reads ("git<") are the server's advertisement.
assert_negotiated() {
  local trace=$1 v=$2 what=$3 first
  [ -s "$trace" ] || fail "$what: no packet trace"
  first=$(sed -n 's/^.*packet: *git< //p' "$trace" | head -n 3 | paste -sd'|')
  case $v in
    0) [[ $first =~ ^"# service=git-upload-pack|0000|"[0-9a-f]{40}" HEAD" ]] \
         || fail "$what: v0 advertisement expected, got '$first'"
       ! grep -qE 'packet: *[a-z-]+[<>] (version [12]|command=)' "$trace" \
         || fail "$what: a v0 exchange mentions a newer protocol: $(grep -E 'version [12]|command=' "$trace" | head -3)" ;;
    1) [[ $first == "# service=git-upload-pack|0000|version 1" ]] \
         || fail "$what: v1 advertisement expected, got '$first'"
       ! grep -qE 'packet: *[a-z-]+[<>] (version 2|command=)' "$trace" || fail "$what: a v1 exchange used v2" ;;
    2) [[ $first == "version 2|"* ]] || fail "$what: v2 advertisement expected, got '$first'"
       grep -qE 'packet: *[a-z-]+> command=ls-refs$' "$trace" || fail "$what: no v2 ls-refs command was sent" ;;
  esac
}

for v in 0 1 2; do
  dir="$WORK/clone-v$v"
  GIT_TRACE_PACKET="$WORK/clone-v$v.trace" git -c protocol.version=$v clone -q "$BASE/repos/proto.git" "$dir" \
    || fail "clone with protocol v$v"
  assert_eq "$tip1" "$(git -C "$dir" rev-parse HEAD)" "v$v clone tip"
  assert_negotiated "$WORK/clone-v$v.trace" $v "v$v clone"
  ls=$(GIT_TRACE_PACKET="$WORK/ls-v$v.trace" git -c protocol.version=$v ls-remote "$BASE/repos/proto.git")
  echo "$ls" | grep -q "$tip1	refs/heads/main" || fail "v$v ls-remote: $ls"
  echo "$ls" | grep -q "refs/tags/v1" || fail "v$v ls-remote lacks the tag"
  assert_negotiated "$WORK/ls-v$v.trace" $v "v$v ls-remote"
done
pass "clone and ls-remote negotiated protocol v0, v1, v2"

commit_file "$WORK/seed" b.txt "two"
git -C "$WORK/seed" push -q origin main
tip2=$(git -C "$WORK/seed" rev-parse HEAD)
for v in 0 1 2; do
  GIT_TRACE_PACKET="$WORK/fetch-v$v.trace" git -C "$WORK/clone-v$v" -c protocol.version=$v fetch -q origin \
    || fail "fetch with v$v"
  assert_eq "$tip2" "$(git -C "$WORK/clone-v$v" rev-parse origin/main)" "v$v fetched tip"
  assert_negotiated "$WORK/fetch-v$v.trace" $v "v$v fetch"
  # The negotiation itself: v2 sends a fetch command, v0/v1 a bare want list.
  if [ $v = 2 ]; then
    grep -qE 'packet: *fetch(-pack)?> command=fetch$' "$WORK/fetch-v$v.trace" || fail "v2 fetch sent no fetch command"
  else
    grep -qE "packet: *fetch(-pack)?> want $tip2 " "$WORK/fetch-v$v.trace" || fail "v$v fetch sent no v0-style want"
  fi
done
pass "fetch negotiated protocol v0, v1, v2"

# The raw advertisements: preamble for v0 and v1 (then "version 1"), none
# for v2; receive-pack always has one (it has no v2).
adv() {  # SERVICE OUTFILE [curl args]
  local svc=$1 out=$2
  shift 2
  curl -s "$@" "$BASE/repos/proto.git/info/refs?service=$svc" -o "$out"
}
adv git-upload-pack "$WORK/adv0"
assert_eq "001e# service=git-upload-pack|0000" "$(head -c 34 "$WORK/adv0" | paste -sd'|')" "v0 advertisement preamble"
[[ "$(head -c 83 "$WORK/adv0" | tail -c 49)" =~ ^[0-9a-f]{4}$tip2" HEAD" ]] || fail "v0: the first ref follows the flush"
adv git-upload-pack "$WORK/adv1" -H "Git-Protocol: version=1"
assert_eq "001e# service=git-upload-pack|0000000eversion 1|" "$(head -c 48 "$WORK/adv1" | paste -sd'|')|" \
  "v1 advertisement: preamble, flush, version 1"
[[ "$(head -c 97 "$WORK/adv1" | tail -c 49)" =~ ^[0-9a-f]{4}$tip2" HEAD" ]] || fail "v1: the first ref follows the version line"
adv git-upload-pack "$WORK/adv2" -H "Git-Protocol: version=2"
assert_eq "000eversion 2" "$(head -c 13 "$WORK/adv2")" "v2 advertisement starts with the version line"
grep -q "ls-refs" "$WORK/adv2" || fail "v2 capabilities"
adv git-receive-pack "$WORK/advr" -H "Git-Protocol: version=2"
assert_eq "001f# service=git-receive-pack|0000" "$(head -c 35 "$WORK/advr" | paste -sd'|')" \
  "receive-pack preamble under a v2 request"
assert_eq 400 "$(http_status GET '/repos/proto.git/info/refs?service=git-upload-pack' -H 'Git-Protocol: version=2;rm -rf')" \
  "an invalid Git-Protocol header"
pass "advertisements"

# ---- content types and no-cache headers, as git received them ----------------
# response_headers TRACE METHOD PATH: the headers of the last response to
# METHOD PATH in a GIT_TRACE_CURL file, one per line, names lower-cased.
response_headers() {
  awk -v req="$2 $3 HTTP/1.1" '
    /=> Send header: (GET|POST) / { sub(/^.*=> Send header: /, ""); on = ($0 == req); if (on) hdrs = ""; next }
    on && /<= Recv header: ./ { sub(/^.*<= Recv header: /, ""); hdrs = hdrs $0 "\n" }
    END { printf "%s", hdrs }' "$1" | tr -cd '[:print:]\n' | sed 's/[[:space:]]*$//' |
    awk -F': ' 'NF > 1 { print tolower($1) ": " substr($0, length($1) + 3); next } { print tolower($0) }'
}
# assert_git_headers TRACE METHOD PATH CONTENT-TYPE: git http-backend's
# hdr_nocache() set, and the content type.
assert_git_headers() {
  local h
  h=$(response_headers "$1" "$2" "$3")
  [ -n "$h" ] || fail "$2 $3: no response in the trace"
  echo "$h" | grep -qx "http/1.1 200 ok" || fail "$2 $3: not a 200: $h"
  for want in "content-type: $4" "expires: Fri, 01 Jan 1980 00:00:00 GMT" "pragma: no-cache" \
    "cache-control: no-cache, max-age=0, must-revalidate"; do
    echo "$h" | grep -qxF "$want" || fail "$2 $3: lacks '$want': $(echo "$h" | cat -A)
---- the trace around it ----
$(grep -a -n -A12 "Send header: $2 $3 HTTP" "$1" | cat -A | tail -n 40)"
  done
}
commit_file "$WORK/seed" c.txt "three"
GIT_TRACE_CURL="$WORK/push.curl" GIT_TRACE_CURL_NO_DATA=1 git -C "$WORK/seed" push -q origin main || fail "traced push"
GIT_TRACE_CURL="$WORK/fetch.curl" GIT_TRACE_CURL_NO_DATA=1 git -C "$WORK/clone-v0" -c protocol.version=0 fetch -q origin \
  || fail "traced fetch"
assert_git_headers "$WORK/fetch.curl" GET "/repos/proto.git/info/refs?service=git-upload-pack" \
  application/x-git-upload-pack-advertisement
assert_git_headers "$WORK/fetch.curl" POST /repos/proto.git/git-upload-pack application/x-git-upload-pack-result
assert_git_headers "$WORK/push.curl" GET "/repos/proto.git/info/refs?service=git-receive-pack" \
  application/x-git-receive-pack-advertisement
assert_git_headers "$WORK/push.curl" POST /repos/proto.git/git-receive-pack application/x-git-receive-pack-result
pass "advertisements and results: content types, Expires/Pragma/Cache-Control no-cache"

#!/usr/bin/env bash
# The git answers' headers come in git http-backend's order (Expires,
# Pragma, Cache-Control, then Content-Type: hdr_nocache before the type), as
# git's t5551 "clone http repository" compares them. The reference is the
# real `git http-backend`, run here as a CGI on the same repository.
source "$(dirname "$0")/lib.sh"

start_server
create_repo hdr
git clone -q "$BASE/repos/hdr.git" "$WORK/w" 2>/dev/null
commit_file "$WORK/w" a.txt "one"
git -C "$WORK/w" push -q origin main
TIP=$(git -C "$WORK/w" rev-parse HEAD)
pkt() { printf '%04x%s' $(( ${#1} + 4 )) "$1"; }
{ pkt "want $TIP"; printf 0000; pkt "done"; } >"$WORK/v0.req"
{ pkt "command=ls-refs"; printf 0001; pkt "peel"; printf 0000; } >"$WORK/v2.req"

# The headers http-backend and git share (the web server adds the rest), in
# order, "Name: value" per line.
shared() { tr -d '\r' | sed '/^$/q' | grep -iE '^(expires|pragma|cache-control|content-type):' || true; }

backend() {  # method path query protocol [body file]
  local body=${5:-/dev/null}
  GIT_PROJECT_ROOT=$DATA/repos GIT_HTTP_EXPORT_ALL=1 REMOTE_USER=tester REQUEST_METHOD=$1 PATH_INFO=$2 QUERY_STRING=$3 \
    GIT_PROTOCOL=$4 CONTENT_TYPE="application/x-git-upload-pack-request" CONTENT_LENGTH=$(stat -c %s "$body") \
    git http-backend <"$body" | shared
}
ours() {  # method path query protocol [body file]
  local args=(-s -D - -o /dev/null -X "$1")
  [ -n "$4" ] && args+=(-H "Git-Protocol: $4")
  [ -n "${5:-}" ] && args+=(-H "Content-Type: application/x-git-upload-pack-request" --data-binary "@$5")
  curl "${args[@]}" "$BASE/repos$2${3:+?$3}" | shared
}

check() {  # label, then the arguments of backend/ours
  local label=$1
  shift
  local want got
  want=$(backend "$@")
  got=$(ours "$@")
  [ -n "$want" ] || fail "$label: git http-backend sent none of the headers"
  assert_eq "$want" "$got" "$label: headers (in order) against git http-backend"
  echo "# $label: $(tr '\n' '|' <<<"$got")"
}
check "upload-pack advertisement" GET /hdr.git/info/refs service=git-upload-pack ""
check "receive-pack advertisement" GET /hdr.git/info/refs service=git-receive-pack ""
check "v2 capabilities" GET /hdr.git/info/refs service=git-upload-pack version=2
check "upload-pack result" POST /hdr.git/git-upload-pack "" "" "$WORK/v0.req"
check "v2 ls-refs result" POST /hdr.git/git-upload-pack "" version=2 "$WORK/v2.req"
pass "info/refs and service answers: Expires, Pragma, Cache-Control, Content-Type as git http-backend sends them"

#!/usr/bin/env bash
# A 60 MB incompressible file pushed with a small postBuffer (chunked request)
# and cloned back byte-identical, while the server's resident memory stays
# under 64 MB; a small push with http.postBuffer=4096 goes chunked too.
source "$(dirname "$0")/lib.sh"
start_server
create_repo big

git clone -q "$BASE/repos/big.git" "$WORK/a"
git -C "$WORK/a" config http.postBuffer 4096
for i in $(seq 1 20); do printf 'line %s\n' "$i" >>"$WORK/a/small.txt"; done
head -c 20000 /dev/urandom >"$WORK/a/noise.bin"
git -C "$WORK/a" add -A && git -C "$WORK/a" commit -q -m small
git -C "$WORK/a" push -q origin main || fail "push with http.postBuffer=4096"
wait_for_log "POST /repos/big.git/git-receive-pack 200 .* chunked" \
  || fail "the small-postBuffer push did not arrive chunked"
pass "push with http.postBuffer=4096 (chunked request body)"

head -c 60000000 /dev/urandom >"$WORK/a/large.bin"
git -C "$WORK/a" add large.bin && git -C "$WORK/a" commit -q -m "60 MB"
git -C "$WORK/a" push -q origin main || fail "push of a 60 MB file"
git clone -q "$BASE/repos/big.git" "$WORK/b" || fail "clone of the 60 MB repo"
cmp "$WORK/a/large.bin" "$WORK/b/large.bin" || fail "the 60 MB file differs after the round trip"
git --git-dir="$DATA/repos/big.git" fsck --strict --no-progress || fail "fsck"
pass "60 MB file pushed and cloned back byte-identical"

peak_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
echo "server peak resident memory: $((peak_kb / 1024)) MB"
if [ "${AGENTGIT_SANITIZED:-0}" = 1 ]; then
  echo "skip: resident memory is not meaningful under AddressSanitizer"
else
  [ "$peak_kb" -lt $((64 * 1024)) ] || fail "server peak RSS ${peak_kb} kB exceeds 64 MB"
  pass "server peak RSS under 64 MB while streaming 60 MB both ways"
fi

#!/usr/bin/env bash
# Identical upload-pack requests share one git process (server/pack_cache):
# a crowd of clones, v2 and v0, runs git upload-pack once (counted by a
# logging `git` wrapper) and every clone is whole; a push changes the key,
# so no one gets a stale answer; an answer is kept within its budget; a
# client that leaves mid-answer costs the others nothing, and when every
# client has left, git is stopped. With pack_cache_bytes = 0 every request
# runs git, as before.
source "$(dirname "$0")/lib.sh"

REAL_GIT=$(command -v git)
FAKEBIN=$WORK/fakebin
CALLS=$WORK/git-calls.log
mkdir -p "$FAKEBIN"
: >"$CALLS"
cat >"$FAKEBIN/git" <<EOF
#!/bin/sh
echo "\$*" >>"$CALLS"
exec "$REAL_GIT" "\$@"
EOF
chmod +x "$FAKEBIN/git"

# upload-pack runs that answered a POST (not the GET advertisement).
fetch_runs() { grep 'upload-pack --strict' "$CALLS" | grep -vc -- '--http-backend-info-refs' || true; }
metric() { curl -s "$BASE/metrics" | sed -n "s/^$1 //p"; }
served_as() {  # RESULT: how many requests were served so (0 when none)
  local n
  n=$(metric "agentgit_pack_cache_requests_total{result=\"$1\"}")
  echo "${n:-0}"
}

wrapped_server() {
  local saved=$PATH
  export PATH="$FAKEBIN:$saved"
  start_server "$@"
  export PATH=$saved
}

# random_repo NAME FILES BYTES: repo NAME with FILES files of BYTES random
# bytes each (base64: incompressible), pushed from the clone $WORK/NAME.
random_repo() {
  local i
  create_repo "$1"
  git clone -q "$BASE/repos/$1.git" "$WORK/$1" 2>/dev/null
  for i in $(seq 1 "$2"); do head -c "$3" /dev/urandom | base64 -w 0 >"$WORK/$1/f$i"; done
  git -C "$WORK/$1" add -A
  git -C "$WORK/$1" commit -q -m "$1"
  git -C "$WORK/$1" push -q origin main
}

wrapped_server
# ~6 MB: an answer big enough to take a while.
random_repo crowd 120 36000
TIP=$(git -C "$WORK/crowd" rev-parse HEAD)

# ---- a crowd of 12 v2 clones: one git upload-pack for their fetches -------
: >"$CALLS"
pids=()
for i in $(seq 1 12); do
  git -c protocol.version=2 clone -q "$BASE/repos/crowd.git" "$WORK/v2-$i" 2>"$WORK/v2-$i.err" &
  pids+=($!)
done
for i in $(seq 1 12); do
  wait "${pids[$((i - 1))]}" || fail "clone $i failed: $(cat "$WORK/v2-$i.err")"
  assert_eq "$TIP" "$(git -C "$WORK/v2-$i" rev-parse HEAD)" "clone $i's HEAD"
done
git -C "$WORK/v2-7" fsck --strict --no-dangling 2>&1 || fail "clone 7 is not whole"
[ "$(ls "$WORK/v2-12" | wc -l)" = 120 ] || fail "clone 12 lacks files"
assert_eq 1 "$(fetch_runs)" "git upload-pack runs for 12 identical clones"
shared=$(( $(served_as joined) + $(served_as kept) ))
assert_eq 1 "$(served_as made)" "answers made"
assert_eq 11 "$shared" "answers shared (joined while made, or kept)"
[ "$(metric agentgit_pack_cache_entries)" = 1 ] || fail "the answer is not kept"
[ "$(metric agentgit_pack_cache_bytes)" -gt 4000000 ] || fail "kept bytes: $(metric agentgit_pack_cache_bytes)"
pass "12 concurrent v2 clones: one git upload-pack, every clone whole, the answer kept"

# ---- v0: the same for its POST (its GET advertisement runs git each time) -
: >"$CALLS"
pids=()
for i in 1 2 3 4; do
  git -c protocol.version=0 clone -q "$BASE/repos/crowd.git" "$WORK/v0-$i" 2>"$WORK/v0-$i.err" &
  pids+=($!)
done
for i in 1 2 3 4; do
  wait "${pids[$((i - 1))]}" || fail "v0 clone $i failed: $(cat "$WORK/v0-$i.err")"
  assert_eq "$TIP" "$(git -C "$WORK/v0-$i" rev-parse HEAD)" "v0 clone $i's HEAD"
done
git -C "$WORK/v0-2" fsck --strict --no-dangling 2>&1 || fail "v0 clone 2 is not whole"
assert_eq 1 "$(fetch_runs)" "git upload-pack runs for 4 identical v0 clones"
pass "4 concurrent v0 clones: one git upload-pack for their fetches"

# ---- a push changes the refs: the next clone is answered afresh -----------
echo more >"$WORK/crowd/new.txt"
git -C "$WORK/crowd" add new.txt
git -C "$WORK/crowd" commit -q -m "after the crowd"
git -C "$WORK/crowd" push -q origin main
TIP2=$(git -C "$WORK/crowd" rev-parse HEAD)
: >"$CALLS"
git -c protocol.version=2 clone -q "$BASE/repos/crowd.git" "$WORK/after"
assert_eq "$TIP2" "$(git -C "$WORK/after" rev-parse HEAD)" "a clone after the push"
assert_eq 1 "$(fetch_runs)" "git ran for the clone after the push"
# An incremental fetch (with haves) from two identical clones: right, and shared.
git -C "$WORK/v2-1" fetch -q origin
git -C "$WORK/v2-2" fetch -q origin
assert_eq "$TIP2" "$(git -C "$WORK/v2-1" rev-parse origin/main)" "fetch after the push"
assert_eq "$TIP2" "$(git -C "$WORK/v2-2" rev-parse origin/main)" "the second identical fetch"
assert_eq 2 "$(fetch_runs)" "git runs for the clone and two identical fetches"
pass "a push changes the answer's key: no stale answer; identical fetches share too"

# ---- clients that leave -----------------------------------------------------
# A v2 fetch request as curl can send it (the same bytes each time).
pkt() { printf '%04x%s' $(( ${#1} + 5 )) "$1"; printf '\n'; }
fetch_body() {  # FILE WANT [extra argument]
  { pkt command=fetch; pkt object-format=sha1; printf 0001; pkt ofs-delta
    [ -z "${3:-}" ] || pkt "$3"
    pkt "want $2"; pkt done; printf 0000; } >"$1"
}
post_fetch() {  # BODY OUT [curl args...]
  local body=$1 out=$2
  shift 2
  curl -s -o "$out" -X POST -H 'Git-Protocol: version=2' -H 'Content-Type: application/x-git-upload-pack-request' \
    --data-binary "@$body" "$@" "$BASE/repos/crowd.git/git-upload-pack"
}
fetch_body "$WORK/body-a" "$TIP2" thin-pack
# A slow reader that goes away, and a reader of the same answer that stays.
# (curl itself in the background, not a function running it: killing a
# subshell would leave curl holding the test's output open.)
curl -s -o "$WORK/slow.out" -X POST -H 'Git-Protocol: version=2' -H 'Content-Type: application/x-git-upload-pack-request' \
  --data-binary "@$WORK/body-a" --limit-rate 20k "$BASE/repos/crowd.git/git-upload-pack" &
slow=$!
sleep 0.5
post_fetch "$WORK/body-a" "$WORK/fast.out" || fail "the second reader's fetch failed"
kill "$slow" 2>/dev/null || true
wait "$slow" 2>/dev/null || true
size=$(stat -c %s "$WORK/fast.out")
[ "$size" -gt 4000000 ] || fail "the reader that stayed got $size bytes"
assert_eq 0000 "$(tail -c 4 "$WORK/fast.out")" "the answer's end"
grep -aq packfile "$WORK/fast.out" || fail "no packfile section"
pass "a reader that leaves mid-answer costs the reader that stays nothing"

# Every reader gone while git is still ahead: git is stopped, nothing
# kept. The answer must be larger than what the socket buffers take in
# (several MB on loopback) plus git's lead over its reader.
random_repo big 24 750000
fetch_body "$WORK/body-b" "$(git -C "$WORK/big" rev-parse HEAD)"
curl -s -o "$WORK/gone.out" -X POST -H 'Git-Protocol: version=2' -H 'Content-Type: application/x-git-upload-pack-request' \
  --data-binary "@$WORK/body-b" --limit-rate 10k "$BASE/repos/big.git/git-upload-pack" &
gone=$!
# Unpaced, git would be done with 24 MB well within this.
sleep 3
[ -n "$(children_in_data)" ] || fail "git is not paced by its only, slow reader"
kill "$gone" 2>/dev/null || true
wait "$gone" 2>/dev/null || true
wait_no_children 5
assert_alive
pass "git is paced by its readers and stopped once every one has left"
[ -z "$(ls -A "$DATA/tmp")" ] || fail "files left in DATA/tmp: $(ls -A "$DATA/tmp")"
stop_server

# ---- a budget too small to keep anything, and the cache turned off --------
printf '[limits]\npack_cache_bytes = "1KiB"\n' >"$WORK/small.toml"
wrapped_server --config "$WORK/small.toml"
git -c protocol.version=2 clone -q "$BASE/repos/crowd.git" "$WORK/small-1"
: >"$CALLS"
git -c protocol.version=2 clone -q "$BASE/repos/crowd.git" "$WORK/small-2"
assert_eq 1 "$(fetch_runs)" "an answer over the budget is not kept"
assert_eq 0 "$(metric agentgit_pack_cache_entries)" "answers kept over the budget"
stop_server
printf '[limits]\npack_cache_bytes = 0\n' >"$WORK/off.toml"
wrapped_server --config "$WORK/off.toml"
: >"$CALLS"
pids=()
for i in 1 2 3; do
  git -c protocol.version=2 clone -q "$BASE/repos/crowd.git" "$WORK/off-$i" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a clone failed with the cache off"; done
assert_eq 3 "$(fetch_runs)" "git runs with the cache off"
assert_eq 0 "$(served_as made)" "answers made with the cache off"
pass "pack_cache_bytes: over the budget nothing is kept; 0 turns sharing off"

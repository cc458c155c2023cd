#!/usr/bin/env bash
# 16 concurrent clones; 8 racing pushes to one branch: the final tip is a
# push git reported as accepted, every rejected pusher is told so, and the
# repository stays consistent; 24 clones through 2 git processes all
# succeed, waiting their turn.
source "$(dirname "$0")/lib.sh"
start_server
create_repo busy
url="$BASE/repos/busy.git"

git clone -q "$url" "$WORK/seed"
for i in $(seq 1 20); do head -c 50000 /dev/urandom >"$WORK/seed/f$i.bin"; done
git -C "$WORK/seed" add -A && git -C "$WORK/seed" commit -q -m "payload"
git -C "$WORK/seed" push -q origin main
tip=$(git -C "$WORK/seed" rev-parse HEAD)

pids=()
for i in $(seq 1 16); do
  (git clone -q "$url" "$WORK/c$i" && [ "$(git -C "$WORK/c$i" rev-parse HEAD)" = "$tip" ]) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "one of 16 concurrent clones failed"; done
pass "16 concurrent clones"

for i in $(seq 1 8); do
  commit_file "$WORK/c$i" "racer$i.txt" "racer $i"
done
pids=()
for i in $(seq 1 8); do
  (set +e; git -C "$WORK/c$i" push origin main >"$WORK/push$i.out" 2>"$WORK/push$i.err"; echo $? >"$WORK/push$i.rc") &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

final=$(git ls-remote "$url" refs/heads/main | cut -f1)
accepted=0
final_was_accepted=no
for i in $(seq 1 8); do
  mine=$(git -C "$WORK/c$i" rev-parse HEAD)
  if [ "$(cat "$WORK/push$i.rc")" = 0 ]; then
    accepted=$((accepted + 1))
    [ "$mine" = "$final" ] && final_was_accepted=yes
    ! grep -q 'rejected\]' "$WORK/push$i.err" || fail "racer $i exited 0 but printed a rejection: $(cat "$WORK/push$i.err")"
  else
    # A ref-level verdict for main, not just "failed to push" (which git
    # also prints when the HTTP exchange itself broke): "! [rejected]"
    # (its advertisement already showed another racer's tip) or
    # "! [remote rejected]" (receive-pack lost the compare-and-swap).
    grep -qE '^ ! \[(remote )?rejected\] +main -> main \(.+\)$' \
      "$WORK/push$i.err" || fail "racer $i failed without a rejection of main: $(cat "$WORK/push$i.err")"
    [ "$mine" != "$final" ] || fail "racer $i was told it failed, but its commit is the tip"
  fi
done
[ "$accepted" -ge 1 ] || fail "no racing push was accepted"
assert_eq yes "$final_was_accepted" "the final tip is an accepted push"
git --git-dir="$DATA/repos/busy.git" fsck --strict --no-progress --no-dangling || fail "fsck after racing pushes"
echo "accepted $accepted of 8 racing pushes; rejections:"
cat "$WORK"/push*.err | grep -E '^ ! \[' | sed 's/^/#   /' | sort | uniq -c || true
pass "8 racing pushes"
wait_no_children 5

# Past max_git_children, clones wait for a git process instead of failing:
# 24 at once through a budget of 2 all succeed (git never retries a 503).
stop_server
# Identical requests would share one git (pack_cache_test.sh covers that);
# here each request must hold a git child of its own.
printf '[limits]\nmax_git_children = 2\npack_cache_bytes = 0\n' >"$WORK/two.toml"
start_server --config "$WORK/two.toml"
url="$BASE/repos/busy.git"
pids=()
for i in $(seq 1 24); do
  (git clone -q "$url" "$WORK/q$i" 2>"$WORK/q$i.err" && [ "$(git -C "$WORK/q$i" rev-parse HEAD)" = "$final" ]) &
  pids+=($!)
done
peak=0
while :; do
  w=$(curl -s "$BASE/healthz" | json_get git_waiting)
  [ "${w:-0}" -gt "$peak" ] && peak=$w
  running=0
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
  [ $running = 1 ] || break
  sleep 0.05
done
failed=0
for i in "${!pids[@]}"; do wait "${pids[$i]}" || { failed=$((failed + 1)); cat "$WORK/q$((i + 1)).err" >&2; }; done
assert_eq 0 "$failed" "clones that failed of 24 through 2 git processes"
[ "$peak" -gt 0 ] || fail "no request was seen waiting (/healthz git_waiting) with 24 clones and 2 git processes"
pass "24 concurrent clones through max_git_children = 2: all succeed, up to $peak waiting at once"
wait_no_children 5

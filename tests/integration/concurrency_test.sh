#!/usr/bin/env bash
# 16 concurrent clones; 8 racing pushes to one branch: the final tip is a
# push git reported as accepted, every rejected pusher is told so, and the
# repository stays consistent.
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

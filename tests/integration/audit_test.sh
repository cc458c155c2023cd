#!/usr/bin/env bash
# Every push and checkpoint is written to DATA/audit.log as a JSON line:
# time, user, repo, ref, old -> new (and the call id of a checkpoint).
# A repo's own hooks never run.
source "$(dirname "$0")/lib.sh"
start_server
create_repo audited
zero=0000000000000000000000000000000000000000

git clone -q "$BASE/repos/audited.git" "$WORK/a"
commit_file "$WORK/a" a.txt "one"
git -C "$WORK/a" push -q origin main
one=$(git -C "$WORK/a" rev-parse HEAD)
commit_file "$WORK/a" b.txt "two"
git -C "$WORK/a" push -q origin main main:refs/heads/side
two=$(git -C "$WORK/a" rev-parse HEAD)
git -C "$WORK/a" push -q origin --delete side

line() {  # the audit lines matching a jq-less python filter
  /usr/bin/python3 - "$DATA/audit.log" "$@" <<'PY'
import json, sys
path, via, ref, old, new = sys.argv[1:6]
n = 0
for raw in open(path):
    e = json.loads(raw)
    if (e["via"], e["ref"], e["old"], e["new"]) == (via, ref, old, new):
        assert e["repo"] == "audited" or e["via"] != "push", e
        assert e["user"] == "anonymous" and e["time"].endswith("Z"), e
        if len(sys.argv) > 6:
            assert e.get("call_id") == sys.argv[6], e
        n += 1
print(n)
PY
}
assert_eq 1 "$(line push refs/heads/main $zero "$one")" "audit line for the first push"
assert_eq 1 "$(line push refs/heads/main "$one" "$two")" "audit line for the second push"
assert_eq 1 "$(line push refs/heads/side $zero "$two")" "audit line for the new branch"
assert_eq 1 "$(line push refs/heads/side "$two" $zero)" "audit line for the deletion"
pass "pushes are audited (old -> new per ref)"

s=$(api POST /api/v1/sessions '{"task":"audit me","name":"agent-audit"}')
id=$(echo "$s" | json_get id)
head0=$(echo "$s" | json_get head)
echo hi >"$(echo "$s" | json_get workdir)/x.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"x","call_id":"call-42"}')
c1=$(echo "$r" | json_get commit)
n=$(/usr/bin/python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if (lambda e: e["via"] == "checkpoint" and e["repo"] == "agent-audit"
      and e["old"] == sys.argv[2] and e["new"] == sys.argv[3] and e.get("call_id") == "call-42")(json.loads(l))))' \
  "$DATA/audit.log" "$head0" "$c1")
assert_eq 1 "$n" "audit line for the checkpoint"
pass "checkpoints are audited with their call id"
assert_eq 0 "$(curl -s "$BASE/metrics" | sed -n 's/^agentgit_audit_write_failures_total //p')" "audit failures so far"

# An audit log that cannot be written: the change is still made, and the
# failure is counted in /metrics (a directory in its place refuses even root).
mv "$DATA/audit.log" "$WORK/audit.kept"
mkdir "$DATA/audit.log"
echo more >"$(echo "$s" | json_get workdir)/x.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"unaudited","call_id":"call-43"}')
assert_eq committed "$(echo "$r" | json_get result)" "a checkpoint while the audit log cannot be written"
assert_eq 1 "$(curl -s "$BASE/metrics" | sed -n 's/^agentgit_audit_write_failures_total //p')" "audit failures counted"
rmdir "$DATA/audit.log"
mv "$WORK/audit.kept" "$DATA/audit.log"
pass "an audit line that cannot be written is counted in /metrics; the checkpoint is made"

# A hook planted in a served repo does not run: only the server's own does.
printf '#!/bin/sh\ntouch "%s/pwned"\n' "$WORK" >"$DATA/repos/audited.git/hooks/post-receive"
chmod +x "$DATA/repos/audited.git/hooks/post-receive"
commit_file "$WORK/a" c.txt "three"
git -C "$WORK/a" push -q origin main
[ ! -e "$WORK/pwned" ] || fail "a repo's own hook ran"
pass "repo hooks never run"

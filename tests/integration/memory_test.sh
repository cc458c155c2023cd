#!/usr/bin/env bash
# Bounded memory: the server's peak resident memory stays within 64 MiB +
# 1 MiB per open connection while it
# - checkpoints a 256 MiB text file under `* text ident` (stored as it is,
#   with a problem saying so: filters need the file whole),
# - serves that file from the files API (streamed),
# - diffs the commit that added it ("Binary files … differ", as git does
#   past its size limit) and a commit whose patch is over the 4 MiB cap
#   (truncated),
# - checks out a pushed 256 MiB file into the work tree (a sync),
# - answers 8 parallel session lists of 60 sessions with 64 KiB tasks.
source "$(dirname "$0")/lib.sh"
start_server

peak_kb() { awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status"; }
# within_budget CONNECTIONS WHAT: the peak so far is at most 64 MiB + 1 MiB
# per connection (not meaningful under AddressSanitizer: reported only).
within_budget() {
  local kb limit
  kb=$(peak_kb)
  limit=$(( (64 + $1) * 1024 ))
  echo "server peak resident memory after $2: $((kb / 1024)) MiB (budget $((limit / 1024)) MiB)"
  if [ "${AGENTGIT_SANITIZED:-0}" != 1 ]; then
    [ "$kb" -le "$limit" ] || fail "$2: peak RSS ${kb} kB is over ${limit} kB"
  fi
}
within_budget 0 "start-up"

big=$((256 * 1024 * 1024))
s=$(api POST /api/v1/sessions '{"task":"large files","name":"large"}')
id=$(echo "$s" | json_get id)
wd=$(echo "$s" | json_get workdir)
url=$(echo "$s" | json_get clone_url)
repo="$DATA/repos/large.git"

# ---- a checkpoint of a large file under text and ident filters
printf '* text ident\n' >"$wd/.gitattributes"
printf 'small $Id$ file\r\n' >"$wd/small.txt"
head -c "$big" < <(yes 'a line of text the agent wrote, over and over') >"$wd/big.txt"
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"big.txt"}')
assert_eq committed "$(echo "$r" | json_get result)" "checkpoint of a 256 MiB file"
head=$(echo "$r" | json_get commit)
grep -qF "big.txt: larger than 8 MiB: stored as it is" <<<"$(echo "$r" | json_get problems)" \
  || fail "the unfiltered large file is not reported: $r"
assert_eq "$big" "$(git --git-dir="$repo" cat-file -s "$head:big.txt")" "size of the committed big.txt"
# The small file still went through both filters, as git add would.
assert_eq "$(printf 'small $Id$ file\n')" "$(git --git-dir="$repo" cat-file -p "$head:small.txt")" \
  "small.txt under text and ident"
within_budget 1 "a checkpoint of a 256 MiB file under * text ident"

# ---- the files API streams a download
code=$(curl -s -o "$WORK/download" -w '%{http_code}' "$BASE/api/v1/sessions/$id/files/big.txt")
assert_eq 200 "$code" "GET files/big.txt"
cmp -s "$WORK/download" "$wd/big.txt" || fail "the downloaded big.txt differs"
rm -f "$WORK/download"
within_budget 1 "GET files/big.txt (256 MiB)"

# ---- diffs: a file past the per-file limit is binary; a long patch is cut
curl -s "$BASE/api/v1/sessions/$id/diff" >"$WORK/diff.json"
python3 - "$WORK/diff.json" <<'PY' || fail "diff of the 256 MiB commit: $(head -c 600 "$WORK/diff.json")"
import json, sys
d = json.load(open(sys.argv[1]))
p = d["patch"]
assert "Binary files /dev/null and b/big.txt differ" in p, p[:500]
assert "+small $Id$ file" in p, p[:500]
assert d["truncated"] is False
assert len(p) < 100000
PY
within_budget 1 "GET diff of a commit adding a 256 MiB text file"

for i in $(seq 1 50); do
  head -c 100000 < <(yes "line $i of a file that makes the patch long") >"$wd/many-$i.txt"
done
r=$(api POST "/api/v1/sessions/$id/checkpoint" '{"tool":"Write","summary":"50 files of 100 kB"}')
curl -s "$BASE/api/v1/sessions/$id/diff" >"$WORK/diff.json"
python3 - "$WORK/diff.json" <<'PY' || fail "a patch over 4 MiB: $(head -c 300 "$WORK/diff.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["truncated"] is True
assert 4000000 < len(d["patch"].encode()) <= 4 * 1024 * 1024, len(d["patch"])
assert d["patch"].endswith("\n")
PY
pass "diffs: a file over 1 MiB is binary; a patch over 4 MiB is truncated and says so"

# ---- a sync checks out a pushed 256 MiB file
git clone -q "$url" "$WORK/person"
head -c "$big" < <(yes 'a line a person pushed, over and over') >"$WORK/person/pushed.txt"
git -C "$WORK/person" add pushed.txt
git -C "$WORK/person" commit -q -m "a large file"
git -C "$WORK/person" push -q origin main || fail "push of a 256 MiB file"
r=$(api POST "/api/v1/sessions/$id/sync")
grep -q pushed.txt <<<"$(echo "$r" | json_get incoming)" || fail "sync did not bring pushed.txt: $r"
cmp -s "$WORK/person/pushed.txt" "$wd/pushed.txt" || fail "the checked-out pushed.txt differs"
rm -rf "$WORK/person"
within_budget 1 "a sync checking out a pushed 256 MiB file"

# ---- lists of sessions with long tasks
task=$(python3 -c 'print("t" * 65536)')
for i in $(seq 1 60); do
  api POST /api/v1/sessions "{\"task\":\"$task\",\"name\":\"list-$i\"}" >/dev/null
done
listers=()
for w in $(seq 1 8); do
  (for _ in 1 2 3 4 5; do curl -s -o "$WORK/list-$w.json" "$BASE/api/v1/sessions" || exit 1; done) &
  listers+=($!)
done
for p in "${listers[@]}"; do wait "$p" || fail "a session list failed"; done
python3 - "$WORK/list-1.json" <<'PY' || fail "the session list"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["sessions"]) == 61, len(d["sessions"])
assert all(len(s["task"].encode()) <= 203 and s.get("task_truncated") for s in d["sessions"] if s["repo"] != "large"), [len(s["task"]) for s in d["sessions"]]
PY
within_budget 8 "8 parallel lists of 61 sessions with 64 KiB tasks"
pass "peak resident memory within 64 MiB + 1 MiB per connection in every case"

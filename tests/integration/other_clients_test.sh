#!/usr/bin/env bash
# Git implementations other than git itself: dulwich (pure Python) and a
# libgit2-based client clone what real git pushed, push commits of their
# own, and real git clones those back and checks them (content, fsck).
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3   # the system python, where python3-dulwich lives
LIBGIT2_CLIENT=${LIBGIT2_CLIENT:-${AGENTGIT_BUILD_DIR:-}/tests/agentgit_libgit2_client}
"$PY" -c 'import dulwich' 2>/dev/null || fail "python3-dulwich is not installed (scripts/setup installs it)"
[ -x "$LIBGIT2_CLIENT" ] || fail "LIBGIT2_CLIENT does not point at the libgit2 client: '$LIBGIT2_CLIENT'"

start_server

server_fsck() {  # repo
  git --git-dir="$DATA/repos/$1.git" fsck --strict --no-progress 2>&1 || fail "server-side fsck of $1"
}

# ---- dulwich -------------------------------------------------------------
dulwich() {  # python statements; `porcelain`, `url`, `d` (a directory) and `sys` are in scope
  "$PY" - "$@" <<EOF
import sys, os
from dulwich import porcelain
from dulwich.repo import Repo
url = "$BASE/repos/dul.git"
$DULWICH_SCRIPT
EOF
}

create_repo dul
git clone -q "$BASE/repos/dul.git" "$WORK/g1" 2>/dev/null
commit_file "$WORK/g1" README.md "written by git"
commit_file "$WORK/g1" src/data.bin "$(printf 'bin\001\002\377 and\r\nCRLF')"
git -C "$WORK/g1" push -q origin main || fail "git push"
GIT_TIP=$(git -C "$WORK/g1" rev-parse HEAD)

DULWICH_SCRIPT='
d = sys.argv[1]
porcelain.clone(url, d, checkout=True, errstream=open(os.devnull, "wb"))
r = Repo(d)
print(r.head().decode())
print(open(os.path.join(d, "README.md")).read())
' dulwich "$WORK/d1" >"$WORK/dul.out" || fail "dulwich clone"
assert_eq "$GIT_TIP" "$(sed -n 1p "$WORK/dul.out")" "dulwich cloned tip"
assert_eq "written by git" "$(sed -n 2p "$WORK/dul.out")" "dulwich cloned content"
cmp -s "$WORK/g1/src/data.bin" "$WORK/d1/src/data.bin" || fail "dulwich clone: binary file differs"
pass "dulwich clones what git pushed"

DULWICH_SCRIPT='
d = sys.argv[1]
os.makedirs(os.path.join(d, "dul"), exist_ok=True)
with open(os.path.join(d, "dul", "note.txt"), "w") as f:
    f.write("written by dulwich\n")
porcelain.add(d, paths=[os.path.join(d, "dul", "note.txt")])
c = porcelain.commit(d, message=b"dulwich commit", author=b"Dul Wich <dul@example.com>",
                     committer=b"Dul Wich <dul@example.com>")
porcelain.push(d, url, "refs/heads/main", errstream=open(os.devnull, "wb"))
print(c.decode())
' dulwich "$WORK/d1" >"$WORK/dul.push" || fail "dulwich push"
DUL_TIP=$(tail -n 1 "$WORK/dul.push")
assert_eq "$DUL_TIP" "$(git ls-remote "$BASE/repos/dul.git" refs/heads/main | cut -f1)" "server main after dulwich push"
git clone -q "$BASE/repos/dul.git" "$WORK/g2" || fail "git clone of dulwich's push"
assert_eq "$DUL_TIP" "$(git -C "$WORK/g2" rev-parse HEAD)" "git sees dulwich's commit"
assert_eq "$GIT_TIP" "$(git -C "$WORK/g2" rev-parse HEAD~1)" "dulwich's commit's parent"
assert_eq "written by dulwich" "$(cat "$WORK/g2/dul/note.txt")" "dulwich's file"
assert_eq "dulwich commit" "$(git -C "$WORK/g2" log -1 --format=%s)" "dulwich's message"
assert_eq "Dul Wich" "$(git -C "$WORK/g2" log -1 --format=%an)" "dulwich's author"
cmp -s "$WORK/g1/src/data.bin" "$WORK/g2/src/data.bin" || fail "binary file changed"
git -C "$WORK/g2" fsck --strict --no-progress || fail "fsck of git's clone"
server_fsck dul
pass "dulwich pushes, git clones it back"

# git moves on; dulwich fetches incrementally (a negotiation with haves),
# and a stale dulwich push is refused rather than losing git's commit.
commit_file "$WORK/g2" README.md "git again"
git -C "$WORK/g2" push -q origin main || fail "git push on top of dulwich"
GIT_TIP2=$(git -C "$WORK/g2" rev-parse HEAD)
DULWICH_SCRIPT='
d = sys.argv[1]
res = porcelain.fetch(d, url, errstream=open(os.devnull, "wb"))
refs = getattr(res, "refs", res)
print(refs[b"refs/heads/main"].decode())
r = Repo(d)
print(r[refs[b"refs/heads/main"]].message.decode().strip())
' dulwich "$WORK/d1" >"$WORK/dul.fetch" || fail "dulwich fetch"
assert_eq "$GIT_TIP2" "$(sed -n 1p "$WORK/dul.fetch")" "dulwich fetched tip"
assert_eq "write README.md" "$(sed -n 2p "$WORK/dul.fetch")" "dulwich has the fetched commit"

DULWICH_SCRIPT='
d = sys.argv[1]
with open(os.path.join(d, "stale.txt"), "w") as f:
    f.write("stale\n")
porcelain.add(d, paths=[os.path.join(d, "stale.txt")])
porcelain.commit(d, message=b"stale", author=b"D <d@example.com>", committer=b"D <d@example.com>")
try:
    porcelain.push(d, url, "refs/heads/main", errstream=open(os.devnull, "wb"))
except Exception as e:
    print("refused:", type(e).__name__, e)
    sys.exit(0)
print("accepted")
' dulwich "$WORK/d1" >"$WORK/dul.stale" || fail "dulwich stale push script"
grep -q '^refused' "$WORK/dul.stale" || fail "a non-fast-forward dulwich push was not refused: $(cat "$WORK/dul.stale")"
assert_eq "$GIT_TIP2" "$(git ls-remote "$BASE/repos/dul.git" refs/heads/main | cut -f1)" "main after stale dulwich push"
server_fsck dul
pass "dulwich fetches incrementally; a stale dulwich push does not overwrite git's commit"

# ---- libgit2 -------------------------------------------------------------
create_repo lg
commit_file "$WORK/g1" lg.txt "for libgit2"
git -C "$WORK/g1" push -q "$BASE/repos/lg.git" main || fail "git push to lg"
LG_BASE=$(git -C "$WORK/g1" rev-parse HEAD)

"$LIBGIT2_CLIENT" clone "$BASE/repos/lg.git" "$WORK/l1" >"$WORK/lg.out" || fail "libgit2 clone"
assert_eq "cloned $LG_BASE" "$(cat "$WORK/lg.out")" "libgit2 cloned tip"
assert_eq "for libgit2" "$(cat "$WORK/l1/lg.txt")" "libgit2 cloned content"
cmp -s "$WORK/g1/src/data.bin" "$WORK/l1/src/data.bin" || fail "libgit2 clone: binary file differs"
pass "libgit2 clones what git pushed"

"$LIBGIT2_CLIENT" commit "$WORK/l1" from-libgit2.txt "written by libgit2" "libgit2 commit" >"$WORK/lg.commit" \
  || fail "libgit2 commit"
LG_TIP=$(sed -n 's/^committed //p' "$WORK/lg.commit")
"$LIBGIT2_CLIENT" push "$WORK/l1" refs/heads/main:refs/heads/main >"$WORK/lg.push" 2>&1 \
  || fail "libgit2 push: $(cat "$WORK/lg.push")"
grep -q "pushed refs/heads/main" "$WORK/lg.push" || fail "libgit2 push did not report main: $(cat "$WORK/lg.push")"
# A second branch, created by the push.
"$LIBGIT2_CLIENT" push "$WORK/l1" refs/heads/main:refs/heads/from-libgit2 >"$WORK/lg.push2" 2>&1 \
  || fail "libgit2 push of a new branch: $(cat "$WORK/lg.push2")"
git clone -q "$BASE/repos/lg.git" "$WORK/g3" || fail "git clone of libgit2's push"
assert_eq "$LG_TIP" "$(git -C "$WORK/g3" rev-parse HEAD)" "git sees libgit2's commit"
assert_eq "$LG_BASE" "$(git -C "$WORK/g3" rev-parse HEAD~1)" "libgit2's commit's parent"
assert_eq "$LG_TIP" "$(git -C "$WORK/g3" rev-parse origin/from-libgit2)" "branch created by libgit2"
assert_eq "written by libgit2" "$(cat "$WORK/g3/from-libgit2.txt")" "libgit2's file"
assert_eq "libgit2 commit" "$(git -C "$WORK/g3" log -1 --format=%s)" "libgit2's message"
git -C "$WORK/g3" fsck --strict --no-progress || fail "fsck of git's clone"
server_fsck lg
pass "libgit2 pushes, git clones it back"

# git moves on; libgit2's stale push must be refused.
commit_file "$WORK/g3" README.md "git moved on"
git -C "$WORK/g3" push -q origin main || fail "git push on top of libgit2"
GIT_TIP3=$(git -C "$WORK/g3" rev-parse HEAD)
"$LIBGIT2_CLIENT" commit "$WORK/l1" stale.txt "stale" "stale libgit2 commit" >/dev/null || fail "libgit2 commit 2"
if "$LIBGIT2_CLIENT" push "$WORK/l1" refs/heads/main:refs/heads/main >"$WORK/lg.stale" 2>&1; then
  fail "a non-fast-forward libgit2 push was accepted: $(cat "$WORK/lg.stale")"
fi
assert_eq "$GIT_TIP3" "$(git ls-remote "$BASE/repos/lg.git" refs/heads/main | cut -f1)" "main after stale libgit2 push"

# libgit2 into an empty repository: the first push creates main.
create_repo lg-empty
"$LIBGIT2_CLIENT" clone "$BASE/repos/lg-empty.git" "$WORK/l2" >"$WORK/lg.empty" || fail "libgit2 clone of an empty repo"
"$LIBGIT2_CLIENT" commit "$WORK/l2" first.txt "first" "first from libgit2" >"$WORK/lg.first" || fail "libgit2 first commit"
FIRST=$(sed -n 's/^committed //p' "$WORK/lg.first")
"$LIBGIT2_CLIENT" push "$WORK/l2" refs/heads/main:refs/heads/main >"$WORK/lg.push3" 2>&1 \
  || fail "libgit2 first push: $(cat "$WORK/lg.push3")"
git clone -q "$BASE/repos/lg-empty.git" "$WORK/g4" || fail "git clone of libgit2's first push"
assert_eq "$FIRST" "$(git -C "$WORK/g4" rev-parse HEAD)" "first commit from libgit2"
assert_eq "first" "$(cat "$WORK/g4/first.txt")" "first file from libgit2"
server_fsck lg-empty
wait_no_children 10
pass "libgit2: a stale push does not overwrite git's commit; first push into an empty repo"

#!/usr/bin/env bash
# Binary files (NULs, every byte value) and CRLF text round-trip byte-identical.
source "$(dirname "$0")/lib.sh"
start_server
create_repo bytes

git clone -q "$BASE/repos/bytes.git" "$WORK/a"
git -C "$WORK/a" config core.autocrlf false
head -c 300000 /dev/urandom >"$WORK/a/random.bin"
printf '\x00\x01\x02\xff\xfe\x00\r\n\x00' >"$WORK/a/nuls.bin"
printf 'line one\r\nline two\r\nno newline at end\r' >"$WORK/a/crlf.txt"
printf 'mixed\nendings\r\nhere\n' >"$WORK/a/mixed.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 64)' >"$WORK/a/allbytes.bin"
git -C "$WORK/a" add -A
git -C "$WORK/a" commit -q -m "bytes"
git -C "$WORK/a" push -q origin main || fail "push binary files"

git -c core.autocrlf=false clone -q "$BASE/repos/bytes.git" "$WORK/b" || fail "clone binary files"
for f in random.bin nuls.bin crlf.txt mixed.txt allbytes.bin; do
  cmp "$WORK/a/$f" "$WORK/b/$f" || fail "$f differs after the round trip"
done
pass "binary and CRLF files round-trip byte-identical"

#!/usr/bin/env bash
# A flood of wrong passwords (48 workers from another client address,
# 127.0.0.2) while users who have not failed log in, each for the first
# time (a real scrypt check each, not the verified-password cache): every
# correct login succeeds; the flooder gets 429 with Retry-After, and the log
# names the attempted user and the address of each failure. It used to be
# 503 for everyone once the flood filled the password-check queue.
source "$(dirname "$0")/lib.sh"

USERS=8
CONF=$WORK/flood.toml
: >"$CONF"
for i in $(seq 1 "$USERS"); do
  h=$(printf 'pw-%s\n' "$i" | "$AGENTGIT_BIN" hash-password)
  printf '[[auth.users]]\nname = "good%s"\npassword_hash = "%s"\naccess = { "*" = "read" }\n' "$i" "$h" >>"$CONF"
done
start_server --config "$CONF"

# The flooder: 48 threads bound to 127.0.0.2, wrong passwords for good1 (a
# user who also logs in below) and for a name that does not exist, as fast
# as answers come, until $WORK/stop exists.
/usr/bin/python3 - "$PORT" "$WORK/stop" >"$WORK/flood.out" 2>&1 <<'PY' &
import base64, collections, http.client, os, sys, threading
port, stop = int(sys.argv[1]), sys.argv[2]
counts = collections.Counter()
retry_after = collections.Counter()
lock = threading.Lock()

def worker(n):
    user = "good1" if n % 2 == 0 else "nobody"
    auth = "Basic " + base64.b64encode(("%s:guess-%d" % (user, n)).encode()).decode()
    while not os.path.exists(stop):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.0.2", 0))
            c.request("GET", "/api/v1/repos", headers={"Authorization": auth})
            r = c.getresponse()
            r.read()
            with lock:
                counts[r.status] += 1
                if r.status == 429 and r.getheader("Retry-After", "").isdigit():
                    retry_after["ok"] += 1
            c.close()
        except OSError as e:
            with lock:
                counts["error " + type(e).__name__] += 1

threads = [threading.Thread(target=worker, args=(n,)) for n in range(48)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(" ".join("%s=%d" % kv for kv in sorted((str(k), v) for k, v in counts.items())))
print("retry_after_ok=%d" % retry_after["ok"])
PY
flooder=$!
sleep 1   # the flood is running

# Correct logins from 127.0.0.1, each user's first (uncached) and then a
# second one, one after another while the flood runs.
bad=""
logins=0
started=$(date +%s.%N)
for round in 1 2; do
  for i in $(seq 1 "$USERS"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -u "good$i:pw-$i" "$BASE/api/v1/repos")
    logins=$((logins + 1))
    [ "$code" = 200 ] || bad="$bad good$i(round $round)=$code"
  done
done
secs=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
touch "$WORK/stop"
wait "$flooder" || fail "the flooder failed: $(cat "$WORK/flood.out")"
echo "# flooder: $(tr '\n' ' ' <"$WORK/flood.out")" >&2
[ -z "$bad" ] || fail "correct logins refused during the flood:$bad"
pass "$logins correct logins during a 48-worker wrong-password flood: all 200 (in $secs s)"

n429=$(sed -n 's/.*\b429=\([0-9]*\).*/\1/p' "$WORK/flood.out")
n401=$(sed -n 's/.*\b401=\([0-9]*\).*/\1/p' "$WORK/flood.out")
n503=$(sed -n 's/.*\b503=\([0-9]*\).*/\1/p' "$WORK/flood.out")
[ "${n429:-0}" -gt 0 ] || fail "the flooder never got 429: $(cat "$WORK/flood.out")"
retry_ok=$(sed -n 's/^retry_after_ok=//p' "$WORK/flood.out")
assert_eq "$n429" "$retry_ok" "429 answers with a numeric Retry-After"
# Backoff: of all the guesses, only a few paid a password check.
[ "${n401:-0}" -lt 40 ] || fail "the flooder got ${n401} password checks: $(cat "$WORK/flood.out")"
assert_eq "" "${n503:-}" "503s for the flooder (the queue never filled)"
pass "the flooder: ${n429} x 429 with Retry-After, ${n401:-0} x 401 (password checks spent)"

grep -q 'login failed: user="good1" address=127.0.0.2' "$WORK/server.log" || fail "no log line naming good1 and 127.0.0.2"
grep -q 'login failed: user="nobody" address=127.0.0.2' "$WORK/server.log" || fail "no log line naming nobody and 127.0.0.2"
grep -q 'login refused (backoff' "$WORK/server.log" || fail "no log line for a refused login"
pass "failures are logged with the attempted user name and the client address"

# The flooder's address is still backed off: any password not verified
# before (the server remembers verified ones) gets 429 without a check.
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -u "good2:not-checked" "$BASE/api/v1/repos")
assert_eq 429 "$code" "a password from the backed-off address"
body=$(curl -s -D "$WORK/h429" --interface 127.0.0.2 -u "good3:not-checked" "$BASE/api/v1/repos")
retry=$(tr -d '\r' <"$WORK/h429" | sed -n 's/^[Rr]etry-[Aa]fter: //p')
[ -n "$retry" ] && [ "$retry" -ge 1 ] && [ "$retry" -le 300 ] || fail "Retry-After '$retry'"
[[ $body == *'"code":"LOGIN_THROTTLED"'* ]] || fail "429 body: $body"
# A password verified before still works from there: no check is spent.
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -u "good2:pw-2" "$BASE/api/v1/repos")" \
  "a remembered password from the backed-off address"
pass "a backed-off address gets 429 LOGIN_THROTTLED with Retry-After: $retry"

#!/usr/bin/env bash
# GET /metrics: Prometheus' text exposition format, checked line by line by
# a parser below (names, labels, escapes, HELP/TYPE before samples,
# histogram buckets cumulative up to +Inf = _count); the counts follow what
# clients did (clones, API calls, a 404, a wrong password); who may read
# it: an admin of every repo, or anyone with metrics = "anonymous".
source "$(dirname "$0")/lib.sh"

cat >"$WORK/parse.py" <<'PY'
import re, sys
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(?:\{(%s(?:,%s)*)?\})? (\S+)$" % (NAME, LABEL, LABEL))
text = sys.stdin.read()
assert text.endswith("\n"), "no final newline"
types, helps, samples = {}, {}, []
for n, line in enumerate(text.split("\n")[:-1], 1):
    if line.startswith("# HELP "):
        name = line.split(" ")[2]
        assert re.fullmatch(NAME, name), "line %d: HELP name %r" % (n, name)
        assert name not in helps, "line %d: a second HELP for %s" % (n, name)
        helps[name] = True
        continue
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ")
        assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), "line %d: type %r" % (n, kind)
        assert name not in types, "line %d: a second TYPE for %s" % (n, name)
        assert not any(s[0] == name or s[0].startswith(name + "_") for s in samples if s[0].split("_bucket")[0] == name), \
            "line %d: TYPE after samples of %s" % (n, name)
        types[name] = kind
        continue
    assert not line.startswith("#"), "line %d: a comment that is not HELP or TYPE: %r" % (n, line)
    m = SAMPLE.match(line)
    assert m, "line %d: not a sample: %r" % (n, line)
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    float(value)  # +Inf, NaN and numbers parse
    family = re.sub(r"_(bucket|sum|count)$", "", name) if re.sub(r"_(bucket|sum|count)$", "", name) in types else name
    assert family in types, "line %d: %s has no TYPE before it" % (n, name)
    samples.append((name, labels, float(value), family))
# Histograms: per label set, buckets cumulative, +Inf present and equal to _count.
for fam, kind in types.items():
    if kind != "histogram":
        continue
    series = {}
    for name, labels, value, f in samples:
        if f != fam:
            continue
        key = re.sub(r',?le="[^"]*"', "", labels)
        series.setdefault(key, {"buckets": [], "count": None})
        if name.endswith("_bucket"):
            le = re.search(r'le="([^"]*)"', labels).group(1)
            series[key]["buckets"].append((float(le), value))
        elif name.endswith("_count"):
            series[key]["count"] = value
    for key, s in series.items():
        les = [b[0] for b in s["buckets"]]
        assert les == sorted(les) and les[-1] == float("inf"), "%s{%s}: bucket bounds %r" % (fam, key, les)
        counts = [b[1] for b in s["buckets"]]
        assert counts == sorted(counts), "%s{%s}: buckets not cumulative %r" % (fam, key, counts)
        assert counts[-1] == s["count"], "%s{%s}: +Inf %s != _count %s" % (fam, key, counts[-1], s["count"])
# What the shell asks for: VALUE of NAME{LABELS} (LABELS as written), or 0.
for q in sys.argv[1:]:
    print(next((v for name, labels, v, f in samples if name + "{" + labels + "}" == q or (name == q and not labels)), 0))
PY
value() { /usr/bin/python3 "$WORK/parse.py" "$1" <"$WORK/metrics.txt" | sed 's/\.0$//'; }

start_server
create_repo m
git clone -q "$BASE/repos/m.git" "$WORK/c" 2>/dev/null
commit_file "$WORK/c" a.txt "a"
git -C "$WORK/c" push -q origin main
git clone -q "$BASE/repos/m.git" "$WORK/c2"
curl -s -o /dev/null "$BASE/nothing-here"
sid=$(api POST /api/v1/sessions '{"task":"measured"}' | json_get id)
curl -s -o /dev/null -X PUT --data-binary 'x' "$BASE/api/v1/sessions/$sid/files/x.txt"
api POST "/api/v1/sessions/$sid/checkpoint" '{"tool":"Write","summary":"x","call_id":"c1"}' >/dev/null
api POST "/api/v1/sessions/$sid/checkpoint" '{"tool":"Write","summary":"x","call_id":"c1"}' >/dev/null
api DELETE "/api/v1/sessions/$sid" >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{"tool":"W","summary":"s"}' \
  "$BASE/api/v1/sessions/$sid/checkpoint")
assert_eq 410 "$code" "a checkpoint of an ended session (Gone)"

expect 200 "GET /metrics on a loopback server without users" GET /metrics
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$WORK/headers" || fail "content type: $(cat "$WORK/headers")"
cp "$WORK/body" "$WORK/metrics.txt"
/usr/bin/python3 "$WORK/parse.py" <"$WORK/metrics.txt" || fail "not the exposition format: $(head -c 2000 "$WORK/metrics.txt")"
# Protocol v2: the empty clone POSTs ls-refs; the second ls-refs and fetch.
assert_eq 3 "$(value 'agentgit_http_requests_total{route="git_upload_pack",status="200"}')" "upload-pack POSTs (two clones)"
assert_eq 1 "$(value 'agentgit_http_requests_total{route="git_receive_pack",status="200"}')" "receive-pack POSTs (one push)"
assert_eq 1 "$(value 'agentgit_http_requests_total{route="not_found",status="404"}')" "a 404"
assert_eq 1 "$(value 'agentgit_sessions')" "sessions gauge"
assert_eq 0 "$(value 'agentgit_git_children')" "git children at rest"
[ "$(value 'agentgit_http_request_duration_seconds_count{route="git_info_refs"}')" -ge 3 ] || fail "info/refs durations"
[ "$(value 'agentgit_open_connections')" -ge 1 ] || fail "the scrape's own connection is open"
[ "$(value 'agentgit_http_response_bytes_total{route="git_upload_pack"}')" -gt 200 ] || fail "upload-pack bytes out"
assert_eq 1 "$(value 'agentgit_checkpoints_total{result="committed"}')" "a committed checkpoint"
assert_eq 1 "$(value 'agentgit_checkpoints_total{result="no-op"}')" "a repeated call id"
assert_eq 1 "$(value 'agentgit_checkpoints_total{result="error"}')" "a checkpoint of an ended session"
assert_eq 1 "$(value 'agentgit_checkpoint_duration_seconds_count{result="committed"}')" "checkpoint latency observed"
[ "$(value 'agentgit_http_request_bytes_total{route="git_receive_pack"}')" -gt 200 ] || fail "receive-pack bytes in"
expect 405 "POST /metrics" POST /metrics
pass "/metrics: the exposition format, requests by route and status, durations, bytes, checkpoints, gauges"

# Access: admins of every repo; others 401/403; metrics = "anonymous" opens it.
stop_server
PW=metrics-pw
HASH=$(printf '%s\n' "$PW" | "$AGENTGIT_BIN" hash-password)
cat >"$WORK/users.toml" <<EOC
[[auth.users]]
name = "root"
password_hash = '$HASH'
access = { "*" = "admin" }

[[auth.users]]
name = "dev"
password_hash = '$HASH'
access = { "*" = "write" }
EOC
start_server --config "$WORK/users.toml"
expect 401 "anonymous" GET /metrics
grep -qi '^www-authenticate: Basic' "$WORK/headers" || fail "401 without WWW-Authenticate"
expect 403 "a user who may write but is no admin" GET /metrics -u "dev:$PW"
expect 401 "a wrong password" GET /metrics -u "root:wrong"
expect 200 "an admin of every repo" GET /metrics -u "root:$PW"
cp "$WORK/body" "$WORK/metrics.txt"
assert_eq 1 "$(value 'agentgit_login_failures_total')" "one wrong password counted"
stop_server
printf 'metrics = "anonymous"\n' | cat - "$WORK/users.toml" >"$WORK/open.toml"
start_server --config "$WORK/open.toml"
expect 200 "anyone, with metrics = \"anonymous\"" GET /metrics
expect_bad_config 'metrics = "everyone"' "a bad metrics value" "metrics"
pass "/metrics access: admin of every repo (401 anonymous, 403 others), or anyone with metrics = \"anonymous\""
assert_alive

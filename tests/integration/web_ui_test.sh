#!/usr/bin/env bash
# The web view's server side, over plain HTTP: its files at / and /ui/
# (content types, ETag and 304, a strict Content-Security-Policy, 404 and
# 405), cookie logins (POST /ui/login: HttpOnly, SameSite=Strict; wrong
# passwords get 401 without a Basic challenge, and the login backoff), the
# login's cookie on API calls, the CSRF token every changing request with
# the cookie must carry, the Host/Origin guard still on, logout, and the
# cookie ignored on git routes. The page itself is tested in a browser
# (tests/browser/web_view_test.py).
source "$(dirname "$0")/lib.sh"

header() { tr -d '\r' <"$WORK/headers" | grep -i "^$1:" | head -1 | cut -d' ' -f2-; }

APW='alice web pw'
RPW='reader pw'
AHASH=$(printf '%s\n' "$APW" | "$AGENTGIT_BIN" hash-password)
RHASH=$(printf '%s\n' "$RPW" | "$AGENTGIT_BIN" hash-password)
cat >"$WORK/web.toml" <<TOML
[auth]
anonymous = "none"
[[auth.users]]
name = "alice"
password_hash = '$AHASH'
access = { "*" = "admin" }
[[auth.users]]
name = "reader"
password_hash = '$RHASH'
access = { "*" = "read" }
TOML
start_server --config "$WORK/web.toml"

# ---- the page's files ------------------------------------------------------------
for path in / /ui /ui/; do
  expect 200 "the page at $path" GET "$path"
  assert_eq "text/html; charset=utf-8" "$(header Content-Type)" "$path: content type"
  grep -q '<script src="/ui/app.js"' "$WORK/body" || fail "$path is not the page: $(head -c 300 "$WORK/body")"
done
csp=$(header Content-Security-Policy)
case "$csp" in *"default-src 'none'"*"script-src 'self'"*"frame-ancestors 'none'"*) ;; *) fail "CSP: $csp" ;; esac
assert_eq nosniff "$(header X-Content-Type-Options)" "X-Content-Type-Options"
assert_eq no-cache "$(header Cache-Control)" "Cache-Control"
expect 200 "app.js" GET /ui/app.js
assert_eq "text/javascript; charset=utf-8" "$(header Content-Type)" "app.js: content type"
cmp -s "$WORK/body" "$(dirname "$0")/../../web/app.js" || fail "/ui/app.js is not web/app.js"
etag=$(header ETag)
[[ $etag =~ ^\"[0-9a-f]{32}\"$ ]] || fail "ETag: '$etag'"
rm -f "$WORK/body"
expect 304 "app.js with its ETag" GET /ui/app.js -H "If-None-Match: $etag"
[ ! -s "$WORK/body" ] || fail "a 304 has a body"
assert_eq "" "$(header Content-Length)" "a 304's Content-Length"
assert_eq "$etag" "$(header ETag)" "a 304's ETag"
expect 200 "app.js with another ETag" GET /ui/app.js -H 'If-None-Match: "other"'
expect 200 "app.css" GET /ui/app.css
assert_eq "text/css; charset=utf-8" "$(header Content-Type)" "app.css: content type"
expect 200 "icon.svg" GET /ui/icon.svg
assert_eq "image/svg+xml" "$(header Content-Type)" "icon.svg: content type"
expect 404 "an unknown file" GET /ui/nothing.js
expect 404 "a nested path" GET /ui/a/app.js
expect 404 "a dot segment" GET /ui/%2e%2e/app.js
expect 405 "POST to the page" POST /
[ -n "$(header Allow)" ] || fail "405 without Allow"
CODE=$(curl -s -I -o /dev/null -D "$WORK/headers" -w '%{http_code}' --max-time 5 "$BASE/ui/app.js")
assert_eq 200 "$CODE" "HEAD app.js"
[ "$(header Content-Length)" -gt 1000 ] || fail "HEAD app.js: Content-Length $(header Content-Length)"
pass "the page and its files: types, ETag and 304, CSP, nosniff; 404 and 405 as they should be"

# ---- who the page is -------------------------------------------------------------
expect 200 "me, anonymous" GET /ui/me
assert_eq "" "$(body_get user)" "me: no user"
assert_eq True "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["can_log_in"])' "$WORK/body")" "me: can log in"
assert_eq none "$(body_get anonymous)" "me: anonymous level"
# The page's API calls get 401 without a Basic challenge (no browser dialog); others keep it.
expect 401 "sessions, anonymous, from the page" GET /api/v1/sessions -H 'X-AgentGit-UI: 1'
[ -z "$(header WWW-Authenticate)" ] || fail "the page's 401 has a challenge"
expect 401 "sessions, anonymous" GET /api/v1/sessions
[ -n "$(header WWW-Authenticate)" ] || fail "a plain 401 lost its challenge"
pass "GET /ui/me says who the page is; the page's 401s carry no Basic challenge"

# ---- logging in ------------------------------------------------------------------
expect 401 "a wrong password" POST /ui/login "${JSON[@]}" -d '{"user":"alice","password":"nope"}'
assert_eq LOGIN_FAILED "$(body_get code)" "wrong password: code"
[ -z "$(header WWW-Authenticate)" ] || fail "a failed login has a Basic challenge"
[ -z "$(header Set-Cookie)" ] || fail "a failed login set a cookie"
expect 401 "an unknown user" POST /ui/login "${JSON[@]}" -d '{"user":"mallory","password":"x"}'
expect 400 "no password" POST /ui/login "${JSON[@]}" -d '{"user":"alice"}'
expect 400 "not JSON" POST /ui/login "${JSON[@]}" -d 'user=alice'
expect 415 "a form post" POST /ui/login -d '{"user":"alice","password":"x"}'
expect 400 "a colon in the name" POST /ui/login "${JSON[@]}" -d '{"user":"a:b","password":"x"}'
expect 405 "GET /ui/login" GET /ui/login
expect 200 "alice logs in" POST /ui/login "${JSON[@]}" -d "{\"user\":\"alice\",\"password\":\"$APW\"}"
cookie=$(header Set-Cookie)
case "$cookie" in agentgit_login=*"; Path=/; HttpOnly; SameSite=Strict; Max-Age="*) ;; *) fail "login cookie: $cookie" ;; esac
case "$cookie" in *Secure*) fail "a cookie over plain HTTP marked Secure: $cookie" ;; esac
C="Cookie: ${cookie%%;*}"
assert_eq alice "$(body_get user)" "login: user"
csrf=$(body_get csrf)
[ ${#csrf} -ge 40 ] || fail "login: csrf '$csrf'"
expect 200 "me with the cookie" GET /ui/me -H "$C"
assert_eq alice "$(body_get user)" "me: user"
assert_eq "$csrf" "$(body_get csrf)" "me: the same CSRF token"
assert_eq cookie "$(body_get via)" "me: via"
expect 200 "a second login" POST /ui/login "${JSON[@]}" -H 'X-Forwarded-Proto: https' -d "{\"user\":\"alice\",\"password\":\"$APW\"}"
case "$(header Set-Cookie)" in *"; Secure") ;; *) fail "behind a TLS proxy the cookie is Secure: $(header Set-Cookie)" ;; esac
other_csrf=$(body_get csrf)
[ "$other_csrf" != "$csrf" ] || fail "two logins share a CSRF token"
pass "POST /ui/login: 401 LOGIN_FAILED without a challenge, 400/415 for bad bodies; a login sets an HttpOnly SameSite=Strict cookie and gives a CSRF token"

# ---- the cookie on the API, and CSRF ------------------------------------------------
expect 200 "sessions with the cookie" GET /api/v1/sessions -H "$C"
expect 403 "a POST with the cookie and no CSRF token" POST /api/v1/repos -H "$C" "${JSON[@]}" -d '{"name":"web-made"}'
assert_eq CSRF_FAILED "$(body_get code)" "no CSRF token: code"
expect 403 "a POST with another login's CSRF token" POST /api/v1/repos -H "$C" -H "X-CSRF-Token: $other_csrf" "${JSON[@]}" -d '{"name":"web-made"}'
expect 403 "a POST with a cut CSRF token" POST /api/v1/repos -H "$C" -H "X-CSRF-Token: ${csrf:1}" "${JSON[@]}" -d '{"name":"web-made"}'
expect 403 "a DELETE without the token" DELETE /api/v1/repos/anything -H "$C"
expect 404 "the repo was not made" GET /api/v1/repos/web-made -H "$C"
expect 201 "a POST with the cookie and its token" POST /api/v1/repos -H "$C" -H "X-CSRF-Token: $csrf" "${JSON[@]}" -d '{"name":"web-made"}'
# A cross-site page cannot send it either way: the Origin guard stays on.
expect 403 "a cross-origin POST with cookie and token" POST /api/v1/repos -H "$C" -H "X-CSRF-Token: $csrf" \
  -H 'Origin: http://evil.example' "${JSON[@]}" -d '{"name":"web-made-2"}'
expect 403 "a cross-origin login" POST /ui/login -H 'Origin: http://evil.example' "${JSON[@]}" -d "{\"user\":\"alice\",\"password\":\"$APW\"}"
# Basic credentials need no CSRF token (no browser sends them on its own to
# a page it was not given them for) and the cookie does nothing on git routes.
expect 201 "Basic without a CSRF token" POST /api/v1/repos -u "alice:$APW" "${JSON[@]}" -d '{"name":"basic-made"}'
expect 401 "git with only the cookie" GET "/repos/web-made.git/info/refs?service=git-upload-pack" -H "$C"
pass "the cookie works on the API; changes need its own CSRF token (403 CSRF_FAILED otherwise); Origin guard on; not on git routes"

# ---- a read-only user's sessions say so ------------------------------------------------
s=$(curl -s -u "alice:$APW" "${JSON[@]}" -d '{"task":"web task"}' "$BASE/api/v1/sessions")
sid=$(echo "$s" | json_get id)
expect 200 "reader logs in" POST /ui/login "${JSON[@]}" -d "{\"user\":\"reader\",\"password\":\"$RPW\"}"
RC="Cookie: $(header Set-Cookie | cut -d';' -f1)"
rcsrf=$(body_get csrf)
expect 200 "reader sees the session" GET "/api/v1/sessions/$sid" -H "$RC"
assert_eq read "$(body_get access)" "reader's access"
expect 200 "alice sees the session" GET "/api/v1/sessions/$sid" -H "$C"
assert_eq admin "$(body_get access)" "alice's access"
expect 403 "reader cannot checkpoint, token or not" POST "/api/v1/sessions/$sid/checkpoint" -H "$RC" -H "X-CSRF-Token: $rcsrf" "${JSON[@]}" -d '{"tool":"x","summary":"y"}'
assert_eq FORBIDDEN "$(body_get code)" "reader's checkpoint: code"
pass "sessions say the caller's access (read, admin); a reader's login cannot write"

# ---- logging out -------------------------------------------------------------------
expect 403 "logout without the token" POST /ui/logout -H "$C"
expect 200 "logout" POST /ui/logout -H "$C" -H "X-CSRF-Token: $csrf"
case "$(header Set-Cookie)" in "agentgit_login=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0") ;; *) fail "logout cookie: $(header Set-Cookie)" ;; esac
expect 401 "the old cookie after logout" GET /api/v1/sessions -H "$C"
expect 200 "me after logout" GET /ui/me -H "$C"
assert_eq "" "$(body_get user)" "me after logout: no user"
expect 200 "the other login still works" GET /api/v1/sessions -H "$RC"
expect 401 "a made-up cookie" GET /api/v1/sessions -H 'Cookie: agentgit_login=made-up'
pass "POST /ui/logout (with the token) ends that login only"

# ---- the login backoff covers the form ------------------------------------------------
throttled=""
for i in $(seq 1 12); do
  req POST /ui/login "${JSON[@]}" -d '{"user":"alice","password":"guess"}'
  if [ "$CODE" = 429 ]; then throttled=$i; break; fi
  assert_eq 401 "$CODE" "guess $i"
done
[ -n "$throttled" ] || fail "12 wrong passwords in a row were never throttled"
assert_eq LOGIN_THROTTLED "$(body_get code)" "throttled login: code"
[ -n "$(header Retry-After)" ] || fail "a throttled login without Retry-After"
pass "wrong passwords at the form are throttled like any other (429 after $throttled)"

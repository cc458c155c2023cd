#!/usr/bin/env python3
"""The web view in a real browser: headless Chromium against the real server.

Two servers, as people meet them:

1. The newcomer's: loopback, no users. The empty sessions page says how to
   start one; a session started through the API appears without a reload;
   its timeline grows live as the agent checkpoints (no reload: a marker
   set on the page survives); a commit's diff shows unified and side by
   side; a revert from the page reaches the work tree at the agent's next
   turn; an instruction written on the page too; the keyboard reaches the
   controls; a phone-sized screen shows one column.
2. A server with users: the login form (a wrong password is told so), the
   cookie (HttpOnly, SameSite=Strict), a CSRF attempt from another origin
   refused with nothing written, a request from the page itself without the
   CSRF token refused, logout, and a read-only user who sees no actions.

Screenshots of the main screens go to $OUT_DIR (ctest: <build>/browser-output).
Needs AGENTGIT_BIN (the server binary). Exits 0 on success, 1 on failure.
"""

import base64
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

OUT_DIR = os.environ.get("OUT_DIR") or tempfile.mkdtemp(prefix="web-view-shots-")
BIN = os.environ.get("AGENTGIT_BIN")
# A sanitized server answers slower: waits are longer.
SLOW = os.environ.get("AGENTGIT_SANITIZED") in ("1", "ON", "TRUE", "true")
WAIT = 30 if SLOW else 15


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def ok(what):
    print("ok - " + what, flush=True)


class Server:
    """`agentgit serve` on a free loopback port with its own data directory."""

    def __init__(self, work, name, config=None):
        self.data = os.path.join(work, name + "-data")
        self.log = open(os.path.join(work, name + ".log"), "w")
        args = [BIN, "serve", "--listen", "127.0.0.1:0", "--data", self.data]
        if config:
            path = os.path.join(work, name + ".toml")
            with open(path, "w") as f:
                f.write(config)
            args += ["--config", path]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        deadline = time.time() + 20
        self.port = None
        while time.time() < deadline and self.port is None:
            line = self.proc.stdout.readline()
            if not line:
                break
            if "listening on http://" in line:
                self.port = int(line.split("listening on http://")[1].split()[0].rsplit(":", 1)[1])
        check(self.port, "the server did not start: see " + self.log.name)
        self.base = "http://127.0.0.1:%d" % self.port
        self.auth = None  # (user, password) for api()

    def api(self, method, path, body=None, auth=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/api/v1" + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        who = auth or self.auth
        if who:
            req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % who).encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return json.loads(res.read() or b"null")
        except urllib.error.HTTPError as e:
            raise AssertionError("%s %s: HTTP %d %s" % (method, path, e.code, e.read()[:300]))

    def file(self, session, path):
        req = urllib.request.Request(self.base + "/api/v1/sessions/%s/files/%s" % (session, path))
        if self.auth:
            req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % self.auth).encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return res.read().decode()
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def shot(b, name):
    path = os.path.join(OUT_DIR, name + ".png")
    b.screenshot(path)
    with open(path, "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "screenshot %s is not a PNG" % name)
    return path


def rows(b):
    return b.eval("document.querySelectorAll('#timeline li[data-commit]').length")


def no_errors(b, where):
    errors = b.errors()
    check(not errors, "the page logged errors (%s): %s" % (where, errors))


def hash_password(pw):
    out = subprocess.run([BIN, "hash-password"], input=pw + "\n", capture_output=True, text=True, check=True)
    return out.stdout.strip()



# The lowest contrast (WCAG) of any visible text on the page against its
# effective background, and where it is.
CONTRAST_JS = r"""
(() => {
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
                                      .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bgOf = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  let worst = {ratio: 99, what: ''};
  for (const el of document.querySelectorAll('body *')) {
    if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none' || parseFloat(st.opacity) < 0.9) continue;
    const a = lum(rgb(st.color)), b = lum(bgOf(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst.ratio) worst = {ratio, what: el.tagName + '.' + el.className + ' "' + el.textContent.trim().slice(0, 30) + '"'};
  }
  return worst;
})()
"""


def contrast(b, where):
    worst = b.eval(CONTRAST_JS)
    check(worst["ratio"] >= 4.5, "text contrast below 4.5:1 (%s): %.2f for %s" % (where, worst["ratio"], worst["what"]))
    # And while rows flash as they arrive: held at the flash's first frame.
    b.eval("document.querySelectorAll('#timeline li').forEach((li) => {"
           " li.classList.add('fresh'); li.style.animationPlayState = 'paused'; })")
    flash = b.eval(CONTRAST_JS)
    b.eval("document.querySelectorAll('#timeline li').forEach((li) => {"
           " li.classList.remove('fresh'); li.style.animationPlayState = ''; })")
    check(flash["ratio"] >= 4.5, "text contrast below 4.5:1 (%s, a new row): %.2f for %s" % (where, flash["ratio"], flash["what"]))
    return min(worst["ratio"], flash["ratio"])

# ---- 1. the newcomer's server ------------------------------------------------------

def newcomer(work):
    srv = Server(work, "local")
    try:
        with cdp.Browser(timeout=WAIT) as b:
            b.goto(srv.base + "/")
            b.wait_for_selector(".empty")
            text = b.text(".empty")
            check("No sessions yet" in text and "agentgit session start" in text and srv.base + "/api/v1/sessions" in text,
                  "the empty state says how to start a session: " + text)
            check("no login needed" in b.text("#who"), "a loopback server without users needs no login")
            shot(b, "01-sessions-empty")
            ok("the empty sessions page says how to start a session")

            # A session started elsewhere appears without a reload.
            b.eval("window.__stay = 1")
            s = srv.api("POST", "/sessions", {"task": "Make the greeting friendlier\n\nDetails below."})
            sid, wd = s["id"], s["workdir"]
            with open(os.path.join(wd, "hello.py"), "w") as f:
                f.write('def greet(name):\n    # say hello\n    return "hello " + name\n')
            srv.api("POST", "/sessions/%s/checkpoint" % sid, {"tool": "Write", "summary": "hello.py"})
            b.wait_for("document.querySelector('tr[data-session=\"%s\"]') !== null" % sid, timeout=WAIT)
            check(b.eval("window.__stay") == 1, "the list reloaded the page")
            row = b.text('tr[data-session="%s"]' % sid)
            check("Make the greeting friendlier" in row and "active" in row and "Details below" not in row,
                  "the row shows the task's first line and state: " + row)
            b.wait_for("document.querySelector('tr[data-session=\"%s\"] td[data-label=\"Commits\"]').textContent == '2'" % sid)
            shot(b, "02-sessions")
            ok("a new session appears in the list without a reload")

            # Its timeline.
            b.click('tr[data-session="%s"] a' % sid)
            b.wait_for("document.querySelectorAll('#timeline li[data-commit]').length == 2")
            first = b.text("#timeline li:first-child")
            check("Write" in first and "hello.py" in first and "+3" in first, "the first row: " + first)
            b.wait_for("document.querySelector('#live').textContent == 'live'")
            check(b.text("#clone-command") == "git clone %s/repos/%s.git" % (srv.base, s["repo"]), "clone command")

            # Live rows: the agent works, the page follows.
            b.eval("window.__stay = 2")
            with open(os.path.join(wd, "hello.py"), "w") as f:
                f.write('def greet(name):\n    # say hello, warmly\n    return "Hello, " + name + "!"\n')
            t0 = time.time()
            srv.api("POST", "/sessions/%s/checkpoint" % sid, {"tool": "Edit", "summary": "warmer greeting"})
            b.wait_for("document.querySelectorAll('#timeline li[data-commit]').length == 3")
            took = time.time() - t0
            check(b.eval("window.__stay") == 2, "the timeline reloaded the page")
            top = b.text("#timeline li:first-child")
            check("warmer greeting" in top and "+2" in top and "−2" in top, "the new row: " + top)
            ok("a checkpoint's row appears %.2fs later, without a reload" % took)

            # Its diff, unified and side by side.
            edit = srv.api("GET", "/sessions/%s/log" % sid)["commits"][0]["commit"]
            b.click('#timeline li[data-commit="%s"] a' % edit)
            b.wait_for("document.querySelector('#commit-title') && document.querySelector('#commit-title').textContent.includes('warmer greeting')")
            b.wait_for("document.querySelector('table.diff.unified') !== null")
            diff = b.text("table.diff")
            check('return "Hello, " + name + "!"' in diff and 'return "hello " + name' in diff, "the unified diff: " + diff)
            check(b.eval("document.querySelectorAll('table.diff tr.add').length") == 2, "two added lines")
            check(b.eval("document.querySelector('table.diff .tok-kw') !== null"), "keywords highlighted")
            b.click("#mode-split")
            b.wait_for("document.querySelector('table.diff.split') !== null")
            check(b.eval("document.querySelectorAll('table.diff.split td.code.del').length") == 2, "side by side: deleted lines on the left")
            shot(b, "03-session-diff")
            ok("a commit's diff, unified and side by side, highlighted")

            # A binary file is summarised.
            with open(os.path.join(wd, "logo.bin"), "wb") as f:
                f.write(bytes(range(256)) * 8)
            srv.api("POST", "/sessions/%s/checkpoint" % sid, {"tool": "Write", "summary": "a binary"})
            b.wait_for("document.querySelectorAll('#timeline li[data-commit]').length == 4")
            b.click("#timeline li:first-child a")
            b.wait_for("document.querySelector('.file .note') && document.querySelector('.file .note').textContent.includes('Binary file')")
            ok("a binary file is summarised, not shown")

            # Revert from the page: the work tree follows at the next turn.
            b.click('#timeline li[data-commit="%s"] a' % edit)
            b.wait_for("document.querySelector('#revert') !== null")
            b.click("#revert")
            b.wait_for_selector("#revert-confirm")
            check(b.eval("document.activeElement.id") == "revert-confirm", "the confirmation takes the focus")
            b.click("#revert-confirm")
            b.wait_for("document.querySelector('#toast').textContent.startsWith('Reverted as')")
            b.wait_for("document.querySelectorAll('#timeline li[data-commit]').length == 5")
            top = b.text("#timeline li:first-child")
            check('Revert "[Edit] warmer greeting"' in top, "the revert's row: " + top)
            check('"Hello, "' in open(os.path.join(wd, "hello.py")).read(), "the revert reached the work tree before a turn")
            srv.api("POST", "/sessions/%s/checkpoint" % sid, {"tool": "Read", "summary": "next turn"})
            content = open(os.path.join(wd, "hello.py")).read()
            check('return "hello " + name' in content, "the work tree took the revert in at the next turn: " + content)
            ok("a revert from the page reaches the work tree at the agent's next turn")

            # An instruction from the page.
            b.click("#open-instruction")
            b.wait_for_selector("#instruction-form")
            check(b.eval("[...document.querySelectorAll('#instruction-form input, #instruction-form textarea')]"
                         ".every(e => e.labels && e.labels.length > 0)"), "every field of the instruction form has a label")
            check(b.eval("document.activeElement.id") == "instruction-text", "the form's text field takes the focus")
            b.type("#instruction-text", "Please add tests for greet().")
            b.click("#instruction-form button[type=submit]")
            b.wait_for("document.querySelector('#toast').textContent.startsWith('Committed as')")
            n = rows(b)
            srv.api("POST", "/sessions/%s/checkpoint" % sid, {"tool": "Read", "summary": "reads the instruction"})
            check(open(os.path.join(wd, "INSTRUCTIONS.md")).read().startswith("Please add tests for greet()."),
                  "the instruction reached the work tree")
            b.wait_for("document.querySelectorAll('#timeline li[data-commit]').length >= %d" % (n + 1))
            shot(b, "04-session-timeline")
            ok("an instruction written on the page reaches the work tree at the next turn")

            # A conflict: the agent and a person both change hello.py.
            srv.api("POST", "/sessions/%s/instruction" % sid, {"path": "hello.py", "text": "print('person')\n"})
            with open(os.path.join(wd, "hello.py"), "w") as f:
                f.write("print('agent')\n")
            r = srv.api("POST", "/sessions/%s/checkpoint" % sid, {"tool": "Edit", "summary": "agent edits too"})
            check(r["conflicts"] == ["hello.py"], "a conflict was made: %s" % r)
            b.wait_for("document.querySelector('#timeline li.conflicted') !== null")
            row = b.text("#timeline li.conflicted")
            check("conflicts" in row and "hello.py" in row, "the conflicted merge's row: " + row)
            b.wait_for("document.querySelector('#toast').textContent.includes('Conflicts kept both sides in: hello.py')")
            ok("a merge that kept both sides of a conflict is highlighted, and announced")

            # Promotion from the page: a file into another repo.
            srv.api("POST", "/repos", {"name": "product"})
            b.click("#open-promote")
            b.wait_for("document.querySelector('#promote-files input.pf[value=\"INSTRUCTIONS.md\"]') !== null")
            b.click('#promote-files input.pf[value="INSTRUCTIONS.md"]')
            b.type("#promote-target", "product")
            b.type("#promote-message", "Keep the instructions")
            b.click("#promote-form button[type=submit]")
            b.wait_for("document.querySelector('#toast').textContent.startsWith('Promoted to product')")
            clone = os.path.join(work, "product")
            subprocess.run(["git", "clone", "-q", srv.base + "/repos/product.git", clone], check=True)
            check(open(os.path.join(clone, "INSTRUCTIONS.md")).read().startswith("Please add tests"), "the promoted file")
            msg = subprocess.run(["git", "-C", clone, "log", "-1", "--format=%B"], capture_output=True, text=True).stdout
            check(msg.startswith("Keep the instructions") and "Promoted-From:" in msg, "the promotion's message: " + msg)
            check(not os.path.exists(os.path.join(clone, "hello.py")), "only the chosen file was promoted")
            ok("promote a chosen file from the page into another repo")

            # The keyboard: the skip link first, then the controls; j/k move through commits.
            b.goto(srv.base + "/#/s/%s/c/%s" % (sid, edit))
            b.wait_for("document.querySelectorAll('#timeline li[data-commit]').length >= 6")
            b.wait_for("document.querySelector('#revert') !== null")
            # From the top of the page (its skip link), Tab by Tab.
            b.eval("document.querySelector('.skip').focus()")
            reached = []
            for _ in range(40):
                b.press("Tab")
                reached.append(b.eval("(e => e.id || e.className || e.textContent.trim().slice(0, 20))(document.activeElement)"))
                if reached[-1] == "revert":
                    break
            for want in ("open-instruction", "open-promote", "commit", "mode-unified", "mode-split", "revert"):
                check(want in reached, "Tab does not reach %s: %s" % (want, reached))
            # Enter on a focused timeline row opens that commit.
            b.eval("document.querySelectorAll('#timeline a.commit')[2].focus()")
            third = b.eval("document.querySelectorAll('#timeline li[data-commit]')[2].dataset.commit")
            b.press("Enter")
            b.wait_for("document.querySelector('#timeline li.selected').dataset.commit == '%s'" % third)
            b.wait_for("document.querySelector('#timeline li.selected') !== null")
            sel = b.eval("document.querySelector('#timeline li.selected').dataset.commit")
            b.press("j")
            b.wait_for("document.querySelector('#timeline li.selected').dataset.commit != '%s'" % sel)
            ok("keyboard: Tab reaches every control, Enter opens a commit, j/k move through the timeline")

            # Contrast, light and dark.
            b.goto(srv.base + "/#/s/%s/c/%s" % (sid, edit))
            b.wait_for("document.querySelector('table.diff') !== null")
            light = contrast(b, "light")
            b.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            b.wait_for("getComputedStyle(document.body).backgroundColor != 'rgb(255, 255, 255)'")
            dark = contrast(b, "dark")
            shot(b, "04b-session-dark")
            b.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
            ok("text contrast at least 4.5:1 (lowest %.1f light, %.1f dark)" % (light, dark))

            # A phone.
            b.set_viewport(390, 844, mobile=True)
            b.goto(srv.base + "/#/s/" + sid)
            b.wait_for("document.querySelectorAll('#timeline li[data-commit]').length >= 6")
            wide = b.eval("document.documentElement.scrollWidth")
            check(wide <= 390, "a phone scrolls sideways: %d px wide" % wide)
            cols = b.eval("getComputedStyle(document.querySelector('.layout')).gridTemplateColumns")
            check(len(cols.split()) == 1, "one column on a phone: " + cols)
            shot(b, "05-phone")
            ok("a phone-sized screen: one column, nothing wider than the screen")
            no_errors(b, "local server")
    finally:
        srv.stop()


# ---- 2. a server with users -------------------------------------------------------

class EvilPage(http.server.BaseHTTPRequestHandler):
    """Another origin's page that tries to write to a session with the cookie."""
    target = ""

    def do_GET(self):
        page = ("<!doctype html><link rel=icon href='data:,'><script>"
                "fetch(%s, {method: 'POST', credentials: 'include', mode: 'no-cors',"
                " headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({path: 'EVIL.md', text: 'pwned'})})"
                ".then(() => { document.title = 'sent'; }, () => { document.title = 'failed'; });"
                "</script>" % json.dumps(self.target)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args):
        pass


def with_users(work):
    apw, rpw = "alice's web password", "reader pw"
    config = """[auth]
anonymous = "none"
[[auth.users]]
name = "alice"
password_hash = '%s'
access = { "*" = "admin" }
[[auth.users]]
name = "reader"
password_hash = '%s'
access = { "*" = "read" }
""" % (hash_password(apw), hash_password(rpw))
    srv = Server(work, "users", config)
    srv.auth = ("alice", apw)
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EvilPage)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        s = srv.api("POST", "/sessions", {"task": "Guarded work"})
        sid = s["id"]
        srv.api("POST", "/sessions/%s/checkpoint" % sid, {"tool": "Write", "summary": "nothing yet"})
        with cdp.Browser(timeout=WAIT) as b:
            b.goto(srv.base + "/")
            b.wait_for("document.querySelector('main .notice') !== null")
            check("log in" in b.text("main .notice").lower(), "anonymous visitors are asked to log in")
            b.click("main .notice a")
            b.wait_for_selector("#login-form")
            check(b.eval("document.activeElement.id") == "login-user", "the login form takes the focus")
            b.type("#login-user", "alice")
            b.type("#login-password", "wrong")
            b.press("Enter")
            b.wait_for("document.querySelector('#login-form .error') && !document.querySelector('#login-form .error').hidden")
            check("Wrong user name or password" in b.text("#login-form .error"), "a wrong password is told so")
            b.clear_errors()  # the 401 is logged by Chromium as a failed load
            shot(b, "06-login")
            b.type("#login-password", apw)
            b.press("Enter")
            b.wait_for("document.querySelector('#who').textContent.includes('Signed in as alice')")
            b.wait_for("document.querySelector('tr[data-session=\"%s\"]') !== null" % sid)
            cookie = [c for c in b.cookies([srv.base]) if c["name"] == "agentgit_login"]
            check(len(cookie) == 1 and cookie[0]["httpOnly"] and cookie[0]["sameSite"] == "Strict",
                  "the login cookie is HttpOnly and SameSite=Strict: %s" % cookie)
            check(b.eval("document.cookie.includes('agentgit_login')") is False, "scripts cannot read the cookie")
            ok("log in through the form; the cookie is HttpOnly, SameSite=Strict")

            b.goto(srv.base + "/#/s/" + sid)
            b.wait_for_selector("#open-instruction")
            before = len(srv.api("GET", "/sessions/%s/log" % sid)["commits"])
            # From the page itself, without the token: refused.
            res = b.fetch(srv.base + "/api/v1/sessions/%s/instruction" % sid, method="POST",
                          headers={"Content-Type": "application/json"}, body=json.dumps({"path": "X.md", "text": "x"}))
            check(res["status"] == 403 and "CSRF_FAILED" in res["body"], "a write without the CSRF token: %s" % res)
            b.clear_errors()
            # From another origin, with the cookie the browser holds.
            EvilPage.target = srv.base + "/api/v1/sessions/%s/instruction" % sid
            b.goto("http://127.0.0.1:%d/" % evil.server_address[1])
            b.wait_for("document.title == 'sent' || document.title == 'failed'")
            after = srv.api("GET", "/sessions/%s/log" % sid)["commits"]
            check(len(after) == before, "a cross-origin request wrote a commit: %s" % after[0])
            check(srv.file(sid, "EVIL.md") is None and srv.file(sid, "X.md") is None, "nothing was written")
            # It did reach the server, and the server refused it (not the browser).
            refused = "POST /api/v1/sessions/%s/instruction 403" % sid
            deadline = time.time() + WAIT
            while time.time() < deadline and open(srv.log.name).read().count(refused) < 2:
                time.sleep(0.05)
            check(open(srv.log.name).read().count(refused) == 2, "the server did not refuse both requests (%s)" % refused)
            b.clear_errors()
            ok("a CSRF attempt (another origin, or the page without its token) is refused; nothing written")

            b.goto(srv.base + "/")
            b.wait_for_selector("#logout")
            b.click("#logout")
            b.wait_for("document.querySelector('#login-link') !== null")
            b.wait_for("document.querySelector('main .notice') !== null")
            check(not [c for c in b.cookies([srv.base]) if c["name"] == "agentgit_login"], "the cookie is gone after logout")
            b.clear_errors()
            ok("log out: the cookie is gone and the sessions ask for a login again")

            b.goto(srv.base + "/#/login")
            b.wait_for_selector("#login-form")
            b.type("#login-user", "reader")
            b.type("#login-password", rpw)
            b.press("Enter")
            b.wait_for("document.querySelector('#who').textContent.includes('Signed in as reader')")
            b.goto(srv.base + "/#/s/" + sid)
            b.wait_for_selector("#read-only-note")
            b.wait_for("document.querySelector('#commit-title') !== null")
            check(b.eval("document.querySelector('#open-instruction, #open-promote, #revert') === null"),
                  "a reader sees no actions")
            shot(b, "07-reader")
            ok("a read-only user sees the session and its diffs but no actions")
            no_errors(b, "server with users")
    finally:
        evil.shutdown()
        srv.stop()


def main():
    check(BIN and os.access(BIN, os.X_OK), "set AGENTGIT_BIN to the agentgit binary")
    os.makedirs(OUT_DIR, exist_ok=True)
    work = tempfile.mkdtemp(prefix="web-view-test-")
    try:
        newcomer(work)
        with_users(work)
    except Exception:
        traceback.print_exc()
        for name in ("local.log", "users.log"):
            path = os.path.join(work, name)
            if os.path.exists(path):
                print("---- %s (last 30 lines) ----" % name)
                print("".join(open(path).readlines()[-30:]))
        print("FAIL (screenshots so far in %s)" % OUT_DIR)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("screenshots in " + OUT_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())

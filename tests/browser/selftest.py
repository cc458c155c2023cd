#!/usr/bin/env python3
"""Self test of cdp.py: drive a tiny static page in headless Chromium.

Checks, before any test of agentgit's web view relies on them, that the
driver can launch Chromium here, navigate, type, click (synthetic and real
mouse), press keys, take screenshots at desktop and phone sizes, see console
errors, read cookies, and that a wait for something that never happens fails
within its timeout instead of hanging. Screenshots go to $OUT_DIR (ctest sets
it to <build>/browser-output) or to a temporary directory.

Exits 0 on success; on failure prints what failed and exits 1.
"""

import http.server
import os
import signal
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

PAGE = b"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>cdp self test</title>
<style>
  body { font: 16px sans-serif; margin: 2em; background: #f4f6f8; }
  form { display: flex; gap: .5em; flex-wrap: wrap; align-items: center; }
  input { padding: .4em; min-width: 12em; }
  li { padding: .3em; border-bottom: 1px solid #ccc; }
  @media (max-width: 600px) { body { margin: .5em; background: #fff8e0; } }
</style>
</head>
<body>
<h1>Rows</h1>
<form id="add">
  <label for="name">Name</label>
  <input id="name" name="name" autocomplete="off">
  <button id="go" type="submit">Add</button>
  <button id="other" type="button">Other</button>
</form>
<ul id="rows"></ul>
<script>
  document.cookie = "pref=1; SameSite=Strict; path=/";
  document.getElementById("add").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = document.getElementById("name");
    const li = document.createElement("li");
    li.className = "row";
    li.textContent = input.value;
    document.getElementById("rows").appendChild(li);
    input.value = "";
  });
</script>
</body>
</html>
"""


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        # The server's session cookie is HttpOnly: the test checks the
        # driver reports the flags, as web view tests will need to.
        self.send_header("Set-Cookie", "sid=abc; HttpOnly; SameSite=Lax; Path=/")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):  # keep the test's output to its checks
        pass


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  " + what)


def main():
    out_dir = os.environ.get("OUT_DIR") or tempfile.mkdtemp(prefix="cdp-selftest-")
    os.makedirs(out_dir, exist_ok=True)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d/" % server.server_address[1]

    started = time.monotonic()
    try:
        with cdp.Browser() as b:
            print("ok  launched %s in %.1f s" % (b.version, time.monotonic() - started))
            b.goto(base)
            check(b.eval("document.title") == "cdp self test", "page loaded")

            # Typing and a synthetic click add a row.
            b.type("#name", "first row")
            check(b.eval("document.getElementById('name').value") == "first row",
                  "typed into the input")
            b.click("#go")
            b.wait_for_selector("li.row")
            check(b.text("li.row") == "first row", "click added the row")

            # Enter submits the form as a user's would; a real mouse click
            # lands on the button's centre.
            b.type("#name", "second row")
            b.press("Enter")
            b.wait_for("document.querySelectorAll('li.row').length === 2")
            b.type("#name", "third row")
            b.click("#go", real=True)
            b.wait_for("document.querySelectorAll('li.row').length === 3")
            rows = b.eval("[...document.querySelectorAll('li.row')].map(e => e.textContent)")
            check(rows == ["first row", "second row", "third row"],
                  "Enter and a real mouse click added rows: %s" % rows)

            # Keyboard focus order: input -> Add -> Other, and back.
            b.focus("#name")
            b.press("Tab")
            check(b.eval("document.activeElement.id") == "go",
                  "Tab moved focus to the Add button")
            b.press("Tab")
            check(b.active_element() == "button#other",
                  "Tab moved focus on to %s" % b.active_element())
            b.press("Shift+Tab")
            check(b.eval("document.activeElement.id") == "go", "Shift+Tab moved back")

            desktop = b.screenshot(os.path.join(out_dir, "selftest.png"))
            print("    screenshot: " + desktop)
            with open(desktop, "rb") as f:
                png = f.read()
            check(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1024,
                  "desktop screenshot is a PNG of %d bytes" % len(png))
            check(b.eval("[innerWidth, innerHeight]") == [1280, 900],
                  "desktop viewport is 1280x900")

            b.set_viewport(390, 844, mobile=True)
            check(b.eval("[innerWidth, innerHeight]") == [390, 844],
                  "phone viewport is 390x844")
            check(b.eval("matchMedia('(max-width: 600px)').matches"),
                  "phone-size media query applies")
            phone = b.screenshot(os.path.join(out_dir, "selftest-phone.png"),
                                 full_page=True)
            print("    screenshot: " + phone)
            with open(phone, "rb") as f:
                png = f.read()
            check(png.startswith(b"\x89PNG") and len(png) > 1024,
                  "phone screenshot is a PNG of %d bytes" % len(png))

            cookies = {c["name"]: c for c in b.cookies()}
            check(cookies.get("sid", {}).get("httpOnly") is True
                  and cookies["sid"].get("sameSite") == "Lax",
                  "server's cookie is HttpOnly, SameSite=Lax")
            check(cookies.get("pref", {}).get("httpOnly") is False
                  and cookies["pref"].get("sameSite") == "Strict",
                  "script's cookie is not HttpOnly, SameSite=Strict")
            check(b.eval("document.cookie") == "pref=1",
                  "the page's script cannot read the HttpOnly cookie")

            r = b.fetch("/missing")
            check(r["status"] == 404, "fetch from the page sees a 404")
            b.clear_errors()  # the 404 is logged as a failed load

            check(b.errors() == [], "the page logged no errors: %s" % b.errors())

            # The error collection itself works.
            b.eval("console.error('deliberate', 42)")
            b.eval("setTimeout(() => { throw new Error('uncaught on purpose'); })")
            b.wait_for("true")  # a round trip, so both events have arrived
            time.sleep(0.1)
            errs = b.errors()
            check(any("deliberate 42" in e for e in errs)
                  and any("uncaught on purpose" in e for e in errs),
                  "console errors and uncaught exceptions are collected")

            try:
                b.eval("null.x")
            except cdp.BrowserError as e:
                check("TypeError" in str(e), "eval raises the page's exception")
            else:
                raise AssertionError("eval of null.x did not raise")

            # A wait for what never happens fails, on time, naming it.
            t0 = time.monotonic()
            try:
                b.wait_for("window.neverSet === true", timeout=1.0)
            except cdp.BrowserTimeout as e:
                took = time.monotonic() - t0
                check(0.9 <= took < 3.0 and "window.neverSet" in str(e),
                      "wait_for timed out in %.2f s: %s" % (took, e))
            else:
                raise AssertionError("wait_for of a never-true condition returned")
            try:
                b.wait_for_selector("#nope", timeout=0.3)
            except cdp.BrowserTimeout as e:
                check("#nope" in str(e), "wait_for_selector timed out: %s" % e)

            if os.environ.get("CDP_SELFTEST_FAIL"):
                # For checking by hand that a failure midway leaves no
                # Chromium behind: CDP_SELFTEST_FAIL=1 selftest.py
                raise AssertionError("deliberate failure (CDP_SELFTEST_FAIL)")
    finally:
        server.shutdown()
    print("PASS browser self test in %.1f s" % (time.monotonic() - started))


if __name__ == "__main__":
    # ctest (and a user's kill) sends SIGTERM: unwind, so the with block
    # closes Chromium, instead of dying with it still running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("killed by SIGTERM"))
    try:
        main()
    except Exception:
        traceback.print_exc()
        print("FAIL browser self test: %s" % sys.exc_info()[1], file=sys.stderr)
        sys.exit(1)

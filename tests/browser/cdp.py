"""A small headless-Chromium driver for agentgit's browser tests.

Why this shape:

* Standard library only. The tests must run on a machine with no npm and no
  PyPI, and must download nothing at test time, so Puppeteer, Playwright and
  Selenium are out. Debian's own ``chromium`` package is the browser.
* The Chrome DevTools Protocol (CDP) over ``--remote-debugging-pipe`` rather
  than over a websocket. With the pipe flag Chromium reads CDP messages from
  its fd 3 and writes them to its fd 4, each one a JSON text ended by a NUL
  byte. That needs no websocket client, opens no debugging port another
  process could reach, and needs no port to be chosen or waited for: when the
  pipe answers, the browser is ready. When our end of the pipe closes (this
  process ends, however it ends) Chromium shuts itself down.
* Every wait has a deadline (15 s unless told otherwise) and a timeout names
  what was awaited, so a broken page fails a test quickly and says why
  instead of hanging ctest until its own timeout.
* Chromium runs in a process group of its own, with a fresh profile in a
  temporary directory (in /dev/shm when possible). ``Browser.close()`` (and leaving the ``with`` block,
  whatever the reason) kills the whole group and removes the profile, so no
  renderer or profile is left behind, even when a test fails midway.

Typical use::

    with Browser() as b:
        b.goto("http://127.0.0.1:8080/")
        b.type("#name", "hello")
        b.click("button[type=submit]")
        b.wait_for_selector("li.row")
        b.screenshot("/tmp/page.png")
        assert b.errors() == []

Only one page (tab) per Browser: a test that needs two independent users
starts two Browsers (about half a second each).
"""

import base64
import fcntl
import json
import os
import shutil
import signal
import tempfile
import threading
import time

__all__ = ["Browser", "BrowserError", "BrowserTimeout", "find_chromium"]

DEFAULT_TIMEOUT = 15.0

# The flags this machine needs. Without the background-networking ones
# Chromium keeps trying to reach Google (component updates, sync, variations)
# and, the network being closed, logs refused connections and slows start-up.
# --disable-dev-shm-usage: a container's /dev/shm may be small.
# --password-store=basic: do not look for a desktop keyring over D-Bus.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--password-store=basic",
    "--mute-audio",
    "--remote-debugging-pipe",
]


class BrowserError(Exception):
    """Chromium failed, went away, or a page's script raised."""


class BrowserTimeout(BrowserError, TimeoutError):
    """A wait passed its deadline; the message names what was awaited."""


def find_chromium():
    """Path of the Chromium binary: $CHROMIUM, else Debian's.

    Debian's /usr/bin/chromium is a shell wrapper that sources
    /etc/chromium.d (which adds extension flags and, on some machines, prints
    shell errors to stderr) and then execs /usr/lib/chromium/chromium. The
    tests pass every flag they need themselves, so they run the binary
    directly when it is there.
    """
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    for path in ("/usr/lib/chromium/chromium", "/usr/bin/chromium",
                 "/usr/bin/chromium-browser"):
        if os.access(path, os.X_OK):
            return path
    found = shutil.which("chromium")
    if found:
        return found
    raise BrowserError("chromium not found: install it (scripts/setup does) "
                       "or set CHROMIUM to its path")


# Keys press() knows beyond single characters: DOM key name -> (code,
# Windows virtual key code, text typed by the key or None).
_KEYS = {
    "Enter": ("Enter", 13, "\r"),
    "Tab": ("Tab", 9, None),
    "Escape": ("Escape", 27, None),
    "Backspace": ("Backspace", 8, None),
    "Delete": ("Delete", 46, None),
    "Space": ("Space", 32, " "),
    "ArrowUp": ("ArrowUp", 38, None),
    "ArrowDown": ("ArrowDown", 40, None),
    "ArrowLeft": ("ArrowLeft", 37, None),
    "ArrowRight": ("ArrowRight", 39, None),
    "Home": ("Home", 36, None),
    "End": ("End", 35, None),
    "PageUp": ("PageUp", 33, None),
    "PageDown": ("PageDown", 34, None),
}
# CDP's modifier bit field, for "Shift+Tab" and the like.
_MODIFIERS = {"Alt": 1, "Control": 2, "Ctrl": 2, "Meta": 4, "Shift": 8}


def _js(value):
    """A Python value as a JavaScript literal (JSON is valid JavaScript)."""
    return json.dumps(value)


class Browser:
    """One headless Chromium with one page, driven over the DevTools pipe.

    Use as a context manager, or call start() and close(). Methods that wait
    take ``timeout`` in seconds; None means the Browser's default.
    """

    def __init__(self, timeout=DEFAULT_TIMEOUT, width=1280, height=900,
                 chromium=None, extra_args=()):
        self.timeout = timeout
        self._size = (width, height)
        self._binary = chromium or find_chromium()
        self._extra_args = list(extra_args)
        self._pid = None
        self._exit_status = None
        self._profile = None
        self._to_chromium = None    # our write end: Chromium's fd 3
        self._from_chromium = None  # our read end: Chromium's fd 4
        self._reader = None
        self._write_lock = threading.Lock()
        # Everything the reader thread learns is kept under this condition:
        # responses by id, events in arrival order, and why the pipe closed.
        self._cond = threading.Condition()
        self._next_id = 0
        self._responses = {}
        self._events = []
        self._closed_reason = None
        self._session = None
        self._target = None
        self._page_gone = None
        self._errors = []

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        """Launch Chromium, wait for the pipe to answer and open a page."""
        root = _profile_root()
        _remove_stale_profiles(root)
        self._profile = tempfile.mkdtemp(
            prefix=_PROFILE_PREFIX + "%d-" % os.getpid(), dir=root)
        self._launch()
        self._reader = threading.Thread(target=self._read_loop,
                                        name="cdp-reader", daemon=True)
        self._reader.start()
        version = self.send("Browser.getVersion", session=None,
                            what="Chromium to answer on the DevTools pipe")
        self.version = version.get("product", "?")
        self._open_page()
        return self

    def _launch(self):
        # Our two pipes. Chromium's ends must become exactly its fds 3 (it
        # reads commands) and 4 (it writes replies). posix_spawn's dup2
        # actions do that without running Python in the forked child (which
        # preexec_fn would do, and which is unsafe when the test has threads,
        # as the self test's HTTP server is). dup2 onto 3 could clobber the
        # other end if that happened to be fd 3, so both are first moved
        # to fds above 4; os.pipe's fds are close-on-exec, so the originals
        # and these copies are closed in Chromium when it execs.
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        child_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 5)
        child_w = fcntl.fcntl(rep_w, fcntl.F_DUPFD_CLOEXEC, 5)
        os.close(cmd_r)
        os.close(rep_w)
        self._to_chromium, self._from_chromium = cmd_w, rep_r
        # Chromium's own output (mostly noise) goes to a file in its profile,
        # which error messages quote when Chromium fails.
        self._stderr_path = os.path.join(self._profile, "chromium.stderr")
        argv = [self._binary] + CHROMIUM_FLAGS + [
            "--user-data-dir=" + self._profile,
            "--window-size=%d,%d" % self._size,
        ] + self._extra_args + ["about:blank"]
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, self._stderr_path,
             os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
            (os.POSIX_SPAWN_DUP2, 1, 2),
            (os.POSIX_SPAWN_DUP2, child_r, 3),
            (os.POSIX_SPAWN_DUP2, child_w, 4),
        ]
        try:
            # setpgroup=0: a process group of its own, so close() can kill
            # Chromium and every helper process it forked in one killpg, and
            # a Ctrl-C at the terminal reaches only this test, which then
            # closes the browser itself.
            self._pid = os.posix_spawn(argv[0], argv, os.environ,
                                       file_actions=actions, setpgroup=0)
        except OSError as e:
            raise BrowserError("cannot run %s: %s (install chromium with "
                               "scripts/setup or set CHROMIUM)"
                               % (argv[0], e.strerror)) from None
        finally:
            os.close(child_r)
            os.close(child_w)

    def close(self):
        """Stop Chromium and its helpers and remove the profile. Idempotent."""
        if self._pid is not None:
            pid, self._pid = self._pid, None
            # Kill the whole group at once: Chromium, its zygote, renderers
            # and utility processes. Asking it to close over the pipe takes
            # half a second more and gains nothing, since the profile it
            # would save is about to be deleted.
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap(pid, 5.0)
            # The helpers are not our children (init reaps them), so wait
            # until none of the group is still running: when close()
            # returns, nothing of this Chromium is left but zombies.
            deadline = time.monotonic() + 5.0
            while _group_running(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        with self._write_lock:
            if self._to_chromium is not None:
                os.close(self._to_chromium)
                self._to_chromium = None
        # Chromium being dead, the reader has read EOF (or is about to):
        # join it before closing its fd, so that fd's number is not reused
        # under a read still in progress.
        if self._reader is not None:
            self._reader.join(5.0)
            self._reader = None
        if self._from_chromium is not None:
            os.close(self._from_chromium)
            self._from_chromium = None
        if self._profile is not None:
            profile, self._profile = self._profile, None
            # A killed helper may still be going away; a second try covers
            # a file it created between rmtree's listing and its removal.
            for _ in range(3):
                shutil.rmtree(profile, ignore_errors=True)
                if not os.path.exists(profile):
                    break
                time.sleep(0.1)

    def _reap(self, pid, within):
        """Wait up to `within` seconds for Chromium's main process to exit."""
        if self._exit_status is not None:
            return True
        deadline = time.monotonic() + within
        while True:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return True
            if done:
                self._exit_status = status
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    # -- the pipe ----------------------------------------------------------

    def _read_loop(self):
        """Reader thread: split the pipe on NULs and file each message."""
        parts = []  # of the message not yet ended (a screenshot is MBs)
        reason = "Chromium closed the DevTools pipe"
        try:
            while True:
                chunk = os.read(self._from_chromium, 1 << 16)
                if not chunk:
                    break
                if b"\0" not in chunk:
                    parts.append(chunk)
                    continue
                first, *messages, rest = chunk.split(b"\0")
                parts.append(first)
                messages.insert(0, b"".join(parts))
                parts = [rest] if rest else []
                for raw in messages:
                    self._dispatch(json.loads(raw))
        except (OSError, TypeError) as e:  # fd closed under us by close()
            reason = "DevTools pipe read failed: %s" % e
        except Exception as e:  # a bad message: fail every waiter loudly
            reason = "DevTools reader failed: %r" % e
        with self._cond:
            self._closed_reason = reason
            self._cond.notify_all()

    def _dispatch(self, msg):
        with self._cond:
            if "id" in msg:
                self._responses[msg["id"]] = msg
            else:
                self._events.append(msg)
                self._note_event(msg)
            self._cond.notify_all()

    def _note_event(self, msg):
        """Collect the page's errors and notice when the page goes away."""
        method, params = msg.get("method"), msg.get("params", {})
        if msg.get("sessionId") != self._session and method not in (
                "Target.detachedFromTarget", "Target.targetCrashed"):
            return
        if method == "Runtime.consoleAPICalled" and params.get("type") in (
                "error", "assert"):
            args = params.get("args", [])
            text = " ".join(str(a.get("value", a.get("description", "")))
                            for a in args)
            self._errors.append("console.%s: %s" % (params["type"], text))
        elif method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text")
            self._errors.append("uncaught exception: %s" % text)
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                where = entry.get("url")
                self._errors.append("%s error: %s%s" % (
                    entry.get("source", "log"), entry.get("text"),
                    " (%s)" % where if where else ""))
        elif method == "Inspector.targetCrashed":
            self._page_gone = "the page's renderer crashed"
        elif method == "Target.detachedFromTarget":
            if params.get("sessionId") == self._session:
                self._page_gone = "the page was detached (closed?)"
        elif method == "Target.targetCrashed":
            if params.get("targetId") == self._target:
                self._page_gone = "the page's renderer crashed (status %s)" % (
                    params.get("status"))

    def _new_id(self):
        with self._cond:
            self._next_id += 1
            return self._next_id

    def _write(self, msg):
        data = json.dumps(msg).encode() + b"\0"
        with self._write_lock:
            if self._to_chromium is None:
                raise BrowserError("the browser is closed")
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._to_chromium, view):]
            except BrokenPipeError:
                raise BrowserError("Chromium is gone (pipe closed)%s"
                                   % self._stderr_tail()) from None

    def _stderr_tail(self, lines=15):
        try:
            with open(self._stderr_path, errors="replace") as f:
                # Without a desktop session Chromium complains about D-Bus
                # at every start: noise that would hide the real cause.
                tail = [line for line in f.read().splitlines()
                        if "dbus" not in line][-lines:]
        except (OSError, AttributeError):
            return ""
        return "; Chromium's stderr ends:\n  " + "\n  ".join(tail) if tail else ""

    def _deadline(self, timeout):
        return time.monotonic() + (self.timeout if timeout is None else timeout)

    def _wait_locked(self, ready, deadline, what, timeout):
        """Under self._cond: wait until ready() returns non-None."""
        while True:
            value = ready()
            if value is not None:
                return value
            if self._closed_reason is not None:
                raise BrowserError("%s while waiting for %s%s" % (
                    self._closed_reason, what, self._stderr_tail()))
            if self._page_gone is not None and self._session is not None:
                raise BrowserError("%s while waiting for %s" % (
                    self._page_gone, what))
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserTimeout("timed out after %.1f s waiting for %s" % (
                    self.timeout if timeout is None else timeout, what))
            self._cond.wait(left)

    def send(self, method, params=None, session="page", timeout=None, what=None):
        """Send one CDP command and return its result.

        session: "page" (the default) sends it to the page's session, None to
        the browser itself. Raises BrowserError on a CDP error, BrowserTimeout
        if there is no answer in time.
        """
        msg = {"id": self._new_id(), "method": method, "params": params or {}}
        if session == "page":
            session = self._session
        if session is not None:
            msg["sessionId"] = session
        deadline = self._deadline(timeout)
        self._write(msg)
        what = what or "the answer to %s" % method
        with self._cond:
            reply = self._wait_locked(
                lambda: self._responses.pop(msg["id"], None), deadline, what,
                timeout)
        if "error" in reply:
            err = reply["error"]
            raise BrowserError("%s failed: %s%s" % (
                method, err.get("message"),
                " (%s)" % err["data"] if err.get("data") else ""))
        return reply.get("result", {})

    def event_mark(self):
        """A position in the event list: wait_event(since=mark) looks after it."""
        with self._cond:
            return len(self._events)

    def wait_event(self, method, since=0, predicate=None, timeout=None):
        """Wait for an event of the page's session named `method`, arrived
        after position `since` (from event_mark), with params matching
        `predicate` if given. Returns its params."""
        def ready():
            for ev in self._events[since:]:
                if (ev.get("method") == method
                        and ev.get("sessionId") == self._session
                        and (predicate is None or predicate(ev.get("params", {})))):
                    return ev.get("params", {})
            return None
        with self._cond:
            return self._wait_locked(ready, self._deadline(timeout),
                                     "the event %s" % method, timeout)

    # -- the page ----------------------------------------------------------

    def _open_page(self):
        self._target = self.send("Target.createTarget", {"url": "about:blank"},
                                 session=None)["targetId"]
        # flatten: the page's messages travel on this same pipe, marked with
        # a sessionId, instead of being wrapped in Target.sendMessageToTarget.
        self._session = self.send("Target.attachToTarget",
                                  {"targetId": self._target, "flatten": True},
                                  session=None)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network", "Inspector"):
            self.send(domain + ".enable")
        self.send("Target.activateTarget", {"targetId": self._target},
                  session=None)
        # Headless Chromium's window still has a toolbar's height taken off
        # (--window-size=1280,900 gives a 1280x813 page): emulate the size
        # asked for, so layouts and screenshots are the same on any machine.
        self.set_viewport(*self._size)

    def goto(self, url, timeout=None):
        """Navigate and wait for the load event. Raises on a network error
        (connection refused, DNS...), not on an HTTP error status."""
        mark = self.event_mark()
        res = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if res.get("errorText"):
            raise BrowserError("navigating to %s failed: %s" % (url, res["errorText"]))
        if res.get("loaderId"):  # none for a same-document (#fragment) move
            self.wait_event("Page.loadEventFired", since=mark, timeout=timeout)
        return self

    def reload(self, timeout=None):
        mark = self.event_mark()
        self.send("Page.reload", timeout=timeout)
        self.wait_event("Page.loadEventFired", since=mark, timeout=timeout)
        return self

    def url(self):
        return self.eval("location.href")

    def eval(self, js, timeout=None):
        """Evaluate a JavaScript expression in the page and return its value
        (JSON-like values only; a promise is awaited). Raises BrowserError
        with the JavaScript message if it throws."""
        res = self.send("Runtime.evaluate", {
            "expression": js, "returnByValue": True, "awaitPromise": True,
            "userGesture": True}, timeout=timeout,
            what="the page to evaluate %s" % _short(js))
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            raise BrowserError("JavaScript error in %s: %s" % (_short(js), text))
        return res.get("result", {}).get("value")

    def wait_for(self, js_condition, timeout=None, interval=0.05):
        """Poll a JavaScript expression until it is truthy; return its value.

        An exception from the expression counts as "not yet" (the element it
        reads may not exist yet); the last one is quoted on timeout.
        """
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        last_error = None
        while True:
            left = deadline - time.monotonic()
            try:
                value = self.eval(js_condition, timeout=max(left, 0.1))
                if value:
                    return value
            except BrowserTimeout:
                pass
            except BrowserError as e:
                if self._closed_reason is not None or self._page_gone is not None:
                    raise
                last_error = e
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserTimeout(
                    "timed out after %.1f s waiting for %s to be true%s" % (
                        limit, _short(js_condition),
                        " (last error: %s)" % last_error if last_error else ""))
            time.sleep(min(interval, left))

    def wait_for_selector(self, css, timeout=None, visible=False):
        """Wait for an element matching `css` (and, if visible, one that has
        a box on screen). Returns nothing; use eval() to read it."""
        cond = "document.querySelector(%s)" % _js(css)
        if visible:
            cond = "((e) => !!e && e.getClientRects().length > 0 && " \
                   "getComputedStyle(e).visibility !== 'hidden')(%s)" % cond
        else:
            cond = "!!" + cond
        try:
            self.wait_for(cond, timeout=timeout)
        except BrowserTimeout:
            raise BrowserTimeout("timed out after %.1f s waiting for %s"
                                 "element %s" % (
                                     self.timeout if timeout is None else timeout,
                                     "a visible " if visible else "an ",
                                     css)) from None

    def text(self, css, timeout=None):
        """The text (innerText) of the first element matching css."""
        self.wait_for_selector(css, timeout)
        return self.eval("document.querySelector(%s).innerText" % _js(css))

    def click(self, css, real=False, timeout=None):
        """Click the first element matching `css`, waiting for it to exist.

        real=False calls el.click() (a synthetic click event). real=True
        scrolls the element into view and presses and releases the mouse at
        the centre of its box, as a user would: that also checks the element
        is not covered by another, since the click lands on whatever is on
        top at that point.
        """
        self.wait_for_selector(css, timeout, visible=real)
        if not real:
            self.eval("document.querySelector(%s).click()" % _js(css))
            return
        box = self.eval("""((e) => {
            e.scrollIntoView({block: 'center', inline: 'center'});
            const r = e.getBoundingClientRect();
            return {x: r.left + r.width / 2, y: r.top + r.height / 2};
        })(document.querySelector(%s))""" % _js(css))
        self.mouse_click(box["x"], box["y"])

    def mouse_click(self, x, y, button="left"):
        """Press and release a mouse button at viewport point (x, y)."""
        self.send("Input.dispatchMouseEvent",
                  {"type": "mouseMoved", "x": x, "y": y})
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {
                "type": kind, "x": x, "y": y, "button": button,
                "clickCount": 1})

    def focus(self, css, timeout=None):
        self.wait_for_selector(css, timeout)
        self.eval("document.querySelector(%s).focus()" % _js(css))

    def type(self, css, text, clear=True, timeout=None):
        """Focus the element matching `css` and type `text` into it, as an
        input method would: the page sees beforeinput/input events. With
        clear, the element's current value is selected first and replaced."""
        self.focus(css, timeout)
        if clear:
            self.eval("""((e) => { if (e.select) e.select();
                else document.execCommand('selectAll'); })(document.activeElement)""")
        self.send("Input.insertText", {"text": text})

    def press(self, key, timeout=None):
        """Press and release one key on the focused element: a DOM key name
        (Enter, Tab, Escape, ArrowDown, ... see _KEYS) or one character,
        optionally with modifiers: "Shift+Tab", "Control+a"."""
        *mods, name = key.split("+") if key != "+" else ["+"]
        modifiers = 0
        for m in mods:
            if m not in _MODIFIERS:
                raise ValueError("unknown modifier %r in %r" % (m, key))
            modifiers |= _MODIFIERS[m]
        if name in _KEYS:
            code, vk, text = _KEYS[name]
            key_name = " " if name == "Space" else name
        elif len(name) == 1:
            key_name, text = name, name
            code = ("Key" + name.upper()) if name.isalpha() else (
                "Digit" + name if name.isdigit() else "")
            vk = ord(name.upper())
        else:
            raise ValueError("unknown key %r (known: %s or one character)"
                             % (name, ", ".join(sorted(_KEYS))))
        if modifiers & ~_MODIFIERS["Shift"]:
            text = None  # Control+a is a shortcut, not typing
        down = {"type": "keyDown" if text else "rawKeyDown", "key": key_name,
                "code": code, "windowsVirtualKeyCode": vk,
                "nativeVirtualKeyCode": vk, "modifiers": modifiers}
        if text:
            down["text"] = down["unmodifiedText"] = text
        self.send("Input.dispatchKeyEvent", down, timeout=timeout)
        self.send("Input.dispatchKeyEvent", {
            "type": "keyUp", "key": key_name, "code": code,
            "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk,
            "modifiers": modifiers}, timeout=timeout)

    def active_element(self):
        """A short description of the focused element: tag#id.class[name]."""
        return self.eval("""((e) => !e ? null : e.tagName.toLowerCase()
            + (e.id ? '#' + e.id : '')
            + (e.classList.length ? '.' + [...e.classList].join('.') : '')
            + (e.name ? '[name=' + e.name + ']' : ''))(document.activeElement)""")

    def screenshot(self, path, full_page=False, timeout=None):
        """Save a PNG of the viewport (or of the whole page) to `path`;
        return the path."""
        params = {"format": "png"}
        if full_page:
            m = self.send("Page.getLayoutMetrics")
            size = m.get("cssContentSize") or m["contentSize"]
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": size["height"], "scale": 1}
        data = self.send("Page.captureScreenshot", params, timeout=timeout,
                         what="a screenshot")["data"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def set_viewport(self, width, height, mobile=False, scale=1):
        """Emulate a screen of width x height CSS pixels. mobile=True also
        honours <meta name=viewport> and emulates touch, as a phone does."""
        self.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": scale,
            "mobile": mobile})
        self.send("Emulation.setTouchEmulationEnabled", {"enabled": mobile})

    def cookies(self, urls=None):
        """The cookies the page would send (to `urls`, default the page's
        URL): dicts with name, value, domain, path, httpOnly, secure,
        sameSite (absent when the cookie did not set it), expires..."""
        params = {"urls": list(urls)} if urls else {}
        return self.send("Network.getCookies", params)["cookies"]

    def set_extra_headers(self, headers):
        """Send these HTTP headers with every request the page makes."""
        self.send("Network.setExtraHTTPHeaders", {"headers": dict(headers)})

    def fetch(self, url, method="GET", headers=None, body=None, timeout=None):
        """fetch() from inside the page (its origin, its cookies) and return
        {"status", "headers", "body"} with the body as text."""
        init = {"method": method, "headers": headers or {},
                "credentials": "same-origin"}
        if body is not None:
            init["body"] = body
        return self.eval("""fetch(%s, %s).then(async (r) => ({
            status: r.status, headers: Object.fromEntries(r.headers),
            body: await r.text()}))""" % (_js(url), _js(init)), timeout=timeout)

    def errors(self):
        """Console errors, uncaught exceptions and error log entries (failed
        loads, CSP violations...) since start or the last clear_errors()."""
        with self._cond:
            return list(self._errors)

    def clear_errors(self):
        with self._cond:
            self._errors.clear()


_PROFILE_PREFIX = "agentgit-chromium-"


def _profile_root():
    """Where profiles go: /dev/shm when usable, else the temporary directory.

    A profile is 2 MB in about 130 files, written at start and removed at
    close; on a busy disk removing it took 0.3 s, in memory a few ms.
    """
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return tempfile.gettempdir()


def _remove_stale_profiles(root):
    """Remove profiles left by test processes that were killed (SIGKILL
    leaves no chance to clean up; Chromium itself exits when the pipe
    closes). A profile's name holds its owner's pid."""
    for name in os.listdir(root):
        if not name.startswith(_PROFILE_PREFIX):
            continue
        try:
            owner = int(name[len(_PROFILE_PREFIX):].split("-")[0])
            os.kill(owner, 0)
        except ValueError:
            continue
        except ProcessLookupError:
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        except PermissionError:
            pass  # alive, another user's


def _group_running(pgid):
    """Whether a process of group `pgid` is alive and not a zombie."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in "ZX":
            return True
    return False


def _short(js, limit=80):
    """A one-line excerpt of a script, for error messages."""
    one = " ".join(js.split())
    return repr(one if len(one) <= limit else one[:limit - 3] + "...")

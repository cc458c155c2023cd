#!/usr/bin/env python3
"""Many live sessions, checkpoints at a steady rate (scripts/bench --sessions).

usage: sessions_load.py URL SERVER_PID SESSIONS RATE SECONDS OUT_JSON

1. Starts SESSIONS sessions (8 at a time), writes three small files into
   each work tree and checkpoints it once (untimed).
2. For SECONDS, starts a checkpoint RATE times a second (open loop: on
   schedule, whatever earlier calls are doing), round-robin over the
   sessions: one file of the session gets one more line, then
   POST /api/v1/sessions/ID/checkpoint, which must answer "committed".
   64 client threads, each with its own keep-alive connection.
3. Meanwhile samples the server every second: resident memory (VmRSS and
   VmHWM), open fds, inotify instances and threads, from /proc.
4. Prints a table and writes OUT_JSON: latency percentiles (the request
   alone, and from its scheduled start, so a client that fell behind shows),
   the rate achieved, failures, the samples' maxima, /healthz at the end,
   and each target of issue 10 (p99 <= 50 ms at 200/s; RSS <= 64 MiB +
   1 MiB per open connection) with whether it was met.
"""
import http.client
import json
import os
import queue
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

url, pid, n_sessions, rate, seconds, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), \
    float(sys.argv[5]), sys.argv[6]
host = urllib.parse.urlsplit(url)
WORKERS = 64
HEADERS = {"Content-Type": "application/json"}


def connect():
    return http.client.HTTPConnection(host.hostname, host.port, timeout=60)


def call(conn, method, path, body=None):
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=HEADERS)
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def log(msg):
    print("[sessions %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


# ---- 1. the sessions --------------------------------------------------------
sessions = []
lock = threading.Lock()
local = threading.local()


def conn_of_thread():
    if getattr(local, "conn", None) is None:
        local.conn = connect()
    return local.conn


def start(i):
    conn = conn_of_thread()
    status, data = call(conn, "POST", "/api/v1/sessions", {"task": "load %d" % i})
    if status != 201:
        raise RuntimeError("start session %d: HTTP %d %s" % (i, status, data[:200]))
    s = json.loads(data)
    wd = s["workdir"]
    for f in range(3):
        with open(os.path.join(wd, "f%d.txt" % f), "w") as fh:
            fh.write("session %d file %d\n" % (i, f))
    status, data = call(conn, "POST", "/api/v1/sessions/%s/checkpoint" % s["id"],
                        {"tool": "Write", "summary": "initial files"})
    if status != 200:
        raise RuntimeError("first checkpoint of %s: HTTP %d %s" % (s["id"], status, data[:200]))
    with lock:
        sessions.append({"id": s["id"], "workdir": wd, "turn": 0})


log("starting %d sessions" % n_sessions)
t0 = time.monotonic()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(start, range(n_sessions)))
setup_s = time.monotonic() - t0
log("%d sessions started in %.1f s" % (len(sessions), setup_s))
time.sleep(2.2)  # past the racy-timestamp window of the first snapshots


# ---- 3. samples of the server -----------------------------------------------
def proc_sample():
    st = {}
    try:
        for line in open("/proc/%d/status" % pid):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                st[k] = int(v.split()[0])
        fds = os.listdir("/proc/%d/fd" % pid)
        st["fds"] = len(fds)
        inotify = 0
        for fd in fds:
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:inotify":
                    inotify += 1
            except OSError:
                pass
        st["inotify"] = inotify
    except OSError:
        pass
    return st


samples = []
stop_sampling = threading.Event()


def sampler():
    while not stop_sampling.is_set():
        samples.append(proc_sample())
        stop_sampling.wait(1.0)


# ---- 2. the load ------------------------------------------------------------
jobs = queue.Queue()
results = []  # (scheduled, started, ended, ok, detail)


def worker():
    conn = connect()
    while True:
        job = jobs.get()
        if job is None:
            return
        scheduled, k = job
        s = sessions[k % len(sessions)]
        with lock:
            s["turn"] += 1
            turn = s["turn"]
        with open(os.path.join(s["workdir"], "f%d.txt" % (turn % 3)), "a") as fh:
            fh.write("turn %d\n" % turn)
        started = time.monotonic()
        ok, detail = False, ""
        try:
            status, data = call(conn, "POST", "/api/v1/sessions/%s/checkpoint" % s["id"],
                                {"tool": "Edit", "summary": "turn %d" % turn, "call_id": "load-%d" % k})
            ended = time.monotonic()
            result = json.loads(data).get("result") if status == 200 else None
            ok = result == "committed"
            if not ok:
                detail = "HTTP %d %s" % (status, data[:200])
        except Exception as e:  # a failed call is a result, not a crash
            ended = time.monotonic()
            detail = repr(e)
            conn.close()
            conn = connect()
        with lock:
            results.append((scheduled, started, ended, ok, detail))


threads = [threading.Thread(target=worker, daemon=True) for _ in range(WORKERS)]
for t in threads:
    t.start()
threading.Thread(target=sampler, daemon=True).start()
total = int(rate * seconds)
log("%d checkpoints at %g/s over %g s, %d client threads" % (total, rate, seconds, WORKERS))
begin = time.monotonic()
for k in range(total):
    at = begin + k / rate
    delay = at - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    jobs.put((at, k))
for _ in threads:
    jobs.put(None)
for t in threads:
    t.join()
finish = time.monotonic()
stop_sampling.set()
samples.append(proc_sample())


def health():
    try:
        status, data = call(connect(), "GET", "/healthz")
        return json.loads(data)
    except Exception as e:
        return {"error": repr(e)}


# ---- 4. the report ----------------------------------------------------------
def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


ok = [r for r in results if r[3]]
failed = [r for r in results if not r[3]]
request_ms = [(r[2] - r[1]) * 1000 for r in ok]
scheduled_ms = [(r[2] - r[0]) * 1000 for r in ok]
span = max((r[2] for r in results), default=finish) - begin
peak = {k: max((s.get(k, 0) for s in samples), default=0) for k in ("VmRSS", "VmHWM", "fds", "inotify", "Threads")}
connections = WORKERS + 1
rss_bound_kib = (64 + connections) * 1024
doc = {
    "sessions": len(sessions),
    "session_setup_seconds": round(setup_s, 1),
    "rate_asked": rate,
    "rate_achieved": round(len(ok) / span, 1) if span > 0 else 0,
    "checkpoints": len(results),
    "failed": len(failed),
    "failures": [r[4] for r in failed[:10]],
    "request_ms": {p: round(pct(request_ms, q), 2) if request_ms else None
                   for p, q in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
    "from_schedule_ms": {p: round(pct(scheduled_ms, q), 2) if scheduled_ms else None
                         for p, q in (("p50", 50), ("p99", 99), ("max", 100))},
    "server_peak": peak,
    "client_connections": connections,
    "healthz": health(),
}
p99 = doc["request_ms"]["p99"]
doc["targets"] = {
    "p99_ms_le_50": p99 is not None and p99 <= 50,
    "rate_achieved_ge_asked": doc["rate_achieved"] >= 0.95 * rate,
    "no_failures": not failed,
    "rss_kib_le_64MiB_plus_1MiB_per_connection": peak["VmHWM"] <= rss_bound_kib,
}
with open(out, "w") as fh:
    json.dump(doc, fh, indent=2)
    fh.write("\n")

print("%d live sessions, %d checkpoints asked at %g/s for %g s (one file changed each)"
      % (len(sessions), total, rate, seconds))
print("  achieved          %.1f/s, %d failed" % (doc["rate_achieved"], len(failed)))
print("  request latency   p50 %s ms, p90 %s ms, p99 %s ms, max %s ms" % tuple(
    doc["request_ms"][k] for k in ("p50", "p90", "p99", "max")))
print("  from schedule     p50 %s ms, p99 %s ms (includes waiting for a client thread)" % (
    doc["from_schedule_ms"]["p50"], doc["from_schedule_ms"]["p99"]))
print("  server peak       RSS %d KiB (bound %d KiB for %d connections), fds %d, inotify instances %d, threads %d" % (
    peak["VmHWM"], rss_bound_kib, connections, peak["fds"], peak["inotify"], peak["Threads"]))
print("  healthz at end    %s" % json.dumps(doc["healthz"]))
print("  targets           " + ", ".join("%s: %s" % (k, "met" if v else "NOT met") for k, v in doc["targets"].items()))
print("JSON: " + out)
sys.exit(0 if not failed else 1)

#!/usr/bin/env python3
"""Clones of a repo that checkpoints grew, with and without upkeep
(scripts/bench --upkeep N).

usage: upkeep_clone.py AGENTGIT_BIN TMP_DIR CHECKPOINTS REPS OUT_JSON

1. Starts two agentgit servers, each with a data directory of its own:
   one with [git] upkeep_every = 0 (no upkeep: every checkpoint's objects
   stay loose, as libgit2 writes them) and one with the default (1000;
   server/repo_upkeep.hpp).
2. Grows one session on each the same way: a work tree of 50 files of
   200 lines, then CHECKPOINTS checkpoints, each adding a line to one file
   (the same file sequence on both).
3. Waits until the second server has no upkeep due or running
   (agentgit_repo_upkeep_due).
4. REPS times, alternating the servers: `git clone --bare` of the session's
   repo (the repo's config changed first, so no kept answer is reused:
   server/pack_cache.hpp), then a no-op `git fetch` in that clone.
5. Prints the medians and their ratio (with upkeep / without) and writes
   OUT_JSON, with the loose objects and packs each repo had.
"""
import glob
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse

bin_path, tmp, checkpoints, reps, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
HEADERS = {"Content-Type": "application/json"}


def log(msg):
    print("[upkeep %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


class Server:
    def __init__(self, name, every):
        self.dir = os.path.join(tmp, "upkeep-" + name)
        os.makedirs(self.dir)
        self.data = os.path.join(self.dir, "data")
        conf = os.path.join(self.dir, "agentgit.toml")
        with open(conf, "w") as f:
            f.write("[git]\nupkeep_every = %d\n" % every)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTGIT_")}
        self.out = open(os.path.join(self.dir, "out"), "w+")
        self.err = open(os.path.join(self.dir, "err"), "w")
        self.proc = subprocess.Popen([bin_path, "serve", "--listen", "127.0.0.1:0", "--data", self.data,
                                      "--config", conf], stdout=self.out, stderr=self.err, env=env)
        for _ in range(600):
            self.out.seek(0)
            m = re.search(r"listening on (http://\S+)", self.out.read())
            if m:
                self.url = m.group(1)
                break
            if self.proc.poll() is not None:
                sys.exit("agentgit (%s) exited at start-up" % name)
            time.sleep(0.05)
        else:
            sys.exit("agentgit (%s) did not print its address" % name)
        u = urllib.parse.urlsplit(self.url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)

    def call(self, method, path, body=None):
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=HEADERS)
        r = self.conn.getresponse()
        data = r.read()
        if r.status >= 300:
            sys.exit("%s %s: HTTP %d %s" % (method, path, r.status, data[:300]))
        return data

    def metric(self, name):
        text = self.call("GET", "/metrics").decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def grow(server):
    s = json.loads(server.call("POST", "/api/v1/sessions", {"task": "upkeep benchmark", "name": "grown"}))
    wd = s["workdir"]
    os.makedirs(os.path.join(wd, "src"))
    for f in range(50):
        with open(os.path.join(wd, "src", "f%d.txt" % f), "w") as fh:
            fh.writelines("file %d line %d\n" % (f, n) for n in range(200))
    server.call("POST", "/api/v1/sessions/%s/checkpoint" % s["id"], {"tool": "Write", "summary": "files"})
    rnd = random.Random(7)
    for n in range(checkpoints):
        f = rnd.randrange(50)
        with open(os.path.join(wd, "src", "f%d.txt" % f), "a") as fh:
            fh.write("change %d\n" % n)
        server.call("POST", "/api/v1/sessions/%s/checkpoint" % s["id"], {"tool": "Edit", "summary": "edit %d" % n})
    return os.path.join(server.data, "repos", "grown.git")


def objects(repo):
    loose = len(glob.glob(os.path.join(repo, "objects", "[0-9a-f][0-9a-f]", "*")))
    return loose, len(glob.glob(os.path.join(repo, "objects", "pack", "*.pack")))


def timed(args):
    t = time.perf_counter()
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit("%s: %s" % (" ".join(args), r.stderr.decode()[-300:]))
    return (time.perf_counter() - t) * 1000


servers = {"without upkeep": Server("off", 0), "with upkeep": Server("on", 1000)}
try:
    repos = {}
    for name, srv in servers.items():
        log("%s: %d checkpoints" % (name, checkpoints))
        t = time.perf_counter()
        repos[name] = grow(srv)
        log("%s: grown in %.1f s" % (name, time.perf_counter() - t))
    on = servers["with upkeep"]
    for _ in range(1200):
        if on.metric("agentgit_repo_upkeep_due") == 0:
            break
        time.sleep(0.1)
    upkeeps = on.metric("agentgit_repo_upkeep_seconds_count")
    upkeep_seconds = on.metric("agentgit_repo_upkeep_seconds_sum")
    state = {name: objects(repo) for name, repo in repos.items()}
    times = {name: {"clone": [], "fetch_noop": []} for name in servers}
    for rep in range(reps):
        for name, srv in servers.items():
            subprocess.run(["git", "--git-dir", repos[name], "config", "bench.rep", str(rep)], check=True)
            dest = os.path.join(tmp, "upkeep-clone")
            shutil.rmtree(dest, ignore_errors=True)
            times[name]["clone"].append(timed(["git", "clone", "-q", "--bare", srv.url + "/repos/grown.git", dest]))
            times[name]["fetch_noop"].append(timed(["git", "--git-dir", dest, "fetch", "-q", "origin"]))
finally:
    for srv in servers.values():
        srv.stop()

result = {"checkpoints": checkpoints, "reps": reps, "upkeeps": int(upkeeps), "upkeep_seconds": round(upkeep_seconds, 2),
          "repos": {name: {"loose_objects": state[name][0], "packs": state[name][1]} for name in servers},
          "median_ms": {name: {op: round(statistics.median(v), 1) for op, v in ops.items()}
                        for name, ops in times.items()}}
print("a session's repo after %d checkpoints (median of %d, agentgit both)" % (checkpoints, reps))
print("%-16s %14s %8s %12s %16s" % ("", "loose objects", "packs", "clone (ms)", "no-op fetch (ms)"))
for name in servers:
    m = result["median_ms"][name]
    print("%-16s %14d %8d %12.1f %16.1f" % (name, state[name][0], state[name][1], m["clone"], m["fetch_noop"]))
ratio = result["median_ms"]["with upkeep"]["clone"] / result["median_ms"]["without upkeep"]["clone"]
result["clone_ratio"] = round(ratio, 3)
print("clone with upkeep / without: %.2fx (%d upkeeps, %.1f s of git in all)" % (ratio, upkeeps, upkeep_seconds))
os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
with open(out, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
print("wrote " + out)

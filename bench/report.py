#!/usr/bin/env python3
"""Turns the raw samples of scripts/bench into a table (stdout) and JSON.

Usage: report.py SAMPLES.tsv META.json OUT.json [EXTRAS.tsv]

SAMPLES.tsv lines: repo <TAB> op <TAB> server <TAB> rep <TAB> microseconds <TAB> exit-code
(server is "agentgit" or "http-backend"). META.json carries the run's context
(versions, repo sizes, agentgit's memory, anomalies) and is copied into OUT.

EXTRAS.tsv lines: repo <TAB> op <TAB> server <TAB> rep <TAB> what <TAB> value, where
what is "server_s" (agentgit's own seconds serving one no-op fetch, from its
/metrics) or "client_cpu_s" (the CPU seconds a crowd's git clients used).
From their medians come the floors: the least share of the anchor's time
any server could get with this client on this machine (a no-op fetch
without agentgit's own time; a crowd's client CPU spread over every core).
"""
import json
import statistics
import sys

SERVERS = ("agentgit", "http-backend")
OPS = ("ls_remote", "clone", "clone_depth1", "fetch_noop", "push_5mb", "pack_stream", "clone_crowd", "clone_crowd_warm")


def fmt_ms(s):
    if s is None:
        return "FAIL"
    ms = s * 1000
    return "%.1f ms" % ms if ms < 100 else "%.0f ms" % ms


def main():
    samples_path, meta_path, out_path = sys.argv[1:4]
    extras = {}  # (repo, op, server, what) -> [values]
    if len(sys.argv) > 4:
        with open(sys.argv[4]) as f:
            for line in f:
                repo, op, server, _rep, what, value = line.rstrip("\n").split("\t")
                extras.setdefault((repo, op, server, what), []).append(float(value))
    with open(meta_path) as f:
        meta = json.load(f)

    ok = {}      # (repo, op, server) -> [seconds]
    fails = {}   # (repo, op, server) -> [exit codes]
    order = []   # (repo, op) in first-seen order
    with open(samples_path) as f:
        for line in f:
            repo, op, server, _rep, us, rc = line.rstrip("\n").split("\t")
            if (repo, op) not in order:
                order.append((repo, op))
            if rc == "0":
                ok.setdefault((repo, op, server), []).append(int(us) / 1e6)
            else:
                fails.setdefault((repo, op, server), []).append(int(rc))
    order.sort(key=lambda k: (meta["repo_order"].index(k[0]), OPS.index(k[1])))

    rows = []
    for repo, op in order:
        row = {"repo": repo, "op": op}
        med = {}
        for server in SERVERS:
            key = server.replace("-", "_")
            vals = ok.get((repo, op, server), [])
            med[server] = statistics.median(vals) if vals else None
            row[key + "_median_s"] = round(med[server], 6) if vals else None
            row[key + "_samples_s"] = [round(v, 6) for v in vals]
            if (repo, op, server) in fails:
                row[key + "_failures"] = fails[(repo, op, server)]
        a, h = med["agentgit"], med["http-backend"]
        row["ratio"] = round(h / a, 3) if a and h else None
        served = extras.get((repo, op, "agentgit", "server_s"))
        cpu = extras.get((repo, op, "agentgit", "client_cpu_s"))
        if served and a and h:
            row["agentgit_server_median_s"] = round(statistics.median(served), 6)
            row["floor_share_of_anchor"] = round((a - statistics.median(served)) / h, 3)
        if cpu and h:
            row["client_cpu_median_s"] = round(statistics.median(cpu), 3)
            row["floor_share_of_anchor"] = round(statistics.median(cpu) / meta.get("cpus", 1) / h, 3)
        rows.append(row)

    result = dict(meta)
    result["ratio_means"] = "http-backend median / agentgit median; > 1 means agentgit is faster"
    result["results"] = rows
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    # The repos, then the table.
    for name in meta["repo_order"]:
        r = meta.get("repos", {}).get(name)
        if r:
            print("%s: %s KiB packed, %s refs, %s commits on main" % (name, r["pack_kib"], r["refs"], r["commits_on_main"]))
    print()
    head = ("repo", "operation", "agentgit", "http-backend", "ratio")
    lines = [head]
    for r in rows:
        a, h = r["agentgit_median_s"], r["http_backend_median_s"]
        ratio = "%.2fx" % r["ratio"] if r["ratio"] is not None else "n/a"
        lines.append((r["repo"], r["op"], fmt_ms(a), fmt_ms(h), ratio))
    widths = [max(len(l[i]) for l in lines) for i in range(len(head))]
    for n, l in enumerate(lines):
        print("  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(l)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print()
    print("medians of %d runs each; ratio = http-backend / agentgit (> 1: agentgit faster)" % meta["reps"])
    floors = [r for r in rows if "floor_share_of_anchor" in r]
    if floors:
        print()
        print("floors: the least share of http-backend's time any server could get here (agentgit/anchor)")
        for r in floors:
            a, h, f = r["agentgit_median_s"], r["http_backend_median_s"], r["floor_share_of_anchor"]
            if "agentgit_server_median_s" in r:
                print("  %s %s: agentgit serves in %s of the client's %s; without that, %.2fx of %s; agentgit %.2fx"
                      % (r["repo"], r["op"], fmt_ms(r["agentgit_server_median_s"]), fmt_ms(a), f, fmt_ms(h), a / h))
            else:
                print("  %s %s: the clients' own CPU %.1f s over %d cores is %.1f s, %.2fx of %s; agentgit %.2fx"
                      % (r["repo"], r["op"], r["client_cpu_median_s"], meta.get("cpus", 1),
                         r["client_cpu_median_s"] / meta.get("cpus", 1), f, fmt_ms(h), a / h))
    ag = meta.get("agentgit", {})
    if ag:
        print("agentgit peak RSS (VmHWM): %s KiB (at start: %s KiB); agentgit process CPU: %s s user+sys"
              % (ag.get("peak_rss_kib"), ag.get("start_rss_kib"), ag.get("cpu_seconds")))
    if "loadavg_at_start" in meta:
        busy = float(meta["loadavg_at_start"].split()[0]) > 0.5 * meta.get("cpus", 1)
        print("load average at start: %s, at end: %s%s" % (
            meta["loadavg_at_start"], meta.get("loadavg_at_end"),
            "  (machine was busy: expect noise)" if busy else ""))
    for a in meta.get("anomalies", []):
        print("ANOMALY: " + a)
    print("JSON: " + out_path)


if __name__ == "__main__":
    main()

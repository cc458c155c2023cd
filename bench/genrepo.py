#!/usr/bin/env python3
"""Writes a `git fast-import` stream for one synthetic benchmark repository.

Usage: genrepo.py KIND [--quick] | git -C REPO.git fast-import --quiet

KIND is one of:
  large     a few thousand commits of source-like text edits plus a set of
            incompressible binary blobs (~60-70 MB packed; --quick: ~10 MB)
  manyrefs  a modest history with 1,000 branches and 1,000 tags (half of
            them annotated); --quick: 250 + 250
  agent     an agent workspace: thousands of tiny commits, one per "tool
            call", each touching one or two small files

Output is deterministic (fixed seeds), so every run benchmarks the same
objects. Nothing is downloaded; the random bytes come from Python's PRNG.
"""
import random
import sys

WORDS = (
    "agent tool call commit branch merge fetch push clone index tree blob "
    "object packfile delta ref head tag remote origin session workspace "
    "snapshot checkpoint revert diff patch hunk line file path buffer stream "
    "socket request response header body chunk gzip inflate deflate parse "
    "value error result status config option flag token user access read "
    "write admin server client timeout retry backoff queue worker thread"
).split()

out = sys.stdout.buffer
BASE_TIME = 1_700_000_000


def emit(s):
    out.write(s.encode() if isinstance(s, str) else s)


def data(payload):
    if isinstance(payload, str):
        payload = payload.encode()
    emit(b"data %d\n" % len(payload))
    emit(payload)
    emit(b"\n")


def text_line(rng):
    n = rng.randint(3, 12)
    indent = "    " * rng.randint(0, 3)
    return indent + " ".join(rng.choice(WORDS) for _ in range(n)) + ";"


def text_file(rng, lines):
    return [text_line(rng) for _ in range(lines)]


class Writer:
    """Keeps marks and the commit clock; one branch at a time."""

    def __init__(self):
        self.mark = 0
        self.t = BASE_TIME

    def blob(self, payload):
        self.mark += 1
        emit("blob\nmark :%d\n" % self.mark)
        data(payload)
        return self.mark

    def commit(self, ref, message, changes, parent=None, author="Bench Agent <agent@bench.invalid>"):
        """changes: list of (path, blob-mark or None for delete)."""
        self.t += 37
        self.mark += 1
        emit("commit %s\nmark :%d\n" % (ref, self.mark))
        emit("author %s %d +0000\n" % (author, self.t))
        emit("committer %s %d +0000\n" % (author, self.t))
        data(message)
        if parent is not None:
            emit("from :%d\n" % parent)
        for path, m in changes:
            if m is None:
                emit("D %s\n" % path)
            else:
                emit("M 100644 :%d %s\n" % (m, path))
        emit("\n")
        return self.mark


def edit(rng, lines):
    """A small random edit: replace, insert or delete a few lines."""
    op = rng.random()
    pos = rng.randrange(len(lines) + 1)
    if op < 0.5 and lines:
        pos = min(pos, len(lines) - 1)
        for i in range(pos, min(pos + rng.randint(1, 4), len(lines))):
            lines[i] = text_line(rng)
    elif op < 0.85 or len(lines) < 20:
        lines[pos:pos] = [text_line(rng) for _ in range(rng.randint(1, 8))]
    else:
        del lines[pos:pos + rng.randint(1, 4)]


def gen_large(quick):
    rng = random.Random(1)
    commits = 600 if quick else 3000
    nfiles = 120 if quick else 400
    # (count, size) of incompressible blobs, spread over the history.
    binaries = [4, 1 << 20] if quick else [24, 2 << 20]
    w = Writer()
    files = {}
    first = []
    for i in range(nfiles):
        path = "src/mod%02d/file%04d.c" % (i % 20, i)
        files[path] = text_file(rng, rng.randint(40, 200))
        first.append((path, w.blob("\n".join(files[path]) + "\n")))
    head = w.commit("refs/heads/main", "Initial import\n", first)
    paths = sorted(files)
    bin_every = commits // (binaries[0] + 1)
    nbin = 0
    for c in range(1, commits):
        changes = []
        for path in rng.sample(paths, rng.randint(1, 3)):
            edit(rng, files[path])
            changes.append((path, w.blob("\n".join(files[path]) + "\n")))
        if c % bin_every == 0 and nbin < binaries[0]:
            payload = rng.randbytes(binaries[1] + rng.randrange(binaries[1] // 2))
            changes.append(("assets/bin%03d.dat" % nbin, w.blob(payload)))
            nbin += 1
        head = w.commit("refs/heads/main", "Change %d: %s\n" % (c, text_line(rng)), changes, head)


def gen_manyrefs(quick):
    rng = random.Random(2)
    commits = 200 if quick else 400
    nrefs = 250 if quick else 1000
    w = Writer()
    files = {"f%03d.txt" % i: text_file(rng, 30) for i in range(50)}
    head = w.commit("refs/heads/main", "Initial\n",
                    [(p, w.blob("\n".join(l) + "\n")) for p, l in files.items()])
    marks = [head]
    for c in range(1, commits):
        p = rng.choice(sorted(files))
        edit(rng, files[p])
        head = w.commit("refs/heads/main", "Commit %d\n" % c, [(p, w.blob("\n".join(files[p]) + "\n"))], head)
        marks.append(head)
    # Branches: each a one-commit topic off some point of main.
    for b in range(nrefs):
        base = rng.choice(marks)
        ref = "refs/heads/topic/%04d" % b
        p = "topics/t%04d.txt" % b
        w.commit(ref, "Topic %d\n" % b, [(p, w.blob(text_line(rng) + "\n"))], base)
    # Tags: half lightweight (reset), half annotated.
    for t in range(nrefs):
        target = rng.choice(marks)
        if t % 2:
            emit("reset refs/tags/v%d.%d.%d\nfrom :%d\n\n" % (t // 100, (t // 10) % 10, t % 10, target))
        else:
            w.t += 1
            emit("tag v%d.%d.%d\nfrom :%d\n" % (t // 100, (t // 10) % 10, t % 10, target))
            emit("tagger Bench Release <rel@bench.invalid> %d +0000\n" % w.t)
            data("Release %d\n" % t)


def gen_agent(quick):
    rng = random.Random(3)
    commits = 1000 if quick else 5000
    w = Writer()
    files = {}
    for d in ("src", "tests", "docs", "notes"):
        for i in range(30):
            files["%s/item%02d.md" % (d, i)] = text_file(rng, rng.randint(5, 40))
    head = w.commit("refs/heads/main", "Initial task: build the thing\n",
                    [(p, w.blob("\n".join(l) + "\n")) for p, l in files.items()])
    tools = ["edit_file", "write_file", "run_tests", "apply_patch", "shell"]
    paths = sorted(files)
    for c in range(1, commits):
        changes = []
        for p in rng.sample(paths, rng.randint(1, 2)):
            edit(rng, files[p])
            changes.append((p, w.blob("\n".join(files[p]) + "\n")))
        if rng.random() < 0.02:  # now and then a new file
            p = "scratch/s%05d.txt" % c
            files[p] = text_file(rng, 5)
            paths.append(p)
            changes.append((p, w.blob("\n".join(files[p]) + "\n")))
        tool = rng.choice(tools)
        msg = "%s: %s\n\nTool-Call: call_%06d\n" % (tool, text_line(rng).strip(), c)
        head = w.commit("refs/heads/main", msg, changes, head, "Agent <agent@agentgit.invalid>")


def main():
    kind = sys.argv[1]
    quick = "--quick" in sys.argv[2:]
    emit("feature done\n")
    {"large": gen_large, "manyrefs": gen_manyrefs, "agent": gen_agent}[kind](quick)
    emit("done\n")


if __name__ == "__main__":
    main()

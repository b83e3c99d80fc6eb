"""Whole-process `csep recall` timings: median and p95 over warm runs, wall time and
CPU time (user + system, from the kernel's accounting of the child), which a loaded
machine inflates far less than wall time.

Usage: python3 scripts/time-recall.py BINARY STATE_DIR (a state folder from
`CSEP_BENCH_DIR=... cargo bench --bench recall`).
"""
import os, statistics, subprocess, sys, time
binary, home = sys.argv[1], sys.argv[2]
base = [binary, "--home", home, "recall", "--cwd", "/home/dev/code/project-0"]
queries = [["parse_config"], ["busy_timeout|spawn_blocking"], ["src/config.rs"], ["cargo clippy"],
           ["handler_4821"], ["数据库迁移"], ["仓库"], ["TranscriptReader"], ["kubectl get pods"],
           ["nothing-matches-this-needle"], ["value"], ["value", "--limit", "10"], ["job stream"],
           ["job value", "--all-terms"], ["value", "--before", "2", "--after", "2"]]


def run(cmd):
    """Wall and CPU milliseconds of one run."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = (time.perf_counter() - t) * 1000
    p.returncode = os.waitstatus_to_exitcode(status)
    assert p.returncode == 0, cmd
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def p95(v):
    return sorted(v)[int(len(v) * 0.95)]


rows, walls, cpus = [], [], []
for q in queries:
    for scope in ([], ["--global"]):
        cmd = base + q + scope
        for _ in range(3):
            run(cmd)
        ws, cs = zip(*(run(cmd) for _ in range(20)))
        walls += ws
        cpus += cs
        rows.append((statistics.median(ws), p95(ws), statistics.median(cs), " ".join(q + scope)))
for m, p, c, q in sorted(rows, reverse=True)[:5]:
    print(f"slowest: {q:45} median {m:6.1f} ms  p95 {p:6.1f} ms  cpu {c:6.1f} ms")
print(f"all {len(walls)} warm runs: wall median {statistics.median(walls):.1f} ms, p95 {p95(walls):.1f} ms; "
      f"cpu (user+sys) median {statistics.median(cpus):.1f} ms, p95 {p95(cpus):.1f} ms")

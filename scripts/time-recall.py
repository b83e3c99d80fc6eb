"""Whole-process `csep recall` timings: median and p95 over warm runs.

Usage: python3 scripts/time-recall.py BINARY STATE_DIR (a state folder from
`CSEP_BENCH_DIR=... cargo bench --bench recall`).
"""
import statistics, subprocess, sys, time
binary, home = sys.argv[1], sys.argv[2]
base = [binary, "--home", home, "recall", "--cwd", "/home/dev/code/project-0"]
queries = [["parse_config"], ["busy_timeout|spawn_blocking"], ["src/config.rs"], ["cargo clippy"],
           ["handler_4821"], ["数据库迁移"], ["仓库"], ["TranscriptReader"], ["kubectl get pods"],
           ["nothing-matches-this-needle"], ["value"], ["value", "--limit", "10"], ["job stream"],
           ["job value", "--all-terms"], ["value", "--before", "2", "--after", "2"]]
rows, every = [], []
for q in queries:
    for scope in ([], ["--global"]):
        cmd = base + q + scope
        for _ in range(3):
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts = []
        for _ in range(20):
            t = time.perf_counter()
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            ts.append((time.perf_counter() - t) * 1000)
            assert r.returncode == 0, cmd
        every += ts
        ts.sort()
        rows.append((statistics.median(ts), ts[18], " ".join(q + scope)))
for m, p, q in sorted(rows, reverse=True)[:5]:
    print(f"slowest: {q:45} median {m:6.1f} ms  p95 {p:6.1f} ms")
every.sort()
print(f"all {len(every)} warm runs: median {statistics.median(every):.1f} ms, p95 {every[int(len(every)*0.95)]:.1f} ms")

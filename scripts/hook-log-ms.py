#!/usr/bin/env python3
"""Median and p95 of a hook's own work as its log records it (the `ms` field of
STATE/logs/hooks.jsonl: payload to log line, process start-up excluded).

usage: scripts/hook-log-ms.py STATE_DIR HOOK [SKIP]
SKIP: the first records left out (the warm-up runs of bench-hooks.py; default 10).
"""
import json
import statistics
import sys


def main():
    state, hook = sys.argv[1:3]
    skip = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    with open(f"{state}/logs/hooks.jsonl") as f:
        ms = [r["ms"] for r in map(json.loads, f) if r.get("hook") == hook]
    ms = sorted(ms[skip:])
    if not ms:
        sys.exit(f"no {hook} records in {state}/logs/hooks.jsonl")
    p95 = ms[int(len(ms) * 0.95)]
    print(f"{hook} (hook log): median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms over {len(ms)} runs")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times whole hook processes fed a real-shaped payload on stdin.

usage: scripts/bench-hooks.py CSEP_BINARY STATE_DIR PAYLOAD_JSON HOOK [RUNS] [TRANSCRIPT TURN_JSONL]
Prints median and p95 wall time of the hook, and of /bin/true as the floor of
starting a process from here. With TRANSCRIPT and TURN_JSONL, the lines of
TURN_JSONL are appended to TRANSCRIPT before each run (untimed), as a session that
goes on between two Stops.
"""
import statistics
import subprocess
import sys
import time


def measure(argv, payload, runs, append=None):
    times = []
    for _ in range(runs + 10):
        if append:
            with open(append[0], "ab") as f:
                f.write(append[1])
        t = time.perf_counter()
        subprocess.run(argv, input=payload, stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t) * 1e3)
    times = sorted(times[10:])
    return statistics.median(times), times[int(len(times) * 0.95)]


def main():
    binary, state, payload_path, hook = sys.argv[1:5]
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    payload = open(payload_path, "rb").read()
    append = None
    if len(sys.argv) > 7:
        append = (sys.argv[6], open(sys.argv[7], "rb").read())
    med, p95 = measure([binary, "--home", state, hook], payload, runs, append)
    floor, floor95 = measure(["/bin/true"], payload, runs)
    print(f"{hook}: median {med:.2f} ms, p95 {p95:.2f} ms over {runs} runs")
    print(f"/bin/true: median {floor:.2f} ms, p95 {floor95:.2f} ms")


if __name__ == "__main__":
    main()

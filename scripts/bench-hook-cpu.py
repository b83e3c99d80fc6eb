#!/usr/bin/env python3
"""CPU time (user + system) of whole hook processes, one turn appended before each
run: unlike wall time, it holds on a machine whose cores are busy with other work.

usage: scripts/bench-hook-cpu.py CSEP_BINARY STATE_DIR PAYLOAD_JSON HOOK RUNS TRANSCRIPT TURN_JSONL
"""
import resource
import statistics
import subprocess
import sys


def main():
    binary, state, payload_path, hook, runs, transcript, turn = sys.argv[1:8]
    payload = open(payload_path, "rb").read()
    turn = open(turn, "rb").read()
    cpu = []
    for i in range(int(runs) + 5):
        with open(transcript, "ab") as f:
            f.write(turn)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([binary, "--home", state, hook], input=payload,
                       stdout=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if i >= 5:
            cpu.append(used * 1e3)
    cpu.sort()
    p95 = cpu[int(len(cpu) * 0.95)]
    print(f"{hook} CPU time: median {statistics.median(cpu):.2f} ms, p95 {p95:.2f} ms over {len(cpu)} runs")


if __name__ == "__main__":
    main()

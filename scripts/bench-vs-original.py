#!/usr/bin/env python3
"""Measures csep's hooks side by side with the original Python tool (PyPI `csep`
1.3.10), whole processes on the same payloads, back to back.

usage: scripts/bench-vs-original.py target/release/csep [RUNS]
Installs the original into a temporary virtualenv (needs pip's registry), builds a
repo with a 3.5 KB MEMORY.md and a 200-message Codex session (scripts/bench-stop-session.py)
for each tool, and times `session-start --from-stdin` and `session-stop --from-stdin`
(one turn appended before each Stop, untimed). Prints medians, p95s and the ratios.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(argv, payload, env, runs, append=None):
    times = []
    for _ in range(runs + 5):
        if append:
            with open(append[0], "ab") as f:
                f.write(append[1])
        t = time.perf_counter()
        subprocess.run(argv, input=payload, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - t) * 1e3)
    times = sorted(times[5:])
    return statistics.median(times), times[int(len(times) * 0.95)]


def world(root):
    subprocess.run([sys.executable, os.path.join(HERE, "bench-stop-session.py"), root], check=True)
    repo = os.path.join(root, "repo")
    bucket = repo.replace("/", "-")
    mem = os.path.join(root, "state", "projects", bucket, "memory")
    os.makedirs(mem, exist_ok=True)
    entries = [f"- Entry {i}: the parser tests run with `cargo test -p parser` and fixtures live in tests/data/{i}." for i in range(40)]
    with open(os.path.join(mem, "MEMORY.md"), "w") as f:
        f.write("# Memory\n\n" + "\n".join(entries)[:3500] + "\n")
    start = json.dumps({"session_id": "bench", "transcript_path": "", "cwd": repo,
                        "hook_event_name": "SessionStart", "source": "startup"}).encode()
    stop = open(os.path.join(root, "stop.json"), "rb").read()
    turn = open(os.path.join(root, "turn.jsonl"), "rb").read()
    env = dict(os.environ, CODEX_SELF_EVOLUTION_HOME=os.path.join(root, "state"),
               CODEX_HOME=os.path.join(root, "codex"), CSEP__REFLECTION__START_WORKER="false")
    return start, stop, (os.path.join(root, "rollout.jsonl"), turn), env


def main():
    ours = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    tmp = tempfile.mkdtemp(prefix="csep-vs-original-")
    venv = os.path.join(tmp, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "csep==1.3.10"], check=True)
    original = os.path.join(venv, "bin", "csep")
    rows = []
    for hook in ["session-start", "session-stop"]:
        results = {}
        for name, binary in [("original", original), ("csep", ours)]:
            start, stop, append, env = world(os.path.join(tmp, f"{name}-{hook}"))
            payload = start if hook == "session-start" else stop
            results[name] = timed([binary, hook, "--from-stdin"], payload, env, runs,
                                  append if hook == "session-stop" else None)
        rows.append((hook, results))
    print(f"{'hook':<14} {'original median/p95':>22} {'csep median/p95':>18} {'ratio (median)':>15}")
    for hook, r in rows:
        (om, op), (cm, cp) = r["original"], r["csep"]
        print(f"{hook:<14} {om:>10.1f} / {op:>7.1f} ms {cm:>7.2f} / {cp:>6.2f} ms {om / cm:>13.0f}x")


main()

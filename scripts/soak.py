#!/usr/bin/env python3
"""Soak: drives thousands of Stops through the real binary with the reflection worker on,
then checks what they left behind.

usage: scripts/soak.py target/release/csep [--stops 10000] [--concurrency 1,20]
                       [--home DIR] [--turns 20] [--repos 4] [--drain-seconds 300]
                       [--max-state-mb 150] [--json REPORT.json]

The Stops are split evenly between the concurrency levels, run one level after the
other in the same state folder (the defaults: reflection enabled, the bundled policy and
strategy, no model). Each session is a Codex rollout, written as tests/support/world.rs
writes them, that grows by one turn (a user message, a shell call, its output, an
answer) before each of its Stops; a session runs at most one Stop at a time, as a
client does. Its first Stop is preceded by a SessionStart.

Checks, each listed in the report and failing the run (exit 1) when broken:
- every hook exits 0 and prints nothing or one JSON object;
- the recall index passes PRAGMA integrity_check, holds every session with exactly the
  messages its rollout has, and no message twice;
- once the worker has drained (or --drain-seconds passed), no job is left queued or
  running, and every deferred or failed job states a reason;
- the state folder stays under --max-state-mb.
Standard library only.
"""
import argparse
import collections
import json
import os
import queue
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

FINAL = {"succeeded", "partial", "skipped", "failed", "deferred"}
NEEDS_REASON = {"failed", "deferred"}


def iso(ms):
    t = time.gmtime(ms / 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(ms) % 1000:03d}Z"


class Session:
    """A Codex rollout that grows by one turn before each Stop."""

    def __init__(self, root, repo, sid, stops):
        self.repo = repo
        self.sid = sid
        self.left = stops
        self.turns = 0
        day = os.path.join(root, "codex", "sessions", "2026", "12", "07")
        os.makedirs(day, exist_ok=True)
        self.path = os.path.join(day, f"rollout-2026-12-07T10-00-00-{sid}.jsonl")
        meta = {"timestamp": iso(time.time() * 1000), "type": "session_meta",
                "payload": {"id": sid, "cwd": repo, "cli_version": "0.169.0"}}
        with open(self.path, "w") as f:
            f.write(json.dumps(meta) + "\n")

    def add_turn(self):
        i = self.turns
        self.turns += 1
        at = iso(time.time() * 1000)
        call = f"call_{i}"
        fails = i % 5 == 3
        exit_code = 1 if fails else 0
        tag = f"{self.sid[-8:]}-{i}"
        item = lambda payload: {"timestamp": at, "type": "response_item", "payload": payload}
        lines = [
            item({"type": "message", "role": "user", "content": [{"type": "input_text",
                  "text": f"Turn {tag}: fix the failing parser case {i} in module m{i % 7}."}]}),
            item({"type": "function_call", "name": "exec_command", "call_id": call,
                  "arguments": json.dumps({"cmd": f"cargo test -p parser case_{i} # {tag}"})}),
            item({"type": "function_call_output", "call_id": call,
                  "output": f"Process exited with code {exit_code}\nOutput:\n"
                            f"test case_{i} ... {'FAILED' if fails else 'ok'} ({tag})\n"}),
            item({"type": "message", "role": "assistant", "content": [{"type": "output_text",
                  "text": f"Done with {tag}: the tokenizer now stops before the closing quote."}]}),
        ]
        with open(self.path, "a") as f:
            f.write("".join(json.dumps(l) + "\n" for l in lines))

    def messages(self):
        return 4 * self.turns

    def payload(self, event):
        p = {"session_id": self.sid, "transcript_path": self.path, "cwd": self.repo,
             "hook_event_name": event, "model": "gpt-5.3-codex", "permission_mode": "default"}
        if event == "Stop":
            p.update({"turn_id": f"t{self.turns}", "stop_hook_active": False,
                      "last_assistant_message": "done"})
        else:
            p["source"] = "startup"
        return json.dumps(p)


class Soak:
    def __init__(self, args):
        self.args = args
        self.root = os.path.abspath(args.home or tempfile.mkdtemp(prefix="csep-soak-"))
        self.state = os.path.join(self.root, "state")
        self.repos = []
        for r in range(args.repos):
            repo = os.path.join(self.root, f"repo{r}")
            os.makedirs(os.path.join(repo, ".git"), exist_ok=True)
            self.repos.append(repo)
        for d in ("state", "codex", "claude"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        self.env = dict(os.environ,
                        CODEX_SELF_EVOLUTION_HOME=self.state,
                        CODEX_HOME=os.path.join(self.root, "codex"),
                        CLAUDE_CONFIG_DIR=os.path.join(self.root, "claude"),
                        HOME=self.root)
        for k in [k for k in self.env if k.startswith("CSEP__") or k.startswith("CSEP_REFLECTION")]:
            del self.env[k]
        self.sessions = []
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.failures = collections.Counter()
        self.examples = {}
        self.latencies = collections.defaultdict(list)

    def hook(self, session, event):
        cmd = "session-start" if event == "SessionStart" else "session-stop"
        started = time.monotonic()
        p = subprocess.run([self.args.binary, cmd], input=session.payload(event).encode(),
                           capture_output=True, cwd=session.repo, env=self.env)
        took = time.monotonic() - started
        problem = None
        out = p.stdout.decode("utf-8", "replace").strip()
        if p.returncode != 0:
            problem = f"{cmd} exited {p.returncode}"
        elif out:
            try:
                if not isinstance(json.loads(out), dict):
                    problem = f"{cmd} printed JSON that is not an object"
            except ValueError:
                problem = f"{cmd} printed text that is not JSON"
        with self.lock:
            self.counts[cmd] += 1
            self.latencies[cmd].append(took)
            if problem:
                self.failures[problem] += 1
                self.examples.setdefault(problem, (out[:300], p.stderr.decode("utf-8", "replace")[:300]))

    def phase(self, stops, concurrency, index):
        per = self.args.turns
        count = max(1, -(-stops // per))
        todo = queue.Queue()
        made = []
        left = stops
        for n in range(count):
            take = min(per, left)
            left -= take
            sid = f"019c{index:04x}-0000-7000-8000-{n:012x}"
            s = Session(self.root, self.repos[n % len(self.repos)], sid, take)
            made.append(s)
        # Sessions are interleaved: each worker thread takes the next one that is due.
        for s in made:
            todo.put(s)
        self.sessions.extend(made)

        def work():
            while True:
                try:
                    s = todo.get_nowait()
                except queue.Empty:
                    return
                if s.turns == 0:
                    self.hook(s, "SessionStart")
                s.add_turn()
                self.hook(s, "Stop")
                s.left -= 1
                if s.left > 0:
                    todo.put(s)

        started = time.monotonic()
        threads = [threading.Thread(target=work) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {"concurrency": concurrency, "stops": stops, "sessions": len(made),
                "seconds": round(time.monotonic() - started, 1)}

    def jobs(self):
        out = []
        d = os.path.join(self.state, "session_reflection", "jobs")
        if not os.path.isdir(d):
            return out
        for name in os.listdir(d):
            if not name.endswith(".json"):
                continue
            try:
                with open(os.path.join(d, name)) as f:
                    out.append(json.load(f))
            except (OSError, ValueError) as e:
                out.append({"job_id": name, "status": f"unreadable: {e}"})
        return out

    def drain(self):
        """Waits for no job queued or running; gives up at the deadline or when nothing
        has moved for a minute with nothing running."""
        started = time.monotonic()
        last, still_since = None, time.monotonic()
        while True:
            statuses = collections.Counter(j.get("status") for j in self.jobs())
            open_jobs = statuses["queued"] + statuses["running"]
            waited = time.monotonic() - started
            if open_jobs == 0:
                return round(waited, 1), "drained"
            if waited > self.args.drain_seconds:
                return round(waited, 1), "deadline"
            snapshot = tuple(sorted(statuses.items()))
            if snapshot != last:
                last, still_since = snapshot, time.monotonic()
            elif statuses["running"] == 0 and time.monotonic() - still_since > 60:
                return round(waited, 1), "stalled (queued jobs, no worker)"
            time.sleep(1)

    def check_index(self):
        db = os.path.join(self.state, "recall", "index.db")
        if not os.path.exists(db):
            return {"error": "no index"}
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
            dups = con.execute("""SELECT COUNT(*) FROM (SELECT 1 FROM messages
                                  GROUP BY session, role, text HAVING COUNT(*) > 1)""").fetchone()[0]
            have = dict(con.execute("""SELECT s.session_id, COUNT(m.id) FROM sessions s
                                       LEFT JOIN messages m ON m.session = s.id
                                       GROUP BY s.id"""))
            total = con.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        finally:
            con.close()
        missing = [s.sid for s in self.sessions if s.sid not in have]
        short = [s.sid for s in self.sessions if s.sid in have and have[s.sid] != s.messages()]
        return {"integrity": integrity[:3], "messages": total, "sessions": len(have),
                "duplicate_messages": dups, "missing_sessions": len(missing),
                "sessions_with_wrong_message_count": len(short),
                "examples": (missing + short)[:3]}

    def check_jobs(self):
        jobs = self.jobs()
        statuses = collections.Counter(j.get("status") for j in jobs)
        stranded = [j["job_id"] for j in jobs if j.get("status") not in FINAL]
        unexplained = [j["job_id"] for j in jobs
                       if j.get("status") in NEEDS_REASON and not (j.get("reason") or "").strip()]
        reasons = collections.Counter((j.get("status"), (j.get("reason") or "")[:80])
                                      for j in jobs if j.get("status") in NEEDS_REASON)
        return {"jobs": len(jobs), "by_status": dict(statuses), "stranded": len(stranded),
                "stranded_examples": stranded[:3], "without_reason": len(unexplained),
                "reasons": [f"{s}: {r} ({n})" for (s, r), n in reasons.most_common(5)]}

    def sizes(self):
        """Bytes and files of each part of the state folder (two levels for
        session_reflection, where the runs and jobs are)."""
        parts = {}

        def walk(path):
            if not os.path.isdir(path):
                return os.lstat(path).st_size, 1
            size = files = 0
            for dirpath, _, names in os.walk(path):
                for n in names:
                    try:
                        size += os.lstat(os.path.join(dirpath, n)).st_size
                        files += 1
                    except OSError:
                        pass
            return size, files

        for name in sorted(os.listdir(self.state)):
            path = os.path.join(self.state, name)
            if name == "session_reflection" and os.path.isdir(path):
                for sub in sorted(os.listdir(path)):
                    parts[f"{name}/{sub}"] = walk(os.path.join(path, sub))
            else:
                parts[name] = walk(path)
        total = sum(s for s, _ in parts.values())
        return total, {k: {"mb": round(s / 2**20, 2), "files": f} for k, (s, f) in parts.items()}

    def hook_log_errors(self):
        path = os.path.join(self.state, "logs", "hooks.jsonl")
        errors = collections.Counter()
        records = 0
        try:
            with open(path) as f:
                for line in f:
                    records += 1
                    try:
                        r = json.loads(line)
                    except ValueError:
                        errors["unreadable log line"] += 1
                        continue
                    if r.get("ok") is False:
                        errors[(r.get("error") or "?")[:100]] += 1
        except OSError:
            pass
        return records, errors


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return round(1000 * v[min(len(v) - 1, int(p * len(v)))], 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary", help="the csep binary (a release build)")
    ap.add_argument("--stops", type=int, default=10000, help="Stops in all, split between the levels")
    ap.add_argument("--concurrency", default="1,20", help="comma-separated levels, run in turn")
    ap.add_argument("--home", help="folder for the state, repos and rollouts (default: a new temporary one)")
    ap.add_argument("--turns", type=int, default=20, help="Stops per session")
    ap.add_argument("--repos", type=int, default=4, help="repositories the sessions are spread over")
    ap.add_argument("--drain-seconds", type=float, default=300, help="longest wait for the queue to drain")
    ap.add_argument("--max-state-mb", type=float, default=150, help="largest acceptable state folder")
    ap.add_argument("--json", help="also write the report here")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]

    soak = Soak(args)
    print(f"soak: {args.stops} Stops at concurrency {levels} in {soak.root}", flush=True)
    started = time.monotonic()
    phases = []
    for i, c in enumerate(levels):
        share = args.stops // len(levels) + (1 if i < args.stops % len(levels) else 0)
        phases.append(soak.phase(share, c, i))
        print(f"  phase {phases[-1]}", flush=True)
    drain_s, drain = soak.drain()
    print(f"  queue: {drain} after {drain_s} s", flush=True)

    status = subprocess.run([args.binary, "status"], capture_output=True, env=soak.env,
                            cwd=soak.repos[0])
    total, parts = soak.sizes()
    log_records, log_errors = soak.hook_log_errors()
    report = {
        "command": " ".join(sys.argv),
        "seconds": round(time.monotonic() - started, 1),
        "phases": phases,
        "hooks": dict(soak.counts),
        "hook_ms": {k: {"median": pct(v, 0.5), "p95": pct(v, 0.95), "max": pct(v, 1.0)}
                    for k, v in soak.latencies.items()},
        "hook_failures": dict(soak.failures),
        "hook_failure_examples": {k: list(v) for k, v in soak.examples.items()},
        "hook_log": {"records": log_records, "not_ok": sum(log_errors.values()),
                     "errors": [f"{e} ({n})" for e, n in log_errors.most_common(5)]},
        "drain": {"result": drain, "seconds": drain_s},
        "queue": soak.check_jobs(),
        "index": soak.check_index(),
        "status_exit": status.returncode,
        "state_mb": round(total / 2**20, 1),
        "state_parts": parts,
    }
    problems = []
    if soak.failures:
        problems.append(f"{sum(soak.failures.values())} hook runs failed")
    idx = report["index"]
    if "error" in idx:
        problems.append(idx["error"])
    else:
        if idx["integrity"] != ["ok"]:
            problems.append(f"integrity_check: {idx['integrity']}")
        for key in ("duplicate_messages", "missing_sessions", "sessions_with_wrong_message_count"):
            if idx[key]:
                problems.append(f"index: {key} {idx[key]}")
    q = report["queue"]
    if q["stranded"]:
        problems.append(f"{q['stranded']} jobs stranded (queued or running)")
    if q["without_reason"]:
        problems.append(f"{q['without_reason']} failed or deferred jobs without a reason")
    if report["state_mb"] > args.max_state_mb:
        problems.append(f"state folder {report['state_mb']} MB > {args.max_state_mb} MB")
    if status.returncode != 0:
        problems.append(f"csep status exited {status.returncode}")
    report["problems"] = problems

    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

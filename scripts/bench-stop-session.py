#!/usr/bin/env python3
"""Writes what the session-stop benchmark needs into OUT_DIR: a Codex rollout of
200 messages (50 turns of a user message, a shell call, its output and an answer),
one more turn to append before each run, and the Stop payload.

usage: scripts/bench-stop-session.py OUT_DIR
then:  scripts/bench-hooks.py target/release/csep OUT_DIR/state OUT_DIR/stop.json \
           session-stop 200 OUT_DIR/rollout.jsonl OUT_DIR/turn.jsonl
"""
import json
import os
import sys

SESSION = "019c0000-0000-7000-8000-00000000be01"


def turn(i):
    ts = f"2026-11-25T10:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
    call = f"call_{i}"
    return [
        {"timestamp": ts, "type": "response_item", "payload": {"type": "message", "role": "user",
         "content": [{"type": "input_text", "text": f"Please look at module {i} and fix the failing parser case for input #{i}."}]}},
        {"timestamp": ts, "type": "response_item", "payload": {"type": "function_call", "name": "exec_command",
         "arguments": json.dumps({"cmd": f"rg -n parse_{i} src/ && cargo test -p parser case_{i}"}), "call_id": call}},
        {"timestamp": ts, "type": "response_item", "payload": {"type": "function_call_output", "call_id": call,
         "output": f"Process exited with code 0\nOutput:\nsrc/parser.rs:{i}: fn parse_{i}() {{\ntest case_{i} ... ok\n"}},
        {"timestamp": ts, "type": "response_item", "payload": {"type": "message", "role": "assistant",
         "content": [{"type": "output_text", "text": f"Fixed case {i}: the tokenizer now stops before the closing quote."}]}},
    ]


def main():
    out = os.path.abspath(sys.argv[1])
    repo = os.path.join(out, "repo")
    os.makedirs(os.path.join(repo, ".git"), exist_ok=True)
    os.makedirs(os.path.join(out, "state"), exist_ok=True)
    lines = [{"timestamp": "2026-11-25T10:00:00.000Z", "type": "session_meta",
              "payload": {"id": SESSION, "cwd": repo, "cli_version": "0.169.0"}}]
    for i in range(50):
        lines += turn(i)
    with open(os.path.join(out, "rollout.jsonl"), "w") as f:
        f.writelines(json.dumps(l) + "\n" for l in lines)
    with open(os.path.join(out, "turn.jsonl"), "w") as f:
        f.writelines(json.dumps(l) + "\n" for l in turn(50))
    payload = {"session_id": SESSION, "turn_id": "t1", "transcript_path": os.path.join(out, "rollout.jsonl"),
               "cwd": repo, "hook_event_name": "Stop", "model": "gpt-5.3-codex",
               "permission_mode": "default", "stop_hook_active": False, "last_assistant_message": "done"}
    with open(os.path.join(out, "stop.json"), "w") as f:
        json.dump(payload, f)


main()

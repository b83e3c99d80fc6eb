//! Reading speed on ~50 MB of generated Codex rollout lines shaped like real sessions
//! (tool cycles with reasoning, shell calls and multi-line outputs dominate by volume).
//! Run with `cargo bench --bench transcript`.
#![allow(
    clippy::disallowed_methods,
    reason = "benchmarks build their corpora with plain std::fs"
)]

use std::time::Instant;

use csep::client::Client;
use csep::transcript::read;
use serde_json::json;

/// Deterministic xorshift so every run measures the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "cache",
    "parser",
    "retry",
    "config",
    "handler",
    "index",
    "session",
    "token",
    "buffer",
    "schema",
    "migration",
    "worker",
    "timeout",
    "offset",
    "请修复",
    "缓存",
    "the",
    "and",
    "with",
    "should",
    "error",
    "value",
    "return",
    "struct",
    "async",
    "field",
];
const COMMANDS: &[&str] = &[
    "rg -n 'fn parse' src",
    "cargo test --workspace",
    "sed -n 1,80p src/lib.rs",
    "git status --short",
    "pytest -q tests/test_api.py",
];

fn sentence(rng: &mut Rng, words: u64) -> String {
    let n = 4 + rng.below(words);
    (0..n)
        .map(|_| rng.pick(WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

fn line(out: &mut String, ts: u64, kind: &str, payload: serde_json::Value) {
    let secs = ts % 60;
    let stamp = format!(
        "2026-11-25T12:{:02}:{secs:02}.{:03}Z",
        (ts / 60) % 60,
        ts % 1000
    );
    out.push_str(&json!({"timestamp": stamp, "type": kind, "payload": payload}).to_string());
    out.push('\n');
}

fn session(rng: &mut Rng, out: &mut String, n: u64) {
    let mut ts = n * 37;
    line(
        out,
        ts,
        "session_meta",
        json!({
            "id": format!("01a212c6-364d-70b0-bc7e-{n:012}"), "timestamp": "2026-11-25T12:00:00.000Z",
            "cwd": "/home/dev/proj", "originator": "codex_cli_rs", "cli_version": "0.122.0",
            "source": "cli", "git": {"commit_hash": "73c0ec0d", "branch": "main"},
            "base_instructions": {"text": sentence(rng, 400)},
        }),
    );
    let context = "<environment_context>\n  <cwd>/home/dev/proj</cwd>\n  <shell>bash</shell>\n</environment_context>";
    line(
        out,
        ts,
        "response_item",
        json!({"type": "message", "role": "user",
        "content": [{"type": "input_text", "text": context}]}),
    );
    for _ in 0..(8 + rng.below(8)) {
        ts += 1;
        let prompt = sentence(rng, 30);
        line(
            out,
            ts,
            "event_msg",
            json!({"type": "user_message", "message": prompt}),
        );
        line(
            out,
            ts,
            "response_item",
            json!({"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": prompt}]}),
        );
        for call in 0..(3 + rng.below(5)) {
            ts += 1;
            let heading = format!("**{}**", sentence(rng, 4));
            line(
                out,
                ts,
                "event_msg",
                json!({"type": "agent_reasoning", "text": heading}),
            );
            let cipher: String = (0..(300 + rng.below(600)))
                .map(|_| (b'A' + rng.below(26) as u8) as char)
                .collect();
            line(
                out,
                ts,
                "response_item",
                json!({"type": "reasoning",
                "summary": [{"type": "summary_text", "text": heading}], "content": null, "encrypted_content": cipher}),
            );
            if rng.below(10) < 6 {
                line(
                    out,
                    ts,
                    "response_item",
                    json!({"type": "message", "role": "assistant",
                    "content": [{"type": "output_text", "text": sentence(rng, 40)}]}),
                );
            }
            let cmd = rng.pick(COMMANDS);
            let id = format!("call_{n}_{ts}_{call}");
            let args =
                json!({"command": ["bash", "-lc", cmd], "workdir": "/home/dev/proj"}).to_string();
            line(
                out,
                ts,
                "response_item",
                json!({"type": "function_call", "name": "shell", "arguments": args, "call_id": id}),
            );
            let body: Vec<String> = (0..(5 + rng.below(36)))
                .map(|i| {
                    format!(
                        "src/{}.rs:{}:    {}",
                        rng.pick(WORDS),
                        i * 7 + 1,
                        sentence(rng, 12)
                    )
                })
                .collect();
            let output = json!({"output": body.join("\n"), "metadata": {"exit_code": rng.below(8) / 7, "duration_seconds": 0.4}}).to_string();
            line(
                out,
                ts,
                "response_item",
                json!({"type": "function_call_output", "call_id": id, "output": output}),
            );
            line(
                out,
                ts,
                "event_msg",
                json!({"type": "token_count", "info": {"total_token_usage":
                {"input_tokens": 5120, "cached_input_tokens": 4096, "output_tokens": 210, "total_tokens": 5330}}}),
            );
        }
        let answer = (0..4)
            .map(|_| format!("- {}", sentence(rng, 25)))
            .collect::<Vec<_>>()
            .join("\n");
        line(
            out,
            ts,
            "response_item",
            json!({"type": "message", "role": "assistant",
            "content": [{"type": "output_text", "text": answer}]}),
        );
        line(
            out,
            ts,
            "event_msg",
            json!({"type": "agent_message", "message": answer}),
        );
    }
}

fn main() -> std::io::Result<()> {
    let mut data = String::new();
    let mut rng = Rng(42);
    let mut sessions = 0;
    while data.len() < 50 * 1024 * 1024 {
        session(&mut rng, &mut data, sessions);
        sessions += 1;
    }
    let mb = data.len() as f64 / (1024.0 * 1024.0);
    let mut best = f64::MAX;
    let mut messages = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let chunk = read(Client::Codex, data.as_bytes(), 0)?;
        best = best.min(start.elapsed().as_secs_f64());
        messages = chunk.messages.len();
        assert_eq!(chunk.stats.corrupt, 0);
    }
    println!(
        "{mb:.1} MB, {sessions} sessions, {messages} messages: {:.0} MB/s (best of 3, one thread)",
        mb / best
    );
    Ok(())
}

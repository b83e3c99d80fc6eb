//! Writes a labelled session as the client records it: a Codex 0.169 rollout or a
//! Claude Code 2.1 transcript, with shell tool calls and their output.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::labels::{Msg, Session};

/// The session's messages with its filler (routine exchanges) expanded.
pub fn expand(s: &Session) -> Vec<Msg> {
    let Some(f) = &s.filler else {
        return s.msgs.clone();
    };
    let at = f.after.min(s.msgs.len());
    let mut out: Vec<Msg> = s.msgs[..at].to_vec();
    for i in 0..f.count {
        if i % 10 == 0 {
            out.push(Msg {
                user: Some(format!("continue with step {}", i / 10 + 1)),
                ..Msg::default()
            });
        }
        out.push(Msg {
            assistant: Some(format!("Looking at src/module_{i}.rs next.")),
            ..Msg::default()
        });
        out.push(Msg {
            shell: Some(format!("sed -n 1,40p src/module_{i}.rs")),
            output: format!("pub fn handler_{i}(x: u32) -> u32 {{\n    x + {i}\n}}"),
            ..Msg::default()
        });
    }
    out.extend_from_slice(&s.msgs[at..]);
    out
}

/// A stable session id for a file name (UUID-shaped, as both clients use).
pub fn session_id(name: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(name.as_bytes());
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "019a{}-{}-7{}-8{}-{}",
        &hex[..4],
        &hex[4..8],
        &hex[8..11],
        &hex[11..14],
        &hex[14..26]
    )
}

fn stamp(order: u32, i: usize) -> String {
    let secs = i as u64;
    format!(
        "2026-11-{:02}T{:02}:{:02}:{:02}.000Z",
        10 + order.min(18),
        8 + (secs / 3600) % 12,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Writes the transcript under `root` (the home's client folders) for a session in
/// `repo`; returns its path.
pub fn write(root: &Path, repo: &Path, s: &Session, id: &str) -> PathBuf {
    let msgs = expand(s);
    let (path, lines) = if s.client == "claude" {
        let slug = repo.display().to_string().replace(['/', '.'], "-");
        let dir = root.join(format!("claude/projects/{slug}"));
        (
            dir.join(format!("{id}.jsonl")),
            claude_lines(repo, s.order, id, &msgs),
        )
    } else {
        let dir = root.join(format!(
            "codex/sessions/2026/11/{:02}",
            10 + s.order.min(18)
        ));
        (
            dir.join(format!("rollout-2026-11-25T10-00-00-{id}.jsonl")),
            codex_lines(repo, s.order, id, &msgs),
        )
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn codex_lines(repo: &Path, order: u32, id: &str, msgs: &[Msg]) -> Vec<Value> {
    let mut lines = vec![json!({"timestamp": stamp(order, 0), "type": "session_meta",
        "payload": {"id": id, "cwd": repo, "cli_version": "0.169.0",
            "timestamp": stamp(order, 0)}})];
    for (i, m) in msgs.iter().enumerate() {
        let at = stamp(order, i + 1);
        if let Some(text) = &m.user {
            lines.push(json!({"timestamp": at, "type": "response_item",
                "payload": {"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": text}]}}));
        }
        if let Some(text) = &m.assistant {
            lines.push(json!({"timestamp": at, "type": "response_item",
                "payload": {"type": "message", "role": "assistant",
                    "content": [{"type": "output_text", "text": text}]}}));
        }
        if let Some(cmd) = &m.shell {
            let call = format!("call_{i}");
            lines.push(json!({"timestamp": at, "type": "response_item",
                "payload": {"type": "function_call", "name": "exec_command",
                    "arguments": json!({"cmd": cmd}).to_string(), "call_id": call}}));
            lines.push(json!({"timestamp": at, "type": "response_item",
                "payload": {"type": "function_call_output", "call_id": call,
                    "output": format!("Process exited with code {}\nOutput:\n{}\n", m.exit, m.output)}}));
        }
    }
    lines
}

fn claude_lines(repo: &Path, order: u32, id: &str, msgs: &[Msg]) -> Vec<Value> {
    let mut lines = Vec::new();
    let mut parent = Value::Null;
    let mut push = |lines: &mut Vec<Value>, kind: &str, message: Value, i: usize, extra: Value| {
        let uuid = format!("00000000-0000-4000-8000-{i:012}");
        let mut line = json!({"parentUuid": parent, "isSidechain": false, "type": kind,
            "message": message, "uuid": uuid, "timestamp": stamp(order, i),
            "userType": "external", "cwd": repo, "sessionId": id, "version": "2.1.332"});
        if let (Value::Object(l), Value::Object(e)) = (&mut line, extra) {
            l.extend(e);
        }
        lines.push(line);
        parent = Value::String(uuid);
    };
    let mut n = 0;
    for m in msgs {
        if let Some(text) = &m.user {
            n += 1;
            push(
                &mut lines,
                "user",
                json!({"role": "user", "content": text}),
                n,
                json!({}),
            );
        }
        if let Some(text) = &m.assistant {
            n += 1;
            push(
                &mut lines,
                "assistant",
                json!({"role": "assistant", "content": [{"type": "text", "text": text}]}),
                n,
                json!({}),
            );
        }
        if let Some(cmd) = &m.shell {
            n += 1;
            let tool = format!("toolu_{n:06}");
            push(
                &mut lines,
                "assistant",
                json!({"role": "assistant", "content": [{"type": "tool_use", "id": tool,
                    "name": "Bash", "input": {"command": cmd, "description": "run"}}]}),
                n,
                json!({}),
            );
            n += 1;
            let error = m.exit != 0;
            push(
                &mut lines,
                "user",
                json!({"role": "user", "content": [{"tool_use_id": tool, "type": "tool_result",
                    "content": m.output, "is_error": error}]}),
                n,
                json!({"toolUseResult": {"stdout": m.output, "stderr": "", "interrupted": false}}),
            );
        }
    }
    lines
}

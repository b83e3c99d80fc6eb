//! Every captured or documented transcript shape parses into the conversation it holds.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::path::Path;

use csep::client::Client;
use csep::transcript::{Chunk, Message, Role, detect_client, read};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/transcripts")
        .join(name);
    std::fs::read(path).unwrap()
}

fn parse(client: Client, name: &str) -> (Chunk, usize) {
    let data = fixture(name);
    let chunk = read(client, &data[..], 0).unwrap();
    assert_eq!(
        chunk.end_offset,
        data.len() as u64,
        "{name}: whole file consumed"
    );
    assert!(!chunk.stats.partial_tail);
    assert_eq!(chunk.stats.corrupt, 0, "{name}");
    (chunk, data.len())
}

fn summary(messages: &[Message]) -> Vec<(Role, &str)> {
    messages.iter().map(|m| (m.role, m.text.as_str())).collect()
}

#[test]
fn codex_0169_rollout_yields_the_two_turns_without_harness_context() {
    let (chunk, _) = parse(Client::Codex, "codex-0.169.0-rollout-sample.jsonl");
    let meta = &chunk.meta;
    assert_eq!(
        meta.id.as_deref(),
        Some("01a212c6-364d-70b0-bc7e-4efda03ec0ae")
    );
    assert_eq!(meta.cwd.as_deref(), Some("/home/dev/proj"));
    assert_eq!(meta.branch.as_deref(), Some("main"));
    assert_eq!(meta.originator.as_deref(), Some("codex_exec"));
    assert_eq!(meta.cli_version.as_deref(), Some("0.169.0"));
    // session_meta.payload.timestamp 2026-11-25T12:55:09.656Z
    assert_eq!(meta.started_ms, Some(1_795_611_309_656));
    assert_eq!(meta.title.as_deref(), Some("Please say hello"));
    assert!(!meta.reflection_marker);
    assert!(meta.response_items);

    let real: Vec<_> = chunk.messages.iter().filter(|m| !m.injected).collect();
    let got: Vec<(Role, &str)> = real.iter().map(|m| (m.role, m.text.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (Role::User, "Please say hello"),
            (Role::ToolCall, "exec_command: echo hook-e2e-tool-ran"),
            (Role::ToolOutput, "hook-e2e-tool-ran"),
            (Role::Assistant, "Mock final answer: the task is done."),
            (Role::User, "follow-up"),
            (Role::Assistant, "Mock final answer: the task is done."),
        ]
    );
    // The environment block is kept but flagged; developer messages (skills, permissions,
    // hook context such as our own memory marker) are not indexed at all.
    let injected: Vec<_> = chunk.messages.iter().filter(|m| m.injected).collect();
    assert_eq!(injected.len(), 1);
    assert!(injected[0].text.starts_with("<environment_context>"));
    assert!(
        chunk
            .messages
            .iter()
            .all(|m| !m.text.contains("MEMORY-MARKER"))
    );
    assert!(
        chunk
            .messages
            .iter()
            .all(|m| !m.text.contains("UPS-MARKER"))
    );

    let output = real[2];
    assert_eq!(output.tool_name.as_deref(), Some("exec_command"));
    assert!(!output.is_error);
    // Line of ordinal 14, timestamp 2026-11-25T12:55:10.423Z.
    assert_eq!(output.at_ms, Some(1_795_611_310_423));
    assert_eq!(output.offset, 10136);
    // Bookkeeping (task events, world_state, token usage, item_completed copies) is unknown.
    assert_eq!(chunk.stats.lines, 33);
    assert_eq!(chunk.stats.unknown, 14);
}

#[test]
fn codex_reasoning_is_skipped_and_the_event_copy_is_not_doubled() {
    let (chunk, _) = parse(
        Client::Codex,
        "codex-0.169.0-rollout-reasoning-snippet.jsonl",
    );
    assert_eq!(
        summary(&chunk.messages),
        vec![(Role::Assistant, "Mock final answer: the task is done.")]
    );
    // The response_item, not the earlier item_completed event, is what was kept.
    assert_eq!(chunk.messages[0].at_ms, Some(1_795_611_281_810));
    assert_eq!(chunk.stats.unknown, 2);
    assert!(chunk.meta.id.is_none() && chunk.meta.title.is_none());
}

#[test]
fn codex_legacy_rollout_uses_response_items_and_decodes_json_shell_output() {
    let (chunk, _) = parse(Client::Codex, "codex-legacy-rollout-sample.jsonl");
    let meta = &chunk.meta;
    assert_eq!(
        meta.id.as_deref(),
        Some("0199a0c1-1111-7222-8333-444455556666")
    );
    assert_eq!(meta.cli_version.as_deref(), Some("0.44.0"));
    assert_eq!(meta.originator.as_deref(), Some("codex_cli_rs"));
    assert_eq!(meta.branch.as_deref(), Some("main"));
    assert_eq!(
        meta.title.as_deref(),
        Some("Add a --verbose flag to the CLI")
    );
    let got = summary(&chunk.messages);
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(chunk.messages[0].injected && chunk.messages[0].role == Role::User);
    assert_eq!(
        &got[1..],
        &[
            (Role::User, "Add a --verbose flag to the CLI"),
            (Role::ToolCall, "shell: rg -n clap src/main.rs"),
            (Role::ToolOutput, "12:use clap::Parser;"),
            (
                Role::Assistant,
                "Added `--verbose` and wired it to the logger."
            ),
        ]
    );
    assert_eq!(chunk.messages[3].tool_name.as_deref(), Some("shell"));
    assert!(!chunk.messages[3].is_error);
}

#[test]
fn codex_early_flat_rollout_reads_the_bare_header_and_items() {
    let (chunk, _) = parse(Client::Codex, "codex-early-flat-rollout-sample.jsonl");
    assert_eq!(
        chunk.meta.id.as_deref(),
        Some("5c8f7d3e-1a2b-4c3d-9e8f-0a1b2c3d4e5f")
    );
    assert_eq!(chunk.meta.branch.as_deref(), Some("main"));
    assert_eq!(chunk.meta.started_ms, Some(1_747_749_731_000));
    assert_eq!(chunk.meta.title.as_deref(), Some("explain this repo"));
    assert_eq!(
        summary(&chunk.messages),
        vec![
            (Role::User, "explain this repo"),
            (Role::Assistant, "It is a small Rust CLI."),
        ]
    );
    assert!(chunk.messages.iter().all(|m| m.at_ms.is_none()));
    assert_eq!(chunk.stats.unknown, 2, "the two record_type:state lines");
}

#[test]
fn claude_2_1_332_transcript_keeps_the_conversation_and_skips_attachments() {
    let (chunk, _) = parse(Client::Claude, "claude-2.1.332-transcript-sample.jsonl");
    let meta = &chunk.meta;
    assert_eq!(
        meta.id.as_deref(),
        Some("60ee10f8-b2ca-42ac-b604-e79d2fe621b4")
    );
    assert_eq!(meta.cwd.as_deref(), Some("/home/dev/proj"));
    assert_eq!(meta.branch.as_deref(), Some("feature/x"));
    assert_eq!(meta.cli_version.as_deref(), Some("2.1.332"));
    assert_eq!(meta.originator.as_deref(), Some("sdk-cli"));
    assert_eq!(meta.title.as_deref(), Some("Please run the marker command"));
    // First line: queue-operation at 2026-11-25T12:58:01.824Z.
    assert_eq!(meta.started_ms, Some(1_795_611_481_824));
    assert_eq!(
        summary(&chunk.messages),
        vec![
            (Role::User, "Please run the marker command"),
            (Role::ToolCall, "Bash: echo cc-tool-ran"),
            (Role::ToolOutput, "cc-tool-ran"),
            (Role::Assistant, "Mock Claude final answer."),
        ]
    );
    assert_eq!(chunk.messages[2].tool_name.as_deref(), Some("Bash"));
    assert!(
        chunk
            .messages
            .iter()
            .all(|m| !m.injected && !m.is_error && !m.sidechain)
    );
    assert!(
        chunk
            .messages
            .iter()
            .all(|m| !m.text.contains("CC-MEMORY-MARKER"))
    );
    assert_eq!(chunk.stats.lines, 22);
    assert_eq!(chunk.stats.unknown, 18);
}

#[test]
fn claude_legacy_transcript_marks_sidechains_and_keeps_block_order() {
    let (chunk, _) = parse(Client::Claude, "claude-legacy-transcript-sample.jsonl");
    assert_eq!(
        chunk.meta.id.as_deref(),
        Some("3f9b6a2e-5d41-4c8e-b7a0-6e2f1d9c8b7a")
    );
    assert_eq!(chunk.meta.cli_version.as_deref(), Some("1.0.72"));
    assert_eq!(chunk.meta.branch.as_deref(), Some("main"));
    // The first real user message wins over the `summary` record.
    assert_eq!(
        chunk.meta.title.as_deref(),
        Some("Add a --verbose flag to the CLI")
    );
    assert_eq!(
        summary(&chunk.messages),
        vec![
            (Role::User, "Add a --verbose flag to the CLI"),
            (Role::Assistant, "I'll look at the entrypoint."),
            (Role::ToolCall, "Bash: rg -n clap src/main.rs"),
            (Role::ToolOutput, "12:use clap::Parser;"),
            (Role::User, "(sub-agent prompt) search for logger setup"),
            (
                Role::Assistant,
                "Added `--verbose` and wired it to the logger."
            ),
        ]
    );
    let sidechain: Vec<bool> = chunk.messages.iter().map(|m| m.sidechain).collect();
    assert_eq!(sidechain, [false, false, false, false, true, false]);
    // Two messages from one record share its line offset.
    assert_eq!(chunk.messages[1].offset, chunk.messages[2].offset);
    assert_eq!(chunk.stats.unknown, 0);
}

#[test]
fn clients_are_detected_by_path_then_by_first_line() {
    let cases = [
        (
            "/home/dev/.codex/sessions/2026/11/25/rollout-2026-11-25T12-55-09-01a2.jsonl",
            "codex-0.169.0-rollout-sample.jsonl",
            Client::Codex,
        ),
        (
            "/home/dev/.claude/projects/-home-dev-proj/60ee10f8.jsonl",
            "claude-2.1.332-transcript-sample.jsonl",
            Client::Claude,
        ),
        (
            "/tmp/a.jsonl",
            "codex-0.169.0-rollout-sample.jsonl",
            Client::Codex,
        ),
        (
            "/tmp/b.jsonl",
            "codex-early-flat-rollout-sample.jsonl",
            Client::Codex,
        ),
        (
            "/tmp/c.jsonl",
            "claude-legacy-transcript-sample.jsonl",
            Client::Claude,
        ),
        (
            "/tmp/d.jsonl",
            "claude-2.1.332-transcript-sample.jsonl",
            Client::Claude,
        ),
    ];
    for (path, name, want) in cases {
        let data = fixture(name);
        let first = data.split(|&b| b == b'\n').next().unwrap();
        assert_eq!(
            detect_client(Path::new(path), first),
            Some(want),
            "{path} {name}"
        );
    }
    assert_eq!(detect_client(Path::new("/tmp/x.jsonl"), b"not json"), None);
}
